"""``nngbridge.scene.Pool`` (the Rust pool through the native module, docs/pool.md §5)
driving real Blender workers (``blender -b`` joined with ``serve(join=...)``). One pool
and two workers serve the module, in file order; a late worker, a stranger with the wrong
token and a killed worker are added on the way. Proves: workers are listed; ``map`` over a
frame range comes back in order from both workers; ``map_unordered`` and ``broadcast``; a
failing command is reported with the worker's error and not re-sent; setup commands reach
a worker that joins late before its first task (even tasks queued before it came), and
are not run twice on the others; a
wrong token is refused at join and gets no work; a worker killed mid-map loses nothing and
counts nothing twice. Without Blender: a queued task fails after ``queue_deadline`` when
no worker is connected, and a wait answers Ctrl+C."""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import blender_pool_harness
import nngbridge
from blender_pool_harness import TOKEN
from blender_scripts.modules import install_sources
from nngbridge.scene import CallTimeout, NotFound, Pool, TaskResult

pytestmark = pytest.mark.timeout(900)


def Worker(tmp: Path, name: str, join: str, **kw: Any) -> blender_pool_harness.Worker:
    """A worker running the add-on from the repository's sources."""
    return blender_pool_harness.Worker(tmp, name, join, install=install_sources, **kw)


class Farm:
    """The module's pool and its workers (killed at the end)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.address = f"ipc://{tmp}/pool"
        self.pool = Pool(self.address, token=TOKEN, deadline=20.0, liveness_interval=0.5)
        self.workers: dict[str, blender_pool_harness.Worker] = {}

    def start(self, *names: str, **kw: Any) -> None:
        """Starts Blenders side by side (their start-up is the slow part)."""
        errors: list[BaseException] = []

        def one(name: str) -> None:
            try:
                self.workers[name] = Worker(self.tmp, name, self.address, allow_exec=True,
                                            **kw)
            except BaseException as e:  # noqa: BLE001 - re-raised below
                errors.append(e)

        threads = [threading.Thread(target=one, args=(n,)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def close(self) -> None:
        self.pool.close()
        for w in self.workers.values():
            w.kill()


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    f = Farm(tmp_path_factory.mktemp("pool"))
    try:
        f.start("w1", "w2")
        f.pool.wait_for_workers(2, timeout=120)
        yield f
    finally:
        f.close()


def objects(farm: Farm) -> dict[str, list[str]]:
    """Each worker's object names (a broadcast)."""
    listed = farm.pool.broadcast("object.list", timeout=60)
    return {w: [o["name"] for o in r.value()["objects"]] for w, r in listed.items()}


def test_map_over_frames_comes_back_in_order_from_both_workers(farm: Farm) -> None:
    pool = farm.pool
    listed = pool.workers(timeout=10)
    assert sorted(w.id for w in listed) == ["w1", "w2"]
    for w in listed:
        assert w.hello["protocol"] == 1 and w.hello["worker"] == w.id
        assert w.hello["capabilities"]["background"] is True
    assert pool.connected() == 2

    hello = pool.broadcast("session.hello", timeout=60)
    assert sorted(hello) == ["w1", "w2"]
    assert all(r.value()["pool"] == farm.address for r in hello.values())

    before = pool.stats()
    frames = list(range(1, 25))
    results = pool.map("scene.set", ({"frame_current": f} for f in frames))
    assert [r.index for r in results] == list(range(len(frames)))
    assert [r.value()["frame_current"] for r in results] == frames
    assert {r.worker for r in results} == {"w1", "w2"}  # NNG spread them over both
    assert all(r.attempts == 1 for r in results)
    after = pool.stats()
    assert sum(after.by_worker.values()) - sum(before.by_worker.values()) == len(frames)
    assert after.resent == before.resent

    unordered = list(pool.map_unordered("session.ping", [{}] * 10))
    assert sorted(r.index for r in unordered) == list(range(10))
    assert all(isinstance(r, TaskResult) and r.ok for r in unordered)

    ticket = pool.submit("object.create", {"type": "EMPTY", "name": "Ticketed"})
    assert ticket.result(timeout=60)["name"] == "Ticketed"
    assert ticket.done()


def test_a_failing_command_is_reported_with_the_workers_error(farm: Farm) -> None:
    before = farm.pool.stats()
    (bad,) = farm.pool.map("object.get", [{"name": "nope"}])
    assert isinstance(bad.error, NotFound) and bad.error.cmd == "object.get"
    assert bad.attempts == 1 and bad.worker in ("w1", "w2")
    with pytest.raises(NotFound):
        farm.pool.submit("object.get", {"name": "nope"}).result(timeout=60)
    after = farm.pool.stats()
    assert (after.resent, after.lost) == (before.resent, before.lost)  # not re-sent


