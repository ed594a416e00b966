"""node.*: the nodes and links of a material's, a world's or the compositor's node tree.

Nodes are addressed by name, sockets by identifier (``Base Color``, ``Value_001``: unique
on a node, unlike socket names). Input values go through the socket's RNA
(``default_value``), so they are checked and typed as Blender types them; every command
checks all it is given before it changes the tree, and puts back what it did if Blender
refuses half-way.
"""

from __future__ import annotations

from typing import Any

import bpy

from .. import rna
from ..registry import NAME, CommandError, about, arg, command, echo, invalid, not_found, shape
from .material import ensure_nodes, get_material

TREES = ("MATERIAL", "WORLD", "COMPOSITOR")
MAX_KNOWN = 64  # socket identifiers an error lists
# ID pointer properties a node may have (an Image Texture's image...): type -> bpy.data.
ID_TYPES = {"Image": "images", "Object": "objects", "Material": "materials",
            "NodeTree": "node_groups", "Texture": "textures", "MovieClip": "movieclips",
            "Mask": "masks", "Scene": "scenes", "Collection": "collections",
            "Text": "texts", "World": "worlds"}

TREE_ARGS = {"tree": arg(str, choices=TREES), "id": arg(str, default=None, **NAME)}


def _compositor(scene: bpy.types.Scene, create: bool) -> Any:
    """The scene's compositor tree: ``scene.compositing_node_group`` (a node group, 5.0+)
    or ``scene.node_tree`` (made by ``use_nodes``, before 5.0). The one place that knows."""
    if "compositing_node_group" in scene.bl_rna.properties:
        tree = scene.compositing_node_group
        if tree is None and create:
            tree = bpy.data.node_groups.new(f"{scene.name} Compositor", "CompositorNodeTree")
            scene.compositing_node_group = tree
        return tree
    if scene.node_tree is None and create:
        scene.use_nodes = True
    return scene.node_tree


def get_tree(tree: str, id: str | None, create: bool = False) -> Any:
    """The node tree ``tree`` of ``id`` (a material's or world's name, a scene's for the
    compositor; default: the scene's world, the current scene). ``create``: make the tree
    if its owner has none yet (a write command)."""
    if tree == "MATERIAL":
        if id is None:
            raise invalid("a MATERIAL tree needs id (the material's name)", arg="id")
        mat = get_material(id)
        if create:
            ensure_nodes(mat)
        found = mat.node_tree
    elif tree == "WORLD":
        world = bpy.data.worlds.get(id) if id is not None else bpy.context.scene.world
        if world is None:
            raise not_found("world", id if id is not None else "(the scene's)")
        if world.node_tree is None and create:
            world.use_nodes = True
        found = world.node_tree
    else:
        scene = bpy.data.scenes.get(id) if id is not None else bpy.context.scene
        if scene is None:
            raise not_found("scene", id)
        found = _compositor(scene, create)
    return found


def get_node(nt: Any, name: str) -> Any:
    node = nt.nodes.get(name) if nt is not None else None
    if node is None:
        raise not_found("node", name)
    return node


def get_socket(node: Any, identifier: str, output: bool) -> Any:
    sockets = node.outputs if output else node.inputs
    for s in sockets:
        if s.identifier == identifier:
            return s
    kind = "output socket" if output else "input socket"
    raise CommandError("NOT_FOUND", f"{node.name} has no {kind} {echo(identifier)!r}",
                       {"kind": kind, "name": echo(identifier), "node": node.name,
                        "known": [s.identifier for s in sockets][:MAX_KNOWN]})


def _socket(s: Any, output: bool) -> dict[str, Any]:
    out = {"identifier": s.identifier, "name": s.name, "type": s.type,
           "enabled": s.enabled, "linked": s.is_linked}
    if not output and hasattr(s, "default_value"):
        out["value"] = rna.plain(s.default_value)
    return out


NODE = shape("node", "{name, type: str, label: str, location: [x, y], image: name|nil, "
                      "inputs: [socket], outputs: [socket]}")
LINK = shape("link", "{from_node: name, from_socket: str, to_node: name, "
                      "to_socket: str}")


def describe_node(node: Any) -> dict[str, Any]:
    image = getattr(node, "image", None)
    return {"name": node.name, "type": node.bl_idname, "label": node.label,
            "location": list(node.location),
            "image": image.name if image is not None else None,
            "inputs": [_socket(s, False) for s in node.inputs],
            "outputs": [_socket(s, True) for s in node.outputs]}


def describe_link(link: Any) -> dict[str, Any]:
    return {"from_node": link.from_node.name, "from_socket": link.from_socket.identifier,
            "to_node": link.to_node.name, "to_socket": link.to_socket.identifier}


