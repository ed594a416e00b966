"""Rust peers against the add-on in a real Blender: the typed SceneClient
(crates/nngbridge-scene/examples/drive_blender.rs), the main job's tracking pass
(examples/track_clip.rs) and the `nngbridge` CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from blender_harness import BlenderServer, cargo_binary, track_the_main_job_clip
from test_blender_curves import SCRIPT

ROOT = Path(__file__).resolve().parents[1]
# Curves and a point cloud for typed_domains.rs, as datablocks without objects (the scene's
# objects stay the ones the Rust test makes).
CURVES_SCRIPT = SCRIPT.replace('"Hair"', '"Fur"').replace('"Cloud"', '"Dots"') + (
    "for o in (hair, cloud):\n    o.data.use_fake_user = True\n"
    "    bpy.data.objects.remove(o)\n")
pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures("addon_from_sources")]


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
    """The main job's tracking pass with the Rust peer (track_clip.rs)."""
    track_the_main_job_clip(tmp_path, "rust")


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
