"""Security of the add-on against a real Blender (Debian's ``blender -b``): file commands
stay inside the allowed directories (docs/protocol.md §7.2), a server without a token
generates one that local clients — this harness, the `nngbridge` CLI and the Rust
SceneClient under it — find by the address (§7.1), ``insecure_no_token`` is the only
way to serve without one and says so, and ipc sockets are user-only. A few fast checks
of the path rule and the token-file rule run without Blender."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

import blender_harness
from blender_harness import BlenderServer, cargo_binary
from nngbridge import tokens
from nngbridge.blender import paths
from nngbridge.blender.registry import CommandError

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures("addon_from_sources")]
VICTIM = b"precious: must survive\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """tmp/work (the server's work dir), tmp/extra (allowed too), tmp/outside (not)."""
    tmp = tmp_path_factory.mktemp("sec")
    for d in ("extra", "outside"):
        (tmp / d).mkdir()
    (tmp / "outside" / "victim.png").write_bytes(VICTIM)
    (tmp / "victim.png").write_bytes(VICTIM)  # next to the work dir: ../victim.png
    work = blender_harness.work_dir(tmp)
    (work / "link.png").symlink_to(tmp / "outside" / "victim.png")
    (work / "linkdir").symlink_to(tmp / "outside")
    return tmp


@pytest.fixture(scope="module")
def blender(site, addon_from_sources):
    """No token given: the server makes one; the harness finds it by the address."""
    with BlenderServer(site, allowed_dirs=[str(site / "extra")]) as b:
        b.call("image.new", name="Plate", width=4, height=4, color=[1, 0, 0, 1])
        yield b


def untouched(site: Path) -> None:
    assert (site / "outside" / "victim.png").read_bytes() == VICTIM
    assert (site / "victim.png").read_bytes() == VICTIM


# --- the path rule, in Blender ---------------------------------------------------------

@pytest.mark.parametrize("where", ["absolute", "dotdot-deep", "dotdot", "symlink-file",
                                   "symlink-dir", "blend-relative-without-blend"])
def test_image_save_outside_is_forbidden_and_the_file_untouched(blender, site, where):
    target = {"absolute": str(site / "outside" / "victim.png"),
              "dotdot-deep": "a/b/../../../victim.png",
              "dotdot": "../victim.png",
              "symlink-file": "link.png",
              "symlink-dir": "linkdir/victim.png",
              "blend-relative-without-blend": "//../victim.png"}[where]
    err = blender.error("image.save", name="Plate", path=target)
    want = "INVALID_ARGUMENT" if where.startswith("blend") else "FORBIDDEN"
    assert err["code"] == want, err
    untouched(site)


def test_image_save_and_load_inside_resolve_against_the_work_dir(blender, site):
    saved = blender.call("image.save", name="Plate", path="sub/../plate.png")
    assert saved["path"] == os.path.realpath(blender.work / "plate.png")
    assert (blender.work / "plate.png").stat().st_size > 0
    assert blender.call("image.load", path="plate.png")["size"] == [4, 4]
    extra = str(site / "extra" / "plate.png")
    assert blender.call("image.save", name="Plate", path=extra)["path"] == extra
    assert blender.call("image.load", path=extra)["size"] == [4, 4]


def test_image_load_answers_the_same_for_existing_and_missing_files_outside(blender, site):
    shadow = blender.error("image.load", path="/etc/shadow")
    missing = blender.error("image.load", path="/nonexistent-nngbridge/x.png")
    assert shadow["code"] == missing["code"] == "FORBIDDEN", (shadow, missing)
    assert shadow["message"].replace("'/etc/shadow'", "P") == \
        missing["message"].replace("'/nonexistent-nngbridge/x.png'", "P")
    assert set(shadow["details"]) == set(missing["details"])
    assert blender.error("image.load", path=str(site / "outside" / "victim.png"))["code"] == \
        "FORBIDDEN"
    assert blender.error("image.load", path="link.png")["code"] == "FORBIDDEN"
    # Only a missing file inside an allowed directory is NOT_FOUND.
    assert blender.error("image.load", path="missing.png")["code"] == "NOT_FOUND"
    assert blender.error("image.load", path=str(site / "extra" / "no.png"))["code"] == \
        "NOT_FOUND"


def test_every_other_file_command_obeys_the_rule(blender, site):
    outside = str(site / "outside" / "victim.png")
    assert blender.error("clip.load", path=outside)["code"] == "FORBIDDEN"
    assert blender.error("clip.load", path="/etc/passwd")["code"] == "FORBIDDEN"
    assert blender.error("clip.load", path="nope.mp4")["code"] == "NOT_FOUND"
    assert blender.error("sequencer.add_movie", name="M", path=outside, channel=1,
                         frame_start=1)["code"] == "FORBIDDEN"
    assert blender.error("sequencer.add_movie", name="M", path="../victim.png", channel=1,
                         frame_start=1)["code"] == "FORBIDDEN"
    assert blender.error("sequencer.add_image", name="I", paths=[outside], channel=1,
                         frame_start=1)["code"] == "FORBIDDEN"
    assert blender.error("render.still", path=outside)["code"] == "FORBIDDEN"
    assert blender.error("render.animation", path=str(site / "outside" / "f_##.png"),
                         frame_start=1, frame_end=1)["code"] == "FORBIDDEN"
    assert blender.error("render.animation", path="../f_##.png", frame_start=1,
                         frame_end=1)["code"] == "FORBIDDEN"
    # A strip's file and folder properties are paths too.
    blender.call("image.save", name="Plate", path="strip.png")
    blender.call("sequencer.add_image", name="Still", paths=["strip.png"], channel=1,
                 frame_start=1)
    err = blender.error("sequencer.strip_set", name="Still",
                        properties={"directory": str(site / "outside")})
    assert err["code"] == "FORBIDDEN", err
    err = blender.error("scene.set", properties={"render.filepath": outside})
    assert err["code"] == "FORBIDDEN", err
    inside = blender.call("scene.set", properties={"render.filepath": "renders/"})
    assert inside["name"]  # accepted: inside the work dir
    strip = blender.call("sequencer.strip_get", name="Still")
    assert os.path.realpath(strip["directory"]) == os.path.realpath(blender.work)
    untouched(site)
    assert not list((site / "outside").glob("f_*"))


def test_hello_says_where_files_go(blender, site):
    files = blender.call("session.hello")["files"]
    assert files["work_dir"] == os.path.realpath(blender.work)
    assert files["allowed_dirs"] == [os.path.realpath(blender.work), str(site / "extra")]


# --- the token, in Blender -------------------------------------------------------------

def test_a_generated_token_is_in_a_user_only_file_and_required(blender):
    path = Path(tokens.token_path(blender.address))
    assert f"nngbridge: token in {path}" in blender.lines
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert blender.token and path.read_text() == blender.token
    reply = blender.request("object.create", {"type": "EMPTY", "name": "Intruder"}, token=None)
    assert reply["error"]["code"] == "UNAUTHORIZED"
    assert blender.error("object.get", name="Intruder")["code"] == "NOT_FOUND"


def test_the_cli_and_the_rust_client_find_the_token_blender_wrote(blender):
    """`nngbridge call` without --token uses SceneClient::connect_local: the Rust rule
    (nngbridge_scene::token) must name the file the Python rule wrote."""
    cli = cargo_binary(["-p", "nngbridge-cli"], "nngbridge")
    env = {k: v for k, v in os.environ.items() if k != "NNGBRIDGE_TOKEN"}
    out = subprocess.run([str(cli), "call", blender.address, "object.create",
                          '{"type": "EMPTY", "name": "FromCli"}'],
                         capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["result"] == {"name": "FromCli"}
    bad = subprocess.run([str(cli), "call", blender.address, "session.ping", "--token", "x"],
                         capture_output=True, text=True, timeout=60, env=env)
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["error"]["code"] == "UNAUTHORIZED"


def test_ipc_sockets_are_user_only(blender):
    for address in (blender.address, blender.events):
        mode = os.stat(address[len("ipc://"):]).st_mode
        assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600, oct(mode)


def test_serving_without_a_token_takes_the_explicit_switch_and_warns(tmp_path):
    with BlenderServer(tmp_path, insecure_no_token=True) as b:
        assert b.token is None
        assert not Path(tokens.token_path(b.address)).exists()
        assert any("WARNING" in line and "WITHOUT a token" in line for line in b.lines), b.lines
        assert b.call("session.ping") == "pong"


def test_the_token_file_goes_when_the_server_stops(tmp_path):
    with BlenderServer(tmp_path) as b:
        path = Path(tokens.token_path(b.address))
        assert path.read_text() == b.token
    assert b.proc.returncode == 0
    assert not path.exists()


# --- the rules without Blender ---------------------------------------------------------

def test_address_key_matches_the_rust_vectors():
    # The same vectors as nngbridge_scene::token's unit test (FNV-1a 64).
    assert tokens.address_key("") == "cbf29ce484222325"
    assert tokens.address_key("a") == "af63dc4c8601ec8c"
    assert tokens.address_key("foobar") == "85944171f73967e8"


def test_token_dir_prefers_the_runtime_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert tokens.token_dir() == str(tmp_path / "nngbridge")
    monkeypatch.setenv("XDG_RUNTIME_DIR", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert tokens.token_dir() == str(tmp_path / "home" / ".nngbridge")
    path = tokens.write_token("tcp://127.0.0.1:1", "t0k")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert tokens.read_token("tcp://127.0.0.1:1") == "t0k"
    tokens.remove_token("tcp://127.0.0.1:1", "other")  # not ours: stays
    assert tokens.read_token("tcp://127.0.0.1:1") == "t0k"


def test_the_path_rule_resolves_then_confines(monkeypatch, tmp_path):
    work, blend, out = tmp_path / "work", tmp_path / "blend", tmp_path / "out"
    blend.mkdir()
    out.mkdir()
    monkeypatch.setattr(paths, "STATE", dict(paths.STATE))
    monkeypatch.setattr(paths, "_blend_dir", lambda: str(blend))
    paths.configure(str(work))
    assert stat.S_IMODE(work.stat().st_mode) == 0o700
    assert paths.resolve("x.png") == str(work / "x.png")
    assert paths.resolve("//x.png") == str(blend / "x.png")
    assert paths.allowed_dirs() == [str(work), str(blend)]
    (work / "esc").symlink_to(out)
    for bad in ("../x", "a/b/../../../x", str(out / "x"), "esc/x", "//../out/x"):
        with pytest.raises(CommandError) as e:
            paths.resolve(bad)
        assert e.value.code == "FORBIDDEN", bad
    with pytest.raises(CommandError) as e:
        paths.readable("missing.png")
    assert e.value.code == "NOT_FOUND"
    paths.configure(str(work), allowed_dirs=[])  # the work dir alone
    with pytest.raises(CommandError) as e:
        paths.resolve("//x.png")
    assert e.value.code == "FORBIDDEN"