def _plan_inputs(node: Any, inputs: dict) -> list[rna.Step]:
    steps: list[rna.Step] = []
    for identifier, value in inputs.items():
        socket = get_socket(node, identifier, output=False)
        if "default_value" not in socket.bl_rna.properties:
            raise invalid(f"{node.name}'s input {identifier!r} ({socket.type}) has no value; "
                          "link it instead", arg="inputs", socket=identifier, type=socket.type)
        try:
            steps.extend(rna.plan_assignments(socket, {"default_value": value}))
        except CommandError as e:
            raise invalid(f"{node.name}'s input {identifier!r} ({socket.type}): "
                          f"{e.message.replace('default_value ', '')}", arg="inputs",
                          socket=identifier, type=socket.type) from None
    return steps


def _plan_properties(node: Any, properties: dict) -> list[rna.Step]:
    """RNA properties of the node (``operation``, ``interpolation``...), and ID pointers
    by name (an Image Texture's ``image``)."""
    steps: list[rna.Step] = []
    plain: dict[str, Any] = {}
    for path, value in properties.items():
        prop = node.bl_rna.properties.get(path) if isinstance(path, str) else None
        fixed = getattr(getattr(prop, "fixed_type", None), "identifier", None)
        if prop is not None and prop.type == "POINTER" and fixed in ID_TYPES:
            if prop.is_readonly:
                raise invalid(f"{path} is read-only", path=path)
            if value is None:
                target = None
            elif isinstance(value, str):
                target = getattr(bpy.data, ID_TYPES[fixed]).get(value)
                if target is None:
                    raise not_found(fixed.lower(), value)
            else:
                raise invalid(f"{path} takes a {fixed.lower()} name or nil", path=path)
            steps.append(lambda c, n=path, t=target: c.set(node, n, t))
        else:
            plain[path] = value
    steps.extend(rna.plan_assignments(node, plain) if plain else [])
    return steps


def _check_node_type(idname: str) -> None:
    cls = getattr(bpy.types, idname, None)
    if not (isinstance(cls, type) and issubclass(cls, bpy.types.Node)):
        raise invalid(f"no node type {echo(idname)!r}", arg="type", type=echo(idname))


def _new_node(nt: Any, idname: str) -> Any:
    """A new node of type ``idname``; a type of another kind of tree (a compositor node
    in a material) is ``INVALID_ARGUMENT`` with Blender's reason."""
    try:
        return nt.nodes.new(idname)
    except RuntimeError as e:
        reason = str(e).replace("Error: ", "").strip()
        raise invalid(f"{idname} cannot go in {nt.bl_idname}: {echo(reason)}", arg="type",
                      type=idname, tree=nt.bl_idname) from None


@command("node.list", **TREE_ARGS)
@about("{nodes: [node], links: [link]}", errors=("NOT_FOUND",))
def list_(tree: str, id) -> dict[str, Any]:
    """Every node with its sockets and input values, and every link; an owner without a
    tree (yet) has none."""
    nt = get_tree(tree, id)
    if nt is None:
        return {"nodes": [], "links": []}
    return {"nodes": [describe_node(n) for n in nt.nodes],
            "links": [describe_link(k) for k in nt.links]}


@command("node.add", **TREE_ARGS, type=arg(str, max_bytes=256),
         name=arg(str, default=None, **NAME), location=arg(list, default=None, length=2),
         inputs=arg(dict, default=None), properties=arg(dict, default=None))
@about(NODE, errors=("NOT_FOUND",))
def add(tree: str, id, type: str, name, location, inputs, properties) -> dict[str, Any]:
    """Adds a node of Blender's type (``ShaderNodeTexImage``, ``CompositorNodeBlur``),
    makes the owner's tree if it has none, and sets its input values and properties; if
    any is refused, the node (and a tree made for it) is gone again."""
    if name is not None and (nt := get_tree(tree, id)) is not None and name in nt.nodes:
        raise invalid(f"a node named {name!r} exists", arg="name")
    _check_node_type(type)  # before a tree is made for it
    with rna.Changes() as c:
        had = get_tree(tree, id) is not None
        nt = get_tree(tree, id, create=True)
        if not had:
            c.done(lambda: _drop_tree(tree, id))
        node = _new_node(nt, type)
        c.done(lambda: nt.nodes.remove(node))
        if name is not None:
            node.name = name
        if location is not None:
            node.location = location
        for step in _plan_inputs(node, inputs or {}) + _plan_properties(node, properties or {}):
            step(c)
        return describe_node(node)


