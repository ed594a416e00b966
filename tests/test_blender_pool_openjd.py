"""The tracking pass as an Open Job Description job (scripts/openjd/tracking-pass.yaml,
docs/farm.md), run by ``openjd run`` (openjd-cli from PyPI) against Debian's Blender: the
step environment starts one Blender for the session and shuts it down at the end; the four
tasks (12 frames each) go to that same Blender through nngbridge, and every frame is
checked against the truth."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from blender_harness import MAKE_MOVIE
from blender_scripts.modules import install_sources

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "scripts" / "openjd" / "tracking-pass.yaml"
pytestmark = pytest.mark.timeout(900)


def openjd() -> str:
    found = shutil.which("openjd") or str(Path(sys.executable).with_name("openjd"))
    assert Path(found).exists(), "openjd-cli is not installed (pip install openjd-cli)"
    return found


def test_openjd_runs_the_tracking_pass_on_one_blender_per_session(tmp_path):
    subprocess.run(["cargo", "build", "-q", "-p", "nngbridge-cli", "-p", "nngbridge-scene",
                    "--example", "track_clip"], cwd=ROOT, check=True, timeout=600)
    bin_dir = ROOT / "target" / "debug"
    frames, movie = tmp_path / "frames", tmp_path / "movie" / "shape.mp4"
    movie.parent.mkdir()
    subprocess.run([str(bin_dir / "examples" / "track_clip"), "frames", str(frames)],
                   check=True, timeout=300)
    make = tmp_path / "make_movie.py"
    make.write_text("import bpy\n" + MAKE_MOVIE.format(frames=str(frames), movie=str(movie)))
    subprocess.run([shutil.which("blender") or "blender", "-b", "--factory-startup",
                    "--python-exit-code", "1", "--python", str(make)],
                   check=True, capture_output=True, timeout=600)
    scripts = tmp_path / "scripts"
    install_sources(scripts)

    run = subprocess.run(
        [openjd(), "run", str(TEMPLATE), "--step", "Track", "-p", f"Movie={movie}",
         "-p", f"Bin={bin_dir}", "-p", f"BlenderScripts={scripts}"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    for first in (1, 13, 25, 37):
        assert f"frames {first}-{first + 11}: largest error" in out, out[-4000:]
    assert out.count(": OK") == 4 and "FAILED" not in out
    # One Blender served every task: it loaded the clip once, and was shut down at the end.
    assert out.count("(first task of this Blender)") == 1, out[-4000:]
    assert out.count("serves this session") == 1
