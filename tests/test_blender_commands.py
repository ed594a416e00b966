"""Every command domain of the add-on, in a real Blender (``blender -b``, and each PyPI
``bpy`` wheel of tests/bpy_pypi.py imported by a venv's plain Python), through
``dispatch()`` (no sockets): tests/blender_scripts/check_commands.py makes a small movie
of a moving square, then creates, reads, changes and breaks things domain by domain."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import bpy_pypi
from blender_scripts.modules import blender_env, populate

SCRIPTS = Path(__file__).resolve().parent / "blender_scripts"
ROOT = SCRIPTS.parents[1]
CATALOGUE = json.loads((ROOT / "docs" / "commands.json").read_text(encoding="utf-8"))
DOMAINS = sorted({c["domain"] for c in CATALOGUE["commands"].values()})

pytestmark = pytest.mark.timeout(300)
needs_blender = pytest.mark.skipif(shutil.which("blender") is None,
                                   reason="needs Debian's blender")


@pytest.fixture(scope="session")
def blender_modules(tmp_path_factory) -> Path:
    """A directory holding the add-on under test (repository sources + the built native
    module), for Blender's PYTHONPATH."""
    return populate(tmp_path_factory.mktemp("blender-modules"))


def run_in_blender(script: Path, modules: Path | None, work: Path, *args: str,
                   backend: str = "debian", env: dict[str, str] | None = None,
                   timeout: float = 240) -> str:
    """Runs ``script -- work|args`` in Blender (``modules`` first on its sys.path, unless
    None) and returns its output; fails on a non-zero exit."""
    base = dict(os.environ, **(env or {}))
    python = bpy_pypi.python(backend)
    argv = [str(a) for a in (args or (work,))]
    if python:  # the bpy wheel: a plain Python process importing bpy
        cmd = [python, "-u", str(script), "--", *argv]
        run_env = bpy_pypi.env(backend, modules, base) if modules else dict(base)
    else:
        assert shutil.which("blender"), "Debian's blender is not installed (scripts/setup.sh)"
        cmd = ["blender", "-b", "--factory-startup", "--python-use-system-env",
               "--python-exit-code", "1", "--python", str(script), "--", *argv]
        run_env = blender_env(modules, base) if modules else dict(base)
    if not modules:
        run_env.pop("PYTHONPATH", None)
    for key in ("BLENDER_USER_SCRIPTS", "BLENDER_USER_RESOURCES"):
        if env and key in env:
            run_env[key] = env[key]
    res = subprocess.run(cmd, env=run_env, cwd=work, capture_output=True, text=True,
                         timeout=timeout)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-6000:]
    return out


@pytest.mark.parametrize("backend", bpy_pypi.backends())
def test_every_command_domain_in_background_blender(blender_modules, tmp_path, backend):
    out = run_in_blender(SCRIPTS / "check_commands.py", blender_modules, tmp_path,
                         backend=backend)
    checked = [line.split()[1] for line in out.splitlines() if line.startswith("CHECKED ")]
    assert sorted(checked) == DOMAINS, out[-3000:]
    assert "ALL COMMANDS CHECKED" in out


@pytest.mark.parametrize("backend", bpy_pypi.backends())
def test_the_addon_enables_serves_from_its_preferences_and_disables(blender_modules, tmp_path,
                                                                    backend):
    scripts = tmp_path / "scripts"
    shutil.copytree(blender_modules / "nngbridge" / "blender" / "addon",
                    scripts / "addons" / "nngbridge_addon")
    out = run_in_blender(SCRIPTS / "check_addon.py", blender_modules, tmp_path,
                         f"ipc://{tmp_path}/addon", backend=backend,
                         env={"BLENDER_USER_SCRIPTS": str(scripts)}, timeout=120)
    for line in ("ENABLED", "SERVED", "REFUSED REMOTE", "ADDON CHECKED"):
        assert line in out, out[-4000:]


