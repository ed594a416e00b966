"""The add-on in a real Blender under ``blender -b`` (serve() on the main thread), driven
from this process over ipc:// with the nngbridge client: every command domain that exists,
events, and bad input."""

from __future__ import annotations

import struct

import pytest

import nngbridge
from blender_harness import BlenderServer

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def blender(tmp_path_factory):
    with BlenderServer(tmp_path_factory.mktemp("bg")) as b:
        yield b


def test_session_hello_lists_commands(blender):
    hello = blender.call("session.hello")
    assert hello["protocol"] == 1 and hello["blender"].startswith("3.")
    assert {"session.ping", "object.create", "image.pixels_get", "batch"} <= set(hello["commands"])
    assert blender.call("session.ping") == "pong"


def test_objects_collections_hierarchy_selection(blender):
    assert blender.call("object.create", type="CUBE", name="Box", collection="Props",
                        location=[1, 2, 3]) == {"name": "Box"}
    blender.call("object.create", type="EMPTY", name="Handle", parent="Box",
                 empty_display_type="ARROWS", empty_display_size=0.5)
    blender.call("object.create", type="LIGHT", name="Lamp", light_type="SUN")
    blender.call("object.create", type="CAMERA", name="Cam")
    got = blender.call("object.get", name="Box")
    assert got["location"] == [1.0, 2.0, 3.0] and got["collections"] == ["Props"]
    assert got["children"] == ["Handle"]
    listed = blender.call("object.list", collection="Props")["objects"]
    assert [o["name"] for o in listed] == ["Box"]
    assert blender.call("object.root", name="Handle") == {"root": "Box"}
    assert blender.call("object.hierarchy", name="Box")["children"][0]["name"] == "Handle"
    moved = blender.call("object.set", name="Box", location=[0, 0, 5], scale=[2, 2, 2])
    assert moved["location"] == [0.0, 0.0, 5.0] and moved["scale"] == [2.0, 2.0, 2.0]
    sel = blender.call("object.select", names=["Lamp", "Cam"], active="Cam")
    assert sorted(sel["selected"]) == ["Cam", "Lamp"] and sel["active"] == "Cam"
    assert blender.call("object.delete", names=["Lamp"]) == {"deleted": ["Lamp"]}


def test_scene_frames_resolution_and_properties(blender):
    s = blender.call("scene.set", frame_start=1, frame_end=48, frame_current=12, fps=25,
                     resolution=[320, 240], resolution_percentage=50)
    assert (s["frame_current"], s["frame_end"], s["fps"]) == (12, 48, 25.0)
    assert s["resolution"] == [320, 240] and s["resolution_percentage"] == 50
    assert blender.call("scene.property_set", name="shot", value="sh010") == "sh010"
    assert blender.call("scene.property_get", name="shot") == "sh010"


def test_image_pixels_round_trip_as_float32_bin(blender):
    blender.call("image.new", name="Plate", width=8, height=4)
    px = blender.call("image.pixels_get", name="Plate")
    assert px["dtype"] == "f4" and px["shape"] == [4, 8, 4]
    assert isinstance(px["data"], bytes) and len(px["data"]) == 4 * 8 * 4 * 4
    values = [i / 128 for i in range(128)]
    data = struct.pack("<128f", *values)
    blender.call("image.pixels_set", name="Plate",
                 pixels={"dtype": "f4", "shape": [4, 8, 4], "data": data})
    back = blender.call("image.pixels_get", name="Plate")
    assert struct.unpack("<128f", back["data"]) == pytest.approx(values)
    mean = blender.call("image.mean_color", name="Plate")["color"]
    assert mean[0] == pytest.approx(sum(values[0::4]) / 32)


def test_pixels_of_two_images_in_one_batch_stay_distinct(blender):
    for name, value in (("A", 0.25), ("B", 0.75)):
        blender.call("image.new", name=name, width=4, height=4)
        blender.call("image.pixels_set", name=name, pixels={
            "dtype": "f4", "shape": [4, 4, 4], "data": struct.pack("<64f", *[value] * 64)})
    out = blender.call("batch", commands=[
        {"cmd": "image.pixels_get", "args": {"name": "A"}},
        {"cmd": "image.pixels_get", "args": {"name": "B"}},
    ])
    a, b = (struct.unpack("<64f", r["result"]["data"]) for r in out["results"])
    assert set(a) == {0.25} and set(b) == {0.75}


