"""The material, node and io domains, for check_commands.py (which hands over its helpers
with ``use``): a Principled material with an image texture built node by node, every kind
of bad input refused with the tree as it was, and files out and back in."""

from __future__ import annotations

import json
import os
from typing import Any

import bpy

H: dict[str, Any] = {}  # check_commands.py's helpers


def use(**helpers: Any) -> list[Any]:
    """Takes check_commands.py's helpers; returns the checks to run."""
    H.update(helpers)
    return [check_material, check_node, check_io]


def call(cmd: str, /, **args: Any) -> Any:
    return H["call"](cmd, **args)


def fail(code: str, cmd: str, /, **args: Any) -> dict:
    return H["fail"](code, cmd, **args)


def close(a: Any, b: Any) -> bool:
    return H["close"](a, b)


def done(domain: str) -> None:
    print(flush=True)  # a refused operator's report ends without a newline
    H["done"](domain)


def snapshot() -> tuple:
    return (H["snapshot"](), *(len(getattr(bpy.data, k)) for k in (
        "materials", "node_groups", "worlds", "images", "lights", "cameras")))


def tree_state(tree: str, id: str | None = None) -> dict:
    args = {"tree": tree} if id is None else {"tree": tree, "id": id}
    return call("node.list", **args)


def check_material() -> None:
    m = call("material.create", name="Paint", color=[0.8, 0.1, 0.1, 1])
    assert m["name"] == "Paint" and close(m["color"], [0.8, 0.1, 0.1, 1]), m
    assert "Principled BSDF" in m["nodes"] and "Material Output" in m["nodes"], m
    assert any(x["name"] == "Paint" for x in call("material.list")["materials"])
    call("object.create", type="CUBE", name="Painted")
    assert call("material.assign", object="Painted", material="Paint") == {
        "object": "Painted", "slots": ["Paint"]}
    # Already in a slot: no second one; an explicit slot replaces; nil empties.
    assert call("material.assign", object="Painted", material="Paint")["slots"] == ["Paint"]
    call("material.create", name="Other")
    assert call("material.assign", object="Painted", material="Other", slot=1)["slots"] == [
        "Paint", "Other"]
    assert call("material.assign", object="Painted", material=None, slot=1)["slots"] == [
        "Paint", None]
    got = call("material.get", name="Paint", properties=["roughness"])
    assert got["objects"] == ["Painted"] and "roughness" in got["properties"], got
    call("object.create", type="EMPTY", name="NoSlots")
    before = snapshot()
    fail("NOT_FOUND", "material.get", name="Nope")
    fail("NOT_FOUND", "material.assign", object="Painted", material="Nope")
    fail("NOT_FOUND", "material.assign", object="Nope", material="Paint")
    err = fail("INVALID_ARGUMENT", "material.assign", object="Painted", material="Paint",
               slot=5)
    assert err["details"]["slots"] == 2, err
    fail("INVALID_ARGUMENT", "material.assign", object="NoSlots", material="Paint")
    assert snapshot() == before
    done("material")


