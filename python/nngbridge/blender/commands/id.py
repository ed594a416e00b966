"""id.*: custom properties of any datablock, addressed as ``(kind, name)``.

The one home of custom-property commands: ``scene.property_get/set`` are aliases of
``id.property_get/set`` on the current scene. A value is stored only if Blender gives
it back as sent (``rna.set_custom``), so whatever ``id.property_set`` accepts,
``id.property_get`` returns unchanged. Changes made here are published as ``property``
events (docs/protocol.md §9).
"""

from __future__ import annotations

from typing import Any

import bpy

from .. import rna
from ..registry import NAME, about, arg, command, not_found

# kind -> the bpy.data collection holding it
KINDS = {"object": "objects", "scene": "scenes", "material": "materials",
         "mesh": "meshes", "image": "images", "clip": "movieclips", "mask": "masks",
         "collection": "collections"}
VALUE = (int, float, str, bool, list, dict)


def get_id(kind: str, name: str) -> Any:
    found = getattr(bpy.data, KINDS[kind]).get(name)
    if found is None:
        raise not_found(kind, name)
    return found


def _publish(kind: str, name: str, key: str, op: str) -> None:
    from .. import events  # imports bpy.app.handlers: not at module level (catalogue)

    events.publish("property", {"kind": kind, "name": name, "key": key, "op": op})


def get_value(kind: str, name: str, key: str) -> Any:
    owner = get_id(kind, name)
    if key not in owner.keys():
        raise not_found(f"{kind} property", key)
    return rna.plain(owner[key])


def set_value(kind: str, name: str, key: str, value: Any) -> Any:
    owner = get_id(kind, name)
    rna.set_custom(owner, key, value, f'["{key}"]')
    _publish(kind, owner.name, key, "set")
    return rna.plain(owner[key])


_ADDRESS = {"kind": arg(str, choices=tuple(KINDS)), "name": arg(str, **NAME)}


@command("id.property_list", **_ADDRESS)
@about("{properties: {key: value}}", errors=("NOT_FOUND",))
def property_list(kind: str, name: str) -> dict[str, Any]:
    """Every custom property of a datablock with its value (RNA-defined add-on
    properties are not custom properties and are not listed)."""
    owner = get_id(kind, name)
    defined = set(owner.bl_rna.properties.keys())
    return {"properties": {k: rna.plain(owner[k]) for k in owner.keys() if k not in defined}}


@command("id.property_get", **_ADDRESS, key=arg(str, **NAME))
@about("the custom property's value", errors=("NOT_FOUND",))
def property_get(kind: str, name: str, key: str) -> Any:
    """``NOT_FOUND`` for the datablock (``details.kind`` its kind) or the property
    (``details.kind`` ``"<kind> property"``)."""
    return get_value(kind, name, key)


@command("id.property_set", **_ADDRESS, key=arg(str, **NAME), value=arg(*VALUE))
@about("the value as stored", errors=("NOT_FOUND",))
def property_set(kind: str, name: str, key: str, value: Any) -> Any:
    """Stores a custom property: numbers, strings, bools, lists of numbers, maps (nested);
    a value Blender would not give back as sent (a mixed list, an integer
    beyond 32 bits, a NUL in a string...) is refused and nothing is stored."""
    return set_value(kind, name, key, value)


@command("id.property_delete", **_ADDRESS, key=arg(str, **NAME))
@about("{deleted: key}", errors=("NOT_FOUND",))
def property_delete(kind: str, name: str, key: str) -> dict[str, Any]:
    owner = get_id(kind, name)
    if key not in owner.keys():
        raise not_found(f"{kind} property", key)
    del owner[key]
    _publish(kind, owner.name, key, "delete")
    return {"deleted": key}
