"""object.*: create, list, get/set transforms, delete, selection, hierarchy."""

from __future__ import annotations

from typing import Any

import bpy

from .. import rna
from ..registry import KEEP, NAME, about, arg, command, invalid, not_found, shape
PRIMITIVES = ("CUBE", "PLANE", "UV_SPHERE", "ICO_SPHERE", "CYLINDER", "CONE", "TORUS", "MONKEY")
KINDS = (*PRIMITIVES, "EMPTY", "CAMERA", "LIGHT")
VEC3 = {"length": 3}


def get_object(name: str) -> bpy.types.Object:
    obj = bpy.data.objects.get(name)
    if obj is None:
        raise not_found("object", name)
    return obj


def ensure_collection(name: str | None) -> bpy.types.Collection:
    scene = bpy.context.scene
    if name is None:
        return scene.collection
    coll = bpy.data.collections.get(name)
    if coll is None:
        coll = bpy.data.collections.new(name)
        scene.collection.children.link(coll)
    return coll


def new_mesh(kind: str, size: float) -> bpy.types.Mesh:
    import bmesh

    bm = bmesh.new()
    try:
        ops = bmesh.ops
        if kind == "CUBE":
            ops.create_cube(bm, size=size)
        elif kind == "PLANE":
            ops.create_grid(bm, x_segments=1, y_segments=1, size=size / 2)
        elif kind == "UV_SPHERE":
            ops.create_uvsphere(bm, u_segments=32, v_segments=16, radius=size / 2)
        elif kind == "ICO_SPHERE":
            ops.create_icosphere(bm, subdivisions=2, radius=size / 2)
        elif kind == "CYLINDER":
            ops.create_cone(bm, cap_ends=True, segments=32, radius1=size / 2,
                            radius2=size / 2, depth=size)
        elif kind == "CONE":
            ops.create_cone(bm, cap_ends=True, segments=32, radius1=size / 2, radius2=0,
                            depth=size)
        elif kind == "TORUS":
            ops.create_circle(bm, cap_ends=False, segments=32, radius=size / 2)
        elif kind == "MONKEY":
            ops.create_monkey(bm)
        mesh = bpy.data.meshes.new(kind.title())
        bm.to_mesh(mesh)
        return mesh
    finally:
        bm.free()


OBJECT = shape(
    "object", "{name, type: str, location: [x, y, z], rotation: [x, y, z], scale: [x, y, z], "
    "parent: name|nil, children: [name], collections: [name], visible: bool, data: name|nil, "
    "properties?: {path: value}}")


def describe(obj: bpy.types.Object) -> dict[str, Any]:
    return {
        "name": obj.name,
        "type": obj.type,
        "location": list(obj.location),
        "rotation": list(obj.rotation_euler),
        "scale": list(obj.scale),
        "parent": obj.parent.name if obj.parent else None,
        "children": [c.name for c in obj.children],
        "collections": [c.name for c in obj.users_collection],
        "visible": not obj.hide_get() if hasattr(obj, "hide_get") else True,
        "data": obj.data.name if obj.data is not None else None,
    }


@command(
    "object.create",
    type=arg(str),
    name=arg(str, default=None, **NAME),
    collection=arg(str, default=None, **NAME),
    location=arg(list, default=None, **VEC3),
    rotation=arg(list, default=None, **VEC3),
    scale=arg(list, default=None, **VEC3),
    size=arg(float, default=2.0),
    empty_display_type=arg(str, default="PLAIN_AXES"),
    empty_display_size=arg(float, default=1.0),
    light_type=arg(str, default="POINT"),
    parent=arg(str, default=None, **NAME),
)
@about("{name}", errors=("NOT_FOUND",))
def create(type: str, name, collection, location, rotation, scale, size, empty_display_type,
           empty_display_size, light_type, parent) -> dict[str, Any]:
    """Creates a mesh primitive, an empty, a camera or a light (no bpy.ops: works headless)."""
    kind = type.upper()
    if kind not in KINDS:
        raise invalid(f"type must be one of {', '.join(KINDS)}", arg="type")
    if size <= 0:
        raise invalid("size must be positive", arg="size")
    parent_obj = get_object(parent) if parent else None
    if kind == "EMPTY" and empty_display_type not in {
        i.identifier for i in bpy.types.Object.bl_rna.properties["empty_display_type"].enum_items
    }:
        raise invalid("unknown empty_display_type", arg="empty_display_type")
    if kind == "LIGHT" and light_type not in ("POINT", "SUN", "SPOT", "AREA"):
        raise invalid("light_type must be POINT, SUN, SPOT or AREA", arg="light_type")
    if kind in PRIMITIVES:
        data = new_mesh(kind, size)
    elif kind == "CAMERA":
        data = bpy.data.cameras.new(name or "Camera")
    elif kind == "LIGHT":
        data = bpy.data.lights.new(name or "Light", light_type)
    else:
        data = None
    obj = bpy.data.objects.new(name or kind.title(), data)
    if kind == "EMPTY":
        obj.empty_display_type = empty_display_type
        obj.empty_display_size = empty_display_size
    ensure_collection(collection).objects.link(obj)
    if location:
        obj.location = location
    if rotation:
        obj.rotation_euler = rotation
    if scale:
        obj.scale = scale
    if parent_obj is not None:
        obj.parent = parent_obj
    return {"name": obj.name}


