"""PyPI ``bpy`` wheels as a second, newer Blender for the headless tests.

Each version lives in its own venv, ``.venvs/bpy-<version>/`` at the repository root
(``scripts/setup.sh`` makes the ones named by ``NNGBRIDGE_BPY``, default ``DEFAULT``).
``import bpy`` in that venv's plain Python process is Blender in background mode: the
add-on serves from ``serve()`` there exactly as under ``blender -b``.

The backends the Blender tests run against are Debian's ``blender`` plus one per version
in ``NNGBRIDGE_BPY`` (comma separated, e.g. ``4.2,5.0,5.3``; ``none`` turns them off, which
the pytest header then says). A named version whose venv is missing fails its tests with
the command that makes it; nothing is skipped quietly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def unshadow_system_python() -> None:
    """Takes pyenv's ``versions/<v>/bin`` out of this process's PATH (children inherit it).

    Debian's Blender embeds the system Python and finds its prefix from the first
    ``python3`` on PATH; a Python started through a pyenv shim has its own ``bin`` put
    first, and that Blender then runs on pyenv's standard library, without Debian's
    dist-packages (no numpy: glTF, pixel views). The shims stay, so ``python3`` still
    means what it means in a shell. Called by tests/conftest.py and the main-job scripts."""
    parts = os.environ.get("PATH", "").split(os.pathsep)
    kept = [p for p in parts if not ("/.pyenv/versions/" in p and p.endswith("/bin"))]
    os.environ["PATH"] = os.pathsep.join(kept)

ROOT = Path(__file__).resolve().parents[1]
VENVS = ROOT / ".venvs"
DEFAULT = "5.0,5.3"  # keep in step with NNGBRIDGE_BPY's default in scripts/setup.sh


def versions() -> list[str]:
    """The bpy versions under test (``NNGBRIDGE_BPY``; ``none`` for none)."""
    raw = os.environ.get("NNGBRIDGE_BPY", DEFAULT).strip()
    if raw.lower() in ("none", "off", "0", ""):
        return []
    return [v.strip() for v in raw.split(",") if v.strip()]


def backends() -> list[str]:
    """``debian`` (Debian's blender) and ``bpy-<version>`` per version under test."""
    return ["debian", *(f"bpy-{v}" for v in versions())]


def venv(version: str) -> Path:
    return VENVS / f"bpy-{version}"


def python(backend: str) -> str | None:
    """The venv interpreter of a ``bpy-<version>`` backend (None for Debian's blender);
    fails the test, with what to run, when that venv is missing or broken."""
    if backend == "debian":
        return None
    version = backend.removeprefix("bpy-")
    exe = venv(version) / "bin" / "python"
    stamp = venv(version) / "bpy-version"
    if not exe.exists() or not stamp.exists():
        pytest.fail(f"no venv with the PyPI bpy {version} wheel at {venv(version)}: run "
                    f"`NNGBRIDGE_BPY={version} bash scripts/setup.sh` (or set "
                    f"NNGBRIDGE_BPY=none to test Debian's blender only)", pytrace=False)
    return str(exe)


def version_string(backend: str) -> str:
    """What ``bpy.app.version_string`` of that backend starts with."""
    if backend == "debian":
        return "3."
    stamp = venv(backend.removeprefix("bpy-")) / "bpy-version"
    return stamp.read_text().strip().splitlines()[-1]


def version(backend: str) -> tuple[int, int]:
    """(major, minor) of that backend's Blender."""
    if backend == "debian":
        return (3, 4)
    major, minor = version_string(backend).split(".")[:2]
    return int(major), int(minor)


def env(backend: str, modules: Path, base: dict[str, str]) -> dict[str, str]:
    """The environment for a bpy venv's Python to import ``modules`` first."""
    out = dict(base)
    out["PYTHONPATH"] = str(modules)
    out.pop("PYTHONHOME", None)
    out.pop("BLENDER_USER_SCRIPTS", None)
    return out


def header() -> str:
    vs = versions()
    if not vs:
        return "bpy wheels: none (NNGBRIDGE_BPY=none): Debian's blender only"
    return "bpy wheels: " + ", ".join(
        f"{v} ({venv(v)}{'' if (venv(v) / 'bpy-version').exists() else ': MISSING'})"
        for v in vs)
