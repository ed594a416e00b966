"""curves.*: Blender's curves (the ``Curves`` datablock of hair and geometry nodes) as
binary arrays (docs/protocol.md §5, §11 curves).

Curves are points in runs: ``point_counts`` i4 [curves] (each at least 1) say how many of
``positions`` f4 [points, 3] each curve takes, in order; ``curve_offsets`` i4 [curves + 1]
are where each starts, as Blender stores them. ``curve_types`` i1 [curves] holds each
curve's type (``CURVE_TYPES``: 0 Catmull-Rom, 1 poly, 2 Bézier, 3 NURBS); Bézier handles,
``cyclic``, ``resolution``, ``tilt``, ``nurbs_weight`` and the like are generic attributes
on the ``POINT`` or ``CURVE`` domain. The arrays travel as ``mesh.*``'s do.

Blender's drift is decided once, in ``unavailable()``: every Blender since 3.4 reads
curves, but only one with ``Curves.add_curves`` and ``set_types`` (5.0 has them, 3.4 not)
builds them from Python; elsewhere ``curves.create`` is withdrawn and ``curves.set``
writes in place only.

Legacy ``Curve`` data (``bpy.data.curves``: splines of Bézier or NURBS points) is not
served: it has no flat arrays, only one collection per spline.
"""

from __future__ import annotations

import array
from dataclasses import dataclass, field
from typing import Any

import bpy

from ..registry import NAME, about, arg, check_memory, command, invalid, not_found, withdraw
from .mesh import _Plan, _bounds, _total, _view, read_planned
from .pointcloud import (check_attributes, check_existing, check_include, functions,
                         link_object, make_attributes, refuse_taken_object, replace,
                         source, write_attributes)

try:  # as in mesh.py
    import numpy
except ImportError:
    numpy = None

PARTS = ("positions", "curves", "radius", "types")
CURVE_TYPES = ("CATMULL_ROM", "POLY", "BEZIER", "NURBS")  # curve_types' values, by index
RESERVED = {"position": "positions", "radius": "radius", "curve_type": "curve_types"}
DOMAINS = ("POINT", "CURVE")


def unavailable() -> dict[str, str]:
    """The curves commands this Blender cannot offer, and why."""
    if getattr(bpy.data, "hair_curves", None) is None:
        reason = f"Blender {bpy.app.version_string} has no curves"
        return {c: reason for c in ("curves.get", "curves.create", "curves.set")}
    have = functions("Curves")
    if "add_curves" not in have or "set_types" not in have:
        return {"curves.create": f"Blender {bpy.app.version_string}'s Python API cannot "
                "build curves (Curves has no add_curves() and set_types())"}
    return {}


def _counts(offsets: Any) -> Any:
    """``point_counts`` from ``curve_offsets``."""
    if numpy is not None:
        return numpy.diff(offsets).astype(numpy.int32)
    return array.array("i", (offsets[i + 1] - offsets[i] for i in range(len(offsets) - 1)))


def _describe(curves: Any, obj: Any = None) -> dict[str, Any]:
    return {"curves": curves.name, "object": obj.name if obj is not None else None,
            "counts": {"curves": len(curves.curves), "points": len(curves.points)}}


@command("curves.get", object=arg(str, default=None, **NAME),
         curves=arg(str, default=None, **NAME),
         include=arg(list, default=["positions", "curves"], items=str, max_items=len(PARTS)),
         attributes=arg(list, default=[], items=str), evaluated=arg(bool, default=False))
@about("{curves, object, evaluated, counts: {curves, points}, arrays: {positions: array f4 "
       "[points, 3], curve_offsets: array i4 [curves + 1], point_counts: array i4 [curves], "
       "radius: array f4 [points], curve_types: array i1 [curves]}, attributes: {name: "
       "{domain, data_type, dtype, shape, data}}}", errors=("NOT_FOUND", "TOO_LARGE"))
