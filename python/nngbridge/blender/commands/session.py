"""session.*: discovery, ping, shutdown, batch and exec."""

from __future__ import annotations

from typing import Any

import bpy

from .. import registry
from ..registry import CommandError, arg, command

MAX_BATCH = 10_000

# Set by the server: whether exec is allowed, and a callable that asks it to stop.
STATE: dict[str, Any] = {"allow_exec": False, "shutdown": None, "events": None}


@command("session.hello")
def hello() -> dict[str, Any]:
    """Protocol and server versions and the command list."""
    from ... import __version__

    return {
        "protocol": registry.PROTOCOL_VERSION,
        "server": f"nngbridge {__version__}",
        "blender": bpy.app.version_string,
        "commands": sorted(registry.COMMANDS),
        "events": STATE.get("events"),
        "limits": {"max_message": STATE.get("max_message", 64 << 20)},
    }


@command("session.ping")
def ping() -> str:
    return "pong"


@command("session.shutdown")
def shutdown() -> bool:
    stop = STATE.get("shutdown")
    if stop is not None:
        stop()
    return True


@command("batch", commands=arg(list), stop_on_error=arg(bool, default=True))
def batch(commands: list, stop_on_error: bool) -> dict[str, Any]:
    """Runs commands in order; with stop_on_error the first failure ends the batch."""
    if len(commands) > MAX_BATCH:
        raise CommandError("TOO_LARGE", f"a batch holds at most {MAX_BATCH} commands")
    results: list = []
    STATE["in_batch"] = True
    try:
        _run_batch(commands, stop_on_error, results)
    finally:
        STATE["in_batch"] = False
    applied = sum(1 for r in results if r["ok"])
    if applied:
        bpy.ops.ed.undo_push(message="nngbridge batch")
    return {"results": results, "applied": applied}


def _run_batch(commands: list, stop_on_error: bool, results: list) -> None:
    for item in commands:
        if not isinstance(item, dict) or item.get("cmd") == "batch":
            message = "each entry is {cmd, args}; batches do not nest"
            results.append({"ok": False, "error": {"code": "INVALID_ARGUMENT",
                                                   "message": message, "details": None}})
        else:
            try:
                results.append({"ok": True,
                                "result": registry.run(item.get("cmd"), item.get("args", {}))})
                continue
            except CommandError as e:
                results.append({"ok": False, "error": {"code": e.code, "message": e.message,
                                                       "details": e.details}})
        if stop_on_error:
            break


@command("exec", code=arg(str))
def exec_(code: str) -> dict[str, Any]:
    """Runs Python source; only when the user enabled it (off by default)."""
    if not STATE.get("allow_exec"):
        raise CommandError("FORBIDDEN", "code execution is off (add-on preferences)")
    namespace: dict[str, Any] = {"bpy": bpy}
    exec(compile(code, "<nngbridge exec>", "exec"), namespace)  # noqa: S102 - opt-in
    return {"result": repr(namespace.get("result"))}
