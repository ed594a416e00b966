"""Nothing leaks: 10,000 sockets opened and dropped, 100,000 messages sent and received
(plain, as Message, and through asyncio) leave resident memory flat."""

from __future__ import annotations

import asyncio
import gc

import pytest

import nngbridge

psutil = pytest.importorskip("psutil")

# Allocator noise on a warm process stays well under this; a leak of even 100 bytes
# per socket or per message would exceed it (1 MB and 10 MB).
FLAT_MIB = 8.0


def rss_mib() -> float:
    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


@pytest.mark.timeout(300)
def test_ten_thousand_sockets_leave_memory_flat():
    for i in range(1000):
        nngbridge.Pair0(listen=f"inproc://warm{i % 4}").close()
    before = rss_mib()
    for i in range(10_000):
        s = nngbridge.Pair0(listen=f"inproc://leak{i % 8}")
        del s
    assert rss_mib() - before < FLAT_MIB


@pytest.mark.timeout(300)
def test_hundred_thousand_messages_leave_memory_flat():
    with nngbridge.Pair0(listen="inproc://msgs") as a, nngbridge.Pair0(dial="inproc://msgs") as b:
        payload = b"x" * 256
        for _ in range(10_000):
            b.send(payload)
            a.recv()
        before = rss_mib()
        for i in range(100_000):
            if i % 2:
                b.send(payload)
                assert len(a.recv()) == 256
            else:
                b.send_msg(nngbridge.Message(payload))
                m = a.recv_msg()
                assert len(m.bytes) == 256 and m.pipe is not None
        assert rss_mib() - before < FLAT_MIB

    async def ping(n):
        with nngbridge.Pair0(listen="inproc://amsgs") as a, nngbridge.Pair0(
            dial="inproc://amsgs"
        ) as b:
            for _ in range(n):
                await b.asend(payload)
                await a.arecv()

    asyncio.run(ping(5_000))
    before = rss_mib()
    asyncio.run(ping(20_000))
    assert rss_mib() - before < FLAT_MIB
