"""Write pynng's public surface as JSON (docs/pynng-surface.json) by introspecting the
installed pynng: names per module, exception classes, socket classes (constructor
keywords, properties with their default on a fresh socket, methods with signatures) and
Message, Context, Pipe, Dialer, Listener, TLSConfig, SockAddr classes alike.

Run: python tests/peers/dump_surface.py [--module pynng] [--out docs/pynng-surface.json]
With --module nngbridge it dumps nngbridge the same way, for a side-by-side diff.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import json
import socket as pysocket
import sys
from pathlib import Path

SUBMODULES = ["options", "sockaddr", "exceptions", "tls"]
SOCKETS = ["Bus0", "Pair0", "Pair1", "Pull0", "Push0", "Pub0", "Sub0", "Req0", "Rep0",
           "Surveyor0", "Respondent0"]
# Values that differ from one instance (or run) to the next: recorded, never compared.
PER_INSTANCE = {"name", "recv_fd", "send_fd", "id", "url", "local_address",
                "remote_address", "socket", "dialer", "listener", "pipe", "context"}


def public_names(obj):
    return sorted(n for n in dir(obj) if not n.startswith("_"))


def jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    return {"type": type(value).__name__}


def read(obj, name):
    try:
        value = getattr(obj, name)
    except Exception as e:  # noqa: BLE001 - the exception is the recorded value
        return {"raises": type(e).__name__}
    if name in PER_INSTANCE:
        return {"type": type(value).__name__}
    return {"value": jsonable(value)}


def write_back(obj, name, current):
    """Set an option to the value it already has: None when NNG accepts it, else the
    name of the exception (e.g. ReadOnly for protocol)."""
    if "raises" in current:
        return "unreadable"
    try:
        setattr(obj, name, getattr(obj, name))
    except Exception as e:  # noqa: BLE001 - the exception is the recorded value
        return type(e).__name__
    return None


def descriptor_access(cls, name):
    """(readable, writable, kind) of a class attribute that is a data descriptor."""
    for klass in cls.__mro__:
        if name in vars(klass):
            attr = vars(klass)[name]
            break
    else:
        return None
    if isinstance(attr, property):
        return attr.fget is not None, attr.fset is not None, "property"
    kind = type(attr).__name__
    if hasattr(attr, "__get__") and hasattr(attr, "__set__"):
        getter = getattr(type(attr), "_getter", True)
        setter = getattr(type(attr), "_setter", True)
        readable = getter is not None and kind != "NotImplementedOption"
        writable = setter is not None and kind != "NotImplementedOption"
        return readable, writable, kind
    return None


def signature(fn):
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return None


def describe_class(cls, instance=None, probe_writes=False):
    props, methods, constants = {}, {}, {}
    for name in public_names(cls):
        access = descriptor_access(cls, name)
        attr = inspect.getattr_static(cls, name)
        if access is not None:
            readable, writable, kind = access
            entry = {"readable": readable, "writable": writable, "kind": kind}
            if instance is not None:
                entry["default"] = read(instance, name)
                entry["per_instance"] = name in PER_INSTANCE
                if writable and probe_writes:
                    entry["write_back_raises"] = write_back(instance, name, entry["default"])
            props[name] = entry
        elif callable(attr) or isinstance(attr, (staticmethod, classmethod)):
            fn = getattr(cls, name)
            methods[name] = {"signature": signature(fn),
                             "async": inspect.iscoroutinefunction(fn)}
        else:
            constants[name] = jsonable(attr)
    out = {"properties": props, "methods": methods}
    if constants:
        out["constants"] = constants
    out["dunder"] = sorted(n for n in ("__enter__", "__exit__", "__aenter__", "__aexit__",
                                       "__aiter__", "__buffer__", "__len__", "__del__")
                           if hasattr(cls, n))
    return out


def name_kind(value):
    if inspect.ismodule(value):
        return "module"
    if isinstance(value, type):
        return "class"
    if callable(value):
        return "function"
    if type(value).__module__ in ("_cffi_backend", "cffi"):
        return "cffi"
    return "constant"


def free_tcp_port():
    with pysocket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# What only a live connection has; the surface records one of each (tests/test_pynng_api.py
# checks them with the same objects).
LIVE = ["Dialer", "Listener", "Pipe", "Message", "Context"]


@contextlib.contextmanager
def live_objects(nng):
    """``{kind: object}`` for each ``LIVE`` kind: a Req0 client dialed to a Rep0 server over
    tcp, a context of the client, and the message the server received."""
    addr = f"tcp://127.0.0.1:{free_tcp_port()}"
    with nng.Rep0(listen=addr) as server, nng.Req0() as client:
        dialer = client.dial(addr, block=True)
        ctx = client.new_context()
        client.send(b"hi")
        msg = server.recv_msg()
        live = {"Dialer": dialer, "Listener": server.listeners[0], "Pipe": msg.pipe,
                "Message": msg, "Context": ctx}
        assert list(live) == LIVE
        try:
            yield live
        finally:
            ctx.close()


def constructor_keywords(cls, base):
    keywords = []
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        sig = inspect.signature(klass.__init__)
        for p in sig.parameters.values():
            if p.kind == p.KEYWORD_ONLY and p.name not in keywords:
                keywords.append(p.name)
        if not any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
            break
        if klass is base:
            break
    return keywords


def dump(modname):
    nng = importlib.import_module(modname)
    surface = {"module": modname, "version": getattr(nng, "__version__", None),
               "python": sys.version.split()[0], "names": {}}
    surface["name_kinds"] = {}
    for sub in ["", *SUBMODULES]:
        mod = importlib.import_module(f"{modname}.{sub}" if sub else modname)
        surface["names"][sub] = public_names(mod)
        surface["name_kinds"][sub] = {n: name_kind(getattr(mod, n)) for n in public_names(mod)}

    exc = {}
    for name in public_names(nng.exceptions):
        cls = getattr(nng.exceptions, name)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            errno = next((k for k, v in nng.exceptions.EXCEPTION_MAP.items() if v is cls), None)
            exc[name] = {"bases": [b.__name__ for b in cls.__bases__], "errno": errno}
    surface["exceptions"] = exc

    sockets = {}
    for name in SOCKETS:
        cls = getattr(nng, name)
        with cls() as s:
            entry = describe_class(cls, s, probe_writes=True)
        entry["bases"] = [b.__name__ for b in cls.__bases__]
        entry["constructor_keywords"] = constructor_keywords(cls, nng.Socket)
        sockets[name] = entry
    surface["sockets"] = sockets
    surface["Socket"] = describe_class(nng.Socket)
    surface["Socket"]["constructor_keywords"] = constructor_keywords(nng.Socket, nng.Socket)

    with live_objects(nng) as live:
        for kind, inst in live.items():
            surface[kind] = describe_class(getattr(nng, kind), inst,
                                           probe_writes=kind != "Message")
    surface["TLSConfig"] = describe_class(nng.TLSConfig)
    surface["TLSConfig"]["constructor"] = signature(nng.TLSConfig.__init__)
    surface["sockaddr"] = {
        name: describe_class(getattr(nng.sockaddr, name))
        for name in public_names(nng.sockaddr)
        if isinstance(getattr(nng.sockaddr, name), type) and name.endswith("Addr")
    }
    return surface


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--module", default="pynng")
    parser.add_argument("--out", default=None, help="file to write; stdout when omitted")
    args = parser.parse_args()
    text = json.dumps(dump(args.module), indent=1, sort_keys=True) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
