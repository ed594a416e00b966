"""Generic RNA property access for ``*.set``/``*.get`` commands that take ``{path: value}``
maps: every assignment is checked against the property's RNA definition first, then all
are applied, so a bad entry changes nothing."""

from __future__ import annotations

import os
from typing import Any, Callable

from .registry import invalid


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


def plan_assignments(owner: Any, values: Any) -> list[Callable[[], None]]:
    """Checks ``{path: value}`` against ``owner``'s RNA; returns the assignments to run."""
    if not isinstance(values, dict):
        raise invalid("properties must be a map of path to value")
    steps: list[Callable[[], None]] = []
    for path, value in values.items():
        target, name = resolve_owner(owner, path)
        if name.startswith("["):  # custom property: any MessagePack-able value
            key = name[2:-2] if name[1:2] in "\"'" else name[1:-1]
            steps.append(lambda t=target, k=key, v=value: t.__setitem__(k, v))
            continue
        prop = target.bl_rna.properties.get(name)
        if prop is None:
            raise invalid(f"no property {path!r}", path=path)
        if prop.is_readonly:
            raise invalid(f"{path} is read-only", path=path)
        coerced = _coerce(target, prop, value, path)
        steps.append(lambda t=target, n=name, v=coerced: setattr(t, n, v))
    return steps


def assign(owner: Any, values: Any) -> None:
    """Sets every ``{path: value}`` on ``owner``, or none of them."""
    for step in plan_assignments(owner, values):
        step()


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
