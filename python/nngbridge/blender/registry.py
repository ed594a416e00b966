"""Commands are a table: one small function per command, registered with its argument
schema; validation, dispatch and error replies are written once, here.

``dispatch(request)`` never raises: every failure becomes a structured error reply
(docs/protocol.md §4).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any, Callable

PROTOCOL_VERSION = 1

_MISSING = object()


class CommandError(Exception):
    """Raised by a command to answer with a protocol error code."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def not_found(kind: str, name: Any) -> CommandError:
    return CommandError("NOT_FOUND", f"no {kind} named {name!r}", {"name": name})


def invalid(message: str, **details: Any) -> CommandError:
    return CommandError("INVALID_ARGUMENT", message, details or None)


@dataclass(frozen=True)
class Arg:
    """One argument: its type(s), and a default (absent: required)."""

    types: tuple[type, ...]
    default: Any = _MISSING
    length: int | None = None  # for sequences such as [x, y, z]

    def check(self, name: str, value: Any) -> Any:
        if value is None and self.default is None:
            return None
        if float in self.types and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.types) or (
            isinstance(value, bool) and bool not in self.types
        ):
            wanted = " or ".join(t.__name__ for t in self.types)
            raise invalid(f"{name} must be {wanted}, not {type(value).__name__}", arg=name)
        if self.length is not None:
            if len(value) != self.length or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
            ):
                raise invalid(f"{name} must be {self.length} numbers", arg=name)
            value = [float(v) for v in value]
        return value


def arg(*types: type, default: Any = _MISSING, length: int | None = None) -> Arg:
    return Arg(tuple(types), default, length)


@dataclass
class Command:
    name: str
    func: Callable[..., Any]
    schema: dict[str, Arg]
    doc: str


COMMANDS: dict[str, Command] = {}


def command(
    cmd_name: str, /, **schema: Arg
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Registers ``func`` as command ``cmd_name``, its keyword arguments checked by ``schema``."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        COMMANDS[cmd_name] = Command(cmd_name, func, schema, (func.__doc__ or "").strip())
        return func

    return register


def validate(cmd: Command, args: Any) -> dict[str, Any]:
    if not isinstance(args, dict):
        raise CommandError("BAD_REQUEST", "args must be a map")
    unknown = sorted(set(args) - set(cmd.schema))
    if unknown:
        raise invalid(f"unknown argument(s) for {cmd.name}: {', '.join(map(str, unknown))}",
                      unknown=unknown)
    out = {}
    for name, spec in cmd.schema.items():
        if name in args:
            out[name] = spec.check(name, args[name])
        elif spec.default is _MISSING:
            raise invalid(f"{cmd.name} needs {name}", arg=name)
        else:
            out[name] = spec.default
    return out


def ok(rid: Any, result: Any) -> dict[str, Any]:
    return {"v": PROTOCOL_VERSION, "id": rid, "ok": True, "result": result}


def error(rid: Any, code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"v": PROTOCOL_VERSION, "id": rid, "ok": False,
            "error": {"code": code, "message": message, "details": details}}


def run(name: Any, args: Any) -> Any:
    """Runs one command (validated); raises CommandError."""
    cmd = COMMANDS.get(name) if isinstance(name, str) else None
    if cmd is None:
        raise CommandError("UNKNOWN_COMMAND", f"no command {name!r}", {"cmd": name})
    return cmd.func(**validate(cmd, args))


def dispatch(request: Any, *, token: str | None = None) -> dict[str, Any]:
    """Answers one decoded request (a map) with a reply map; never raises."""
    if not isinstance(request, dict):
        return error(None, "BAD_REQUEST", "a request is a MessagePack map")
    rid = request.get("id")
    if not isinstance(rid, int) or isinstance(rid, bool):
        return error(None, "BAD_REQUEST", "id must be an unsigned integer")
    if request.get("v") != PROTOCOL_VERSION:
        return error(rid, "UNSUPPORTED_VERSION", f"protocol version {request.get('v')!r}",
                     {"supported": [PROTOCOL_VERSION]})
    if token is not None and request.get("token") != token:
        return error(rid, "UNAUTHORIZED", "missing or wrong token")
    if not isinstance(request.get("cmd"), str):
        return error(rid, "BAD_REQUEST", "cmd must be a string")
    try:
        return ok(rid, run(request["cmd"], request.get("args", {})))
    except CommandError as e:
        return error(rid, e.code, e.message, e.details)
    except Exception as e:  # noqa: BLE001 - the server must survive any command bug
        return error(rid, "INTERNAL", f"{type(e).__name__}: {e}", traceback.format_exc())