def blender_ext(backend: str) -> Path:
    """Blender's extension tool (what ``blender --command extension`` runs), shipped in
    the bpy wheel; a plain script."""
    found = sorted(bpy_pypi.venv(backend.removeprefix("bpy-")).glob(
        "lib/python3.*/site-packages/bpy/*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    assert found, f"no blender_ext.py in the {backend} wheel"
    return found[-1]


@pytest.mark.parametrize("backend", [b for b in bpy_pypi.backends() if b != "debian"])
def test_the_extension_validates_builds_installs_and_serves(tmp_path, backend):
    """The 4.2+ extension: blender_manifest.toml plus the cp311 wheel it names pass
    Blender's own ``validate`` and ``build``; the built package installs with
    ``extensions.package_install_files`` (Blender installs the wheel inside it; nothing
    on PYTHONPATH), enables as ``bl_ext.user_default.nngbridge`` and serves."""
    python = bpy_pypi.python(backend)
    assert python
    addon = ROOT / "python" / "nngbridge" / "blender" / "addon"
    manifest = tomllib.loads((addon / "blender_manifest.toml").read_text())
    package = tmp_path / "package"
    shutil.copytree(addon, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "wheels").mkdir()
    for wheel in manifest["wheels"]:
        built = ROOT / "dist" / Path(wheel).name
        dist = sorted(p.name for p in (ROOT / "dist").glob("*"))
        assert built.exists(), f"the manifest names {wheel}; dist/ holds {dist}"
        shutil.copy2(built, package / "wheels")
    tool = [python, str(blender_ext(backend))]

    def ext(*args: str) -> str:
        res = subprocess.run([*tool, *args], cwd=tmp_path, capture_output=True, text=True,
                             timeout=120)
        out = res.stdout + res.stderr
        assert res.returncode == 0 and "FATAL_ERROR" not in out, out
        return out

    assert "Success" in ext("validate", str(package))
    (tmp_path / "out").mkdir()
    ext("build", "--source-dir", str(package), "--output-dir", str(tmp_path / "out"))
    archive = tmp_path / "out" / f"{manifest['id']}-{manifest['version']}.zip"
    assert archive.exists(), sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "Success" in ext("validate", str(archive))
    out = run_in_blender(SCRIPTS / "check_addon.py", None, tmp_path,
                         f"ipc://{tmp_path}/ext", str(archive), backend=backend,
                         env={"BLENDER_USER_RESOURCES": str(tmp_path / "user")},
                         timeout=120)
    for line in ("EXTENSION INSTALLED", "ENABLED", "SERVED", "REFUSED REMOTE",
                 "ADDON CHECKED"):
        assert line in out, out[-4000:]


@needs_blender
def test_install_puts_the_package_and_addon_where_blender_finds_them(blender_modules, tmp_path):
    """python -m nngbridge.blender.install into a fresh user scripts dir, then a plain
    Blender (no PYTHONPATH) enables the add-on and answers a ping through dispatch."""
    scripts = tmp_path / "scripts"
    env = dict(os.environ, BLENDER_USER_SCRIPTS=str(scripts),
               PYTHONPATH=str(blender_modules))
    res = subprocess.run([sys.executable, "-m", "nngbridge.blender.install"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (scripts / "addons" / "modules" / "nngbridge" / "blender" / "server.py").exists()
    assert (scripts / "addons" / "nngbridge_addon" / "__init__.py").exists()
    expr = ("import addon_utils, nngbridge.blender.commands;"
            "from nngbridge.blender.registry import dispatch;"
            "addon_utils.enable('nngbridge_addon', default_set=True, handle_error=None);"
            "import bpy; assert bpy.context.preferences.addons.get('nngbridge_addon');"
            "r = dispatch({'v': 1, 'id': 1, 'cmd': 'session.ping'});"
            "print('PING', r['result'], nngbridge.__file__)")
    plain = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run(["blender", "-b", "--factory-startup", "--python-exit-code", "1",
                          "--python-expr", expr],
                         env=dict(plain, BLENDER_USER_SCRIPTS=str(scripts)),
                         capture_output=True, text=True, timeout=120)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert f"PING pong {scripts}" in out, out[-3000:]