@command("object.list", type=arg(str, default=None), collection=arg(str, default=None, **NAME),
         selected=arg(bool, default=None), name_prefix=arg(str, default=None))
@about("{objects: [{name, type, parent, collection}]}", errors=("NOT_FOUND",))
def list_(type, collection, selected, name_prefix) -> dict[str, Any]:
    if collection is not None:
        coll = bpy.data.collections.get(collection)
        if coll is None:
            raise not_found("collection", collection)
        objects = list(coll.all_objects)
    else:
        objects = list(bpy.context.scene.objects)
    out = []
    for obj in objects:
        if type is not None and obj.type != type.upper():
            continue
        if selected is not None and obj.select_get() != selected:
            continue
        if name_prefix is not None and not obj.name.startswith(name_prefix):
            continue
        out.append({"name": obj.name, "type": obj.type,
                    "parent": obj.parent.name if obj.parent else None,
                    "collection": obj.users_collection[0].name if obj.users_collection else None})
    return {"objects": out}


@command("object.get", name=arg(str, **NAME), properties=arg(list, default=None, items=str))
@about(OBJECT,
       errors=("NOT_FOUND",))
def get(name: str, properties) -> dict[str, Any]:
    """The object's transform and relations; ``properties`` adds any RNA paths
    (``data.lens``, ``empty_display_size``, ``["custom"]``)."""
    obj = get_object(name)
    out = describe(obj)
    if properties:
        out["properties"] = rna.read(obj, properties)
    return out


@command("object.set", name=arg(str, **NAME), location=arg(list, default=None, **VEC3),
         rotation=arg(list, default=None, **VEC3), scale=arg(list, default=None, **VEC3),
         parent=arg(str, default=KEEP, nullable=True, **NAME), hide=arg(bool, default=None),
         properties=arg(dict, default=None))
@about(OBJECT, errors=("NOT_FOUND", "FORBIDDEN"))
def set_(name, location, rotation, scale, parent, hide, properties) -> dict[str, Any]:
    """Sets the transform, parent (nil unparents), visibility and any RNA properties,
    all checked before any is applied."""
    obj = get_object(name)
    parent_obj = get_object(parent) if isinstance(parent, str) else None
    if parent_obj is not None:
        p = parent_obj
        while p is not None:  # Blender silently refuses loops; say so instead
            if p == obj:
                raise invalid(f"{parent} is {name} or one of its children", arg="parent")
            p = p.parent
    steps = rna.plan_assignments(obj, properties) if properties else []
    with rna.Changes() as c:
        if location is not None:
            c.set(obj, "location", location)
        if rotation is not None:
            c.set(obj, "rotation_euler", rotation)
        if scale is not None:
            c.set(obj, "scale", scale)
        if parent is not KEEP:
            c.set(obj, "parent", parent_obj)
        if hide is not None:
            was = obj.hide_get()
            obj.hide_set(hide)
            c.done(lambda: obj.hide_set(was))
        for step in steps:
            step(c)
    return describe(obj)


@command("object.delete", names=arg(list, items=str))
@about("{deleted: [name]}", errors=("NOT_FOUND",))
def delete(names: list) -> dict[str, Any]:
    objs = [get_object(n) for n in names]  # all exist, or nothing is deleted
    for obj in objs:
        bpy.data.objects.remove(obj, do_unlink=True)
    return {"deleted": list(names)}


@command("object.select", names=arg(list, items=str), active=arg(str, default=None, **NAME),
         deselect_others=arg(bool, default=True))
@about("{selected: [name], active: name|nil}", errors=("NOT_FOUND",))
def select(names: list, active, deselect_others: bool) -> dict[str, Any]:
    objs = [get_object(n) for n in names]
    active_obj = get_object(active) if active else None
    if deselect_others:
        for obj in bpy.context.view_layer.objects:
            obj.select_set(False)
    for obj in objs:
        obj.select_set(True)
    if active_obj is not None:
        bpy.context.view_layer.objects.active = active_obj
    return selection()


@command("object.selection")
@about("{selected, active}")
def selection() -> dict[str, Any]:
    view_layer = bpy.context.view_layer
    active = view_layer.objects.active
    return {"selected": [o.name for o in view_layer.objects if o.select_get()],
            "active": active.name if active else None}


@command("object.hierarchy", name=arg(str, **NAME))
@about("{name, children: [hierarchy…]}", errors=("NOT_FOUND",))
def hierarchy(name: str) -> dict[str, Any]:
    def walk(obj):
        return {"name": obj.name, "children": [walk(c) for c in obj.children]}

    return walk(get_object(name))


@command("object.root", name=arg(str, **NAME))
@about("{root: name}", errors=("NOT_FOUND",))
def root(name: str) -> dict[str, Any]:
    obj = get_object(name)
    while obj.parent is not None:
        obj = obj.parent
    return {"root": obj.name}
