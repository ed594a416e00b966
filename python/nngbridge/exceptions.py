"""pynng's exception hierarchy: one class per NNG error code, each with ``errno``.

``EXCEPTION_MAP`` maps NNG error number to class, built from the native module's
``ERRORS`` table; the native module raises through it.
"""

from __future__ import annotations

from typing import TypeVar

from ._nng import ERRORS, _strerror

# What ``nngbridge`` re-exports (pynng's top level has no EXCEPTION_MAP).
__all__ = [
    "AddressInUse",
    "AddressInvalid",
    "AlreadyExists",
    "Ambiguous",
    "AuthenticationError",
    "BadState",
    "BadType",
    "Busy",
    "Canceled",
    "Closed",
    "ConnectionAborted",
    "ConnectionRefused",
    "ConnectionReset",
    "CryptoError",
    "DestinationUnreachable",
    "Internal",
    "Interrupted",
    "InvalidOperation",
    "MessageStateError",
    "MessageTooLarge",
    "NNGException",
    "NoArgument",
    "NoEntry",
    "NoMemory",
    "NotSupported",
    "OutOfFiles",
    "OutOfSpace",
    "PermissionDenied",
    "ProtocolError",
    "ReadOnly",
    "Timeout",
    "TryAgain",
    "WriteOnly",
    "check_err",
]


class NNGException(Exception):
    """Base of every NNG error; ``errno`` is NNG's error number."""

    def __init__(self, msg: str, errno: int) -> None:
        super().__init__(msg)
        self.errno = errno


class Interrupted(NNGException):  # NNG_EINTR
    pass


class NoMemory(NNGException):  # NNG_ENOMEM
    pass


class InvalidOperation(NNGException):  # NNG_EINVAL
    pass


class Busy(NNGException):  # NNG_EBUSY
    pass


class Timeout(NNGException):  # NNG_ETIMEDOUT
    pass


class ConnectionRefused(NNGException):  # NNG_ECONNREFUSED
    pass


class Closed(NNGException):  # NNG_ECLOSED
    pass


class TryAgain(NNGException):  # NNG_EAGAIN
    pass


class NotSupported(NNGException):  # NNG_ENOTSUP
    pass


class AddressInUse(NNGException):  # NNG_EADDRINUSE
    pass


class BadState(NNGException):  # NNG_ESTATE
    pass


class NoEntry(NNGException):  # NNG_ENOENT
    pass


class ProtocolError(NNGException):  # NNG_EPROTO
    pass


class DestinationUnreachable(NNGException):  # NNG_EUNREACHABLE
    pass


class AddressInvalid(NNGException):  # NNG_EADDRINVAL
    pass


class PermissionDenied(NNGException):  # NNG_EPERM
    pass


class MessageTooLarge(NNGException):  # NNG_EMSGSIZE
    pass


class ConnectionReset(NNGException):  # NNG_ECONNRESET
    pass


class ConnectionAborted(NNGException):  # NNG_ECONNABORTED
    pass


class Canceled(NNGException):  # NNG_ECANCELED
    pass


class OutOfFiles(NNGException):  # NNG_ENOFILES
    pass


class OutOfSpace(NNGException):  # NNG_ENOSPC
    pass


class AlreadyExists(NNGException):  # NNG_EEXIST
    pass


class ReadOnly(NNGException):  # NNG_EREADONLY
    pass


class WriteOnly(NNGException):  # NNG_EWRITEONLY
    pass


class CryptoError(NNGException):  # NNG_ECRYPTO
    pass


class AuthenticationError(NNGException):  # NNG_EPEERAUTH
    pass


class NoArgument(NNGException):  # NNG_ENOARG
    pass


class Ambiguous(NNGException):  # NNG_EAMBIGUOUS
    pass


class BadType(NNGException):  # NNG_EBADTYPE
    pass


class Internal(NNGException):  # NNG_EINTERNAL
    pass


class MessageStateError(Exception):
    """A Message was used in a way its state does not allow (e.g. sent twice)."""


def _exception_map() -> dict[int, type[NNGException]]:
    # The numbers come from the native module's one table (``_nng.ERRORS``, built from the
    # Rust crate's ``ERROR_CODES``); the classes above are those of pynng's names.
    out: dict[int, type[NNGException]] = {}
    for name, errno in ERRORS.items():
        cls = globals().get(name)
        if isinstance(cls, type) and issubclass(cls, NNGException):
            out[errno] = cls
    return out


EXCEPTION_MAP: dict[int, type[NNGException]] = _exception_map()

_E = TypeVar("_E", bound=NNGException)


def _error(cls: type[_E], msg: str | None = None) -> _E:
    """``cls`` with its NNG error number and NNG's text for it (or ``msg``)."""
    errno = ERRORS[cls.__name__]
    return cls(_strerror(errno) if msg is None else msg, errno)


def check_err(err: int) -> None:
    """Raise the exception for NNG error number ``err``; do nothing for 0."""
    if err == 0:
        return
    cls = EXCEPTION_MAP.get(err, NNGException)
    raise cls(_strerror(err), err)
