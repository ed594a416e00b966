"""The scene server: one ``pump`` that receives without blocking, runs commands within a
time budget, replies, advances jobs and publishes events. The GUI runs it from a
persistent ``bpy.app.timers`` callback; ``blender -b`` (where timers never fire) from a
main-thread loop. NNG's threads never touch bpy: everything here runs on Blender's main
thread.
"""

from __future__ import annotations

import os
import re
import selectors
import socket
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import nngbridge

from .. import tokens
from . import jobs, paths, registry
from .commands import session

DEFAULT_ADDRESS = "tcp://127.0.0.1:5555"
DEFAULT_EVENTS = "tcp://127.0.0.1:5556"
SHUTDOWN_LINGER_S = 1.0  # how long close() waits for the shutdown reply to go out
_LOCAL = re.compile(
    r"^(ipc|inproc|abstract)://"
    r"|^(tls\+)?tcp[46]?://(127\.\d+\.\d+\.\d+|localhost|\[::1\]):")


def check_local(address: str, allow_remote: bool, tls: bool = False) -> None:
    """Refuses non-loopback binds without TLS unless the user forces them with
    ``allow_remote=True`` (docs/protocol.md §1); the error says how to secure them."""
    if not allow_remote and not tls and not _LOCAL.match(address):
        raise ValueError(
            f"{address} is not a loopback or ipc address, and serving it without TLS sends "
            "the token and the scene in clear to anyone on the network. Secure it: serve "
            "tls+tcp://HOST:PORT with tls={'cert': 'server.pem', 'key': 'server.key', "
            "'ca': 'ca.pem', 'require_client_cert': True} (clients then connect with the CA "
            "and a client certificate: nngbridge call --tls-ca/--tls-cert/--tls-key, or "
            "SceneClient::connect_with and a TlsConfig), or pass allow_remote=True to "
            "serve it in clear anyway")


class ServerTls:
    """What ``tls=`` was: the server's ``TLSConfig`` and whether it requires client
    certificates. ``tls`` is a ``nngbridge.TLSConfig`` (server mode) or a mapping with
    ``cert`` (PEM file; it may hold the key too), ``key`` (PEM file), ``ca`` (PEM file of
    the CA that signs client certificates), ``require_client_cert`` (needs ``ca``) and
    ``password`` (of an encrypted key)."""

    def __init__(self, tls: Any) -> None:
        TLSConfig = nngbridge.TLSConfig
        if isinstance(tls, TLSConfig):
            if tls.mode != TLSConfig.MODE_SERVER:
                raise ValueError("tls= needs a server TLSConfig (TLSConfig.MODE_SERVER)")
            self.config, self.requires_client_cert = tls, False
            return
        unknown = set(tls) - {"cert", "key", "ca", "require_client_cert", "password"}
        if unknown or not tls.get("cert"):
            raise ValueError("tls= takes a TLSConfig or a dict with 'cert' (and 'key', 'ca', "
                             f"'require_client_cert', 'password'); got {sorted(tls)}")
        ca, require = tls.get("ca") or None, bool(tls.get("require_client_cert"))
        if require and not ca:
            raise ValueError("tls require_client_cert needs 'ca': the CA that signs the "
                             "client certificates")
        kw: dict[str, Any] = {"passwd": tls.get("password"), "ca_files": ca,
                              "auth_mode": TLSConfig.AUTH_MODE_REQUIRED if require else
                              TLSConfig.AUTH_MODE_OPTIONAL if ca else TLSConfig.AUTH_MODE_NONE}
        if tls.get("key"):
            kw["own_cert_string"] = _read_pem(tls["cert"])
            kw["own_key_string"] = _read_pem(tls["key"])
        else:
            kw["cert_key_file"] = os.fspath(tls["cert"])
        self.config = TLSConfig(TLSConfig.MODE_SERVER, **kw)
        self.requires_client_cert = require


