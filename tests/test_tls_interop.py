"""TLS interop: nngbridge in this process, real pynng 0.9.0 (NNG 1.11, its own mbedTLS) in
a child process (tests/peers/tls_peer.py), over tls+tcp://, both directions, with a CA,
a server certificate and client-certificate authentication, all made here with the
``cryptography`` package. The failures (a wrong CA, an expired certificate, plain tcp
against TLS, bad certificates, keys and passwords) must raise the exception classes
pynng raises, and never leave a half-open pipe or a blocked recv."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PeerProcess, PostConnect

import certs
import nngbridge
import pynng

pytestmark = pytest.mark.timeout(60)

PASSWORD = "s3cret"


@dataclass
class Pki:
    dir: Path
    ca: str  # PEM
    other_ca: str
    server_cert: str
    server_key: str
    expired_cert: str
    client_cert: str
    client_key_encrypted: str  # with PASSWORD

    def file(self, name: str, text: str) -> str:
        p = self.dir / name
        p.write_text(text)
        return str(p)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    keys = {n: certs.private_key() for n in ("ca", "other", "server", "client")}
    return Pki(
        dir=tmp_path_factory.mktemp("pki"),
        ca=certs.cert_pem("Test CA", keys["ca"], "Test CA", keys["ca"], ca=True),
        other_ca=certs.cert_pem("Other CA", keys["other"], "Other CA", keys["other"], ca=True),
        server_cert=certs.cert_pem("localhost", keys["server"], "Test CA", keys["ca"]),
        server_key=certs.key_pem(keys["server"]),
        expired_cert=certs.cert_pem("localhost", keys["server"], "Test CA", keys["ca"],
                                    expired=True),
        client_cert=certs.cert_pem("client", keys["client"], "Test CA", keys["ca"]),
        client_key_encrypted=certs.key_pem(keys["client"], PASSWORD),
    )


class Peer(PeerProcess):
    """A pynng process speaking tests/peers/tls_peer.py's line protocol."""

    def __init__(self, how: str, url: str, conf: dict):
        super().__init__("tls_peer.py", "pynng", how, url, json.dumps(conf))

    def next(self, timeout: float = 20) -> list[str]:
        return self.next_line(timeout).split()


@pytest.fixture
def peers():
    started: list[Peer] = []

    def start(how: str, url: str, conf: dict) -> Peer:
        p = Peer(how, url, conf)
        started.append(p)
        return p

    yield start
    for p in started:
        p.close()


def server_conf(pki: Pki, cert: str | None = None) -> dict:
    """A pynng server that requires a client certificate signed by the CA."""
    return {"mode": "server", "own_cert_string": cert or pki.server_cert,
            "own_key_string": pki.server_key, "ca_string": pki.ca, "auth_mode": "required"}


def client_tls(pki: Pki, ca: str | None = None) -> nngbridge.TLSConfig:
    """An nngbridge client that checks the server against ``ca`` and presents the client
    certificate, its key encrypted."""
    return nngbridge.TLSConfig(
        nngbridge.TLSConfig.MODE_CLIENT, server_name="localhost",
        ca_files=pki.file("ca.pem", ca or pki.ca), own_cert_string=pki.client_cert,
        own_key_string=pki.client_key_encrypted, passwd=PASSWORD)


def port_of(listener) -> str:
    # pynng's (and so nngbridge's) InAddr.port is in network byte order; str() is right.
    return str(listener.local_address).rsplit(":", 1)[1]


def listening(peer: Peer) -> str:
    word, port = peer.next()
    assert word == "READY", (word, port)
    return f"tls+tcp://127.0.0.1:{port}"


def test_nngbridge_dials_pynng_with_client_certificate(pki, peers):
    peer = peers("listen", "tls+tcp://127.0.0.1:0", server_conf(pki))
    url = listening(peer)
    with nngbridge.Pair0(recv_timeout=10_000, send_timeout=10_000,
                         tls_config=client_tls(pki)) as s:
        s.dial(url, block=True)
        s.send(b"hello over tls")
        assert peer.next() == ["GOT", b"hello over tls".hex()]
        assert s.recv() == b"re:hello over tls"
        msg_pipe = s.pipes[0]
        assert msg_pipe.tls_verified is True
        assert msg_pipe.tls_peer_cn == "localhost"
    # pynng saw and verified our client certificate.
    assert peer.next() == ["CN", "client", "True"]


