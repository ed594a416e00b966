"""Socket addresses as pynng reports them (``pipe.remote_address``, ``listener.local_address``).

The same surface as pynng's: each class wraps an ``nng_sockaddr`` (``ffi_sock_addr[0]``,
with ``s_family`` and one union member such as ``s_in.sa_port``), and ``_nng_sockaddr``
picks the class by family. nngbridge builds that structure from what the native module
reports (``_native``), so code that reads pynng's fields, or makes an address from its
own structure as pynng's tests do, works unchanged.
"""

from __future__ import annotations

import socket
import struct
import urllib.parse
from types import SimpleNamespace
from typing import Any

from . import lib


class SockAddr:
    """Python wrapper for struct nng_sockaddr."""

    type_to_str = {
        lib.NNG_AF_UNSPEC: "Unspecified",
        lib.NNG_AF_INPROC: "inproc",
        lib.NNG_AF_IPC: "ipc",
        lib.NNG_AF_INET: "inet",
        lib.NNG_AF_INET6: "inetv6",
        lib.NNG_AF_ZT: "zerotier",
        lib.NNG_AF_ABSTRACT: "abstract",
    }

    def __init__(self, ffi_sock_addr: Any) -> None:
        self._sock_addr = ffi_sock_addr

    @property
    def sock_addr(self) -> Any:
        return self._sock_addr[0]

    @property
    def family(self) -> int:
        """The integer address family (``lib.NNG_AF_*``)."""
        return int(self.sock_addr.s_family)

    @property
    def family_as_str(self) -> str:
        """The address family's name."""
        return self.type_to_str[self.family]

    def __repr__(self) -> str:
        return f"nng_sockaddr {{.family = {self.family}}}"


def _c_string(raw: Any) -> bytes:
    """A C char array's text: its bytes up to the first NUL."""
    return bytes(raw).split(b"\0", 1)[0]


class InprocAddr(SockAddr):
    """``inproc://`` address."""

    def __init__(self, ffi_sock_addr: Any) -> None:
        super().__init__(ffi_sock_addr)
        self._mem = self.sock_addr.s_inproc

    @property
    def name_bytes(self) -> bytes:
        return _c_string(self._mem.sa_name)

    @property
    def name(self) -> str:
        return self.name_bytes.decode()

    def __str__(self) -> str:
        return self.name


class IPCAddr(SockAddr):
    """``ipc://`` address."""

    def __init__(self, ffi_sock_addr: Any) -> None:
        super().__init__(ffi_sock_addr)
        self._mem = self.sock_addr.s_ipc

    @property
    def path_bytes(self) -> bytes:
        return _c_string(self._mem.sa_path)

    @property
    def path(self) -> str:
        return self.path_bytes.decode()

    def __str__(self) -> str:
        return self.path


class InAddr(SockAddr):
    """IPv4 address; ``addr`` and ``port`` in network byte order, as pynng gives them."""

    def __init__(self, ffi_sock_addr: Any) -> None:
        super().__init__(ffi_sock_addr)
        self._mem = self.sock_addr.s_in

    @property
    def port(self) -> int:
        """Port, big-endian style."""
        return int(self._mem.sa_port)

    @property
    def addr(self) -> int:
        """IP address as a big-endian 32-bit number."""
        return int(self._mem.sa_addr)

    def __str__(self) -> str:
        ip = socket.inet_ntop(socket.AF_INET, struct.pack("I", self.addr))
        return f"{ip}:{socket.ntohs(self.port)}"


class In6Addr(SockAddr):
    """IPv6 address; ``addr`` as 16 bytes, ``port`` in network byte order."""

    def __init__(self, ffi_sock_addr: Any) -> None:
        super().__init__(ffi_sock_addr)
        self._mem = self.sock_addr.s_in6

    @property
    def port(self) -> int:
        """Port, big-endian style."""
        return int(self._mem.sa_port)

    @property
    def addr(self) -> bytes:
        """IP address as big-endian bytes."""
        return bytes(self._mem.sa_addr)

    def __str__(self) -> str:
        ip = socket.inet_ntop(socket.AF_INET6, self.addr)
        return f"[{ip}]:{socket.ntohs(self.port)}"


class ZTAddr(SockAddr):
    """ZeroTier address (NNG 2 has no ZeroTier transport; kept for pynng's surface)."""

    def __init__(self, ffi_sock_addr: Any) -> None:
        super().__init__(ffi_sock_addr)
        self._mem = self.sock_addr.s_zt

    @property
    def nwid(self) -> int:
        return int(self._mem.sa_nwid)

    @property
    def nodeid(self) -> int:
        return int(self._mem.sa_nodeid)

    @property
    def port(self) -> int:
        return int(self._mem.sa_port)


class AbstractAddr(SockAddr):
    """Linux abstract socket address (``abstract://name``)."""

    def __init__(self, ffi_sock_addr: Any) -> None:
        super().__init__(ffi_sock_addr)
        self._mem = self.sock_addr.s_abstract

    @property
    def name_bytes(self) -> bytes:
        """The name's raw bytes (``sa_len`` of them)."""
        return bytes(self._mem.sa_name[0:self._mem.sa_len])

    @property
    def name(self) -> str:
        """The name, URI escapes decoded (its bytes' repr if they are not UTF-8)."""
        try:
            return urllib.parse.unquote(self.name_bytes.decode("utf-8"))
        except UnicodeDecodeError:
            return repr(self.name_bytes)

    def __str__(self) -> str:
        try:
            return "abstract://" + urllib.parse.quote(self.name_bytes.decode("utf-8"))
        except UnicodeDecodeError:
            return "abstract://" + self.name_bytes.hex()


def _nng_sockaddr(sa: Any) -> SockAddr:
    """The address object for ``sa`` (``sa[0]`` an nng_sockaddr), by its family."""
    lookup: dict[int, type[SockAddr]] = {
        lib.NNG_AF_INPROC: InprocAddr,
        lib.NNG_AF_IPC: IPCAddr,
        lib.NNG_AF_INET: InAddr,
        lib.NNG_AF_INET6: In6Addr,
        lib.NNG_AF_ZT: ZTAddr,
        lib.NNG_AF_ABSTRACT: AbstractAddr,
    }
    # an unknown or unspecified family gets the base class
    cls = lookup.get(sa[0].s_family, SockAddr)
    return cls(sa)


def _native(family: int, data: bytes = b"", host_addr: int = 0, host_port: int = 0,
            scope: int = 0) -> SockAddr:
    """The address the native module reports, as an ``nng_sockaddr``: ``family`` is
    pynng's ``NNG_AF_*``; ``data`` the name, path or IPv6 bytes; ``host_addr`` an IPv4
    address and ``host_port`` a port, both in host byte order."""
    port = socket.htons(host_port)
    sa = SimpleNamespace(s_family=family)
    if family == lib.NNG_AF_INPROC:
        sa.s_inproc = SimpleNamespace(sa_name=data)
    elif family == lib.NNG_AF_IPC:
        sa.s_ipc = SimpleNamespace(sa_path=data)
    elif family == lib.NNG_AF_INET:
        sa.s_in = SimpleNamespace(sa_family=family, sa_port=port,
                                  sa_addr=struct.unpack("I", struct.pack("!I", host_addr))[0])
    elif family == lib.NNG_AF_INET6:
        sa.s_in6 = SimpleNamespace(sa_family=family, sa_port=port, sa_addr=data,
                                   sa_scope=scope)
    elif family == lib.NNG_AF_ABSTRACT:
        sa.s_abstract = SimpleNamespace(sa_family=family, sa_len=len(data), sa_name=data)
    return _nng_sockaddr([sa])
