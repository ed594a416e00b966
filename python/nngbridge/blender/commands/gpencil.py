"""gpencil.*: annotations (Blender's legacy grease pencil data, the kind scenes and clips
carry): create and attach, layers, frames, strokes, points.

Annotations are in ``bpy.data.grease_pencils`` until 4.5 and in ``bpy.data.annotations``
from 5.0 (grease pencil v3 objects keep ``grease_pencils``), where ``Scene`` and
``MovieClip`` hold them in ``annotation`` instead of ``grease_pencil``; from 4.3 a layer's
``hide`` is ``annotation_hide``; 4.3-5.0 strokes are read-only from Python (no
``strokes.new``): there ``gpencil.add_stroke`` is withdrawn (an ``UNKNOWN_COMMAND`` saying
why). From 4.3 points have no pressure and strokes no cyclic flag (5.3 has ``strokes.new``
again, without them): strokes are then read and made as points only, and asking for
pressure or a cyclic stroke is an ``INVALID_ARGUMENT`` (``stroke_features``). Everything
here asks the API what it has, never the version.
"""

from __future__ import annotations

import array
import math
from typing import Any

import bpy

from ..registry import FRAME, NAME, about, arg, command, invalid, not_found, withdraw, shape
from .clip import get_clip


def datablocks() -> Any:
    annotations = getattr(bpy.data, "annotations", None)  # 4.3+
    return bpy.data.grease_pencils if annotations is None else annotations


def _frame_type() -> Any:
    return getattr(bpy.types, "AnnotationFrame", None) or bpy.types.GPencilFrame


def can_add_strokes() -> bool:
    """Whether annotation strokes can be made from Python (not in Blender 5.0)."""
    strokes = _frame_type().bl_rna.properties["strokes"].srna
    return strokes is not None and "new" in strokes.functions


def _stroke_type() -> Any:
    return getattr(bpy.types, "AnnotationStroke", None) or bpy.types.GPencilStroke


def stroke_features() -> set[str]:
    """Which of ``pressure`` (per point) and ``cyclic`` this Blender's strokes have."""
    stroke = _stroke_type().bl_rna
    out = set()
    if "pressure" in stroke.properties["points"].fixed_type.properties:
        out.add("pressure")
    if "use_cyclic" in stroke.properties:
        out.add("cyclic")
    return out


def attach_to(target: Any, gp: Any) -> None:
    """Makes ``gp`` the annotations of a scene or clip."""
    if hasattr(target, "annotation"):  # 5.0
        target.annotation = gp
    else:
        target.grease_pencil = gp


def hidden(layer: Any) -> bool:
    return bool(layer.annotation_hide if hasattr(layer, "annotation_hide") else layer.hide)


def get_gpencil(name: str) -> Any:
    gp = datablocks().get(name)
    if gp is None:
        raise not_found("annotation", name)
    return gp


def get_layer(gp: Any, name: str) -> Any:
    layer = gp.layers.get(name)
    if layer is None:
        raise not_found("annotation layer", name)
    return layer


def get_frame(layer: Any, frame: int) -> Any:
    for f in layer.frames:
        if f.frame_number == frame:
            return f
    raise not_found("annotation frame", frame)


def stroke_points(stroke: Any) -> dict[str, Any]:
    """Points as ``f4 [n, 3]`` co plus ``f4 [n]`` pressure (binary, not lists)."""
    n = len(stroke.points)
    co = array.array("f", [0.0]) * (3 * n)
    stroke.points.foreach_get("co", co)
    out = {"co": {"dtype": "f4", "shape": [n, 3], "data": co.tobytes()}}
    if "pressure" in stroke_features():
        pressure = array.array("f", [0.0]) * n
        stroke.points.foreach_get("pressure", pressure)
        out["pressure"] = {"dtype": "f4", "shape": [n], "data": pressure.tobytes()}
    return out


def describe_stroke(stroke: Any) -> dict[str, Any]:
    out = stroke_points(stroke)
    if "cyclic" in stroke_features():
        out["cyclic"] = stroke.use_cyclic
    return out


GPENCIL_LAYER = shape("gpencil_layer", "{name, hide: bool, color: [r, g, b], "
                               "thickness: int, frames: [int]}")


def describe_layer(layer: Any) -> dict[str, Any]:
    return {"name": layer.info, "hide": hidden(layer), "color": list(layer.color),
            "thickness": layer.thickness,
            "frames": [f.frame_number for f in layer.frames]}


@command("gpencil.create", name=arg(str, **NAME),
         attach=arg(str, default=None, choices=("SCENE", "CLIP")),
         clip=arg(str, default=None, **NAME))
@about("{name}", errors=("NOT_FOUND",))
def create(name: str, attach, clip) -> dict[str, Any]:
    """New annotation data; ``attach`` makes it the scene's or a clip's annotations."""
    target = None
    if attach == "CLIP":
        if clip is None:
            raise invalid("attach: CLIP needs clip", arg="clip")
        target = get_clip(clip)
    elif attach == "SCENE":
        target = bpy.context.scene
    gp = datablocks().new(name)
    if target is not None:
        attach_to(target, gp)
    return {"name": gp.name}


