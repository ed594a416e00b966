"""mesh.*: geometry as binary arrays (docs/protocol.md §5, §11 mesh).

``mesh.get`` reads positions, edges, polygons, normals, UV layers and attributes with
``foreach_get`` into arrays of their own dtype (numpy where Blender has it, else
``array.array``) that go into the reply as ``bin``; ``mesh.create``/``mesh.set`` give
``foreach_set`` typed views of the request's own bytes (no lists, no copy). Every array is
checked (dtype, shape, length, index ranges, polygon sizes) before anything is made, and
a new topology is built into a new mesh first, which then takes the old one's place: a
failed command changes nothing.

Blender's drift lives in ``_set_polygons`` (``loop_total`` is derived from 4.0),
``_corner_normals`` (``corner_normals`` from 4.1) and ``_bool_buffer`` (boolean
buffers).
"""

from __future__ import annotations

import array
from dataclasses import dataclass, field
from typing import Any

import bpy

from ..registry import (INT32, NAME, about, arg, check_memory, command, invalid, not_found,
                        reserve_reply)

try:  # Blender's official builds and the bpy wheels bundle numpy; Debian's uses the system's
    import numpy
except ImportError:
    numpy = None

DOMAINS = ("POINT", "EDGE", "FACE", "CORNER")
# data_type -> (dtype, per-element shape, foreach field)
TYPES: dict[str, tuple[str, tuple[int, ...], str]] = {
    "FLOAT": ("f4", (), "value"),
    "INT": ("i4", (), "value"),
    "INT8": ("i1", (), "value"),
    "BOOLEAN": ("u1", (), "value"),
    "FLOAT2": ("f4", (2,), "vector"),
    "FLOAT_VECTOR": ("f4", (3,), "vector"),
    "FLOAT_COLOR": ("f4", (4,), "color"),
    "BYTE_COLOR": ("f4", (4,), "color"),
    "INT32_2D": ("i4", (2,), "value"),
    "QUATERNION": ("f4", (4,), "value"),
    "FLOAT4X4": ("f4", (4, 4), "value"),
}
ITEMSIZE = {"f4": 4, "i4": 4, "i1": 1, "u1": 1}
FORMAT = {"f4": "f", "i4": "i", "i1": "b", "u1": "B"}  # array.array codes
NUMPY = {"f4": "<f4", "i4": "<i4", "i1": "i1", "u1": "u1"}
PARTS = ("positions", "edges", "polygons", "vertex_normals", "polygon_normals",
         "corner_normals", "uvs", "colors")
MAX_COUNT = INT32["maximum"]  # Blender counts elements in 32-bit ints


def _has_type(name: str) -> bool:
    """Whether this Blender's attributes have data type ``name`` (INT32_2D: 3.6,
    QUATERNION: 4.0, FLOAT4X4: 4.2)."""
    try:
        items = bpy.types.Attribute.bl_rna.properties["data_type"].enum_items
        return name in items.keys()
    except Exception:  # noqa: BLE001 - the catalogue's stand-in bpy: list them all
        return True


# --- reading -----------------------------------------------------------------------------

def _empty(dtype: str, count: int) -> Any:
    if numpy is not None:
        return numpy.empty(count, dtype=NUMPY[dtype])
    return array.array(FORMAT[dtype], bytes(count * ITEMSIZE[dtype]))


def _bool_buffer(count: int) -> Any:
    return numpy.empty(count, dtype=bool) if numpy is not None else array.array("b", bytes(count))


def _read(collection: Any, field_: str, dtype: str, count: int) -> Any:
    """``foreach_get`` of ``count`` values into a buffer of ``dtype``. Blender's int
    fields take int32 and booleans a bool buffer, so i1/u1 go through those."""
    if dtype in ("f4", "i4"):
        buf = _empty(dtype, count)
        collection.foreach_get(field_, buf)
        return buf
    if dtype == "u1":  # booleans
        flags = _bool_buffer(count)
        try:
            collection.foreach_get(field_, flags)
        except TypeError:  # a Blender that wants ints for booleans
            flags = _empty("i4", count)
            collection.foreach_get(field_, flags)
        return flags.astype(numpy.uint8) if numpy is not None else array.array("B", flags)
    wide = _empty("i4", count)
    collection.foreach_get(field_, wide)
    return wide.astype(numpy.int8) if numpy is not None else array.array("b", wide)