def test_batch_reports_exactly_what_was_applied(blender):
    out = blender.call("batch", commands=[
        {"cmd": "object.create", "args": {"type": "PLANE", "name": "Floor"}},
        {"cmd": "object.get", "args": {"name": "Missing"}},
        {"cmd": "object.create", "args": {"type": "PLANE", "name": "NeverMade"}},
    ])
    assert out["applied"] == 1 and len(out["results"]) == 2
    assert out["results"][1]["error"]["code"] == "NOT_FOUND"
    assert blender.error("object.get", name="NeverMade")["code"] == "NOT_FOUND"
    assert blender.call("object.get", name="Floor")["type"] == "MESH"


def test_bad_input_gets_structured_errors_and_changes_nothing(blender):
    assert blender.error("object.nope")["code"] == "UNKNOWN_COMMAND"
    assert blender.error("object.create", type="DRAGON")["code"] == "INVALID_ARGUMENT"
    short = blender.error("object.create", type="CUBE", location=[1, 2])
    assert short["code"] == "INVALID_ARGUMENT"
    assert blender.error("object.create", type=5)["code"] == "INVALID_ARGUMENT"
    assert blender.error("object.create", type="CUBE", colour="red")["code"] == "INVALID_ARGUMENT"
    assert blender.error("object.get", name="Nope")["code"] == "NOT_FOUND"
    assert blender.error("object.delete", names=["Box", "Nope"])["code"] == "NOT_FOUND"
    assert blender.call("object.get", name="Box")["name"] == "Box"  # nothing deleted
    blender.call("image.new", name="Small", width=2, height=2)
    err = blender.error("image.pixels_set", name="Small",
                        pixels={"dtype": "f4", "shape": [4, 4, 4], "data": bytes(256)})
    assert err["code"] == "INVALID_ARGUMENT" and err["details"]["shape"] == [2, 2, 4]
    assert blender.error("exec", code="result = 1")["code"] == "FORBIDDEN"
    assert blender.request("session.ping", v=99)["error"]["code"] == "UNSUPPORTED_VERSION"


def test_garbage_and_vanishing_clients_do_not_stop_the_server(blender):
    with nngbridge.Req0(dial=blender.address, recv_timeout=10000) as raw:
        for i in range(1000):
            raw.send(bytes([0xC1, i % 256]) if i % 2 else b"\x92\x01")
            reply = nngbridge.unpackb(raw.recv())
            assert reply["error"]["code"] == "BAD_REQUEST"
    # A client that sends and disappears before the reply.
    gone = nngbridge.Req0(dial=blender.address)
    gone.send(nngbridge.packb({"v": 1, "id": 1, "cmd": "session.ping", "args": {}}))
    gone.close()
    assert blender.call("session.ping") == "pong"


def test_events_carry_frames_with_a_monotonic_seq(blender):
    with nngbridge.Sub0(dial=blender.events, topics=["frame"], recv_timeout=500) as sub:
        got = []
        frame = 100
        while len(got) < 3 and frame < 200:
            frame += 1
            blender.call("scene.set", frame_current=frame)
            try:
                got.append(sub.recv())
            except nngbridge.Timeout:
                continue  # the subscription was still connecting
    topic, _, body = got[-1].partition(b"\0")
    event = nngbridge.unpackb(body)
    assert topic == b"frame" and event["data"]["frame"] == frame
    seqs = [nngbridge.unpackb(m.partition(b"\0")[2])["seq"] for m in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_a_wrong_token_is_unauthorized_and_changes_nothing(tmp_path):
    with BlenderServer(tmp_path, token="s3cret") as b:
        assert b.call("session.ping") == "pong"
        reply = b.request("object.create", {"type": "CUBE", "name": "Intruder"}, token="wrong")
        assert reply["error"]["code"] == "UNAUTHORIZED"
        assert b.error("object.get", name="Intruder")["code"] == "NOT_FOUND"
