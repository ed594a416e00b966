"""Socket addresses as pynng reports them (``pipe.remote_address``, ``listener.local_address``)."""

from __future__ import annotations

import socket
import struct
import urllib.parse


class SockAddr:
    """An address of family ``family`` (NNG's ``NNG_AF_*`` number)."""

    type_to_str = {
        0: "Unspecified",
        1: "inproc",
        2: "ipc",
        3: "inet",
        4: "inetv6",
        5: "zerotier",
        6: "abstract",
    }
    family_number = 0

    def __init__(self, *_args: object) -> None:
        pass

    @property
    def family(self) -> int:
        """The integer address family."""
        return self.family_number

    @property
    def family_as_str(self) -> str:
        """The address family's name."""
        return self.type_to_str[self.family]

    def __repr__(self) -> str:
        return f"nng_sockaddr {{.family = {self.family}}}"


class InprocAddr(SockAddr):
    """``inproc://`` address."""

    family_number = 1

    def __init__(self, name: bytes) -> None:
        self.name_bytes = name

    @property
    def name(self) -> str:
        return self.name_bytes.decode()

    def __str__(self) -> str:
        return self.name


class IPCAddr(SockAddr):
    """``ipc://`` address."""

    family_number = 2

    def __init__(self, path: bytes) -> None:
        self.path_bytes = path

    @property
    def path(self) -> str:
        return self.path_bytes.decode()

    def __str__(self) -> str:
        return self.path


class InAddr(SockAddr):
    """IPv4 address; ``addr`` and ``port`` in network byte order, as pynng gives them."""

    family_number = 3

    def __init__(self, host_addr: int, host_port: int) -> None:
        self.addr = struct.unpack("I", struct.pack("!I", host_addr))[0]
        self.port = socket.htons(host_port)

    def __str__(self) -> str:
        ip = socket.inet_ntop(socket.AF_INET, struct.pack("I", self.addr))
        return f"{ip}:{socket.ntohs(self.port)}"


class In6Addr(SockAddr):
    """IPv6 address; ``addr`` as 16 bytes, ``port`` in network byte order."""

    family_number = 4

    def __init__(self, addr: bytes, host_port: int) -> None:
        self.addr = bytes(addr)
        self.port = socket.htons(host_port)

    def __str__(self) -> str:
        ip = socket.inet_ntop(socket.AF_INET6, self.addr)
        return f"[{ip}]:{socket.ntohs(self.port)}"


class ZTAddr(SockAddr):
    """ZeroTier address (NNG 2 has no ZeroTier transport; kept for the name)."""

    family_number = 5


class AbstractAddr(SockAddr):
    """Linux abstract socket address."""

    family_number = 6

    def __init__(self, name: bytes) -> None:
        self.name_bytes = bytes(name)

    @property
    def name(self) -> str:
        try:
            return urllib.parse.unquote(self.name_bytes.decode("utf-8"))
        except UnicodeDecodeError:
            return repr(self.name_bytes)

    def __str__(self) -> str:
        try:
            return "abstract://" + urllib.parse.quote(self.name_bytes.decode("utf-8"))
        except UnicodeDecodeError:
            return "abstract://" + self.name_bytes.hex()
