"""Installs nngbridge into a Blender: the package into the user's
``scripts/addons/modules`` and the add-on shim as ``scripts/addons/nngbridge_addon``.

    python -m nngbridge.blender.install [--blender PATH] [--wheel WHEEL | --wheels DIR]
                                        [--enable] [--dry-run]

The same installer as ``nngbridge blender install``: both run the Rust code in
crates/nngbridge-install (here through ``nngbridge._nng``), with the same flags and help.
Without ``--wheel`` or ``--wheels`` this one copies the running ``nngbridge`` package (its
native module must load in Blender's Python: a cp311-abi3 build needs Python 3.11+).
Runs outside Blender; imports no bpy. See docs/blender.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .. import _nng


def main(argv: list[str] | None = None) -> int:
    """Runs the installer with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    package = Path(__file__).resolve().parents[1]  # the running nngbridge package
    sys.stdout.flush()  # the installer writes to the process's stdout directly
    sys.stderr.flush()
    args = sys.argv[1:] if argv is None else list(argv)
    return _nng.blender_install(args, str(package), str(Path(_nng.__file__).resolve()))


if __name__ == "__main__":
    sys.exit(main())
