"""``nngbridge.scene`` against real NNG peers that misbehave on purpose: a raw Rep0 that
answers garbage, the wrong id, nothing, or hangs up; a Pub0 that skips ``seq``. Each case
raises its own exception and the same client then makes a good call. Also: arrays both
ways (numpy, and memoryviews without numpy), requests in flight at once (threads,
asyncio, trio), error classes, and the token file. The Blender side is
tests/test_scene_client_blender.py."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nngbridge
import nngbridge.scene as scene
from nngbridge import tokens
from nngbridge.scene import arrays

pytestmark = pytest.mark.timeout(60)
_n = itertools.count()


@pytest.fixture
def address(tmp_path: Path) -> str:
    return f"ipc://{tmp_path}/scene-{next(_n)}"


def ok(req: dict, result: Any) -> bytes:
    return nngbridge.packb({"v": 1, "id": req["id"], "ok": True, "result": result})


class Peer:
    """A Rep0 on ``address`` answering each request with ``answer(request)`` (bytes, or
    None for no answer) on its own thread."""

    def __init__(self, address: str, answer: Callable[[dict], bytes | None]) -> None:
        self.rep = nngbridge.Rep0(listen=address, recv_max_size=0)
        self.answer = answer
        self.requests: list[dict] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                req = nngbridge.unpackb(self.rep.recv())
            except nngbridge.Closed:
                return
            self.requests.append(req)
            out = self.answer(req)
            if out is not None:
                self.rep.send(out)

    def close(self) -> None:
        self.rep.close()
        self.thread.join(10)


def misbehaving(req: dict) -> bytes | None:
    cmd = req["cmd"]
    if cmd == "garbage":
        return b"\xc1 not MessagePack"
    if cmd == "not_a_map":
        return nngbridge.packb([1, 2, 3])
    if cmd == "wrong_id":
        return nngbridge.packb({"v": 1, "id": req["id"] + 1000, "ok": True, "result": 1})
    if cmd == "v2":
        return nngbridge.packb({"v": 2, "id": req["id"], "ok": True, "result": 1})
    if cmd == "no_result":
        return nngbridge.packb({"v": 1, "id": req["id"], "ok": True})
    if cmd == "bad_error":
        return nngbridge.packb({"v": 1, "id": req["id"], "ok": False, "error": "oops"})
    if cmd == "bad_array":
        return ok(req, {"dtype": "f4", "shape": [3], "data": b"\0" * 5})
    if cmd == "silence":
        return None
    if cmd.startswith("error."):
        code = cmd.split(".", 1)[1]
        return nngbridge.packb({"v": 1, "id": req["id"], "ok": False, "error": {
            "code": code, "message": f"{code} happened", "details": {"arg": "x"}}})
    return ok(req, req["args"])


@pytest.fixture
def peer(address: str) -> Iterator[Peer]:
    p = Peer(address, misbehaving)
    yield p
    p.close()


@pytest.mark.parametrize("cmd, words", [
    ("garbage", "not valid MessagePack"),
    ("not_a_map", "not a reply envelope"),
    ("wrong_id", "reply id"),
    ("v2", "protocol version 2"),
    ("no_result", "without a result"),
    ("bad_error", "not {code, message, details}"),
    ("bad_array", "needs 12 bytes, got 5"),
])
def test_a_broken_reply_raises_protocol_error_and_the_client_goes_on(peer, address, cmd,
                                                                    words):
    with scene.connect(address, token="t", timeout=10) as c:
        with pytest.raises(scene.ProtocolError, match=words):
            c.call(cmd)
        assert c.call("echo", n=1) == {"n": 1}


@pytest.mark.parametrize("code", sorted(scene.ERRORS))
def test_each_error_code_raises_its_class_with_details(peer, address, code):
    with scene.connect(address, token="t", timeout=10) as c:
        with pytest.raises(scene.ERRORS[code]) as info:
            c.call("error." + code)
    e = info.value
    assert isinstance(e, scene.SceneError)
    assert (e.code, e.message, e.details, e.cmd) == (code, f"{code} happened", {"arg": "x"},
                                                    "error." + code)
    assert code in str(e)


def test_the_error_classes_are_the_closed_list_of_the_protocol():
    text = (Path(__file__).resolve().parents[1] / "docs" / "protocol.md").read_text()
    table = text.split("### Error codes (closed list)")[1].split("\n\n")[1]
    codes = {line.split("`")[1] for line in table.splitlines()[2:]}
    assert set(scene.ERRORS) == codes
    assert scene.NotFound.code == "NOT_FOUND" and scene.TooLarge.code == "TOO_LARGE"


def test_an_unknown_code_is_a_plain_scene_error(peer, address):
    with scene.connect(address, token="t", timeout=10) as c:
        with pytest.raises(scene.SceneError) as info:
            c.call("error.SOMETHING_NEW")
    assert type(info.value) is scene.SceneError and info.value.code == "SOMETHING_NEW"


def test_no_reply_is_a_call_timeout_and_the_client_goes_on(peer, address):
    # Only the unanswered calls get the short timeout: a loaded machine may take longer
    # than that to connect or to answer a call that does get a reply.
    with scene.connect(address, token="t", timeout=30) as c:
        assert c.call("echo", n=1) == {"n": 1}
        c.timeout = 0.5
        with pytest.raises(scene.CallTimeout, match="no reply .* within 0.5 s; connected"):
            c.call("silence")
        with pytest.raises(nngbridge.Timeout):  # the core's class catches it too
            c.call("silence")
        c.timeout = 30
        assert c.call("echo", n=2) == {"n": 2}


def test_no_server_is_a_call_timeout_that_says_so(address):
    with scene.connect(address, token="t", timeout=0.3) as c:
        with pytest.raises(scene.CallTimeout, match="not connected"):
            c.call("session.ping")


def test_a_server_that_vanishes_mid_call_raises_connection_lost(address):
    got = threading.Event()

    def vanish(req: dict) -> None:
        got.set()
        return None

    first = Peer(address, vanish)
    with scene.connect(address, token="t", timeout=30) as c:
        outcome: list[BaseException] = []

        def call() -> None:
            try:
                c.call("render.still")
            except BaseException as e:  # noqa: BLE001 - the test looks at it
                outcome.append(e)

        t = threading.Thread(target=call)
        t.start()
        assert got.wait(10)
        first.close()  # the server goes away with the request unanswered
        t.join(20)
        assert not t.is_alive(), "the call waited for its whole timeout"
        assert isinstance(outcome[0], scene.ConnectionLost), outcome
        assert "may or may not have run" in str(outcome[0])
        second = Peer(address, misbehaving)  # a new server on the same address
        try:
            assert c.call("echo", back=True) == {"back": True}
        finally:
            second.close()


def test_the_token_file_of_the_exact_address_is_used(address, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    tokens.write_token(address, "from-the-file")
    p = Peer(address, misbehaving)
    try:
        with scene.connect(address, timeout=10) as c:
            c.call("echo")
        with scene.connect(address, token="given", timeout=10) as c:
            c.call("echo")
        tokens.remove_token(address, "from-the-file")
        with scene.connect(address, timeout=10) as c:
            c.call("echo")
    finally:
        p.close()
    assert [r.get("token") for r in p.requests] == ["from-the-file", "given", None]


def test_unauthorized_rereads_a_token_file_the_server_rewrote(address, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    tokens.write_token(address, "old")

    def strict(req: dict) -> bytes:
        if req.get("token") != "new":
            return nngbridge.packb({"v": 1, "id": req["id"], "ok": False, "error": {
                "code": "UNAUTHORIZED", "message": "wrong token", "details": None}})
        return ok(req, "pong")

    p = Peer(address, strict)
    try:
        with scene.connect(address, timeout=10) as c:
            with pytest.raises(scene.Unauthorized):
                c.call("session.ping")
            tokens.write_token(address, "new")  # the server restarted with a new token
            assert c.call("session.ping") == "pong"
    finally:
        p.close()


# ---- arrays ----------------------------------------------------------------------------

def _owner(a: np.ndarray) -> Any:
    base = a
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    return base.obj if isinstance(base, memoryview) else base


@pytest.mark.parametrize("dtype", ["<u1", "<i1", "<u2", "<i2", "<u4", "<i4", "<u8", "<i8",
                                   "<f2", "<f4", "<f8", "|b1"])
def test_numpy_arrays_go_and_come_back_with_dtype_and_shape(peer, address, dtype):
    small = (np.arange(24) % 2).astype(dtype).reshape(2, 3, 4)
    with scene.connect(address, token="t", timeout=10) as c:
        back = c.call("echo", a=small, nested=[{"b": small[0]}], scalar=np.float32(2.5)
                      if False else 2.5)
    assert back["a"].dtype == np.dtype(dtype) and back["a"].shape == (2, 3, 4)
    assert np.array_equal(back["a"], small)
    assert np.array_equal(back["nested"][0]["b"], small[0])
    wire = peer.requests[-1]["args"]["a"]
    assert wire["dtype"] == dtype[1:] and wire["shape"] == [2, 3, 4]
    assert wire["data"] == small.tobytes()


def test_a_large_array_views_the_received_message(peer, address):
    pixels = np.random.default_rng(1).random((540, 960, 4), dtype=np.float32)
    with scene.connect(address, token="t", timeout=10) as c:
        back = c.call("echo", pixels=pixels, label="frame")
    got = back["pixels"]
    assert np.array_equal(got, pixels) and back["label"] == "frame"
    if nngbridge._nng.BUFFER_PROTOCOL:  # cp311: no copy, a read-only view of the message
        assert isinstance(_owner(got), nngbridge.Message)
        assert not got.flags.writeable


def test_without_message_buffers_a_large_array_views_one_copy(peer, address, monkeypatch):
    # What the cp39 wheel does (its Message has no buffer protocol): one copy of the body.
    monkeypatch.setattr(arrays, "_VIEWS", False)
    pixels = np.arange(256 * 256 * 4, dtype=np.float32).reshape(256, 256, 4)
    with scene.connect(address, token="t", timeout=10) as c:
        back = c.call("echo", pixels=pixels, more=[pixels[::-1].copy()])
    assert np.array_equal(back["pixels"], pixels)
    assert np.array_equal(back["more"][0], pixels[::-1])
    owner = _owner(back["pixels"])
    assert type(owner) is bytes and owner is _owner(back["more"][0])  # one copy of the body


def test_arrays_the_protocol_cannot_carry_are_refused_with_what_it_can(peer, address):
    with scene.connect(address, token="t", timeout=10) as c:
        with pytest.raises(TypeError, match="little-endian u1, i1, .* f8, b1"):
            c.call("echo", a=np.zeros(3, dtype=np.complex64))
        with pytest.raises(TypeError, match="dtype '>f4'"):
            c.call("echo", a=np.zeros(3, dtype=">f4"))
        with pytest.raises(ValueError, match="ascontiguousarray"):
            c.call("echo", a=np.zeros((4, 4), dtype=np.float32)[:, ::2])
        assert c.call("echo", n=3) == {"n": 3}
    assert all(r["cmd"] == "echo" and "a" not in r["args"] for r in peer.requests)


def test_without_numpy_arrays_are_cast_memoryviews_both_ways(peer, address, monkeypatch):
    monkeypatch.setattr(arrays, "numpy", None)
    data = memoryview(np.arange(12, dtype=np.float32).tobytes()).cast("f", [3, 4])
    with scene.connect(address, token="t", timeout=10) as c:
        back = c.call("echo", a=data)
    got = back["a"]
    assert isinstance(got, memoryview) and got.format == "f" and got.shape == (3, 4)
    assert got.tolist() == data.tolist()


def test_arrays_false_leaves_the_protocol_maps(peer, address):
    with scene.connect(address, token="t", timeout=10, arrays=False) as c:
        back = c.call("echo", a=np.ones(2, dtype=np.float32))
    assert back["a"] == {"dtype": "f4", "shape": [2], "data": np.ones(2, np.float32).tobytes()}


# ---- many in flight --------------------------------------------------------------------

class Gathering:
    """A Rep0 that answers nothing until ``n`` requests are in, then all of them: a client
    that cannot keep ``n`` in flight never gets an answer."""

    def __init__(self, address: str, n: int) -> None:
        self.rep = nngbridge.Rep0(listen=address)
        self.n = n
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        ctxs = [self.rep.new_context() for _ in range(self.n)]
        reqs = [nngbridge.unpackb(ctx.recv()) for ctx in ctxs]
        for ctx, req in zip(ctxs, reqs):
            ctx.send(ok(req, req["args"]["i"]))

    def close(self) -> None:
        self.thread.join(10)
        self.rep.close()


def test_submit_keeps_many_requests_in_flight(address):
    g = Gathering(address, 8)
    with scene.connect(address, token="t", timeout=20, max_in_flight=8) as c:
        futures = [c.submit("session.ping", i=i) for i in range(8)]
        assert [f.result(30) for f in futures] == list(range(8))
    g.close()


def test_async_client_keeps_many_requests_in_flight_and_times_out(address):
    g = Gathering(address, 8)

    async def main() -> list[Any]:
        async with scene.AsyncClient(address, token="t", timeout=20) as c:
            got = await asyncio.gather(*(c.call("session.ping", i=i) for i in range(8)))
            c.timeout = 0.3
            with pytest.raises(scene.CallTimeout):
                await c.call("session.ping", i=99)
            return list(got)

    assert asyncio.run(main()) == list(range(8))
    g.close()


def test_async_client_under_trio(peer, address):
    import trio  # a test dependency (pyproject.toml)

    async def main() -> Any:
        async with scene.AsyncClient(address, token="t", timeout=10) as c:
            with pytest.raises(scene.ProtocolError):
                await c.call("garbage")
            return await c.call("echo", a=np.arange(3, dtype=np.int32))

    back = trio.run(main)
    assert back["a"].tolist() == [0, 1, 2]


def test_async_broken_replies_raise_and_the_client_goes_on(peer, address):
    async def main() -> Any:
        async with scene.AsyncClient(address, token="t", timeout=10) as c:
            with pytest.raises(scene.ProtocolError, match="reply id"):
                await c.call("wrong_id")
            with pytest.raises(scene.NotFound):
                await c.call("error.NOT_FOUND")
            with pytest.raises(scene.ProtocolError, match="not a batch report"):
                await c.batch([("a", {})])  # the peer echoes the arguments back
            return await c.call("echo", n=4)

    assert asyncio.run(main()) == {"n": 4}


def test_async_client_raises_connection_lost_when_the_server_vanishes(address):
    got = threading.Event()
    first = Peer(address, lambda req: got.set())  # receives, never answers

    async def main() -> Any:
        async with scene.AsyncClient(address, token="t", timeout=30) as c:
            call = asyncio.ensure_future(c.call("render.still"))
            await asyncio.get_running_loop().run_in_executor(None, got.wait, 10)
            first.close()
            with pytest.raises(scene.ConnectionLost):
                await asyncio.wait_for(call, 20)
            second = Peer(address, misbehaving)
            try:
                return await c.call("echo", back=1)
            finally:
                second.close()

    assert asyncio.run(main()) == {"back": 1}


# ---- events ----------------------------------------------------------------------------

def publish(pub: nngbridge.Pub0, topic: str, seq: int, data: Any) -> None:
    pub.send(topic.encode() + b"\0" + nngbridge.packb({"v": 1, "seq": seq, "topic": topic,
                                                       "data": data}))


def connected(pub: nngbridge.Pub0, stream: scene.EventStream, topic: str = "log") -> None:
    """Publishes ``topic`` probes until the stream gets one (the subscription is live),
    then one last probe, read up to: the probes a slow stream still had queued are gone
    with it, so the test's own events come next."""
    for _ in range(600):
        publish(pub, topic, 0, "probe")
        try:
            stream.next(timeout=0.05)
            break
        except nngbridge.Timeout:
            continue
    else:
        raise AssertionError("the subscriber never connected")
    publish(pub, topic, 0, "last probe")
    while stream.next(timeout=30).data != "last probe":
        pass
    stream._gaps.last_seq = None


