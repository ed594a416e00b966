"""``Client``: calls, batches, many requests in flight, jobs and events over one Req0
socket (docs/protocol.md). Each call uses its own NNG context, so calls from several
threads (and ``submit``'s futures) are in flight at once over one connection."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Union

import nngbridge

from .. import tokens
from . import arrays
from .errors import CallTimeout, ConnectionLost, ProtocolError, SceneError, from_body
from .events import EventStream

PROTOCOL_VERSION = 1
DEFAULT_TIMEOUT = 30.0
#: A job is asked for its state when no event about it came for this long.
JOB_POLL_S = 0.5
FINAL_STATES = ("done", "failed", "cancelled")

if TYPE_CHECKING:
    from ._commands import TypedCalls, TypedSubmits

    class _Typed(TypedCalls, TypedSubmits):
        pass
else:
    _Typed = object

#: A batch entry: ``("object.create", {"type": "CUBE"})`` or ``{"cmd": ..., "args": ...}``.
BatchEntry = Union[tuple[str, Mapping[str, Any]], Mapping[str, Any]]


def client_tls(tls: Any) -> Any:
    """``tls=``: an ``nngbridge.TLSConfig`` (client mode) as is, or a mapping with ``ca``
    (PEM file of the server's CA), ``server_name``, and ``cert``/``key`` (PEM files of a
    client certificate, for servers that require one), ``password`` (of the key)."""
    if tls is None or isinstance(tls, nngbridge.TLSConfig):
        return tls
    unknown = set(tls) - {"ca", "server_name", "cert", "key", "password"}
    if unknown or not tls.get("ca"):
        raise ValueError("tls= takes a TLSConfig or a dict with 'ca' (and 'server_name', "
                         f"'cert', 'key', 'password'); got {sorted(tls)}")
    kw: dict[str, Any] = {"ca_files": str(tls["ca"]), "server_name": tls.get("server_name")}
    if tls.get("cert"):
        with open(tls["cert"], encoding="ascii") as f:
            kw["own_cert_string"] = f.read()
        with open(tls.get("key") or tls["cert"], encoding="ascii") as f:
            kw["own_key_string"] = f.read()
        kw["passwd"] = tls.get("password")
    return nngbridge.TLSConfig(nngbridge.TLSConfig.MODE_CLIENT, **kw)


def _entries(commands: Iterable[BatchEntry]) -> list[tuple[str, Mapping[str, Any]]]:
    out = []
    for c in commands:
        if isinstance(c, Mapping):
            out.append((c["cmd"], c.get("args") or {}))
        else:
            cmd, args = c
            out.append((cmd, args))
    return out


class BatchItem:
    """One command's outcome in a batch: ``ok`` and ``result``, or ``error`` (the
    ``SceneError`` it would have raised)."""

    __slots__ = ("cmd", "ok", "result", "error")

    def __init__(self, cmd: str, ok: bool, result: Any, error: SceneError | None) -> None:
        self.cmd, self.ok, self.result, self.error = cmd, ok, result, error

    def value(self) -> Any:
        """The result, or raise the error."""
        if self.error is not None:
            raise self.error
        return self.result

    def __repr__(self) -> str:
        return f"BatchItem({self.cmd!r}, ok={self.ok}, " + \
            (f"result={self.result!r:.80})" if self.ok else f"error={self.error!s:.120})")


class BatchReport:
    """What ``batch`` did (docs/protocol.md §8): ``items`` in order, one per command
    that ran (with ``stop_on_error`` the last is the failure), ``applied`` (commands
    that ran before a stop), ``skipped`` (commands never run)."""

    def __init__(self, entries: Sequence[tuple[str, Any]], result: Any) -> None:
        if not isinstance(result, dict) or not isinstance(result.get("results"), list) or \
                type(result.get("applied")) is not int:
            raise ProtocolError(f"not a batch report {{results, applied}}: {result!r:.200}")
        items = []
        for (cmd, _), r in zip(entries, result["results"]):
            if not isinstance(r, dict) or "ok" not in r:
                raise ProtocolError(f"not a batch entry {{ok, result|error}}: {r!r:.200}")
            err = None if r["ok"] else from_body(r.get("error"), cmd)
            items.append(BatchItem(cmd, bool(r["ok"]), r.get("result"), err))
        if len(result["results"]) > len(entries):
            raise ProtocolError(f"{len(result['results'])} results for {len(entries)} commands")
        self.items = items
        self.applied: int = result["applied"]
        self.skipped = len(entries) - len(items)

    @property
    def ok(self) -> bool:
        """Whether every command ran and succeeded."""
        return not self.skipped and all(i.ok for i in self.items)

    def values(self) -> list[Any]:
        """Every result, in order; raises the first error (or a ``SceneError`` if
        commands were skipped without one)."""
        return [i.value() for i in self.items]

    def __iter__(self) -> Iterator[BatchItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> BatchItem:
        return self.items[i]

    def __repr__(self) -> str:
        return f"BatchReport(applied={self.applied}, skipped={self.skipped}, {self.items!r})"


class _Core:
    """What the blocking and the async client share: the socket, the envelope, contexts,
    and failing calls fast when the connection drops."""

    def __init__(self, address: str, *, token: str | None, timeout: float, tls: Any,
                 events: str | None, arrays: bool = True) -> None:
        self.address = address
        self.make_arrays = arrays
        self._token_from_file = token is None
        self.token = tokens.read_token(address) if token is None else token
        self.timeout = timeout
        self.tls = client_tls(tls)
        self._events = events
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._idle: list[nngbridge.Context] = []
        self._in_flight: set[nngbridge.Context] = set()
        self._aborted: set[nngbridge.Context] = set()
        self.socket = nngbridge.Req0(recv_max_size=0)
        try:
            if self.tls is not None:
                self.socket.tls_config = self.tls
            self.socket.add_post_pipe_remove_cb(self._hung_up)
            self.socket.dial(address, block=False)
        except BaseException:
            self.socket.close()
            raise

    # -- contexts ------------------------------------------------------------------------

    def _context(self) -> nngbridge.Context:
        with self._lock:
            ctx = self._idle.pop() if self._idle else None
        if ctx is None:
            ctx = self.socket.new_context()
        ms = max(int(self.timeout * 1000), 1)
        ctx.recv_timeout = ms
        ctx.send_timeout = ms
        with self._lock:
            self._in_flight.add(ctx)
        return ctx

    def _done(self, ctx: nngbridge.Context, reusable: bool) -> bool:
        """Takes ``ctx`` out of flight; returns whether the connection dropped under it."""
        with self._lock:
            self._in_flight.discard(ctx)
            aborted = ctx in self._aborted
            self._aborted.discard(ctx)
            if reusable and not aborted:
                self._idle.append(ctx)
                return False
        ctx.close()
        return aborted

    def _hung_up(self, _pipe: Any) -> None:
        # On an NNG thread: closing contexts is left to a thread of our own.
        with self._lock:
            victims = list(self._in_flight)
            self._aborted.update(victims)
        if victims:
            threading.Thread(target=self._close_all, args=(victims,), daemon=True).start()

    @staticmethod
    def _close_all(contexts: list[nngbridge.Context]) -> None:
        for ctx in contexts:
            ctx.close()

    # -- the envelope --------------------------------------------------------------------

    def _request(self, cmd: str, args: Mapping[str, Any]) -> tuple[int, nngbridge.Message]:
        if not isinstance(cmd, str):
            raise TypeError(f"the command is a str like 'object.create', not {cmd!r}")
        rid = next(self._ids)
        req: dict[str, Any] = {"v": PROTOCOL_VERSION, "id": rid, "cmd": cmd}
        if self.token is not None:
            req["token"] = self.token
        req["args"] = dict(args)
        return rid, arrays.encode(req)

    def _result(self, cmd: str, rid: int, msg: nngbridge.Message) -> Any:
        reply = arrays.decode(msg, self.make_arrays)
        if type(reply) is not dict or "ok" not in reply or "id" not in reply:
            raise ProtocolError(f"{cmd}: not a reply envelope {{v, id, ok, ...}}: "
                                f"{reply!r:.200}")
        if reply.get("v") != PROTOCOL_VERSION:
            raise ProtocolError(f"{cmd}: a reply of protocol version {reply.get('v')!r}, "
                                f"this client speaks {PROTOCOL_VERSION}")
        if reply["id"] != rid and not (reply["id"] is None and reply["ok"] is False):
            raise ProtocolError(f"{cmd}: reply id {reply['id']!r} for request {rid}")
        if reply["ok"] is True:
            if "result" not in reply:
                raise ProtocolError(f"{cmd}: an ok reply without a result")
            return reply["result"]
        if reply["ok"] is False:
            raise from_body(reply.get("error"), cmd)
        raise ProtocolError(f"{cmd}: 'ok' is {reply['ok']!r}")

    def _retry_token(self, err: SceneError) -> bool:
        """After UNAUTHORIZED (nothing was done): whether the local server has written
        another token since (it restarted), now in use."""
        if err.code != "UNAUTHORIZED" or not self._token_from_file:
            return False
        fresh = tokens.read_token(self.address)
        if fresh is None or fresh == self.token:
            return False
        self.token = fresh
        return True

    def _timed_out(self, cmd: str) -> CallTimeout:
        state = "connected" if self.socket.pipes else "not connected (is the server running?)"
        return CallTimeout(f"{cmd}: no reply from {self.address} within {self.timeout} s; "
                           f"{state}")

    def _lost(self, cmd: str) -> ConnectionLost:
        return ConnectionLost(f"{cmd}: the connection to {self.address} dropped before the "
                              "reply came (the server stopped?); the command may or may "
                              "not have run")

    @contextmanager
    def _exchange(self, cmd: str, ctx: nngbridge.Context) -> Iterator[None]:
        """Around one request's send and receive on ``ctx`` (blocking or awaited): a
        timeout or a dropped connection becomes ``CallTimeout``/``ConnectionLost``, and
        ``ctx`` goes back to the idle list only after a clean exchange."""
        try:
            yield
        except nngbridge.Timeout:
            lost = self._done(ctx, reusable=False)
            raise (self._lost(cmd) if lost else self._timed_out(cmd)) from None
        except nngbridge.Closed:
            if self._done(ctx, reusable=False):
                raise self._lost(cmd) from None
            raise
        except BaseException:
            self._done(ctx, reusable=False)
            raise
        self._done(ctx, reusable=True)  # a reply that came before a drop still stands

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for ctx in idle:
            ctx.close()
        self.socket.close()


class Client(_Core, _Typed):
    """A scene client: ``with connect("ipc:///tmp/blender") as c: c.call("session.ping")``.

    Thread-safe: each call has its own NNG context. ``timeout`` (seconds) bounds every
    call; ``token``/``tls``/``events`` as in ``connect``."""

    def __init__(self, address: str, *, token: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, tls: Any = None, events: str | None = None,
                 max_in_flight: int = 8, arrays: bool = True) -> None:
        super().__init__(address, token=token, timeout=timeout, tls=tls, events=events,
                         arrays=arrays)
        self.max_in_flight = max_in_flight
        self._executor: ThreadPoolExecutor | None = None

    def _call(self, cmd: str, args: Mapping[str, Any]) -> Any:
        try:
            return self._call_once(cmd, args)
        except SceneError as e:
            if not self._retry_token(e):
                raise
        return self._call_once(cmd, args)

    def _call_once(self, cmd: str, args: Mapping[str, Any]) -> Any:
        rid, msg = self._request(cmd, args)
        ctx = self._context()
        with self._exchange(cmd, ctx):
            ctx.send_msg(msg)
            reply = ctx.recv_msg()
        return self._result(cmd, rid, reply)

    if not TYPE_CHECKING:  # the typed overloads are in _commands.pyi

        def call(self, cmd, /, **args):
            """Runs ``cmd`` with ``args``; returns its result or raises its error."""
            return self._call(cmd, args)

        def submit(self, cmd, /, **args):
            """``call`` in the background: a ``concurrent.futures.Future`` of its result.
            Up to ``max_in_flight`` calls run at once, each on its own context."""
            return self._pool().submit(self._call, cmd, args)

    def call_args(self, cmd: str, args: Mapping[str, Any]) -> Any:
        """``call`` with the arguments as a mapping (for names that are not identifiers)."""
        return self._call(cmd, args)

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.max_in_flight,
                                                    thread_name_prefix="nngbridge-scene")
            return self._executor

    def batch(self, commands: Iterable[BatchEntry], *, stop_on_error: bool = True
              ) -> BatchReport:
        """Runs ``commands`` in order in one request (one undo step): the per-command
        report. Each is ``(cmd, args)`` or ``{"cmd": ..., "args": ...}``."""
        entries = _entries(commands)
        result = self._call("batch", {"commands": [{"cmd": c, "args": dict(a)}
                                                   for c, a in entries],
                                      "stop_on_error": stop_on_error})
        return BatchReport(entries, result)

    def hello(self) -> dict[str, Any]:
        """``session.hello``; checks the protocol version."""
        info: dict[str, Any] = self._call("session.hello", {})
        if info.get("protocol") != PROTOCOL_VERSION:
            raise ProtocolError(f"the server speaks protocol {info.get('protocol')!r}, this "
                                f"client {PROTOCOL_VERSION}")
        if self._events is None:
            self._events = info.get("events")
        return info

    @property
    def events_address(self) -> str | None:
        """The server's events address (given to ``connect``, else from ``session.hello``)."""
        if self._events is None:
            self.hello()
        return self._events

    def events(self, address: str | None = None, topics: Iterable[str] = (), *,
               timeout: float | None = None, raise_on_gap: bool = False) -> EventStream:
        """Subscribes to ``topics`` on ``address`` (default: the server's events address)."""
        where = address or self.events_address
        if where is None:
            raise ValueError(f"{self.address} publishes no events (session.hello says none)")
        return EventStream(where, topics, timeout=timeout, tls=self.tls,
                           raise_on_gap=raise_on_gap)

    def job(self, cmd: str, /, **args: Any) -> Job:
        """Starts a job command (``render.still``, ``clip.mean_colors``...): a ``Job``
        that follows its progress events and can cancel it."""
        stream = self.events(topics=["job"]) if self.events_address else None
        try:
            started = self._call(cmd, args)
            if not isinstance(started, dict) or type(started.get("job")) is not int:
                raise ProtocolError(f"{cmd} answered {started!r:.100}, not {{job}}: is it a "
                                    "job command?")
        except BaseException:
            if stream is not None:
                stream.close()
            raise
        return Job(self, cmd, started["job"], stream)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        super().close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def job_outcome(cmd: str, state: Mapping[str, Any]) -> Any:
    """A finished job's result, or its error raised."""
    if state.get("state") == "done":
        return state.get("result")
    raise from_body(state.get("error") or {"code": "INTERNAL" if state.get("state") ==
                                           "failed" else "CANCELLED",
                                           "message": str(state.get("message", ""))}, cmd)


