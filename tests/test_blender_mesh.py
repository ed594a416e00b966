"""Meshes as binary arrays over the wire, against a real Blender on each backend
(tests/bpy_pypi.py): a 1-million-vertex grid is built with ``mesh.create`` from
arrays, read back with ``mesh.get`` and compared array for array, its positions
replaced in place with ``mesh.set``; a failed ``mesh.set`` leaves it as it was (the mesh
bench's rows are checked by tests/test_bench_smoke.py)."""

from __future__ import annotations

import numpy
import pytest

import bpy_pypi
import nngbridge
from blender_harness import BlenderServer

pytestmark = pytest.mark.timeout(600)

SIDE = 1000  # vertices a side: 1,000,000 vertices, 998,001 quads


def grid(side: int) -> dict[str, numpy.ndarray]:
    """A side x side grid of vertices, its quads and every edge, as mesh.create takes them."""
    ys, xs = numpy.divmod(numpy.arange(side * side, dtype=numpy.int32), side)
    positions = numpy.stack([xs, ys, (xs * ys) % 7], axis=1).astype(numpy.float32) / side
    corner = (ys[:-side] * side + xs[:-side])[xs[:-side] < side - 1]  # lower-left corners
    quads = numpy.stack([corner, corner + 1, corner + side + 1, corner + side], axis=1)
    rows = numpy.arange(side * side, dtype=numpy.int32).reshape(side, side)
    across = numpy.stack([rows[:, :-1].ravel(), rows[:, 1:].ravel()], axis=1)
    up = numpy.stack([rows[:-1, :].ravel(), rows[1:, :].ravel()], axis=1)
    return {"positions": positions, "edges": numpy.concatenate([across, up]).astype(numpy.int32),
            "loop_totals": numpy.full(len(quads), 4, dtype=numpy.int32),
            "loop_vertices": quads.astype(numpy.int32).ravel()}


def as_array(a: numpy.ndarray) -> dict:
    return {"dtype": a.dtype.str.lstrip("<|"), "shape": list(a.shape), "data": a.tobytes()}


def back(a: dict) -> numpy.ndarray:
    return numpy.frombuffer(a["data"], dtype=a["dtype"]).reshape(a["shape"])


@pytest.fixture(scope="module", params=bpy_pypi.backends())
def blender(tmp_path_factory, addon_from_sources, request):
    with BlenderServer(tmp_path_factory.mktemp("mesh"), backend=request.param,
                       max_message=256 << 20) as b:
        b.sock.recv_timeout = 120_000
        yield b


def test_a_million_vertex_mesh_round_trips_array_for_array(blender):
    g = grid(SIDE)
    weight = numpy.linspace(0, 1, SIDE * SIDE, dtype=numpy.float32)
    made = blender.call("mesh.create", name="Million", object="Million",
                        **{k: as_array(v) for k, v in g.items()},
                        attributes={"weight": {"domain": "POINT", "data_type": "FLOAT",
                                               **as_array(weight)}})
    quads = (SIDE - 1) ** 2
    assert made["counts"] == {"vertices": SIDE * SIDE, "edges": len(g["edges"]),
                              "loops": 4 * quads, "polygons": quads}, made
    got = blender.call("mesh.get", object="Million", attributes=["weight"],
                       include=["positions", "edges", "polygons"])
    a = got["arrays"]
    assert numpy.array_equal(back(a["positions"]), g["positions"])
    assert numpy.array_equal(back(a["edges"]), g["edges"])
    assert numpy.array_equal(back(a["loop_totals"]), g["loop_totals"])
    assert numpy.array_equal(back(a["loop_vertices"]), g["loop_vertices"])
    assert numpy.array_equal(back(a["loop_starts"]), numpy.arange(0, 4 * quads, 4))
    assert numpy.array_equal(back(got["attributes"]["weight"]), weight)
    moved = g["positions"] * 2
    blender.call("mesh.set", name="Million", positions=as_array(moved))
    again = blender.call("mesh.get", mesh="Million", include=["positions"])
    assert numpy.array_equal(back(again["arrays"]["positions"]), moved)


def test_a_failed_mesh_set_leaves_the_mesh_as_it_was(blender):
    g = grid(4)
    blender.call("mesh.create", name="Small", **{k: as_array(v) for k, v in g.items()})
    bad = dict(g, loop_vertices=g["loop_vertices"].copy())
    bad["loop_vertices"][5] = 16
    err = blender.error("mesh.set", name="Small", **{k: as_array(v) for k, v in bad.items()})
    assert err["code"] == "INVALID_ARGUMENT" and err["details"]["arg"] == "loop_vertices"
    assert err["details"]["maximum"] == 16 and err["details"]["vertices"] == 16
    got = blender.call("mesh.get", mesh="Small", include=["positions", "polygons"])
    assert numpy.array_equal(back(got["arrays"]["loop_vertices"]), g["loop_vertices"])
    names = blender.call("session.hello")  # the server is still serving
    assert "mesh.get" in names["commands"]


def test_arrays_beyond_the_reply_limit_are_too_large_before_any_is_read(tmp_path):
    with BlenderServer(tmp_path, max_message=2 << 20) as b:
        positions = grid(300)["positions"]  # 90,000 vertices: 1.08 MB, and as much of normals
        b.call("mesh.create", name="Big", positions=as_array(positions))
        err = b.error("mesh.get", mesh="Big", include=["positions", "vertex_normals"])
        assert err["code"] == "TOO_LARGE" and err["details"]["limit"] == 2 << 20, err
        assert err["details"]["needed"] == 2 * positions.nbytes
        assert b.call("mesh.get", mesh="Big", include=["positions"])["counts"]["vertices"] == \
            len(positions)


def test_custom_property_changes_arrive_as_property_events(blender):
    """id.property_set/delete publish ``property`` events; the subscriber is known to be
    connected once it has one (the first sets are repeated until then)."""
    blender.call("mesh.create", name="Props", positions=as_array(grid(2)["positions"]))
    sub = nngbridge.Sub0(dial=blender.events, topics=["property"], recv_timeout=200)
    try:
        for attempt in range(100):
            blender.call("id.property_set", kind="mesh", name="Props", key="warmup",
                         value=attempt)
            try:
                if sub.recv().startswith(b"property\0"):
                    break
            except nngbridge.Timeout:
                continue
        else:
            pytest.fail("the subscriber never connected")
        sub.recv_timeout = 10_000
        blender.call("id.property_set", kind="mesh", name="Props", key="take",
                     value={"n": 3})
        blender.call("id.property_delete", kind="mesh", name="Props", key="take")
        bodies: list[dict] = []
        while len(bodies) < 2:  # warm-up events may still be queued before these
            body = nngbridge.unpackb(sub.recv().partition(b"\0")[2])
            if body["data"]["key"] == "take":
                bodies.append(body)
    finally:
        sub.close()
    assert [b["data"] for b in bodies] == [
        {"kind": "mesh", "name": "Props", "key": "take", "op": "set"},
        {"kind": "mesh", "name": "Props", "key": "take", "op": "delete"}]
    assert bodies[1]["seq"] == bodies[0]["seq"] + 1 and bodies[0]["topic"] == "property"
