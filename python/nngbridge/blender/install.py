"""Installs nngbridge into a Blender: the package into the user's
``scripts/addons/modules`` and the add-on shim as ``scripts/addons/nngbridge_addon``.

    python -m nngbridge.blender.install [--blender PATH] [--wheel WHEEL | --wheels DIR]
                                        [--enable] [--dry-run]

The twin of ``nngbridge blender install`` (the Rust CLI, which needs no Python): both ask
Blender for its paths and Python version with the same probe, take the wheel whose tags
fit that Python (cp39-abi3: Python 3.9/3.10, Blender 2.93-4.0; cp311-abi3: 3.11+, Blender
4.1+ and Debian's 3.4), unpack it themselves (no pip), replacing an earlier ``nngbridge``
and its ``*.dist-info``, and copy the add-on without ``blender_manifest.toml``. Without
``--wheel`` or ``--wheels`` the running ``nngbridge`` package is copied (it must be a build
for Blender's Python). Runs outside Blender; imports no bpy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

ADDON_NAME = "nngbridge_addon"
DIST_NAME = "nngbridge"
_PROBE = ("import bpy, sys, json; print('NNGBRIDGE ' + json.dumps({"
          "'scripts': bpy.utils.user_resource('SCRIPTS'), 'python': list(sys.version_info[:2]),"
          "'blender': bpy.app.version_string}))")
_ENABLE = ("import addon_utils, bpy; "
           "mod = addon_utils.enable('nngbridge_addon', default_set=True); "
           "assert mod is not None and bpy.context.preferences.addons.get('nngbridge_addon'); "
           "bpy.ops.wm.save_userpref(); print('NNGBRIDGE ENABLED')")
_TIMEOUT = 120
_NEEDED = ("nngbridge/__init__.py", "nngbridge/blender/addon/__init__.py")


class InstallError(Exception):
    """An install failed; the message says why and what to do."""


def _run_blender(blender: str, args: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([blender, *args], capture_output=True, text=True,
                              timeout=_TIMEOUT, stdin=subprocess.DEVNULL)
    except OSError as e:
        raise InstallError(f"cannot run Blender at {blender!r}: {e} "
                           "(pass --blender PATH or set BLENDER)") from e
    except subprocess.TimeoutExpired as e:
        raise InstallError(f"{blender!r} did not finish within {_TIMEOUT} s") from e


def _tail(res: subprocess.CompletedProcess) -> str:
    lines = (res.stdout + res.stderr).splitlines()
    return "\n".join(lines[-20:]) or "(nothing)"


def blender_paths(blender: str) -> dict:
    """Asks Blender for its user scripts directory and Python version."""
    res = _run_blender(blender, ["-b", "--factory-startup", "--python-expr", _PROBE])
    for line in res.stdout.splitlines():
        if line.startswith("NNGBRIDGE "):
            return json.loads(line[len("NNGBRIDGE "):])
    raise InstallError(f"asking {blender!r} for its paths failed: it did not print the "
                       "probe's answer (is it Blender 2.93 or later?); its output ended "
                       f"with:\n{_tail(res)}")


def _platform_fits(tag: str) -> bool:
    """Whether a wheel's platform tag names this machine's OS and architecture."""
    machine = platform.machine().lower()
    if sys.platform.startswith("linux"):
        return tag.startswith(("manylinux", "linux_")) and tag.endswith(f"_{machine}")
    if sys.platform == "darwin":
        return tag.startswith("macosx_") and tag.endswith((f"_{machine}", "_universal2"))
    if sys.platform == "win32":
        return tag == {"amd64": "win_amd64", "arm64": "win_arm64", "x86": "win32"}.get(machine)
    return False


def wheel_fits(wheel: Path, python: tuple[int, int]) -> int:
    """The newest CPython 3 minor version of ``wheel``'s tags that loads in ``python``
    (a ``cp3X-abi3`` wheel loads in 3.X and later); raises InstallError saying why not."""
    parts = wheel.name[:-len(".whl")].split("-") if wheel.name.endswith(".whl") else []
    if len(parts) not in (5, 6):
        raise InstallError(f"refusing {str(wheel)!r}: its name is not "
                           "name-version-python-abi-platform.whl")
    if parts[0].lower() != DIST_NAME:
        raise InstallError(f"refusing {str(wheel)!r}: it is a wheel of {parts[0]}, "
                           f"not of {DIST_NAME}")
    pys, abis, plats = (p.split(".") for p in parts[-3:])
    if not any(_platform_fits(p) for p in plats):
        raise InstallError(f"{str(wheel)!r} does not fit: it is built for "
                           f"{' / '.join(plats)} but this machine is "
                           f"{sys.platform}-{platform.machine()}")
    best = None
    for py in pys:
        if not (py.startswith("cp3") and py[3:].isdigit()):
            continue
        minor = int(py[3:])
        for abi in abis:
            ok = (python[0] == 3 and minor <= python[1]) if abi == "abi3" else (
                abi == py and tuple(python) == (3, minor))
            if ok and (best is None or minor > best):
                best = minor
    if best is None:
        raise InstallError(
            f"{str(wheel)!r} does not fit: it is tagged {'.'.join(pys)}-{'.'.join(abis)} but "
            f"Blender runs Python {python[0]}.{python[1]} (cp39-abi3 serves Python 3.9+, "
            "i.e. Blender 2.93-4.0; cp311-abi3 serves 3.11+, i.e. Blender 4.1+ and Debian's "
            "3.4)")
    return best


def _version_key(version: str) -> list[int]:
    return [int(p) if p.isdigit() else 0 for p in version.replace("+", ".").split(".")]


def choose_wheel(dirs: list[Path], python: tuple[int, int]) -> Path:
    """The wheel for ``python`` from the first of ``dirs`` holding nngbridge wheels: the
    highest fitting Python tag, then the highest version."""
    for d in dirs:
        wheels = sorted(Path(d).glob(f"{DIST_NAME}-*.whl")) if Path(d).is_dir() else []
        if not wheels:
            continue
        fitting, reasons = [], []
        for w in wheels:
            try:
                fitting.append((wheel_fits(w, python), _version_key(w.name.split("-")[1]), w))
            except InstallError as e:
                reasons.append(f"  {e}")
        if fitting:
            return max(fitting, key=lambda f: (f[0], f[1]))[2]
        raise InstallError(f"no wheel in {str(d)!r} fits Python {python[0]}.{python[1]}:\n"
                           + "\n".join(reasons))
    raise InstallError(f"no nngbridge wheel in {', '.join(map(str, dirs))}: build them with "
                       "scripts/build-wheels.sh, or pass --wheel WHEEL or --wheels DIR")


def _safe_parts(name: str) -> list[str] | None:
    """The entry's path parts, or None if it could leave the target directory."""
    if not name or name.startswith("/") or any(c in name for c in "\\\0:"):
        return None
    parts = name.rstrip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    return parts


