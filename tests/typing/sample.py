"""A typed program over nngbridge's public API; tests/test_stubs.py runs ``mypy --strict``
on it, so the stubs and the generated option declarations stay usable."""

from __future__ import annotations

import nngbridge
from nngbridge import _nng


def serve(address: str) -> bytes:
    with nngbridge.Rep0(listen=address, recv_timeout=1000) as rep, nngbridge.Req0(
        dial=address, resend_time=100
    ) as req:
        req.recv_timeout = 1000
        timeout: int = rep.recv_timeout
        nodelay: bool = req.tcp_nodelay
        max_size: int = req.recv_max_size
        req.send(b"ping")
        msg: nngbridge.Message = rep.recv_msg()
        pipe: nngbridge.Pipe | None = msg.pipe
        if pipe is not None:
            pipe_id: int = pipe.id
            pipe_max: int = pipe.recv_max_size
            cn: str = pipe.tls_peer_cn
            del pipe_id, pipe_max, cn
        rep.send(msg.bytes.upper())
        for listener in rep.listeners:
            port: int = listener.bound_port
            listener.tcp_nodelay = True
            del port
        for dialer in req.dialers:
            dialer.reconnect_time_min = 10
        del timeout, nodelay, max_size
        return req.recv()


def contexts(sock: nngbridge.Rep0) -> None:
    ctx: nngbridge.Context = sock.new_context()
    ctx.recv_timeout = 10
    ctx.resend_time = 5
    try:
        ctx.recv()
    except nngbridge.Timeout as e:
        code: int = e.errno
        del code
    finally:
        ctx.close()


def errors() -> dict[str, int]:
    return dict(_nng.ERRORS)


async def asynchronous(sock: nngbridge.Pair0) -> bytes:
    await sock.asend(b"x")
    return await sock.arecv()
