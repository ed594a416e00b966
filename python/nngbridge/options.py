"""Option access by NNG's own option names, as pynng's ``options`` module offers.

Prefer the properties (``sock.recv_timeout``); these helpers exist for code that calls
pynng's private option functions with NNG names such as ``b"recv-timeout"``.
"""

from __future__ import annotations

from typing import Any

from . import _nng

#: NNG option name -> property name, from the native option table.
NNG_NAMES = {row[5]: row[0] for row in _nng.OPTIONS}


#: pynng's option names that NNG 2 turned into functions (or dropped, like the socket's
#: name, which nngbridge keeps itself): served by the objects' properties.
PROPERTY_NAMES = {
    "socket-name": "name",
    "raw": "raw",
    "protocol": "protocol",
    "protocol-name": "protocol_name",
    "peer": "peer",
    "peer-name": "peer_name",
    "url": "url",
    "local-address": "local_address",
    "remote-address": "remote_address",
    "recv-fd": "recv_fd",
    "send-fd": "send_fd",
    "tls-config": "tls_config",
}


def _text(option: str | bytes) -> str:
    return option.decode() if isinstance(option, bytes) else option


def _name(option: str | bytes) -> str:
    text = _text(option)
    return NNG_NAMES.get(text, text)


def _getopt(obj: Any, option: str | bytes) -> Any:
    prop = PROPERTY_NAMES.get(_text(option))
    if prop is not None:
        return getattr(obj, prop)
    return obj._getopt(_name(option))


def _setopt(obj: Any, option: str | bytes, value: Any) -> None:
    prop = PROPERTY_NAMES.get(_text(option))
    if prop is not None:
        setattr(obj, prop, value)
        return
    obj._setopt(_name(option), value)


_getopt_int = _getopt_size = _getopt_ms = _getopt_bool = _getopt_string = _getopt
_getopt_sockaddr = _getopt
_setopt_int = _setopt_size = _setopt_ms = _setopt_bool = _setopt_string = _setopt
_setopt_string_nonnull = _setopt_ptr = _setopt
