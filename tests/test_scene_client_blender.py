"""``nngbridge.scene`` drives a real Blender (Debian's, ``blender -b``) through every
command domain of the catalogue: numpy pixels both ways, typed errors, a batch's exact
report, jobs followed by their events (and cancelled), events with ``seq``, many requests
in flight (threads and asyncio), and ``exec``."""

from __future__ import annotations

import asyncio
import json
import re
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nngbridge
import nngbridge.scene as scene
from blender_harness import BlenderServer, track_the_main_job_clip
from blender_scripts.modules import blender_env, populate

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = json.loads((ROOT / "docs" / "commands.json").read_text())["commands"]
DOMAINS = sorted({c["domain"] for c in CATALOGUE.values()})
CHECKED: set[str] = set()
SHAPES = json.loads((ROOT / "docs" / "commands.json").read_text())["shapes"]
SHAPED: set[str] = set()


def shape_keys(notation: str) -> tuple[set[str], set[str]]:
    """A shape's top-level keys: (those always present, all it may have)."""
    parts, depth, part = [], 0, ""
    for ch in notation.strip()[1:-1]:
        depth += (ch in "[{") - (ch in "]}")
        if ch == "," and depth == 0:
            parts.append(part)
            part = ""
        else:
            part += ch
    keys = [p.split(":")[0].strip() for p in [*parts, part]]
    return {k for k in keys if not k.endswith("?")}, {k.rstrip("?") for k in keys}


def check_shape(cmd: str, result: object) -> None:
    """A command whose catalogue result is a shape (``<clip>``) returned exactly its keys."""
    m = re.fullmatch(r"<([a-z_]+)>", CATALOGUE[cmd]["result"] or "")
    if m:
        required, allowed = shape_keys(SHAPES[m.group(1)])
        assert isinstance(result, dict), (cmd, result)
        assert required <= set(result) <= allowed, (cmd, sorted(result), SHAPES[m.group(1)])
        SHAPED.add(m.group(1))

pytestmark = pytest.mark.timeout(300)  # Debian's blender: scripts/setup.sh installs it

W, H, FRAMES = 64, 48, 6


def square_at(frame: int) -> tuple[int, int]:
    """Where frame ``frame``'s 8x8 white square starts (x, y from the bottom)."""
    return 8 + 6 * frame, 10 + 2 * frame


def write_bmp(path: Path, grey: np.ndarray) -> None:
    """A 24-bit BMP of ``grey`` (rows bottom-up, as BMP and Blender keep them)."""
    h, w = grey.shape
    row = (w * 3 + 3) // 4 * 4
    body = np.zeros((h, row), np.uint8)
    body[:, : w * 3] = np.repeat(grey, 3, axis=1)
    head = b"BM" + struct.pack("<IHHI", 54 + body.size, 0, 0, 54) + struct.pack(
        "<IiiHHIIiiII", 40, w, h, 1, 24, 0, body.size, 2835, 2835, 0, 0)
    path.write_bytes(head + body.tobytes())


@pytest.fixture(scope="module")
def blender(tmp_path_factory, addon_from_sources):
    tmp = tmp_path_factory.mktemp("scene-client")
    with BlenderServer(tmp, allow_exec=True) as b:
        frames = b.work / "frames"
        frames.mkdir()
        for f in range(1, FRAMES + 1):
            grey = np.full((H, W), 20, np.uint8)
            x, y = square_at(f)
            grey[y:y + 8, x:x + 8] = 255
            write_bmp(frames / f"frame_{f:04d}.bmp", grey)
        yield b


@pytest.fixture(scope="module")
def client(blender):
    # No token given: the client finds the one Blender wrote for this exact address.
    with scene.connect(blender.address, timeout=60) as c:
        call = c.call

        def call_checking_shapes(cmd, /, **args):
            result = call(cmd, **args)
            check_shape(cmd, result)
            return result

        c.call = call_checking_shapes
        yield c


def checked(domain: str) -> None:
    CHECKED.add(domain)


