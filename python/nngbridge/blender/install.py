"""Installs nngbridge into a Blender: the package into the user's
``scripts/addons/modules`` and the add-on shim as ``scripts/addons/nngbridge_addon``.

    python -m nngbridge.blender.install [--blender PATH] [--wheel WHEEL] [--enable]

Without ``--wheel`` the running ``nngbridge`` package is copied (it must be a build for
Blender's Python: the cp311-abi3 wheel serves 4.1+ and Debian's 3.4; cp39-abi3 serves
2.93-4.0). This runs no code of this process inside Blender but asks Blender for its
paths. Runs outside Blender; imports no bpy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ADDON_NAME = "nngbridge_addon"
_PROBE = ("import bpy, sys, json; print('NNGBRIDGE ' + json.dumps({"
          "'scripts': bpy.utils.user_resource('SCRIPTS'), 'python': list(sys.version_info[:2]),"
          "'blender': bpy.app.version_string}))")


def blender_paths(blender: str) -> dict:
    """Asks Blender for its user scripts directory and Python version."""
    out = subprocess.run([blender, "-b", "--factory-startup", "--python-expr", _PROBE],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    for line in out.splitlines():
        if line.startswith("NNGBRIDGE "):
            return json.loads(line[len("NNGBRIDGE "):])
    raise RuntimeError(f"{blender} did not report its paths:\n{out[-2000:]}")


def install(blender: str = "blender", wheel: str | None = None, enable: bool = False) -> Path:
    """Installs into ``blender``'s user scripts; returns the modules directory."""
    info = blender_paths(blender)
    scripts = Path(info["scripts"])
    modules = scripts / "addons" / "modules"
    modules.mkdir(parents=True, exist_ok=True)
    if wheel:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--upgrade",
                        "--target", str(modules), wheel], check=True, timeout=300)
    else:
        here = Path(__file__).resolve().parents[1]  # the nngbridge package
        target = modules / "nngbridge"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(here, target, ignore=shutil.ignore_patterns("__pycache__"))
    addon = scripts / "addons" / ADDON_NAME
    if addon.exists():
        shutil.rmtree(addon)
    shutil.copytree(Path(__file__).resolve().parent / "addon", addon,
                    ignore=shutil.ignore_patterns("__pycache__", "blender_manifest.toml"))
    if enable:
        expr = (f"import addon_utils, bpy; addon_utils.enable({ADDON_NAME!r}, default_set=True);"
                " bpy.ops.wm.save_userpref()")
        subprocess.run([blender, "-b", "--python-expr", expr], check=True, timeout=120,
                       capture_output=True)
    return modules


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nngbridge.blender.install",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--blender", default=os.environ.get("BLENDER", "blender"),
                        help="the Blender executable (default: blender on PATH)")
    parser.add_argument("--wheel", help="a wheel to install instead of this nngbridge")
    parser.add_argument("--enable", action="store_true",
                        help="enable the add-on and save Blender's preferences")
    args = parser.parse_args(argv)
    modules = install(args.blender, args.wheel, args.enable)
    print(f"installed nngbridge into {modules} and the add-on as {ADDON_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