def _array(dtype: str, shape: list[int], data: Any) -> dict[str, Any]:
    return {"dtype": dtype, "shape": shape, "data": data}


@dataclass
class _Plan:
    """What ``mesh.get`` will read: (key, collection, field, dtype, shape), and the bytes."""

    reads: list[tuple[str, Any, str, str, list[int]]] = field(default_factory=list)
    nbytes: int = 0

    def add(self, key: str, collection: Any, field_: str, dtype: str, shape: list[int]) -> None:
        count = 1
        for n in shape:
            count *= n
        self.reads.append((key, collection, field_, dtype, shape))
        self.nbytes += count * ITEMSIZE[dtype]


def _attribute_plan(mesh: Any, name: str) -> tuple[Any, str, str, list[int], str, str]:
    attr = mesh.attributes.get(name)
    if attr is None:
        raise not_found("attribute", name)
    if attr.data_type not in TYPES:
        raise invalid(f"attribute {name!r} is {attr.data_type}, which has no array form",
                      arg="attributes", data_type=attr.data_type)
    dtype, tail, field_ = TYPES[attr.data_type]
    return attr.data, field_, dtype, [len(attr.data), *tail], attr.domain, attr.data_type


def _corner_normals(mesh: Any, plan: _Plan, count: int) -> Any:
    """Corner (split) normals: ``corner_normals`` from 4.1; before, computed into the
    loops by ``calc_normals_split`` (freed again after reading), which reallocates the
    corner layers: called before any layer (a UV map, an attribute) is looked up."""
    if hasattr(mesh, "corner_normals"):
        plan.add("corner_normals", mesh.corner_normals, "vector", "f4", [count, 3])
        return None
    check_memory(12 * count, "the corner normals")
    mesh.calc_normals_split()
    plan.add("corner_normals", mesh.loops, "normal", "f4", [count, 3])
    return mesh.free_normals_split


def _source(obj_name: str | None, mesh_name: str | None, evaluated: bool) -> tuple[Any, Any]:
    """(mesh, object or None); the object's evaluated mesh when ``evaluated``."""
    if (obj_name is None) == (mesh_name is None):
        raise invalid("give exactly one of object and mesh", arg="object")
    if mesh_name is not None:
        if evaluated:
            raise invalid("evaluated needs an object (modifiers belong to objects)",
                          arg="evaluated")
        mesh = bpy.data.meshes.get(mesh_name)
        if mesh is None:
            raise not_found("mesh", mesh_name)
        return mesh, None
    obj = bpy.data.objects.get(obj_name)
    if obj is None:
        raise not_found("object", obj_name)
    if obj.type != "MESH":
        raise invalid(f"object {obj.name!r} is a {obj.type}, not a MESH", arg="object",
                      type=obj.type)
    return obj.data, obj


@command("mesh.get", object=arg(str, default=None, **NAME), mesh=arg(str, default=None, **NAME),
         include=arg(list, default=["positions", "polygons"], items=str, max_items=len(PARTS)),
         attributes=arg(list, default=[], items=str), evaluated=arg(bool, default=False))
@about("{mesh, object, evaluated, counts: {vertices, edges, loops, polygons}, "
       "arrays: {name: array}, uv_layers: {name: array f4 [loops, 2]}, "
       "attributes: {name: {domain, data_type, dtype, shape, data}}}",
       errors=("NOT_FOUND", "TOO_LARGE"))
