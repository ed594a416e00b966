"""Curves and point clouds as binary arrays over the wire, against a real Blender on each
backend (tests/bpy_pypi.py): what each Blender's API can do decides which commands it
offers (a withdrawn one is an ``UNKNOWN_COMMAND`` saying why); data made by Blender's own
operators is read back; arrays are written in place everywhere and built into new
datablocks where the API can; bad input is a precise ``INVALID_ARGUMENT`` that changes
nothing."""

from __future__ import annotations

import numpy
import pytest

import bpy_pypi
from blender_harness import BlenderServer
from test_blender_mesh import as_array, back

pytestmark = pytest.mark.timeout(600)

# Random hair and a random point cloud, from Blender's own operators (3.4: the point cloud
# is experimental there; 5.x: the operator is pointcloud_random_add).
SCRIPT = """
bpy.ops.object.curves_random_add()
hair = bpy.context.view_layer.objects.active
hair.name = hair.data.name = "Hair"
if hasattr(bpy.context.preferences.experimental, "use_new_point_cloud_type"):
    bpy.context.preferences.experimental.use_new_point_cloud_type = True
    bpy.ops.object.pointcloud_add()
else:
    bpy.ops.object.pointcloud_random_add()
cloud = bpy.context.view_layer.objects.active
cloud.name = cloud.data.name = "Cloud"
bpy.data.hair_curves.new("Empty").use_fake_user = True
bpy.data.pointclouds.new("Void").use_fake_user = True
"""
BUILDERS = ("curves.create", "pointcloud.create")
# What each backend's API can build (Curves.add_curves/set_types, PointCloud.resize).
BUILDS = {(3, 4): set(), (5, 0): {"curves.create"}, (5, 3): set(BUILDERS)}


@pytest.fixture(scope="module", params=bpy_pypi.backends())
def blender(tmp_path_factory, addon_from_sources, request):
    with BlenderServer(tmp_path_factory.mktemp("curves"), backend=request.param,
                       script=SCRIPT) as b:
        b.commands = set(b.call("session.hello")["commands"])
        b.version = bpy_pypi.version(request.param)
        yield b


def offered(b: BlenderServer, cmd: str) -> bool:
    return cmd in b.commands


def test_each_blender_offers_what_its_api_can_do(blender):
    for cmd in ("curves.get", "curves.set", "pointcloud.get", "pointcloud.set"):
        assert cmd in blender.commands
    builds = {c for c in BUILDERS if offered(blender, c)}
    if blender.version in BUILDS:
        assert builds == BUILDS[blender.version], (blender.version, builds)
    for cmd in set(BUILDERS) - builds:
        err = blender.error(cmd, name="X", positions=as_array(numpy.zeros((1, 3), "f4")))
        assert err["code"] == "UNKNOWN_COMMAND" and "cannot" in err["details"]["reason"], err
    described = blender.call("session.commands")["commands"]
    assert set(described) == blender.commands


def test_curves_made_by_blender_read_back_as_arrays(blender):
    got = blender.call("curves.get", object="Hair",
                       include=["positions", "curves", "radius", "types"])
    n, p = got["counts"]["curves"], got["counts"]["points"]
    assert got["curves"] == "Hair" and got["object"] == "Hair" and n > 0 and p > n, got["counts"]
    a = {k: back(v) for k, v in got["arrays"].items()}
    assert a["positions"].shape == (p, 3) and a["radius"].shape == (p,)
    assert a["curve_offsets"][0] == 0 and a["curve_offsets"][-1] == p
    assert numpy.array_equal(a["point_counts"], numpy.diff(a["curve_offsets"]))
    assert numpy.array_equal(a["curve_types"], numpy.zeros(n, "i1"))  # Catmull-Rom
    same = blender.call("curves.get", curves="Hair", include=["positions"])
    assert numpy.array_equal(back(same["arrays"]["positions"]), a["positions"])
    assert list(same["arrays"]) == ["positions"]
    evaluated = blender.call("curves.get", object="Hair", evaluated=True)  # no modifiers
    assert (evaluated["curves"], evaluated["evaluated"]) == ("Hair", True)
    assert back(evaluated["arrays"]["curve_offsets"]).tolist() == a["curve_offsets"].tolist()
    err = blender.error("curves.get", curves="Hair", evaluated=True)
    assert err["details"]["arg"] == "evaluated"


