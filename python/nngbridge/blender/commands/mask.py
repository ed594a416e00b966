"""mask.*: masks, layers, splines of points with handles, keyframed layer visibility,
bounds in clip pixels.

A mask made for a clip (or given a ``size``) remembers that frame size, so points and
bounds can be given in pixels, which is what clients measure in (the conversion, the point
checks and the curve extents are ``mask_geometry``, which needs no Blender).
Blender exposes no Python API for mask shape keys, so a mask is animated in one of two ways
that need no editor: its points keyframed as F-curves on the mask (``mask.key_spline``: the
spline moves, one layer), or one layer per pose with its visibility keyframed
(``mask.add_layer`` with ``visible_frames``).
"""

from __future__ import annotations

from typing import Any

import bpy

from .. import rna
from ..mask_geometry import POINT_PROPS, Space, check_points, curve_extent
from ..registry import FRAME, NAME, about, arg, command, invalid, not_found, shape
from .anim import fcurve
from .clip import get_clip

SIZE_KEY = "nngbridge_frame_size"
SPACES = ("pixels", "normalized")


def get_mask(name: str) -> bpy.types.Mask:
    mask = bpy.data.masks.get(name)
    if mask is None:
        raise not_found("mask", name)
    return mask


def get_layer(mask: bpy.types.Mask, layer: str) -> bpy.types.MaskLayer:
    found = mask.layers.get(layer)
    if found is None:
        raise not_found("mask layer", layer)
    return found


def frame_size(mask: bpy.types.Mask) -> tuple[float, float] | None:
    size = mask.get(SIZE_KEY)
    return (float(size[0]), float(size[1])) if size is not None else None


def space_of(mask: bpy.types.Mask, space: str) -> Space:
    """Coordinates in ``space`` ("pixels" or "normalized") for ``mask``."""
    size = frame_size(mask)
    if space == "pixels" and size is None:
        raise invalid(f"mask {mask.name} has no frame size (create it with clip or "
                      "size) so pixels cannot be used; pass space: 'normalized'",
                      arg="space")
    return Space(size, space == "pixels")


def layer_fcurve(mask: bpy.types.Mask, layer: bpy.types.MaskLayer, prop: str,
                 index: int = 0) -> Any:
    return fcurve(mask, f'layers["{layer.name}"].{prop}', index)


def point_path(spline: int, point: int, prop: str) -> str:
    return f"splines[{spline}].points[{point}].{prop}"


def point_at(mask: bpy.types.Mask, layer: bpy.types.MaskLayer, spline: int, point: int,
             p: Any, prop: str, frame: int | None) -> tuple[float, float]:
    """A point's ``co``/handle at ``frame``: its keyframes evaluated where it has them
    (without changing the scene's frame), else its stored value."""
    value = getattr(p, prop)
    if frame is None:
        return float(value[0]), float(value[1])
    out = []
    for axis in (0, 1):
        curve = layer_fcurve(mask, layer, point_path(spline, point, prop), axis)
        out.append(curve.evaluate(frame) if curve is not None else float(value[axis]))
    return out[0], out[1]


def layer_hidden_at(mask: bpy.types.Mask, layer: bpy.types.MaskLayer, frame: int | None) -> bool:
    """Whether ``layer`` is hidden at ``frame``, evaluating its keyframes (without
    changing the scene's frame)."""
    curve = layer_fcurve(mask, layer, "hide") if frame is not None else None
    if curve is None:
        return bool(layer.hide)
    return curve.evaluate(frame) >= 0.5


def describe_point(p: Any, space: Space) -> dict[str, Any]:
    return {"co": space.from_mask(p.co), "handle_left": space.from_mask(p.handle_left),
            "handle_right": space.from_mask(p.handle_right),
            "handle_left_type": p.handle_left_type, "handle_right_type": p.handle_right_type}


MASK_LAYER = shape(
    "mask_layer", "{name, hide: bool, splines: int, visibility_keys?: [[frame, visible]], "
    "spline_points?: [{cyclic: bool, points: [point]}]}")