def check_node() -> None:
    call("material.create", name="Textured")
    call("image.new", name="Checker", width=8, height=8, color=[0, 0.5, 1, 1])
    tex = call("node.add", tree="MATERIAL", id="Textured", type="ShaderNodeTexImage",
               name="Tex", location=[-300, 200], properties={"image": "Checker",
                                                              "interpolation": "Closest"})
    assert tex["type"] == "ShaderNodeTexImage" and tex["image"] == "Checker", tex
    assert close(tex["location"], [-300, 200])
    assert [s["identifier"] for s in tex["outputs"]] == ["Color", "Alpha"], tex
    link = call("node.link", tree="MATERIAL", id="Textured", from_node="Tex",
                from_socket="Color", to_node="Principled BSDF", to_socket="Base Color")
    assert link == {"from_node": "Tex", "from_socket": "Color", "to_node": "Principled BSDF",
                    "to_socket": "Base Color"}
    mix = call("node.add", tree="MATERIAL", id="Textured", type="ShaderNodeMath",
               name="Rough", inputs={"Value": 0.25, "Value_001": 2},
               properties={"operation": "MULTIPLY"})
    assert [i["value"] for i in mix["inputs"][:2]] == [0.25, 2.0], mix
    call("node.link", tree="MATERIAL", id="Textured", from_node="Rough", from_socket="Value",
         to_node="Principled BSDF", to_socket="Roughness")
    p = call("node.set", tree="MATERIAL", id="Textured", node="Principled BSDF",
             inputs={"Metallic": 0.5, "Emission Strength": 0.0}, location=[10, 20])
    metallic = next(i for i in p["inputs"] if i["identifier"] == "Metallic")
    assert metallic["value"] == 0.5 and close(p["location"], [10, 20]), p
    listed = tree_state("MATERIAL", "Textured")
    assert {n["name"] for n in listed["nodes"]} >= {"Tex", "Rough", "Principled BSDF"}
    assert link in listed["links"] and len(listed["links"]) == 3, listed["links"]

    # Bad input: precise errors, the tree as it was.
    before = tree_state("MATERIAL", "Textured")
    nodes_before = snapshot()
    err = fail("INVALID_ARGUMENT", "node.add", tree="MATERIAL", id="Textured",
               type="ShaderNodeBogus")
    assert err["details"]["arg"] == "type", err
    err = fail("INVALID_ARGUMENT", "node.add", tree="MATERIAL", id="Textured",
               type="CompositorNodeBlur")
    assert "CompositorNodeBlur" in err["message"], err
    # A bad value after the node was made: the node goes again.
    err = fail("INVALID_ARGUMENT", "node.add", tree="MATERIAL", id="Textured",
               type="ShaderNodeMath", name="Half", inputs={"Value": "high"})
    assert err["details"]["socket"] == "Value", err
    err = fail("NOT_FOUND", "node.add", tree="MATERIAL", id="Textured",
               type="ShaderNodeMath", inputs={"Nope": 1})
    assert err["details"]["kind"] == "input socket" and "Value" in err["details"]["known"]
    fail("NOT_FOUND", "node.add", tree="MATERIAL", id="Textured", type="ShaderNodeTexImage",
         properties={"image": "No Such Image"})
    fail("INVALID_ARGUMENT", "node.add", tree="MATERIAL", id="Textured", type="ShaderNodeMath",
         properties={"operation": "DIVIDE_BY_ZERO"})
    # A shader into a number, a node into itself, an input used as an output.
    err = fail("INVALID_ARGUMENT", "node.link", tree="MATERIAL", id="Textured",
               from_node="Principled BSDF", from_socket="BSDF", to_node="Rough",
               to_socket="Value")
    assert err["details"] == {"arg": "to_socket", "from_type": "SHADER",
                              "to_type": "VALUE"}, err
    fail("INVALID_ARGUMENT", "node.link", tree="MATERIAL", id="Textured", from_node="Rough",
         from_socket="Value", to_node="Rough", to_socket="Value_001")
    fail("NOT_FOUND", "node.link", tree="MATERIAL", id="Textured", from_node="Tex",
         from_socket="Vector", to_node="Rough", to_socket="Value")
    fail("NOT_FOUND", "node.link", tree="MATERIAL", id="Textured", from_node="Ghost",
         from_socket="Color", to_node="Rough", to_socket="Value")
    # A value of the wrong shape or range, an unknown node: nothing of the set applies.
    fail("INVALID_ARGUMENT", "node.set", tree="MATERIAL", id="Textured",
         node="Principled BSDF", inputs={"Metallic": 0.9, "Base Color": [1, 0]})
    fail("INVALID_ARGUMENT", "node.set", tree="MATERIAL", id="Textured",
         node="Material Output", inputs={"Surface": 1})  # a shader input has no value
    fail("NOT_FOUND", "node.set", tree="MATERIAL", id="Textured", node="Ghost",
         inputs={"Value": 1})
    fail("INVALID_ARGUMENT", "node.set", tree="MATERIAL", id="Textured", node="Rough",
         name="Tex")
    fail("NOT_FOUND", "node.remove", tree="MATERIAL", id="Textured", names=["Rough", "Ghost"])
    fail("NOT_FOUND", "node.unlink", tree="MATERIAL", id="Textured", to_node="Rough",
         to_socket="Value")
    fail("NOT_FOUND", "node.list", tree="MATERIAL", id="Nope")
    fail("INVALID_ARGUMENT", "node.list", tree="MATERIAL")
    fail("INVALID_ARGUMENT", "node.list", tree="TEXTURE")
    assert tree_state("MATERIAL", "Textured") == before
    assert snapshot() == nodes_before

    # Replacing a link, unlinking, removing.
    call("node.link", tree="MATERIAL", id="Textured", from_node="Tex", from_socket="Alpha",
         to_node="Principled BSDF", to_socket="Roughness")
    assert call("node.unlink", tree="MATERIAL", id="Textured", to_node="Principled BSDF",
                to_socket="Roughness")["removed"] == [
        {"from_node": "Tex", "from_socket": "Alpha", "to_node": "Principled BSDF",
         "to_socket": "Roughness"}]
    assert call("node.remove", tree="MATERIAL", id="Textured", names=["Rough"]) == {
        "removed": ["Rough"]}
    assert len(tree_state("MATERIAL", "Textured")["links"]) == 2

    # The world's tree and the compositor's (scene.node_tree before 5.0, a node group
    # in scene.compositing_node_group since).
    bg = next(n for n in tree_state("WORLD")["nodes"] if n["type"] == "ShaderNodeBackground")
    call("node.set", tree="WORLD", node=bg["name"], inputs={"Color": [0.1, 0.2, 0.3, 1]})
    got = next(n for n in tree_state("WORLD")["nodes"] if n["name"] == bg["name"])
    assert close(got["inputs"][0]["value"], [0.1, 0.2, 0.3, 1]), got
    blur = call("node.add", tree="COMPOSITOR", type="CompositorNodeBlur", name="Soft")
    assert blur["type"] == "CompositorNodeBlur", blur
    assert "Soft" in {n["name"] for n in tree_state("COMPOSITOR")["nodes"]}
    fail("INVALID_ARGUMENT", "node.add", tree="COMPOSITOR", type="ShaderNodeBsdfPrincipled")
    done("node")


