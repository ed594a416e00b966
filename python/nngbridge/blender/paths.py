"""The one rule for every file a command reads or writes (docs/protocol.md §7.2).

A path is resolved, then checked:

1. ``//name`` is relative to the open .blend's folder (Blender's notation); any other
   relative path to the server's work directory; absolute paths stay as given.
2. ``os.path.realpath``: ``..`` and every symlink (the file itself included) resolved.
3. The result must lie inside one of the allowed directories (each realpath'ed too): the
   work directory always, plus the configured ones (default: the open .blend's folder,
   written ``//``). Anything else is ``FORBIDDEN`` — whether or not it exists, so the
   answer tells nothing about files outside.
4. Reading: a missing file inside is ``NOT_FOUND``. Writing: the file's folder must exist
   (``NOT_FOUND`` otherwise), the file itself need not.

Commands hand the *resolved* path to Blender, so what is checked is what is opened.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .registry import CommandError, invalid, not_found
from ..tokens import address_key

BLEND_DIR = "//"  # in the allowed list: the open .blend's folder, whichever it is now

STATE: dict[str, Any] = {"work_dir": None, "allowed": (BLEND_DIR,)}


def default_work_dir(address: str) -> str:
    """``$XDG_CACHE_HOME/nngbridge/work/<address key>`` (``~/.cache`` if unset)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "nngbridge", "work", address_key(address))


def configure(work_dir: str, allowed_dirs: Sequence[str] | None = None) -> None:
    """Sets the work directory (made, 0700, if missing) and the other allowed directories
    (None: the open .blend's folder)."""
    os.makedirs(work_dir, mode=0o700, exist_ok=True)
    extra = (BLEND_DIR,) if allowed_dirs is None else tuple(allowed_dirs)
    for d in extra:
        if d != BLEND_DIR and not os.path.isabs(d):
            raise ValueError(f"allowed directory {d!r} must be absolute (or {BLEND_DIR!r})")
    STATE.update(work_dir=os.path.realpath(work_dir), allowed=extra)


def work_dir() -> str:
    if STATE["work_dir"] is None:
        raise CommandError("FORBIDDEN", "this server has no work directory: no file access")
    return STATE["work_dir"]


def _blend_dir() -> str | None:
    import bpy

    return os.path.dirname(bpy.data.filepath) if bpy.data.filepath else None


def allowed_dirs() -> list[str]:
    """The allowed directories now, realpath'ed (the .blend's folder follows the open file)."""
    roots = [work_dir()]
    for d in STATE["allowed"]:
        real = _blend_dir() if d == BLEND_DIR else d
        if real:
            real = os.path.realpath(real)
            if real not in roots:
                roots.append(real)
    return roots


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve(path: Any, arg: str = "path") -> str:
    """Steps 1-3 of the rule: the real path, or ``FORBIDDEN``."""
    if not isinstance(path, str) or not path or "\0" in path:
        raise invalid("a path must be a non-empty string without NUL", arg=arg)
    if path.startswith(BLEND_DIR):
        base = _blend_dir()
        if base is None:
            raise invalid(f"{path!r} is relative to the .blend file, but none is open", arg=arg)
        joined = os.path.join(base, path[len(BLEND_DIR):])
    else:
        joined = os.path.join(work_dir(), path)  # an absolute path stays itself
    real = os.path.realpath(joined)
    roots = allowed_dirs()
    if not any(_inside(real, root) for root in roots):
        raise CommandError("FORBIDDEN", f"{path!r} is outside the directories this server may "
                           "use", {"arg": arg, "path": path, "allowed": roots})
    return real


def readable(path: Any, arg: str = "path") -> str:
    """A file to read: its real path; ``FORBIDDEN`` outside, ``NOT_FOUND`` if missing inside."""
    real = resolve(path, arg)
    if not os.path.isfile(real):
        raise not_found("file", path)
    return real


def writable(path: Any, arg: str = "path") -> str:
    """A file to (over)write: its real path; ``FORBIDDEN`` outside, ``NOT_FOUND`` if its
    folder is missing inside."""
    real = resolve(path, arg)
    if os.path.isdir(real):
        raise invalid(f"{path!r} is a directory", arg=arg)
    folder = os.path.dirname(real)
    if not os.path.isdir(folder):
        raise not_found("directory", os.path.dirname(path) or path)
    return real


def describe() -> dict[str, Any]:
    """For ``session.hello``: where clients may put and find files."""
    if STATE["work_dir"] is None:
        return {"work_dir": None, "allowed_dirs": []}
    return {"work_dir": work_dir(), "allowed_dirs": allowed_dirs()}
