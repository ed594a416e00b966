"""The pool row (docs/benchmarks.md, "Pool"): tasks/s through a ``nngbridge_scene::Pool``
(the ``nngbridge pool`` CLI, release build) over 1, 2 and 4 real ``blender -b`` workers
that join it, for a CPU-bound task (a pure-Python loop, ~20 ms alone) and a sleep-bound
one (``time.sleep(0.02)``), and the overhead per task against a direct call: session.ping
through the pool (one worker, one in flight) against session.ping over a plain Req0 to
a Blender listening on its own.

    python benches/blender/bench_pool.py [--tasks 40]

This machine has 2 cores shared with other work: CPU-bound tasks cannot scale past 2
workers here, sleep-bound ones can. Needs `cargo build --release -p nngbridge-cli` and
the cp311 wheel in dist/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from blender_harness import BlenderServer  # noqa: E402
from blender_pool_harness import TOKEN, Lines, Worker  # noqa: E402

CLI = ROOT / "target" / "release" / "nngbridge"
CPU = "n = 0\nfor i in range(400000):\n    n += i * i\nresult = n"
SLEEP = "import time\ntime.sleep(0.02)\nresult = 0"


class Pool:
    def __init__(self, address: str, per_worker: int) -> None:
        self.proc = subprocess.Popen(
            [str(CLI), "pool", address, "--token", TOKEN, "--per-worker", str(per_worker)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.out = Lines(self.proc.stdout)
        self.out.wait_for('"ready"', timeout=60)

    def ask(self, **req: object) -> dict:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        while True:
            reply = json.loads(self.out.wait_for("{", timeout=600))
            if "ok" in reply:
                assert reply["ok"], reply
                return reply

    def rate(self, cmd: str, items: list[dict]) -> float:
        start = time.perf_counter()
        results = self.ask(op="map", cmd=cmd, items=items)["results"]
        elapsed = time.perf_counter() - start
        assert all(r["ok"] for r in results), [r for r in results if not r["ok"]][:1]
        return len(items) / elapsed

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def direct_ping_rate(tmp: Path, n: int) -> float:
    with BlenderServer(tmp) as b:
        b.call("session.ping")
        start = time.perf_counter()
        for _ in range(n):
            b.call("session.ping")
        return n / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=40, help="tasks per measurement")
    args = parser.parse_args()
    assert CLI.exists(), "cargo build --release -p nngbridge-cli first"
    rows = []
    with tempfile.TemporaryDirectory(prefix="nngbridge-bench-pool-") as tmp_name:
        tmp = Path(tmp_name)
        direct = direct_ping_rate(tmp / "direct", 400)
        address = f"ipc://{tmp}/pool"
        pool = Pool(address, per_worker=1)
        workers: list[Worker] = []
        try:
            for n in (1, 2, 4):
                while len(workers) < n:
                    workers.append(Worker(tmp, f"w{len(workers) + 1}", address,
                                          allow_exec=True))
                pool.ask(op="wait", n=n)
                pool.rate("session.ping", [{}] * 20)  # warm up every worker
                row = {"workers": n,
                       "cpu": pool.rate("exec", [{"code": CPU}] * args.tasks),
                       "sleep": pool.rate("exec", [{"code": SLEEP}] * args.tasks)}
                if n == 1:
                    row["ping"] = pool.rate("session.ping", [{}] * 400)
                rows.append(row)
                print(json.dumps(row), flush=True)
        finally:
            for w in workers:
                w.kill()
            pool.close()
    one = rows[0]
    print(f"\nPool, {os.cpu_count()} cores (shared), {args.tasks} tasks per cell, one task "
          "in flight per worker")
    print("| workers | CPU-bound tasks/s | x | sleep-bound tasks/s | x |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workers']} | {r['cpu']:.1f} | {r['cpu'] / one['cpu']:.2f} | "
              f"{r['sleep']:.1f} | {r['sleep'] / one['sleep']:.2f} |")
    print(f"\nsession.ping: direct {direct:.0f}/s ({1e6 / direct:.0f} µs), through the pool "
          f"{one['ping']:.0f}/s ({1e6 / one['ping']:.0f} µs): "
          f"{1e6 / one['ping'] - 1e6 / direct:.0f} µs overhead per task")
    return 0


if __name__ == "__main__":
    sys.exit(main())
