"""collection.*: create (nested), list, link and unlink objects, delete."""

from __future__ import annotations

from typing import Any

import bpy

from ..registry import NAME, about, arg, command, invalid, not_found, shape
from .object import get_object


def get_collection(name: str) -> bpy.types.Collection:
    scene = bpy.context.scene
    if name == scene.collection.name:  # the scene's master collection has no datablock
        return scene.collection
    coll = bpy.data.collections.get(name)
    if coll is None:
        raise not_found("collection", name)
    return coll


def parent_of(coll: bpy.types.Collection) -> str | None:
    scene = bpy.context.scene
    if coll == scene.collection:
        return None
    for candidate in (scene.collection, *bpy.data.collections):
        if coll.name in candidate.children:
            return candidate.name
    return None


COLLECTION = shape("collection", "{name, parent: name|nil, objects: [name], "
                            "children: [name]}")


def describe(coll: bpy.types.Collection) -> dict[str, Any]:
    return {"name": coll.name, "parent": parent_of(coll),
            "objects": [o.name for o in coll.objects],
            "children": [c.name for c in coll.children]}


@command("collection.create", name=arg(str, **NAME), parent=arg(str, default=None, **NAME))
@about(COLLECTION, errors=("NOT_FOUND",))
def create(name: str, parent) -> dict[str, Any]:
    """Creates a collection under ``parent`` (default: the scene's), or returns the
    existing one of that name."""
    parent_coll = get_collection(parent) if parent else bpy.context.scene.collection
    coll = bpy.data.collections.get(name)
    if coll is None:
        coll = bpy.data.collections.new(name)
    if coll.name not in parent_coll.children and coll != parent_coll:
        parent_coll.children.link(coll)
    return describe(coll)


@command("collection.list")
@about("{collections: [description]}")
def list_() -> dict[str, Any]:
    scene = bpy.context.scene
    return {"collections": [describe(c) for c in (scene.collection, *bpy.data.collections)]}


@command("collection.get", name=arg(str, **NAME))
@about(COLLECTION, errors=("NOT_FOUND",))
def get(name: str) -> dict[str, Any]:
    return describe(get_collection(name))


@command("collection.link", collection=arg(str, **NAME), objects=arg(list, items=str),
         move=arg(bool, default=False))
@about(COLLECTION, errors=("NOT_FOUND",))
def link(collection: str, objects: list, move: bool) -> dict[str, Any]:
    """Links objects into a collection; ``move`` unlinks them from their others."""
    coll = get_collection(collection)
    objs = [get_object(n) for n in objects]
    for obj in objs:
        if obj.name not in coll.objects:
            coll.objects.link(obj)
        if move:
            for other in list(obj.users_collection):
                if other != coll:
                    other.objects.unlink(obj)
    return describe(coll)


@command("collection.unlink", collection=arg(str, **NAME), objects=arg(list, items=str))
@about(COLLECTION, errors=("NOT_FOUND",))
def unlink(collection: str, objects: list) -> dict[str, Any]:
    coll = get_collection(collection)
    objs = [get_object(n) for n in objects]
    missing = [o.name for o in objs if o.name not in coll.objects]
    if missing:
        raise invalid(f"not in {collection}: {', '.join(missing)}", objects=missing)
    for obj in objs:
        coll.objects.unlink(obj)
    return describe(coll)


@command("collection.delete", name=arg(str, **NAME), objects=arg(bool, default=False))
@about("{deleted: name}", errors=("NOT_FOUND",))
def delete(name: str, objects: bool) -> dict[str, Any]:
    """Deletes a collection; its objects too when ``objects`` is true (otherwise they
    move to the scene's collection if they would be left in none)."""
    coll = get_collection(name)
    if coll == bpy.context.scene.collection:
        raise invalid("the scene's collection cannot be deleted", arg="name")
    members = list(coll.all_objects)
    if objects:
        for obj in members:
            bpy.data.objects.remove(obj, do_unlink=True)
    else:
        for obj in coll.objects:
            if len(obj.users_collection) == 1:
                bpy.context.scene.collection.objects.link(obj)
    bpy.data.collections.remove(coll)
    return {"deleted": name}