def test_setup_reaches_a_worker_that_joins_late_before_its_first_task(farm: Farm) -> None:
    pool = farm.pool
    first = pool.setup("object.create", {"type": "EMPTY", "name": "Rig"}, timeout=60)
    assert sorted(first) == ["w1", "w2"] and all(r.ok for r in first.values())

    farm.start("late")
    pool.wait_for_workers(3, timeout=120)
    # Every task needs the setup's object: the late worker's first one included.
    results = pool.map("object.get", [{"name": "Rig"}] * 18)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert "late" in {r.worker for r in results}
    stats = pool.stats()
    assert stats.setup_replayed == 1 and stats.setup_failed == 0
    # The workers that had it answered the replay from their store: one Rig each.
    for worker, names in objects(farm).items():
        assert names.count("Rig") == 1 and "Rig.001" not in names, (worker, names)


def test_tasks_queued_before_any_worker_wait_for_the_setup(tmp_path: Path) -> None:
    """The strict order: tasks already queued when the worker joins still run after the
    setup registered before it existed."""
    address = f"ipc://{tmp_path}/queued"
    with Pool(address, token=TOKEN, liveness_interval=0.5, deadline=3.0) as pool:
        # A peer that never answers makes every survey wait its whole timeout, so the
        # setup reaches the worker seconds after it joined: work must wait for it.
        silent = nngbridge.Respondent0(dial=address + ".control")
        assert pool.setup("object.create", {"type": "EMPTY", "name": "Rig"}, timeout=1) == {}
        tickets = [pool.submit("object.get", {"name": "Rig"}) for _ in range(4)]
        worker = Worker(tmp_path, "first", address)
        try:
            results = [t.wait(timeout=120) for t in tickets]
            assert all(r.ok and r.worker == "first" for r in results), \
                [r.error for r in results]
            assert pool.stats().setup_replayed == 1
        finally:
            worker.kill()
            silent.close()


def test_a_wrong_token_is_refused_at_join_and_gets_no_work(farm: Farm) -> None:
    farm.start("stranger", token="another-token")
    farm.workers["stranger"].out.wait_for("refused the pool")
    # A liveness round now: the stranger answers it with its refusal again.
    assert "stranger" not in {w.id for w in farm.pool.workers(timeout=10)}
    refused = {r.worker: r.reason for r in farm.pool.refused()}
    assert refused["stranger"].startswith("UNAUTHORIZED")
    results = farm.pool.map("session.ping", [{}] * 9)
    assert all(r.ok for r in results) and "stranger" not in {r.worker for r in results}
    farm.workers.pop("stranger").kill()


def test_a_worker_killed_mid_map_loses_nothing_and_counts_nothing_twice(farm: Farm) -> None:
    pool = farm.pool
    if "late" not in farm.workers:  # (when run alone)
        farm.start("late")
        pool.wait_for_workers(3, timeout=120)
    n = 24
    before = pool.stats()
    # Each task creates an object named after it (a task applied twice would show as
    # T<i>.001) and takes a while, so tasks are in flight on the worker when it dies.
    code = ("import time, bpy\n"
            "time.sleep(0.15)\n"
            "result = bpy.data.objects.new('T%d', None).name")
    results: list[TaskResult] = []
    by_doomed = 0
    for r in pool.map_unordered("exec", ({"code": code % i} for i in range(n))):
        results.append(r)
        by_doomed += r.worker == "late"
        if by_doomed == 2 and farm.workers["late"].proc.poll() is None:
            farm.workers["late"].kill()
    assert sorted(r.index for r in results) == list(range(n))  # each once
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert {r.index: r.value()["result"] for r in results} == \
        {i: repr(f"T{i}") for i in range(n)}
    after = pool.stats()
    assert after.lost == before.lost and after.resent > before.resent
    assert sum(after.by_worker.values()) - sum(before.by_worker.values()) == n
    assert any(r.attempts > 1 and r.worker in ("w1", "w2") for r in results)
    # On the survivors, every object at most once.
    for worker, names in objects(farm).items():
        made = Counter(x.split(".")[0] for x in names if x.startswith("T"))
        assert all(c == 1 for c in made.values()), (worker, names)


def test_a_queued_task_fails_after_the_queue_deadline_without_workers(tmp_path: Path) -> None:
    with Pool(f"ipc://{tmp_path}/empty", token=TOKEN, queue_deadline=0.3) as pool:
        r = pool.submit("session.ping").wait(timeout=30)
        assert isinstance(r.error, CallTimeout) and r.attempts == 0 and r.worker is None
        assert "queue_deadline" in str(r.error)
        with pytest.raises(CallTimeout):
            pool.map("session.ping", [{}])[0].value()
        assert pool.stats().expired == 2


def test_a_pool_wait_answers_ctrl_c(tmp_path: Path) -> None:
    with Pool(f"ipc://{tmp_path}/idle", token=TOKEN) as pool:
        def interrupt(*_: Any) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGALRM, interrupt)
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        try:
            with pytest.raises(KeyboardInterrupt):
                pool.wait_for_workers(1, timeout=10)
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            ticket = pool.submit("session.ping")
            with pytest.raises(KeyboardInterrupt):
                ticket.wait()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    with pytest.raises(nngbridge.Closed):
        pool.connected()
