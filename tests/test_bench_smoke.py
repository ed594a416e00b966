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
    assert set(results["round_trip"]) == {"inproc", "ipc", "tcp"}
    for cell in results["round_trip"].values():
        assert {"nngbridge", "pynng"} <= set(cell)
        assert all(med > 0 and p99 >= med for med, p99 in cell.values())
    assert len(results["throughput"]) == 2 * 4 * 2
    assert all(rate > 0 for cell in results["throughput"].values() for rate in cell.values())
    assert "### Codec" in res.stdout and "| 4 MiB pixel blob | nngbridge |" in res.stdout
