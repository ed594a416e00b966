"""pynng 1.0's additions (its master branch: ``test_async_ergonomics.py``,
``test_context_options.py``), which pynng 0.9.0 lacks: ``aclose()`` and ``async with``
on sockets, contexts, dialers and listeners, ``async for`` over a context, and options
per context. Behaviour 0.9.0 programs rely on is unchanged (issue 10)."""

from __future__ import annotations

import asyncio

import pytest
import trio
from conftest import connected_pipes

pytestmark = pytest.mark.nngbridge_only

BACKENDS = ["asyncio", "trio"]


def run(backend, coro_fn):
    return asyncio.run(coro_fn()) if backend == "asyncio" else trio.run(coro_fn)


@pytest.mark.parametrize("backend", BACKENDS)
def test_endpoints_close_at_the_end_of_async_with(nng, inproc, backend):
    async def main():
        with nng.Pair0(recv_timeout=5000) as server, nng.Pair0(recv_timeout=5000) as client:
            async with server.listen(inproc) as listener:
                assert server.listeners == (listener,)
                async with client.dial(inproc, block=True) as dialer:
                    assert client.dialers == (dialer,)
                    await client.asend(b"through the dialer")
                    assert await server.arecv() == b"through the dialer"
                assert client.dialers == ()
            assert server.listeners == ()

    run(backend, main)


@pytest.mark.parametrize("backend", BACKENDS)
def test_aclose_closes_sockets_contexts_and_endpoints(nng, inproc, backend):
    async def main():
        sock = nng.Rep0()
        listener = sock.listen(inproc)
        await listener.aclose()
        assert sock.listeners == ()
        ctx = sock.new_context()
        await ctx.aclose()
        with pytest.raises(nng.Closed):
            ctx.recv()
        await sock.aclose()
        with pytest.raises(nng.Closed):
            sock.recv()

    run(backend, main)


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_for_over_a_context_ends_when_it_is_closed(nng, inproc, backend):
    async def main():
        with nng.Rep0(listen=inproc) as rep, nng.Req0(dial=inproc) as req:
            connected_pipes(rep)
            got = []
            async with rep.new_context() as ctx:
                await req.asend(b"question")
                async for msg in ctx:
                    got.append(msg.bytes)
                    await ctx.asend(b"answer")
                    assert await req.arecv() == b"answer"
                    await ctx.aclose()
            assert got == [b"question"]

    run(backend, main)


def test_context_timeouts_are_the_contexts_own(nng, inproc):
    with nng.Rep0(listen=inproc) as sock:
        first, second = sock.new_context(), sock.new_context()
        assert (first.recv_timeout, first.send_timeout) == (-1, -1)
        first.recv_timeout, second.recv_timeout = 50, 500
        first.send_timeout, second.send_timeout = 100, 1000
        assert (first.recv_timeout, second.recv_timeout) == (50, 500)
        assert (first.send_timeout, second.send_timeout) == (100, 1000)
        assert (sock.recv_timeout, sock.send_timeout) == (-1, -1)
        first.recv_timeout = 1
        with pytest.raises(nng.Timeout):
            first.recv()