def check_wheel(wheel: Path) -> list[str]:
    """Checks every entry (stays inside the target, no links, the package, its add-on and
    a dist-info are there); returns the top-level names."""
    try:
        z = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as e:
        raise InstallError(f"refusing {str(wheel)!r}: not a zip file: {e}") from e
    top: list[str] = []
    with z:
        names = z.namelist()
        for info in z.infolist():
            parts = _safe_parts(info.filename)
            if parts is None:
                raise InstallError(f"refusing {str(wheel)!r}: entry {info.filename!r} would "
                                   "be written outside the target")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise InstallError(f"refusing {str(wheel)!r}: entry {info.filename!r} is a "
                                   "symbolic link")
            if parts[0].endswith(".data"):
                raise InstallError(f"refusing {str(wheel)!r}: it has a {parts[0]} directory, "
                                   "which this installer does not handle")
            if parts[0] not in top:
                top.append(parts[0])
    for needed in _NEEDED:
        if needed not in names:
            raise InstallError(f"refusing {str(wheel)!r}: it has no {needed}")
    if not any(t.startswith(f"{DIST_NAME}-") and t.endswith(".dist-info") for t in top):
        raise InstallError(f"refusing {str(wheel)!r}: it has no {DIST_NAME}-*.dist-info "
                           "directory")
    return top


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def unpack_wheel(wheel: Path, modules: Path) -> list[str]:
    """Unpacks a checked wheel into ``modules``, replacing an earlier ``nngbridge`` and every
    ``nngbridge-*.dist-info``; staged first, so a failure keeps the earlier install."""
    top = check_wheel(wheel)
    modules.mkdir(parents=True, exist_ok=True)
    staging = modules / f".nngbridge-install-{os.getpid()}"
    _remove(staging)
    try:
        with zipfile.ZipFile(wheel) as z:
            for info in z.infolist():
                target = staging.joinpath(*(_safe_parts(info.filename) or []))
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with z.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                mode = info.external_attr >> 16
                if mode:
                    target.chmod(0o755 if mode & 0o111 else 0o644)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    stale = {modules / t for t in top}
    stale.update(p for p in modules.iterdir() if p.name == DIST_NAME or (
        p.name.startswith(f"{DIST_NAME}-") and p.name.endswith(".dist-info")))
    for old in stale:
        _remove(old)
    for t in top:
        (staging / t).rename(modules / t)
    _remove(staging)
    for t in top:
        if t.endswith(".dist-info"):
            (modules / t / "INSTALLER").write_text("nngbridge.blender.install\n")
    return top