class Job:
    """A running job (docs/protocol.md §10). ``for state in job`` yields its state
    (``{job, kind, state, progress, message, ...}``) each time it changes, the final one
    last; ``wait()`` returns the result or raises the job's error (``Cancelled`` after a
    cancel); ``cancel()`` asks the server to stop it. Events give the progress as it
    happens; the state is asked for (``job.status``) when none came for ``JOB_POLL_S``
    or events were lost."""

    def __init__(self, client: Client, cmd: str, job_id: int,
                 stream: EventStream | None) -> None:
        self.client, self.cmd, self.id = client, cmd, job_id
        self._stream = stream
        self.state: dict[str, Any] = client.call_args("job.status", {"job": job_id})

    @property
    def done(self) -> bool:
        return self.state.get("state") in FINAL_STATES

    def _next(self) -> dict[str, Any]:
        if self._stream is None:
            time.sleep(JOB_POLL_S)
            return self.client.call_args("job.status", {"job": self.id})  # type: ignore[no-any-return]
        deadline = time.monotonic() + JOB_POLL_S
        while True:
            left = deadline - time.monotonic()
            try:
                event = self._stream.next(timeout=max(left, 0.0))
            except nngbridge.Timeout:
                break
            if event.gap:
                break
            if isinstance(event.data, dict) and event.data.get("job") == self.id:
                return event.data
        return self.client.call_args("job.status", {"job": self.id})  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        yield self.state
        while not self.done:
            state = self._next()
            if (state.get("state"), state.get("progress")) != \
                    (self.state.get("state"), self.state.get("progress")):
                self.state = state
                yield state
        self.close()

    def wait(self, timeout: float | None = None) -> Any:
        """Follows the job to its end: its result, or its error raised. ``timeout``
        (seconds) raises ``CallTimeout`` if it runs longer (the job goes on)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done:
            if deadline is not None and time.monotonic() > deadline:
                raise CallTimeout(f"job {self.id} ({self.cmd}) still "
                                  f"{self.state.get('state')} after {timeout} s")
            self.state = self._next()
        self.close()
        return job_outcome(self.cmd, self.state)

    def cancel(self) -> dict[str, Any]:
        """``job.cancel``: ``{cancelled, state}``; ``wait`` then raises ``Cancelled``."""
        return self.client.call_args("job.cancel", {"job": self.id})  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stops following the job's events (the job goes on); done by ``wait``."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def __enter__(self) -> Job:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(address: str, *, token: str | None = None, timeout: float = DEFAULT_TIMEOUT,
            tls: Any = None, events: str | None = None, max_in_flight: int = 8,
            arrays: bool = True) -> Client:
    """A ``Client`` of the scene server on ``address`` (it connects in the background;
    calls wait for the connection up to ``timeout`` seconds).

    ``token``: none given, the token the local server wrote for exactly this address is
    used (docs/protocol.md §7.1), as ``nngbridge call`` and ``SceneClient::connect_local``
    do; none if it wrote none. ``tls``: for ``tls+tcp://`` (see ``client_tls``).
    ``events``: the events address, if not the one ``session.hello`` reports.
    ``max_in_flight``: threads behind ``submit``. ``arrays=False`` leaves binary arrays
    (§5) as ``{dtype, shape, data: bytes}`` maps instead of numpy arrays/memoryviews."""
    return Client(address, token=token, timeout=timeout, tls=tls, events=events,
                  max_in_flight=max_in_flight, arrays=arrays)
