"""The Blender installer (crates/nngbridge-install) against Debian's real Blender, through
both its faces: ``nngbridge blender install`` (the Rust CLI) and ``python -m
nngbridge.blender.install`` (the same code through ``nngbridge._nng``). Each installs the
cp311 wheel from dist/ into a temporary user scripts dir; a plain Blender then imports
nngbridge from there, enables the add-on and serves, and the CLI's ``call`` gets a pong.
Refusals: a wheel for a newer Python, a wheel with a ``../`` entry, not a wheel, a missing
Blender. The zip-entry and wheel-tag checks themselves are unit-tested in the crate."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from blender_scripts.modules import populate

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
PLATFORM = "manylinux2014_x86_64.manylinux_2_17_x86_64"
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def cli() -> Path:
    """The `nngbridge` binary, built from this checkout."""
    subprocess.run(["cargo", "build", "-q", "-p", "nngbridge-cli"], cwd=ROOT, check=True,
                   timeout=900)
    exe = ROOT / "target" / "debug" / "nngbridge"
    assert exe.exists(), exe
    assert shutil.which("blender"), "Debian's blender is not installed (scripts/setup.sh)"
    return exe


@pytest.fixture(scope="module")
def python_modules(tmp_path_factory) -> Path:
    """The Python installer's package: repository sources plus the built native module."""
    return populate(tmp_path_factory.mktemp("installer"))


@pytest.fixture(params=["rust", "python"])
def installer(request, cli, python_modules) -> list[str]:
    """The command that installs: the Rust CLI or the Python installer."""
    if request.param == "rust":
        return [str(cli), "blender", "install"]
    # PYTHONPATH reaches only this Python: Debian's Blender ignores it without
    # --python-use-system-env.
    return ["env", f"PYTHONPATH={python_modules}", sys.executable, "-m",
            "nngbridge.blender.install"]


def cp311_wheel() -> Path:
    # build-wheels.sh tags it manylinux2014; a local `maturin build` tags this glibc.
    wheels = sorted(DIST.glob("nngbridge-*-cp311-abi3-*linux*_x86_64.whl"))
    assert wheels, "no cp311 wheel in dist/: run scripts/build-wheels.sh (test-all.sh does)"
    return wheels[-1]


