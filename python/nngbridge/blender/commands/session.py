"""session.*: discovery, ping, shutdown, the command schemas; and exec (off by default)."""

from __future__ import annotations

import os
import socket
from typing import Any

import bpy

from .. import paths, registry
from ..registry import CommandError, about, arg, command, not_found, shape

# Set by the server: whether exec is allowed, a callable that asks it to stop, the events
# address, this worker's id and the pool it joined (docs/pool.md).
STATE: dict[str, Any] = {"allow_exec": False, "shutdown": None, "events": None,
                         "worker": None, "pool": None}


HELLO = shape(
    "hello", "{protocol: int, server: str, blender: str, commands: [str], events: str|nil, "
    "limits: {max_message: int, memory_budget: int, max_job_frames: int}, "
    "files: {work_dir: str|nil, allowed_dirs: [str]}, io: {import: [str], export: [str]}, "
    "worker: str, host: str, pool: str|nil, capabilities: {cpus: int, background: bool, "
    "exec: bool, zero_copy_pixels: bool}}")


@command("session.hello")
@about(HELLO)
def hello() -> dict[str, Any]:
    """Protocol and server versions, the command list, where files may go (``files``:
    the work directory and the allowed directories, docs/protocol.md §7.2), the file
    formats ``io.import``/``io.export`` take here (``io``), and who this worker is:
    ``worker`` (its id in a pool), ``host``, ``pool`` (the address it joined, or nil) and
    ``capabilities`` (docs/pool.md §2)."""
    from ... import __version__
    from ..server import WRITABLE_MESSAGES
    from . import io

    return {
        "protocol": registry.PROTOCOL_VERSION,
        "server": f"nngbridge {__version__}",
        "blender": bpy.app.version_string,
        "commands": sorted(registry.COMMANDS),
        "events": STATE.get("events"),
        "limits": dict(registry.LIMITS),
        "files": paths.describe(),
        "io": io.available(),
        "worker": STATE.get("worker") or f"{socket.gethostname()}-{os.getpid()}",
        "host": socket.gethostname(),
        "pool": STATE.get("pool"),
        "capabilities": {"cpus": os.cpu_count() or 1, "background": bool(bpy.app.background),
                         "exec": bool(STATE.get("allow_exec")),
                         "zero_copy_pixels": WRITABLE_MESSAGES},
    }


@command("session.ping")
@about('"pong"')
def ping() -> str:
    return "pong"


@command("session.commands", name=arg(str, default=None))
@about("{commands: {<cmd>: <docs/commands.json entry>}, shapes: {<name>: notation}}",
       errors=("NOT_FOUND",))
def commands(name) -> dict[str, Any]:
    """Every command's (or one command's) description, from the table, and the result
    shapes they name (``<clip>``): what docs/commands.json holds
    (nngbridge.blender.catalogue)."""
    table = registry.COMMANDS
    if name is not None and name not in table:
        raise not_found("command", name)
    chosen = [table[name]] if name is not None else [table[k] for k in sorted(table)]
    return {"commands": {c.name: c.describe() for c in chosen},
            "shapes": dict(sorted(registry.SHAPES.items()))}


@command("session.shutdown")
@about("true")
def shutdown() -> bool:
    stop = STATE.get("shutdown")
    if stop is not None:
        stop()
    return True


@command("exec", code=arg(str))
@about("{result: str}", errors=("FORBIDDEN", "INTERNAL"))
def exec_(code: str) -> dict[str, Any]:
    """Runs Python source; only when the user enabled it (off by default)."""
    if not STATE.get("allow_exec"):
        raise CommandError("FORBIDDEN", "code execution is off (add-on preferences)")
    namespace: dict[str, Any] = {"bpy": bpy}
    exec(compile(code, "<nngbridge exec>", "exec"), namespace)  # noqa: S102 - opt-in
    return {"result": repr(namespace.get("result"))}
