"""``AsyncClient``: ``Client``'s surface for asyncio (and trio, through the core's
adapters): ``await c.call(...)``, ``await c.batch(...)``, ``c.submit(...)`` (an asyncio
task), ``await c.job(...)``, ``c.events(...)`` (``async for``). Many calls are in flight
at once from one task with ``asyncio.gather``, each on its own NNG context."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from nngbridge import _aio

from .client import (
    DEFAULT_TIMEOUT,
    FINAL_STATES,
    JOB_POLL_S,
    PROTOCOL_VERSION,
    BatchEntry,
    BatchReport,
    _Core,
    _entries,
    job_outcome,
)
from .errors import CallTimeout, ProtocolError, SceneError
from .events import AsyncEventStream

_T = TypeVar("_T")

if TYPE_CHECKING:
    from ._commands import AsyncTypedCalls as _Typed
else:
    _Typed = object


async def bounded(owner: Any, start: Callable[[], Awaitable[_T]], timeout: float | None,
                  message: str) -> _T:
    """``await start()`` for at most ``timeout`` seconds (``None``: no bound); then
    ``CallTimeout(message)``, the NNG operation cancelled."""
    if timeout is None:
        return await start()
    if _aio._backend(owner) == "trio":
        import trio  # type: ignore[import-untyped, unused-ignore]

        try:
            with trio.fail_after(timeout):
                return await start()
        except trio.TooSlowError:
            raise CallTimeout(message) from None
    try:
        return await asyncio.wait_for(start(), timeout)
    except asyncio.TimeoutError:
        raise CallTimeout(message) from None


class AsyncClient(_Core, _Typed):
    """``async with AsyncClient("ipc:///tmp/blender") as c: await c.call("session.ping")``;
    the keywords of ``connect``."""

    def __init__(self, address: str, *, token: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, tls: Any = None,
                 events: str | None = None, arrays: bool = True) -> None:
        super().__init__(address, token=token, timeout=timeout, tls=tls, events=events,
                         arrays=arrays)

    async def _call(self, cmd: str, args: Mapping[str, Any]) -> Any:
        try:
            return await self._call_once(cmd, args)
        except SceneError as e:
            if not self._retry_token(e):
                raise
        return await self._call_once(cmd, args)

    async def _call_once(self, cmd: str, args: Mapping[str, Any]) -> Any:
        rid, msg = self._request(cmd, args)
        ctx = self._context()  # its send and receive timeouts bound the exchange
        with self._exchange(cmd, ctx):
            await ctx.asend_msg(msg)
            reply = await ctx.arecv_msg()
        return self._result(cmd, rid, reply)

    if not TYPE_CHECKING:  # the typed overloads are in _commands.pyi

        async def call(self, cmd, /, **args):
            """Runs ``cmd`` with ``args``; returns its result or raises its error."""
            return await self._call(cmd, args)

    async def call_args(self, cmd: str, args: Mapping[str, Any]) -> Any:
        """``call`` with the arguments as a mapping."""
        return await self._call(cmd, args)

    def submit(self, cmd: str, /, **args: Any) -> asyncio.Task[Any]:
        """``call`` as an asyncio task (asyncio only; with trio, start ``call`` in a
        nursery)."""
        return asyncio.ensure_future(self._call(cmd, args))

    async def batch(self, commands: Iterable[BatchEntry], *, stop_on_error: bool = True
                    ) -> BatchReport:
        entries = _entries(commands)
        result = await self._call("batch", {"commands": [{"cmd": c, "args": dict(a)}
                                                         for c, a in entries],
                                            "stop_on_error": stop_on_error})
        return BatchReport(entries, result)

    async def hello(self) -> dict[str, Any]:
        info: dict[str, Any] = await self._call("session.hello", {})
        if info.get("protocol") != PROTOCOL_VERSION:
            raise ProtocolError(f"the server speaks protocol {info.get('protocol')!r}")
        if self._events is None:
            self._events = info.get("events")
        return info

    async def events_address(self) -> str | None:
        if self._events is None:
            await self.hello()
        return self._events

    async def events(self, address: str | None = None, topics: Iterable[str] = (), *,
                     timeout: float | None = None, raise_on_gap: bool = False
                     ) -> AsyncEventStream:
        where = address or await self.events_address()
        if where is None:
            raise ValueError(f"{self.address} publishes no events (session.hello says none)")
        return AsyncEventStream(where, topics, timeout=timeout, tls=self.tls,
                                raise_on_gap=raise_on_gap)

    async def job(self, cmd: str, /, **args: Any) -> AsyncJob:
        where = await self.events_address()
        stream = AsyncEventStream(where, ["job"], tls=self.tls) if where else None
        try:
            started = await self._call(cmd, args)
            if not isinstance(started, dict) or type(started.get("job")) is not int:
                raise ProtocolError(f"{cmd} answered {started!r:.100}, not {{job}}")
            state = await self._call("job.status", {"job": started["job"]})
        except BaseException:
            if stream is not None:
                stream.close()
            raise
        return AsyncJob(self, cmd, started["job"], stream, state)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class AsyncJob:
    """``Job`` for ``AsyncClient``: ``async for state in job``, ``await job.wait()``,
    ``await job.cancel()``."""

    def __init__(self, client: AsyncClient, cmd: str, job_id: int,
                 stream: AsyncEventStream | None, state: dict[str, Any]) -> None:
        self.client, self.cmd, self.id = client, cmd, job_id
        self._stream = stream
        self.state = state

    @property
    def done(self) -> bool:
        return self.state.get("state") in FINAL_STATES

    async def _next(self) -> dict[str, Any]:
        if self._stream is not None:
            try:
                while True:
                    event = await self._stream.next(timeout=JOB_POLL_S)
                    if event.gap:
                        break
                    if isinstance(event.data, dict) and event.data.get("job") == self.id:
                        return event.data
            except CallTimeout:
                pass
        else:
            await asyncio.sleep(JOB_POLL_S)
        return await self.client.call_args("job.status", {"job": self.id})  # type: ignore[no-any-return]

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        yield self.state
        while not self.done:
            state = await self._next()
            if (state.get("state"), state.get("progress")) != \
                    (self.state.get("state"), self.state.get("progress")):
                self.state = state
                yield state
        self.close()

    async def wait(self) -> Any:
        async for _ in self:
            pass
        return job_outcome(self.cmd, self.state)

    async def cancel(self) -> dict[str, Any]:
        return await self.client.call_args("job.cancel", {"job": self.id})  # type: ignore[no-any-return]

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    async def __aenter__(self) -> AsyncJob:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
