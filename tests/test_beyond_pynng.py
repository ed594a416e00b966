"""What nngbridge does beyond pynng 0.9.0 (nngbridge only; docs/pynng-compat.md,
"Beyond pynng"): sending from any buffer, zero-copy Message views, recv_into, blocking
calls that release the GIL and yield to Ctrl+C, garbage-collected sockets, a clean
interpreter exit with calls pending, and ``async for`` over a socket."""

from __future__ import annotations

import array
import asyncio
import gc
import os
import signal
import subprocess
import sys
import threading
import weakref

import pytest
from conftest import PEERS, PYTHON, child_env, free_tcp_port, wait_until_asleep

np = pytest.importorskip("numpy")

pytestmark = [pytest.mark.nngbridge_only, pytest.mark.timeout(30)]
BUFFER_PROTOCOL = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="the limited API has Py_buffer from 3.11"
)


@pytest.fixture
def pair(nngbridge, inproc):
    with nngbridge.Pair0(listen=inproc) as a, nngbridge.Pair0(dial=inproc) as b:
        yield a, b


@pytest.mark.parametrize(
    "make",
    [
        lambda p: p,
        bytearray,
        memoryview,
        lambda p: memoryview(bytearray(p))[2:-2],
        lambda p: np.frombuffer(p, dtype=np.uint8).copy(),
        lambda p: array.array("B", p),
    ],
    ids=["bytes", "bytearray", "memoryview", "memoryview-slice", "numpy", "array"],
)
def test_send_takes_any_contiguous_buffer(pair, make, nngbridge):
    a, b = pair
    payload = bytes(range(64))
    data = make(payload)
    expected = bytes(data)
    b.send(data)
    assert a.recv() == expected
    assert nngbridge.Message(make(payload)).bytes == expected


def test_send_numpy_float_array_and_read_it_back(pair):
    a, b = pair
    arr = np.linspace(0, 1, 1000, dtype=np.float32)
    b.send(arr)
    back = np.frombuffer(a.recv_msg(), dtype=np.float32)
    assert np.array_equal(back, arr)


@BUFFER_PROTOCOL
def test_received_message_is_a_read_only_zero_copy_buffer(pair):
    a, b = pair
    payload = b"zero copy " * 100
    b.send(payload)
    msg = a.recv_msg()
    view = memoryview(msg)
    assert view.readonly
    assert view.nbytes == len(payload) and bytes(view) == payload
    assert len(msg) == len(payload)
    first = np.frombuffer(msg, dtype=np.uint8)
    second = np.frombuffer(msg, dtype=np.uint8)
    addr = first.__array_interface__["data"][0]
    assert addr == second.__array_interface__["data"][0]  # both views see the NNG body
    assert not first.flags.writeable
    with pytest.raises(TypeError):
        view[0] = 1
    view.release()


@BUFFER_PROTOCOL
def test_sending_a_message_while_viewed_is_refused(pair, nngbridge):
    a, b = pair
    b.send(b"held")
    msg = a.recv_msg()
    view = memoryview(msg)
    with pytest.raises(nngbridge.MessageStateError):
        a.send_msg(msg)
    view.release()
    a.send_msg(msg)
    assert b.recv() == b"held"


@BUFFER_PROTOCOL
def test_alloc_message_is_filled_in_place_then_sent_without_a_copy(pair, nngbridge):
    a, b = pair
    msg = nngbridge.Message.alloc(4 * 1000)
    assert msg.bytes == bytes(4000)  # zeroed
    floats = np.frombuffer(msg, dtype=np.float32)
    assert floats.flags.writeable
    floats[:] = np.arange(1000, dtype=np.float32)
    with pytest.raises(nngbridge.MessageStateError):
        b.send_msg(msg)  # not while the array still views it
    del floats
    b.send_msg(msg)
    assert np.array_equal(np.frombuffer(a.recv(), dtype=np.float32), np.arange(1000))
    with pytest.raises(nngbridge.MessageStateError):
        memoryview(msg)  # sent: its memory is gone


BIG = 8 << 20  # served from the cache of large buffers (1 MiB and up)


