"""nngbridge's public surface against real pynng 0.9.0, introspected side by side: every
name, exception (class, base, errno), socket property default, and the attributes of
dialers, listeners, pipes, messages and contexts. Differences are allowed only where
docs/pynng-compat.md lists them."""

from __future__ import annotations

import pytest

import nngbridge

pynng = pytest.importorskip("pynng")

SOCKETS = ["Bus0", "Pair0", "Pair1", "Pull0", "Push0", "Pub0", "Sub0", "Req0", "Rep0",
           "Surveyor0", "Respondent0"]
# cffi objects pynng exposes; nngbridge has no cffi layer (docs/pynng-compat.md).
CFFI_ONLY = {"ffi", "lib", "socket", "dialer", "listener", "pipe", "context", "nng", "pynng"}
# Differ per instance by nature.
PER_INSTANCE = {"name", "recv_fd", "send_fd", "id", "url", "local_address", "remote_address",
                "dialers", "listeners", "pipes"}


def public(obj):
    return sorted(n for n in dir(obj) if not n.startswith("_") and n not in CFFI_ONLY)


def has(obj, name):
    # dir() rather than hasattr(): a property that raises (as pynng's do) still exists.
    return name in dir(obj)


def read(obj, name):
    try:
        value = getattr(obj, name)
    except Exception as e:  # noqa: BLE001 - the exception type is the value compared
        return ("raises", type(e).__name__)
    return None if callable(value) else value


@pytest.mark.parametrize("module", ["", "options", "sockaddr", "exceptions", "tls"])
def test_every_public_name_exists(module):
    theirs = getattr(pynng, module) if module else pynng
    ours = getattr(nngbridge, module) if module else nngbridge
    missing = [n for n in public(theirs) if not has(ours, n)]
    assert missing == []


def test_exceptions_have_pynngs_hierarchy_and_errno():
    for errno, cls in pynng.exceptions.EXCEPTION_MAP.items():
        ours = getattr(nngbridge, cls.__name__)
        assert nngbridge.exceptions.EXCEPTION_MAP[errno] is ours
        assert issubclass(ours, nngbridge.NNGException)
        assert ours.__mro__[1].__name__ == cls.__mro__[1].__name__
        e = ours("text", errno)
        assert (e.errno, str(e)) == (errno, "text")
    assert not issubclass(nngbridge.MessageStateError, nngbridge.NNGException)
    assert len(pynng.exceptions.EXCEPTION_MAP) == len(nngbridge.exceptions.EXCEPTION_MAP) == 31


@pytest.mark.parametrize("cls", SOCKETS)
def test_socket_properties_and_defaults_match(cls):
    theirs = getattr(pynng, cls)()
    ours = getattr(nngbridge, cls)()
    try:
        for name in public(theirs):
            assert has(ours, name), name
            if name in PER_INSTANCE:
                continue
            assert read(ours, name) == read(theirs, name), name
    finally:
        theirs.close()
        ours.close()


def connected(mod):
    rep = mod.Rep0(listen="tcp://127.0.0.1:0", recv_timeout=5000)
    req = mod.Req0()
    dialer = req.dial(rep.listeners[0].url, block=True)
    req.send(b"x")
    msg = rep.recv_msg()
    return {"rep": rep, "req": req, "listener": rep.listeners[0], "dialer": dialer,
            "pipe": msg.pipe, "msg": msg, "ctx": req.new_context()}


@pytest.mark.parametrize("kind", ["listener", "dialer", "pipe", "msg", "ctx"])
def test_endpoint_pipe_message_and_context_attributes_match(kind):
    theirs, ours = connected(pynng), connected(nngbridge)
    try:
        for name in public(theirs[kind]):
            assert has(ours[kind], name), name
            if name in PER_INSTANCE or name in ("pipe", "socket", "listener", "dialer"):
                continue
            a, b = read(theirs[kind], name), read(ours[kind], name)
            if isinstance(a, tuple) and a[0] == "raises":
                assert b == a, name
            elif a is not None:
                assert type(b) is type(a) and str(b) == str(a), name
    finally:
        for d in (theirs, ours):
            d["req"].close()
            d["rep"].close()


def test_sockaddr_text_matches_for_tcp_listeners():
    with pynng.Pair0(listen="tcp://127.0.0.1:0") as a, nngbridge.Pair0(
        listen="tcp://127.0.0.1:0"
    ) as b:
        ta, tb = a.listeners[0].local_address, b.listeners[0].local_address
        assert type(ta).__name__ == type(tb).__name__ == "InAddr"
        assert str(ta).startswith("127.0.0.1:") and str(tb).startswith("127.0.0.1:")
        assert tb.family == ta.family and tb.port != 0
