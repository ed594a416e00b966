"""Event streams (docs/protocol.md §9): a Sub0 subscription with gap detection by ``seq``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import nngbridge

from .arrays import ProtocolError, arrays_in


class Event(NamedTuple):
    """One event. ``gap``: how many events (by ``seq``) were lost right before it — or
    were of topics this stream does not subscribe to; ``restarted``: ``seq`` went back,
    so the publisher restarted."""

    topic: str
    seq: int
    data: Any
    gap: int = 0
    restarted: bool = False


class _Gaps:
    """Parses event messages and follows ``seq``."""

    def __init__(self, raise_on_gap: bool) -> None:
        self.raise_on_gap = raise_on_gap
        self.last_seq: int | None = None
        self.lost = 0

    def parse(self, body: bytes) -> Event:
        from .errors import EventGap

        topic_bytes, nul, rest = body.partition(b"\0")
        if not nul:
            raise ProtocolError("an event without the NUL after its topic")
        try:
            topic = topic_bytes.decode("ascii")
            value = nngbridge.unpackb(rest)
        except (UnicodeDecodeError, ValueError, TypeError) as e:
            raise ProtocolError(f"an event that is not topic NUL MessagePack: {e}") from None
        if type(value) is not dict or type(value.get("seq")) is not int or \
                value.get("v") != 1 or "data" not in value:
            raise ProtocolError(f"not an event {{v: 1, seq, topic, data}}: {value!r:.200}")
        if value.get("topic") != topic:
            raise ProtocolError(f"topic {topic!r} carries a {value.get('topic')!r} event")
        seq, gap, restarted = value["seq"], 0, False
        if self.last_seq is not None:
            if seq > self.last_seq + 1:
                gap = seq - self.last_seq - 1
            elif seq <= self.last_seq:
                restarted = True
        self.last_seq = seq
        self.lost += gap
        event = Event(topic, seq, arrays_in(value["data"]), gap, restarted)
        if gap and self.raise_on_gap:
            raise EventGap(gap, event)
        return event


class _Subscription:
    """What both streams share: the subscription (see ``EventStream``), the gap count
    and closing."""

    def __init__(self, address: str, topics: Iterable[str] = (), *,
                 timeout: float | None = None, tls: Any = None,
                 raise_on_gap: bool = False) -> None:
        self.address = address
        self.timeout = timeout
        self._gaps = _Gaps(raise_on_gap)
        self.socket = nngbridge.Sub0(recv_max_size=0)
        try:
            if tls is not None:
                self.socket.tls_config = tls
            for t in list(topics) or [""]:
                self.socket.subscribe(t)
            self.socket.dial(address, block=False)
        except BaseException:
            self.socket.close()
            raise

    @property
    def lost(self) -> int:
        """How many events were skipped so far (gaps in ``seq``)."""
        return self._gaps.lost

    def close(self) -> None:
        self.socket.close()


class EventStream(_Subscription):
    """``for event in EventStream(address, ["frame"]): ...``

    Subscribes to ``topics`` (prefixes; every topic when empty) on a scene server's
    events address. Iteration waits up to ``timeout`` seconds per event (``None``: for
    ever) and raises ``nngbridge.Timeout`` when none came. ``lost`` counts the events
    skipped so far; ``raise_on_gap=True`` raises ``EventGap`` (holding the event) at
    each skip instead of only reporting it in ``Event.gap``. A malformed message raises
    ``ProtocolError`` and is dropped; the stream goes on."""

    def next(self, timeout: float | None = None) -> Event:
        """The next event, waiting up to ``timeout`` seconds (default: the stream's)."""
        wait = self.timeout if timeout is None else timeout
        self.socket.recv_timeout = -1 if wait is None else max(int(wait * 1000), 0)
        return self._gaps.parse(self.socket.recv())

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        return self.next()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncEventStream(_Subscription):
    """``EventStream`` for asyncio and trio: ``async for event in stream`` and
    ``await stream.next(timeout)``."""

    async def next(self, timeout: float | None = None) -> Event:
        from .aio import bounded

        wait = self.timeout if timeout is None else timeout
        body = await bounded(self.socket, self.socket.arecv, wait,
                             f"no event from {self.address} within {wait} s")
        return self._gaps.parse(body)

    def __aiter__(self) -> AsyncEventStream:
        return self

    async def __anext__(self) -> Event:
        return await self.next()

    async def __aenter__(self) -> AsyncEventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
