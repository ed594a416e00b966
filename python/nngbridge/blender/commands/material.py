"""material.*: create, list, get, and assign to an object's material slots. Their node
trees are node.* (``tree: MATERIAL``)."""

from __future__ import annotations

from typing import Any

import bpy

from .. import rna
from ..registry import NAME, about, arg, command, invalid, not_found, shape
from .object import get_object

MAX_SLOTS = 32767  # Blender's material slots per object (a short)


def get_material(name: str) -> bpy.types.Material:
    mat = bpy.data.materials.get(name)
    if mat is None:
        raise not_found("material", name)
    return mat


def ensure_nodes(mat: bpy.types.Material) -> None:
    """Gives ``mat`` its node tree (5.x materials always have one; ``use_nodes`` is
    deprecated there)."""
    if mat.node_tree is None:
        mat.use_nodes = True


MATERIAL = shape("material", "{name, color: [r, g, b, a], nodes: [name], users: int, "
                          "objects: [name], properties?: {path: value}}")


def describe(mat: bpy.types.Material) -> dict[str, Any]:
    tree = mat.node_tree
    return {"name": mat.name, "color": list(mat.diffuse_color),
            "nodes": [n.name for n in tree.nodes] if tree is not None else [],
            "users": mat.users,
            "objects": sorted(o.name for o in bpy.data.objects
                              if any(s.material == mat for s in o.material_slots))}


@command("material.create", name=arg(str, **NAME), color=arg(list, default=None, length=4))
@about(MATERIAL)
def create(name: str, color) -> dict[str, Any]:
    """A node material (its default Principled BSDF and Material Output); ``color`` sets
    its viewport colour and the Principled base colour."""
    mat = bpy.data.materials.new(name)
    ensure_nodes(mat)
    if color is not None:
        mat.diffuse_color = color
        for node in mat.node_tree.nodes:
            if node.bl_idname == "ShaderNodeBsdfPrincipled":
                node.inputs["Base Color"].default_value = color
    return describe(mat)


@command("material.list")
@about("{materials: [{name, users, nodes: int}]}")
def list_() -> dict[str, Any]:
    return {"materials": [{"name": m.name, "users": m.users,
                           "nodes": len(m.node_tree.nodes) if m.node_tree else 0}
                          for m in bpy.data.materials]}


@command("material.get", name=arg(str, **NAME), properties=arg(list, default=None, items=str))
@about("{name, color: [r,g,b,a], nodes: [name], users, objects: [name]}, plus "
       "{properties: {path: value}} when asked", errors=("NOT_FOUND",))
def get(name: str, properties) -> dict[str, Any]:
    """``nodes`` names the nodes of its tree (node.list describes them); ``properties``
    reads any RNA paths (``roughness``, ``blend_method``)."""
    mat = get_material(name)
    out = describe(mat)
    if properties:
        out["properties"] = rna.read(mat, properties)
    return out


@command("material.assign", object=arg(str, **NAME), material=arg(str, nullable=True, **NAME),
         slot=arg(int, default=None, minimum=0, maximum=MAX_SLOTS - 1))
@about("{object, slots: [material name|nil]}", errors=("NOT_FOUND",))
def assign(object: str, material, slot) -> dict[str, Any]:
    """Puts ``material`` (nil: none) in slot ``slot`` of the object's data; without
    ``slot``, into a new slot at the end, unless a slot already holds it. ``slot`` may be
    the slot count (a new one at the end)."""
    obj = get_object(object)
    mat = get_material(material) if material is not None else None
    data = obj.data
    if data is None or not hasattr(data, "materials"):
        raise invalid(f"{obj.name} ({obj.type}) has no material slots", arg="object",
                      type=obj.type)
    mats = data.materials
    if slot is not None and slot > len(mats):
        raise invalid(f"slot must be in 0..{len(mats)}", arg="slot", slots=len(mats))
    if slot is None:
        if mat is None or mat not in list(mats):
            mats.append(mat)
    elif slot == len(mats):
        mats.append(mat)
    else:
        mats[slot] = mat
    return {"object": obj.name, "slots": [m.name if m else None for m in mats]}
