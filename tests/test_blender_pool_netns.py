"""A pool across network namespaces (docs/pool.md): the controller in one namespace, each
Blender worker in its own "host" namespace joined to it by a veth pair with real addresses
(10.77.N.1 <-> 10.77.N.2), so joining, liveness and tasks cross a real network stack.
Cutting one host's link mid-task (the veth set down) is a network cut: its tasks are
re-sent to the other host after the deadline. The root namespace is left untouched."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest
import test_blender_pool
from test_blender_pool import PoolCli, Worker

cli, stack = test_blender_pool.cli, test_blender_pool.stack  # shared fixtures
pytestmark = pytest.mark.timeout(600)
HOSTS = 2


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def network():
    """Namespaces ``ctl`` and ``h1``..``hN``, veth ``c<i>`` (in ctl, 10.77.<i>.1) to
    ``h<i>`` (in host i, 10.77.<i>.2); yields (ctl, [hosts]) and removes them all."""
    tag = uuid.uuid4().hex[:6]
    ctl, hosts = f"nngbp-{tag}-ctl", [f"nngbp-{tag}-h{i}" for i in range(1, HOSTS + 1)]
    made: list[str] = []
    try:
        for ns in (ctl, *hosts):
            try:
                ip("netns", "add", ns)
            except subprocess.CalledProcessError as e:
                if b"Operation not permitted" in e.stderr:  # not root: no namespaces here
                    pytest.skip("creating network namespaces needs root (CAP_SYS_ADMIN)")
                raise
            made.append(ns)
            ip("-n", ns, "link", "set", "lo", "up")
        for i, host in enumerate(hosts, 1):
            ip("-n", ctl, "link", "add", f"c{i}", "type", "veth", "peer", "name", f"h{i}",
               "netns", host)
            ip("-n", ctl, "addr", "add", f"10.77.{i}.1/24", "dev", f"c{i}")
            ip("-n", host, "addr", "add", f"10.77.{i}.2/24", "dev", f"h{i}")
            ip("-n", ctl, "link", "set", f"c{i}", "up")
            ip("-n", host, "link", "set", f"h{i}", "up")
        yield ctl, hosts
    finally:
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def test_a_pool_across_namespaces_survives_a_network_cut(tmp_path, cli, stack, network):
    ctl, hosts = network
    pool = PoolCli(cli, "tcp://0.0.0.0:7000", "--deadline", "3",
                   prefix=("ip", "netns", "exec", ctl))
    stack.append(pool)
    for i, host in enumerate(hosts, 1):
        stack.append(Worker(tmp_path, f"host{i}", f"tcp://10.77.{i}.1:7000",
                            allow_remote=True, allow_exec=True,
                            prefix=("ip", "netns", "exec", host)))
    pool.ask(op="wait", n=HOSTS)
    seen = {w["id"]: w["address"] for w in pool.ask(op="workers")["workers"]}
    assert sorted(seen) == ["host1", "host2"]
    for i in (1, 2):  # each came over its own link, from its own address
        assert seen[f"host{i}"].startswith(f"tcp://10.77.{i}.2:"), seen

    code = "import time\ntime.sleep(0.1)\nresult = %d"
    pool.send(op="map", cmd="exec", items=[{"code": code % i} for i in range(16)],
              progress=True)
    while json.loads(pool.out.wait_for('"done"'))["worker"] != "host2":
        pass
    ip("-n", ctl, "link", "set", "c2", "down")  # the cable to host 2 is cut
    results = pool.reply()["results"]
    assert [r["result"]["result"] for r in results] == [repr(i) for i in range(16)]
    stats = pool.ask(op="stats")
    assert stats["lost"] == 0 and stats["resent"] >= 1
    assert sum(stats["by_worker"].values()) == 16
