"""scene.*: frames, fps, render resolution, custom properties."""

from __future__ import annotations

from typing import Any

import bpy

from .. import rna
from ..registry import about, arg, command, invalid, not_found


def describe() -> dict[str, Any]:
    s = bpy.context.scene
    r = s.render
    return {"name": s.name, "frame_current": s.frame_current, "frame_start": s.frame_start,
            "frame_end": s.frame_end, "fps": r.fps / r.fps_base,
            "resolution": [r.resolution_x, r.resolution_y],
            "resolution_percentage": r.resolution_percentage}


@command("scene.get")
@about("the scene description")
def get() -> dict[str, Any]:
    return describe()


@command("scene.set", frame_current=arg(int, default=None), frame_start=arg(int, default=None),
         frame_end=arg(int, default=None), fps=arg(int, default=None),
         resolution=arg(list, default=None), resolution_percentage=arg(int, default=None),
         properties=arg(dict, default=None))
@about("the new scene description", errors=("FORBIDDEN",))
def set_(frame_current, frame_start, frame_end, fps, resolution, resolution_percentage,
         properties):
    """Sets frames, fps, resolution, and any scene RNA ``properties`` ({path: value}, e.g.
    ``render.engine``, ``cycles.samples``), all checked before any is applied."""
    s = bpy.context.scene
    start = s.frame_start if frame_start is None else frame_start
    end = s.frame_end if frame_end is None else frame_end
    if end < start:
        raise invalid("frame_end must not be before frame_start")
    if resolution is not None and (
        len(resolution) != 2 or not all(isinstance(v, int) and 4 <= v <= 65536 for v in resolution)
    ):
        raise invalid("resolution must be two integers in 4..65536", arg="resolution")
    if resolution_percentage is not None and not 1 <= resolution_percentage <= 32767:
        raise invalid("resolution_percentage must be 1..32767", arg="resolution_percentage")
    if fps is not None and not 1 <= fps <= 1000:
        raise invalid("fps must be 1..1000", arg="fps")
    steps = rna.plan_assignments(s, properties) if properties else []
    s.frame_start, s.frame_end = start, end
    if frame_current is not None:
        s.frame_set(frame_current)
    if fps is not None:
        s.render.fps, s.render.fps_base = fps, 1.0
    if resolution is not None:
        s.render.resolution_x, s.render.resolution_y = resolution
    if resolution_percentage is not None:
        s.render.resolution_percentage = resolution_percentage
    for step in steps:
        step()
    return describe()


@command("scene.property_get", name=arg(str))
@about("the custom property's value", errors=("NOT_FOUND",))
def property_get(name: str) -> Any:
    s = bpy.context.scene
    if name not in s.keys():
        raise not_found("scene property", name)
    value = s[name]
    return value.to_dict() if hasattr(value, "to_dict") else (
        value.to_list() if hasattr(value, "to_list") else value)


@command("scene.property_set", name=arg(str), value=arg(int, float, str, bool, list, dict))
@about("the value as stored")
def property_set(name: str, value: Any) -> Any:
    bpy.context.scene[name] = value
    return property_get(name)
