"""The names pynng programs take from ``pynng.lib`` (pynng's cffi library), as a plain
namespace: NNG's constants and the socket openers.

Constants have the values pynng 0.9.0 (NNG 1.11) gives them, because that is what pynng
programs compare against (a ``SockAddr.family``, a pipe event). NNG 2 renumbered a few
(``NNG_AF_ABSTRACT`` is 5 there, the pipe events are 1-3), and nngbridge reports pynng's
numbers everywhere. Error numbers come from the native module's one table
(``_nng.ERRORS``). The openers (``nng_pair0_open``, ``nng_sub0_open_raw``, ...) are
objects ``Socket(opener=...)`` accepts; they cannot be called, as there is no C socket
to pass them. Functions of NNG's C API are not here: the sockets' methods and
properties are their Python form. ``docs/pynng-compat.md`` lists the names.
"""

from __future__ import annotations

from ._nng import ERRORS, nng_version

# Address families (``nng_sockaddr.s_family``), as pynng numbers them.
NNG_AF_UNSPEC = 0
NNG_AF_INPROC = 1
NNG_AF_IPC = 2
NNG_AF_INET = 3
NNG_AF_INET6 = 4
NNG_AF_ZT = 5
NNG_AF_ABSTRACT = 6

# Flags of send and receive calls.
NNG_FLAG_ALLOC = 1
NNG_FLAG_NONBLOCK = 2

# Pipe events, as pynng's callbacks are keyed.
NNG_PIPE_EV_ADD_PRE = 0
NNG_PIPE_EV_ADD_POST = 1
NNG_PIPE_EV_REM_POST = 2
NNG_PIPE_EV_NUM = 3

# TLS (``tls.TLSConfig``).
NNG_TLS_MODE_CLIENT = 0
NNG_TLS_MODE_SERVER = 1
NNG_TLS_AUTH_MODE_NONE = 0
NNG_TLS_AUTH_MODE_OPTIONAL = 1
NNG_TLS_AUTH_MODE_REQUIRED = 2
NNG_TLS_1_0 = 0x301
NNG_TLS_1_1 = 0x302
NNG_TLS_1_2 = 0x303
NNG_TLS_1_3 = 0x304

# Statistics and their units.
NNG_STAT_SCOPE = 0
NNG_STAT_LEVEL = 1
NNG_STAT_COUNTER = 2
NNG_STAT_STRING = 3
NNG_STAT_BOOLEAN = 4
NNG_STAT_ID = 5
NNG_UNIT_NONE = 0
NNG_UNIT_BYTES = 1
NNG_UNIT_MESSAGES = 2
NNG_UNIT_MILLIS = 3
NNG_UNIT_EVENTS = 4

# nng_init parameters (pynng's names; NNG 2 takes them as a struct).
NNG_INIT_PARAMETER_NONE = 0
NNG_INIT_NUM_TASK_THREADS = 1
NNG_INIT_NUM_EXPIRE_THREADS = 2
NNG_INIT_NUM_POLLER_THREADS = 3
NNG_INIT_NUM_RESOLVER_THREADS = 4
NNG_INIT_MAX_TASK_THREADS = 5
NNG_INIT_MAX_EXPIRE_THREADS = 6
NNG_INIT_MAX_POLLER_THREADS = 7

# The version of the NNG nngbridge runs (2.x; pynng 0.9.0 bundles 1.11).
NNG_MAJOR_VERSION, NNG_MINOR_VERSION, NNG_PATCH_VERSION = (
    int(part) for part in nng_version().split(".")[:3]
)