def test_pynng_dials_nngbridge_listener_tls(pki, peers):
    server = nngbridge.TLSConfig(
        nngbridge.TLSConfig.MODE_SERVER, own_cert_string=pki.server_cert,
        own_key_string=pki.server_key, ca_string=pki.ca,
        auth_mode=nngbridge.TLSConfig.AUTH_MODE_REQUIRED)
    with nngbridge.Pair0(recv_timeout=10_000, send_timeout=10_000, tls_config=server) as s:
        listener = s.listen("tls+tcp://127.0.0.1:0")
        url = f"tls+tcp://127.0.0.1:{port_of(listener)}"
        peer = peers("dial", url, {
            "mode": "client", "server_name": "localhost", "ca_string": pki.ca,
            "own_cert_string": pki.client_cert, "own_key_string": pki.client_key_encrypted,
            "passwd": PASSWORD})
        assert peer.next() == ["READY", "0"]
        msg = s.recv_msg()
        assert msg.bytes == b"ping"
        assert msg.pipe.tls_verified is True
        assert msg.pipe.tls_peer_cn == "client"
        s.send(b"pong")
        assert peer.next() == ["REPLY", b"pong".hex()]


def pynng_dial_error(pki: Pki, peers, server_cert: str, client_ca: str) -> str:
    """The exception class pynng's dialer raises against an nngbridge TLS listener."""
    server = nngbridge.TLSConfig(nngbridge.TLSConfig.MODE_SERVER, own_cert_string=server_cert,
                                 own_key_string=pki.server_key)
    with nngbridge.Pair0(tls_config=server) as s:
        listener = s.listen("tls+tcp://127.0.0.1:0")
        url = f"tls+tcp://127.0.0.1:{port_of(listener)}"
        peer = peers("dial", url, {"mode": "client", "server_name": "localhost",
                                   "ca_string": client_ca})
        word, name = peer.next()
        assert word == "ERR", (word, name)
        assert not s.pipes
        return name


@pytest.mark.parametrize("case", ["wrong CA", "expired certificate"])
def test_verification_failures_raise_pynngs_exception(pki, peers, case):
    server_cert = pki.expired_cert if case == "expired certificate" else pki.server_cert
    client_ca = pki.other_ca if case == "wrong CA" else pki.ca
    pynng_raises = pynng_dial_error(pki, peers, server_cert, client_ca)

    peer = peers("listen", "tls+tcp://127.0.0.1:0",
                 {**server_conf(pki, server_cert), "auth_mode": "none"})
    url = listening(peer)
    with nngbridge.Pair0(recv_timeout=300, tls_config=client_tls(pki, client_ca)) as s:
        with pytest.raises(nngbridge.NNGException) as info:
            s.dial(url, block=True)
        assert type(info.value).__name__ == pynng_raises
        assert issubclass(getattr(pynng, pynng_raises), pynng.NNGException)
        # Nothing half-open: no pipe, and a recv times out instead of hanging.
        assert not s.pipes
        with pytest.raises(nngbridge.Timeout):
            s.recv()


def test_handshake_failures_leave_the_server_serving(pki, peers):
    """A blocked recv on the TLS server sees neither the failed clients (wrong CA, no
    client certificate, plain tcp) nor an error: it gets the good client's message, over
    the only pipe the server keeps."""
    server = nngbridge.TLSConfig(
        nngbridge.TLSConfig.MODE_SERVER, own_cert_string=pki.server_cert,
        own_key_string=pki.server_key, ca_string=pki.ca,
        auth_mode=nngbridge.TLSConfig.AUTH_MODE_REQUIRED)
    with nngbridge.Pair0(recv_timeout=20_000, tls_config=server) as s:
        connected = PostConnect(s)
        port = port_of(s.listen("tls+tcp://127.0.0.1:0"))
        url = f"tls+tcp://127.0.0.1:{port}"
        got: list[bytes] = []
        receiver = threading.Thread(target=lambda: got.append(s.recv()))
        receiver.start()
        for conf in ({"mode": "client", "server_name": "localhost", "ca_string": pki.other_ca},
                     {"mode": "client", "server_name": "localhost", "ca_string": pki.ca},
                     {"mode": "client", "plain": True}):
            bad_url = url.replace("tls+tcp", "tcp") if conf.get("plain") else url
            peer = peers("dial", bad_url, conf)
            word, *rest = peer.next()
            # pynng's dialer fails; with TLS 1.3 a client without a certificate may only
            # learn it on its first recv, which then fails: either way no REPLY.
            if word == "READY":
                word, *rest = peer.next()
            assert word == "ERR", (word, rest)
        assert connected.count == 0
        assert receiver.is_alive()
        good = peers("dial", url, {
            "mode": "client", "server_name": "localhost", "ca_string": pki.ca,
            "own_cert_string": pki.client_cert, "own_key_string": pki.client_key_encrypted,
            "passwd": PASSWORD})
        receiver.join(20)
        assert got == [b"ping"]
        # The post-connect callback runs on NNG's thread and may finish after the message
        # is already in: wait for it, then check it was the only one.
        connected.wait(timeout=30)
        assert connected.count == 1
        assert len(s.pipes) == 1
        s.send(b"served")
        assert good.next() == ["READY", "0"]
        assert good.next() == ["REPLY", b"served".hex()]