def check_io() -> None:
    hello = call("session.hello")
    formats = hello["io"]
    assert {"GLTF", "OBJ", "FBX", "PLY", "STL"} <= set(formats["export"]), formats
    assert {"GLTF", "OBJ", "FBX", "PLY", "STL"} <= set(formats["import"]), formats
    call("object.create", type="ICO_SPHERE", name="Ball")
    out = call("io.export", path="ball.obj", objects=["Ball"], apply_modifiers=True)
    assert out == {"format": "OBJ", "path": os.path.join(os.path.realpath(H["work"]), "ball.obj"),
                   "objects": ["Ball"]}, out
    for fmt, name in (("PLY", "ball.ply"), ("STL", "ball.stl"), ("GLTF", "ball.gltf"),
                      ("FBX", "ball.fbx")):
        assert call("io.export", path=name, objects=["Ball"])["format"] == fmt
        assert os.path.isfile(os.path.join(H["work"], name)), name
    got = call("io.import", path="ball.obj")
    assert got["format"] == "OBJ" and len(got["created"]["objects"]) == 1, got
    mesh = bpy.data.objects[got["created"]["objects"][0]].data
    assert len(mesh.vertices) == len(bpy.data.objects["Ball"].data.vertices), got
    # Scaled on the way out and again on the way in: 2 x 1.5 = 3 times the extent.
    call("io.export", path="big.obj", objects=["Ball"], scale=2.0)
    big = call("io.import", path="big.obj", scale=1.5)["created"]["objects"][0]
    size = call("object.get", name="Ball", properties=["dimensions"])["properties"]
    got = call("object.get", name=big, properties=["dimensions"])["properties"]
    assert close(got["dimensions"], [3 * d for d in size["dimensions"]]), (got, size)
    err = fail("INVALID_ARGUMENT", "io.export", path="big.glb", scale=2.0)
    assert err["details"] == {"arg": "scale", "format": "GLTF"}, err
    for name in ("ball.ply", "ball.stl", "ball.gltf"):
        assert len(call("io.import", path=name)["created"]["objects"]) == 1, name
    for fmt in ("USD", "ALEMBIC"):  # where this Blender was built with them
        if fmt in formats["export"]:
            ext = ".usdc" if fmt == "USD" else ".abc"
            call("io.export", path="ball" + ext, objects=["Ball"])
            assert call("io.import", path="ball" + ext)["created"]["objects"]

    before = snapshot()
    outside = os.path.join(os.path.dirname(os.path.realpath(H["work"])), "outside.obj")
    fail("FORBIDDEN", "io.export", path=outside)
    fail("FORBIDDEN", "io.import", path=outside)
    fail("FORBIDDEN", "io.import", path="../../etc/passwd.obj")
    fail("NOT_FOUND", "io.import", path="missing.glb")
    fail("NOT_FOUND", "io.export", path="no/such/dir/x.glb")
    err = fail("INVALID_ARGUMENT", "io.export", path="ball.xyz")
    assert err["details"]["arg"] == "format", err
    fail("INVALID_ARGUMENT", "io.export", path="x.glb", format="COLLADA")
    fail("NOT_FOUND", "io.export", path="x.glb", objects=["Ghost"])
    # A file no importer can read: refused, and nothing it began stays.
    with open(os.path.join(H["work"], "broken.glb"), "wb") as f:
        f.write(b"glTF\x02\x00\x00\x00garbage")
    with open(os.path.join(H["work"], "broken.fbx"), "wb") as f:
        f.write(b"Kaydara FBX Binary  \x00\x1a\x00" + b"\xff" * 64)
    for name in ("broken.glb", "broken.fbx"):
        err = fail("INVALID_ARGUMENT", "io.import", path=name)
        assert err["details"]["arg"] == "path", err
    assert snapshot() == before
    # One that fails half-way: the importer has made the first mesh and its object when
    # the second mesh's indices point nowhere. All of it goes again.
    call("object.create", type="CUBE", name="First")
    call("object.create", type="CUBE", name="Second")
    call("io.export", path="two.gltf", objects=["First", "Second"])
    with open(os.path.join(H["work"], "two.gltf"), encoding="utf-8") as f:
        doc = json.load(f)
    assert len(doc["meshes"]) == 2, doc["meshes"]
    doc["meshes"][1]["primitives"][0]["indices"] = 999
    with open(os.path.join(H["work"], "half.gltf"), "w", encoding="utf-8") as f:
        json.dump(doc, f)
    before = snapshot()
    err = fail("INVALID_ARGUMENT", "io.import", path="half.gltf")
    assert "IndexError" in err["details"]["reason"], err
    assert snapshot() == before
    done("io")