def test_a_point_cloud_made_by_blender_reads_back_as_arrays(blender):
    got = blender.call("pointcloud.get", object="Cloud", include=["positions", "radius"])
    p = got["counts"]["points"]
    assert got["pointcloud"] == "Cloud" and p > 0
    positions, radius = back(got["arrays"]["positions"]), back(got["arrays"]["radius"])
    assert positions.shape == (p, 3) and radius.shape == (p,) and radius.min() > 0
    assert numpy.abs(positions).max() > 0
    evaluated = blender.call("pointcloud.get", object="Cloud", evaluated=True)
    assert numpy.array_equal(back(evaluated["arrays"]["positions"]), positions)


def test_empty_curves_and_point_clouds_read_as_empty_arrays(blender):
    got = blender.call("curves.get", curves="Empty",
                       include=["positions", "curves", "radius", "types"])
    assert got["counts"] == {"curves": 0, "points": 0}
    shapes = {k: v["shape"] for k, v in got["arrays"].items()}
    assert shapes == {"positions": [0, 3], "curve_offsets": [1], "point_counts": [0],
                      "radius": [0], "curve_types": [0]}, shapes
    assert back(got["arrays"]["curve_offsets"]).tolist() == [0]
    void = blender.call("pointcloud.get", pointcloud="Void", include=["positions", "radius"])
    assert void["counts"] == {"points": 0} and void["arrays"]["positions"]["shape"] == [0, 3]
    done = blender.call("curves.set", name="Empty", radius=as_array(numpy.zeros(0, "f4")))
    assert done["counts"] == {"curves": 0, "points": 0}


def test_arrays_are_written_in_place_on_every_blender(blender):
    got = blender.call("curves.get", curves="Hair", include=["positions"])
    n, p = got["counts"]["curves"], got["counts"]["points"]
    moved = back(got["arrays"]["positions"]) + numpy.float32(1)
    radius = numpy.linspace(0.1, 0.2, p, dtype="f4")
    length = numpy.arange(n, dtype="f4")
    done = blender.call("curves.set", name="Hair", positions=as_array(moved),
                        radius=as_array(radius),
                        attributes={"length": {"domain": "CURVE", "data_type": "FLOAT",
                                               **as_array(length)}})
    assert done["counts"] == {"curves": n, "points": p}
    again = blender.call("curves.get", curves="Hair", include=["positions", "radius"],
                         attributes=["length"])
    assert numpy.array_equal(back(again["arrays"]["positions"]), moved)
    assert numpy.array_equal(back(again["arrays"]["radius"]), radius)
    assert again["attributes"]["length"]["domain"] == "CURVE"
    assert numpy.array_equal(back(again["attributes"]["length"]), length)

    p = blender.call("pointcloud.get", pointcloud="Cloud")["counts"]["points"]
    flags = (numpy.arange(p) % 2).astype("u1")
    blender.call("pointcloud.set", name="Cloud", positions=as_array(numpy.ones((p, 3), "f4")),
                 attributes={"flag": {"domain": "POINT", "data_type": "BOOLEAN",
                                      **as_array(flags)}})
    back_ = blender.call("pointcloud.get", pointcloud="Cloud", attributes=["flag"])
    assert numpy.array_equal(back(back_["arrays"]["positions"]), numpy.ones((p, 3), "f4"))
    assert numpy.array_equal(back(back_["attributes"]["flag"]), flags)


def snapshot(b: BlenderServer) -> tuple:
    c = b.call("curves.get", curves="Hair", include=list(("positions", "curves", "radius")))
    p = b.call("pointcloud.get", pointcloud="Cloud", include=["positions", "radius"])
    objects = b.call("object.list")
    return (c["counts"], {k: v["data"] for k, v in c["arrays"].items()}, p["counts"],
            {k: v["data"] for k, v in p["arrays"].items()}, objects)


