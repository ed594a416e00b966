"""benches/criterion_table.py turns criterion's JSON results into the markdown tables of
docs/benchmarks.md (criterion's files are written here by hand, in its 0.7 layout)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benches" / "criterion_table.py"


def write_result(target: Path, group: str, bench: str, median_ns: float,
                 throughput: dict | None, mtime: float) -> None:
    new = target / "criterion" / group / bench / "new"
    new.mkdir(parents=True)
    (new / "benchmark.json").write_text(json.dumps({
        "group_id": group, "function_id": bench, "value_str": None,
        "throughput": throughput, "full_id": f"{group}/{bench}",
        "directory_name": f"{group}/{bench}", "title": f"{group}/{bench}"}))
    est = new / "estimates.json"
    est.write_text(json.dumps({"median": {
        "point_estimate": median_ns,
        "confidence_interval": {"confidence_level": 0.95, "lower_bound": median_ns * 0.9,
                                "upper_bound": median_ns * 1.1},
        "standard_error": 1.0}}))
    os.utime(est, (mtime, mtime))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, timeout=60)


def test_table_shows_median_and_throughput_in_run_order(tmp_path):
    write_result(tmp_path, "push_pull_tcp", "send_32MiB", 20e6, {"Bytes": 32 << 20}, 2000)
    write_result(tmp_path, "round_trip_64B", "tcp", 50e3, {"Elements": 1}, 1000)
    write_result(tmp_path, "memcpy", "64B", 5.0, None, 3000)
    res = run("--target", str(tmp_path))
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "| tcp | 50 µs | 45 µs – 55 µs | 20,000/s |" in out
    assert "| send_32MiB | 20 ms | 18 ms – 22 ms | 1.68 GB/s |" in out
    assert "| 64B | 5 ns | 4.5 ns – 5.5 ns |  |" in out
    order = [out.index(f"#### {g}") for g in ("round_trip_64B", "push_pull_tcp", "memcpy")]
    assert order == sorted(order)

    res = run("--target", str(tmp_path), "memcpy")
    assert res.returncode == 0 and "memcpy" in res.stdout and "tcp" not in res.stdout


def test_no_results_is_an_error(tmp_path):
    res = run("--target", str(tmp_path))
    assert res.returncode == 1
    assert "no criterion results" in res.stderr