@command("gpencil.list")
@about("{annotations: [{name, layers: [name]}]}")
def list_() -> dict[str, Any]:
    return {"annotations": [{"name": g.name, "layers": [la.info for la in g.layers]}
                            for g in datablocks()]}


@command("gpencil.layers", name=arg(str, **NAME))
@about("{layers: [layer]}", errors=("NOT_FOUND",))
def layers(name: str) -> dict[str, Any]:
    return {"layers": [describe_layer(la) for la in get_gpencil(name).layers]}


@command("gpencil.add_layer", name=arg(str, **NAME), layer=arg(str, **NAME),
         color=arg(list, default=None, length=3), thickness=arg(int, default=None,
                                                               minimum=1, maximum=10))
@about(GPENCIL_LAYER, errors=("NOT_FOUND",))
def add_layer(name: str, layer: str, color, thickness) -> dict[str, Any]:
    gp = get_gpencil(name)
    if gp.layers.get(layer) is not None:
        raise invalid(f"{name} already has a layer {layer!r}", arg="layer")
    new = gp.layers.new(layer)
    if color is not None:
        new.color = color
    if thickness is not None:
        new.thickness = thickness
    return describe_layer(new)


@command("gpencil.frames", name=arg(str, **NAME), layer=arg(str, **NAME))
@about("{frames: [{frame, strokes: int}]}", errors=("NOT_FOUND",))
def frames(name: str, layer: str) -> dict[str, Any]:
    la = get_layer(get_gpencil(name), layer)
    return {"frames": [{"frame": f.frame_number, "strokes": len(f.strokes)} for f in la.frames]}


def _check_points(points: list, pressure: Any) -> None:
    if not points:
        raise invalid("a stroke needs points", arg="points")
    for i, p in enumerate(points):
        if not (isinstance(p, list) and len(p) in (2, 3) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in p)):
            raise invalid(f"points[{i}] must be [x, y] or [x, y, z]", arg="points", index=i)
    if pressure is not None and len(pressure) != len(points):
        raise invalid("pressure needs one value per point", arg="pressure")


@command("gpencil.add_stroke", name=arg(str, **NAME), layer=arg(str, **NAME),
         frame=arg(int, **FRAME),
         points=arg(list), pressure=arg(list, default=None, items=float),
         cyclic=arg(bool, default=False))
@about("{frame, stroke: int (index), points: int}", errors=("NOT_FOUND",))
def add_stroke(name: str, layer: str, frame: int, points: list, pressure,
               cyclic: bool) -> dict[str, Any]:
    """A stroke on ``frame`` (the frame is created when missing)."""
    la = get_layer(get_gpencil(name), layer)
    _check_points(points, pressure)
    features = stroke_features()
    if pressure is not None and "pressure" not in features:
        raise invalid(f"Blender {bpy.app.version_string}'s annotation points have no pressure",
                      arg="pressure")
    if cyclic and "cyclic" not in features:
        raise invalid(f"Blender {bpy.app.version_string}'s annotation strokes cannot be cyclic",
                      arg="cyclic")
    target = next((f for f in la.frames if f.frame_number == frame), None)
    if target is None:
        target = la.frames.new(frame)
    stroke = target.strokes.new()
    stroke.points.add(len(points))
    flat = array.array("f", [c for p in points for c in (*p, 0.0)[:3]])
    stroke.points.foreach_set("co", flat)
    if "pressure" in features:
        stroke.points.foreach_set("pressure", array.array("f", pressure or [1.0] * len(points)))
    if "cyclic" in features:
        stroke.use_cyclic = cyclic
    return {"frame": frame, "stroke": len(target.strokes) - 1, "points": len(points)}


@command("gpencil.strokes", name=arg(str, **NAME), layer=arg(str, **NAME), frame=arg(int, **FRAME))
@about("{strokes: [{cyclic?, co: array f4 [n, 3], pressure?: array f4 [n]}]}",
       errors=("NOT_FOUND",))
def strokes(name: str, layer: str, frame: int) -> dict[str, Any]:
    f = get_frame(get_layer(get_gpencil(name), layer), frame)
    return {"strokes": [describe_stroke(s) for s in f.strokes]}


@command("gpencil.delete_frame", name=arg(str, **NAME), layer=arg(str, **NAME),
         frame=arg(int, **FRAME))
@about(GPENCIL_LAYER, errors=("NOT_FOUND",))
def delete_frame(name: str, layer: str, frame: int) -> dict[str, Any]:
    la = get_layer(get_gpencil(name), layer)
    la.frames.remove(get_frame(la, frame))
    return describe_layer(la)


if not can_add_strokes():
    withdraw("gpencil.add_stroke", f"Blender {bpy.app.version_string}'s Python API cannot "
             "add annotation strokes (AnnotationFrame.strokes has no new())")
