"""TLS configuration (pynng's ``TLSConfig``) for ``tls+tcp://`` addresses.

NNG's TLS is built in, with mbedTLS linked statically (see the README). A configuration
is for one side, :attr:`TLSConfig.MODE_CLIENT` (dialers) or :attr:`TLSConfig.MODE_SERVER`
(listeners); give it to a socket (``Socket(tls_config=...)`` or ``sock.tls_config = ...``:
every ``tls+tcp://`` endpoint the socket makes afterwards uses it), or to a dialer or
listener before it starts. Once used, NNG freezes it: setters then raise ``Busy``.

Unlike pynng, ``auth_mode=TLSConfig.AUTH_MODE_NONE`` is applied (pynng skips a false
value), so a client can turn off server verification explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Union

from . import _nng

_Text = Union[str, bytes]


class TLSConfig:
    """TLS configuration, with pynng's constructor and methods.

    Args:
        mode: :attr:`MODE_CLIENT` or :attr:`MODE_SERVER`.
        server_name: the name the server's certificate must match (clients).
        ca_string: trusted CA certificates, PEM.
        own_key_string / own_cert_string: this side's key and certificate, PEM (both or
            neither); the key may be encrypted with ``passwd``.
        auth_mode: :attr:`AUTH_MODE_NONE`, :attr:`AUTH_MODE_OPTIONAL` or
            :attr:`AUTH_MODE_REQUIRED` (NNG's default: required for clients, none for
            servers).
        ca_files: a path or paths of PEM files of trusted CA certificates.
        cert_key_file: a PEM file with this side's certificate and key.
        passwd: the password of an encrypted key.
    """

    MODE_CLIENT = 0
    MODE_SERVER = 1

    AUTH_MODE_NONE = 0
    AUTH_MODE_OPTIONAL = 1
    AUTH_MODE_REQUIRED = 2

    def __init__(
        self,
        mode: int,
        server_name: _Text | None = None,
        ca_string: _Text | None = None,
        own_key_string: _Text | None = None,
        own_cert_string: _Text | None = None,
        auth_mode: int | None = None,
        ca_files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
        cert_key_file: str | os.PathLike[str] | None = None,
        passwd: _Text | None = None,
    ) -> None:
        if ca_string and ca_files:
            raise ValueError("Cannot set both ca_string and ca_files!")
        if (own_cert_string or own_key_string) and cert_key_file:
            raise ValueError("Cannot set both own_{key,cert}_string an cert_key_file!")
        if bool(own_cert_string) != bool(own_key_string):
            raise ValueError("own_key_string and own_cert_string must be both set or unset")
        if isinstance(ca_files, (str, os.PathLike)):
            ca_files = [ca_files]

        self._tls_config = _nng.TlsConfig(mode)
        if server_name:
            self.set_server_name(server_name)
        if ca_string:
            self.set_ca_chain(ca_string)
        if own_key_string and own_cert_string:
            self.set_own_cert(own_cert_string, own_key_string, passwd)
        if auth_mode is not None:
            self.set_auth_mode(auth_mode)
        for f in ca_files or ():
            self.add_ca_file(f)
        if cert_key_file:
            self.set_cert_key_file(cert_key_file, passwd)

    @property
    def mode(self) -> int:
        """:attr:`MODE_CLIENT` or :attr:`MODE_SERVER`."""
        return self._tls_config.mode

    def set_server_name(self, server_name: _Text) -> None:
        """Configure remote server name."""
        self._tls_config.set_server_name(_text(server_name))

    def set_ca_chain(self, chain: _Text, crl: _Text | None = None) -> None:
        """Configure certificate authority certificate chain."""
        self._tls_config.set_ca_chain(_text(chain), None if crl is None else _text(crl))

    def set_own_cert(self, cert: _Text, key: _Text, passwd: _Text | None = None) -> None:
        """Configure own certificate and key."""
        self._tls_config.set_own_cert(_text(cert), _text(key),
                                      None if passwd is None else _text(passwd))

    def set_auth_mode(self, mode: int) -> None:
        """Configure authentication mode."""
        self._tls_config.set_auth_mode(mode)

    def add_ca_file(self, path: str | os.PathLike[str]) -> None:
        """Add a certificate authority from a file."""
        self._tls_config.add_ca_file(os.fspath(path))

    def set_cert_key_file(self, path: str | os.PathLike[str],
                          passwd: _Text | None = None) -> None:
        """Load own certificate and key from file."""
        self._tls_config.set_cert_key_file(os.fspath(path),
                                           None if passwd is None else _text(passwd))

    @staticmethod
    def _apply(config: Any, sock: Any) -> None:
        """``Socket.tls_config = config``: every TLS endpoint ``sock`` makes uses it.
        (Dialers and listeners take it natively.)"""
        if not isinstance(config, TLSConfig):
            raise TypeError(f"tls_config must be a TLSConfig, not {type(config).__name__}")
        config._tls_config._apply_socket(sock)


def engine() -> tuple[str, str]:
    """The TLS engine built in: ``(name, description)``, e.g. ``("mbed", "Mbed TLS 3.6.3")``."""
    return _nng.tls_engine()


def _text(value: _Text) -> str:
    # pynng accepts str or bytes (its to_char); NNG takes NUL-terminated text.
    return value.decode() if isinstance(value, bytes) else value