def get(object, mesh, include: list[str], attributes: list[str], evaluated: bool):
    """A mesh's geometry as arrays: of a mesh datablock, or of a mesh object (with its
    modifiers applied when ``evaluated``). ``include`` picks the parts, ``attributes``
    generic attributes by name; ``TOO_LARGE`` before any is read if they would not fit
    the memory budget or the reply."""
    unknown = [p for p in include if p not in PARTS]
    if unknown:
        raise invalid(f"include takes {', '.join(PARTS)}", arg="include", choices=list(PARTS),
                      given=unknown[:4])
    data, obj = _source(object, mesh, evaluated)
    evaluated_obj = None
    if evaluated:
        evaluated_obj = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
        data = evaluated_obj.to_mesh()
    cleanup = None
    try:
        counts = {"vertices": len(data.vertices), "edges": len(data.edges),
                  "loops": len(data.loops), "polygons": len(data.polygons)}
        v, e, nl, p = counts.values()
        plan = _Plan()
        wanted = set(include)
        if "corner_normals" in wanted:
            cleanup = _corner_normals(data, plan, nl)
        if "positions" in wanted:
            plan.add("positions", data.vertices, "co", "f4", [v, 3])
        if "edges" in wanted:
            plan.add("edges", data.edges, "vertices", "i4", [e, 2])
        if "polygons" in wanted:
            plan.add("loop_starts", data.polygons, "loop_start", "i4", [p])
            plan.add("loop_totals", data.polygons, "loop_total", "i4", [p])
            plan.add("loop_vertices", data.loops, "vertex_index", "i4", [nl])
        if "vertex_normals" in wanted:
            plan.add("vertex_normals", data.vertices, "normal", "f4", [v, 3])
        if "polygon_normals" in wanted:
            plan.add("polygon_normals", data.polygons, "normal", "f4", [p, 3])
        uv_names = [u.name for u in data.uv_layers] if "uvs" in wanted else []
        for name in uv_names:
            plan.add("uv:" + name, data.uv_layers[name].data, "uv", "f4", [nl, 2])
        names = list(attributes)
        if "colors" in wanted and hasattr(data, "color_attributes"):
            names += [c.name for c in data.color_attributes if c.name not in names]
        arrays, attrs, uvs = read_planned(plan, data, names, "the mesh arrays")
        return {"mesh": data.name if evaluated_obj is None else obj.data.name,
                "object": obj.name if obj is not None else None, "evaluated": evaluated,
                "counts": counts, "arrays": arrays, "uv_layers": uvs, "attributes": attrs}
    finally:
        if cleanup is not None:
            cleanup()
        if evaluated_obj is not None:
            evaluated_obj.to_mesh_clear()


# --- writing -----------------------------------------------------------------------------

def _view(argname: str, value: Any, dtype: str, tail: tuple[int, ...],
          count: int | None = None) -> Any:
    """A typed view of an array argument's bytes (§5), after checking its dtype, shape
    (``[n, *tail]``, ``n == count`` if given) and length."""
    if not isinstance(value, dict) or not isinstance(value.get("data"), (bytes, bytearray)):
        raise invalid(f"{argname} must be an array {{dtype, shape, data: bin}}", arg=argname)
    want_shape = ["n" if count is None else count, *tail]
    if value.get("dtype") != dtype:
        raise invalid(f"{argname} must have dtype {dtype}, not {value.get('dtype')!r}",
                      arg=argname, dtype=dtype, given=str(value.get("dtype"))[:16])
    shape = value.get("shape")
    if not isinstance(shape, list) or len(shape) != 1 + len(tail) or not all(
            type(s) is int and 0 <= s <= MAX_COUNT for s in shape) or \
            tuple(shape[1:]) != tail or (count is not None and shape[0] != count):
        raise invalid(f"{argname} must have shape {want_shape}", arg=argname, shape=want_shape,
                      given=shape if isinstance(shape, list) and len(shape) <= 4 else None)
    n = shape[0]
    for t in tail:
        n *= t
    if len(value["data"]) != n * ITEMSIZE[dtype]:
        raise invalid(f"{argname} has {len(value['data'])} bytes; shape {shape} of {dtype} "
                      f"is {n * ITEMSIZE[dtype]}", arg=argname, bytes=len(value["data"]),
                      expected=n * ITEMSIZE[dtype])
    if numpy is not None:  # foreach_set takes a numpy view of the bytes as they are
        return numpy.frombuffer(value["data"], dtype=NUMPY[dtype])
    return array.array(FORMAT[dtype], value["data"])  # (3.4 refuses a memoryview.cast)


