"""Every command domain of the add-on, in a real Blender (``blender -b``, and each PyPI
``bpy`` wheel of tests/bpy_pypi.py imported by a venv's plain Python), through
``dispatch()`` (no sockets): tests/blender_scripts/check_commands.py makes a small movie
of a moving square, then creates, reads, changes and breaks things domain by domain."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bpy_pypi
from blender_scripts.modules import blender_env, populate

SCRIPTS = Path(__file__).resolve().parent / "blender_scripts"
DOMAINS = ("session", "object", "collection", "scene", "image", "clip", "tracking", "mask",
           "sequencer", "gpencil", "anim", "wm", "batch", "job", "exec")

pytestmark = pytest.mark.timeout(300)
needs_blender = pytest.mark.skipif(shutil.which("blender") is None,
                                   reason="needs Debian's blender")


@pytest.fixture(scope="session")
def blender_modules(tmp_path_factory) -> Path:
    """A directory holding the add-on under test (repository sources + the built native
    module), for Blender's PYTHONPATH."""
    return populate(tmp_path_factory.mktemp("blender-modules"))


def run_in_blender(script: Path, modules: Path, work: Path, timeout: float = 240,
                   backend: str = "debian") -> str:
    python = bpy_pypi.python(backend)
    if python:  # the bpy wheel: a plain Python process importing bpy
        cmd = [python, "-u", str(script), "--", str(work)]
        env = bpy_pypi.env(backend, modules, dict(os.environ))
    else:
        assert shutil.which("blender"), "Debian's blender is not installed (scripts/setup.sh)"
        cmd = ["blender", "-b", "--factory-startup", "--python-use-system-env",
               "--python-exit-code", "1", "--python", str(script), "--", str(work)]
        env = blender_env(modules, os.environ)
    res = subprocess.run(cmd, env=env, cwd=work, capture_output=True, text=True,
                         timeout=timeout)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-6000:]
    return out


@pytest.mark.parametrize("backend", bpy_pypi.backends())
def test_every_command_domain_in_background_blender(blender_modules, tmp_path, backend):
    out = run_in_blender(SCRIPTS / "check_commands.py", blender_modules, tmp_path,
                         backend=backend)
    checked = [line.split()[1] for line in out.splitlines() if line.startswith("CHECKED ")]
    assert checked == list(DOMAINS), out[-3000:]
    assert "ALL COMMANDS CHECKED" in out


@needs_blender
def test_the_addon_enables_serves_from_its_preferences_and_disables(blender_modules, tmp_path):
    scripts = tmp_path / "scripts"
    shutil.copytree(blender_modules / "nngbridge" / "blender" / "addon",
                    scripts / "addons" / "nngbridge_addon")
    cmd = ["blender", "-b", "--factory-startup", "--python-use-system-env",
           "--python-exit-code", "1", "--python", str(SCRIPTS / "check_addon.py"), "--",
           f"ipc://{tmp_path}/addon"]
    env = dict(blender_env(blender_modules, os.environ), BLENDER_USER_SCRIPTS=str(scripts))
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    for line in ("ENABLED", "SERVED", "REFUSED REMOTE", "ADDON CHECKED"):
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