def describe_layer(mask: bpy.types.Mask, layer: bpy.types.MaskLayer, space: Space,
                   points: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": layer.name, "hide": layer.hide, "splines": len(layer.splines)}
    curve = layer_fcurve(mask, layer, "hide")
    if curve is not None:
        out["visibility_keys"] = [[int(k.co[0]), k.co[1] < 0.5] for k in curve.keyframe_points]
    if points:
        out["spline_points"] = [
            {"cyclic": s.use_cyclic, "points": [describe_point(p, space) for p in s.points]}
            for s in layer.splines
        ]
    return out


def shape_points(spline: bpy.types.MaskSpline, points: list[dict[str, Any]],
                 cyclic: bool | None = None) -> None:
    """Puts checked ``points`` on ``spline`` (as many as it has): positions, then
    ``cyclic`` if given, then handle types, then explicit handles."""
    for p, q in zip(spline.points, points):
        p.co = q["co"]
    if cyclic is not None:
        spline.use_cyclic = cyclic
    # Handle types after all positions: setting them recomputes AUTO and VECTOR handles
    # from the neighbours, which must all be in place.
    for p, q in zip(spline.points, points):
        p.handle_left_type = q["handle_left_type"]
        p.handle_right_type = q["handle_right_type"]
    for p, q in zip(spline.points, points):
        if "handle_left" in q:
            p.handle_left = q["handle_left"]
        if "handle_right" in q:
            p.handle_right = q["handle_right"]


def build_spline(layer: bpy.types.MaskLayer, points: list[dict[str, Any]],
                 cyclic: bool) -> bpy.types.MaskSpline:
    spline = layer.splines.new()  # comes with one point
    spline.points.add(len(points) - 1)
    retag(layer.id_data)
    shape_points(spline, points, cyclic)
    return spline


def retag(mask: bpy.types.Mask) -> None:
    """Tags ``mask`` for re-evaluation after a layer or spline was added or removed.
    ``layers.new``/``splines.new`` do not, and the next frame change then evaluates a stale
    copy: a segfault in Blender 3.4 and 5.0 (tests/test_blender_background.py)."""
    mask.update_tag()


def key_visibility(mask: bpy.types.Mask, layer: bpy.types.MaskLayer, frame: int,
                   visible: bool) -> None:
    layer.hide = layer.hide_render = not visible
    layer.keyframe_insert("hide", frame=frame)
    layer.keyframe_insert("hide_render", frame=frame)


@command("mask.create", name=arg(str, **NAME), clip=arg(str, default=None, **NAME),
         size=arg(list, default=None, length=2))
@about("{name, size: [w, h]|nil}", errors=("NOT_FOUND",))
def create(name: str, clip, size) -> dict[str, Any]:
    """A new mask; ``clip`` (or ``size``: [w, h]) sets the frame size used for pixels."""
    if clip is not None:
        size = list(get_clip(clip).size)
    if size is not None and not all(v >= 1 for v in size):
        raise invalid("size must be positive", arg="size")
    mask = bpy.data.masks.new(name)
    if size is not None:
        mask[SIZE_KEY] = [float(v) for v in size]
    mask.frame_start = bpy.context.scene.frame_start
    mask.frame_end = bpy.context.scene.frame_end
    return {"name": mask.name, "size": size}


@command("mask.list")
@about("{masks: [{name, size: [w, h]|nil, layers: [name]}]}")
def list_() -> dict[str, Any]:
    return {"masks": [{"name": m.name, "size": list(frame_size(m) or []) or None,
                       "layers": [la.name for la in m.layers]} for m in bpy.data.masks]}


@command("mask.layers", name=arg(str, **NAME), points=arg(bool, default=False),
         space=arg(str, default="pixels", choices=SPACES))
@about("{layers: [layer]}", errors=("NOT_FOUND",))
def layers(name: str, points: bool, space: str) -> dict[str, Any]:
    """The mask's layers (with their splines' points when ``points``)."""
    mask = get_mask(name)
    sp = space_of(mask, space if frame_size(mask) else "normalized")
    return {"layers": [describe_layer(mask, la, sp, points) for la in mask.layers]}


@command("mask.add_layer", name=arg(str, **NAME), layer=arg(str, **NAME),
         visible_frames=arg(list, default=None, items=int, **FRAME))
@about(MASK_LAYER, errors=("NOT_FOUND",))
def add_layer(name: str, layer: str, visible_frames) -> dict[str, Any]:
    """A new layer; with ``visible_frames`` it is keyed visible on exactly those frames
    (hidden on the frames around them): the way to animate a mask pose by pose."""
    mask = get_mask(name)
    if mask.layers.get(layer) is not None:
        raise invalid(f"mask {name} already has a layer {layer!r}", arg="layer")
    new = mask.layers.new(name=layer)
    retag(mask)
    try:
        if visible_frames:
            frames = sorted(set(visible_frames))
            shown = set(frames)
            for f in frames:
                for g in (f - 1, f + 1):
                    if g not in shown:
                        key_visibility(mask, new, g, False)
                key_visibility(mask, new, f, True)
    except Exception:
        mask.layers.remove(new)  # nothing half-made stays behind
        retag(mask)
        raise
    return describe_layer(mask, new, space_of(mask, "normalized"), False)


@command("mask.add_spline", name=arg(str, **NAME), layer=arg(str, **NAME), points=arg(list),
         cyclic=arg(bool, default=True), space=arg(str, default="pixels", choices=SPACES))
@about("{layer, spline: int (index), points: [point]}", errors=("NOT_FOUND",))
def add_spline(name: str, layer: str, points: list, cyclic: bool, space: str) -> dict[str, Any]:
    """A spline of ``points`` ({co, handle_left?, handle_right?, handle_type?}); handles
    default to AUTO, or FREE where given."""
    mask = get_mask(name)
    target = get_layer(mask, layer)
    sp = space_of(mask, space)
    checked = check_points(points, sp)
    spline = build_spline(target, checked, cyclic)
    return {"layer": target.name, "spline": len(target.splines) - 1,
            "points": [describe_point(p, sp) for p in spline.points]}


def restore_points(spline: bpy.types.MaskSpline) -> Any:
    """How to put ``spline``'s points back as they are now: positions, then handles, then
    handle types (an AUTO or VECTOR type recomputes its handles from the restored
    positions, as it was computed before)."""
    saved = [(tuple(p.co), tuple(p.handle_left), tuple(p.handle_right), p.handle_left_type,
              p.handle_right_type) for p in spline.points]

    def undo() -> None:
        for p, (co, _, _, _, _) in zip(spline.points, saved):
            p.co = co
        for p, (_, left, right, _, _) in zip(spline.points, saved):
            p.handle_left, p.handle_right = left, right
        for p, (_, _, _, left_type, right_type) in zip(spline.points, saved):
            p.handle_left_type, p.handle_right_type = left_type, right_type
    return undo


def restore_keys(mask: bpy.types.Mask, path: str, frame: int) -> Any:
    """How to put the keys of ``path`` (both axes) at ``frame`` back as they are now: a
    key that was there gets its value back, one that was not is deleted."""
    had = {}
    for axis in (0, 1):
        fc = fcurve(mask, path, axis)
        key = None if fc is None else next(
            (k for k in fc.keyframe_points if k.co[0] == frame), None)
        had[axis] = None if key is None else key.co[1]

    def undo() -> None:
        for axis, value in had.items():
            if value is None:
                try:
                    mask.keyframe_delete(path, index=axis, frame=frame)
                except RuntimeError:  # never keyed: nothing to delete
                    pass
            else:
                fcurve(mask, path, axis).keyframe_points.insert(frame, value,
                                                                 options={"REPLACE"})
    return undo


@command("mask.key_spline", name=arg(str, **NAME), layer=arg(str, **NAME),
         frame=arg(int, **FRAME), points=arg(list),
         spline=arg(int, default=0), space=arg(str, default="pixels", choices=SPACES))
@about("{layer, spline, frame, points: [point]}", errors=("NOT_FOUND",))
def key_spline(name: str, layer: str, frame: int, points: list, spline: int,
               space: str) -> dict[str, Any]:
    """Moves spline ``spline``'s points to ``points`` (same count, same form as in
    ``mask.add_spline``) and keyframes their positions and handles at ``frame``: the way to
    animate a mask's shape on one layer. AUTO and VECTOR handles are recomputed from the
    new positions before they are keyed."""
    mask = get_mask(name)
    target = get_layer(mask, layer)
    if not 0 <= spline < len(target.splines):
        raise invalid(f"layer {target.name} has no spline {spline}", arg="spline")
    sp = space_of(mask, space)
    checked = check_points(points, sp)
    s = target.splines[spline]
    if len(checked) != len(s.points):
        raise invalid(f"spline {spline} has {len(s.points)} points, got {len(checked)}",
                      arg="points")
    base = f'layers["{target.name}"].'
    with rna.Changes() as c:
        c.done(restore_points(s))
        shape_points(s, checked)
        for i in range(len(s.points)):
            for prop in POINT_PROPS:
                path = base + point_path(spline, i, prop)
                c.done(restore_keys(mask, path, frame))
                try:
                    keyed, why = mask.keyframe_insert(path, frame=frame), ""
                except RuntimeError as e:  # a locked F-curve, say
                    keyed, why = False, f": {str(e).splitlines()[0]}"
                if not keyed:
                    raise invalid(f"Blender refused to key {prop} of point {i}{why}",
                                  arg="points")
    return {"layer": target.name, "spline": spline, "frame": frame,
            "points": [describe_point(p, sp) for p in s.points]}


@command("mask.layer_visibility_key", name=arg(str, **NAME), layer=arg(str, **NAME),
         frame=arg(int, **FRAME),
         visible=arg(bool))
@about(MASK_LAYER, errors=("NOT_FOUND",))
def layer_visibility_key(name: str, layer: str, frame: int, visible: bool) -> dict[str, Any]:
    """Keys the layer's visibility (viewport and render) at ``frame``."""
    mask = get_mask(name)
    target = get_layer(mask, layer)
    key_visibility(mask, target, frame, visible)
    return describe_layer(mask, target, space_of(mask, "normalized"), False)


@command("mask.layer_set", name=arg(str, **NAME), layer=arg(str, **NAME), properties=arg(dict))
@about(MASK_LAYER, errors=("NOT_FOUND",))
def layer_set(name: str, layer: str, properties: dict) -> dict[str, Any]:
    """Sets layer properties (alpha, blend, invert, falloff, hide, ...)."""
    mask = get_mask(name)
    target = get_layer(mask, layer)
    rna.assign(target, properties)
    return describe_layer(mask, target, space_of(mask, "normalized"), False)


def spline_extent(mask: bpy.types.Mask, layer: bpy.types.MaskLayer, index: int,
                  frame: int | None) -> tuple[list[float], list[float]]:
    """The x and y extremes of spline ``index`` of ``layer``'s curve at ``frame``."""
    spline = layer.splines[index]
    pts = [{prop: point_at(mask, layer, index, i, p, prop, frame) for prop in POINT_PROPS}
           for i, p in enumerate(spline.points)]
    return curve_extent(pts, spline.use_cyclic)


@command("mask.bounds", name=arg(str, **NAME), layer=arg(str, default=None, **NAME),
         frame=arg(int, default=None, **FRAME), space=arg(str, default="pixels", choices=SPACES))
@about("{min: [x, y], max: [x, y], layers: [name]}", errors=("NOT_FOUND",))
def bounds(name: str, layer, frame, space: str) -> dict[str, Any]:
    """The box around the curves of one layer, or of every layer visible at ``frame``
    (default: the current visibility), in clip pixels by default. Keyframed points are
    evaluated at ``frame``."""
    mask = get_mask(name)
    sp = space_of(mask, space)
    if layer is not None:
        chosen = [get_layer(mask, layer)]
    else:
        chosen = [la for la in mask.layers if not layer_hidden_at(mask, la, frame)]
    xs: list[float] = []
    ys: list[float] = []
    for la in chosen:
        for index in range(len(la.splines)):
            sx, sy = spline_extent(mask, la, index, frame)
            xs += sx
            ys += sy
    if not xs:
        raise not_found("visible spline in mask", name)
    lo = sp.from_mask((min(xs), min(ys)))
    hi = sp.from_mask((max(xs), max(ys)))
    return {"min": lo, "max": hi, "layers": [la.name for la in chosen]}


@command("mask.delete", name=arg(str, **NAME))
@about("{deleted: name}", errors=("NOT_FOUND",))
def delete(name: str) -> dict[str, Any]:
    bpy.data.masks.remove(get_mask(name))
    return {"deleted": name}