def test_large_buffers_are_reused_and_never_show_old_bytes(nngbridge, ipc_addr):
    old = nngbridge.set_buffer_cache_limit(64 << 20)
    try:
        with nngbridge.Pair0(listen=ipc_addr) as a, nngbridge.Pair0(dial=ipc_addr) as b:
            for fill in (0xAB, 0x5C):
                b.send(bytes([fill]) * BIG)
                msg = a.recv_msg()
                assert len(msg.bytes) == BIG and msg.bytes == bytes([fill]) * BIG
                del msg  # its buffer goes back to the cache, not to the kernel
                assert nngbridge.buffer_cache_size() >= BIG
            # A new message in a reused (dirty) buffer reads as zeroes.
            assert nngbridge.Message.alloc(BIG).bytes == bytes(BIG)
    finally:
        nngbridge.set_buffer_cache_limit(old)


def test_buffer_cache_limit_zero_keeps_nothing(nngbridge, ipc_addr):
    old = nngbridge.set_buffer_cache_limit(0)
    try:
        assert nngbridge.buffer_cache_limit() == 0
        assert nngbridge.buffer_cache_size() == 0
        with nngbridge.Pair0(listen=ipc_addr) as a, nngbridge.Pair0(dial=ipc_addr) as b:
            b.send(bytes(BIG))
            assert len(a.recv()) == BIG
        assert nngbridge.buffer_cache_size() == 0
    finally:
        assert nngbridge.set_buffer_cache_limit(old) == 0
    assert nngbridge.buffer_cache_limit() == old


def test_recv_into_fills_the_buffer_and_returns_the_size(pair, nngbridge):
    a, b = pair
    buf = bytearray(100)
    b.send(b"twelve bytes")
    n = a.recv_into(buf)
    assert n == 12 and bytes(buf[:n]) == b"twelve bytes"
    target = np.zeros(16, dtype=np.uint8)
    b.send(bytes(range(16)))
    assert a.recv_into(target) == 16
    assert list(target) == list(range(16))
    with pytest.raises(nngbridge.TryAgain):
        a.recv_into(buf, block=False)
    b.send(b"x" * 200)
    with pytest.raises(ValueError):
        a.recv_into(buf)  # too small
    with pytest.raises(TypeError):
        a.recv_into(b"read-only bytes", block=False)  # checked before waiting


def _blocked_call_lets_other_threads_run(block_call, wake):
    """``block_call`` blocks (its timeout is long) until ``wake`` closes the socket. If it
    held the GIL, this thread could not run again until it timed out (well within the
    test's 30 s limit), and it would end in Timeout instead of Closed."""
    started, done, ending = threading.Event(), threading.Event(), []

    def blocker():
        started.set()
        try:
            block_call()
        except Exception as e:  # noqa: BLE001 - the ending is the value checked
            ending.append(type(e).__name__)
        done.set()

    t = threading.Thread(target=blocker)
    t.start()
    assert started.wait(30)
    # Gives the blocker the GIL to enter its call; it never returns before wake().
    assert not done.wait(0.2), ending
    wake()
    t.join(30)
    assert not t.is_alive()
    assert ending == ["Closed"]


def test_blocking_recv_releases_the_gil(nngbridge):
    s = nngbridge.Pull0(recv_timeout=20_000)
    _blocked_call_lets_other_threads_run(s.recv, s.close)


def test_blocking_send_releases_the_gil(nngbridge):
    s = nngbridge.Push0(send_timeout=20_000)
    _blocked_call_lets_other_threads_run(lambda: s.send(b"x"), s.close)


def test_blocking_context_recv_releases_the_gil(nngbridge):
    s = nngbridge.Rep0(recv_timeout=20_000)
    ctx = s.new_context()
    _blocked_call_lets_other_threads_run(ctx.recv, s.close)


@pytest.mark.parametrize("call", ["recv", "send", "ctx_recv"])
def test_ctrl_c_interrupts_a_blocking_call(call):
    child = subprocess.Popen(
        [PYTHON, str(PEERS / "blocked_recv.py"), "nngbridge", call],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
    )
    try:
        line = child.stdout.readline()
        assert line.startswith("READY"), line + child.stderr.read()
        # The signal goes in only once the child is asleep inside the call, so it is the
        # call (not the bytecode before it) that must turn it into KeyboardInterrupt.
        wait_until_asleep(child.pid, int(line.split()[1]))
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert out.split() == ["INTERRUPTED"], out + err
    assert child.returncode == 0


