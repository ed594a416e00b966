"""Hostile input against every command of the catalogue, in a real Blender (each backend
of tests/bpy_pypi.py: Debian's ``blender -b`` and the PyPI ``bpy`` wheels).

The requests are generated from the schemas the server itself publishes
(``session.commands``), so a command added to the registry is covered without a change
here. Two kinds of request:

* one argument breaks its schema (wrong type, beyond its bounds, longer than its size
  limit, not one of its choices, nil where required): the command must fail with a client
  error code and change nothing;
* every argument fits its schema but takes an extreme value (a bound, a huge finite float,
  an odd string, a value Blender may not store): the command may succeed, but if it fails
  it must be with a client error code and change nothing.

Throughout, the server answers every request (never ``INTERNAL``), replies stay within
the message limit and errors within a few KiB, and the Blender process's memory stays
bounded (the server runs with a small memory budget)."""

from __future__ import annotations

import array
import math
import os

import psutil
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import bpy_pypi
import nngbridge
from blender_harness import BlenderServer

pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures("addon_from_sources")]

MEMORY_BUDGET = 32 << 20
MAX_MESSAGE = 16 << 20
MAX_JOB_FRAMES = 500
RSS_GROWTH = 1 << 30  # the whole run may grow Blender by at most this much
ERROR_REPLY = 24 << 10  # an error reply's bytes (registry: 1 KiB message, 16 KiB details)
CLIENT_CODES = {"BAD_REQUEST", "UNKNOWN_COMMAND", "INVALID_ARGUMENT", "NOT_FOUND",
                "UNAUTHORIZED", "TOO_LARGE", "BUSY", "FORBIDDEN", "CANCELLED",
                "UNSUPPORTED_VERSION"}
# Names of what the scene holds, so that name arguments also reach existing things.
NAMES = ["Cube", "Img", "Clip", "Track", "M", "L", "G", "GL", "Strip", "Coll", "Scene", "Mat"]
# Not generated: shutting the server down, and rendering (a valid path would start real
# renders; render.* still gets schema-breaking requests).
NEVER = {"session.shutdown"}
NO_EXTREMES = {"render.still", "render.animation"}


@pytest.fixture(scope="module", params=bpy_pypi.backends())
def blender(request, tmp_path_factory, addon_from_sources):
    with BlenderServer(tmp_path_factory.mktemp("hostile"), backend=request.param,
                       memory_budget=MEMORY_BUDGET, max_message=MAX_MESSAGE,
                       max_job_frames=MAX_JOB_FRAMES) as b:
        populate(b)
        b.sent, b.replay = [], []
        b.rss_start = psutil.Process(b.proc.pid).memory_info().rss
        b.schemas = b.call("session.commands")["commands"]
        yield b


def populate(b: BlenderServer) -> None:
    """One of each kind of thing, so commands get past their look-ups."""
    b.call("scene.set", resolution=[16, 16], resolution_percentage=100)
    b.call("object.create", type="CUBE", name="Cube")
    b.call("collection.create", name="Coll")
    w, h = 8, 8
    for f in range(3):
        b.call("image.new", name=f"seq{f}", width=w, height=h, color=[f / 3, 0, 0, 1])
        b.call("image.save", name=f"seq{f}", path=f"seq_{f + 1:03d}.png")
    b.call("image.new", name="Img", width=4, height=4)
    b.call("clip.load", path=str(b.work / "seq_001.png"), name="Clip")
    b.call("tracking.add_track", clip="Clip", name="Track", frame=1, position=[4, 4])
    b.call("mask.create", name="M", clip="Clip")
    b.call("mask.add_layer", name="M", layer="L")
    b.call("mask.add_spline", name="M", layer="L", points=[{"co": [1, 1]}, {"co": [6, 6]}])
    b.call("gpencil.create", name="G", attach="SCENE")
    b.call("gpencil.add_layer", name="G", layer="GL")
    b.call("sequencer.add_text", name="Strip", text="hi", channel=1, frame_start=1,
           frame_end=10)
    b.call("scene.property_set", name="P", value=1)
    b.call("material.create", name="Mat")
    b.call("material.assign", object="Cube", material="Mat")
    b.call("node.add", tree="MATERIAL", id="Mat", type="ShaderNodeMath", name="L")
    b.call("node.add", tree="MATERIAL", id="Mat", type="ShaderNodeTexImage", name="GL",
           properties={"image": "Img"})