def test_session(client):
    hello = client.hello()
    check_shape("session.hello", hello)
    assert hello["protocol"] == scene.PROTOCOL_VERSION
    assert set(hello["commands"]) <= set(CATALOGUE)
    assert client.events_address == hello["events"]
    assert client.call("session.ping") == "pong"
    schema = client.call("session.commands", name="mask.bounds")["commands"]["mask.bounds"]
    assert schema["args"] == CATALOGUE["mask.bounds"]["args"]
    with pytest.raises(scene.UnknownCommand):
        client.call("object.fly")
    checked("session")


def test_object_and_collection(client):
    made = client.call("object.create", type="CUBE", name="Box", location=[1, 2, 3])
    assert made == {"name": "Box"}
    client.call("object.create", type="EMPTY", name="Kid", parent="Box")
    got = client.call("object.get", name="Box", properties=["empty_display_size"]
                      if False else None)
    assert got["location"] == pytest.approx([1, 2, 3]) and got["children"] == ["Kid"]
    moved = client.call("object.set", name="Box", location=np.array([4.0, 5.0, 6.0]).tolist())
    assert moved["location"] == pytest.approx([4, 5, 6])
    assert client.call("object.root", name="Kid") == {"root": "Box"}
    assert client.call("object.hierarchy", name="Box")["children"][0]["name"] == "Kid"
    assert client.call("object.select", names=["Kid"], active="Kid")["active"] == "Kid"
    assert client.call("object.selection")["selected"] == ["Kid"]
    assert {"Box", "Kid"} <= {o["name"] for o in client.call("object.list")["objects"]}
    with pytest.raises(scene.NotFound) as info:
        client.call("object.get", name="Nope")
    assert info.value.details == {"kind": "object", "name": "Nope"}
    with pytest.raises(scene.InvalidArgument) as bad:
        client.call("object.create", type="DRAGON")
    assert bad.value.details["arg"] == "type"
    checked("object")

    client.call("collection.create", name="Props")
    linked = client.call("collection.link", collection="Props", objects=["Box"])
    assert linked["objects"] == ["Box"]
    assert client.call("collection.get", name="Props")["parent"] == "Scene Collection"
    assert "Props" in {c["name"] for c in client.call("collection.list")["collections"]}
    assert client.call("collection.unlink", collection="Props", objects=["Box"])["objects"] == []
    assert client.call("collection.delete", name="Props") == {"deleted": "Props"}
    checked("collection")


def test_scene_and_events(client):
    with client.events(topics=["frame"], timeout=20) as stream:
        # The subscription is live once a frame change reaches it: keep changing until then.
        for f in range(2, 200):
            client.call("scene.set", frame_current=f)
            try:
                first = stream.next(timeout=0.2)
                break
            except nngbridge.Timeout:
                continue
        assert first.topic == "frame"
        client.call("scene.set", frame_current=first.data["frame"] + 1)
        second = stream.next()
        assert second.data["frame"] == first.data["frame"] + 1
        assert second.seq > first.seq
    info = client.call("scene.set", frame_start=1, frame_end=FRAMES, resolution=[W, H],
                       resolution_percentage=100)
    assert (info["frame_start"], info["frame_end"], info["resolution"]) == (1, FRAMES, [W, H])
    assert client.call("scene.get")["name"] == info["name"]
    client.call("scene.property_set", name="shot", value={"take": 3})
    assert client.call("scene.property_get", name="shot") == {"take": 3}
    checked("scene")