def test_blocking_call_leaves_the_sigint_handler_alone(nngbridge):
    # A blocking call must run whatever handler Python has, never install its own: read
    # the handler while the main thread is asleep in recv, and after.
    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    s = nngbridge.Pull0(recv_timeout=20_000)
    seen = []

    def look_then_close():
        wait_until_asleep(os.getpid(), threading.main_thread().native_id)
        seen.append(signal.getsignal(signal.SIGINT))
        s.close()

    t = threading.Thread(target=look_then_close)
    try:
        t.start()
        with pytest.raises(nngbridge.Closed):
            s.recv()
        t.join(30)
        assert seen == [handler]
        assert signal.getsignal(signal.SIGINT) is handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_unreferenced_socket_is_collected_and_its_address_reusable(nngbridge):
    url = f"tcp://127.0.0.1:{free_tcp_port()}"
    s = nngbridge.Rep0(listen=url)
    peer = nngbridge.Req0(dial=url)
    s.add_post_pipe_connect_cb(lambda pipe: None)
    ref = weakref.ref(s)
    del s
    gc.collect()
    assert ref() is None, "socket kept alive after its last reference went"
    with nngbridge.Rep0(listen=url) as again:
        peer.send(b"to the new listener")
        assert again.recv() == b"to the new listener"
    peer.close()


def test_unreferenced_sockets_with_pipes_and_contexts_are_collected(nngbridge, inproc):
    refs = []
    for _ in range(20):
        a = nngbridge.Rep0(listen=inproc)
        b = nngbridge.Req0(dial=inproc)
        ctx = b.new_context()
        ctx.send(b"q")
        a.recv_msg()
        refs += [weakref.ref(a), weakref.ref(b)]
        del a, b, ctx
        gc.collect()
    assert all(r() is None for r in refs)


def test_interpreter_exit_with_pending_calls_is_clean():
    # Crashes at exit are intermittent (pynng 0.9.0 itself aborts in ~1 run of 4), so
    # run the child several times.
    for _ in range(10):
        child = subprocess.run(
            [PYTHON, str(PEERS / "exit_with_pending.py"), "nngbridge"],
            capture_output=True, text=True, timeout=20, env=child_env(),
        )
        assert child.stdout.strip() == "READY", child.stdout + child.stderr
        assert child.returncode == 0, f"exit code {child.returncode}: {child.stderr}"
        assert "Fatal" not in child.stderr and "Traceback" not in child.stderr, child.stderr


@pytest.mark.timeout(15)
def test_async_for_yields_messages_until_the_socket_closes(nngbridge, inproc):
    async def main():
        # Room for the three messages sent before anything is received (with pynng's
        # default buffers the third send would wait for a receive, in pynng too).
        a = nngbridge.Pair0(listen=inproc, recv_buffer_size=8)
        with nngbridge.Pair0(dial=inproc) as b:
            for i in range(3):
                b.send(b"m%d" % i)
            got = []
            async for msg in a:
                assert isinstance(msg, nngbridge.Message)
                assert isinstance(msg.pipe, nngbridge.Pipe)
                got.append(msg.bytes)
                if len(got) == 3:
                    asyncio.get_running_loop().call_soon(a.close)
            return got

    assert asyncio.run(asyncio.wait_for(main(), 10)) == [b"m0", b"m1", b"m2"]


@pytest.mark.timeout(15)
def test_async_for_under_trio(nngbridge, inproc):
    trio = pytest.importorskip("trio")

    async def main():
        with nngbridge.Pair0(listen=inproc, recv_buffer_size=8) as a, nngbridge.Pair0(
            dial=inproc
        ) as b:
            for i in range(3):
                b.send(b"t%d" % i)
            got = []
            with trio.fail_after(10):
                async for msg in a:
                    got.append(bytes(msg.bytes))
                    if len(got) == 3:
                        break
            return got

    assert trio.run(main) == [b"t0", b"t1", b"t2"]
