"""wm.*: Blender's progress indicator (the cursor/status bar progress), shown and cleared
by clients during long client-driven work."""

from __future__ import annotations

from typing import Any

import bpy

from ..registry import about, arg, command

_progress: dict[str, Any] = {"active": False, "value": None}


def set_progress(value: float | None) -> None:
    wm = bpy.context.window_manager
    if value is None:
        if _progress["active"]:
            wm.progress_end()
        _progress.update(active=False, value=None)
        return
    if not _progress["active"]:
        wm.progress_begin(0.0, 1.0)
        _progress["active"] = True
    wm.progress_update(value)
    _progress["value"] = value


@command("wm.progress", value=arg(float, nullable=True, minimum=0.0, maximum=1.0))
@about("{value: float|nil}")
def progress(value: float | None) -> dict[str, Any]:
    """Shows progress ``value`` in 0..1, or clears it with nil."""
    set_progress(value)
    return {"value": _progress["value"]}