class JoinTls:
    """What ``tls=`` is for a worker that joins a pool (``join=tls+tcp://...``): the
    worker dials, so it is the TLS *client*. ``tls`` is a client ``nngbridge.TLSConfig``
    or a mapping with ``ca`` (PEM file of the CA that signs the pool's certificate;
    required: a worker never takes work from an unverified controller), ``cert`` and
    ``key`` (the worker's client certificate, for a pool that requires one),
    ``server_name`` (the name in the pool's certificate; default: the join host) and
    ``password`` (of an encrypted key)."""

    def __init__(self, tls: Any, join: str) -> None:
        TLSConfig = nngbridge.TLSConfig
        if isinstance(tls, TLSConfig):
            if tls.mode != TLSConfig.MODE_CLIENT:
                raise ValueError("join= with tls= needs a client TLSConfig "
                                 "(TLSConfig.MODE_CLIENT): the worker dials the pool")
            self.config = tls
            return
        unknown = set(tls) - {"cert", "key", "ca", "server_name", "password"}
        if unknown or not tls.get("ca"):
            raise ValueError("join= with tls= takes a client TLSConfig or a dict with 'ca' "
                             "(the CA of the pool's certificate) and optionally 'cert', "
                             f"'key', 'server_name', 'password'; got {sorted(tls)}")
        kw: dict[str, Any] = {"passwd": tls.get("password"), "ca_files": tls["ca"],
                              "auth_mode": TLSConfig.AUTH_MODE_REQUIRED,
                              "server_name": tls.get("server_name") or _host_of(join)}
        if tls.get("cert") and tls.get("key"):
            kw["own_cert_string"] = _read_pem(tls["cert"])
            kw["own_key_string"] = _read_pem(tls["key"])
        elif tls.get("cert"):
            kw["cert_key_file"] = os.fspath(tls["cert"])
        self.config = TLSConfig(TLSConfig.MODE_CLIENT, **kw)


def _host_of(address: str) -> str:
    m = re.match(r"^[a-z0-9+]+://\[?([^\]/]*?)\]?:\d+$", address)
    return m.group(1) if m else ""


def pool_control_address(join: str) -> str:
    """The pool's control address for its work address ``join`` (docs/pool.md §1): the
    next port for tcp (``tcp://h:7000`` -> ``tcp://h:7001``), ``.control`` appended to an
    ipc, abstract or inproc name. Its one home in Rust is ``Pool::control_address``."""
    m = re.match(r"^((?:tls\+)?tcp[46]?://.*:)(\d+)$", join)
    if m:
        port = int(m.group(2))
        if not 0 < port < 65535:
            raise ValueError(f"join= {join}: the port must be 1..65534 (the next one is "
                             "the pool's control port)")
        return f"{m.group(1)}{port + 1}"
    if re.match(r"^(ipc|abstract|inproc)://.", join):
        return join + ".control"
    raise ValueError(f"join= takes tcp://HOST:PORT, tls+tcp://HOST:PORT or ipc://PATH, "
                     f"not {join!r}")


MAX_KEY_BYTES = 128  # an idempotency key (docs/pool.md §3)
_NOT_RUN = ("BAD_REQUEST", "UNAUTHORIZED", "UNSUPPORTED_VERSION")  # refused before running


class RecentReplies:
    """Idempotency (docs/pool.md §3): the replies to the last ``max_entries`` keyed
    requests, within ``max_bytes`` (packed), oldest dropped first. A request whose key is
    here gets the stored reply instead of running again."""

    def __init__(self, max_entries: int = 256, max_bytes: int = 64 << 20) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._replies: OrderedDict[str, tuple[dict[str, Any], int]] = OrderedDict()
        self._bytes = 0

    def get(self, key: str) -> dict[str, Any] | None:
        found = self._replies.get(key)
        return found[0] if found else None

    def put(self, key: str, reply: dict[str, Any], size: int) -> None:
        if size > self.max_bytes:
            return
        old = self._replies.pop(key, None)
        if old:
            self._bytes -= old[1]
        self._replies[key] = (reply, size)
        self._bytes += size
        while len(self._replies) > self.max_entries or self._bytes > self.max_bytes:
            _, (_, dropped) = self._replies.popitem(last=False)
            self._bytes -= dropped


def _read_pem(path: Any) -> str:
    with open(path, encoding="ascii") as f:
        return f.read()


def check_scheme(address: str, tls: ServerTls | None) -> None:
    """TLS and ``tls+tcp://`` go together: neither is silently dropped."""
    if tls is not None and not address.startswith("tls+tcp"):
        raise ValueError(f"tls= needs tls+tcp:// addresses, not {address}")
    if tls is None and address.startswith("tls+tcp"):
        raise ValueError(f"{address} needs tls= (the server's certificate and key)")


