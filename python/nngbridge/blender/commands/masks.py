"""mask.*: masks, layers, splines of points with handles, keyframed layer visibility,
bounds in clip pixels.

Mask space is Blender's: normalized to the frame, with the shorter side's axis scaled
about 0.5 by the aspect ratio. A mask made for a clip (or given a ``size``) remembers that
frame size, so points and bounds can be given in pixels, which is what clients measure in.
Blender exposes no Python API for mask shape keys, so a mask is animated in one of two ways
that need no editor: its points keyframed as F-curves on the mask (``mask.key_spline``: the
spline moves, one layer), or one layer per pose with its visibility keyframed
(``mask.add_layer`` with ``visible_frames``).
"""

from __future__ import annotations

import math
from typing import Any

import bpy

from .. import rna
from ..registry import FRAME, NAME, arg, command, invalid, not_found
from .anim import fcurve
from .clips import get_clip

SIZE_KEY = "nngbridge_frame_size"
HANDLE_TYPES = ("AUTO", "VECTOR", "ALIGNED", "ALIGNED_DOUBLESIDE", "FREE")
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


class Space:
    """Converts between pixels and mask space for one frame size
    (BKE_mask_coord_from_frame / BKE_mask_coord_to_frame)."""

    def __init__(self, mask: bpy.types.Mask, space: str) -> None:
        self.size = frame_size(mask)
        if space == "pixels" and self.size is None:
            raise invalid(f"mask {mask.name} has no frame size (create it with clip or "
                          "size) so pixels cannot be used; pass space: 'normalized'",
                          arg="space")
        self.pixels = space == "pixels"

    def to_mask(self, xy: list[float]) -> tuple[float, float]:
        if not self.pixels or self.size is None:
            return xy[0], xy[1]
        w, h = self.size
        x, y = xy[0] / w, xy[1] / h
        if w > h:
            y = (y - 0.5) * (h / w) + 0.5
        elif w < h:
            x = (x - 0.5) * (w / h) + 0.5
        return x, y

    def from_mask(self, xy: Any) -> list[float]:
        x, y = float(xy[0]), float(xy[1])
        if not self.pixels or self.size is None:
            return [x, y]
        w, h = self.size
        if w > h:
            y = (y - 0.5) * (w / h) + 0.5
        elif w < h:
            x = (x - 0.5) * (h / w) + 0.5
        return [x * w, y * h]


def layer_fcurve(mask: bpy.types.Mask, layer: bpy.types.MaskLayer, prop: str,
                 index: int = 0) -> Any:
    return fcurve(mask, f'layers["{layer.name}"].{prop}', index)


POINT_PROPS = ("co", "handle_left", "handle_right")


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


def check_points(points: list, space: Space) -> list[dict[str, Any]]:
    """Validates spline points before anything is created."""
    if not points:
        raise invalid("a spline needs at least one point", arg="points")
    out = []
    for i, p in enumerate(points):
        if not isinstance(p, dict) or "co" not in p:
            raise invalid(f"points[{i}] must be a map with co", arg="points", index=i)
        unknown = set(p) - {"co", "handle_left", "handle_right", "handle_type",
                            "handle_left_type", "handle_right_type"}
        if unknown:
            raise invalid(f"points[{i}] has unknown keys {sorted(unknown)}", arg="points")
        q: dict[str, Any] = {}
        for key in ("co", "handle_left", "handle_right"):
            v = p.get(key)
            if v is None:
                continue
            if not (isinstance(v, list) and len(v) == 2 and all(
                    isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c)
                    for c in v)):
                raise invalid(f"points[{i}].{key} must be [x, y]", arg="points", index=i)
            q[key] = space.to_mask([float(c) for c in v])
        base = p.get("handle_type", "FREE" if "handle_left" in q or "handle_right" in q
                     else "AUTO")
        for side in ("handle_left_type", "handle_right_type"):
            kind = p.get(side, base)
            if not isinstance(kind, str) or kind.upper() not in HANDLE_TYPES:
                raise invalid(f"points[{i}].{side} must be one of {', '.join(HANDLE_TYPES)}",
                              arg="points", index=i)
            q[side] = kind.upper()
        out.append(q)
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
    shape_points(spline, points, cyclic)
    return spline


def key_visibility(mask: bpy.types.Mask, layer: bpy.types.MaskLayer, frame: int,
                   visible: bool) -> None:
    layer.hide = layer.hide_render = not visible
    layer.keyframe_insert("hide", frame=frame)
    layer.keyframe_insert("hide_render", frame=frame)


@command("mask.create", name=arg(str, **NAME), clip=arg(str, default=None, **NAME),
         size=arg(list, default=None, length=2))
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
def list_() -> dict[str, Any]:
    return {"masks": [{"name": m.name, "size": list(frame_size(m) or []) or None,
                       "layers": [la.name for la in m.layers]} for m in bpy.data.masks]}


@command("mask.layers", name=arg(str, **NAME), points=arg(bool, default=False),
         space=arg(str, default="pixels", choices=SPACES))
def layers(name: str, points: bool, space: str) -> dict[str, Any]:
    """The mask's layers (with their splines' points when ``points``)."""
    mask = get_mask(name)
    sp = Space(mask, space if frame_size(mask) else "normalized")
    return {"layers": [describe_layer(mask, la, sp, points) for la in mask.layers]}


@command("mask.add_layer", name=arg(str, **NAME), layer=arg(str, **NAME),
         visible_frames=arg(list, default=None, items=int, **FRAME))
