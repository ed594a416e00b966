"""pynng's exception hierarchy: one class per NNG error code, each with ``errno``.

``EXCEPTION_MAP`` is the single table from NNG error number to class; the native
module raises through it.
"""

from __future__ import annotations


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


EXCEPTION_MAP: dict[int, type[NNGException]] = {
    1: Interrupted,
    2: NoMemory,
    3: InvalidOperation,
    4: Busy,
    5: Timeout,
    6: ConnectionRefused,
    7: Closed,
    8: TryAgain,
    9: NotSupported,
    10: AddressInUse,
    11: BadState,
    12: NoEntry,
    13: ProtocolError,
    14: DestinationUnreachable,
    15: AddressInvalid,
    16: PermissionDenied,
    17: MessageTooLarge,
    18: ConnectionAborted,
    19: ConnectionReset,
    20: Canceled,
    21: OutOfFiles,
    22: OutOfSpace,
    23: AlreadyExists,
    24: ReadOnly,
    25: WriteOnly,
    26: CryptoError,
    27: AuthenticationError,
    28: NoArgument,
    29: Ambiguous,
    30: BadType,
    1000: Internal,
}


def check_err(err: int) -> None:
    """Raise the exception for NNG error number ``err``; do nothing for 0."""
    if err == 0:
        return
    from ._nng import _strerror

    cls = EXCEPTION_MAP.get(err, NNGException)
    raise cls(_strerror(err), err)
