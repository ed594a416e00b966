"""Everything ``nngbridge.scene`` raises.

* ``SceneError`` and its subclasses: the server answered with an error (one class per
  code of docs/protocol.md §4, generated into ``_codes.py``).
* ``ProtocolError``: a message broke the protocol (the client stays usable).
* ``CallTimeout`` (an ``nngbridge.Timeout``): no reply within the client's timeout.
* ``ConnectionLost``: the connection to the server dropped while a call waited for its
  reply; the command may or may not have run.
* ``EventGap``: an event stream skipped events (only with ``raise_on_gap=True``).
* ``JobFailed`` is not a class: a failed job raises the ``SceneError`` of its error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import nngbridge

from . import _codes
from ._codes import *  # noqa: F403
from ._codes import ERRORS, SceneError
from .arrays import ProtocolError

if TYPE_CHECKING:
    from .events import Event


class CallTimeout(nngbridge.Timeout):
    """No reply within the timeout (``nngbridge.Timeout``'s subclass, so either catches it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, nngbridge.lib.NNG_ETIMEDOUT)


class ConnectionLost(ConnectionError):
    """The connection dropped while a call waited for its reply: the server stopped or
    crashed. The command may or may not have run; the client reconnects by itself."""


class EventGap(Exception):
    """Events were lost before ``event`` (``missed`` of them, by ``seq``). The event is
    not lost: it is ``event``, and the stream goes on with the next one."""

    def __init__(self, missed: int, event: Event) -> None:
        super().__init__(f"{missed} event(s) lost before seq {event.seq} ({event.topic}); "
                         "they may be of topics this stream does not subscribe to")
        self.missed = missed
        self.event = event


def from_body(body: Any, cmd: str | None = None) -> SceneError:
    """The exception of a reply's or a job's ``error`` map."""
    if not isinstance(body, dict) or not isinstance(body.get("code"), str) or \
            not isinstance(body.get("message"), str):
        raise ProtocolError(f"an error that is not {{code, message, details}}: {body!r:.200}")
    cls = ERRORS.get(body["code"], SceneError)
    return cls(body["message"], body.get("details"), code=body["code"], cmd=cmd)


__all__ = ["CallTimeout", "ConnectionLost", "EventGap", "ProtocolError", "from_body"]
__all__ += _codes.__all__
