"""pointcloud.*: point clouds as binary arrays (docs/protocol.md §5, §11 pointcloud).

A point cloud is points with positions, radii and generic attributes on the ``POINT``
domain; they travel as ``mesh.*``'s arrays do (its helpers read and write them). The
attribute helpers here serve ``curves.*`` too, which adds the ``CURVE`` domain.

Blender's drift is decided once, in ``unavailable()``: every Blender since 3.4 reads point
clouds, but only one with ``PointCloud.resize`` (5.3 has it, 5.0 not) can give one points
from Python; elsewhere ``pointcloud.create`` is withdrawn and ``pointcloud.set`` writes
in place only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import bpy

from ..registry import (NAME, CommandError, about, arg, check_memory, command, invalid,
                        not_found, withdraw)
from .mesh import (TYPES, _check_name, _has_type, _Plan, _view, _write,
                   read_planned)

PARTS = ("positions", "radius")
RESERVED = {"position": "positions", "radius": "radius"}  # attributes with an argument


def functions(type_name: str) -> Any:
    """The RNA functions of ``bpy.types.<type_name>`` (empty if this Blender lacks it)."""
    kind = getattr(bpy.types, type_name, None)
    return () if kind is None else kind.bl_rna.functions


def unavailable() -> dict[str, str]:
    """The pointcloud commands this Blender cannot offer, and why."""
    if getattr(bpy.data, "pointclouds", None) is None:
        reason = f"Blender {bpy.app.version_string} has no point clouds"
        return {c: reason for c in ("pointcloud.get", "pointcloud.create", "pointcloud.set")}
    if "resize" not in functions("PointCloud"):
        return {"pointcloud.create": f"Blender {bpy.app.version_string}'s Python API cannot "
                "give a point cloud points (PointCloud has no resize())"}
    return {}


# --- shared with curves.* ------------------------------------------------------------------

def source(kind: str, collection: Any, object_type: str, obj_name: str | None,
           data_name: str | None, evaluated: bool) -> tuple[Any, Any]:
    """(datablock, object or None): the named datablock, or the object's data (evaluated,
    with its modifiers, when ``evaluated``)."""
    if (obj_name is None) == (data_name is None):
        raise invalid(f"give exactly one of object and {kind}", arg="object")
    if data_name is not None:
        if evaluated:
            raise invalid("evaluated needs an object (modifiers belong to objects)",
                          arg="evaluated")
        data = collection.get(data_name)
        if data is None:
            raise not_found(kind, data_name)
        return data, None
    obj = bpy.data.objects.get(obj_name)
    if obj is None:
        raise not_found("object", obj_name)
    if obj.type != object_type:
        raise invalid(f"object {obj.name!r} is a {obj.type}, not a {object_type}", arg="object",
                      type=obj.type)
    if evaluated:
        return obj.evaluated_get(bpy.context.evaluated_depsgraph_get()).data, obj
    return obj.data, obj


def check_include(include: list[str], parts: tuple[str, ...]) -> set[str]:
    unknown = [p for p in include if p not in parts]
    if unknown:
        raise invalid(f"include takes {', '.join(parts)}", arg="include", choices=list(parts),
                      given=unknown[:4])
    return set(include)


def check_attributes(attributes: dict[str, Any] | None, sizes: dict[str, int],
                     reserved: dict[str, str]) -> dict[str, tuple[str, str, Any]]:
    """``{name: (domain, data_type, typed view)}`` of the request's attributes, each checked
    against the element count of its domain (``sizes``: domain -> count)."""
    out = {}
    for name, spec in (attributes or {}).items():
        _check_name("attributes", name)
        if name in reserved:
            raise invalid(f"attributes[{name}]: give it as {reserved[name]}", arg="attributes",
                          name=name, use=reserved[name])
        if not isinstance(spec, dict) or spec.get("domain") not in sizes or \
                spec.get("data_type") not in TYPES or not _has_type(spec["data_type"]):
            types = [t for t in TYPES if _has_type(t)]
            raise invalid(f"attributes[{name}] needs domain (one of {', '.join(sizes)}) and "
                          f"data_type (one of {', '.join(types)})", arg="attributes",
                          name=name, domains=list(sizes), data_types=types)
        dtype, tail, _ = TYPES[spec["data_type"]]
        out[name] = (spec["domain"], spec["data_type"],
                     _view(f"attributes[{name}]", spec, dtype, tail, sizes[spec["domain"]]))
    return out


def check_existing(data: Any, attrs: dict[str, tuple[str, str, Any]]) -> None:
    """In-place writes change no attribute's kind: one that exists as another domain or
    type is refused (a new topology replaces them all)."""
    for name, (domain, data_type, _) in attrs.items():
        attr = data.attributes.get(name)
        if attr is not None and (attr.domain, attr.data_type) != (domain, data_type):
            raise invalid(f"attribute {name!r} is {attr.domain} {attr.data_type}; written in "
                          "place it keeps that", arg="attributes", name=name,
                          domain=attr.domain, data_type=attr.data_type)


def make_attributes(data: Any, attrs: dict[str, tuple[str, str, Any]]) -> None:
    """Makes the missing attributes, before anything is written: all, or none (Blender
    refusing one removes those made here)."""
    made: list[str] = []
    try:
        for name, (domain, data_type, _) in attrs.items():
            if data.attributes.get(name) is None:
                attr = data.attributes.new(name, data_type, domain)
                if attr is None:  # 3.4: a built-in name of another type
                    raise invalid(f"Blender refuses {name!r} as {domain} {data_type}",
                                  arg="attributes", name=name)
                made.append(attr.name)
                if attr.name != name:
                    raise invalid(f"Blender keeps the name {name!r} for its own attribute",
                                  arg="attributes", name=name)
    except (RuntimeError, CommandError) as e:
        for name in made:
            data.attributes.remove(data.attributes[name])
        if isinstance(e, CommandError):
            raise
        raise invalid(f"Blender refused an attribute: {e}".strip(), arg="attributes") from None


def write_attributes(data: Any, attrs: dict[str, tuple[str, str, Any]]) -> None:
    """Writes each attribute, looked up anew (adding layers moves the others)."""
    for name, (_, data_type, view) in attrs.items():
        dtype, _, field_ = TYPES[data_type]
        _write(data.attributes[name].data, field_, dtype, view)


def replace(old: Any, new: Any, collection: Any) -> None:
    """``new`` takes ``old``'s place for every user, with its name, materials and custom
    properties."""
    name = old.name
    for material in old.materials:
        new.materials.append(material)
    for key in old.keys():
        new[key] = old[key]
    old.user_remap(new)
    collection.remove(old)
    new.name = name


def link_object(object: str | None, data: Any, collection: str | None) -> Any:
    from .object import ensure_collection

    if object is None:
        return None
    obj = bpy.data.objects.new(object, data)
    ensure_collection(collection).objects.link(obj)
    return obj


def refuse_taken_object(object: str | None) -> None:
    if object is not None and bpy.data.objects.get(object) is not None:
        raise invalid(f"an object named {object!r} exists", arg="object")


# --- pointcloud.* --------------------------------------------------------------------------

@dataclass
class _Points:
    """Checked input: typed views of the request's arrays."""

    positions: Any = None
    radius: Any = None
    attributes: dict[str, tuple[str, str, Any]] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        views = [self.positions, self.radius, *(a[2] for a in self.attributes.values())]
        return sum(len(v) * v.itemsize for v in views if v is not None)


