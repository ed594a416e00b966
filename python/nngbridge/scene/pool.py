"""``Pool``: a controller of Blender workers that join it (docs/pool.md).

The scheduler is the Rust one (``nngbridge_scene::Pool``, through the native module):
this is its Python face. Arguments are packed and results unpacked by the Python
client's codec (``arrays``: numpy arrays out and in), and errors are the client's
(``SceneError`` subclasses for a worker's error, ``CallTimeout``, ``ConnectionLost``,
``ProtocolError``).

    from nngbridge.scene import Pool
    with Pool("tcp://0.0.0.0:7000", token=secret) as pool:
        pool.wait_for_workers(2, timeout=120)
        pool.setup("clip.load", {"path": "shot.mp4", "name": "Shot"})
        for r in pool.map("clip.frame_pixels", ({"name": "Shot", "frame": f}
                                               for f in range(1, 49))):
            pixels = r.value()          # or r.error: that worker's SceneError
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import nngbridge
from nngbridge import _nng

from . import arrays
from .errors import CallTimeout, ConnectionLost, ProtocolError, from_body

if TYPE_CHECKING:
    #: A native outcome: (ok, packed body, error kind, error text).
    _Outcome = tuple[bool, nngbridge.Message | None, str | None, str | None]


@dataclass(frozen=True)
class WorkerInfo:
    """A worker that answered a liveness round: ``id``, its ``session.hello`` (a dict),
    and where its control connection comes from."""

    id: str
    hello: dict[str, Any]
    address: str


@dataclass(frozen=True)
class Refusal:
    """A worker turned away (wrong token, another protocol version), with the reason."""

    worker: str | None
    address: str
    reason: str


@dataclass(frozen=True)
class PoolStats:
    """Counts since the pool started (``PoolStats`` in Rust)."""

    by_worker: dict[str, int] = field(default_factory=dict)
    resent: int = 0
    replayed: int = 0
    lost: int = 0
    evicted: int = 0
    expired: int = 0
    setup_replayed: int = 0
    setup_failed: int = 0


@dataclass
class TaskResult:
    """One task's outcome: ``index`` (its item's position; a ticket's number), the
    ``worker`` whose answer counts (``None`` if none answered), ``attempts``, whether it
    was ``replayed`` from the worker's store, and ``result`` or ``error`` (the worker's
    ``SceneError``; ``CallTimeout`` for a task no worker took within ``queue_deadline``;
    ``ConnectionLost`` once ``max_attempts`` ran out)."""

    index: int
    worker: str | None
    attempts: int
    replayed: bool
    result: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def value(self) -> Any:
        """The result, or raise the error."""
        if self.error is not None:
            raise self.error
        return self.result


class Pool:
    """A pool controller listening on ``address`` (work) and its control address
    (docs/pool.md §1), running liveness rounds that admit joining workers.

    Options as ``PoolOptions`` (times in seconds): ``token``, ``tls`` (a server
    ``nngbridge.TLSConfig``), ``per_worker`` (2), ``max_pending`` (1024), ``deadline``
    (30), ``max_attempts`` (4), ``liveness_interval`` (1), ``liveness_timeout`` (2),
    ``max_reply`` (bytes; ``None``: no limit), ``lanes`` (32), ``queue_deadline``
    (``None``: queued tasks wait for a worker as long as it takes). ``arrays=False``
    leaves binary arrays as ``{dtype, shape, data}`` maps, as in ``connect``."""

    def __init__(self, address: str, *, token: str | None = None, tls: Any = None,
                 per_worker: int = 2, max_pending: int = 1024, deadline: float = 30.0,
                 max_attempts: int = 4, liveness_interval: float = 1.0,
                 liveness_timeout: float = 2.0, max_reply: int | None = None,
                 lanes: int = 32, queue_deadline: float | None = None,
                 arrays: bool = True) -> None:
        self.address = address
        self.make_arrays = arrays
        self._native = _nng.ScenePool(address, token, tls, per_worker, max_pending, deadline,
                                      max_attempts, liveness_interval, liveness_timeout,
                                      max_reply, lanes, queue_deadline)

    @classmethod
    def listen(cls, address: str, **options: Any) -> Pool:
        """``Pool(address, **options)``, named as in Rust (``Pool::listen``)."""
        return cls(address, **options)

    # -- conversions -----------------------------------------------------------------

    @staticmethod
    def _pack(cmd: str, args: Mapping[str, Any] | None) -> nngbridge.Message:
        if not isinstance(cmd, str):
            raise TypeError(f"the command is a str like 'object.create', not {cmd!r}")
        if args is None:
            args = {}
        if not isinstance(args, Mapping):
            raise TypeError(f"{cmd}: arguments are a mapping, not {type(args).__name__}")
        return arrays.encode(dict(args))

    def _unpack(self, msg: nngbridge.Message) -> Any:
        return arrays.decode(msg, self.make_arrays)

    def _error(self, cmd: str, body: nngbridge.Message | None, kind: str | None,
               text: str | None, attempts: int) -> BaseException:
        if kind == "server" and body is not None:
            return from_body(arrays.decode(body, False), cmd)
        if kind == "timeout" and attempts == 0:
            return CallTimeout(f"{cmd}: no worker connected to {self.address} within "
                               "queue_deadline; the task was never sent")
        if kind == "timeout":
            return CallTimeout(f"{cmd}: {attempts} attempt(s), each past the deadline")
        if kind == "lost":
            return ConnectionLost(f"{cmd}: the worker's connection dropped on each of "
                                  f"{attempts} attempt(s) ({text})")
        if kind == "closed":
            return nngbridge.Closed(f"{cmd}: the pool was closed", nngbridge.lib.NNG_ECLOSED)
        return ProtocolError(f"{cmd}: {text}")

    def _outcome(self, cmd: str, o: _Outcome, attempts: int = 1
                 ) -> tuple[Any, BaseException | None]:
        ok, body, kind, text = o
        if ok and body is not None:
            return self._unpack(body), None
        return None, self._error(cmd, body, kind, text, attempts)

    def _task(self, cmd: str, t: tuple[Any, ...]) -> TaskResult:
        index, worker, attempts, replayed, *rest = t
        result, error = self._outcome(cmd, (rest[0], rest[1], rest[2], rest[3]), attempts)
        return TaskResult(index, worker, attempts, replayed, result, error)

    def _by_worker(self, cmd: str, outcomes: list[tuple[str, _Outcome]]
                   ) -> dict[str, TaskResult]:
        out = {}
        for i, (worker, o) in enumerate(outcomes):
            result, error = self._outcome(cmd, o)
            out[worker] = TaskResult(i, worker, 1, False, result, error)
        return out

    def _workers(self, raw: list[tuple[str, nngbridge.Message, str]]) -> list[WorkerInfo]:
        return [WorkerInfo(i, arrays.decode(h, False), a) for i, h, a in raw]

    # -- the API of docs/pool.md §5 ----------------------------------------------------

    def workers(self, timeout: float = 2.0) -> list[WorkerInfo]:
        """A liveness round now: the workers that answered within ``timeout``."""
        return self._workers(self._native.workers(timeout))

    def wait_for_workers(self, n: int, timeout: float) -> list[WorkerInfo]:
        """Waits until ``n`` workers answer and are connected for work; returns them
        (``nngbridge.Timeout`` if they are not there within ``timeout``)."""
        return self._workers(self._native.wait_for_workers(n, timeout))

    def connected(self) -> int:
        """Workers connected to the work address now."""
        return self._native.connected()

    def refused(self) -> list[Refusal]:
        """Workers turned away so far, with the reason."""
        return [Refusal(w, a, r) for w, a, r in self._native.refused()]

    def broadcast(self, cmd: str, args: Mapping[str, Any] | None = None,
                  timeout: float = 60.0) -> dict[str, TaskResult]:
        """Runs ``cmd`` on every connected worker: ``{worker: TaskResult}`` (workers that
        did not answer within ``timeout`` are absent)."""
        return self._by_worker(cmd, self._native.broadcast(cmd, self._pack(cmd, args),
                                                           timeout))

    def setup(self, cmd: str, args: Mapping[str, Any] | None = None,
              timeout: float = 60.0) -> dict[str, TaskResult]:
        """``broadcast``, and registered: every worker that joins later runs the setup
        commands (in order) before it is given a task (docs/pool.md §3)."""
        return self._by_worker(cmd, self._native.setup(cmd, self._pack(cmd, args), timeout))

    def submit(self, cmd: str, args: Mapping[str, Any] | None = None) -> Ticket:
        """Queues one task (waits while ``max_pending`` are held): its ``Ticket``."""
        return Ticket(self, cmd, self._native.submit(cmd, self._pack(cmd, args)))

    def map_unordered(self, cmd: str, items: Iterable[Mapping[str, Any] | None]
                      ) -> Iterator[TaskResult]:
        """One task per item (its arguments), spread over the workers; results as they
        complete. Items are taken only as results are consumed (``max_pending`` ahead)."""
        packed = (self._pack(cmd, args) for args in items)
        for t in self._native.map_unordered(cmd, packed):
            yield self._task(cmd, t)

    def map(self, cmd: str, items: Iterable[Mapping[str, Any] | None]) -> list[TaskResult]:
        """``map_unordered``, results in the order of ``items``."""
        return sorted(self.map_unordered(cmd, items), key=lambda r: r.index)

    def stats(self) -> PoolStats:
        s = self._native.stats()
        return PoolStats(by_worker=dict(s.pop("by_worker")), **s)

    def close(self) -> None:
        """Stops the pool: queued tasks fail with ``nngbridge.Closed``."""
        self._native.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Ticket:
    """A submitted task: ``result()`` gives its result or raises its error, ``wait()``
    its ``TaskResult``; both wait interruptibly (Ctrl+C) without holding the GIL."""

    def __init__(self, pool: Pool, cmd: str, native: Any) -> None:
        self._pool, self.cmd, self._native = pool, cmd, native
        self._done: TaskResult | None = None

    def done(self) -> bool:
        """Whether the result is here (does not wait)."""
        return self._done is not None or self._poll(0.0) is not None

    def _poll(self, timeout: float | None) -> TaskResult | None:
        if self._done is None:
            t = self._native.wait(timeout)
            if t is not None:
                self._done = self._pool._task(self.cmd, t)
        return self._done

    def wait(self, timeout: float | None = None) -> TaskResult:
        """The ``TaskResult`` (``CallTimeout`` if not done within ``timeout`` s)."""
        got = self._poll(timeout)
        if got is None:
            raise CallTimeout(f"{self.cmd}: the task is not done after {timeout} s")
        return got

    def result(self, timeout: float | None = None) -> Any:
        """The task's result, or its error raised (``SceneError`` of the worker, ...)."""
        return self.wait(timeout).value()


__all__ = ["Pool", "PoolStats", "Refusal", "TaskResult", "Ticket", "WorkerInfo"]
