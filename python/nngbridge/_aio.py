"""asyncio and trio adapters over native asynchronous operations.

The native ``_start_recv``/``_start_send`` start an NNG aio and call a plain function
from an NNG thread when it completes; here that function hands the wake-up to the event
loop (``call_soon_threadsafe`` or trio's ``run_sync_soon``). Cancelling the awaiting
task cancels the NNG operation.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, TypeVar

from ._nng import AsyncOp, Message

Starter = Callable[[Callable[[], None]], AsyncOp]
_T = TypeVar("_T")


def _backend(obj: Any) -> str:
    sock = getattr(obj, "socket", obj)
    chosen = getattr(sock, "_async_backend", None)
    if chosen:
        return str(chosen)
    try:
        import sniffio

        return str(sniffio.current_async_library())
    except Exception:  # noqa: BLE001 - sniffio missing or no library detected
        pass
    try:
        asyncio.get_running_loop()
        return "asyncio"
    except RuntimeError:
        return "trio"


def _set_done(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


async def _run_asyncio(start: Starter) -> AsyncOp:
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        try:
            loop.call_soon_threadsafe(_set_done, fut)
        except RuntimeError:  # the loop is closed; nobody is waiting any more
            pass

    op = start(wake)
    try:
        await fut
    except BaseException:
        op.cancel()
        raise
    return op


async def _run_trio(start: Starter) -> AsyncOp:
    import trio  # type: ignore[import-untyped, unused-ignore]  # typed in newer trio

    token = trio.lowlevel.current_trio_token()
    task = trio.lowlevel.current_task()
    aborted = False

    def wake() -> None:
        try:
            token.run_sync_soon(trio.lowlevel.reschedule, task)
        except trio.RunFinishedError:
            pass

    op = start(wake)

    def abort(_raise_cancel: Any) -> Any:
        nonlocal aborted
        aborted = True
        op.cancel()
        # Wait for NNG to confirm, so the operation never outlives the task.
        return trio.lowlevel.Abort.FAILED

    await trio.lowlevel.wait_task_rescheduled(abort)
    if aborted:
        await trio.lowlevel.checkpoint()
    return op


async def _run(obj: Any, start: Starter) -> AsyncOp:
    backend = _backend(obj)
    if backend == "trio":
        return await _run_trio(start)
    if backend == "asyncio":
        return await _run_asyncio(start)
    raise ValueError(f"unsupported async backend {backend!r} (asyncio or trio)")


async def arecv_msg(obj: Any) -> Message:
    op = await _run(obj, obj._start_recv)
    msg: Message = obj._wrap(op)
    return msg


async def arecv(obj: Any) -> bytes:
    msg = await arecv_msg(obj)
    return msg.bytes


async def asend_msg(obj: Any, msg: Message) -> None:
    op = await _run(obj, lambda wake: obj._start_send(msg, wake))
    op.result()


async def asend(obj: Any, data: Any) -> None:
    if isinstance(data, str):
        raise ValueError('Cannot send type str. Maybe you left out a ".encode()" somewhere?')
    await asend_msg(obj, Message(data))


# The async forms of closing and iterating (pynng 1.0's ergonomics), one set for every
# object that has them: sockets, contexts, dialers and listeners.
async def aclose(obj: Any) -> None:
    """Closes ``obj``; ``await obj.aclose()``."""
    obj.close()


async def aenter(obj: _T) -> _T:
    """``async with obj as it``: ``it`` is ``obj``."""
    return obj


async def aexit(obj: Any, *_exc_info: Any) -> None:
    """The end of ``async with obj``: closes it."""
    obj.close()


async def anext_msg(obj: Any) -> Message:
    """The next message of ``async for msg in obj``; the iteration ends when ``obj``
    is closed."""
    from .exceptions import Closed

    try:
        return await arecv_msg(obj)
    except Closed:
        raise StopAsyncIteration from None
