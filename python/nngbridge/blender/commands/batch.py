"""batch: many commands in one request, results in order, one undo step
(docs/protocol.md §8)."""

from __future__ import annotations

from typing import Any

import bpy

from .. import registry
from ..registry import MAX_BATCH, ReplyBudget, about, arg, command, too_large
from .session import STATE


@command("batch", commands=arg(list), stop_on_error=arg(bool, default=True))
@about("{results: [{ok, result|error}], applied: int}", errors=("TOO_LARGE",))
def batch(commands: list, stop_on_error: bool) -> dict[str, Any]:
    """Runs commands in order; with stop_on_error the first failure ends the batch and
    ``applied`` counts exactly the commands whose effects stay. The payloads of all its
    results share one reply (``registry.reserve_reply``)."""
    if len(commands) > MAX_BATCH:
        raise too_large(f"a batch holds at most {MAX_BATCH} commands", MAX_BATCH)
    STATE["in_batch"] = True  # pixel results get their own buffers (see image.py)
    try:
        with ReplyBudget():
            results, applied = _run_all(commands, stop_on_error)
    finally:
        STATE["in_batch"] = False
    if applied:
        push_undo("nngbridge batch")
    return {"results": results, "applied": applied}


def _run_all(commands: list, stop_on_error: bool) -> tuple[list[dict[str, Any]], int]:
    results: list[dict[str, Any]] = []
    applied = 0
    for item in commands:
        if not isinstance(item, dict) or item.get("cmd") == "batch" or not set(item) <= {
                "cmd", "args"}:
            good, value = False, registry.error_map(
                "INVALID_ARGUMENT", "each entry is {cmd, args}; batches do not nest")
        else:
            good, value = registry.run_safely(item.get("cmd"), item.get("args", {}))
        results.append({"ok": True, "result": value} if good else {"ok": False,
                                                                    "error": value})
        applied += good
        if not good and stop_on_error:
            break
    return results, applied


def push_undo(message: str) -> None:
    """One undo step for the whole batch where Blender keeps an undo stack. Not under
    ``blender -b``: nobody can undo there, and a global undo step snapshots the whole file
    (0.46 s after 1,000 new objects, twice the time it took to make them)."""
    if bpy.app.background:
        return
    try:
        if bpy.ops.ed.undo_push.poll():
            bpy.ops.ed.undo_push(message=message)
    except RuntimeError:
        pass  # no undo stack (e.g. some background setups): nothing to group
