"""pynng 0.9.0's public surface, as recorded in docs/pynng-surface.json (generated from real
pynng by tests/peers/dump_surface.py), checked against the module under test: every name,
the exception classes with their errno values and bases, and for each class its properties
(default on a fresh object, read-only or writable as NNG says), methods and signatures.

The cffi layer (``ffi``, ``lib`` and the raw handles ``sock.socket``, ``dialer.dialer``, …)
is pynng's implementation, not its API; it is the one part not required
(docs/pynng-compat.md, Differences).
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import pytest
from conftest import free_tcp_port
from peers import dump_surface

SURFACE = json.loads(
    (Path(__file__).parent.parent / "docs" / "pynng-surface.json").read_text()
)
CFFI_NAMES = {"ffi", "lib"}
CFFI_HANDLES = {"socket", "dialer", "listener", "pipe", "context"}
SOCKETS = sorted(SURFACE["sockets"])
ERRNO_EXCEPTIONS = sorted(n for n, e in SURFACE["exceptions"].items() if e["errno"] is not None)


def required_names(module: str) -> list[str]:
    kinds = SURFACE["name_kinds"][module]
    return sorted(
        n
        for n, kind in kinds.items()
        if n not in CFFI_NAMES and kind != "cffi" and not (module and kind == "module")
    )


def test_surface_file_is_pynng_0_9_0():
    assert SURFACE["module"] == "pynng"
    assert SURFACE["version"] == "0.9.0"
    assert len(ERRNO_EXCEPTIONS) == 31
    assert len(SOCKETS) == 11


@pytest.mark.parametrize("module", ["", "options", "sockaddr", "exceptions", "tls"])
def test_every_public_name_exists(nng, module):
    mod = importlib.import_module(f"{nng.__name__}.{module}" if module else nng.__name__)
    missing = [n for n in required_names(module) if not hasattr(mod, n)]
    assert missing == []


@pytest.mark.parametrize("module", ["", "exceptions", "sockaddr", "tls"])
def test_public_names_are_of_the_same_kind(nng, module):
    mod = importlib.import_module(f"{nng.__name__}.{module}" if module else nng.__name__)
    kinds = SURFACE["name_kinds"][module]
    for name in required_names(module):
        value = getattr(mod, name)
        if kinds[name] == "class":
            assert isinstance(value, type), name
        elif kinds[name] == "function":
            assert callable(value) and not isinstance(value, type), name
        elif kinds[name] == "module":
            assert inspect.ismodule(value), name


@pytest.mark.parametrize("name", ERRNO_EXCEPTIONS)
def test_exception_class_errno_and_base(nng, name):
    spec = SURFACE["exceptions"][name]
    cls = getattr(nng, name)
    assert getattr(nng.exceptions, name) is cls
    assert [b.__name__ for b in cls.__bases__] == spec["bases"] == ["NNGException"]
    assert issubclass(cls, nng.NNGException) and issubclass(cls, Exception)
    assert nng.exceptions.EXCEPTION_MAP[spec["errno"]] is cls
    with pytest.raises(cls) as info:
        nng.check_err(spec["errno"])
    assert info.value.errno == spec["errno"]
    assert str(info.value)  # NNG's message for the code, e.g. "Timed out"
    e = cls("text", spec["errno"])
    assert (e.errno, str(e)) == (spec["errno"], "text")


def test_exception_map_is_exactly_the_31_codes(nng):
    assert sorted(nng.exceptions.EXCEPTION_MAP) == sorted(
        SURFACE["exceptions"][n]["errno"] for n in ERRNO_EXCEPTIONS
    )


def test_nng_exception_and_message_state_error(nng):
    e = nng.NNGException("boom", 1234)
    assert (str(e), e.errno) == ("boom", 1234)
    assert nng.NNGException.__bases__ == (Exception,)
    assert nng.MessageStateError.__bases__ == (Exception,)
    assert not issubclass(nng.MessageStateError, nng.NNGException)
    assert nng.exceptions.MessageStateError is nng.MessageStateError
    nng.check_err(0)  # success does not raise
    with pytest.raises(nng.NNGException) as info:
        nng.check_err(4242)  # unknown code: the base class
    assert type(info.value) is nng.NNGException and info.value.errno == 4242


def test_errno_values_match_nng(nng):
    # A few anchors against NNG's nng_errno_enum, so the JSON itself can be trusted.
    assert nng.Timeout("", 5).errno == 5
    for name, errno in [("Interrupted", 1), ("Timeout", 5), ("Closed", 7), ("TryAgain", 8),
                        ("NotSupported", 9), ("AddressInUse", 10), ("BadState", 11),
                        ("AddressInvalid", 15), ("MessageTooLarge", 17),
                        ("ConnectionAborted", 18), ("ConnectionReset", 19),
                        ("BadType", 30), ("Internal", 1000)]:
        assert nng.exceptions.EXCEPTION_MAP[errno] is getattr(nng, name)


def param_names(fn):
    return [p for p in inspect.signature(fn).parameters if p != "self"]


def recorded_params(sig: str) -> list[str]:
    # "(self, address, *, block=None)" -> ["address", "block"]
    inner = sig.strip()[1:-1]
    names = []
    for part in inner.split(","):
        part = part.strip().split("=")[0].split(":")[0].strip().lstrip("*")
        if part and part != "self":
            names.append(part)
    return names


def check_methods(obj, spec):
    for name, m in spec["methods"].items():
        assert hasattr(obj, name), f"missing method {name}"
        fn = getattr(obj, name)
        assert callable(fn), name
        if m["async"]:
            assert inspect.iscoroutinefunction(fn) or _returns_awaitable(name), name
        assert param_names(fn) == recorded_params(m["signature"]), name


def _returns_awaitable(name):
    # Native async methods need not be coroutine functions; the async tests check
    # they are awaitable. Accept any method whose name says it is async.
    return name.startswith("a")


def check_properties(obj, spec, *, probe_writes=True):
    for name, p in spec["properties"].items():
        if name in CFFI_HANDLES:
            continue
        assert name in dir(obj), f"missing property {name}"
        default = p.get("default")
        if default is None:
            continue
        if "raises" in default:
            with pytest.raises(Exception) as info:
                getattr(obj, name)
            assert type(info.value).__name__ == default["raises"], name
            continue
        value = getattr(obj, name)
        if "value" in default:
            expected = default["value"]
            if isinstance(expected, list):
                value = list(value)
            elif isinstance(expected, dict) and "bytes" in expected:
                value = {"bytes": bytes(value).hex()}
            assert value == expected, f"{name}: {value!r} != {expected!r}"
            assert type(value) is type(expected), name
        elif "type" in default and default["type"] in {"int", "str", "bool"}:
            assert type(value).__name__ == default["type"], name
        outcome = p.get("write_back_raises", "unreadable")
        if probe_writes and outcome != "unreadable":
            if outcome is None:
                setattr(obj, name, value)
                assert getattr(obj, name) == value, name
            else:
                with pytest.raises(Exception) as info:
                    setattr(obj, name, value)
                assert type(info.value).__name__ == outcome, name


@pytest.mark.parametrize("name", SOCKETS)
def test_socket_class_surface(nng, name):
    spec = SURFACE["sockets"][name]
    cls = getattr(nng, name)
    assert issubclass(cls, nng.Socket)
    with cls() as s:
        check_properties(s, spec)
        check_methods(s, spec)
    assert hasattr(cls, "__enter__") and hasattr(cls, "__exit__")


@pytest.mark.parametrize("name", SOCKETS)
def test_socket_constructor_keywords_are_accepted(nng, name):
    # Each keyword by name (values that change nothing observable here; the semantics
    # tests check their effect).
    neutral = {"dial": None, "listen": None, "recv_timeout": 1000, "send_timeout": 1000,
               "recv_buffer_size": 4, "send_buffer_size": 4, "recv_max_size": 4096,
               "reconnect_time_min": 50, "reconnect_time_max": 500, "block_on_dial": None,
               "name": "x", "tls_config": None, "async_backend": None, "polyamorous": False,
               "topics": b"", "resend_time": 1000, "survey_time": 500}
    for kw in SURFACE["sockets"][name]["constructor_keywords"]:
        if kw == "opener":
            continue
        getattr(nng, name)(**{kw: neutral[kw]}).close()
    with pytest.raises(TypeError):
        getattr(nng, name)(no_such_keyword=1)
    with pytest.raises(TypeError):
        getattr(nng, name)("tcp://127.0.0.1:1")  # keyword-only


def test_socket_base_class_cannot_be_instantiated(nng):
    with pytest.raises(TypeError):
        nng.Socket()


@pytest.fixture
def live_objects(nng):
    with dump_surface.live_objects(nng) as live:
        yield live


@pytest.mark.parametrize("kind", dump_surface.LIVE)
def test_object_surface(nng, live_objects, kind):
    obj = live_objects[kind]
    assert isinstance(obj, getattr(nng, kind))
    spec = SURFACE[kind]
    check_properties(obj, spec, probe_writes=kind != "Message")
    check_methods(obj, spec)
    for dunder in spec["dunder"]:
        if dunder != "__del__":
            assert hasattr(type(obj), dunder), dunder


def test_tls_config_surface(nng):
    spec = SURFACE["TLSConfig"]
    assert nng.tls.TLSConfig is nng.TLSConfig
    for const, value in spec["constants"].items():
        assert getattr(nng.TLSConfig, const) == value
    for name, m in spec["methods"].items():
        assert param_names(getattr(nng.TLSConfig, name)) == recorded_params(m["signature"])
    assert param_names(nng.TLSConfig.__init__) == recorded_params(spec["constructor"])


# What pynng 0.9.0 reports for each: family, family_as_str, and str() of the address
# ({port}: the bound port; {path} and {url} from the URL listened on).
SOCKADDR_TEXT = {
    "InprocAddr": (1, "inproc", "inproc://surface-sockaddr"),
    "IPCAddr": (2, "ipc", "{path}"),
    "InAddr": (3, "inet", "127.0.0.1:{port}"),
    "In6Addr": (4, "inetv6", "[::1]:{port}"),
    "AbstractAddr": (6, "abstract", "{url}"),
}
SOCKADDR_URLS = {
    "InprocAddr": "inproc://surface-sockaddr",
    "IPCAddr": "ipc:///tmp/nngbridge-surface-{port}",
    "InAddr": "tcp://127.0.0.1:0",
    "In6Addr": "tcp://[::1]:0",
    "AbstractAddr": "abstract://nngbridge-surface-{port}",
}


@pytest.mark.parametrize("name", sorted(SURFACE["sockaddr"]))
def test_sockaddr_classes(nng, name):
    cls = getattr(nng.sockaddr, name)
    assert issubclass(cls, nng.sockaddr.SockAddr)
    if name not in SOCKADDR_URLS:
        return  # SockAddr itself; ZTAddr (no ZeroTier transport to make one)
    url = SOCKADDR_URLS[name].format(port=free_tcp_port())
    with nng.Pair0(listen=url) as s:
        addr = s.listeners[0].local_address
        assert type(addr) is cls
        for prop in SURFACE["sockaddr"][name]["properties"]:
            if prop != "sock_addr":  # the cffi struct
                getattr(addr, prop)
        family, family_str, text = SOCKADDR_TEXT[name]
        assert (addr.family, addr.family_as_str) == (family, family_str)
        # (pynng's .port is in network byte order; the text has the real port.)
        got, port = str(addr), ""
        if "{port}" in text:
            got, port = got.rsplit(":", 1)
            text = text.removesuffix(":{port}")
            assert addr.port != 0 and int(port) > 0
        assert got == text.format(path=url[len("ipc://"):], url=url)