def _bounds(view: Any) -> tuple[int, int]:
    if len(view) == 0:
        return 0, 0
    if numpy is not None:
        return int(view.min()), int(view.max())
    return min(view), max(view)


def _total(view: Any) -> int:
    if numpy is not None:
        return int(view.sum(dtype=numpy.int64))
    return sum(view)


@dataclass
class _Geometry:
    """Checked input: typed views of the request's arrays."""

    positions: Any = None
    edges: Any = None
    loop_totals: Any = None
    loop_vertices: Any = None
    uvs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, tuple[str, str, Any]] = field(default_factory=dict)
    corner_edges: Any = None  # each corner's edge (to its polygon's next corner)
    nbytes: int = 0

    @property
    def vertices(self) -> int:
        return len(self.positions) // 3

    @property
    def topology(self) -> bool:
        return self.loop_totals is not None or self.edges is not None


def _check_indices(argname: str, view: Any, vertices: int) -> None:
    low, high = _bounds(view)
    if len(view) and (low < 0 or high >= vertices):
        raise invalid(f"{argname} holds vertex indices outside 0..{vertices - 1}", arg=argname,
                      minimum=low, maximum=high, vertices=vertices)


def _corner_edges(g: _Geometry) -> Any:
    """Each corner's index in ``edges`` (the edge to the next corner of its polygon);
    ``INVALID_ARGUMENT`` naming the first polygon side that no edge covers."""
    v = g.vertices
    pairs = g.edges.reshape(-1, 2).astype(numpy.int64)
    keys = pairs.min(axis=1) * v + pairs.max(axis=1)
    order = numpy.argsort(keys, kind="stable")
    known = keys[order]
    corners = g.loop_vertices.astype(numpy.int64)
    ends = numpy.cumsum(g.loop_totals, dtype=numpy.int64)
    following = numpy.arange(1, len(corners) + 1)
    following[ends - 1] = ends - g.loop_totals  # a polygon's last corner: back to its first
    nxt = corners[following]
    wanted = numpy.minimum(corners, nxt) * v + numpy.maximum(corners, nxt)
    at = numpy.minimum(numpy.searchsorted(known, wanted), max(len(known) - 1, 0))
    missing = numpy.flatnonzero(known[at] != wanted) if len(known) else \
        numpy.arange(len(wanted))
    if len(missing):
        i = int(missing[0])
        side = [int(corners[i]), int(nxt[i])]
        raise invalid(f"polygon side {side} (corner {i}) is not in edges", arg="edges",
                      corner=i, vertices=side)
    return order[at].astype(numpy.int32)