def test_plain_tcp_dialer_against_tls_listener_fails_cleanly(pki, peers):
    peer = peers("listen", "tls+tcp://127.0.0.1:0", server_conf(pki))
    url = listening(peer).replace("tls+tcp", "tcp")
    with nngbridge.Pair0(recv_timeout=300, send_timeout=300) as s:
        connected = PostConnect(s)
        try:
            s.dial(url, block=True)
        except nngbridge.NNGException:
            pass
        assert connected.count == 0
        with pytest.raises(nngbridge.Timeout):
            s.recv()


def test_tls_dialer_against_plain_tcp_listener_fails_cleanly(pki, peers):
    peer = peers("listen", "tcp://127.0.0.1:0", {"mode": "server", "plain": True})
    word, port = peer.next()
    assert word == "READY"
    with nngbridge.Pair0(recv_timeout=300, tls_config=client_tls(pki)) as s:
        with pytest.raises(nngbridge.NNGException):
            s.dial(f"tls+tcp://127.0.0.1:{port}", block=True)
        assert not s.pipes
        with pytest.raises(nngbridge.Timeout):
            s.recv()


@pytest.mark.parametrize("impl", [pynng, nngbridge], ids=["pynng", "nngbridge"])
def test_bad_input_raises_the_same_exceptions(impl, pki):
    """Bad certificates, keys, passwords and CA strings: pynng's class, in both modules."""
    mode = impl.TLSConfig.MODE_SERVER
    raised = {}
    cases = {
        "garbage CA": lambda: impl.TLSConfig(mode, ca_string="not a certificate"),
        "garbage cert": lambda: impl.TLSConfig(mode, own_cert_string="junk",
                                               own_key_string=pki.server_key),
        "garbage key": lambda: impl.TLSConfig(mode, own_cert_string=pki.server_cert,
                                              own_key_string="junk"),
        "wrong password": lambda: impl.TLSConfig(
            mode, own_cert_string=pki.client_cert, own_key_string=pki.client_key_encrypted,
            passwd="wrong"),
        "missing CA file": lambda: impl.TLSConfig(mode, ca_files=str(pki.dir / "nope.pem")),
    }
    for name, make in cases.items():
        with pytest.raises(impl.NNGException) as info:
            make()
        raised[name] = type(info.value).__name__
    assert raised == EXPECTED_BAD_INPUT, raised


# What pynng 0.9.0 raises (the pynng run of the test above checks this table).
EXPECTED_BAD_INPUT = {
    "garbage CA": "CryptoError",
    "garbage cert": "CryptoError",
    "garbage key": "CryptoError",
    "wrong password": "CryptoError",
    "missing CA file": "NoEntry",
}


def test_auth_mode_none_is_applied(pki, peers):
    """pynng skips a false auth_mode; nngbridge applies AUTH_MODE_NONE, so a client that
    sets it (and has no CA) connects, where pynng's same config fails verification."""
    peer = peers("listen", "tls+tcp://127.0.0.1:0",
                 {**server_conf(pki), "auth_mode": "none"})
    url = listening(peer)
    cfg = nngbridge.TLSConfig(nngbridge.TLSConfig.MODE_CLIENT,
                              auth_mode=nngbridge.TLSConfig.AUTH_MODE_NONE)
    with nngbridge.Pair0(recv_timeout=10_000, tls_config=cfg) as s:
        s.dial(url, block=True)
        s.send(b"unverified")
        assert peer.next() == ["GOT", b"unverified".hex()]
        assert s.recv() == b"re:unverified"

    pynng_peer = peers("listen", "tls+tcp://127.0.0.1:0",
                       {**server_conf(pki), "auth_mode": "none"})
    other = peers("dial", listening(pynng_peer), {"mode": "client", "auth_mode": "none"})
    assert other.next()[0] == "ERR"
