"""Commands are a table: one small function per command, registered with its argument
schema; validation, dispatch and error replies are written once, here.

``dispatch(request)`` never raises: every failure becomes a structured error reply
(docs/protocol.md §4). Commands validate everything before they change the scene, so a
failing command leaves nothing half-done.
"""

from __future__ import annotations

import hmac
import inspect
import math
import reprlib
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from nngbridge import _nng

PROTOCOL_VERSION = 1
FIRST_RELEASE = "0.1.0"  # ``since`` of every command that predates per-command versions

# Limits (docs/protocol.md §12). This is their one home; the doc's table names them.
# Configurable (Server, serve(), the add-on preferences; ``configure``):
MAX_MESSAGE = _nng.DEFAULT_MAX_MESSAGE  # bytes of a request or a reply (the codec's)
MEMORY_BUDGET = 1 << 30  # bytes one command may allocate (an image, pixels, a render)
MAX_JOB_FRAMES = 100_000  # frames of one job (render.animation, clip.mean_colors)
LIMITS: dict[str, int] = {"max_message": MAX_MESSAGE, "memory_budget": MEMORY_BUDGET,
                          "max_job_frames": MAX_JOB_FRAMES}
# Fixed:
MAX_BATCH = 10_000  # commands in one batch
MAX_ITEMS = 1 << 16  # entries of a list or map argument
MAX_STRING = 1 << 20  # UTF-8 bytes of a string argument
MAX_NAME_BYTES = 63  # UTF-8 bytes of a datablock/layer/track/strip name (Blender's MAX_NAME - 1)
INT32 = {"minimum": -(1 << 31), "maximum": (1 << 31) - 1}  # integers without own bounds
MAX_FRAME = 1_048_574  # Blender's MAXFRAME; frames are in -MAX_FRAME..MAX_FRAME
FRAME = {"minimum": -MAX_FRAME, "maximum": MAX_FRAME}  # an integer (or float) frame
NAME = {"max_bytes": MAX_NAME_BYTES}
MAX_ECHO = 64  # characters of offending input an error message or details echo
MAX_ERROR_MESSAGE = 1024  # characters of an error message
MAX_ERROR_DETAILS = 16 << 10  # bytes of an error's details (packed), e.g. a traceback
REPLY_OVERHEAD = 4 << 10  # room kept in a reply for all but its payload


def configure(**limits: int) -> None:
    """Sets the configurable limits (``LIMITS``); unknown names or non-positive values
    raise ValueError."""
    for key, value in limits.items():
        if key not in LIMITS:
            raise ValueError(f"no limit {key!r}; known: {', '.join(LIMITS)}")
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{key} must be a positive integer")
        LIMITS[key] = value


_echo = reprlib.Repr()
_echo.maxstring = _echo.maxother = MAX_ECHO
_echo.maxlist = _echo.maxtuple = _echo.maxdict = _echo.maxset = 4
_echo.maxlevel = 2


def echo(value: Any) -> Any:
    """``value`` as an error may quote it: a short string as is, anything else cut to a
    short prefix (``MAX_ECHO``), without building the whole of a huge value first."""
    if isinstance(value, str):
        return value if len(value) <= MAX_ECHO else value[:MAX_ECHO] + "..."
    if value is None or isinstance(value, (bool, int, float)) and len(str(value)) <= MAX_ECHO:
        return value
    return _echo.repr(value)

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
    return CommandError("NOT_FOUND", f"no {kind} named {echo(name)!r}",
                        {"kind": kind, "name": echo(name)})


def too_large(message: str, limit: str | int, **details: Any) -> CommandError:
    """``TOO_LARGE``; ``limit`` names the limit (a ``LIMITS`` key or a constant's value)."""
    value = LIMITS[limit] if isinstance(limit, str) else limit
    return CommandError("TOO_LARGE", message, {"limit": value, **details})


def check_memory(nbytes: int, what: str) -> None:
    """Refuses work that would allocate more than the memory budget, before it does."""
    if nbytes > LIMITS["memory_budget"]:
        raise too_large(f"{what} needs {nbytes} bytes; the memory budget is "
                        f"{LIMITS['memory_budget']}", "memory_budget", needed=nbytes)


