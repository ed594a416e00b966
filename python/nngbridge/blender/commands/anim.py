"""anim.*: keyframes on any data path of any animatable datablock: insert, list, delete.

A target is ``{target: kind, name}`` (``object``, ``scene``, ``mask``, ``camera``, ...);
``data_path`` is relative to it, nested paths included (``layers["L"].hide``,
``render.resolution_percentage``, ``["custom"]``).
"""

from __future__ import annotations

from typing import Any

import bpy

from .. import rna
from ..registry import FRAME, NAME, about, arg, command, invalid, not_found

TARGETS = {
    "object": "objects", "scene": "scenes", "mask": "masks", "camera": "cameras",
    "light": "lights", "material": "materials", "world": "worlds", "mesh": "meshes",
    "clip": "movieclips", "collection": "collections", "node_tree": "node_groups",
    "curve": "curves", "armature": "armatures",
}


def get_target(target: str, name: str) -> Any:
    block = getattr(bpy.data, TARGETS[target]).get(name)
    if block is None:
        raise not_found(target, name)
    return block


def fcurves_of(block: Any) -> list[Any]:
    """The F-curves animating ``block``. From 4.4 actions are layered: the curves live in
    the channelbag of the slot the block uses (``Action.fcurves`` is gone in 5.0)."""
    anim = getattr(block, "animation_data", None)
    if anim is None or anim.action is None:
        return []
    action = anim.action
    if not hasattr(action, "layers"):  # before 4.4
        return list(action.fcurves)
    slot = getattr(anim, "action_slot", None)
    if slot is None:
        return []
    for layer in action.layers:
        for strip in layer.strips:
            bag = strip.channelbag(slot)
            if bag is not None:
                return list(bag.fcurves)
    return []


def fcurve(block: Any, data_path: str, index: int = 0) -> Any:
    """The F-curve animating ``data_path[index]`` of ``block``, or None."""
    for fc in fcurves_of(block):
        if fc.data_path == data_path and fc.array_index == index:
            return fc
    return None


def check_path(block: Any, data_path: str, index: int) -> tuple[Any, str, int]:
    """Resolves ``data_path`` to (owner, property, array length); raises if it cannot be
    keyed."""
    owner, name = rna.resolve_owner(block, data_path)
    if name.startswith("["):
        key = name[2:-2] if name[1:2] in "\"'" else name[1:-1]
        if key not in owner.keys():
            raise invalid(f"no custom property {data_path!r}", arg="data_path")
        value = owner[key]
        length = len(value) if hasattr(value, "__len__") and not isinstance(value, str) else 0
    else:
        prop = owner.bl_rna.properties.get(name)
        if prop is None:
            raise invalid(f"no property {data_path!r}", arg="data_path")
        if not prop.is_animatable or prop.type not in ("BOOLEAN", "INT", "FLOAT", "ENUM"):
            raise invalid(f"{data_path} cannot be animated", arg="data_path")
        length = getattr(prop, "array_length", 0)
    if index >= max(length, 1) or index < -1:
        raise invalid(f"index {index} is out of range for {data_path}", arg="index")
    return owner, name, length


@command("anim.keyframe_insert", target=arg(str, choices=tuple(TARGETS)), name=arg(str, **NAME),
         data_path=arg(str), frame=arg(float, **FRAME), value=arg(float, bool, list, default=None),
         index=arg(int, default=-1),
         interpolation=arg(str, default=None, choices=("CONSTANT", "LINEAR", "BEZIER")))
@about("{fcurves: [F-curve]} of data_path", errors=("NOT_FOUND",))
def keyframe_insert(target: str, name: str, data_path: str, frame: float, value, index: int,
                    interpolation) -> dict[str, Any]:
    """Keys ``data_path`` at ``frame`` (all of an array's items when ``index`` is -1), first
    setting it to ``value`` if given."""
    block = get_target(target, name)
    owner, prop, length = check_path(block, data_path, index)
    step = None
    if value is not None:
        if length and index == -1:
            step = rna.plan_assignments(owner, {prop: value})[0]
        elif length:
            full = list(getattr(owner, prop))
            full[index] = value
            step = rna.plan_assignments(owner, {prop: full})[0]
        else:
            step = rna.plan_assignments(owner, {prop: value})[0]
    with rna.Changes() as changes:  # the value goes back if the key cannot be made
        if step is not None:
            step(changes)
        if not block.keyframe_insert(data_path, index=index, frame=frame):
            raise invalid(f"Blender refused to key {data_path}", arg="data_path")
    if interpolation is not None:
        for fc in fcurves_of(block):
            if fc.data_path == data_path and (index == -1 or fc.array_index == index):
                for k in fc.keyframe_points:
                    if abs(k.co[0] - frame) < 1e-6:
                        k.interpolation = interpolation
    return keyframes(target, name, data_path)


@command("anim.keyframes", target=arg(str, choices=tuple(TARGETS)), name=arg(str, **NAME),
         data_path=arg(str, default=None))
@about("{fcurves: [F-curve]}", errors=("NOT_FOUND",))
def keyframes(target: str, name: str, data_path) -> dict[str, Any]:
    """F-curves with their keys as [frame, value] pairs."""
    block = get_target(target, name)
    return {"fcurves": [
        {"data_path": fc.data_path, "index": fc.array_index,
         "keyframes": [[k.co[0], k.co[1]] for k in fc.keyframe_points],
         "interpolation": [k.interpolation for k in fc.keyframe_points]}
        for fc in fcurves_of(block) if data_path is None or fc.data_path == data_path]}


@command("anim.evaluate", target=arg(str, choices=tuple(TARGETS)), name=arg(str, **NAME),
         data_path=arg(str), frame=arg(float, **FRAME), index=arg(int, default=0))
@about("{value: float}", errors=("NOT_FOUND",))
def evaluate(target: str, name: str, data_path: str, frame: float, index: int) -> Any:
    """The animated value at ``frame`` without changing the scene's frame."""
    fc = fcurve(get_target(target, name), data_path, index)
    if fc is None:
        raise not_found("F-curve", f"{data_path}[{index}]")
    return {"value": fc.evaluate(frame)}


@command("anim.keyframe_delete", target=arg(str, choices=tuple(TARGETS)), name=arg(str, **NAME),
         data_path=arg(str), frame=arg(float, **FRAME), index=arg(int, default=-1))
@about("{fcurves: [F-curve]} of data_path", errors=("NOT_FOUND",))
def keyframe_delete(target: str, name: str, data_path: str, frame: float,
                    index: int) -> dict[str, Any]:
    block = get_target(target, name)
    check_path(block, data_path, index)
    keyed = [fc for fc in fcurves_of(block)
             if fc.data_path == data_path and (index == -1 or fc.array_index == index)
             and any(abs(k.co[0] - frame) < 1e-6 for k in fc.keyframe_points)]
    if not keyed:
        raise not_found("keyframe", f"{data_path} @ {frame}")
    block.keyframe_delete(data_path, index=index, frame=frame)
    return keyframes(target, name, data_path)