def test_event_stream_reports_gaps_and_survives_garbage(address):
    with nngbridge.Pub0(listen=address) as pub, scene.EventStream(address) as stream:
        connected(pub, stream)
        publish(pub, "frame", 1, {"frame": 1})
        publish(pub, "frame", 2, {"frame": 2})
        pub.send(b"no separator")
        publish(pub, "frame", 5, {"frame": 5})
        assert stream.next(timeout=5) == scene.Event("frame", 1, {"frame": 1})
        assert stream.next(timeout=5).gap == 0
        with pytest.raises(scene.ProtocolError, match="NUL"):
            stream.next(timeout=5)
        e = stream.next(timeout=5)
        assert (e.seq, e.gap, stream.lost) == (5, 2, 2)
        publish(pub, "frame", 1, {"frame": 1})  # the publisher restarted
        assert stream.next(timeout=5).restarted
        with pytest.raises(nngbridge.Timeout):
            stream.next(timeout=0.05)


def test_event_stream_can_raise_at_a_gap_without_losing_the_event(address):
    with nngbridge.Pub0(listen=address) as pub, \
            scene.EventStream(address, ["job"], raise_on_gap=True) as stream:
        connected(pub, stream, "job")
        publish(pub, "job", 1, {"job": 1})
        publish(pub, "job", 4, {"job": 1, "state": "done"})
        assert stream.next(timeout=5).seq == 1
        with pytest.raises(scene.EventGap) as info:
            stream.next(timeout=5)
        assert info.value.missed == 2 and info.value.event.data["state"] == "done"
        publish(pub, "job", 5, {"job": 2})
        assert stream.next(timeout=5).seq == 5