def test_image_pixels_are_numpy_both_ways(client, blender):
    assert client.call("image.new", name="Plate", width=16, height=8)["size"] == [16, 8]
    px = client.call("image.pixels_get", name="Plate")
    assert isinstance(px, np.ndarray) and px.dtype == np.float32 and px.shape == (8, 16, 4)
    ramp = np.linspace(0, 1, 8 * 16 * 4, dtype=np.float32).reshape(8, 16, 4)
    assert client.call("image.pixels_set", name="Plate", pixels=ramp) == {"name": "Plate"}
    assert np.allclose(client.call("image.pixels_get", name="Plate"), ramp)
    mean = client.call("image.mean_color", name="Plate")["color"]
    assert mean == pytest.approx(ramp.reshape(-1, 4).mean(axis=0), abs=1e-4)
    with pytest.raises(scene.InvalidArgument) as info:
        client.call("image.pixels_set", name="Plate", pixels=np.zeros((2, 2, 4), np.float32))
    assert info.value.details["shape"] == [8, 16, 4]
    with pytest.raises(ValueError, match="non-contiguous"):
        client.call("image.pixels_set", name="Plate", pixels=ramp[:, ::2])
    big = client.call("image.new", name="Big", width=512, height=256)
    assert big["size"] == [512, 256]
    view = client.call("image.pixels_get", name="Big")  # 2 MiB: viewed in the message
    assert view.shape == (256, 512, 4) and not view.flags.writeable
    saved = client.call("image.save", name="Plate", path="plate.png")
    assert Path(saved["path"]) == (blender.work / "plate.png").resolve()
    assert client.call("image.load", path="plate.png", name="Loaded")["size"] == [16, 8]
    assert "Loaded" in {i["name"] for i in client.call("image.list")["images"]}
    with pytest.raises(scene.Forbidden):
        client.call("image.save", name="Plate", path="/etc/plate.png")
    checked("image")


def test_clip_tracking_and_mask(client):
    clip = client.call("clip.load", path="frames/frame_0001.bmp", name="Squares")
    assert clip["size"] == [W, H] and clip["frame_duration"] == FRAMES
    assert client.call("clip.info", name="Squares")["source"] == "SEQUENCE"
    assert "Squares" in {c["name"] for c in client.call("clip.list")["clips"]}
    for f in (1, 4):
        px = client.call("clip.frame_pixels", name="Squares", frame=f)
        assert px.shape == (H, W, 4)
        ys, xs = np.nonzero(px[:, :, 1] > 0.5)
        assert (xs.min(), ys.min()) == square_at(f) and xs.max() - xs.min() == 7
    assert client.call("clip.set", name="Squares", frame_start=1)["frame_start"] == 1
    checked("clip")

    x, y = square_at(1)
    track = client.call("tracking.add_track", clip="Squares", name="Sq", frame=1,
                        position=[x + 4, y + 4])
    assert track["name"] == "Sq"
    markers = [{"frame": f, "position": [square_at(f)[0] + 4, square_at(f)[1] + 4]}
               for f in range(2, FRAMES + 1)]
    assert client.call("tracking.markers_set", clip="Squares", track="Sq",
                       markers=markers)["markers"] == FRAMES
    at3 = client.call("tracking.markers_get", clip="Squares", track="Sq", frame=3)["markers"]
    assert at3[0]["position"] == pytest.approx([square_at(3)[0] + 4, square_at(3)[1] + 4])
    assert client.call("tracking.tracks", clip="Squares")["tracks"][0]["markers"] == FRAMES
    assert client.call("tracking.markers_delete", clip="Squares", track="Sq",
                       frames=[FRAMES])["markers"] == FRAMES - 1
    checked("tracking")

    assert client.call("mask.create", name="Matte", clip="Squares")["size"] == [W, H]
    client.call("mask.add_layer", name="Matte", layer="Box")
    corners = [[10, 10], [30, 10], [30, 20], [10, 20]]
    added = client.call("mask.add_spline", name="Matte", layer="Box",
                        points=[{"co": c, "handle_type": "VECTOR"} for c in corners])
    assert len(added["points"]) == 4
    bounds = client.call("mask.bounds", name="Matte", layer="Box")
    assert bounds["min"] == pytest.approx([10, 10], abs=1e-3)
    assert bounds["max"] == pytest.approx([30, 20], abs=1e-3)
    shifted = [{"co": [cx + 5, cy], "handle_type": "VECTOR"} for cx, cy in corners]
    client.call("mask.key_spline", name="Matte", layer="Box", frame=3, points=shifted)
    assert client.call("mask.bounds", name="Matte", layer="Box", frame=3)["min"][0] == \
        pytest.approx(15, abs=1e-3)
    client.call("mask.layer_visibility_key", name="Matte", layer="Box", frame=1, visible=True)
    assert client.call("mask.layer_set", name="Matte", layer="Box",
                       properties={"alpha": 0.5})["name"] == "Box"
    assert client.call("mask.layers", name="Matte")["layers"][0]["splines"] == 1
    assert "Matte" in {m["name"] for m in client.call("mask.list")["masks"]}
    client.call("mask.create", name="Scrap", size=[8, 8])
    assert client.call("mask.delete", name="Scrap") == {"deleted": "Scrap"}
    checked("mask")