def install(blender: str = "blender", wheel: str | None = None, enable: bool = False, *,
            wheels: str | None = None, dry_run: bool = False) -> Path:
    """Installs into ``blender``'s user scripts; returns the modules directory."""
    info = blender_paths(blender)
    python = (int(info["python"][0]), int(info["python"][1]))
    print(f"Blender {info['blender']} (Python {python[0]}.{python[1]}) at {blender}")
    scripts = Path(info["scripts"])
    modules = scripts / "addons" / "modules"
    addon = scripts / "addons" / ADDON_NAME
    chosen = None
    if wheel:
        chosen = Path(wheel)
        wheel_fits(chosen, python)
    elif wheels:
        chosen = choose_wheel([Path(wheels)], python)
    source = chosen or Path(__file__).resolve().parents[1]  # the running nngbridge package
    if dry_run:
        if chosen:
            check_wheel(chosen)
        print(f"would install {source} into {modules}")
        print(f"would install the add-on as {addon}")
        return modules
    if chosen:
        top = unpack_wheel(chosen, modules)
        print(f"installed {chosen.name} ({', '.join(top)}) into {modules}")
    else:
        modules.mkdir(parents=True, exist_ok=True)
        _remove(modules / DIST_NAME)
        shutil.copytree(source, modules / DIST_NAME,
                        ignore=shutil.ignore_patterns("__pycache__"))
        print(f"installed {source} into {modules}")
    _remove(addon)
    shutil.copytree(modules / DIST_NAME / "blender" / "addon", addon,
                    ignore=shutil.ignore_patterns("__pycache__", "blender_manifest.toml"))
    print(f"installed the add-on as {addon}")
    if enable:
        res = _run_blender(blender, ["-b", "--python-exit-code", "1", "--python-expr", _ENABLE])
        if res.returncode != 0 or "NNGBRIDGE ENABLED" not in res.stdout.splitlines():
            raise InstallError(f"enabling the add-on in {blender!r} failed; its output "
                               f"ended with:\n{_tail(res)}")
        print(f"enabled the add-on {ADDON_NAME} and saved Blender's preferences")
    return modules


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nngbridge.blender.install",
                                     description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--blender", default=os.environ.get("BLENDER", "blender"),
                        help="the Blender executable (default: $BLENDER or blender on PATH)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--wheel", help="a wheel to install instead of this nngbridge")
    source.add_argument("--wheels", help="a directory of wheels: install the one that fits")
    parser.add_argument("--enable", action="store_true",
                        help="enable the add-on and save Blender's preferences")
    parser.add_argument("--dry-run", action="store_true",
                        help="ask Blender and check the wheel, but install nothing")
    args = parser.parse_args(argv)
    try:
        install(args.blender, args.wheel, args.enable, wheels=args.wheels,
                dry_run=args.dry_run)
    except InstallError as e:
        print(f"nngbridge: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