def check_frames(count: int) -> None:
    if count > LIMITS["max_job_frames"]:
        raise too_large(f"{count} frames; a job takes at most {LIMITS['max_job_frames']}",
                        "max_job_frames", frames=count)


_reply_left: list[int] = []  # inside a batch: the bytes its payloads may still use


def reserve_reply(nbytes: int) -> None:
    """Claims ``nbytes`` of the reply for a payload, before the work: refused if the reply
    (a batch's: all its payloads together) would exceed ``max_message``."""
    left = _reply_left[-1] if _reply_left else LIMITS["max_message"] - REPLY_OVERHEAD
    if nbytes > left:
        raise too_large(f"the result would be {nbytes} bytes; {max(left, 0)} are left in a "
                        "reply", "max_message", needed=nbytes)
    if _reply_left:
        _reply_left[-1] -= nbytes


class ReplyBudget:
    """``with ReplyBudget():`` the payloads reserved inside share one reply (a batch)."""

    def __enter__(self) -> None:
        _reply_left.append(LIMITS["max_message"] - REPLY_OVERHEAD)

    def __exit__(self, *exc: Any) -> None:
        _reply_left.pop()


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
    max_bytes: int = MAX_STRING  # of a string, UTF-8
    max_items: int = MAX_ITEMS  # of a list or map

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
            if not math.isfinite(value):
                raise invalid(f"{name} must be a finite number", arg=name)
            if int not in self.types:  # an int stays one where ints are accepted too
                value = float(value)
        if not isinstance(value, self.types) or (
            isinstance(value, bool) and bool not in self.types
        ):
            wanted = " or ".join(t.__name__ for t in self.types)
            raise invalid(f"{name} must be {wanted}, not {type(value).__name__}", arg=name)
        if isinstance(value, str) and (len(value) > self.max_bytes
                                       or len(value.encode()) > self.max_bytes):
            raise invalid(f"{name} must be at most {self.max_bytes} bytes (UTF-8)", arg=name,
                          max_bytes=self.max_bytes)
        if isinstance(value, (list, dict)) and len(value) > self.max_items:
            raise invalid(f"{name} must have at most {self.max_items} entries", arg=name,
                          max_items=self.max_items)
        if isinstance(value, str) and self.choices is not None:
            value = value.upper() if all(c.isupper() for c in self.choices) else value
        if self.choices is not None and value not in self.choices:
            raise invalid(f"{name} must be one of {', '.join(map(str, self.choices))}",
                          arg=name, choices=list(self.choices), given=echo(value))
        if _is_number(value) and (
            (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
        ):
            raise invalid(f"{name} must be in {self.minimum}..{self.maximum}", arg=name)
        if self.length is not None:
            if len(value) != self.length or not all(
                    _is_number(v) and math.isfinite(v) for v in value):
                raise invalid(f"{name} must be {self.length} numbers", arg=name)
            value = [float(v) for v in value]
        if self.items is not None:
            for v in value:
                if self.items is float:
                    good = _is_number(v) and math.isfinite(v)
                elif self.items is int:  # minimum/maximum bound the items of a list
                    low = INT32["minimum"] if self.minimum is None else self.minimum
                    high = INT32["maximum"] if self.maximum is None else self.maximum
                    good = type(v) is int and low <= v <= high
                else:
                    good = isinstance(v, self.items) and (
                        self.items is bool or not isinstance(v, bool))
                if not good:
                    bounds = "" if self.items is not int else " in range"
                    raise invalid(f"{name} must hold only {self.items.__name__} values{bounds}",
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
        if str in self.types:
            out["max_bytes"] = self.max_bytes
        if list in self.types or dict in self.types:
            out["max_items"] = self.max_items
        if self.items is not None:
            out["items"] = self.items.__name__
        if self.nullable:
            out["nullable"] = True
        return out


def arg(*types: type, default: Any = _MISSING, length: int | None = None,
        items: type | None = None, choices: tuple[Any, ...] | list[Any] | None = None,
        minimum: float | None = None, maximum: float | None = None,
        nullable: bool = False, max_bytes: int = MAX_STRING,
        max_items: int = MAX_ITEMS) -> Arg:
    """An argument. An integer without bounds of its own is a 32-bit one (``INT32``): no
    larger value reaches Blender, whose integers are 32-bit. ``**FRAME``: a frame;
    ``**NAME``: a name (``MAX_NAME_BYTES``)."""
    if types == (int,) and minimum is None and maximum is None:
        minimum, maximum = INT32["minimum"], INT32["maximum"]
    return Arg(tuple(types), default, length, items,
               tuple(choices) if choices is not None else None, minimum, maximum, nullable,
               max_bytes, max_items)


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
        # cleandoc: Python 3.13 dedents docstrings itself, older ones do not
        COMMANDS[cmd_name] = Command(cmd_name, func, schema, inspect.cleandoc(func.__doc__ or ""),
                                     getattr(func, "_nngbridge_about", About()))
        return func

    return register


SHAPES: dict[str, str] = {}  # result shapes several commands share: name -> notation


def shape(name: str, notation: str) -> str:
    """Registers a result shape that several commands return (``<name>`` in their
    ``@about``), written once beside the function that builds it; returns ``<name>``.
    The catalogue lists the shapes next to the commands (docs/commands.json ``shapes``)."""
    SHAPES[name] = notation
    return f"<{name}>"


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
    unknown = sorted(str(echo(k)) for k in set(args) - set(cmd.schema))
    if unknown:
        raise invalid(f"unknown argument(s) for {cmd.name}: {echo(', '.join(unknown[:4]))}",
                      unknown=[echo(k) for k in unknown[:4]], known=sorted(cmd.schema))
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


def error_map(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """An error as it goes out: every error passes here, so its size is bounded
    (``MAX_ERROR_MESSAGE``, ``MAX_ERROR_DETAILS``) whatever input it quotes."""
    if len(message) > MAX_ERROR_MESSAGE:
        message = message[:MAX_ERROR_MESSAGE] + "..."
    if isinstance(details, str):
        if len(details) > MAX_ERROR_DETAILS:  # a traceback: its end says most
            details = "..." + details[-MAX_ERROR_DETAILS:]
    elif details is not None:
        try:
            import nngbridge

            size = len(nngbridge.packb(details))
        except Exception:  # noqa: BLE001 - unencodable details: quote them instead
            size = MAX_ERROR_DETAILS + 1
        if size > MAX_ERROR_DETAILS:
            details = {"truncated": echo(details)}
    return {"code": code, "message": message, "details": details}


def error(rid: Any, code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"v": PROTOCOL_VERSION, "id": rid, "ok": False,
            "error": error_map(code, message, details)}


def run(name: Any, args: Any) -> Any:
    """Runs one command (validated); raises CommandError."""
    cmd = COMMANDS.get(name) if isinstance(name, str) else None
    if cmd is None:
        reason = UNAVAILABLE.get(name) if isinstance(name, str) else None
        if reason is not None:
            raise CommandError("UNKNOWN_COMMAND", f"{name} is not available here: {reason}",
                               {"cmd": name, "reason": reason})
        raise CommandError("UNKNOWN_COMMAND", f"no command {echo(name)!r}", {"cmd": echo(name)})
    return cmd.func(**validate(cmd, args))


def internal(e: Exception) -> dict[str, Any]:
    """The error map of an unexpected exception (a command bug), with its traceback."""
    return error_map("INTERNAL", f"{type(e).__name__}: {e}", traceback.format_exc())


def run_safely(name: Any, args: Any) -> tuple[bool, Any]:
    """Runs one command: ``(True, result)`` or ``(False, error map)``; never raises."""
    try:
        return True, run(name, args)
    except CommandError as e:
        return False, error_map(e.code, e.message, e.details)
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
    v = request.get("v")
    if type(v) is not int or v != PROTOCOL_VERSION:  # not 1.0 nor true
        return error(rid, "UNSUPPORTED_VERSION", f"protocol version {echo(v)!r}",
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