def fingerprint(b: BlenderServer) -> list:
    """What the scene holds, read in one batch (a thing a command deleted reads as
    ``NOT_FOUND``; any other failure means a command left the scene broken)."""
    reads = [("scene.get", {}), ("object.list", {}), ("object.get", {"name": "Cube"}),
             ("object.selection", {}), ("image.list", {}), ("clip.list", {}),
             ("collection.get", {"name": "Coll"}), ("mask.list", {}),
             ("mask.layers", {"name": "M", "points": True}),
             ("tracking.markers_get", {"clip": "Clip", "track": "Track"}),
             ("sequencer.list", {}), ("gpencil.list", {}), ("gpencil.layers", {"name": "G"}),
             ("anim.keyframes", {"target": "object", "name": "Cube"}),
             ("anim.keyframes", {"target": "mask", "name": "M"}),
             ("scene.property_get", {"name": "P"}), ("material.get", {"name": "Mat"}),
             ("node.list", {"tree": "MATERIAL", "id": "Mat"})]
    out = b.call("batch", commands=[{"cmd": c, "args": a} for c, a in reads],
                 stop_on_error=False)
    for (cmd, _), r in zip(reads, out["results"]):
        assert r["ok"] or r["error"]["code"] == "NOT_FOUND", (cmd, r)
    return out["results"]


def send(b: BlenderServer, cmd: str, args: dict) -> tuple[dict, int]:
    """The reply and its size in bytes."""
    if b.proc.poll() is not None and os.environ.get("NNGBRIDGE_HOSTILE_DUMP"):
        import pickle
        with open(os.environ["NNGBRIDGE_HOSTILE_DUMP"], "wb") as f:
            pickle.dump(b.replay, f)
    assert b.proc.poll() is None, "Blender died after:\n" + "\n".join(b.sent[-40:])
    b.sent.append(f"{cmd} {str(args)[:300]}")
    b.replay.append((cmd, args))
    b._id += 1
    b.sock.send(nngbridge.packb({"v": 1, "id": b._id, "cmd": cmd, "args": args,
                                 "token": b.token}))
    try:
        raw = b.sock.recv()
    except nngbridge.Timeout:
        pytest.fail(f"no reply to {cmd} {str(args)[:300]}:\n" + "\n".join(b.lines[-20:]))
    reply = nngbridge.unpackb(raw)
    assert reply["id"] == b._id
    return reply, len(raw)


# Values by kind. ---------------------------------------------------------------------

def fitting(spec: dict) -> st.SearchStrategy:
    """A value that fits ``spec`` (what a sane client would send)."""
    kinds = spec["type"]
    if spec.get("choices"):
        return st.sampled_from(spec["choices"])
    if "length" in spec:
        return st.lists(st.floats(-100, 100), min_size=spec["length"],
                        max_size=spec["length"])
    options = []
    low, high = spec.get("minimum"), spec.get("maximum")
    if "int" in kinds:
        lo = -10 if low is None else max(int(low), -10)
        hi = 10 if high is None else min(int(high), 10)
        options.append(st.integers(lo, max(lo, hi)))
    if "float" in kinds:
        options.append(st.floats(low if low is not None else -10.0,
                                 high if high is not None else 10.0))
    if "str" in kinds:
        options.append(st.sampled_from(NAMES))
    if "bool" in kinds:
        options.append(st.booleans())
    if "list" in kinds:
        item = {"int": st.integers(1, 3), "float": st.floats(0, 1),
                "str": st.sampled_from(NAMES), "bool": st.booleans()}.get(
            spec.get("items"), st.integers(1, 3))
        options.append(st.lists(item, max_size=3))
    if "dict" in kinds:
        options.append(st.just({}))
    return st.one_of(options)


