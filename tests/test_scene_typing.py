"""The scene client's generated parts are current (scripts/gen_scene_client.py --check:
the error classes against docs/protocol.md, the command types against docs/commands.json)
and usable: ``mypy --strict`` passes a typed program (tests/typing/scene_sample.py) and
catches misspelt commands' arguments and result keys."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MYPYPATH=str(ROOT / "python"))  # this tree, not an installed copy
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                           "--follow-imports=silent", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


def test_generated_files_are_current():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_scene_client.py"),
                          "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_typed_sample_and_the_python_peer_pass_mypy_strict():
    out = _mypy(str(ROOT / "tests" / "typing" / "scene_sample.py"),
                str(ROOT / "examples" / "track_clip.py"))
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_catches_wrong_arguments_and_result_keys(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import nngbridge.scene as scene\n"
        "c = scene.connect('ipc:///tmp/x')\n"
        "b = c.call('mask.bounds', name='M')\n"
        "c.call('mask.bounds', name=3)\n"
        "c.call('mask.bounds', name='M', frame='3')\n"
        "c.call('mask.bounds', nme='M')\n"
        "c.call('object.fly')\n"
        "x: int = b['minimum']\n"
        "c.call_args('object.fly', {})\n"
        "low: str = b['min']\n"
    )
    out = _mypy(str(bad))
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert not any(f"bad.py:{n}: error" in line for n in (3, 9) for line in lines), out.stdout
    for line_no in (4, 5, 6, 7, 8, 10):  # not 9: call_args is the untyped door
        assert any(f"bad.py:{line_no}: error" in line for line in lines), out.stdout
