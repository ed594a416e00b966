"""Generic RNA property access for ``*.set``/``*.get`` commands that take ``{path: value}``
maps: every assignment is checked against the property's RNA definition first, then all
are applied, so a bad entry changes nothing."""

from __future__ import annotations

import os
from typing import Any, Callable

from .registry import MAX_NAME_BYTES, echo, invalid

_ABSENT = object()


def plain(value: Any) -> Any:
    """A bpy value as something MessagePack can carry (vectors to lists, IDs to names)."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if hasattr(value, "name_full") and hasattr(value, "bl_rna"):  # an ID: its name
        return value.name
    if hasattr(value, "to_dict"):  # IDProperty group
        return value.to_dict()
    if hasattr(value, "to_list"):  # IDProperty array
        return value.to_list()
    if isinstance(value, (set, frozenset)):  # enum flags
        return sorted(value)
    try:
        return [plain(v) for v in value]
    except TypeError:
        return repr(value)


def _snapshot(value: Any) -> Any:
    """A copy of a property's value that stays valid after the property changes (a
    vector's ``copy()``; an ID stays itself)."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)) or \
            hasattr(value, "bl_rna"):
        return value
    if hasattr(value, "copy"):
        return value.copy()
    try:
        return tuple(value)
    except TypeError:
        return value


class Changes:
    """Changes made through it are put back, in reverse order, if the ``with`` block
    raises: where Blender can still refuse half-way, a failed command changes nothing."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def set(self, target: Any, name: str, value: Any) -> None:
        old = _snapshot(getattr(target, name))
        setattr(target, name, value)
        self._undo.append(lambda: setattr(target, name, old))

    def done(self, undo: Callable[[], None]) -> None:
        """Registers how to undo a change just made."""
        self._undo.append(undo)

    def undo(self) -> None:
        for undo in reversed(self._undo):
            try:
                undo()
            except Exception:  # noqa: BLE001, S110 - put back all that can be
                pass
        self._undo.clear()

    def __enter__(self) -> Changes:
        return self

    def __exit__(self, kind: Any, *_: Any) -> bool:
        if kind is not None:
            self.undo()
        return False


def _custom(target: Any, key: str) -> Any:
    return plain(target[key]) if key in target.keys() else _ABSENT


def _put_custom(target: Any, key: str, value: Any) -> None:
    if value is _ABSENT:
        if key in target.keys():
            del target[key]
    else:
        target[key] = value


def same(sent: Any, stored: Any) -> bool:
    """Equal and of the same types throughout: an integer that comes back as a float
    (Blender keeps one beyond 32 bits as a double) was not stored as sent."""
    if isinstance(sent, dict):
        return isinstance(stored, dict) and sent.keys() == stored.keys() and all(
            same(v, stored[k]) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(stored, list) and len(sent) == len(stored) and all(
            same(a, b) for a, b in zip(sent, stored))
    return type(sent) is type(stored) and sent == stored


def set_custom(target: Any, key: str, value: Any, path: str,
               changes: Changes | None = None) -> None:
    """Stores custom property ``key`` only if Blender gives the same value back (it
    cannot hold everything MessagePack can: lists of maps, 64-bit integers, NUL in a
    string...): a value ``*.property_get`` could not read is refused on the way in."""
    if not isinstance(key, str) or not key or len(key.encode()) > MAX_NAME_BYTES:
        raise invalid(f"a custom property name is 1..{MAX_NAME_BYTES} bytes", path=echo(path))
    old = _custom(target, key)
    try:
        target[key] = value
        good = same(value, plain(target[key]))
    except Exception:  # noqa: BLE001 - whatever Blender refuses, the value is refused
        good = False
    if not good:
        _put_custom(target, key, old)
        raise invalid(f"{echo(path)} cannot hold {echo(value)} (Blender would not store it "
                      "as given)", path=echo(path))
    if changes is not None:
        changes.done(lambda: _put_custom(target, key, old))


def check_custom(target: Any, key: str, value: Any, path: str) -> None:
    """``set_custom``'s check without its effect."""
    trial = Changes()
    set_custom(target, key, value, path, trial)
    trial.undo()


def _split(path: str) -> tuple[str, str]:
    """'data.lens' -> ('data', 'lens'); 'location' -> ('', 'location')."""
    if path.endswith("]"):  # a custom property: '["key"]' or 'data["key"]'
        head, _, _ = path.rpartition("[")
        return head.rstrip("."), path[len(head):].lstrip(".")
    head, _, name = path.rpartition(".")
    return head, name


def resolve_owner(owner: Any, path: str) -> tuple[Any, str]:
    if not isinstance(path, str) or not path:
        raise invalid("a property path must be a non-empty string", path=path)
    head, name = _split(path)
    target = owner
    if head:
        try:
            target = owner.path_resolve(head)
        except ValueError:
            raise invalid(f"no property path {head!r}", path=path) from None
    return target, name