def extreme(spec: dict) -> st.SearchStrategy:
    """A value that fits ``spec`` but sits at its edges."""
    kinds = spec["type"]
    if spec.get("choices"):
        return st.sampled_from(spec["choices"])
    options = []
    low, high = spec.get("minimum"), spec.get("maximum")
    if "int" in kinds and low is not None and high is not None:
        options.append(st.sampled_from([int(low), int(high), 0, -1, 1]) | st.integers(
            int(low), int(high)))
    if "float" in kinds:
        lo, hi = (low, high) if low is not None else (-1e308, 1e308)
        options.append(st.sampled_from([lo, hi, 0.0, -0.0, 5e-324]) | st.floats(lo, hi))
    if "str" in kinds:
        most = min(spec.get("max_bytes", 64), 4096)
        options.append(st.sampled_from(["", "\0", "a\0b", "é" * (most // 2), "x" * most,
                                        "../../etc/passwd", "[\"k\"]", "\U0001f600"])
                       | st.text(max_size=20))
    if "bool" in kinds:
        options.append(st.booleans())
    if "list" in kinds:
        n = spec.get("length")
        if n is not None:
            options.append(st.lists(st.sampled_from([1e308, -1e308, 0.0, 5e-324]),
                                    min_size=n, max_size=n))
        else:
            options.append(st.lists(st.sampled_from(
                [2**31 - 1, -2**31, 0, [{"a": 1}], {"co": [0, 0]}, "x", 1e308]), max_size=5))
            options.append(st.just([{"a": 1}]) | st.just([[1, 2], [3]]))
    if "dict" in kinds:
        options.append(st.sampled_from([{}, {"a": [{"b": 1}]}, {"location": [1e308] * 3},
                                        {"[\"k\"]": [{"a": 1}]}, {"name": "x" * 100},
                                        {"frame_start": 2**31 - 1}]))
    return st.one_of(options) if options else fitting(spec)


def breaking(spec: dict) -> list[st.SearchStrategy]:
    """Values that break ``spec``, by the ways it can be broken."""
    kinds = set(spec["type"])
    out = []
    wrong = [v for k, v in (("int", 1), ("float", 1.5), ("str", "s"), ("bool", True),
                            ("list", [1]), ("dict", {"a": 1})) if k not in kinds
             and not (k == "int" and "float" in kinds)]
    if wrong:
        out.append(st.sampled_from(wrong))
    if spec["required"] and not spec.get("nullable"):
        out.append(st.none())
    low, high = spec.get("minimum"), spec.get("maximum")
    if high is not None and kinds & {"int", "float"} and "list" not in kinds:
        out.append(st.sampled_from([int(high) + 1, 2**31, 2**63 - 1, 2**64 - 1]))
    if low is not None and kinds & {"int", "float"} and "list" not in kinds:
        out.append(st.sampled_from([int(low) - 1, -2**31 - 1, -2**63]))
    if "float" in kinds and "list" not in kinds:
        out.append(st.sampled_from([math.inf, -math.inf, math.nan]))
    if "str" in kinds:
        n = spec["max_bytes"]
        out.append(st.sampled_from(["x" * (n + 1), "é" * (n // 2 + 1)]))
        if spec.get("choices"):
            out.append(st.just("NOT_A_CHOICE"))
    if "list" in kinds or "dict" in kinds:
        n = spec["max_items"]
        if "list" in kinds:
            out.append(st.just([0] * (n + 1)))
        else:
            out.append(st.just({str(i): 0 for i in range(n + 1)}))
    if "length" in spec:
        out.append(st.sampled_from([[1.0] * (spec["length"] + 1), [math.nan] * spec["length"],
                                    ["x"] * spec["length"]]))
    if spec.get("items") == "int":
        out.append(st.just([2**40]))
    return out


def check_reply(b: BlenderServer, reply: dict, size: int) -> None:
    assert size <= MAX_MESSAGE
    if not reply["ok"]:
        err = reply["error"]
        assert err["code"] in CLIENT_CODES, err
        assert size <= ERROR_REPLY, (err["code"], err["message"][:200], size)
    rss = psutil.Process(b.proc.pid).memory_info().rss
    assert rss - b.rss_start < RSS_GROWTH, rss


def commands(b: BlenderServer, exclude: set[str]) -> list[str]:
    return sorted(c for c in b.schemas if c not in NEVER | exclude)


def finish_jobs(b: BlenderServer) -> None:
    for job in b.call("job.list")["jobs"]:
        if job["state"] in ("queued", "running"):
            b.call("job.cancel", job=job["job"])


PER_COMMAND = 12  # examples per command and test: every command is covered
# No shrinking: the failing request is reported as sent (a crashed Blender would turn every
# shrinking step into a timeout).
HOSTILE = settings(max_examples=PER_COMMAND, deadline=None, derandomize=True, database=None,
                   phases=[Phase.explicit, Phase.generate],
                   suppress_health_check=list(HealthCheck))


def test_every_command_refuses_schema_breaking_input_and_changes_nothing(blender):
    before = fingerprint(blender)
    codes: dict[str, set[str]] = {}

    @HOSTILE
    @given(st.data())
    def run(cmd, data):
        schema = blender.schemas[cmd]["args"]
        breakable = {k: breaking(s) for k, s in schema.items() if breaking(s)}
        if not breakable:  # nothing to break but the argument names themselves
            args = {"no_such_argument": 1}
        else:
            bad = data.draw(st.sampled_from(sorted(breakable)), label="arg")
            args = {k: data.draw(fitting(s), label=k) for k, s in schema.items()
                    if k != bad and (s["required"] or data.draw(st.booleans()))}
            args[bad] = data.draw(st.one_of(breakable[bad]), label=bad)
        reply, size = send(blender, cmd, args)
        assert not reply["ok"], (cmd, args, reply)
        check_reply(blender, reply, size)
        codes.setdefault(cmd, set()).add(reply["error"]["code"])

    for cmd in commands(blender, set()):
        run(cmd)
    assert fingerprint(blender) == before
    assert set(codes) == set(commands(blender, set()))
    assert any("TOO_LARGE" in c or "INVALID_ARGUMENT" in c for c in codes.values())


def test_every_command_survives_extreme_values(blender):
    state = {"before": fingerprint(blender)}
    outcomes: dict[str, int] = {"ok": 0, "failed": 0}

    @HOSTILE
    @given(st.data())
    def run(cmd, data):
        schema = blender.schemas[cmd]["args"]
        wild = data.draw(st.sampled_from(sorted(schema)), label="arg") if schema else None
        args = {k: data.draw(extreme(s) if k == wild else fitting(s), label=k)
                for k, s in schema.items() if s["required"] or k == wild}
        reply, size = send(blender, cmd, args)
        check_reply(blender, reply, size)
        finish_jobs(blender)
        after = fingerprint(blender)
        if not reply["ok"]:
            assert after == state["before"], (cmd, args, reply["error"])
        state["before"] = after
        outcomes["ok" if reply["ok"] else "failed"] += 1

    for cmd in commands(blender, NO_EXTREMES):
        run(cmd)
    assert outcomes["ok"] and outcomes["failed"], outcomes  # both paths were exercised


def test_pixel_payloads_within_the_budget_are_served(blender):
    """The limits refuse what is too big, not what fits: a 256x256 float image's pixels
    (1 MiB) come back whole."""
    blender.call("image.new", name="Fits", width=256, height=256)
    px = blender.call("image.pixels_get", name="Fits")
    assert px["shape"] == [256, 256, 4] and len(px["data"]) == 4 * 256 * 256 * 4
    assert array.array("f", px["data"])[3] == 1.0  # opaque black, alpha 1
