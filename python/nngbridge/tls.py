"""TLS configuration (pynng's ``TLSConfig``).

TLS is not built into nngbridge yet (NNG's TLS needs mbedTLS or wolfSSL linked into the
wheel); the class exists with pynng's constants so that imports work, and creating one
raises :class:`~nngbridge.exceptions.NotSupported` with that explanation.
"""

from __future__ import annotations

from typing import Any

from .exceptions import NotSupported


class TLSConfig:
    """pynng's TLS configuration; not supported by this build (see module docs)."""

    MODE_CLIENT = 0
    MODE_SERVER = 1
    AUTH_MODE_NONE = 0
    AUTH_MODE_OPTIONAL = 1
    AUTH_MODE_REQUIRED = 2

    def __init__(self, mode: int, **_kwargs: Any) -> None:
        raise NotSupported("TLS is not built into this nngbridge build yet", 9)

    @staticmethod
    def _apply(config: Any, sock: Any) -> None:
        raise NotSupported("TLS is not built into this nngbridge build yet", 9)
