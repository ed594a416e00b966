"""pynng 0.9.0's own test suite (its sdist's ``test/``, fetched unchanged by
scripts/setup.sh into ``.cache/pynng-0.9.0``) run against nngbridge: ``import pynng`` gives
nngbridge through a pytest plugin (``pynng_upstream/pynng_shim.py``), nothing in the suite
is edited. The suite runs in its own process and venv (``.venvs/pynng-suite``: the
pytest-asyncio and pytest-trio plugins it needs), once against real pynng to show the
runner itself is sound, once against nngbridge.

``NOT_YET`` lists the upstream tests nngbridge still fails, each with its reason (issue
10). The test fails when the failures differ from that list in either direction: a new
failure, or a fixed one still listed.
"""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / ".cache" / "pynng-0.9.0" / "test"
PYTHON = ROOT / ".venvs" / "pynng-suite" / "bin" / "python"
SHIM = Path(__file__).resolve().parent / "pynng_upstream"
UPSTREAM_TESTS = 67  # 63 run on Linux; pynng itself skips 4 there

NOT_YET: dict[str, str] = {}


def run_suite(tmp_path: Path, against: str) -> dict[str, str]:
    """Runs the upstream suite; returns ``{file::test: outcome}``."""
    assert SUITE.is_dir(), f"pynng's suite is missing at {SUITE}: run scripts/setup.sh"
    assert PYTHON.exists(), f"no venv at {PYTHON.parent.parent}: run scripts/setup.sh"
    report = tmp_path / f"{against}.xml"
    env = dict(os.environ)
    cmd = [str(PYTHON), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml",
           str(report), "-o", "junit_family=xunit2", "--rootdir", str(SUITE), str(SUITE)]
    if against == "nngbridge":
        # The suite's venv sees the system's packages: the nngbridge this run tests (e.g.
        # a worktree's venv) goes first, alone (a link to the package, not its site dir).
        import nngbridge

        tested = tmp_path / "tested"
        tested.mkdir()
        (tested / "nngbridge").symlink_to(Path(nngbridge.__file__).resolve().parent)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(SHIM), str(tested), env.get("PYTHONPATH")]))
        cmd[3:3] = ["-p", "pynng_shim"]
    res = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=600)
    assert report.exists(), f"the suite did not run ({res.returncode}):\n{res.stdout}\n{res.stderr}"
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}.py::{case.get('name')}"
        kinds = [child.tag for child in case]
        outcomes[name] = next((k for k in ("failure", "error", "skipped") if k in kinds),
                              "passed")
    return outcomes


def test_the_runner_passes_real_pynng(tmp_path):
    import pynng

    assert pynng.__version__ == "0.9.0"
    outcomes = run_suite(tmp_path, "pynng")
    assert len(outcomes) == UPSTREAM_TESTS, sorted(outcomes)
    assert list(outcomes.values()).count("passed") == UPSTREAM_TESTS - 4, outcomes
    assert list(outcomes.values()).count("skipped") == 4, outcomes


def test_pynng_suite_passes_against_nngbridge(tmp_path):
    outcomes = run_suite(tmp_path, "nngbridge")
    assert len(outcomes) == UPSTREAM_TESTS, sorted(outcomes)
    skipped = sorted(t for t, o in outcomes.items() if o == "skipped")
    failed = {t for t, o in outcomes.items() if o in ("failure", "error")}
    # pynng skips the same 4 on Linux (Windows/macOS-only cases and two marked skip).
    assert len(skipped) == 4, skipped
    new = sorted(failed - set(NOT_YET))
    fixed = sorted(set(NOT_YET) - failed)
    assert not new, f"pynng's own tests that fail against nngbridge: {new}"
    assert not fixed, f"these pass now: remove them from NOT_YET: {fixed}"