def test_anim_and_wm(client):
    client.call("object.create", type="EMPTY", name="Mover")
    client.call("anim.keyframe_insert", target="object", name="Mover", data_path="location",
                frame=1, value=[0, 0, 0])
    keyed = client.call("anim.keyframe_insert", target="object", name="Mover",
                        data_path="location", frame=11, value=[10, 0, 0],
                        interpolation="LINEAR")
    assert len(keyed["fcurves"]) == 3
    assert client.call("anim.evaluate", target="object", name="Mover", data_path="location",
                       frame=6, index=0)["value"] == pytest.approx(5.0, abs=1e-3)
    assert len(client.call("anim.keyframes", target="object", name="Mover")["fcurves"]) == 3
    left = client.call("anim.keyframe_delete", target="object", name="Mover",
                       data_path="location", frame=11)
    assert all(len(fc["keyframes"]) == 1 for fc in left["fcurves"])
    checked("anim")
    assert client.call("wm.progress", value=0.5) == {"value": 0.5}
    assert client.call("wm.progress", value=None) == {"value": None}
    checked("wm")


def test_material_node_and_io(client):
    mat = client.call("material.create", name="Clay", color=[0.8, 0.2, 0.1, 1.0])
    assert mat["name"] == "Clay" and mat["color"] == pytest.approx([0.8, 0.2, 0.1, 1.0])
    client.call("object.create", type="CUBE", name="Pot")
    assert client.call("material.assign", object="Pot", material="Clay")["slots"] == ["Clay"]
    assert "Clay" in [m["name"] for m in client.call("material.list")["materials"]]
    checked("material")
    math = client.call("node.add", tree="MATERIAL", id="Clay", type="ShaderNodeMath",
                       name="Half", inputs={"Value": 0.5})
    assert math["type"] == "ShaderNodeMath"
    link = client.call("node.link", tree="MATERIAL", id="Clay", from_node="Half",
                       from_socket="Value", to_node="Principled BSDF", to_socket="Roughness")
    assert link["to_socket"] == "Roughness"
    with pytest.raises(scene.NotFound):
        client.call("node.link", tree="MATERIAL", id="Clay", from_node="Half",
                    from_socket="NoSuchSocket", to_node="Principled BSDF",
                    to_socket="Roughness")
    listed = client.call("node.list", tree="MATERIAL", id="Clay")
    assert link in listed["links"]
    assert client.call("node.unlink", tree="MATERIAL", id="Clay", to_node="Principled BSDF",
                       to_socket="Roughness")["removed"] == [link]
    client.call("node.remove", tree="MATERIAL", id="Clay", names=["Half"])
    assert "Half" not in [n["name"] for n in
                          client.call("node.list", tree="MATERIAL", id="Clay")["nodes"]]
    checked("node")
    assert "GLTF" in client.hello()["io"]["export"]
    out = client.call("io.export", path="pot.glb", objects=["Pot"])
    assert out["objects"] == ["Pot"]
    got = client.call("io.import", path="pot.glb")
    assert len(got["created"]["objects"]) == 1 and got["created"]["objects"][0] != "Pot"
    with pytest.raises(scene.Forbidden):
        client.call("io.export", path="/etc/nngbridge-test.glb")
    checked("io")