def _check(positions, edges, loop_totals, loop_vertices, uv_layers, attributes,
           counts: dict[str, int] | None = None) -> _Geometry:
    """Everything about the input that can be checked before Blender sees it; ``counts``
    are the existing mesh's when its topology is kept."""
    g = _Geometry()
    if positions is not None:
        g.positions = _view("positions", positions, "f4", (3,),
                            None if counts is None else counts["vertices"])
    if (loop_totals is None) != (loop_vertices is None):
        raise invalid("loop_totals and loop_vertices go together", arg="loop_totals")
    if counts is None and g.positions is None:
        raise invalid("a new topology needs positions", arg="positions")
    if edges is not None:
        g.edges = _view("edges", edges, "i4", (2,))
        _check_indices("edges", g.edges, g.vertices)
        if len(g.edges) and numpy is not None:
            pairs = g.edges.reshape(-1, 2)
            loops = numpy.flatnonzero(pairs[:, 0] == pairs[:, 1])
            if len(loops):
                raise invalid(f"edge {int(loops[0])} joins a vertex to itself", arg="edges",
                              edge=int(loops[0]))
    if loop_totals is not None:
        g.loop_totals = _view("loop_totals", loop_totals, "i4", ())
        g.loop_vertices = _view("loop_vertices", loop_vertices, "i4", ())
        low, _ = _bounds(g.loop_totals)
        if len(g.loop_totals) and low < 3:
            first = list(g.loop_totals).index(low) if numpy is None else int(
                numpy.argmax(g.loop_totals < 3))
            raise invalid(f"polygon {first} has {low} vertices; a polygon needs at least 3",
                          arg="loop_totals", polygon=first, total=low)
        total = _total(g.loop_totals)
        if total != len(g.loop_vertices):
            raise invalid(f"loop_totals add up to {total} but loop_vertices has "
                          f"{len(g.loop_vertices)}", arg="loop_vertices", expected=total,
                          given=len(g.loop_vertices))
        _check_indices("loop_vertices", g.loop_vertices, g.vertices)
        if g.edges is not None and numpy is not None:
            g.corner_edges = _corner_edges(g)
    if g.topology:
        polygons = g.loop_totals is not None
        sizes = {"POINT": g.vertices, "EDGE": None,
                 "FACE": len(g.loop_totals) if polygons else 0,
                 "CORNER": len(g.loop_vertices) if polygons else 0}
        if g.edges is not None:
            sizes["EDGE"] = len(g.edges) // 2
    else:
        sizes = {"POINT": counts["vertices"] if counts else 0,
                 "EDGE": counts["edges"] if counts else 0,
                 "FACE": counts["polygons"] if counts else 0,
                 "CORNER": counts["loops"] if counts else 0}
    for name, value in (uv_layers or {}).items():
        _check_name("uv_layers", name)
        g.uvs[name] = _view(f"uv_layers[{name}]", value, "f4", (2,), sizes["CORNER"])
    for name, spec in (attributes or {}).items():
        _check_name("attributes", name)
        if not isinstance(spec, dict) or spec.get("domain") not in DOMAINS or \
                spec.get("data_type") not in TYPES or not _has_type(spec["data_type"]):
            types = [t for t in TYPES if _has_type(t)]
            raise invalid(f"attributes[{name}] needs domain (one of {', '.join(DOMAINS)}) and "
                          f"data_type (one of {', '.join(types)})", arg="attributes",
                          name=name, domains=list(DOMAINS), data_types=types)
        if sizes[spec["domain"]] is None:
            raise invalid(f"attributes[{name}] is on edges; give edges too (they are made "
                          "from the polygons otherwise)", arg="attributes", name=name)
        dtype, tail, _ = TYPES[spec["data_type"]]
        g.attributes[name] = (spec["domain"], spec["data_type"],
                              _view(f"attributes[{name}]", spec, dtype, tail,
                                    sizes[spec["domain"]]))
    views = [g.positions, g.edges, g.loop_totals, g.loop_vertices, *g.uvs.values(),
             *(a[2] for a in g.attributes.values())]
    g.nbytes = sum(len(v) * v.itemsize for v in views if v is not None)
    return g


def _check_name(argname: str, name: Any) -> None:
    if not isinstance(name, str) or not name or len(name.encode()) > NAME["max_bytes"]:
        raise invalid(f"{argname} names are 1..{NAME['max_bytes']} bytes", arg=argname)


def _write(collection: Any, field_: str, dtype: str, view: Any) -> None:
    """``foreach_set`` from a typed view; i1/u1 widened as ``_read`` narrows them."""
    if dtype in ("f4", "i4"):
        collection.foreach_set(field_, view)
    elif dtype == "u1":
        flags = array.array("b", view) if numpy is None else view.astype(bool)
        try:
            collection.foreach_set(field_, flags)
        except TypeError:  # a Blender that wants ints for booleans
            collection.foreach_set(field_, array.array("i", view))
    else:
        wide = array.array("i", view) if numpy is None else view.astype(numpy.int32)
        collection.foreach_set(field_, wide)