def get(object, curves, include: list[str], attributes: list[str], evaluated: bool):
    """A curves datablock's geometry as arrays: of the datablock (``curves``), or of a
    curves object (with its modifiers applied when ``evaluated``). ``include`` picks
    ``positions``, ``curves`` (``curve_offsets`` and ``point_counts``), ``radius`` and
    ``types`` (``curve_types``: 0 CATMULL_ROM, 1 POLY, 2 BEZIER, 3 NURBS); ``attributes``
    generic attributes by name (Bézier handles, ``cyclic``, ...); ``TOO_LARGE`` before
    any is read if they would not fit the memory budget or the reply."""
    wanted = check_include(include, PARTS)
    data, obj = source("curves", bpy.data.hair_curves, "CURVES", object, curves, evaluated)
    ncurves, npoints = len(data.curves), len(data.points)
    plan = _Plan()
    if "positions" in wanted:
        plan.add("positions", data.position_data, "vector", "f4", [npoints, 3])
    # Without curves, 5.x stores no offsets (though len() says 1): [0] is made here.
    stored_offsets = "curves" in wanted and ncurves > 0
    if stored_offsets:
        plan.add("curve_offsets", data.curve_offset_data, "value", "i4", [ncurves + 1])
    if "curves" in wanted:  # point_counts, derived
        plan.nbytes += 4 * ncurves + (0 if stored_offsets else 4)
    if "radius" in wanted:
        plan.add("radius", data.points, "radius", "f4", [npoints])
    stored_types = data.attributes.get("curve_type") if "types" in wanted else None
    if stored_types is not None:
        plan.add("curve_types", stored_types.data, "value", "i1", [ncurves])
    elif "types" in wanted:  # no curve_type attribute: all Catmull-Rom
        plan.nbytes += ncurves
    arrays, attrs, _ = read_planned(plan, data, attributes)
    if "curves" in wanted:
        zero = numpy.zeros(1, "<i4") if numpy is not None else array.array("i", [0])
        arrays.setdefault("curve_offsets", {"dtype": "i4", "shape": [1], "data": zero})
        arrays["point_counts"] = {"dtype": "i4", "shape": [ncurves],
                                  "data": _counts(arrays["curve_offsets"]["data"])}
    if "types" in wanted and stored_types is None:
        arrays["curve_types"] = {"dtype": "i1", "shape": [ncurves],
                                 "data": bytes(ncurves)}
    return {**_describe(obj.data if obj is not None else data, obj), "evaluated": evaluated,
            "counts": {"curves": ncurves, "points": npoints}, "arrays": arrays,
            "attributes": attrs}


@dataclass
class _Input:
    """Checked input: typed views of the request's arrays."""

    positions: Any = None
    point_counts: Any = None
    radius: Any = None
    curve_types: Any = None
    attributes: dict[str, tuple[str, str, Any]] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        views = [self.positions, self.point_counts, self.radius, self.curve_types,
                 *(a[2] for a in self.attributes.values())]
        return sum(len(v) * v.itemsize for v in views if v is not None)


def _check(positions, point_counts, radius, curve_types, attributes,
           counts: tuple[int, int] | None) -> _Input:
    """The input, checked; ``counts`` (curves, points) are the datablock's when written
    in place."""
    g = _Input()
    if counts is None:
        if positions is None or point_counts is None:
            raise invalid("new curves need positions and point_counts",
                          arg="positions" if positions is None else "point_counts")
        g.positions = _view("positions", positions, "f4", (3,))
        g.point_counts = _view("point_counts", point_counts, "i4", ())
        low, _ = _bounds(g.point_counts)
        if len(g.point_counts) and low < 1:
            first = int(numpy.argmax(g.point_counts < 1)) if numpy is not None else \
                list(g.point_counts).index(low)
            raise invalid(f"curve {first} has {low} points; a curve needs at least 1",
                          arg="point_counts", curve=first, points=low)
        total, points = _total(g.point_counts), len(g.positions) // 3
        if total != points:
            raise invalid(f"point_counts add up to {total} but positions has {points} points",
                          arg="point_counts", expected=points, given=total)
        counts = (len(g.point_counts), points)
    elif positions is not None:
        g.positions = _view("positions", positions, "f4", (3,), counts[1])
    ncurves, npoints = counts
    if radius is not None:
        g.radius = _view("radius", radius, "f4", (), npoints)
    if curve_types is not None:
        g.curve_types = _view("curve_types", curve_types, "i1", (), ncurves)
        low, high = _bounds(g.curve_types)
        if len(g.curve_types) and (low < 0 or high >= len(CURVE_TYPES)):
            raise invalid(f"curve_types are 0..{len(CURVE_TYPES) - 1} "
                          f"({', '.join(CURVE_TYPES)})", arg="curve_types", minimum=low,
                          maximum=high, choices=list(CURVE_TYPES))
    g.attributes = check_attributes(attributes, {"POINT": npoints, "CURVE": ncurves}, RESERVED)
    return g