def test_mesh_arrays_and_id_properties(client):
    positions = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [2, 0.5, 0]], np.float32)
    corners = np.array([0, 1, 2, 3, 1, 4, 2], np.int32)
    made = client.call("mesh.create", name="Pair", positions=positions,
                       loop_totals=np.array([4, 3], np.int32), loop_vertices=corners,
                       object="PairObj")
    assert made["counts"] == {"vertices": 5, "edges": 6, "loops": 7, "polygons": 2}
    got = client.call("mesh.get", object="PairObj", include=["positions", "polygons"])
    assert got["arrays"]["positions"].dtype == np.float32
    np.testing.assert_array_equal(got["arrays"]["positions"], positions)
    np.testing.assert_array_equal(got["arrays"]["loop_vertices"], corners)
    with pytest.raises(scene.InvalidArgument):  # a polygon of two corners
        client.call("mesh.set", name=made["mesh"], loop_totals=np.array([2], np.int32),
                    loop_vertices=np.array([0, 1], np.int32), positions=positions)
    checked("mesh")
    value = {"take": 3, "gains": [0.5, 1.5]}
    assert client.call("id.property_set", kind="object", name="PairObj", key="meta",
                       value=value) == value
    assert client.call("id.property_get", kind="object", name="PairObj", key="meta") == value
    assert client.call("id.property_delete", kind="object", name="PairObj",
                       key="meta") == {"deleted": "meta"}
    with pytest.raises(scene.NotFound):
        client.call("id.property_get", kind="object", name="PairObj", key="meta")
    checked("id")


def test_curves_and_point_clouds_as_numpy(client):
    client.call("exec", code=(
        "import bpy\nbpy.ops.object.curves_random_add()\n"
        "o = bpy.context.view_layer.objects.active\no.name = o.data.name = 'Fur'\n"
        "x = bpy.context.preferences.experimental\n"
        "if hasattr(x, 'use_new_point_cloud_type'):\n"
        "    x.use_new_point_cloud_type = True\n    bpy.ops.object.pointcloud_add()\n"
        "else:\n    bpy.ops.object.pointcloud_random_add()\n"
        "o = bpy.context.view_layer.objects.active\no.name = o.data.name = 'Dots'\n"))
    got = client.call("curves.get", object="Fur", include=["positions", "curves"])
    offsets = got["arrays"]["curve_offsets"]
    assert offsets.dtype == np.int32 and offsets[-1] == got["counts"]["points"]
    np.testing.assert_array_equal(got["arrays"]["point_counts"], np.diff(offsets))
    moved = got["arrays"]["positions"] + np.float32(1)
    client.call("curves.set", name="Fur", positions=moved)
    np.testing.assert_array_equal(
        client.call("curves.get", curves="Fur")["arrays"]["positions"], moved)
    with pytest.raises(scene.InvalidArgument):
        client.call("curves.set", name="Fur", positions=moved[:-1])
    checked("curves")
    dots = client.call("pointcloud.get", object="Dots", include=["positions", "radius"])
    count = dots["counts"]["points"]
    assert dots["arrays"]["positions"].shape == (count, 3)
    client.call("pointcloud.set", name="Dots", radius=np.full(count, 0.5, np.float32))
    np.testing.assert_array_equal(
        client.call("pointcloud.get", pointcloud="Dots", include=["radius"])["arrays"][
            "radius"], np.full(count, 0.5, np.float32))
    checked("pointcloud")


def test_sequencer_and_gpencil(client):
    client.call("sequencer.ensure")
    text = client.call("sequencer.add_text", name="Title", text="Hi", channel=1,
                       frame_start=1, frame_end=10)
    assert text["type"] == "TEXT"
    client.call("sequencer.add_effect", name="Black", type="COLOR", channel=2, frame_start=1,
                frame_end=5)
    got = client.call("sequencer.strip_get", name="Title", properties=["text"])
    assert got["properties"] == {"text": "Hi"}
    assert client.call("sequencer.strip_set", name="Title",
                       properties={"text": "Bye"})["text"] == "Bye"
    assert {"Title", "Black"} <= {s["name"] for s in client.call("sequencer.list")["strips"]}
    assert client.call("sequencer.delete", names=["Black"]) == {"deleted": ["Black"]}
    checked("sequencer")

    client.call("gpencil.create", name="Notes", attach="SCENE")
    client.call("gpencil.add_layer", name="Notes", layer="Ink")
    stroke = client.call("gpencil.add_stroke", name="Notes", layer="Ink", frame=2,
                         points=[[0, 0, 0], [1, 1, 0], [2, 0, 0]], pressure=[1, 0.5, 0.25])
    assert stroke["points"] == 3
    strokes = client.call("gpencil.strokes", name="Notes", layer="Ink", frame=2)["strokes"]
    co = strokes[0]["co"]
    assert isinstance(co, np.ndarray) and co.shape == (3, 3)
    assert np.allclose(co, [[0, 0, 0], [1, 1, 0], [2, 0, 0]])
    assert np.allclose(strokes[0]["pressure"], [1, 0.5, 0.25])
    assert client.call("gpencil.frames", name="Notes", layer="Ink")["frames"] == [
        {"frame": 2, "strokes": 1}]
    assert client.call("gpencil.layers", name="Notes")["layers"][0]["name"] == "Ink"
    assert "Notes" in {a["name"] for a in client.call("gpencil.list")["annotations"]}
    assert client.call("gpencil.delete_frame", name="Notes", layer="Ink", frame=2)["frames"] == []
    checked("gpencil")