def blender_env(tmp: Path) -> dict[str, str]:
    """Blender (and the CLI's probe) with user scripts and preferences under ``tmp``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BLENDER")}
    return dict(env, BLENDER_USER_SCRIPTS=str(tmp / "scripts"),
                BLENDER_USER_CONFIG=str(tmp / "config"))


def run(cmd: Path | list[str], tmp: Path, *args: str) -> subprocess.CompletedProcess:
    """Runs the CLI (a path) or an installer command (a list) with ``blender_env(tmp)``."""
    cmd = [str(cmd)] if isinstance(cmd, Path) else cmd
    return subprocess.run([*cmd, *args], env=blender_env(tmp), capture_output=True,
                          text=True, timeout=300)


def test_installed_blender_serves_and_answers_the_cli(installer, cli, tmp_path):
    modules = tmp_path / "scripts" / "addons" / "modules"
    # An earlier install to be replaced cleanly.
    (modules / "nngbridge").mkdir(parents=True)
    (modules / "nngbridge" / "stale.py").write_text("raise ImportError('stale')\n")
    (modules / "nngbridge-0.0.1.dist-info").mkdir()
    (tmp_path / "scripts" / "addons" / "nngbridge_addon").mkdir()
    (tmp_path / "scripts" / "addons" / "nngbridge_addon" / "stale.py").write_text("")
    wheels = tmp_path / "wheels"  # both wheels, as scripts/build-wheels.sh leaves them
    wheels.mkdir()
    for whl in DIST.glob("nngbridge-*-abi3-*.whl"):
        shutil.copy2(whl, wheels)
    assert (wheels / cp311_wheel().name).exists()

    res = run(installer, tmp_path, "--wheels", str(wheels))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Blender 3.4.1 (Python 3.11)" in res.stdout, res.stdout
    assert f"installed {cp311_wheel().name}" in res.stdout, res.stdout
    assert str(modules) in res.stdout
    assert not (modules / "nngbridge" / "stale.py").exists()
    assert not (modules / "nngbridge-0.0.1.dist-info").exists()
    assert (modules / "nngbridge" / "_nng.abi3.so").exists()
    addon = tmp_path / "scripts" / "addons" / "nngbridge_addon"
    assert sorted(p.name for p in addon.iterdir()) == ["__init__.py"]
    assert not list(modules.glob(".nngbridge-install-*"))

    address = f"ipc://{tmp_path}/requests"
    expr = ("import addon_utils, bpy, nngbridge, nngbridge.blender;"
            f"assert nngbridge.__file__.startswith({str(modules)!r}), nngbridge.__file__;"
            "assert addon_utils.enable('nngbridge_addon', default_set=True) is not None;"
            "assert bpy.context.preferences.addons.get('nngbridge_addon');"
            f"print('SERVED', nngbridge.blender.serve({address!r}), flush=True)")
    proc = subprocess.Popen(["blender", "-b", "--factory-startup", "--python-exit-code", "1",
                             "--python-expr", expr], env=blender_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    serving = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("nngbridge: serving"):
                serving.set()
        serving.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert serving.wait(120), "Blender did not start serving"
        assert proc.poll() is None, "\n".join(lines[-30:])
        ping = run(cli, tmp_path, "call", address, "session.ping")
        assert ping.returncode == 0, ping.stdout + ping.stderr
        assert json.loads(ping.stdout) == {"ok": True, "result": "pong"}
        bye = run(cli, tmp_path, "call", address, "session.shutdown")
        assert bye.returncode == 0, bye.stdout + bye.stderr
        assert proc.wait(timeout=60) == 0, "\n".join(lines[-30:])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert any(line.startswith("SERVED 2") for line in lines), "\n".join(lines[-30:])


def test_enable_saves_the_add_on_in_the_preferences(installer, tmp_path):
    res = run(installer, tmp_path, "--wheel", str(cp311_wheel()), "--enable")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "enabled the add-on nngbridge_addon" in res.stdout
    assert (tmp_path / "config" / "userpref.blend").exists()
    # A Blender that loads the saved preferences (no --factory-startup) has it enabled.
    expr = ("import bpy, nngbridge;"
            "print('ENABLED', bool(bpy.context.preferences.addons.get('nngbridge_addon')),"
            " nngbridge.__file__)")
    out = subprocess.run(["blender", "-b", "--python-exit-code", "1", "--python-expr", expr],
                         env=blender_env(tmp_path), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert f"ENABLED True {tmp_path / 'scripts'}" in out.stdout, out.stdout[-3000:]


def test_both_faces_run_the_same_installer(cli, python_modules, tmp_path):
    """One implementation: the same help (but the program's name) and the same dry run."""
    python = ["env", f"PYTHONPATH={python_modules}", sys.executable, "-m",
              "nngbridge.blender.install"]
    helps = [run([str(cli), "blender", "install"], tmp_path, "--help"),
             run(python, tmp_path, "--help")]
    assert all(h.returncode == 0 for h in helps), [h.stderr for h in helps]
    assert "--wheels <WHEELS>" in helps[0].stdout
    assert (helps[0].stdout.replace("Usage: nngbridge blender install", "Usage: PROG")
            == helps[1].stdout.replace("Usage: python -m nngbridge.blender.install",
                                       "Usage: PROG"))
    dry = [run([str(cli), "blender", "install"], tmp_path, "--wheels", str(DIST), "--dry-run"),
           run(python, tmp_path, "--wheels", str(DIST), "--dry-run")]
    assert all(d.returncode == 0 for d in dry), [d.stderr for d in dry]
    assert f"would install {cp311_wheel()}" in dry[0].stdout, dry[0].stdout
    assert dry[0].stdout == dry[1].stdout
    assert not (tmp_path / "scripts").exists()


def test_paths_prints_what_blender_reports(cli, tmp_path):
    res = run(cli, tmp_path, "blender", "paths")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["blender"] == "3.4.1"
    assert info["python"] == [3, 11]
    assert info["scripts"] == str(tmp_path / "scripts")
    assert info["modules"] == str(tmp_path / "scripts" / "addons" / "modules")
    assert info["addon"] == str(tmp_path / "scripts" / "addons" / "nngbridge_addon")


def test_dry_run_installs_nothing(installer, tmp_path):
    res = run(installer, tmp_path, "--wheel", str(cp311_wheel()), "--dry-run")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "would install" in res.stdout
    assert not (tmp_path / "scripts").exists()


def test_a_wheel_for_a_newer_python_is_refused(installer, tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    fake = wheels / f"nngbridge-0.1.0-cp313-abi3-{PLATFORM}.whl"
    shutil.copy2(cp311_wheel(), fake)
    res = run(installer, tmp_path, "--wheel", str(fake))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "does not fit" in res.stderr, res.stderr
    assert "cp313-abi3" in res.stderr and "Python 3.11" in res.stderr, res.stderr
    res = run(installer, tmp_path, "--wheels", str(wheels))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "no wheel in" in res.stderr and fake.name in res.stderr, res.stderr
    assert not (tmp_path / "scripts" / "addons").exists()


def write_wheel(path: Path, extra: dict[str, str]) -> Path:
    files = {"nngbridge/__init__.py": "", "nngbridge/blender/addon/__init__.py": "",
             "nngbridge-0.1.0.dist-info/WHEEL": "Wheel-Version: 1.0\n", **extra}
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return path


@pytest.mark.parametrize("entry", ["../evil.py", "nngbridge/../../evil.py", "/tmp/evil.py"])
def test_a_wheel_with_an_entry_outside_the_target_is_refused(installer, tmp_path, entry):
    modules = tmp_path / "scripts" / "addons" / "modules"
    (modules / "nngbridge").mkdir(parents=True)
    (modules / "nngbridge" / "earlier.py").write_text("")
    whl = write_wheel(tmp_path / f"nngbridge-0.1.0-cp311-abi3-{PLATFORM}.whl",
                      {entry: "print('escaped')\n"})
    res = run(installer, tmp_path, "--wheel", str(whl))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "would be written outside the target" in res.stderr, res.stderr
    assert not list(tmp_path.rglob("evil.py"))
    assert not Path("/tmp/evil.py").exists()
    assert (modules / "nngbridge" / "earlier.py").exists()  # the earlier install stays


def test_not_a_wheel_and_a_missing_blender_are_clear_errors(installer, tmp_path):
    junk = tmp_path / f"nngbridge-0.1.0-cp311-abi3-{PLATFORM}.whl"
    junk.write_text("not a zip")
    res = run(installer, tmp_path, "--wheel", str(junk))
    assert res.returncode == 1 and "not a zip file" in res.stderr, res.stderr
    other = write_wheel(tmp_path / "numpy-2.0-cp311-abi3-linux_x86_64.whl", {})
    res = run(installer, tmp_path, "--wheel", str(other))
    assert res.returncode == 1 and "not of nngbridge" in res.stderr, res.stderr
    res = run(installer, tmp_path, "--blender", str(tmp_path / "no-blender"))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "cannot run Blender" in res.stderr and "no-blender" in res.stderr, res.stderr