def listen_private(sock: Any, address: str) -> None:
    """Listens; an ``ipc://`` socket file is made user-only (0600): created under a 077
    umask (no window where others may connect), then chmod'ed in case the file existed."""
    if not address.startswith("ipc://") or os.name != "posix":
        sock.listen(address)
        return
    old = os.umask(0o077)
    try:
        sock.listen(address)
    finally:
        os.umask(old)
    os.chmod(address[len("ipc://"):], 0o600)


try:  # bundled with Blender's official builds and the bpy wheels; not with Debian's
    import numpy
except ImportError:
    numpy = None

# Pixels are written straight into the reply's message where the body of a Message.alloc
# is writable (cp311 wheel) and numpy can view it as float32 for foreach_get.
WRITABLE_MESSAGES = bool(getattr(nngbridge._nng, "BUFFER_PROTOCOL", False)) and \
    numpy is not None


class Server:
    """Serves the protocol on ``address`` (Rep0) and publishes events on ``events`` (Pub0).

    ``token``: the shared secret; none given, one is generated. Either way it is written
    to the token file of ``address`` (``tokens.token_path``) for local clients.
    ``insecure_no_token=True`` is the only way to serve without one (with a warning).
    ``work_dir`` / ``allowed_dirs``: where file commands may read and write (``paths``).
    ``max_message``, ``memory_budget``, ``max_job_frames``: limits (``registry.LIMITS``).
    ``tls``: serve ``tls+tcp://`` with this certificate (see ``ServerTls``); the events
    address then uses it too.

    ``join``: the work address of a pool (``nngbridge_scene::Pool``, docs/pool.md) to join
    instead of listening on ``address``: the Rep0 socket *dials* it, so the pool needs no
    list of workers, and a Respondent0 dials the pool's control address
    (``pool_control_address``) to answer its liveness rounds and broadcasts. The worker
    dials the work address only once the pool has proved it holds the same token and
    protocol version; a pool that does not is refused, with the reason printed, and
    never gives this worker work. ``token`` (the pool's) or ``insecure_no_token`` must
    be given; ``tls`` is then the client side (``JoinTls``). ``worker_id`` names this
    worker in the pool (default ``host-pid``).
    """

    def __init__(self, address: str = DEFAULT_ADDRESS, *, events: str | None = None,
                 token: str | None = None, insecure_no_token: bool = False,
                 work_dir: str | None = None, allowed_dirs: Sequence[str] | None = None,
                 allow_exec: bool = False, allow_remote: bool = False,
                 max_message: int = registry.MAX_MESSAGE,
                 memory_budget: int = registry.MEMORY_BUDGET,
                 max_job_frames: int = registry.MAX_JOB_FRAMES, tls: Any = None,
                 join: str | None = None, worker_id: str | None = None) -> None:
        join_tls: JoinTls | None = None
        if join is not None:
            control = pool_control_address(join)
            if tls is not None:
                join_tls = JoinTls(tls, join)
            if join.startswith("tls+tcp") != (join_tls is not None):
                raise ValueError(f"join= {join}: tls+tcp:// and tls= go together "
                                 "(tls= is the worker's client side: the pool's CA)")
            check_local(join, allow_remote, join_tls is not None)
            if not token and not insecure_no_token:
                raise ValueError("join= needs token= (the pool's token), or "
                                 "insecure_no_token=True on a loopback or ipc pool")
            if insecure_no_token and not _LOCAL.match(join):
                raise ValueError("insecure_no_token=True cannot join a non-loopback pool")
            tls = None  # the events address, if any, is served in clear on loopback
        server_tls = ServerTls(tls) if tls is not None else None
        for addr in filter(None, (None if join else address, events)):
            check_scheme(addr, server_tls)
            check_local(addr, allow_remote, server_tls is not None)
        registry.configure(max_message=max_message, memory_budget=memory_budget,
                           max_job_frames=max_job_frames)
        if insecure_no_token and (token or allow_remote):
            raise ValueError("insecure_no_token=True cannot be combined with a token or "
                             "allow_remote=True")
        if insecure_no_token and not join and not _LOCAL.match(address) and not (
                server_tls and server_tls.requires_client_cert):
            raise ValueError("insecure_no_token=True on a non-loopback address needs TLS "
                             "with require_client_cert: nothing else would authenticate clients")
        self.address = join or address
        self.join = join
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self.admitted = join is None  # a joined worker takes work once the pool is proved
        self.refused: str | None = None
        self._recent = RecentReplies()
        self.events_address = events
        self.token = None if insecure_no_token else (token or tokens.new_token())
        self.token_file: str | None = None
        paths.configure(work_dir or paths.default_work_dir(address), allowed_dirs)
        self.served = 0
        self.running = True
        self.seq = 0
        self._selector: selectors.BaseSelector | None = None
        # NNG drops what is still queued when a socket closes: after ``session.shutdown``
        # close() waits (briefly) for a client to hang up, i.e. to have had its reply.
        self._hangups = 0
        self._hangups_at_stop: int | None = None
        self._hangup = threading.Condition()
        self.rep = nngbridge.Rep0(recv_max_size=max_message)
        self.rep.add_post_pipe_remove_cb(self._hung_up)
        self.control: Any = None
        self.pub = None
        self.tls = server_tls
        self._join_tls = join_tls
        try:
            if join is not None:
                self.control = nngbridge.Respondent0(recv_max_size=max_message)
                if join_tls is not None:
                    self.rep.tls_config = join_tls.config
                    self.control.tls_config = join_tls.config
                self.control.dial(control, block=False)
            elif server_tls is not None:
                self.rep.tls_config = server_tls.config
            if join is None:
                listen_private(self.rep, address)
            if events:
                self.pub = nngbridge.Pub0()
                if server_tls is not None:
                    self.pub.tls_config = server_tls.config
                listen_private(self.pub, events)
            if self.token is not None and join is None:
                self.token_file = self._publish_token(given=bool(token))
        except Exception:
            self.close()
            raise
        if self.token is None:
            print(f"nngbridge: WARNING: serving {address} WITHOUT a token "
                  "(insecure_no_token=True): any local user or process can drive this Blender",
                  file=sys.stderr, flush=True)
        session.STATE.update(allow_exec=allow_exec, shutdown=self.request_stop, events=events,
                             worker=self.worker_id, pool=join)
        jobs.set_publisher(self.publish)

    def _publish_token(self, given: bool) -> str | None:
        """Writes the token file (docs/protocol.md §7.1). A token the user gave is known to
        its clients already: if the file cannot be written, serving goes on without it."""
        assert self.token is not None
        try:
            return tokens.write_token(self.address, self.token)
        except (OSError, RuntimeError) as e:
            if not given:
                raise
            print(f"nngbridge: no token file for {self.address}: {e}", file=sys.stderr,
                  flush=True)
            return None

    @property
    def clients(self) -> int:
        try:
            return len(self.rep.pipes)
        except nngbridge.NNGException:
            return 0

    def _hung_up(self, _pipe: Any) -> None:  # on an NNG thread: no bpy here
        with self._hangup:
            self._hangups += 1
            self._hangup.notify_all()

    def request_stop(self) -> None:
        """``session.shutdown``: stop after this request's reply."""
        with self._hangup:
            self._hangups_at_stop = self._hangups
        self.running = False

    def _linger_for_reply(self, timeout_s: float = SHUTDOWN_LINGER_S) -> None:
        """Waits until a client hangs up after ``session.shutdown`` (the one that asked,
        once it has its reply), or ``timeout_s``."""
        with self._hangup:
            at_stop = self._hangups_at_stop
            if at_stop is not None:
                self._hangup.wait_for(lambda: self._hangups > at_stop, timeout_s)

    def answer(self, raw: Any) -> dict[str, Any]:
        """One request's bytes to one reply map; never raises. A request with a ``key``
        (docs/pool.md §3) answered before gets the stored reply (``replayed: true``)
        instead of running again."""
        try:
            request = nngbridge.unpackb(raw)
        except (ValueError, TypeError) as e:
            return registry.error(None, "BAD_REQUEST", f"not a MessagePack request: {e}")
        key = request.get("key") if isinstance(request, dict) else None
        if key is None:
            return self._tagged(registry.dispatch(request, token=self.token, defer=True))
        if not isinstance(key, str) or not key or len(key.encode()) > MAX_KEY_BYTES:
            rid = request.get("id")
            return self._tagged(registry.error(
                rid if isinstance(rid, int) and not isinstance(rid, bool) and rid >= 0
                else None, "BAD_REQUEST",
                f"key must be a non-empty string of at most {MAX_KEY_BYTES} bytes"))
        stored = self._recent.get(key)
        if stored is not None and self._authorized(request):
            return dict(stored, id=request["id"], replayed=True)
        reply = self._tagged(registry.dispatch(request, token=self.token, defer=True))
        # A pixel payload (deferred) comes from a read: not kept, so it is still written
        # straight into the outgoing message; a re-sent read just reads again.
        if registry.deferred(reply.get("result")) is None and (
                reply["ok"] or reply["error"]["code"] not in _NOT_RUN):
            try:
                self._recent.put(key, reply, len(nngbridge.packb(reply)))
            except (TypeError, ValueError, OverflowError):
                pass  # unencodable: reply() reports it; nothing worth keeping
        return reply

    def _authorized(self, request: dict[str, Any]) -> bool:
        """What ``registry.dispatch`` checks before running anything: id, version, token."""
        rid, v = request.get("id"), request.get("v")
        return (isinstance(rid, int) and not isinstance(rid, bool) and rid >= 0
                and type(v) is int and v == registry.PROTOCOL_VERSION
                and (self.token is None
                     or registry.token_matches(request.get("token"), self.token)))

    def _tagged(self, reply: dict[str, Any]) -> dict[str, Any]:
        """A joined worker names itself in every reply (docs/pool.md §2)."""
        return {"worker": self.worker_id, **reply} if self.join else reply

    def _admit(self, reply: dict[str, Any]) -> None:
        """A joined worker dials the pool's work address once the pool's first request
        on the control socket passed the token and version checks; a pool that fails
        them is refused, with the reason printed, and gets no worker."""
        if self.admitted or self.join is None:
            return
        if reply["ok"]:
            self.admitted, self.refused = True, None
            self.rep.dial(self.join, block=False)
            print(f"nngbridge: joined the pool {self.join} as {self.worker_id}", flush=True)
        elif reply["error"]["code"] in _NOT_RUN:
            reason = f"{reply['error']['code']}: {reply['error']['message']}"
            if reason != self.refused:
                self.refused = reason
                print(f"nngbridge: refused the pool {self.join} ({reason}); this worker "
                      "takes no work from it", file=sys.stderr, flush=True)

    def reply(self, reply: dict[str, Any], sock: Any = None) -> None:
        """Packs the reply straight into the outgoing message: a pixel payload is written
        into the message by ``foreach_get`` itself where the wheel allows (cp311), else
        copied once, from its buffer into the message. ``sock``: where the request came
        from (default: the Rep0 socket)."""
        sock = self.rep if sock is None else sock
        result = reply.get("result")
        data = registry.deferred(result)
        if data is not None:
            try:
                if WRITABLE_MESSAGES and self._send_filled(reply, result, data, sock):
                    return
                reply = dict(reply, result=registry.materialized(result))
            except nngbridge.NNGException:
                raise  # the client went away (the pump drops it)
            except Exception as e:  # noqa: BLE001 - as registry.run_safely: keep serving
                reply = registry.failure(reply.get("id"), e)
            try:  # its payload was reserved (registry.reserve_reply): packed in place
                sock.send_packed(reply)
                return
            except (TypeError, ValueError, OverflowError) as e:
                reply = registry.failure(reply.get("id"), e)
        try:
            body = nngbridge.packb(reply)
        except (TypeError, ValueError, OverflowError) as e:
            body = nngbridge.packb(registry.error(reply.get("id"), "INTERNAL",
                                                  f"unencodable result: {e}"))
        if len(body) > registry.LIMITS["max_message"]:  # a result no command could bound
            body = nngbridge.packb(registry.error(
                reply.get("id"), "TOO_LARGE", f"the reply would be {len(body)} bytes",
                {"limit": registry.LIMITS["max_message"], "needed": len(body)}))
        sock.send(body)

    def _send_filled(self, reply: dict[str, Any], result: dict[str, Any], data: Any,
                     sock: Any) -> bool:
        """Sends ``reply`` as one message whose last bytes ``data.fill`` (``foreach_get``)
        writes in place, viewed as float32 by numpy: ``pack_with_tail`` packs the reply
        with ``data`` last, as a ``bin 32`` whose payload is 4-byte aligned (foreach_get
        refuses an unaligned array). False (nothing sent) if that cannot be done."""
        if list(reply)[-1] != "result":
            return False
        rest = {k: v for k, v in result.items() if k != "data"}
        msg = nngbridge.pack_with_tail(dict(reply, result=rest), ("result", "data"),
                                       data.nbytes, 4)
        whole = memoryview(msg)
        body = whole[len(whole) - data.nbytes:]
        values = None
        try:
            values = numpy.frombuffer(body, dtype=numpy.float32)
            data.fill(values)
        finally:
            del values  # numpy's view first: the message cannot be sent while viewed
            body.release()
            whole.release()
        sock.send_msg(msg)
        return True

    def _sockets(self) -> list[Any]:
        """The sockets requests come on: a pool's control socket first (its liveness
        rounds must not wait behind a queue of work), then Rep0."""
        return [s for s in (self.control, self.rep) if s is not None]

    def _next_request(self) -> tuple[Any, Any] | None:
        for sock in self._sockets():
            try:
                return sock, sock.recv(block=False)
            except nngbridge.TryAgain:
                continue
        return None

    def _readable(self, timeout_s: float) -> bool:
        if self._selector is None:
            self._selector = selectors.DefaultSelector()
            for sock in self._sockets():
                self._selector.register(sock.recv_fd, selectors.EVENT_READ)
        return bool(self._selector.select(timeout=max(timeout_s, 0.0)))

    def pump(self, budget_ms: float = 4.0, linger_ms: float = 0.0) -> int:
        """Answers waiting requests for at most ``budget_ms`` (at least one), then spends
        what is left on jobs; returns how many requests were answered.

        ``linger_ms``: after answering, wait that long (within the budget) for the
        client's next request. A GUI timer fires at best every ~5 ms, so a client sending
        request after request would otherwise wait a tick for each."""
        start = time.perf_counter()
        deadline = start + budget_ms / 1000.0
        handled = 0
        while self.running:
            got = self._next_request()
            if got is None:
                left = deadline - time.perf_counter()
                if handled and linger_ms > 0 and left > 0 and not jobs.active() and \
                        self._readable(min(linger_ms / 1000.0, left)):
                    continue
                break
            sock, raw = got
            try:
                reply = self.answer(raw)
                if not reply["ok"] and reply["error"]["code"] == "INTERNAL":
                    self.log("error", f"{reply['error']['message']}\n{reply['error']['details']}")
                if sock is self.control:
                    self._admit(reply)
                self.reply(reply, sock)
            except nngbridge.NNGException:
                pass  # the client went away; nothing to answer
            handled += 1
            self.served += 1
            if time.perf_counter() >= deadline:
                break
        if self.running and jobs.active():
            jobs.run(max(deadline - time.perf_counter(), 0.0))
        return handled

    @property
    def busy(self) -> bool:
        """Whether work is waiting that the next pump should do at once."""
        return bool(jobs.active())

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

    def log(self, level: str, message: str) -> None:
        self.publish("log", {"level": level, "message": message})

    def close(self) -> None:
        self.running = False
        self._linger_for_reply()
        jobs.cancel_all()
        jobs.set_publisher(None)
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        self.rep.close()
        if self.control is not None:
            self.control.close()
        if self.pub is not None:
            self.pub.close()
        if self.token_file is not None:
            tokens.remove_token(self.address, self.token)
            self.token_file = None

    def serve_forever(self, poll_ms: float = 50.0, budget_ms: float = 50.0) -> None:
        """The background-mode loop: wait for a request (or run jobs), pump, until
        ``session.shutdown``."""
        import bpy

        sel = selectors.DefaultSelector()
        for sock in self._sockets():
            sel.register(sock.recv_fd, selectors.EVENT_READ)
        try:
            while self.running:
                sel.select(timeout=0 if self.busy else poll_ms / 1000.0)
                if self.pump(budget_ms=budget_ms) and self.pub is not None:
                    # No event loop evaluates the depsgraph under blender -b; do it here so
                    # depsgraph and selection events are published as in the GUI.
                    bpy.context.view_layer.update()
        finally:
            sel.close()
