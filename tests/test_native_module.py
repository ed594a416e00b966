"""nngbridge's own guarantees beyond pynng, against real NNG sockets in this process and
real pynng in another: zero-copy bodies, any-buffer sends, recv_into, GIL release,
Ctrl+C, garbage collection, clean exit, async on asyncio and trio."""

from __future__ import annotations

import array
import asyncio
import gc
import signal
import subprocess
import sys
import textwrap
import threading
import time
import weakref

import pytest

import nngbridge

HAS_BUFFER = nngbridge._nng.BUFFER_PROTOCOL


@pytest.fixture
def pair(request):
    url = f"inproc://{request.node.name}"
    with nngbridge.Pair0(listen=url, recv_timeout=5000) as a, nngbridge.Pair0(
        dial=url, recv_timeout=5000
    ) as b:
        yield a, b


def run_child(code: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_send_takes_any_contiguous_buffer(pair):
    np = pytest.importorskip("numpy")
    a, b = pair
    sources = [
        b"bytes",
        bytearray(b"bytearray"),
        memoryview(b"xmemoryview")[1:],
        array.array("i", [1, 2, 3]),
        np.arange(6, dtype=np.float32).reshape(2, 3),
    ]
    for src in sources:
        b.send(src)
        assert a.recv() == bytes(memoryview(src).cast("B"))
    with pytest.raises(ValueError, match="encode"):
        b.send("a str is not bytes")
    with pytest.raises(TypeError):
        b.send(12345)


@pytest.mark.skipif(not HAS_BUFFER, reason="buffer protocol needs the cp311-abi3 build")
def test_received_message_body_is_a_zero_copy_view(pair):
    np = pytest.importorskip("numpy")
    a, b = pair
    b.send(np.arange(4, dtype=np.float32))
    msg = a.recv_msg()
    view = memoryview(msg)
    assert view.readonly
    arr = np.frombuffer(msg, dtype=np.float32)
    assert arr.tolist() == [0.0, 1.0, 2.0, 3.0]
    # Two views share one address: the body is not copied.
    again = np.frombuffer(msg, dtype=np.float32)
    assert arr.__array_interface__["data"][0] == again.__array_interface__["data"][0]
    # While a view is alive the message cannot be handed to NNG (it would free the body).
    with pytest.raises(nngbridge.MessageStateError):
        a.send_msg(msg)
    del view, arr, again
    gc.collect()
    a.send_msg(msg)
    assert b.recv() == np.arange(4, dtype=np.float32).tobytes()


def test_recv_into_fills_a_callers_buffer(pair):
    a, b = pair
    b.send(b"hello")
    buf = bytearray(16)
    assert a.recv_into(buf) == 5
    assert buf[:5] == b"hello"
    b.send(b"0123456789")
    with pytest.raises(ValueError, match="too small"):
        a.recv_into(bytearray(4))


def test_message_is_sent_once(pair):
    a, b = pair
    msg = nngbridge.Message(b"once")
    b.send_msg(msg)
    assert a.recv() == b"once"
    with pytest.raises(nngbridge.MessageStateError):
        b.send_msg(msg)


def test_blocking_recv_releases_the_gil():
    with nngbridge.Pull0(listen="inproc://gil", recv_timeout=3000) as pull:
        counted = []
        started = threading.Event()

        def count():
            started.set()
            n = 0
            t_end = time.monotonic() + 0.3
            while time.monotonic() < t_end:
                n += 1
            counted.append(n)

        def blocked():
            started.wait()
            with pytest.raises(nngbridge.Timeout):
                pull.recv()

        t = threading.Thread(target=blocked)
        t.start()
        count()
        t.join()
        # A thread holding the GIL in recv would have stopped the counter cold.
        assert counted[0] > 10_000


@pytest.mark.parametrize("call", ["recv", "send", "ctx_recv"])
def test_ctrl_c_interrupts_a_blocking_call_within_100ms(call):
    setup = {
        "recv": "s = nngbridge.Pull0(); op = s.recv",
        "send": "s = nngbridge.Push0(); op = lambda: s.send(b'x')",
        "ctx_recv": "s = nngbridge.Rep0(); c = s.new_context(); op = c.recv",
    }[call]
    res = run_child(
        f"""
        import os, signal, threading, time, nngbridge
        {setup}
        fired = []
        def fire():
            time.sleep(0.3)
            fired.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGINT)
        threading.Thread(target=fire).start()
        try:
            op()
        except KeyboardInterrupt:
            print("interrupted after", (time.monotonic() - fired[0]) * 1000)
        """
    )
    assert res.returncode == 0, res.stderr
    assert "interrupted after" in res.stdout, res.stdout + res.stderr
    ms = float(res.stdout.split()[-1])
    assert ms < 100


def test_closing_from_another_thread_wakes_a_blocked_recv():
    s = nngbridge.Pull0()
    timer = threading.Timer(0.2, s.close)
    timer.start()
    with pytest.raises(nngbridge.Closed):
        s.recv()
    timer.join()


def test_unreferenced_sockets_are_collected_and_free_their_address():
    url = "tcp://127.0.0.1:0"
    s = nngbridge.Pair0(listen=url)
    port_url = s.listeners[0].url
    ref = weakref.ref(s)
    del s
    gc.collect()
    assert ref() is None
    with nngbridge.Pair0(listen=port_url):
        pass


def test_no_crash_or_hang_at_exit_with_pending_operations():
    res = run_child(
        """
        import asyncio, threading, nngbridge
        a = nngbridge.Pull0(listen="inproc://exit")
        threading.Thread(target=a.recv, daemon=True).start()
        b = nngbridge.Rep0(listen="tcp://127.0.0.1:0")
        c = nngbridge.Req0(dial=b.listeners[0].url)
        c.send(b"pending request")
        async def main():
            t = asyncio.ensure_future(a.arecv())
            await asyncio.sleep(0.05)
        asyncio.run(main())
        kept = nngbridge.Pair0()
        print("done")
        """,
        timeout=20,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "done"


def test_recv_fd_works_with_selectors(pair):
    import selectors

    a, b = pair
    sel = selectors.DefaultSelector()
    sel.register(a.recv_fd, selectors.EVENT_READ)
    assert sel.select(timeout=0.05) == []
    b.send(b"ready")
    assert len(sel.select(timeout=5)) == 1
    assert a.recv(block=False) == b"ready"
    sel.close()


def test_asyncio_send_recv_cancel_and_async_iteration():
    async def main():
        with nngbridge.Pair0(listen="inproc://aio") as a, nngbridge.Pair0(dial="inproc://aio") as b:
            await b.asend(b"one")
            assert await a.arecv() == b"one"
            task = asyncio.ensure_future(a.arecv())
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await b.asend(b"two")
            got = []
            async for msg in a:
                got.append(msg.bytes)
                if len(got) == 2:
                    break
                await b.asend(b"three")
            assert got == [b"two", b"three"]

    asyncio.run(main())


def test_trio_send_recv_and_cancel():
    trio = pytest.importorskip("trio")

    async def main():
        with nngbridge.Pair0(listen="inproc://trio") as a, nngbridge.Pair0(
            dial="inproc://trio"
        ) as b:
            await b.asend(b"one")
            assert await a.arecv() == b"one"
            with trio.move_on_after(0.05) as scope:
                await a.arecv()
            assert scope.cancelled_caught
            await b.asend(b"two")
            assert await a.arecv() == b"two"

    trio.run(main)


def test_many_contexts_in_flight_asyncio():
    async def main():
        with nngbridge.Rep0(listen="inproc://ctxs") as rep, nngbridge.Req0(
            dial="inproc://ctxs"
        ) as req:

            async def serve():
                ctx = rep.new_context()
                while True:
                    msg = await ctx.arecv_msg()
                    await ctx.asend(msg.bytes.upper())

            servers = [asyncio.ensure_future(serve()) for _ in range(4)]

            async def ask(i):
                ctx = req.new_context()
                await ctx.asend(b"q%d" % i)
                return await ctx.arecv()

            answers = await asyncio.gather(*(ask(i) for i in range(16)))
            assert answers == [b"Q%d" % i for i in range(16)]
            for s in servers:
                s.cancel()

    asyncio.run(main())


def test_wire_interop_with_real_pynng_both_ways(tmp_path):
    pytest.importorskip("pynng")
    url = f"ipc://{tmp_path}/interop"
    with nngbridge.Rep0(listen=url, recv_timeout=10000) as rep:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import pynng; s = pynng.Req0(dial={url!r}, recv_timeout=10000); "
                "s.send(b'from pynng'); print(s.recv().decode())",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert rep.recv() == b"from pynng"
        rep.send(b"from nngbridge")
        out, _ = child.communicate(timeout=20)
    assert out.strip() == "from nngbridge"


def test_signal_module_state_is_untouched():
    # Blocking calls run Python's own handlers; they never install handlers.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
