"""docs/commands.json and protocol.md §11's table are what the add-on's registry emits
(``python -m nngbridge.blender.catalogue``), run from the repository's sources without
Blender; the real-Blender side is ``check_commands.py``'s ``session.commands`` check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from blender_scripts.modules import populate

ROOT = Path(__file__).resolve().parents[1]
JSON_PATH = ROOT / "docs" / "commands.json"


def run(modules: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(modules), "PATH": os.environ.get("PATH", "/usr/bin")}
    return subprocess.run([sys.executable, "-m", "nngbridge.blender.catalogue", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def test_committed_catalogue_is_what_the_registry_emits(tmp_path):
    res = run(populate(tmp_path / "modules"), "--check", str(JSON_PATH))
    assert res.returncode == 0, res.stdout + res.stderr


def test_check_fails_on_a_stale_file_and_write_repairs_it(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    protocol = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    (docs / "protocol.md").write_text(
        protocol.replace("| `wm.progress` |", "| `wm.progressed` |"), encoding="utf-8")
    stale = json.loads(JSON_PATH.read_text(encoding="utf-8"))
    del stale["commands"]["wm.progress"]
    (docs / "commands.json").write_text(json.dumps(stale), encoding="utf-8")
    modules = populate(tmp_path / "modules")
    res = run(modules, "--check", str(docs / "commands.json"))
    assert res.returncode == 1 and "stale" in res.stderr
    assert run(modules, "--write", str(docs / "commands.json")).returncode == 0
    assert (docs / "commands.json").read_bytes() == JSON_PATH.read_bytes()
    assert (docs / "protocol.md").read_text(encoding="utf-8") == protocol


def test_catalogue_says_what_each_command_is():
    cat = json.loads(JSON_PATH.read_text(encoding="utf-8"))["commands"]
    assert {c["domain"] for c in cat.values()} >= {"object", "mask", "clip", "job", "render"}
    assert {n for n, c in cat.items() if c["job"]} == {
        "clip.mean_colors", "render.still", "render.animation"}
    assert cat["wm.progress"]["args"]["value"] == {
        "type": ["float"], "required": True, "nullable": True, "minimum": 0.0, "maximum": 1.0}
    assert "FORBIDDEN" in cat["exec"]["errors"]
    assert all(c["since"] for c in cat.values())


def test_command_modules_are_named_after_their_domains_on_both_sides():
    """One file per domain, named as the command prefix, in the add-on and the Rust crate
    (``exec`` lives with ``session``)."""
    python = {p.stem for p in (ROOT / "python" / "nngbridge" / "blender" / "commands")
              .glob("*.py")} - {"__init__"}
    rust = {p.stem for p in (ROOT / "crates" / "nngbridge-scene" / "src" / "commands")
            .glob("*.rs")} - {"mod"}
    domains = {c["domain"] for c in json.loads(JSON_PATH.read_text(encoding="utf-8"))[
        "commands"].values()} - {"exec"}
    assert python == rust == domains
