"""The scene server: one ``pump`` that receives without blocking, runs commands within a
time budget, replies, and publishes events. The GUI runs it from a persistent
``bpy.app.timers`` callback; ``blender -b`` (where timers never fire) from a main-thread
loop. NNG's threads never touch bpy: everything here runs on Blender's main thread.
"""

from __future__ import annotations

import re
import selectors
import time
from typing import Any

import nngbridge

from . import registry
from .commands import session

DEFAULT_ADDRESS = "tcp://127.0.0.1:5555"
DEFAULT_EVENTS = "tcp://127.0.0.1:5556"
MAX_MESSAGE = 64 << 20
_LOCAL = re.compile(r"^(ipc|inproc|abstract)://|^tcp://(127\.\d+\.\d+\.\d+|localhost|\[::1\]):")


def check_local(address: str, allow_remote: bool) -> None:
    if not allow_remote and not _LOCAL.match(address):
        raise ValueError(f"{address} is not a loopback or ipc address; pass allow_remote=True "
                         "(and set a token) to serve other machines")


class Server:
    """Serves the protocol on ``address`` (Rep0) and publishes events on ``events`` (Pub0)."""

    def __init__(self, address: str = DEFAULT_ADDRESS, *, events: str | None = None,
                 token: str | None = None, allow_exec: bool = False,
                 allow_remote: bool = False, max_message: int = MAX_MESSAGE) -> None:
        check_local(address, allow_remote)
        if events:
            check_local(events, allow_remote)
        self.address = address
        self.events_address = events
        self.token = token or None
        self.served = 0
        self.running = True
        self.seq = 0
        self.rep = nngbridge.Rep0(recv_max_size=max_message)
        self.rep.listen(address)
        self.pub = None
        if events:
            self.pub = nngbridge.Pub0()
            self.pub.listen(events)
        session.STATE.update(allow_exec=allow_exec, shutdown=self.request_stop, events=events,
                             max_message=max_message)

    @property
    def clients(self) -> int:
        return len(self.rep.pipes)

    def request_stop(self) -> None:
        self.running = False

    def answer(self, raw: bytes) -> dict[str, Any]:
        """One request's bytes to one reply map; never raises."""
        try:
            request = nngbridge.unpackb(raw)
        except (ValueError, TypeError) as e:
            return registry.error(None, "BAD_REQUEST", f"not a MessagePack request: {e}")
        return registry.dispatch(request, token=self.token)

    def reply(self, reply: dict[str, Any]) -> None:
        """Packs the reply straight into the outgoing message (pixels are copied once)."""
        try:
            self.rep.send_packed(reply)
        except (TypeError, ValueError, OverflowError) as e:
            failure = registry.error(reply.get("id"), "INTERNAL", f"unencodable result: {e}")
            self.rep.send_packed(failure)

    def pump(self, budget_ms: float = 4.0) -> int:
        """Answers waiting requests for at most ``budget_ms``; returns how many."""
        deadline = time.perf_counter() + budget_ms / 1000.0
        handled = 0
        while self.running:
            try:
                raw = self.rep.recv(block=False)
            except nngbridge.TryAgain:
                break
            try:
                self.reply(self.answer(raw))
            except nngbridge.NNGException:
                pass  # the client went away; nothing to answer
            handled += 1
            self.served += 1
            if time.perf_counter() >= deadline:
                break
        return handled

    def publish(self, topic: str, data: Any) -> None:
        """Publishes one event (docs/protocol.md §9)."""
        if self.pub is None:
            return
        self.seq += 1
        body = nngbridge.packb({"v": 1, "seq": self.seq, "topic": topic, "data": data})
        try:
            self.pub.send(topic.encode() + b"\0" + body, block=False)
        except nngbridge.NNGException:
            pass  # events are best effort; seq shows subscribers what they missed

    def close(self) -> None:
        self.running = False
        self.rep.close()
        if self.pub is not None:
            self.pub.close()

    def serve_forever(self, poll_ms: float = 50.0) -> None:
        """The background-mode loop: wait for the socket, pump, until shutdown."""
        sel = selectors.DefaultSelector()
        sel.register(self.rep.recv_fd, selectors.EVENT_READ)
        try:
            while self.running:
                sel.select(timeout=poll_ms / 1000.0)
                self.pump(budget_ms=poll_ms)
        finally:
            sel.close()