def test_bad_arrays_are_refused_precisely_and_change_nothing(blender):
    before = snapshot(blender)
    n, p = before[0]["curves"], before[0]["points"]
    q = before[2]["points"]

    def bad(cmd: str, arg: str, **args) -> dict:
        err = blender.error(cmd, **args)
        assert err["code"] == "INVALID_ARGUMENT" and err["details"]["arg"] == arg, err
        return err["details"]

    d = bad("curves.set", "positions", name="Hair",
            positions=as_array(numpy.zeros((p, 3), "f8")))
    assert d["dtype"] == "f4" and d["given"] == "f8"
    d = bad("curves.set", "positions", name="Hair",
            positions=as_array(numpy.zeros((p + 1, 3), "f4")))
    assert d["shape"] == [p, 3]
    short = as_array(numpy.zeros(p, "f4"))
    short["data"] = short["data"][:-4]
    d = bad("curves.set", "radius", name="Hair", radius=short)
    assert d["bytes"] == 4 * p - 4 and d["expected"] == 4 * p
    d = bad("curves.set", "attributes[w]", name="Hair", radius=as_array(numpy.ones(p, "f4")),
            attributes={"w": {"domain": "CURVE", "data_type": "FLOAT",
                              **as_array(numpy.zeros(p, "f4"))}})
    assert d["shape"] == [n] and d["given"] == [p]
    d = bad("curves.set", "attributes", name="Hair",
            attributes={"curve_type": {"domain": "CURVE", "data_type": "INT8",
                                       **as_array(numpy.zeros(n, "i1"))}})
    assert d["use"] == "curve_types"
    d = bad("curves.set", "attributes", name="Hair",
            attributes={"w": {"domain": "FACE", "data_type": "FLOAT",
                              **as_array(numpy.zeros(n, "f4"))}})
    assert d["domains"] == ["POINT", "CURVE"]
    d = bad("pointcloud.set", "attributes", name="Cloud",
            attributes={"radius": {"domain": "POINT", "data_type": "FLOAT",
                                   **as_array(numpy.zeros(q, "f4"))}})
    assert d["use"] == "radius"
    blender.call("pointcloud.set", name="Cloud", attributes={
        "kind": {"domain": "POINT", "data_type": "INT", **as_array(numpy.zeros(q, "i4"))}})
    d = bad("pointcloud.set", "attributes", name="Cloud",
            positions=as_array(numpy.full((q, 3), 7, "f4")),
            attributes={"kind": {"domain": "POINT", "data_type": "FLOAT",
                                 **as_array(numpy.zeros(q, "f4"))}})
    assert d["data_type"] == "INT"  # in place, an attribute keeps its type
    if not offered(blender, "pointcloud.create"):
        d = bad("pointcloud.set", "positions", name="Cloud",
                positions=as_array(numpy.zeros((q + 1, 3), "f4")))
        assert d["shape"] == [q, 3] and "resize" in d["reason"]
    if not offered(blender, "curves.create"):
        d = bad("curves.set", "point_counts", name="Hair",
                positions=as_array(numpy.zeros((2, 3), "f4")),
                point_counts=as_array(numpy.array([2], "i4")))
        assert "add_curves" in d["reason"]
    assert blender.error("curves.get", curves="Nope")["code"] == "NOT_FOUND"
    assert blender.error("pointcloud.get", object="Hair")["details"]["type"] == "CURVES"
    assert snapshot(blender) == before
    assert "curves.get" in blender.call("session.hello")["commands"]


def test_an_attribute_blender_refuses_leaves_the_arrays_unwritten(blender):
    """3.4 refuses a built-in attribute name of another type (``cyclic`` as INT); the
    positions given with it are then not written either. 5.x stores it as given."""
    got = blender.call("curves.get", curves="Hair", include=["positions"])
    n, p = got["counts"]["curves"], got["counts"]["points"]
    old = back(got["arrays"]["positions"])
    ints = numpy.arange(n, dtype="i4")
    reply = blender.request("curves.set", {
        "name": "Hair", "positions": as_array(old + numpy.float32(5)),
        "attributes": {"cyclic": {"domain": "CURVE", "data_type": "INT", **as_array(ints)}}})
    now = blender.call("curves.get", curves="Hair", include=["positions"])
    if reply["ok"]:
        assert blender.version >= (5, 0), reply
        assert numpy.array_equal(back(now["arrays"]["positions"]), old + numpy.float32(5))
        cyclic = blender.call("curves.get", curves="Hair", attributes=["cyclic"])
        assert numpy.array_equal(back(cyclic["attributes"]["cyclic"]), ints)
    else:
        err = reply["error"]
        assert err["code"] == "INVALID_ARGUMENT" and err["details"]["name"] == "cyclic", err
        assert numpy.array_equal(back(now["arrays"]["positions"]), old)
        assert blender.error("curves.get", curves="Hair", attributes=["cyclic"])[
            "code"] == "NOT_FOUND"
    assert now["counts"] == {"curves": n, "points": p}


def strands() -> dict[str, numpy.ndarray]:
    """Three curves (2, 3 and 4 points): poly, Bézier, NURBS."""
    counts = numpy.array([2, 3, 4], "i4")
    positions = numpy.arange(9 * 3, dtype="f4").reshape(9, 3)
    return {"positions": positions, "point_counts": counts,
            "radius": numpy.linspace(0.5, 1, 9, dtype="f4"),
            "curve_types": numpy.array([1, 2, 3], "i1")}


