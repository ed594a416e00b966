"""TLS configuration (pynng's ``TLSConfig``).

TLS is not built into nngbridge yet (NNG's TLS needs mbedTLS or wolfSSL linked into the
wheel); the class exists with pynng's constants so that imports work, and creating one
raises :class:`~nngbridge.exceptions.NotSupported` with that explanation.
"""

from __future__ import annotations

from typing import Any

from .exceptions import NotSupported, _error


class TLSConfig:
    """pynng's TLS configuration; not supported by this build (see module docs)."""

    MODE_CLIENT = 0
    MODE_SERVER = 1
    AUTH_MODE_NONE = 0
    AUTH_MODE_OPTIONAL = 1
    AUTH_MODE_REQUIRED = 2

    def __init__(self, mode: int, server_name: Any = None, ca_string: Any = None,
                 own_key_string: Any = None, own_cert_string: Any = None,
                 auth_mode: Any = None, ca_files: Any = None, cert_key_file: Any = None,
                 passwd: Any = None) -> None:
        _unsupported()

    def set_server_name(self, server_name: Any) -> None:
        _unsupported()

    def set_ca_chain(self, chain: Any, crl: Any = None) -> None:
        _unsupported()

    def set_own_cert(self, cert: Any, key: Any, passwd: Any = None) -> None:
        _unsupported()

    def set_auth_mode(self, mode: Any) -> None:
        _unsupported()

    def add_ca_file(self, path: Any) -> None:
        _unsupported()

    def set_cert_key_file(self, path: Any, passwd: Any = None) -> None:
        _unsupported()

    @staticmethod
    def _apply(config: Any, sock: Any) -> None:
        _unsupported()


def _unsupported() -> None:
    raise _error(NotSupported, "TLS is not built into this nngbridge build yet")