# Error numbers: NNG's names for the native module's one table (by pynng's class names).
NNG_EINTR = ERRORS["Interrupted"]
NNG_ENOMEM = ERRORS["NoMemory"]
NNG_EINVAL = ERRORS["InvalidOperation"]
NNG_EBUSY = ERRORS["Busy"]
NNG_ETIMEDOUT = ERRORS["Timeout"]
NNG_ECONNREFUSED = ERRORS["ConnectionRefused"]
NNG_ECLOSED = ERRORS["Closed"]
NNG_EAGAIN = ERRORS["TryAgain"]
NNG_ENOTSUP = ERRORS["NotSupported"]
NNG_EADDRINUSE = ERRORS["AddressInUse"]
NNG_ESTATE = ERRORS["BadState"]
NNG_ENOENT = ERRORS["NoEntry"]
NNG_EPROTO = ERRORS["ProtocolError"]
NNG_EUNREACHABLE = ERRORS["DestinationUnreachable"]
NNG_EADDRINVAL = ERRORS["AddressInvalid"]
NNG_EPERM = ERRORS["PermissionDenied"]
NNG_EMSGSIZE = ERRORS["MessageTooLarge"]
NNG_ECONNABORTED = ERRORS["ConnectionAborted"]
NNG_ECONNRESET = ERRORS["ConnectionReset"]
NNG_ECANCELED = ERRORS["Canceled"]
NNG_ENOFILES = ERRORS["OutOfFiles"]
NNG_ENOSPC = ERRORS["OutOfSpace"]
NNG_EEXIST = ERRORS["AlreadyExists"]
NNG_EREADONLY = ERRORS["ReadOnly"]
NNG_EWRITEONLY = ERRORS["WriteOnly"]
NNG_ECRYPTO = ERRORS["CryptoError"]
NNG_EPEERAUTH = ERRORS["AuthenticationError"]
NNG_ENOARG = ERRORS["NoArgument"]
NNG_EAMBIGUOUS = ERRORS["Ambiguous"]
NNG_EBADTYPE = ERRORS["BadType"]
NNG_ECONNSHUT = ERRORS["ConnectionShutdown"]
NNG_EINTERNAL = ERRORS["Internal"]
NNG_ESYSERR = 0x10000000
NNG_ETRANERR = 0x20000000


class Opener:
    """An ``nng_<protocol>_open[_raw]`` function of pynng's ``lib``: names the protocol
    (and whether the socket is raw) that ``Socket(opener=...)`` opens."""

    __slots__ = ("__name__", "_protocol", "_raw")

    def __init__(self, name: str, protocol: str, raw: bool = False) -> None:
        self.__name__ = name
        self._protocol = protocol
        self._raw = raw

    def __repr__(self) -> str:
        return f"<nngbridge.lib opener {self.__name__}>"

    def __call__(self, *_args: object) -> int:
        raise TypeError(f"{self.__name__} opens a socket when passed as "
                        f"Socket(opener=lib.{self.__name__}); it cannot be called")


nng_bus0_open = Opener("nng_bus0_open", "bus0")
nng_bus0_open_raw = Opener("nng_bus0_open_raw", "bus0", raw=True)
nng_pair0_open = Opener("nng_pair0_open", "pair0")
nng_pair0_open_raw = Opener("nng_pair0_open_raw", "pair0", raw=True)
nng_pair1_open = Opener("nng_pair1_open", "pair1")
nng_pair1_open_raw = Opener("nng_pair1_open_raw", "pair1", raw=True)
nng_pub0_open = Opener("nng_pub0_open", "pub0")
nng_pub0_open_raw = Opener("nng_pub0_open_raw", "pub0", raw=True)
nng_sub0_open = Opener("nng_sub0_open", "sub0")
nng_sub0_open_raw = Opener("nng_sub0_open_raw", "sub0", raw=True)
nng_push0_open = Opener("nng_push0_open", "push0")
nng_push0_open_raw = Opener("nng_push0_open_raw", "push0", raw=True)
nng_pull0_open = Opener("nng_pull0_open", "pull0")
nng_pull0_open_raw = Opener("nng_pull0_open_raw", "pull0", raw=True)
nng_req0_open = Opener("nng_req0_open", "req0")
nng_req0_open_raw = Opener("nng_req0_open_raw", "req0", raw=True)
nng_rep0_open = Opener("nng_rep0_open", "rep0")
nng_rep0_open_raw = Opener("nng_rep0_open_raw", "rep0", raw=True)
nng_surveyor0_open = Opener("nng_surveyor0_open", "surveyor0")
nng_surveyor0_open_raw = Opener("nng_surveyor0_open_raw", "surveyor0", raw=True)
nng_respondent0_open = Opener("nng_respondent0_open", "respondent0")
nng_respondent0_open_raw = Opener("nng_respondent0_open_raw", "respondent0", raw=True)
nng_pair1_open_poly = Opener("nng_pair1_open_poly", "pair1poly")
