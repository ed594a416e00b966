"""The distributable wheels (built into dist/ by scripts/build-wheels.sh): their tags, their
glibc symbols, and that each installs with ``pip install --target`` and works from that
directory in CPython 3.9 and 3.11 and inside Debian's Blender, where the cp39 one (the wheel
Blender 2.93-4.0 users get) also serves the scene protocol."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from blender_harness import BlenderServer, install_wheel

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
PY39 = os.environ.get("NNGBRIDGE_PY39", "/root/.pyenv/versions/3.9.18/bin/python3.9")

ROUND_TRIP = (
    "import sys, nngbridge\n"
    "assert nngbridge.__file__.startswith(sys.argv[1]), nngbridge.__file__\n"
    "with nngbridge.Rep0(listen='inproc://w') as rep, nngbridge.Req0(dial='inproc://w') as req:\n"
    "    req.send(b'ping'); rep.send(rep.recv() + b'!'); assert req.recv() == b'ping!'\n"
    "assert nngbridge.unpackb(nngbridge.packb({'k': [1, b'x']})) == {'k': [1, b'x']}\n"
    "print('OK', nngbridge._nng.BUFFER_PROTOCOL)\n"
)


def wheel(tag: str) -> Path:
    found = sorted(DIST.glob(f"nngbridge-*-{tag}-*.whl"))
    assert found, f"no {tag} wheel in {DIST}: run scripts/build-wheels.sh (test-all.sh does)"
    return found[-1]


def install(python: str, whl: Path, target: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(whl)],
        capture_output=True, text=True, timeout=300,
    )


def run_from(python: str, target: Path) -> str:
    env = dict(os.environ, PYTHONPATH=str(target))
    res = subprocess.run([python, "-c", ROUND_TRIP, str(target)], capture_output=True,
                         text=True, timeout=120, env=env, cwd="/")
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


@pytest.mark.parametrize("tag", ["cp39-abi3", "cp311-abi3"])
def test_wheel_is_manylinux2014_and_needs_glibc_2_17_at_most(tag):
    whl = wheel(tag)
    assert "manylinux2014_x86_64" in whl.name
    with zipfile.ZipFile(whl) as z:
        names = z.namelist()
        assert "nngbridge/py.typed" in names and "nngbridge/_nng.pyi" in names
        so = next(n for n in names if n.startswith("nngbridge/_nng") and n.endswith(".so"))
        data = z.read(so)
    found = re.findall(rb"GLIBC_(\d+\.\d+)", data)
    versions = {tuple(int(x) for x in v.split(b".")) for v in found}
    assert versions and max(versions) <= (2, 17), sorted(versions)[-3:]


def test_cp39_wheel_works_in_python_3_9(tmp_path):
    assert Path(PY39).exists(), f"CPython 3.9 not found at {PY39} (set NNGBRIDGE_PY39)"
    target = tmp_path / "site"
    res = install(PY39, wheel("cp39-abi3"), target)
    assert res.returncode == 0, res.stderr
    assert run_from(PY39, target) == "OK False"


def test_cp311_wheel_refuses_python_3_9(tmp_path):
    assert Path(PY39).exists(), f"CPython 3.9 not found at {PY39} (set NNGBRIDGE_PY39)"
    res = install(PY39, wheel("cp311-abi3"), tmp_path / "site")
    assert res.returncode != 0
    assert "is not a supported wheel" in res.stderr


@pytest.mark.parametrize("tag,buffer", [("cp39-abi3", "False"), ("cp311-abi3", "True")])
def test_wheels_work_in_python_3_11(tmp_path, tag, buffer):
    target = tmp_path / "site"
    res = install(sys.executable, wheel(tag), target)
    assert res.returncode == 0, res.stderr
    assert run_from(sys.executable, target) == f"OK {buffer}"


@pytest.mark.parametrize("tag", ["cp39-abi3", "cp311-abi3"])
def test_wheel_imports_inside_blender_from_addons_modules(tmp_path, tag):
    blender = shutil.which("blender")
    assert blender, "Debian's blender is not installed (scripts/setup.sh installs it)"
    scripts = tmp_path / "scripts"
    modules = scripts / "addons" / "modules"
    res = install(sys.executable, wheel(tag), modules)
    assert res.returncode == 0, res.stderr
    env = dict(os.environ, BLENDER_USER_SCRIPTS=str(scripts))
    env.pop("PYTHONPATH", None)
    script = tmp_path / "check.py"
    script.write_text(ROUND_TRIP.replace("sys.argv[1]", repr(str(modules))))
    res = subprocess.run(
        [blender, "-b", "--factory-startup", "--python-exit-code", "1", "--python", str(script)],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert "OK " in res.stdout


def test_cp39_wheel_serves_commands_inside_blender(tmp_path):
    """Debian's Blender 3.4 (Python 3.11 takes a cp39-abi3 wheel) serving with the cp39 wheel:
    no buffer protocol there, so binary arrays take the copying path."""
    wheel("cp39-abi3")
    script = "import nngbridge\nprint('LOADED', nngbridge._nng.BUFFER_PROTOCOL, nngbridge.__file__)"
    with BlenderServer(tmp_path, install=lambda s: install_wheel(s, "cp39-abi3"),
                       script=script) as b:
        loaded = next(line for line in b.lines if line.startswith("LOADED "))
        assert loaded.startswith("LOADED False ") and str(tmp_path / "scripts") in loaded, loaded
        b.call("object.create", type="CUBE", name="Box", location=[1, 2, 3])
        assert b.call("object.get", name="Box")["location"] == [1, 2, 3]
        b.call("image.new", name="Pink", width=4, height=2, color=[1, 0, 1, 1])
        px = b.call("image.pixels_get", name="Pink")
        assert px["dtype"] == "f4" and px["shape"] == [2, 4, 4]
        assert struct.unpack("<32f", bytes(px["data"])) == (1.0, 0.0, 1.0, 1.0) * 8
        assert b.error("object.get", name="Nope")["code"] == "NOT_FOUND"