def test_batch_reports_each_command_exactly(client):
    report = client.batch([("object.create", {"type": "EMPTY", "name": "B1"}),
                           {"cmd": "object.get", "args": {"name": "Nope"}},
                           ("object.create", {"type": "EMPTY", "name": "B2"})])
    assert (report.applied, report.skipped, len(report), report.ok) == (1, 1, 2, False)
    assert report[0].ok and report[0].result == {"name": "B1"}
    assert isinstance(report[1].error, scene.NotFound) and report[1].cmd == "object.get"
    with pytest.raises(scene.NotFound):
        report.values()
    with pytest.raises(scene.NotFound):
        client.call("object.get", name="B2")  # never ran
    on = client.batch([("object.get", {"name": "Nope"}), ("object.get", {"name": "B1"})],
                      stop_on_error=False)
    assert [i.ok for i in on] == [False, True] and on.skipped == 0
    px = client.batch([("image.pixels_get", {"name": "Plate"})])[0].result
    assert isinstance(px, np.ndarray) and px.shape == (8, 16, 4)
    checked("batch")


def test_jobs_follow_their_events_and_cancel(client, blender):
    job = client.job("clip.mean_colors", name="Squares")
    states = [s["state"] for s in job]
    assert states[-1] == "done" and job.done
    result = job.wait()
    assert [f["frame"] for f in result["frames"]] == list(range(1, FRAMES + 1))
    assert client.call("job.status", job=job.id)["state"] == "done"
    assert job.id in {j["job"] for j in client.call("job.list")["jobs"]}
    checked("job")

    still = client.job("render.still", path="still.png", engine="BLENDER_WORKBENCH")
    assert still.wait(timeout=240)["paths"] == [str((blender.work / "still.png").resolve())]
    many = client.job("render.animation", path="anim_####.png", frame_start=1,
                      frame_end=1000, engine="BLENDER_WORKBENCH")
    with pytest.raises(scene.CallTimeout, match="still"):
        many.wait(timeout=0.01)  # 1000 frames: it runs on
    assert many.cancel()["cancelled"] is True
    with pytest.raises(scene.Cancelled):
        many.wait(timeout=120)
    checked("render")


def test_many_requests_in_flight_threads_and_asyncio(client, blender):
    futures = [client.submit("object.get", name="Box") for _ in range(16)]
    assert {f.result(60)["name"] for f in futures} == {"Box"}

    async def main():
        async with scene.AsyncClient(blender.address, timeout=60) as c:
            got = await asyncio.gather(*(c.call("scene.get") for _ in range(8)),
                                       c.call("image.pixels_get", name="Plate"))
            with pytest.raises(scene.NotFound):
                await c.call("object.get", name="Nope")
            job = await c.job("clip.mean_colors", name="Squares", frame_start=1, frame_end=2)
            return got, await job.wait()

    got, means = asyncio.run(main())
    assert len({g["name"] for g in got[:8]}) == 1 and got[8].shape == (8, 16, 4)
    assert len(means["frames"]) == 2


def test_exec(client):
    assert client.call("exec", code="result = 1 + 1") == {"result": "2"}
    with pytest.raises(scene.Internal) as info:
        client.call("exec", code="raise RuntimeError('boom')")
    assert "boom" in str(info.value.details)
    checked("exec")


