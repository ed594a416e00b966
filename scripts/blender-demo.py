"""The main job's Blender part: start Debian's Blender in background mode with the
nngbridge wheel installed in its user modules, let the Rust peer
(crates/nngbridge-scene/examples/drive_blender.rs) drive it over ipc://, shut it down."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from blender_harness import BlenderServer  # noqa: E402


def main() -> int:
    driver = ROOT / "target" / "release" / "examples" / "drive_blender"
    with tempfile.TemporaryDirectory(prefix="nngbridge-blender-") as tmp, \
            BlenderServer(Path(tmp)) as blender:
        hello = blender.call("session.hello")
        print(f"blender {hello['blender']} serves {len(hello['commands'])} commands "
              f"on {blender.address}", flush=True)
        res = subprocess.run([str(driver), blender.address], timeout=300)
    return res.returncode


if __name__ == "__main__":
    sys.exit(main())