def _drop_tree(tree: str, id: str | None) -> None:
    """Undoes ``get_tree(create=True)``."""
    if tree == "COMPOSITOR":
        scene = bpy.data.scenes.get(id) if id is not None else bpy.context.scene
        if "compositing_node_group" in scene.bl_rna.properties:
            group = scene.compositing_node_group
            scene.compositing_node_group = None
            bpy.data.node_groups.remove(group)
        else:
            scene.use_nodes = False


@command("node.remove", **TREE_ARGS, names=arg(list, items=str))
@about("{removed: [name]}", errors=("NOT_FOUND",))
def remove(tree: str, id, names: list) -> dict[str, Any]:
    """Removes nodes and their links; nothing if a name is unknown."""
    nt = get_tree(tree, id)
    nodes = [get_node(nt, n) for n in names]
    for node in dict.fromkeys(nodes):
        nt.nodes.remove(node)
    return {"removed": list(dict.fromkeys(names))}


@command("node.link", **TREE_ARGS, from_node=arg(str, **NAME), from_socket=arg(str, **NAME),
         to_node=arg(str, **NAME), to_socket=arg(str, **NAME))
@about(LINK, errors=("NOT_FOUND",))
def link(tree: str, id, from_node: str, from_socket: str, to_node: str,
         to_socket: str) -> dict[str, Any]:
    """Links an output socket to an input socket (replacing the input's link, as in
    Blender); ``INVALID_ARGUMENT`` for sockets Blender will not connect (a shader into a
    number, a node into itself), the tree then as it was."""
    nt = get_tree(tree, id)
    src = get_socket(get_node(nt, from_node), from_socket, output=True)
    dst = get_socket(get_node(nt, to_node), to_socket, output=False)
    if src.node == dst.node:
        raise invalid("a node cannot link to itself", arg="to_node")
    old = [(k.from_socket, k.to_socket) for k in dst.links] if not dst.is_multi_input else []
    new = nt.links.new(src, dst)
    if not new.is_valid:
        nt.links.remove(new)
        for a, b in old:
            nt.links.new(a, b)
        raise invalid(f"{from_node}.{from_socket} ({src.type}) cannot link to "
                      f"{to_node}.{to_socket} ({dst.type})", arg="to_socket",
                      from_type=src.type, to_type=dst.type)
    return describe_link(new)


@command("node.unlink", **TREE_ARGS, to_node=arg(str, **NAME), to_socket=arg(str, **NAME),
         from_node=arg(str, default=None, **NAME), from_socket=arg(str, default=None, **NAME))
@about("{removed: [link]}", errors=("NOT_FOUND",))
def unlink(tree: str, id, to_node: str, to_socket: str, from_node,
           from_socket) -> dict[str, Any]:
    """Removes the links into an input socket (only those from ``from_node``/
    ``from_socket`` if given); ``NOT_FOUND`` if there is none."""
    nt = get_tree(tree, id)
    dst = get_socket(get_node(nt, to_node), to_socket, output=False)
    if from_node is not None:
        src_node = get_node(nt, from_node)
        if from_socket is not None:
            get_socket(src_node, from_socket, output=True)
    links = [k for k in dst.links
             if (from_node is None or k.from_node.name == from_node)
             and (from_socket is None or k.from_socket.identifier == from_socket)]
    if not links:
        raise CommandError("NOT_FOUND", f"no link into {to_node}.{to_socket}",
                           {"kind": "link", "name": f"{to_node}.{to_socket}"})
    removed = [describe_link(k) for k in links]
    for k in links:
        nt.links.remove(k)
    return {"removed": removed}


@command("node.set", **TREE_ARGS, node=arg(str, **NAME), name=arg(str, default=None, **NAME),
         location=arg(list, default=None, length=2), label=arg(str, default=None, **NAME),
         inputs=arg(dict, default=None), properties=arg(dict, default=None))
@about(NODE, errors=("NOT_FOUND",))
def set_(tree: str, id, node: str, name, location, label, inputs, properties) -> dict[str, Any]:
    """Renames, moves and labels a node, sets input values (``{identifier: value}``) and
    properties (``{path: value}``; an ID pointer such as ``image`` by name): all checked
    before any is applied."""
    nt = get_tree(tree, id)
    target = get_node(nt, node)
    if name is not None and name != target.name and name in nt.nodes:
        raise invalid(f"a node named {name!r} exists", arg="name")
    steps = _plan_inputs(target, inputs or {}) + _plan_properties(target, properties or {})
    with rna.Changes() as c:
        for step in steps:
            step(c)
        if location is not None:
            c.set(target, "location", location)
        if label is not None:
            c.set(target, "label", label)
        if name is not None:
            c.set(target, "name", name)
    return describe_node(target)
