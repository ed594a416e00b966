"""Commands are a table: one small function per command, registered with its argument
schema; validation, dispatch and error replies are written once, here.

``dispatch(request)`` never raises: every failure becomes a structured error reply
(docs/protocol.md §4). Commands validate everything before they change the scene, so a
failing command leaves nothing half-done.
"""

from __future__ import annotations

import hmac
import traceback
from dataclasses import dataclass
from typing import Any, Callable

PROTOCOL_VERSION = 1
FIRST_RELEASE = "0.1.0"  # ``since`` of every command that predates per-command versions

_MISSING = object()


class _Keep:
    """Default of an optional argument whose ``nil`` means something (``parent: nil``
    unparents): absent is ``KEEP``, nil is ``None``."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


class CommandError(Exception):
    """Raised by a command to answer with a protocol error code."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def not_found(kind: str, name: Any) -> CommandError:
    return CommandError("NOT_FOUND", f"no {kind} named {name!r}", {"kind": kind, "name": name})


def invalid(message: str, **details: Any) -> CommandError:
    return CommandError("INVALID_ARGUMENT", message, details or None)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@dataclass(frozen=True)
class Arg:
    """One argument: its type(s), a default (absent: required), and optional checks."""

    types: tuple[type, ...]
    default: Any = _MISSING
    length: int | None = None  # a list of exactly this many numbers, e.g. [x, y, z]
    items: type | None = None  # a list whose entries all have this type
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False  # nil is a meaningful value (passed as None)

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    def check(self, name: str, value: Any) -> Any:
        if value is None:
            if self.nullable:
                return None
            if not self.required:  # nil for an optional argument: its default
                return None if self.default is KEEP else self.default
            raise invalid(f"{name} must not be nil", arg=name)
        if float in self.types and _is_number(value):
            value = float(value)
        if not isinstance(value, self.types) or (
            isinstance(value, bool) and bool not in self.types
        ):
            wanted = " or ".join(t.__name__ for t in self.types)
            raise invalid(f"{name} must be {wanted}, not {type(value).__name__}", arg=name)
        if isinstance(value, str) and self.choices is not None:
            value = value.upper() if all(c.isupper() for c in self.choices) else value
        if self.choices is not None and value not in self.choices:
            raise invalid(f"{name} must be one of {', '.join(map(str, self.choices))}",
                          arg=name, choices=list(self.choices))
        if _is_number(value) and (
            (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
        ):
            raise invalid(f"{name} must be in {self.minimum}..{self.maximum}", arg=name)
        if self.length is not None:
            if len(value) != self.length or not all(_is_number(v) for v in value):
                raise invalid(f"{name} must be {self.length} numbers", arg=name)
            value = [float(v) for v in value]
        if self.items is not None:
            for v in value:
                if self.items is float:
                    good = _is_number(v)
                else:
                    good = isinstance(v, self.items) and (
                        self.items is bool or not isinstance(v, bool))
                if not good:
                    raise invalid(f"{name} must hold only {self.items.__name__} values",
                                  arg=name)
            if self.items is float:
                value = [float(v) for v in value]
        return value

    def describe(self) -> dict[str, Any]:
        """The schema as data, for ``session.commands`` and docs."""
        out: dict[str, Any] = {"type": [t.__name__ for t in self.types],
                               "required": self.required}
        if not self.required and self.default is not KEEP:
            out["default"] = self.default
        for key in ("length", "choices", "minimum", "maximum"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.items is not None:
            out["items"] = self.items.__name__
        if self.nullable:
            out["nullable"] = True
        return out


def arg(*types: type, default: Any = _MISSING, length: int | None = None,
        items: type | None = None, choices: tuple[Any, ...] | list[Any] | None = None,
        minimum: float | None = None, maximum: float | None = None,
        nullable: bool = False) -> Arg:
    return Arg(tuple(types), default, length, items,
               tuple(choices) if choices is not None else None, minimum, maximum, nullable)


def vec(n: int, default: Any = None) -> Arg:
    """An optional list of ``n`` numbers."""
    return arg(list, default=default, length=n)


@dataclass(frozen=True)
class About:
    """What a command's schema cannot say, for the catalogue (docs/commands.json)."""

    result: str | None = None  # the shape of a successful result, in protocol.md's notation
    errors: tuple[str, ...] = ()  # error codes beyond INVALID_ARGUMENT, which any may answer
    job: bool = False  # answers with a job id; the work runs in later pump calls
    since: str = FIRST_RELEASE


@dataclass
class Command:
    name: str
    func: Callable[..., Any]
    schema: dict[str, Arg]
    doc: str
    about: About = About()

    @property
    def job(self) -> bool:
        return self.about.job

    def describe(self) -> dict[str, Any]:
        """This command as data: ``session.commands`` and docs/commands.json."""
        return {"domain": self.name.split(".")[0], "doc": self.doc.split("\n\n")[0],
                "args": {k: a.describe() for k, a in self.schema.items()},
                "result": self.about.result, "errors": list(self.about.errors),
                "job": self.about.job, "since": self.about.since}


COMMANDS: dict[str, Command] = {}
UNAVAILABLE: dict[str, str] = {}  # command -> why this Blender cannot offer it


def command(
    cmd_name: str, /, **schema: Arg
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Registers ``func`` as command ``cmd_name``, its keyword arguments checked by ``schema``."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        COMMANDS[cmd_name] = Command(cmd_name, func, schema, (func.__doc__ or "").strip(),
                                     getattr(func, "_nngbridge_about", About()))
        return func

    return register


def about(result: str | None = None, *, errors: tuple[str, ...] = (), job: bool = False,
          since: str = FIRST_RELEASE) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Describes a command for the catalogue; goes just below its ``@command``."""

    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        func._nngbridge_about = About(result, tuple(errors), job, since)  # type: ignore[attr-defined]
        return func

    return mark


def withdraw(cmd_name: str, reason: str) -> None:
    """Takes a command out of the table because this Blender's API cannot do it (it is
    then an ``UNKNOWN_COMMAND`` whose message says why, and ``session.hello`` omits it)."""
    COMMANDS.pop(cmd_name, None)
    UNAVAILABLE[cmd_name] = reason


def validate(cmd: Command, args: Any) -> dict[str, Any]:
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise CommandError("BAD_REQUEST", "args must be a map")
    unknown = sorted(str(k) for k in set(args) - set(cmd.schema))
    if unknown:
        raise invalid(f"unknown argument(s) for {cmd.name}: {', '.join(unknown)}",
                      unknown=unknown, known=sorted(cmd.schema))
    out = {}
    for name, spec in cmd.schema.items():
        if name in args:
            out[name] = spec.check(name, args[name])
        elif spec.required:
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
        reason = UNAVAILABLE.get(name) if isinstance(name, str) else None
        if reason is not None:
            raise CommandError("UNKNOWN_COMMAND", f"{name} is not available here: {reason}",
                               {"cmd": name, "reason": reason})
        raise CommandError("UNKNOWN_COMMAND", f"no command {name!r}", {"cmd": name})
    return cmd.func(**validate(cmd, args))


def internal(e: Exception) -> dict[str, Any]:
    """The error map of an unexpected exception (a command bug), with its traceback."""
    return {"code": "INTERNAL", "message": f"{type(e).__name__}: {e}",
            "details": traceback.format_exc()}


def run_safely(name: Any, args: Any) -> tuple[bool, Any]:
    """Runs one command: ``(True, result)`` or ``(False, error map)``; never raises."""
    try:
        return True, run(name, args)
    except CommandError as e:
        return False, {"code": e.code, "message": e.message, "details": e.details}
    except Exception as e:  # noqa: BLE001 - the server must survive any command bug
        return False, internal(e)


def failure(rid: Any, e: Exception) -> dict[str, Any]:
    """The reply to request ``rid`` whose result could not be produced."""
    return {"v": PROTOCOL_VERSION, "id": rid, "ok": False, "error": internal(e)}


def token_matches(given: Any, expected: str) -> bool:
    """Constant-time comparison (docs/protocol.md §7)."""
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def deferred(result: Any) -> Any:
    """The deferred payload (``commands.image.Floats``) in ``result["data"]``, or None."""
    data = result.get("data") if isinstance(result, dict) else None
    return data if hasattr(data, "materialize") else None


def materialized(result: Any) -> Any:
    """``result`` with its deferred payload, if any, produced now."""
    data = deferred(result)
    return result if data is None else dict(result, data=data.materialize())


def dispatch(request: Any, *, token: str | None = None, defer: bool = False) -> dict[str, Any]:
    """Answers one decoded request (a map) with a reply map; never raises. With ``defer``
    a pixel payload is left for the sender to write straight into the outgoing message
    (``server.Server.reply``)."""
    if not isinstance(request, dict):
        return error(None, "BAD_REQUEST", "a request is a MessagePack map")
    rid = request.get("id")
    if not isinstance(rid, int) or isinstance(rid, bool) or rid < 0:
        return error(None, "BAD_REQUEST", "id must be an unsigned integer")
    if request.get("v") != PROTOCOL_VERSION:
        return error(rid, "UNSUPPORTED_VERSION", f"protocol version {request.get('v')!r}",
                     {"supported": [PROTOCOL_VERSION]})
    if token is not None and not token_matches(request.get("token"), token):
        return error(rid, "UNAUTHORIZED", "missing or wrong token")
    if not isinstance(request.get("cmd"), str):
        return error(rid, "BAD_REQUEST", "cmd must be a string")
    good, value = run_safely(request["cmd"], request.get("args", {}))
    if good and not defer:
        try:
            value = materialized(value)
        except Exception as e:  # noqa: BLE001 - as run_safely
            return failure(rid, e)
    if good:
        return ok(rid, value)
    return {"v": PROTOCOL_VERSION, "id": rid, "ok": False, "error": value}
