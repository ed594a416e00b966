"""The scene stack over TLS: a real Blender serving tls+tcp:// with a server certificate
and required client certificates (``nngbridge.blender.serve(..., tls=...)``), driven by
the typed Rust client (crates/nngbridge-scene/examples/drive_blender.rs over
``SceneClient::connect_local_with`` and a ``TlsConfig``) and by the CLI
(``nngbridge call --tls-ca --tls-cert --tls-key --tls-server-name``). Also the bind
policy: a non-loopback address without TLS is refused with an error that says how to
secure it, unless forced."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import free_tcp_port

import certs
import nngbridge
from blender_harness import BlenderServer, cargo_binary
from blender_scripts.modules import install_sources

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures("addon_from_sources")]


@pytest.fixture
def pki(tmp_path) -> Path:
    """ca.pem; server.pem/.key (localhost) and client.pem/.key, both signed by the CA."""
    d = tmp_path / "pki"
    d.mkdir()
    ca_key = certs.private_key()
    (d / "ca.key").write_text(certs.key_pem(ca_key))
    (d / "ca.pem").write_text(certs.cert_pem("Scene CA", ca_key, "Scene CA", ca_key, ca=True))
    for name in ("server", "client"):
        key = certs.private_key()
        (d / f"{name}.key").write_text(certs.key_pem(key))
        (d / f"{name}.pem").write_text(certs.cert_pem(name, key, "Scene CA", ca_key))
    return d


def test_rust_client_and_cli_drive_blender_over_tls(tmp_path, pki):
    driver = cargo_binary(["-p", "nngbridge-scene", "--example", "drive_blender"],
                          "examples/drive_blender")
    cli = cargo_binary(["-p", "nngbridge-cli"], "nngbridge")
    tls = {"cert": str(pki / "server.pem"), "key": str(pki / "server.key"),
           "ca": str(pki / "ca.pem"), "require_client_cert": True}
    b = BlenderServer(tmp_path, tls=tls)
    b.address = f"tls+tcp://127.0.0.1:{free_tcp_port()}"
    b.events = f"tls+tcp://127.0.0.1:{free_tcp_port()}"
    b.client_tls = nngbridge.TLSConfig(
        nngbridge.TLSConfig.MODE_CLIENT, server_name="localhost",
        ca_files=str(pki / "ca.pem"), own_cert_string=(pki / "client.pem").read_text(),
        own_key_string=(pki / "client.key").read_text())
    with b:
        assert b.call("session.ping") is not None  # the harness's own TLS client
        res = subprocess.run([str(driver), b.address, str(pki / "ca.pem"),
                              str(pki / "client.pem"), str(pki / "client.key")],
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "all checks passed" in res.stdout

        tls_args = ["--tls-ca", str(pki / "ca.pem"), "--tls-cert", str(pki / "client.pem"),
                    "--tls-key", str(pki / "client.key"), "--tls-server-name", "localhost"]
        out = subprocess.run([str(cli), "call", b.address, "object.create",
                              '{"type": "EMPTY", "name": "TlsEmpty"}', *tls_args],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["result"] == {"name": "TlsEmpty"}
        assert b.call("object.get", name="TlsEmpty")["name"] == "TlsEmpty"

        # Without a client certificate the server refuses the handshake: the CLI's call
        # times out (exit 2) and Blender keeps serving.
        out = subprocess.run([str(cli), "call", b.address, "session.ping", "--timeout", "1",
                              "--tls-ca", str(pki / "ca.pem")],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 2, out.stdout + out.stderr
        # Plain tcp:// to the TLS port: no reply either.
        out = subprocess.run([str(cli), "call", b.address.replace("tls+tcp", "tcp"),
                              "session.ping", "--timeout", "1"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 2, out.stdout + out.stderr
        assert b.call("object.get", name="TlsEmpty")["name"] == "TlsEmpty"


POLICY = """
import sys
import nngbridge
from nngbridge.blender import server as s

def refused(fn, *args, match="", exc=ValueError, **kw):
    try:
        fn(*args, **kw)
    except exc as e:
        assert match in str(e), (match, str(e))
        return str(e)
    raise AssertionError(f"not refused: {fn.__name__}{args}{kw}")

msg = refused(s.check_local, "tcp://0.0.0.0:5555", allow_remote=False)
assert "tls=" in msg and "allow_remote=True" in msg and "--tls-ca" in msg, msg
s.check_local("tcp://0.0.0.0:5555", allow_remote=True)  # forced
s.check_local("tls+tcp://0.0.0.0:5555", allow_remote=False, tls=True)
s.check_local("tls+tcp://127.0.0.1:5555", allow_remote=False)
pki = sys.argv[-1]
tls = s.ServerTls({"cert": pki + "/server.pem", "key": pki + "/server.key",
                   "ca": pki + "/ca.pem", "require_client_cert": True})
assert tls.requires_client_cert and tls.config.mode == nngbridge.TLSConfig.MODE_SERVER
refused(s.ServerTls, {"cert": pki + "/server.pem", "require_client_cert": True},
        match="needs 'ca'")
refused(s.check_scheme, "tcp://127.0.0.1:5555", tls, match="tls+tcp://")
refused(s.check_scheme, "tls+tcp://127.0.0.1:5555", None, match="needs tls=")
refused(s.ServerTls, {"cert": pki + "/server.pem", "key": pki + "/ca.pem"},
        exc=nngbridge.CryptoError)
# The Server itself: a plain non-loopback bind, and no token on a non-loopback TLS bind
# without client certificates, are refused before anything listens.
refused(s.Server, "tcp://0.0.0.0:0", match="allow_remote=True")
refused(s.Server, "tls+tcp://0.0.0.0:0", insecure_no_token=True,
        tls={"cert": pki + "/server.pem", "key": pki + "/server.key"},
        match="require_client_cert")
print("POLICY OK", flush=True)
"""


def test_non_loopback_without_tls_is_refused_with_how_to_secure_it(tmp_path, pki):
    """Run in a real Blender (the server module needs bpy)."""
    scripts = tmp_path / "scripts"
    install_sources(scripts)
    script = tmp_path / "policy.py"
    script.write_text(POLICY)
    res = subprocess.run(
        ["blender", "-b", "--factory-startup", "--python-exit-code", "1", "--python",
         str(script), "--", str(pki)],
        env=blender_env(scripts), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and "POLICY OK" in res.stdout, res.stdout + res.stderr


def blender_env(scripts: Path) -> dict:
    import os

    env = dict(os.environ, BLENDER_USER_SCRIPTS=str(scripts))
    env.pop("PYTHONPATH", None)
    return env
