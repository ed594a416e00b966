"""Rust peers against the add-on in a real Blender: the typed SceneClient
(crates/nngbridge-scene/examples/drive_blender.rs), the main job's tracking pass
(examples/track_clip.rs) and the `nngbridge` CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import blender_harness
from blender_harness import MAKE_MOVIE, BlenderServer
from blender_scripts.modules import install_sources
from test_blender_curves import SCRIPT

ROOT = Path(__file__).resolve().parents[1]
# Curves and a point cloud for typed_domains.rs, as datablocks without objects (the scene's
# objects stay the ones the Rust test makes).
CURVES_SCRIPT = SCRIPT.replace('"Hair"', '"Fur"').replace('"Cloud"', '"Dots"') + (
    "for o in (hair, cloud):\n    o.data.use_fake_user = True\n"
    "    bpy.data.objects.remove(o)\n")
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(autouse=True)
def _sources_not_wheel(monkeypatch):
    """Blender runs the add-on from the repository's sources, not a possibly stale wheel."""
    monkeypatch.setattr(blender_harness, "install_wheel", install_sources)


def cargo_binary(args: list[str], path: str) -> Path:
    subprocess.run(["cargo", "build", "-q", *args], cwd=ROOT, check=True, timeout=600)
    exe = ROOT / "target" / "debug" / path
    assert exe.exists(), exe
    return exe


def test_typed_rust_client_and_cli_drive_blender(tmp_path):
    driver = cargo_binary(["-p", "nngbridge-scene", "--example", "drive_blender"],
                          "examples/drive_blender")
    cli = cargo_binary(["-p", "nngbridge-cli"], "nngbridge")
    with BlenderServer(tmp_path) as b:
        res = subprocess.run([str(driver), b.address], capture_output=True, text=True,
                             timeout=120)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "all checks passed" in res.stdout
        print(res.stdout.strip())

        out = subprocess.run([str(cli), "call", b.address, "object.create",
                              '{"type": "EMPTY", "name": "CliEmpty"}'],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["result"] == {"name": "CliEmpty"}
        err = subprocess.run([str(cli), "call", b.address, "object.get", '{"name": "Nope"}'],
                             capture_output=True, text=True, timeout=60)
        assert err.returncode == 1
        assert json.loads(err.stdout)["error"]["code"] == "NOT_FOUND"


def test_rust_peer_tracks_a_generated_clip_in_blender(tmp_path):
    """The main job's tracking pass: the Rust peer pulls every frame of a movie Blender made
    from its frames, finds the moving disk, writes a keyframed mask and a tracking marker,
    and checks what Blender reads back against the truth (it exits 1 beyond 0.5 px)."""
    tracker = cargo_binary(["-p", "nngbridge-scene", "--example", "track_clip"],
                           "examples/track_clip")
    # The movie goes in the server's work directory: the only place clip.load may read.
    frames, movie = tmp_path / "frames", blender_harness.work_dir(tmp_path) / "shape.mp4"
    subprocess.run([str(tracker), "frames", str(frames)], check=True, timeout=120)
    assert len(list(frames.glob("frame_*.bmp"))) == 48
    with BlenderServer(tmp_path, script=MAKE_MOVIE.format(frames=str(frames),
                                                          movie=str(movie))) as b:
        res = subprocess.run([str(tracker), "track", b.address, movie.name],
                             capture_output=True, text=True, timeout=300)
        print(res.stdout)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "result                       OK" in res.stdout
        # What the peer wrote is in Blender: one keyframed spline, a marker on every frame.
        keys = b.call("anim.keyframes", target="mask", name="ShapeMask",
                      data_path='layers["shape"].splines[0].points[0].co')["fcurves"]
        assert len(keys[0]["keyframes"]) == 48
        markers = b.call("tracking.markers_get", clip="Shape", track="Shape")["markers"]
        assert [m["frame"] for m in markers] == list(range(1, 49))


@pytest.mark.parametrize("client", ["SceneClient", "AsyncSceneClient"])
def test_typed_commands_of_every_domain_drive_blender(tmp_path, client):
    """crates/nngbridge-scene/tests/typed_domains.rs (an ignored test: it needs this
    Blender): every domain driven with typed commands and typed results, through the
    blocking client and through the async one; it ends with `session.shutdown`."""
    cargo = ["cargo", "test", "-q", "-p", "nngbridge-scene", "--test", "typed_domains"]
    subprocess.run([*cargo, "--no-run"], cwd=ROOT, check=True, timeout=600)
    with BlenderServer(tmp_path, script=CURVES_SCRIPT) as b:
        work = b.work
        env = dict(os.environ, NNGBRIDGE_TEST_ADDRESS=b.address,
                   NNGBRIDGE_TEST_EVENTS=b.events, NNGBRIDGE_TEST_WORK=str(work))
        if client == "AsyncSceneClient":
            env["NNGBRIDGE_TEST_ASYNC"] = "1"
        res = subprocess.run([*cargo, "--", "--ignored", "--nocapture", "--test-threads=1"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
        out = res.stdout + res.stderr
        assert res.returncode == 0, out + "\n--- blender ---\n" + "\n".join(b.lines[-40:])
        checked = [w for line in res.stdout.splitlines() if line.startswith("checked ")
                   for w in line.split()[1:]]
        assert checked == ["session", "object", "collection", "scene", "image", "clip",
                           "tracking", "mask", "sequencer", "gpencil", "anim", "wm", "batch",
                           "job", "render", "mesh", "id", "curves", "pointcloud"], out
        assert "all checks passed" in res.stdout
        assert f"client: {client}" in res.stdout, out
        assert (work / "still.png").is_file()
        # The test's last command was session.shutdown: Blender leaves on its own.
        assert b.proc.wait(timeout=60) == 0
        print(res.stdout.strip())


def test_async_client_drives_blender(tmp_path):
    """crates/nngbridge-scene/tests/async_client.rs's ignored test: AsyncSceneClient under
    tokio, eight calls in flight from one task, against this Blender."""
    cargo = ["cargo", "test", "-q", "-p", "nngbridge-scene", "--test", "async_client"]
    subprocess.run([*cargo, "--no-run"], cwd=ROOT, check=True, timeout=600)
    with BlenderServer(tmp_path) as b:
        env = dict(os.environ, NNGBRIDGE_TEST_ADDRESS=b.address,
                   NNGBRIDGE_TEST_EVENTS=b.events, NNGBRIDGE_TEST_WORK=str(b.work))
        res = subprocess.run([*cargo, "--", "--ignored", "--nocapture", "--test-threads=1",
                              "real_blender"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
        out = res.stdout + res.stderr
        assert res.returncode == 0, out + "\n--- blender ---\n" + "\n".join(b.lines[-40:])
        assert "async client: all checks passed" in res.stdout, out