def test_curves_are_built_from_arrays_where_blender_can(blender):
    if not offered(blender, "curves.create"):
        assert blender.version < (5, 0)
        return
    s = strands()
    handles = numpy.ones((9, 3), "f4")
    made = blender.call("curves.create", name="Strands", object="Strands",
                        **{k: as_array(v) for k, v in s.items()},
                        attributes={"handle_left": {"domain": "POINT",
                                                    "data_type": "FLOAT_VECTOR",
                                                    **as_array(handles)},
                                    "cyclic": {"domain": "CURVE", "data_type": "BOOLEAN",
                                               **as_array(numpy.array([0, 1, 0], "u1"))}})
    assert made == {"curves": "Strands", "object": "Strands",
                    "counts": {"curves": 3, "points": 9}}
    got = blender.call("curves.get", object="Strands", include=list(
        ("positions", "curves", "radius", "types")), attributes=["handle_left", "cyclic"])
    a = {k: back(v) for k, v in got["arrays"].items()}
    for key in s:
        assert numpy.array_equal(a[key], s[key]), key
    assert numpy.array_equal(a["curve_offsets"], [0, 2, 5, 9])
    assert numpy.array_equal(back(got["attributes"]["handle_left"]), handles)
    assert numpy.array_equal(back(got["attributes"]["cyclic"]), [0, 1, 0])

    blender.call("material.create", name="StrandMat")
    blender.call("material.assign", object="Strands", material="StrandMat")
    before = blender.call("curves.get", curves="Strands")
    for arg, value, detail in (
            ("point_counts", numpy.array([2, 0, 7], "i4"), {"curve": 1, "points": 0}),
            ("point_counts", numpy.array([2, 3, 3], "i4"), {"expected": 9, "given": 8}),
            ("curve_types", numpy.array([1, 4, 0], "i1"), {"maximum": 4})):
        args = {k: as_array(v) for k, v in s.items()}
        args[arg] = as_array(value)
        for cmd, extra in (("curves.create", {"name": "Bad"}), ("curves.set",
                                                                  {"name": "Strands"})):
            err = blender.error(cmd, **extra, **args)
            assert err["code"] == "INVALID_ARGUMENT" and err["details"]["arg"] == arg, err
            assert detail.items() <= err["details"].items(), err
    assert blender.error("curves.get", curves="Bad")["code"] == "NOT_FOUND"
    assert blender.call("curves.get", curves="Strands") == before

    one = {"positions": numpy.zeros((5, 3), "f4"), "point_counts": numpy.array([5], "i4")}
    done = blender.call("curves.set", name="Strands", **{k: as_array(v) for k, v in one.items()})
    assert done == {"curves": "Strands", "object": None, "counts": {"curves": 1, "points": 5}}
    obj = blender.call("object.get", name="Strands")
    assert obj["data"] == "Strands", obj  # the object uses the new curves, same name
    assert blender.call("material.get", name="StrandMat")["users"] >= 1


def test_point_clouds_are_built_from_arrays_where_blender_can(blender):
    if not offered(blender, "pointcloud.create"):
        err = blender.error("pointcloud.create", name="P",
                            positions=as_array(numpy.zeros((1, 3), "f4")))
        assert err["code"] == "UNKNOWN_COMMAND" and "resize" in err["details"]["reason"]
        return
    positions = numpy.random.default_rng(1).random((1000, 3), dtype="f4")
    radius = numpy.full(1000, 0.05, "f4")
    made = blender.call("pointcloud.create", name="Dust", object="Dust",
                        positions=as_array(positions), radius=as_array(radius))
    assert made == {"pointcloud": "Dust", "object": "Dust", "counts": {"points": 1000}}
    got = blender.call("pointcloud.get", object="Dust", include=["positions", "radius"])
    assert numpy.array_equal(back(got["arrays"]["positions"]), positions)
    assert numpy.array_equal(back(got["arrays"]["radius"]), radius)
    fewer = blender.call("pointcloud.set", name="Dust", positions=as_array(positions[:10]))
    assert fewer["counts"] == {"points": 10}
    assert blender.call("object.get", name="Dust")["data"] == "Dust"
    err = blender.error("pointcloud.create", name="Dust2", positions=as_array(positions),
                        radius=as_array(radius[:3]))
    assert err["code"] == "INVALID_ARGUMENT" and err["details"]["shape"] == [1000]
    assert blender.error("pointcloud.get", pointcloud="Dust2")["code"] == "NOT_FOUND"