def add_layer(name: str, layer: str, visible_frames) -> dict[str, Any]:
    """A new layer; with ``visible_frames`` it is keyed visible on exactly those frames
    (hidden on the frames around them): the way to animate a mask pose by pose."""
    mask = get_mask(name)
    if mask.layers.get(layer) is not None:
        raise invalid(f"mask {name} already has a layer {layer!r}", arg="layer")
    new = mask.layers.new(name=layer)
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
        raise
    return describe_layer(mask, new, Space(mask, "normalized"), False)


@command("mask.add_spline", name=arg(str, **NAME), layer=arg(str, **NAME), points=arg(list),
         cyclic=arg(bool, default=True), space=arg(str, default="pixels", choices=SPACES))
def add_spline(name: str, layer: str, points: list, cyclic: bool, space: str) -> dict[str, Any]:
    """A spline of ``points`` ({co, handle_left?, handle_right?, handle_type?}); handles
    default to AUTO, or FREE where given."""
    mask = get_mask(name)
    target = get_layer(mask, layer)
    sp = Space(mask, space)
    checked = check_points(points, sp)
    spline = build_spline(target, checked, cyclic)
    return {"layer": target.name, "spline": len(target.splines) - 1,
            "points": [describe_point(p, sp) for p in spline.points]}


@command("mask.key_spline", name=arg(str, **NAME), layer=arg(str, **NAME),
         frame=arg(int, **FRAME), points=arg(list),
         spline=arg(int, default=0), space=arg(str, default="pixels", choices=SPACES))
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
    sp = Space(mask, space)
    checked = check_points(points, sp)
    s = target.splines[spline]
    if len(checked) != len(s.points):
        raise invalid(f"spline {spline} has {len(s.points)} points, got {len(checked)}",
                      arg="points")
    shape_points(s, checked)
    base = f'layers["{target.name}"].'
    for i in range(len(s.points)):
        for prop in POINT_PROPS:
            if not mask.keyframe_insert(base + point_path(spline, i, prop), frame=frame):
                raise invalid(f"Blender refused to key {prop} of point {i}", arg="points")
    return {"layer": target.name, "spline": spline, "frame": frame,
            "points": [describe_point(p, sp) for p in s.points]}


@command("mask.layer_visibility_key", name=arg(str, **NAME), layer=arg(str, **NAME),
         frame=arg(int, **FRAME),
         visible=arg(bool))
def layer_visibility_key(name: str, layer: str, frame: int, visible: bool) -> dict[str, Any]:
    """Keys the layer's visibility (viewport and render) at ``frame``."""
    mask = get_mask(name)
    target = get_layer(mask, layer)
    key_visibility(mask, target, frame, visible)
    return describe_layer(mask, target, Space(mask, "normalized"), False)


@command("mask.layer_set", name=arg(str, **NAME), layer=arg(str, **NAME), properties=arg(dict))
def layer_set(name: str, layer: str, properties: dict) -> dict[str, Any]:
    """Sets layer properties (alpha, blend, invert, falloff, hide, ...)."""
    mask = get_mask(name)
    target = get_layer(mask, layer)
    rna.assign(target, properties)
    return describe_layer(mask, target, Space(mask, "normalized"), False)


def _bezier_extremes(p0: float, p1: float, p2: float, p3: float) -> list[float]:
    """Values of a cubic Bezier coordinate at its ends and interior extremes."""
    values = [p0, p3]
    a = -p0 + 3 * p1 - 3 * p2 + p3
    b = 2 * (p0 - 2 * p1 + p2)
    c = p1 - p0
    roots: list[float] = []
    if abs(a) < 1e-12:
        if abs(b) > 1e-12:
            roots.append(-c / b)
    else:
        disc = b * b - 4 * a * c
        if disc >= 0:
            r = disc ** 0.5
            roots += [(-b + r) / (2 * a), (-b - r) / (2 * a)]
    for t in roots:
        if 0 < t < 1:
            u = 1 - t
            values.append(u**3 * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t**3 * p3)
    return values


def spline_extent(mask: bpy.types.Mask, layer: bpy.types.MaskLayer, index: int,
                  frame: int | None) -> tuple[list[float], list[float]]:
    """The x and y extremes of spline ``index`` of ``layer``'s curve at ``frame``."""
    spline = layer.splines[index]
    pts = [{prop: point_at(mask, layer, index, i, p, prop, frame) for prop in POINT_PROPS}
           for i, p in enumerate(spline.points)]
    xs: list[float] = []
    ys: list[float] = []
    if len(pts) == 1:
        return [pts[0]["co"][0]], [pts[0]["co"][1]]
    pairs = list(zip(pts, pts[1:]))
    if spline.use_cyclic:
        pairs.append((pts[-1], pts[0]))
    for a, b in pairs:
        for axis, out in ((0, xs), (1, ys)):
            out += _bezier_extremes(a["co"][axis], a["handle_right"][axis],
                                    b["handle_left"][axis], b["co"][axis])
    return xs, ys


@command("mask.bounds", name=arg(str, **NAME), layer=arg(str, default=None, **NAME),
         frame=arg(int, default=None, **FRAME), space=arg(str, default="pixels", choices=SPACES))
def bounds(name: str, layer, frame, space: str) -> dict[str, Any]:
    """The box around the curves of one layer, or of every layer visible at ``frame``
    (default: the current visibility), in clip pixels by default. Keyframed points are
    evaluated at ``frame``."""
    mask = get_mask(name)
    sp = Space(mask, space)
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
def delete(name: str) -> dict[str, Any]:
    bpy.data.masks.remove(get_mask(name))
    return {"deleted": name}
