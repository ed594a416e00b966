"""Pools of real Blenders (``blender -b``) that join a controller
(``nngbridge.blender.serve(join=...)``, docs/pool.md): the Rust ``nngbridge_scene::Pool``
driven through ``nngbridge pool`` (JSON lines), and, for the worker's idempotency store, a
controller made of plain nngbridge Req0/Surveyor0 sockets. Proves: workers join and share
the work; a wrong token or another protocol version is refused at join with a reason and
gets no work; a task on a worker killed with SIGKILL is re-sent and counted once; a keyed
request is applied once; workers redial a restarted controller; a setup command reaches a
worker that joins later before its first task; with no worker, a task fails after the
queue deadline."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

import blender_pool_harness
import nngbridge
from blender_pool_harness import TOKEN, Lines
from blender_scripts.modules import install_sources

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(600)


def cargo_binary(args: list[str], path: str) -> Path:
    subprocess.run(["cargo", "build", "-q", *args], cwd=ROOT, check=True, timeout=600)
    return ROOT / "target" / "debug" / path


@pytest.fixture(scope="module")
def cli() -> Path:
    return cargo_binary(["-p", "nngbridge-cli"], "nngbridge")


def Worker(tmp: Path, name: str, join: str, token: str = TOKEN, before: str = "",
           prefix: tuple[str, ...] = (), gui: bool = False,
           **kw: Any) -> blender_pool_harness.Worker:
    """A worker running the add-on from the repository's sources."""
    return blender_pool_harness.Worker(tmp, name, join, token=token, before=before,
                                       install=install_sources, prefix=prefix, gui=gui,
                                       **kw)