def _set_polygons(mesh: Any, g: _Geometry) -> None:
    polygons = len(g.loop_totals)
    if numpy is not None:
        starts = numpy.zeros(polygons, dtype=numpy.int32)
        numpy.cumsum(g.loop_totals[:-1], out=starts[1:])
    else:
        starts, at = array.array("i", bytes(4 * polygons)), 0
        for i, n in enumerate(g.loop_totals):
            starts[i], at = at, at + n
    mesh.loops.add(len(g.loop_vertices))
    mesh.loops.foreach_set("vertex_index", g.loop_vertices)
    mesh.polygons.add(polygons)
    mesh.polygons.foreach_set("loop_start", starts)
    if not bpy.types.MeshPolygon.bl_rna.properties["loop_total"].is_readonly:
        mesh.polygons.foreach_set("loop_total", g.loop_totals)  # derived from 4.0


def _fill_topology(mesh: Any, g: _Geometry) -> None:
    mesh.vertices.add(g.vertices)
    mesh.vertices.foreach_set("co", g.positions)
    if g.edges is not None:
        mesh.edges.add(len(g.edges) // 2)
        mesh.edges.foreach_set("vertices", g.edges)
    if g.loop_totals is not None:
        _set_polygons(mesh, g)
    if g.corner_edges is not None:
        mesh.loops.foreach_set("edge_index", g.corner_edges)
    # calc_edges makes the polygons' edges and links each corner to its edge; with edges
    # given it keeps them, but Blender 3.x reorders them, hence corner_edges above.
    mesh.update(calc_edges=g.corner_edges is None)


def _fill_layers(mesh: Any, g: _Geometry) -> None:
    """UV layers and attributes: an existing one of another type or domain is replaced."""
    for name, view in g.uvs.items():
        layer = mesh.uv_layers.get(name) or mesh.uv_layers.new(name=name, do_init=False)
        layer.data.foreach_set("uv", view)
    for name, (domain, data_type, view) in g.attributes.items():
        attr = mesh.attributes.get(name)
        if attr is not None and (attr.domain, attr.data_type) != (domain, data_type):
            mesh.attributes.remove(attr)
            attr = None
        if attr is None:
            attr = mesh.attributes.new(name, data_type, domain)
        dtype, _, field_ = TYPES[data_type]
        _write(attr.data, field_, dtype, view)
    mesh.update()


def _build(name: str, g: _Geometry) -> Any:
    """A new mesh holding ``g``; removed again if Blender refuses any of it."""
    check_memory(2 * g.nbytes, "the new mesh")
    mesh = bpy.data.meshes.new(name)
    try:
        _fill_topology(mesh, g)
        _fill_layers(mesh, g)
        if mesh.validate(verbose=False):
            raise invalid("Blender found the geometry invalid (e.g. a polygon using a "
                          "vertex twice)", arg="loop_vertices")
    except Exception:
        bpy.data.meshes.remove(mesh)
        raise
    return mesh


def _describe(mesh: Any, obj: Any = None) -> dict[str, Any]:
    return {"mesh": mesh.name, "object": obj.name if obj is not None else None,
            "counts": {"vertices": len(mesh.vertices), "edges": len(mesh.edges),
                       "loops": len(mesh.loops), "polygons": len(mesh.polygons)}}


_GEOMETRY = {
    "positions": arg(dict, default=None), "edges": arg(dict, default=None),
    "loop_totals": arg(dict, default=None), "loop_vertices": arg(dict, default=None),
    "uv_layers": arg(dict, default=None), "attributes": arg(dict, default=None),
}


@command("mesh.create", name=arg(str, **NAME), **dict(_GEOMETRY, positions=arg(dict)),
         object=arg(str, default=None, **NAME), collection=arg(str, default=None, **NAME))
@about("{mesh, object, counts: {vertices, edges, loops, polygons}}", errors=("TOO_LARGE",))
def create(name: str, positions, edges, loop_totals, loop_vertices, uv_layers, attributes,
           object, collection):
    """A new mesh from arrays: ``positions`` f4 [v, 3]; ``loop_totals`` i4 [p] with
    ``loop_vertices`` i4 [l] for polygons; ``edges`` i4 [e, 2] (default: the polygons'
    edges); ``uv_layers`` {name: f4 [l, 2]}; ``attributes`` {name: {domain, data_type,
    dtype, shape, data}}. With ``object``, an object using it is linked into
    ``collection`` (default: the scene's; made if missing)."""
    from .object import ensure_collection

    if object is not None and bpy.data.objects.get(object) is not None:
        raise invalid(f"an object named {object!r} exists", arg="object")
    g = _check(positions, edges, loop_totals, loop_vertices, uv_layers, attributes)
    mesh = _build(name, g)
    obj = None
    if object is not None:
        obj = bpy.data.objects.new(object, mesh)
        ensure_collection(collection).objects.link(obj)
    return _describe(mesh, obj)


@command("mesh.set", name=arg(str, **NAME), **_GEOMETRY)
@about("{mesh, object: nil, counts: {vertices, edges, loops, polygons}}",
       errors=("NOT_FOUND", "TOO_LARGE"))
def set_(name: str, positions, edges, loop_totals, loop_vertices, uv_layers, attributes):
    """Changes a mesh. With ``edges`` or polygons, a new topology: built as a new mesh
    (as ``mesh.create``) that then replaces this one for every user, keeping its name,
    materials and custom properties. Otherwise the given arrays are written in place and
    must match the mesh's counts."""
    mesh = bpy.data.meshes.get(name)
    if mesh is None:
        raise not_found("mesh", name)
    topology = edges is not None or loop_totals is not None or loop_vertices is not None
    counts = None if topology else _describe(mesh)["counts"]
    g = _check(positions, edges, loop_totals, loop_vertices, uv_layers, attributes, counts)
    if not topology:
        if g.positions is not None:
            mesh.vertices.foreach_set("co", g.positions)
        _fill_layers(mesh, g)
        return _describe(mesh)
    new = _build(name + ".new", g)
    for material in mesh.materials:
        new.materials.append(material)
    for key in mesh.keys():
        new[key] = mesh[key]
    mesh.user_remap(new)
    bpy.data.meshes.remove(mesh)
    new.name = name
    return _describe(new)


def read_planned(plan: _Plan, data: Any, attributes: list[str], what: str = "the arrays",
                 ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Adds ``attributes`` (by name) to ``plan``, checks the memory budget and the reply
    room for all of it, then reads: (arrays, attributes, UV layers: the plan's ``uv:NAME``
    entries). The one read of mesh.get, curves.get and pointcloud.get."""
    kinds = {}
    for name in dict.fromkeys(attributes):
        coll, field_, dtype, shape, domain, data_type = _attribute_plan(data, name)
        plan.add("attr:" + name, coll, field_, dtype, shape)
        kinds[name] = (domain, data_type)
    check_memory(plan.nbytes, what)
    reserve_reply(plan.nbytes)
    arrays: dict[str, Any] = {}
    uvs: dict[str, Any] = {}
    attrs: dict[str, Any] = {}
    for key, coll, field_, dtype, shape in plan.reads:
        count = 1
        for n in shape:
            count *= n
        value = _array(dtype, shape, _read(coll, field_, dtype, count))
        if key.startswith("uv:"):
            uvs[key[3:]] = value
        elif key.startswith("attr:"):
            domain, data_type = kinds[key[5:]]
            attrs[key[5:]] = {"domain": domain, "data_type": data_type, **value}
        else:
            arrays[key] = value
    return arrays, attrs, uvs
