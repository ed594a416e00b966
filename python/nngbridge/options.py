"""Option access by NNG's own option names, as pynng's ``options`` module offers.

Prefer the properties (``sock.recv_timeout``); these helpers exist for code that calls
pynng's private option functions with NNG names such as ``b"recv-timeout"``.
"""

from __future__ import annotations

from typing import Any

from . import _nng

#: NNG option name -> property name, from the native option table.
NNG_NAMES = {row[5]: row[0] for row in _nng.OPTIONS}


def _name(option: str | bytes) -> str:
    text = option.decode() if isinstance(option, bytes) else option
    return NNG_NAMES.get(text, text)


def _getopt(obj: Any, option: str | bytes) -> Any:
    return obj._getopt(_name(option))


def _setopt(obj: Any, option: str | bytes, value: Any) -> None:
    obj._setopt(_name(option), value)


_getopt_int = _getopt_size = _getopt_ms = _getopt_bool = _getopt_string = _getopt
_setopt_int = _setopt_size = _setopt_ms = _setopt_bool = _setopt_string = _setopt
