"""The benchmark harness runs in smoke mode and produces every table row (no timing is
asserted: speed is measured in benchmarks, not in tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(600)
def test_harness_smoke_produces_every_row(tmp_path):
    out = tmp_path / "results.json"
    res = subprocess.run([sys.executable, str(ROOT / "benches" / "run.py"), "--smoke",
                          "--json", str(out)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    results = json.loads(out.read_text())
    assert set(results["round_trip"]) == {"inproc", "ipc", "tcp", "ipc, one core",
                                          "tcp, one core"}
    for cell in results["round_trip"].values():
        assert {"nngbridge", "pynng"} <= set(cell)
        assert all(med > 0 and p99 >= med for med, p99 in cell.values())
    assert len(results["throughput"]) == 2 * 4 * 2
    assert set(results["in_flight"]) == {"ipc", "tcp"}
    for cell in results["in_flight"].values():
        assert {"nngbridge", "pynng"} <= set(cell) and "zmq" not in cell
        assert all(rate > 0 for rate in cell.values())
    assert all(rate > 0 for cell in results["throughput"].values() for rate in cell.values())
    assert "### Codec" in res.stdout and "| 4 MiB pixel blob | nngbridge |" in res.stdout
    # The Blender part (benches/blender): background only, a 64x64 image, 10 creations.
    blender = results["blender"]
    assert set(blender["modes"]) == {"background"}
    cell = blender["modes"]["background"]
    for server in ("nngbridge", "json-tcp"):
        row = cell[server]
        assert row["bytes"] == 64 * 64 * 4 * 4 and row["created"] == 10
        assert row["rt_p99_s"] >= row["rt_median_s"] > 0
        assert row["create_s"] > 0 and row["fetch_s"] > 0 and row["foreach_get_s"] > 0
        assert row["raw_rt_p99_s"] >= row["raw_rt_median_s"] > 0 and row["raw_transfer_s"] > 0
    for label in ("command round trip, median", "10 object creations", "64x64 RGBA float fetch",
                  "floor: foreach_get", "floor: raw round trip", "floor: raw transfer"):
        assert f"| {label}" in res.stdout, label
    assert "* nngbridge: round trip" in res.stdout and "targets:" in res.stdout
    # The mesh bench (benches/blender/bench_mesh.py): a 40 x 40 grid through both servers.
    mesh = results["mesh"]
    assert mesh["side"] == 40 and mesh["repeats"] == 1
    for server in ("nngbridge", "json-tcp"):
        row = mesh[server]
        assert row["get_s"] > 0 and row["create_s"] > 0, row
        assert row["floor_get_s"] > 0 and row["floor_set_s"] > 0, row
        assert row["bytes"] == 40 * 40 * 12 + 39 * 39 * (4 + 4 + 16), row
    for label in ("read: `mesh.get`", "build: `mesh.create`", "round trip: build + read"):
        assert f"| {label}" in res.stdout, label