def _set_types(curves: Any, types: Any) -> None:
    """``set_types`` once per type present, with the indices of its curves."""
    if numpy is not None:
        for t in numpy.unique(types):
            indices = numpy.flatnonzero(types == t)
            if len(indices) == len(types):
                curves.set_types(type=CURVE_TYPES[int(t)])
            else:
                curves.set_types(type=CURVE_TYPES[int(t)], indices=indices.tolist())
        return
    for t in sorted(set(types)):
        curves.set_types(type=CURVE_TYPES[t], indices=[i for i, v in enumerate(types) if v == t])


def _fill(curves: Any, g: _Input) -> None:
    make_attributes(curves, g.attributes)  # first: the one step Blender may refuse
    if g.curve_types is not None:  # before the arrays: Bézier curves get handle attributes
        _set_types(curves, g.curve_types)
    if g.positions is not None:
        curves.position_data.foreach_set("vector", g.positions)
    if g.radius is not None:
        curves.points.foreach_set("radius", g.radius)
    write_attributes(curves, g.attributes)
    curves.update_tag()


def _build(name: str, g: _Input) -> Any:
    """New curves holding ``g``; removed again if Blender refuses any of it."""
    check_memory(2 * g.nbytes, "the new curves")
    curves = bpy.data.hair_curves.new(name)
    try:
        if len(g.point_counts):
            sizes = g.point_counts.tolist() if numpy is not None else list(g.point_counts)
            curves.add_curves(sizes)
        _fill(curves, g)
    except Exception:
        bpy.data.hair_curves.remove(curves)
        raise
    return curves


_GEOMETRY = {"positions": arg(dict, default=None), "point_counts": arg(dict, default=None),
             "radius": arg(dict, default=None), "curve_types": arg(dict, default=None),
             "attributes": arg(dict, default=None)}


@command("curves.create", name=arg(str, **NAME),
         **dict(_GEOMETRY, positions=arg(dict), point_counts=arg(dict)),
         object=arg(str, default=None, **NAME), collection=arg(str, default=None, **NAME))
@about("{curves, object, counts: {curves, points}}", errors=("TOO_LARGE",))
def create(name: str, positions, point_counts, radius, curve_types, attributes, object,
           collection):
    """New curves from arrays: ``positions`` f4 [points, 3]; ``point_counts`` i4 [curves]
    (each at least 1, adding up to the points); ``radius`` f4 [points]; ``curve_types``
    i1 [curves] (default: all 0, CATMULL_ROM); ``attributes`` {name: {domain: POINT or
    CURVE, data_type, dtype, shape, data}}. With ``object``, an object using them is
    linked into ``collection`` (default: the scene's; made if missing)."""
    refuse_taken_object(object)
    g = _check(positions, point_counts, radius, curve_types, attributes, None)
    curves = _build(name, g)
    return _describe(curves, link_object(object, curves, collection))


@command("curves.set", name=arg(str, **NAME), **_GEOMETRY)
@about("{curves, object: nil, counts: {curves, points}}", errors=("NOT_FOUND", "TOO_LARGE"))
def set_(name: str, positions, point_counts, radius, curve_types, attributes):
    """Changes curves. With ``point_counts``, new curves (as ``curves.create``; other
    attributes are not kept) that replace these for every user, keeping their name,
    materials, surface and custom properties: only where ``curves.create`` is offered,
    else ``INVALID_ARGUMENT``. Otherwise the arrays are written in place and must match
    the counts; ``curve_types`` then needs ``curves.create`` too."""
    curves = bpy.data.hair_curves.get(name)
    if curves is None:
        raise not_found("curves", name)
    reason = unavailable().get("curves.create")
    needs = "point_counts" if point_counts is not None else \
        "curve_types" if curve_types is not None else None
    if reason is not None and needs is not None:
        raise invalid(f"{needs}: {reason}", arg=needs, reason=reason)
    if point_counts is None:
        g = _check(positions, None, radius, curve_types, attributes,
                   (len(curves.curves), len(curves.points)))
        check_existing(curves, g.attributes)
        _fill(curves, g)
        return _describe(curves)
    g = _check(positions, point_counts, radius, curve_types, attributes, None)
    new = _build(name + ".new", g)
    new.surface, new.surface_uv_map = curves.surface, curves.surface_uv_map
    replace(curves, new, bpy.data.hair_curves)
    return _describe(new)


for _name, _reason in unavailable().items():
    withdraw(_name, _reason)