def _check(positions, radius, attributes, points: int | None) -> _Points:
    """The input, checked; ``points`` is the cloud's count when written in place."""
    g = _Points()
    if positions is not None:
        g.positions = _view("positions", positions, "f4", (3,), points)
        points = len(g.positions) // 3
    if points is None:
        raise invalid("a new point cloud needs positions", arg="positions")
    if radius is not None:
        g.radius = _view("radius", radius, "f4", (), points)
    g.attributes = check_attributes(attributes, {"POINT": points}, RESERVED)
    return g


def _fill(cloud: Any, g: _Points) -> None:
    make_attributes(cloud, g.attributes)  # first: the one step Blender may refuse
    if g.positions is not None:
        cloud.points.foreach_set("co", g.positions)
    if g.radius is not None:
        cloud.points.foreach_set("radius", g.radius)
    write_attributes(cloud, g.attributes)
    cloud.update_tag()


def _build(name: str, g: _Points) -> Any:
    """A new point cloud holding ``g``; removed again if Blender refuses any of it."""
    check_memory(2 * g.nbytes, "the new point cloud")
    cloud = bpy.data.pointclouds.new(name)
    try:
        cloud.resize(len(g.positions) // 3)
        _fill(cloud, g)
    except Exception:
        bpy.data.pointclouds.remove(cloud)
        raise
    return cloud


def _describe(cloud: Any, obj: Any = None) -> dict[str, Any]:
    return {"pointcloud": cloud.name, "object": obj.name if obj is not None else None,
            "counts": {"points": len(cloud.points)}}


@command("pointcloud.get", object=arg(str, default=None, **NAME),
         pointcloud=arg(str, default=None, **NAME),
         include=arg(list, default=["positions"], items=str, max_items=len(PARTS)),
         attributes=arg(list, default=[], items=str), evaluated=arg(bool, default=False))
@about("{pointcloud, object, evaluated, counts: {points}, arrays: {positions: array f4 "
       "[points, 3], radius: array f4 [points]}, attributes: {name: {domain, data_type, dtype, "
       "shape, data}}}", errors=("NOT_FOUND", "TOO_LARGE"))
def get(object, pointcloud, include: list[str], attributes: list[str], evaluated: bool):
    """A point cloud's points as arrays: of a point cloud datablock, or of a point cloud
    object (with its modifiers applied when ``evaluated``). ``include`` picks
    ``positions`` and ``radius``, ``attributes`` generic attributes by name; ``TOO_LARGE``
    before any is read if they would not fit the memory budget or the reply."""
    wanted = check_include(include, PARTS)
    cloud, obj = source("pointcloud", bpy.data.pointclouds, "POINTCLOUD", object, pointcloud,
                        evaluated)
    points = len(cloud.points)
    plan = _Plan()
    if "positions" in wanted:
        plan.add("positions", cloud.points, "co", "f4", [points, 3])
    if "radius" in wanted:
        plan.add("radius", cloud.points, "radius", "f4", [points])
    arrays, attrs, _ = read_planned(plan, cloud, attributes)
    return {"pointcloud": obj.data.name if obj is not None else cloud.name,
            "object": obj.name if obj is not None else None, "evaluated": evaluated,
            "counts": {"points": points}, "arrays": arrays, "attributes": attrs}


_POINTS = {"positions": arg(dict, default=None), "radius": arg(dict, default=None),
           "attributes": arg(dict, default=None)}


@command("pointcloud.create", name=arg(str, **NAME), **dict(_POINTS, positions=arg(dict)),
         object=arg(str, default=None, **NAME), collection=arg(str, default=None, **NAME))
@about("{pointcloud, object, counts: {points}}", errors=("TOO_LARGE",))
def create(name: str, positions, radius, attributes, object, collection):
    """A new point cloud from arrays: ``positions`` f4 [n, 3]; ``radius`` f4 [n];
    ``attributes`` {name: {domain: POINT, data_type, dtype, shape, data}}. With
    ``object``, an object using it is linked into ``collection`` (default: the scene's;
    made if missing)."""
    refuse_taken_object(object)
    g = _check(positions, radius, attributes, None)
    cloud = _build(name, g)
    return _describe(cloud, link_object(object, cloud, collection))


@command("pointcloud.set", name=arg(str, **NAME), **_POINTS)
@about("{pointcloud, object: nil, counts: {points}}", errors=("NOT_FOUND", "TOO_LARGE"))
def set_(name: str, positions, radius, attributes):
    """Changes a point cloud. ``positions`` of another count make a new cloud (as
    ``pointcloud.create``; other attributes are not kept) that replaces this one for
    every user, keeping its name, materials and custom properties: only where
    ``pointcloud.create`` is offered, else ``INVALID_ARGUMENT``. Otherwise the arrays
    are written in place and must match the cloud's count."""
    cloud = bpy.data.pointclouds.get(name)
    if cloud is None:
        raise not_found("pointcloud", name)
    points = len(cloud.points)
    if isinstance(positions, dict) and isinstance(positions.get("shape"), list) and \
            positions["shape"][:1] != [points]:
        reason = unavailable().get("pointcloud.create")
        if reason is not None:
            raise invalid(f"positions must have shape [{points}, 3]: {reason}",
                          arg="positions", shape=[points, 3], reason=reason)
        g = _check(positions, radius, attributes, None)
        new = _build(name + ".new", g)
        replace(cloud, new, bpy.data.pointclouds)
        return _describe(new)
    g = _check(positions, radius, attributes, points)
    check_existing(cloud, g.attributes)
    _fill(cloud, g)
    return _describe(cloud)


for _name, _reason in unavailable().items():
    withdraw(_name, _reason)