def test_the_program_of_the_python_client_doc_runs(blender):
    """docs/python-client.md starts with a program a new user pastes: it runs as written
    (its address swapped for this Blender's)."""
    doc = (ROOT / "docs" / "python-client.md").read_text()
    program = doc.split("```python\n", 1)[1].split("```", 1)[0]
    assert 'scene.connect("ipc:///tmp/blender"' in program
    program = program.replace("ipc:///tmp/blender", blender.address)
    res = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "NOT_FOUND" in res.stdout and "mean colour [0.5" in res.stdout
    assert "frame {'scene': 'Scene', 'frame': 5}" in res.stdout, res.stdout


INSIDE_BLENDER = """
import sys
import bpy
import numpy as np
import nngbridge.scene as scene
with scene.connect(sys.argv[-1], token="t", timeout=30) as peer:
    back = peer.call("echo", pixels=np.ones((4, 8, 4), np.float32),
                     frame=bpy.context.scene.frame_current)
    assert isinstance(back["pixels"], np.ndarray) and back["pixels"].shape == (4, 8, 4)
    try:
        peer.call("missing")
    except scene.NotFound as e:
        print("INSIDE BLENDER OK", back["frame"], e.code, flush=True)
"""


def test_the_client_runs_inside_blender_too(tmp_path):
    """Blender's own Python (Debian's blender -b) drives another peer with the client."""
    address = f"ipc://{tmp_path}/peer"
    rep = nngbridge.Rep0(listen=address)
    modules = populate(tmp_path / "modules")
    script = tmp_path / "inside.py"
    script.write_text(INSIDE_BLENDER)
    proc = subprocess.Popen(["blender", "-b", "--factory-startup", "--python-use-system-env",
                             "--python-exit-code", "1", "--python", str(script), "--",
                             address], env=blender_env(modules, dict(os.environ)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        rep.recv_timeout = 60000
        for _ in range(2):
            req = nngbridge.unpackb(rep.recv())
            if req["cmd"] == "echo":
                rep.send(nngbridge.packb({"v": 1, "id": req["id"], "ok": True,
                                          "result": req["args"]}))
            else:
                rep.send(nngbridge.packb({"v": 1, "id": req["id"], "ok": False, "error": {
                    "code": "NOT_FOUND", "message": "no", "details": None}}))
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        rep.close()
    assert proc.returncode == 0, out[-3000:]
    assert "INSIDE BLENDER OK 1 NOT_FOUND" in out, out[-3000:]


def test_pictures_as_numpy(client):
    # Background Blender: no GPU context, so the GPU pictures are withdrawn; a preview that a
    # .blend file would carry (set here through exec) comes back as float32 RGBA.
    with pytest.raises(scene.UnknownCommand, match="no GPU context"):
        client.call("viewport.capture")
    client.call("image.new", name="Thumb", width=4, height=4)
    client.call("exec", code="p = bpy.data.images['Thumb'].preview_ensure()\n"
                "p.image_size = (1, 2)\n"
                "p.image_pixels_float.foreach_set([0.0, 1.0, 0.0, 1.0] * 2)")
    px = client.call("image.preview", kind="IMAGE", name="Thumb")
    assert isinstance(px, np.ndarray) and px.dtype == np.float32 and px.shape == (2, 1, 4)
    assert np.allclose(px, [[[0, 1, 0, 1]]] * 2)
    with pytest.raises(scene.NotFound):
        client.call("image.preview", kind="WORLD", name="Nope")
    checked("viewport")


def test_every_result_shape_matched_what_blender_returned():
    assert set(SHAPES) - SHAPED == set()


def test_every_domain_was_driven():
    assert sorted(CHECKED) == DOMAINS


@pytest.mark.timeout(600)
def test_python_peer_tracks_the_main_job_clip(tmp_path, addon_from_sources):
    """The main job's tracking pass in Python (examples/track_clip.py, what
    ``scripts/main-job.sh --python`` runs), on the clip the Rust track_clip writes."""
    track_the_main_job_clip(tmp_path, "python")
