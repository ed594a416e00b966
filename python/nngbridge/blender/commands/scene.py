"""scene.*: frames, fps, render resolution, custom properties."""

from __future__ import annotations

from typing import Any

import bpy

from .. import rna
from ..registry import FRAME, NAME, about, arg, command, invalid, shape
from . import id as id_


SCENE = shape("scene", "{name, frame_current: int, frame_start: int, frame_end: int, "
                       "fps: float, resolution: [w, h], resolution_percentage: int}")


def describe() -> dict[str, Any]:
    s = bpy.context.scene
    r = s.render
    return {"name": s.name, "frame_current": s.frame_current, "frame_start": s.frame_start,
            "frame_end": s.frame_end, "fps": r.fps / r.fps_base,
            "resolution": [r.resolution_x, r.resolution_y],
            "resolution_percentage": r.resolution_percentage}


@command("scene.get")
@about(SCENE)
def get() -> dict[str, Any]:
    return describe()


@command("scene.set", frame_current=arg(int, default=None, **FRAME),
         frame_start=arg(int, default=None, **FRAME), frame_end=arg(int, default=None, **FRAME),
         fps=arg(int, default=None, minimum=1, maximum=1000),
         resolution=arg(list, default=None, length=2),
         resolution_percentage=arg(int, default=None, minimum=1, maximum=32767),
         properties=arg(dict, default=None))
@about(SCENE, errors=("FORBIDDEN",))
def set_(frame_current, frame_start, frame_end, fps, resolution, resolution_percentage,
         properties):
    """Sets frames, fps, resolution, and any scene RNA ``properties`` ({path: value}, e.g.
    ``render.engine``, ``cycles.samples``), all checked before any is applied."""
    s = bpy.context.scene
    start = s.frame_start if frame_start is None else frame_start
    end = s.frame_end if frame_end is None else frame_end
    if end < start:
        raise invalid("frame_end must not be before frame_start")
    if resolution is not None and not all(v.is_integer() and 4 <= v <= 65536
                                          for v in resolution):
        raise invalid("resolution must be two integers in 4..65536", arg="resolution")
    steps = rna.plan_assignments(s, properties) if properties else []
    with rna.Changes() as c:
        c.set(s, "frame_start", start)
        c.set(s, "frame_end", end)
        if frame_current is not None:
            c.set(s, "frame_current", s.frame_current)  # frame_set below; this undoes it
            s.frame_set(frame_current)
        if fps is not None:
            c.set(s.render, "fps", fps)
            c.set(s.render, "fps_base", 1.0)
        if resolution is not None:
            c.set(s.render, "resolution_x", int(resolution[0]))
            c.set(s.render, "resolution_y", int(resolution[1]))
        if resolution_percentage is not None:
            c.set(s.render, "resolution_percentage", resolution_percentage)
        for step in steps:
            step(c)
    return describe()


@command("scene.property_get", name=arg(str, **NAME))
@about("the custom property's value", errors=("NOT_FOUND",))
def property_get(name: str) -> Any:
    """``id.property_get`` on the current scene."""
    return id_.get_value("scene", bpy.context.scene.name, name)


@command("scene.property_set", name=arg(str, **NAME),
         value=arg(*id_.VALUE))
@about("the value as stored")
def property_set(name: str, value: Any) -> Any:
    """``id.property_set`` on the current scene."""
    return id_.set_value("scene", bpy.context.scene.name, name, value)
