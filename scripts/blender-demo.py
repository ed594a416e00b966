"""The main job's Blender part: start Debian's Blender (background mode, or the GUI under
Xvfb with ``--gui``) with the nngbridge wheel installed in its user modules, and let Rust
peers drive it over ipc://:

1. crates/nngbridge-scene/examples/drive_blender.rs builds a small scene with typed commands;
2. crates/nngbridge-scene/examples/track_clip.rs writes the frames of a clip of a moving
   bright disk, Blender encodes them into a movie before it starts serving, and the Rust
   peer loads the movie, finds the disk in every frame's pixels, writes a keyframed mask
   around it and a tracking marker on it, checks both against the truth and prints a
   summary. With ``--python`` the tracking pass is examples/track_clip.py instead: the
   same pass written in Python with numpy against ``nngbridge.scene``, printing the same
   summary.

Then Blender is shut down. Exits non-zero if any step fails.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "target" / "release" / "examples"
sys.path.insert(0, str(ROOT / "tests"))

import bpy_pypi  # noqa: E402
from blender_harness import MAKE_MOVIE, BlenderServer, work_dir  # noqa: E402

def run(step: str, cmd: list[str]) -> None:
    print(f"\n--- {step}: {' '.join(Path(c).name if c.startswith('/') else c for c in cmd)}",
          flush=True)
    subprocess.run(cmd, check=True, timeout=600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gui", action="store_true",
                        help="run Blender's GUI under xvfb-run (timer-driven server)")
    parser.add_argument("--python", action="store_true",
                        help="track the clip with the Python peer (examples/track_clip.py)")
    args = parser.parse_args()
    bpy_pypi.unshadow_system_python()
    with tempfile.TemporaryDirectory(prefix="nngbridge-blender-") as tmp:
        # The movie goes in the server's work directory, where clip.load may read it.
        frames, movie = Path(tmp) / "frames", work_dir(Path(tmp)) / "shape.mp4"
        run("generate the clip's frames", [str(EXAMPLES / "track_clip"), "frames", str(frames)])
        script = MAKE_MOVIE.format(frames=str(frames), movie=str(movie))
        with BlenderServer(Path(tmp), gui=args.gui, script=script) as blender:
            hello = blender.call("session.hello")
            mode = "GUI (Xvfb)" if args.gui else "background"
            print(f"\nblender {hello['blender']} ({mode}) serves {len(hello['commands'])} "
                  f"commands on {blender.address}", flush=True)
            try:
                run("build a scene", [str(EXAMPLES / "drive_blender"), blender.address])
                if args.python:
                    run("track the clip (Python peer)",
                        [sys.executable, str(ROOT / "examples" / "track_clip.py"),
                         blender.address, movie.name, str(frames / "clip.json")])
                else:
                    run("track the clip", [str(EXAMPLES / "track_clip"), "track",
                                           blender.address, movie.name, str(frames / "clip.json")])
            except subprocess.CalledProcessError as e:
                print(f"\nblender-demo: {e}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