class PoolCli:
    """``nngbridge pool ADDRESS``: one JSON request a line in, one JSON line out."""

    def __init__(self, cli: Path, address: str, *extra: str,
                 prefix: tuple[str, ...] = ()) -> None:
        self.proc = subprocess.Popen(
            [*prefix, str(cli), "pool", address, "--token", TOKEN, *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.out = Lines(self.proc.stdout)
        self.out.wait_for('"ready"', timeout=60)

    def send(self, **req: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()

    def reply(self, timeout: float = 300.0) -> dict[str, Any]:
        while True:
            line = self.out.q.get(timeout=timeout)
            assert line is not None, "\n".join(self.out.all[-30:])
            msg = json.loads(line)
            if "ok" in msg:
                return msg

    def ask(self, **req: Any) -> dict[str, Any]:
        self.send(**req)
        reply = self.reply()
        assert reply["ok"], reply
        return reply

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def stack(tmp_path):
    started: list[Any] = []
    yield started
    for thing in reversed(started):
        if isinstance(thing, blender_pool_harness.Worker):
            thing.kill()
        else:
            thing.close()


def test_workers_join_and_share_the_work(tmp_path, cli, stack):
    address = f"ipc://{tmp_path}/pool"
    pool = PoolCli(cli, address)
    stack.append(pool)
    stack.extend(Worker(tmp_path, n, address) for n in ("w1", "w2"))
    assert sorted(pool.ask(op="wait", n=2)["workers"]) == ["w1", "w2"]

    listed = pool.ask(op="workers")
    assert listed["connected"] == 2
    for w in listed["workers"]:
        assert w["protocol"] == 1 and w["blender"] and w["host"]

    hello = pool.ask(op="broadcast", cmd="session.hello")["results"]
    assert sorted(r["worker"] for r in hello) == ["w1", "w2"]
    for r in hello:
        assert r["ok"] and r["result"]["pool"] == address
        assert r["result"]["capabilities"]["background"] is True

    items = [{"type": "EMPTY", "name": f"E{i}"} for i in range(12)]
    results = pool.ask(op="map", cmd="object.create", items=items)["results"]
    assert [r["index"] for r in results] == list(range(12))
    assert all(r["ok"] and r["attempts"] == 1 for r in results)
    by_worker = {r["worker"] for r in results}
    assert by_worker == {"w1", "w2"}  # NNG spread the requests over both
    stats = pool.ask(op="stats")
    assert sum(stats["by_worker"].values()) == 12 and stats["resent"] == 0

    # A failing command is reported with that worker's error, and not re-sent.
    bad = pool.ask(op="map", cmd="object.get", items=[{"name": "nope"}])["results"][0]
    assert not bad["ok"] and bad["error"]["code"] == "NOT_FOUND"
    assert bad["attempts"] == 1 and bad["worker"] in ("w1", "w2")


def test_setup_reaches_a_late_worker_and_the_queue_deadline_fails_tasks(
        tmp_path, cli, stack):
    address = f"ipc://{tmp_path}/pool"
    pool = PoolCli(cli, address, "--queue-deadline", "1")
    stack.append(pool)
    # No worker: the task waits the queue deadline, then fails without being sent.
    expired = pool.ask(op="map", cmd="session.ping", items=[{}])["results"]
    assert expired == [{"index": 0, "worker": None, "attempts": 0, "replayed": False,
                        "ok": False, "error": {
                            "code": "TIMEOUT", "message": "no worker connected within "
                            "--queue-deadline; the task was never sent"}}]
    assert pool.ask(op="stats")["expired"] == 1

    early = Worker(tmp_path, "early", address)
    stack.append(early)
    pool.ask(op="wait", n=1)
    rig = {"type": "EMPTY", "name": "Rig"}
    setup = pool.ask(op="setup", cmd="object.create", args=rig)["results"]
    assert [(r["worker"], r["ok"], r["result"]["name"]) for r in setup] == [
        ("early", True, "Rig")]

    # The late worker is given the setup before any task: every task finds the Rig.
    stack.append(Worker(tmp_path, "late", address))
    assert sorted(pool.ask(op="wait", n=2)["workers"]) == ["early", "late"]
    results = pool.ask(op="map", cmd="object.get", items=[{"name": "Rig"}] * 16)["results"]
    assert all(r["ok"] and r["attempts"] == 1 for r in results), results
    assert {r["worker"] for r in results} == {"early", "late"}
    stats = pool.ask(op="stats")
    assert (stats["setup_replayed"], stats["setup_failed"], stats["expired"]) == (1, 0, 1)
    # The replay reached the early worker too (a survey reaches all): it answered from
    # its store, so each worker has exactly one Rig.
    listed = pool.ask(op="broadcast", cmd="object.list")["results"]
    for r in listed:
        names = [o["name"] for o in r["result"]["objects"]]
        assert names.count("Rig") == 1 and "Rig.001" not in names, (r["worker"], names)
    assert sorted(r["worker"] for r in listed) == ["early", "late"]

    # A setup that could never run is refused before it is registered.
    for bad, error in (({"cmd": "object.create", "args": [1]},
                        "arguments are an object, not [1]"),
                       ({"args": rig}, "setup needs cmd: a command name")):
        pool.send(op="setup", **bad)
        assert pool.reply() == {"ok": False, "error": error}


def test_a_gui_blender_joins_from_start(tmp_path, cli, stack):
    """start(join=...): the add-on's timer pumps the control and work sockets."""
    address = f"ipc://{tmp_path}/pool"
    pool = PoolCli(cli, address)
    stack.append(pool)
    stack.append(Worker(tmp_path, "ui", address, gui=True))
    assert pool.ask(op="wait", n=1)["workers"] == ["ui"]
    hello = pool.ask(op="broadcast", cmd="session.hello")["results"]
    assert [r["result"]["capabilities"]["background"] for r in hello] == [False]
    items = [{"type": "EMPTY", "name": f"U{i}"} for i in range(4)]
    results = pool.ask(op="map", cmd="object.create", items=items)["results"]
    assert [r["result"]["name"] for r in results] == [f"U{i}" for i in range(4)]


def test_wrong_token_and_version_are_refused_at_join(tmp_path, cli, stack):
    address = f"ipc://{tmp_path}/pool"
    pool = PoolCli(cli, address)
    stack.append(pool)
    good = Worker(tmp_path, "good", address)
    stranger = Worker(tmp_path, "stranger", address, token="another-token")
    future = Worker(tmp_path, "future", address,
                    before="from nngbridge.blender import registry\n"
                           "registry.PROTOCOL_VERSION = 2")
    stack.extend((good, stranger, future))
    stranger.out.wait_for("refused the pool")
    line = future.out.wait_for("refused the pool")
    assert "UNSUPPORTED_VERSION" in line
    assert pool.ask(op="wait", n=1)["workers"] == ["good"]

    reasons = {r["worker"]: r["reason"] for r in pool.ask(op="refused")["refused"]}
    assert reasons["stranger"].startswith("UNAUTHORIZED")
    assert reasons["future"].startswith("UNSUPPORTED_VERSION")
    assert pool.ask(op="workers")["connected"] == 1  # neither dialed the work address
    results = pool.ask(op="map", cmd="session.ping", items=[{}] * 8)["results"]
    assert {r["worker"] for r in results} == {"good"}
    assert all(r["ok"] for r in results)


def test_a_task_on_a_killed_worker_is_resent_and_counted_once(tmp_path, cli, stack):
    address = f"ipc://{tmp_path}/pool"
    pool = PoolCli(cli, address, "--deadline", "20")
    stack.append(pool)
    doomed = Worker(tmp_path, "doomed", address, allow_exec=True)
    survivor = Worker(tmp_path, "survivor", address, allow_exec=True)
    stack.extend((doomed, survivor))
    pool.ask(op="wait", n=2)
    # Each task creates an object named after it (so a task applied twice would show)
    # and takes a while, so tasks are in flight on the doomed worker when it dies.
    code = ("import time, bpy\n"
            "time.sleep(0.15)\n"
            "o = bpy.data.objects.new('T%d', None)\n"
            "result = o.name")
    items = [{"code": code % i} for i in range(24)]
    pool.send(op="map", cmd="exec", items=items, progress=True)
    done_by_doomed = 0
    while done_by_doomed < 2:
        progress = json.loads(pool.out.wait_for('"done"'))
        done_by_doomed += progress["worker"] == "doomed"
    doomed.kill()
    results = pool.reply()["results"]
    assert [r["index"] for r in results] == list(range(24))
    assert all(r["ok"] for r in results), [r for r in results if not r["ok"]]
    assert [r["result"]["result"] for r in results] == [repr(f"T{i}") for i in range(24)]
    stats = pool.ask(op="stats")
    assert stats["resent"] >= 1 and stats["lost"] == 0
    assert any(r["attempts"] > 1 and r["worker"] == "survivor" for r in results)
    assert sum(stats["by_worker"].values()) == 24


def test_a_hung_worker_loses_its_tasks_and_gets_work_again_when_it_answers(
        tmp_path, cli, stack):
    address = f"ipc://{tmp_path}/pool"
    pool = PoolCli(cli, address, "--deadline", "3")
    stack.append(pool)
    hung = Worker(tmp_path, "hung", address, allow_exec=True)
    other = Worker(tmp_path, "other", address, allow_exec=True)
    stack.extend((hung, other))
    pool.ask(op="wait", n=2)
    code = "import time\ntime.sleep(0.1)\nresult = %d"
    pool.send(op="map", cmd="exec", items=[{"code": code % i} for i in range(16)],
              progress=True)
    while json.loads(pool.out.wait_for('"done"'))["worker"] != "hung":
        pass
    hung.proc.send_signal(signal.SIGSTOP)  # alive to the kernel, silent to the pool
    try:
        results = pool.reply()["results"]
        assert [r["result"]["result"] for r in results] == [repr(i) for i in range(16)]
        stats = pool.ask(op="stats")
        assert stats["resent"] >= 1 and stats["lost"] == 0 and stats["evicted"] == 1
        assert stats["connected"] == 1  # the hung worker's work connection was closed
    finally:
        hung.proc.send_signal(signal.SIGCONT)
    # Once it answers again it redials and gets work again.
    pool.ask(op="wait", n=2)
    pings = pool.ask(op="map", cmd="session.ping", items=[{}] * 8)["results"]
    assert {r["worker"] for r in pings} == {"hung", "other"}


def test_a_keyed_request_is_applied_once(tmp_path, stack):
    """The worker side of idempotency, against a controller of plain sockets."""
    address = f"ipc://{tmp_path}/pool"
    work = nngbridge.Req0(listen=address, recv_timeout=60000)
    control = nngbridge.Surveyor0(listen=address + ".control", recv_timeout=60000,
                                  survey_time=60000)
    stack.append(work)
    stack.append(control)
    joined = threading.Event()
    control.add_post_pipe_connect_cb(lambda _pipe: joined.set())
    stack.append(Worker(tmp_path, "w", address))
    assert joined.wait(60), "the worker did not dial the control address"

    def request(rid: int, cmd: str, args: dict, **extra: Any) -> dict[str, Any]:
        work.send(nngbridge.packb({"v": 1, "id": rid, "cmd": cmd, "args": args,
                                   "token": TOKEN, **extra}))
        return nngbridge.unpackb(work.recv())

    control.send(nngbridge.packb({"v": 1, "id": 1, "cmd": "session.hello", "args": {},
                                  "token": TOKEN}))
    hello = nngbridge.unpackb(control.recv())
    assert hello["ok"] and hello["worker"] == "w" and hello["result"]["worker"] == "w"

    args = {"type": "EMPTY", "name": "Once"}
    first = request(2, "object.create", args, key="task-1")
    again = request(3, "object.create", args, key="task-1")
    assert first["ok"] and first["result"]["name"] == "Once" and "replayed" not in first
    assert again["id"] == 3 and again["replayed"] is True
    assert again["result"] == first["result"]
    names = [o["name"] for o in request(4, "object.list", {})["result"]["objects"]]
    assert names.count("Once") == 1 and "Once.001" not in names
    # A new key runs again; a replay needs the token too; a bad key is refused.
    assert request(5, "object.create", args, key="task-2")["result"]["name"] == "Once.001"
    work.send(nngbridge.packb({"v": 1, "id": 6, "cmd": "object.create", "args": args,
                               "token": "wrong", "key": "task-1"}))
    assert nngbridge.unpackb(work.recv())["error"]["code"] == "UNAUTHORIZED"
    assert request(7, "session.ping", {}, key="")["error"]["code"] == "BAD_REQUEST"


def test_workers_redial_a_restarted_controller(tmp_path, cli, stack):
    address = f"ipc://{tmp_path}/pool"
    pool = PoolCli(cli, address)
    worker = Worker(tmp_path, "w", address)
    stack.extend((worker, pool))
    pool.ask(op="wait", n=1)
    assert pool.ask(op="map", cmd="session.ping", items=[{}])["results"][0]["ok"]
    pool.proc.kill()
    pool.proc.wait()

    again = PoolCli(cli, address)
    stack.append(again)
    assert again.ask(op="wait", n=1)["workers"] == ["w"]
    result = again.ask(op="map", cmd="session.ping", items=[{}] * 4)["results"]
    assert all(r["ok"] and r["worker"] == "w" for r in result)
    assert worker.proc.poll() is None
