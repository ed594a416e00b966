"""pynng's async API (asend, arecv, asend_msg, arecv_msg on sockets, contexts and pipes)
under asyncio and trio, including cancellation: a cancelled arecv leaves the socket usable
and loses no message. Plain ``asyncio.run`` / ``trio.run``, no pytest plugin."""

from __future__ import annotations

import asyncio

import pytest
from conftest import connected_pipes

trio = pytest.importorskip("trio")

pytestmark = pytest.mark.timeout(30)


def run(backend, fn, *args):
    if backend == "asyncio":
        return asyncio.run(fn(*args))
    return trio.run(fn, *args)


async def gather(backend, *coros):
    if backend == "asyncio":
        return await asyncio.gather(*coros)
    results = [None] * len(coros)

    async def one(i, c):
        results[i] = await c

    async with trio.open_nursery() as nursery:
        for i, c in enumerate(coros):
            nursery.start_soon(one, i, c)
    return results


async def recv_with_timeout(backend, coro, seconds):
    """Await ``coro`` for at most ``seconds``; True when it was cancelled."""
    if backend == "asyncio":
        try:
            await asyncio.wait_for(coro, seconds)
        except asyncio.TimeoutError:
            return True
        return False
    with trio.move_on_after(seconds) as scope:
        await coro
    return scope.cancelled_caught


BACKENDS = pytest.mark.parametrize("backend", ["asyncio", "trio"])


@BACKENDS
def test_asend_arecv_round_trip(nng, inproc, backend):
    async def main():
        with nng.Pair0(listen=inproc) as a, nng.Pair0(dial=inproc) as b:
            await b.asend(b"hello")
            assert await a.arecv() == b"hello"
            await a.asend(b"back")
            assert await b.arecv() == b"back"

    run(backend, main)


@BACKENDS
def test_asend_msg_arecv_msg_with_pipe(nng, inproc, backend):
    async def main():
        with nng.Pair0(listen=inproc) as a, nng.Pair0(dial=inproc) as b:
            msg = nng.Message(b"as a message")
            await b.asend_msg(msg)
            with pytest.raises(nng.MessageStateError):
                await b.asend_msg(msg)
            got = await a.arecv_msg()
            assert isinstance(got, nng.Message) and got.bytes == b"as a message"
            assert got.pipe in a.pipes
            await got.pipe.asend(b"via pipe")
            assert await b.arecv() == b"via pipe"
            await connected_pipes(a)[0].asend_msg(nng.Message(b"pipe msg"))
            assert (await b.arecv_msg()).bytes == b"pipe msg"

    run(backend, main)


@BACKENDS
def test_cancelled_arecv_leaves_the_socket_usable(nng, inproc, backend):
    async def main():
        with nng.Pair0(listen=inproc) as a, nng.Pair0(dial=inproc) as b:
            assert await recv_with_timeout(backend, a.arecv(), 0.1) is True
            assert await recv_with_timeout(backend, a.arecv_msg(), 0.05) is True
            # The cancelled receives took nothing: the next message reaches the next arecv.
            await b.asend(b"after cancel")
            assert await a.arecv() == b"after cancel"
            b.send(b"sync too")
            assert a.recv() == b"sync too"

    run(backend, main)


@BACKENDS
def test_async_req_rep_with_many_contexts_in_flight(nng, inproc, backend):
    n = 10

    async def main():
        with nng.Rep0(listen=inproc) as rep, nng.Req0(dial=inproc) as req:

            async def serve(ctx):
                request = await ctx.arecv()
                await ctx.asend(b"re:" + request)

            async def ask(ctx, i):
                await ctx.asend(b"q%d" % i)
                return await ctx.arecv()

            servers = [serve(rep.new_context()) for _ in range(n)]
            clients = [ask(req.new_context(), i) for i in range(n)]
            results = await gather(backend, *servers, *clients)
            assert results[n:] == [b"re:q%d" % i for i in range(n)]

    run(backend, main)


@BACKENDS
def test_context_asend_msg_arecv_msg(nng, inproc, backend):
    async def main():
        with nng.Rep0(listen=inproc) as rep, nng.Req0(dial=inproc) as req:
            qctx, rctx = req.new_context(), rep.new_context()
            await qctx.asend_msg(nng.Message(b"ping"))
            msg = await rctx.arecv_msg()
            assert msg.bytes == b"ping" and isinstance(msg.pipe, nng.Pipe)
            await rctx.asend_msg(nng.Message(b"pong"))
            assert (await qctx.arecv_msg()).bytes == b"pong"
            # Close before the socket: pynng's Context.__del__ raises Closed otherwise.
            qctx.close()
            rctx.close()

    run(backend, main)


@BACKENDS
def test_arecv_on_closed_socket_raises_closed(nng, backend):
    async def main():
        s = nng.Pull0()
        s.close()
        with pytest.raises(nng.Closed):
            await s.arecv()

    run(backend, main)


@BACKENDS
def test_arecv_honours_recv_timeout(nng, backend):
    async def main():
        with nng.Pull0(recv_timeout=50) as s, pytest.raises(nng.Timeout):
            await s.arecv()

    run(backend, main)


def test_asend_rejects_str(nng):
    async def main():
        with nng.Pair0() as s, pytest.raises(ValueError):
            await s.asend("str")

    asyncio.run(main())


@pytest.mark.nngbridge_only
@BACKENDS
def test_async_with_closes_the_socket(nngbridge, inproc, backend):
    # pynng 0.9.0 sockets have no __aenter__; nngbridge adds it.
    async def main():
        async with nngbridge.Pair0(listen=inproc) as a, nngbridge.Pair0(dial=inproc) as b:
            await b.asend(b"x")
            assert await a.arecv() == b"x"
        with pytest.raises(nngbridge.Closed):
            a.recv(block=False)

    run(backend, main)
