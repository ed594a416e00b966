"""Makes the add-on under test importable in Blender: the repository's Python sources
(always current, unlike a wheel built earlier) plus the native module ``nngbridge._nng``
as built by ``maturin develop`` or installed into this interpreter (abi3: the same file
loads in Blender's Python 3.11)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "python" / "nngbridge"


def native_module() -> Path:
    built = sorted(p for p in SOURCES.glob("_nng*") if p.suffix in (".so", ".pyd"))
    if built:
        return built[-1]
    spec = importlib.util.find_spec("nngbridge._nng")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("nngbridge._nng is not built: run `maturin develop` "
                                "(or scripts/setup.sh)")
    return Path(spec.origin)


def populate(modules: Path) -> Path:
    """Writes ``modules/nngbridge`` (sources + native module); returns ``modules``."""
    target = modules / "nngbridge"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(SOURCES, target,
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"))
    native = native_module()
    shutil.copy2(native, target / native.name)
    return modules


def blender_env(modules: Path, base: dict[str, str]) -> dict[str, str]:
    """The environment for ``blender --python-use-system-env`` to import ``modules`` first
    (ahead of Debian's dist-packages)."""
    env = dict(base)
    env["PYTHONPATH"] = str(modules)
    env.pop("PYTHONHOME", None)
    return env


def install_sources(scripts: Path) -> None:
    """Stands in for ``blender_harness.install_wheel``: the add-on under test goes into
    ``scripts/addons/modules`` (on Blender's sys.path when BLENDER_USER_SCRIPTS points at
    ``scripts``) from the sources, so tests never run a stale wheel."""
    populate(scripts / "addons" / "modules")