def _dynamic_enum_accepts(target: Any, name: str, value: Any) -> bool:
    """Enums such as ``render.engine`` list their items only at run time (RNA shows the
    static ones): try the value and put the old one back at once."""
    if not isinstance(value, str):
        return False
    old = getattr(target, name)
    try:
        setattr(target, name, value)
    except (TypeError, ValueError):
        return False
    setattr(target, name, old)
    return True


def _coerce(target: Any, prop: Any, value: Any, path: str) -> Any:
    kind = prop.type
    length = getattr(prop, "array_length", 0)
    if length and kind in ("BOOLEAN", "INT", "FLOAT"):
        if not isinstance(value, (list, tuple)) or len(value) != length:
            raise invalid(f"{path} takes {length} values", path=path)
        return [_coerce_scalar(kind, prop, v, path) for v in value]
    if kind == "ENUM":
        items = {i.identifier for i in prop.enum_items}
        if prop.is_enum_flag:
            if not isinstance(value, list) or not set(value) <= items:
                raise invalid(f"{path} takes a subset of {sorted(items)}", path=path)
            return set(value)
        if value not in items and not _dynamic_enum_accepts(target, prop.identifier, value):
            raise invalid(f"{path} must be one of {sorted(items)}", path=path)
        return value
    if kind == "STRING":
        if not isinstance(value, str):
            raise invalid(f"{path} takes a string", path=path)
        return _checked_path(prop, value, path)
    if kind in ("BOOLEAN", "INT", "FLOAT"):
        return _coerce_scalar(kind, prop, value, path)
    raise invalid(f"{path} is a {kind} property; it cannot be set by value", path=path)


def _checked_path(prop: Any, value: str, path: str) -> str:
    """File and folder properties (a strip's ``filepath``, ``directory``...) obey the path
    rule (docs/protocol.md §7.2) like the commands that take paths."""
    from . import paths

    if prop.subtype in ("FILE_PATH", "DIR_PATH"):
        real = paths.resolve(value, arg=path)
        # A trailing separator means "in this folder" to Blender (render.filepath): keep it.
        folder = prop.subtype == "DIR_PATH" or value.endswith(("/", os.sep))
        return real.rstrip(os.sep) + os.sep if folder else real
    if prop.subtype == "FILE_NAME" and (os.sep in value or "/" in value or value in (".", "..")):
        raise invalid(f"{path} takes a bare file name", path=path)
    return value


def _coerce_scalar(kind: str, prop: Any, value: Any, path: str) -> Any:
    if kind == "BOOLEAN":
        if not isinstance(value, bool):
            raise invalid(f"{path} takes a bool", path=path)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"{path} takes a number", path=path)
    if kind == "INT":
        if isinstance(value, float) and not value.is_integer():
            raise invalid(f"{path} takes an integer", path=path)
        value = int(value)
    else:
        value = float(value)
    if not prop.hard_min <= value <= prop.hard_max:
        raise invalid(f"{path} must be in {prop.hard_min}..{prop.hard_max}", path=path)
    return value


Step = Callable[..., None]  # step(changes=None): one checked assignment


def plan_assignments(owner: Any, values: Any) -> list[Step]:
    """Checks ``{path: value}`` against ``owner``'s RNA; returns the assignments to run,
    each ``step(changes)`` (``changes``: a ``Changes`` that can undo it)."""
    if not isinstance(values, dict):
        raise invalid("properties must be a map of path to value")
    steps: list[Step] = []
    for path, value in values.items():
        target, name = resolve_owner(owner, path)
        if name.startswith("["):  # custom property: what Blender can store and give back
            key = name[2:-2] if name[1:2] in "\"'" else name[1:-1]
            check_custom(target, key, value, path)
            steps.append(lambda c=None, t=target, k=key, v=value, p=path:
                         set_custom(t, k, v, p, c))
            continue
        prop = target.bl_rna.properties.get(name)
        if prop is None:
            raise invalid(f"no property {path!r}", path=path)
        if prop.is_readonly:
            raise invalid(f"{path} is read-only", path=path)
        coerced = _coerce(target, prop, value, path)
        steps.append(lambda c=None, t=target, n=name, v=coerced:
                     c.set(t, n, v) if c is not None else setattr(t, n, v))
    return steps


def assign(owner: Any, values: Any) -> None:
    """Sets every ``{path: value}`` on ``owner``, or none of them."""
    steps = plan_assignments(owner, values)
    with Changes() as changes:
        for step in steps:
            step(changes)


def read(owner: Any, paths: Any) -> dict[str, Any]:
    """``{path: value}`` for each path, read through RNA."""
    out = {}
    for path in paths:
        target, name = resolve_owner(owner, path)
        if name.startswith("["):
            key = name[2:-2] if name[1:2] in "\"'" else name[1:-1]
            if key not in target.keys():
                raise invalid(f"no custom property {path!r}", path=path)
            out[path] = plain(target[key])
        elif name in target.bl_rna.properties:
            out[path] = plain(getattr(target, name))
        else:
            raise invalid(f"no property {path!r}", path=path)
    return out
