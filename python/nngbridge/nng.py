"""pynng's socket classes over the native module.

Hot paths (send, recv, messages) are native; this file holds what pynng's surface needs
in Python: constructor keywords, option properties generated from the native option
table, and the async methods, which delegate to :mod:`nngbridge._aio`.
"""

from __future__ import annotations

import atexit
import weakref
from typing import TYPE_CHECKING, Any, TypeVar
from collections.abc import Callable, Iterable

from . import _aio, _nng
from ._nng import Context, Dialer, Listener, Message, Pipe

__all__ = [
    "Bus0",
    "Context",
    "Dialer",
    "Listener",
    "Message",
    "Pair0",
    "Pair1",
    "Pipe",
    "Pub0",
    "Pull0",
    "Push0",
    "Rep0",
    "Req0",
    "Respondent0",
    "Socket",
    "Sub0",
    "Surveyor0",
]

_live_sockets: weakref.WeakSet[Socket] = weakref.WeakSet()
_T = TypeVar("_T")


def _read_only(_obj: Any, _value: Any) -> None:
    # pynng hands every write to NNG, which answers NNG_EREADONLY for these.
    from .exceptions import ReadOnly, _error

    raise _error(ReadOnly)


def _install_options(cls: type, target: str, skip: Iterable[str] = ()) -> None:
    # The native classes get theirs from the native module; these are the socket classes'.
    for name, _kind, _readable, _writable, targets, _nng_name in _nng.OPTIONS:
        if target in targets and name not in skip and name not in cls.__dict__:
            setattr(cls, name, _nng.OptionProperty(name))


class Socket(_nng.Socket):
    """Base class of the protocol sockets; open a subclass such as :class:`Req0`.

    Keywords as in pynng: ``dial``, ``listen``, ``recv_timeout``, ``send_timeout``,
    ``recv_buffer_size``, ``send_buffer_size``, ``recv_max_size``,
    ``reconnect_time_min``, ``reconnect_time_max``, ``opener``, ``block_on_dial``,
    ``name``, ``tls_config``, ``async_backend``.
    """

    _protocol: str | None = None

    if TYPE_CHECKING:
        # BEGIN generated options: scripts/gen_stubs.py
        recv_buffer_size: int
        send_buffer_size: int
        recv_timeout: int
        send_timeout: int
        ttl_max: int
        recv_max_size: int
        reconnect_time_min: int
        reconnect_time_max: int
        tcp_nodelay: bool
        tcp_keepalive: bool
        resend_tick: int
        # END generated options

    def __init__(
        self,
        *,
        dial: str | bytes | None = None,
        listen: str | bytes | None = None,
        recv_timeout: int | None = None,
        send_timeout: int | None = None,
        recv_buffer_size: int | None = None,
        send_buffer_size: int | None = None,
        recv_max_size: int | None = None,
        reconnect_time_min: int | None = None,
        reconnect_time_max: int | None = None,
        opener: Any = None,
        block_on_dial: bool | None = None,
        name: str | None = None,
        tls_config: Any = None,
        async_backend: str | None = None,
    ) -> None:
        self._bind_owner()
        _live_sockets.add(self)
        if tls_config is not None:
            self.tls_config = tls_config
        for opt, value in (
            ("recv_timeout", recv_timeout),
            ("send_timeout", send_timeout),
            ("recv_max_size", recv_max_size),
            ("reconnect_time_min", reconnect_time_min),
            ("reconnect_time_max", reconnect_time_max),
            ("recv_buffer_size", recv_buffer_size),
            ("send_buffer_size", send_buffer_size),
        ):
            if value is not None:
                setattr(self, opt, value)
        if name is not None:
            self.name = name
        if listen is not None:
            self.listen(listen)
        if dial is not None:
            self.dial(dial, block=block_on_dial)

    @property
    def tls_config(self) -> Any:
        raise TypeError("tls_config cannot be read")

    @tls_config.setter
    def tls_config(self, value: Any) -> None:
        from .tls import TLSConfig

        TLSConfig._apply(value, self)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from __del__
            pass

    async def arecv(self) -> bytes:
        """Receive a message as bytes, without blocking the event loop."""
        return await _aio.arecv(self)

    async def asend(self, data: Any) -> None:
        """Send ``data`` without blocking the event loop."""
        await _aio.asend(self, data)

    async def arecv_msg(self) -> Message:
        """Receive a :class:`Message`, without blocking the event loop."""
        return await _aio.arecv_msg(self)

    async def asend_msg(self, msg: Message) -> None:
        """Send a :class:`Message`, without blocking the event loop."""
        await _aio.asend_msg(self, msg)

    async def aclose(self) -> None:
        """Close the socket (pynng 1.0's async form of ``close``)."""
        await _aio.aclose(self)

    async def __aenter__(self) -> Socket:
        return await _aio.aenter(self)

    async def __aexit__(self, *exc_info: Any) -> None:
        await _aio.aexit(self, *exc_info)

    def __aiter__(self) -> Socket:
        return self

    async def __anext__(self) -> Message:
        return await _aio.anext_msg(self)


