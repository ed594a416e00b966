"""A pool over TLS (docs/pool.md §4): the Rust pool (``nngbridge pool --tls-cert --tls-key
--tls-client-ca``) requires client certificates; a real Blender worker that joins with
one (``serve(join="tls+tcp://...", tls={"ca", "cert", "key"})``) gets work, one without
never gets a connection, and a non-loopback join in clear (or one without the pool's
token) is refused before dialing."""

from __future__ import annotations

import socket

import pytest
import test_blender_pool
import test_blender_tls
from test_blender_pool import PoolCli, Worker

# Fixtures shared with the plain pool tests and the TLS tests.
cli, stack, pki = test_blender_pool.cli, test_blender_pool.stack, test_blender_tls.pki

pytestmark = pytest.mark.timeout(600)


def two_free_ports() -> int:
    """A port p with p + 1 free too (the pool's control port)."""
    while True:
        with socket.socket() as a, socket.socket() as b:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            try:
                b.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port


def test_a_pool_over_tls_admits_only_workers_with_a_certificate(tmp_path, cli, stack, pki):
    address = f"tls+tcp://127.0.0.1:{two_free_ports()}"
    pool = PoolCli(cli, address, "--tls-cert", str(pki / "server.pem"), "--tls-key",
                   str(pki / "server.key"), "--tls-client-ca", str(pki / "ca.pem"))
    stack.append(pool)
    ca = str(pki / "ca.pem")
    good = Worker(tmp_path, "certified", address,
                  tls={"ca": ca, "cert": str(pki / "client.pem"),
                       "key": str(pki / "client.key"), "server_name": "localhost"})
    # The same Blender first tries to join a remote pool in clear, and a pool without its
    # token: both refused before any socket is made.
    anonymous = Worker(
        tmp_path, "anonymous", address, tls={"ca": ca, "server_name": "localhost"},
        before="for kw in ({'join': 'tcp://192.0.2.1:7000', 'token': 't'},\n"
               "           {'join': 'ipc:///tmp/nngbridge-no-pool'}):\n"
               "    try:\n"
               "        b.serve(**kw)\n"
               "    except ValueError as e:\n"
               "        print('REFUSED:', e, flush=True)\n")
    stack.extend((good, anonymous))
    # (printed before it started serving, which the constructor waited for)
    remote, tokenless = [x for x in anonymous.out.all if x.startswith("REFUSED")]
    assert "tls+tcp://" in remote and "allow_remote=True" in remote
    assert "join= needs token=" in tokenless

    assert pool.ask(op="wait", n=1)["workers"] == ["certified"]
    good.out.wait_for("joined the pool")
    results = pool.ask(op="map", cmd="session.ping", items=[{}] * 6)["results"]
    assert all(r["ok"] and r["worker"] == "certified" for r in results)
    listed = pool.ask(op="workers")
    assert [w["id"] for w in listed["workers"]] == ["certified"]
    assert listed["connected"] == 1
    assert not any("joined the pool" in line for line in anonymous.out.all)