_PROTOCOL_OPTIONS = ("polyamorous", "resend_time", "survey_time", "sub_prefnew")
_install_options(Socket, "socket", skip=_PROTOCOL_OPTIONS)


class Bus0(Socket):
    """Bus: every message goes to every directly connected peer."""

    _protocol = "bus0"


class Pair0(Socket):
    """Pair v0: one-to-one."""

    _protocol = "pair0"


class Pair1(Socket):
    """Pair v1; ``polyamorous=True`` allows many peers (address them via ``msg.pipe``)."""

    _protocol = "pair1"

    def __init__(self, *, polyamorous: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    polyamorous = property(lambda self: bool(self._getopt("polyamorous")), _read_only)


class Push0(Socket):
    """Pipeline sender."""

    _protocol = "push0"


class Pull0(Socket):
    """Pipeline receiver."""

    _protocol = "pull0"


class Pub0(Socket):
    """Publisher."""

    _protocol = "pub0"


class Sub0(Socket):
    """Subscriber; ``topics`` (str, bytes or an iterable of them) subscribes at once."""

    _protocol = "sub0"

    def __init__(self, *, topics: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if topics is None:
            return
        if isinstance(topics, (str, bytes)):
            topics = [topics]
        for topic in topics:
            self.subscribe(topic)

    def subscribe(self, topic: str | bytes) -> None:
        """Receive messages starting with ``topic`` (str is UTF-8 encoded)."""
        self._subscribe(topic)

    def unsubscribe(self, topic: str | bytes) -> None:
        """Stop receiving messages for ``topic``."""
        self._unsubscribe(topic)


class Req0(Socket):
    """Request side of request/reply; ``resend_time`` in ms."""

    _protocol = "req0"
    resend_time = _nng.OptionProperty("resend_time")

    def __init__(self, *, resend_time: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if resend_time is not None:
            self.resend_time = resend_time


class Rep0(Socket):
    """Reply side of request/reply."""

    _protocol = "rep0"


class Surveyor0(Socket):
    """Surveyor; ``survey_time`` in ms."""

    _protocol = "surveyor0"
    survey_time = _nng.OptionProperty("survey_time")

    def __init__(self, *, survey_time: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if survey_time is not None:
            self.survey_time = survey_time

    # NNG 2 answers a receive after the survey ended with BadState; NNG 1 (and so
    # pynng) with Timeout. Before any survey both say BadState.
    _surveyed = False

    def send(self, data: Any, block: bool = True) -> None:
        super().send(data, block)
        self._surveyed = True

    def send_msg(self, msg: Message, block: bool = True) -> None:
        super().send_msg(msg, block)
        self._surveyed = True

    def recv(self, block: bool = True) -> bytes:
        return _survey_result(self, lambda: super(Surveyor0, self).recv(block))

    def recv_msg(self, block: bool = True) -> Message:
        return _survey_result(self, lambda: super(Surveyor0, self).recv_msg(block))


def _survey_result(sock: Surveyor0, call: Callable[[], _T]) -> _T:
    from .exceptions import BadState, Timeout, _error

    try:
        return call()
    except BadState:
        if not sock._surveyed:
            raise
        raise _error(Timeout) from None


class Respondent0(Socket):
    """Respondent: answers surveys."""

    _protocol = "respondent0"


@atexit.register
def _close_all_sockets() -> None:
    # Close before the interpreter finalises, so that NNG's threads never call back
    # into a dying interpreter and blocked calls in other threads return Closed.
    for sock in list(_live_sockets):
        try:
            sock.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    # Let calls woken by the close leave native code before finalisation begins.
    _nng._wait_idle(2.0)
