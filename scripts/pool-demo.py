"""The main job's pool run (``bash scripts/main-job.sh --workers N``): the tracking pass
of crates/nngbridge-scene/examples/track_clip.rs split over N Blender workers
(``blender -b`` with ``nngbridge.blender.serve(join=...)``, docs/pool.md) that join a
``nngbridge_scene::Pool``, against one worker in the same run. One of the N is killed
with SIGKILL half-way through on purpose; every frame is still checked against the truth,
and the summary prints frames per worker, tasks re-sent, lost, duplicates and wall times.
"""

from __future__ import annotations

import argparse
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "target" / "release" / "examples"
sys.path.insert(0, str(ROOT / "tests"))

import bpy_pypi  # noqa: E402
from blender_harness import MAKE_MOVIE, work_dir  # noqa: E402
from blender_pool_harness import Worker  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4, help="workers in the pool")
    parser.add_argument("--examples", type=Path, default=EXAMPLES,
                        help="where track_clip was built")
    args = parser.parse_args()
    bpy_pypi.unshadow_system_python()
    if args.workers < 2:
        parser.error("--workers needs at least 2 (one is killed half-way)")
    track = str(args.examples / "track_clip")
    token = secrets.token_urlsafe(24)
    workers: list[Worker] = []
    with tempfile.TemporaryDirectory(prefix="nngbridge-pool-") as tmp_name:
        tmp = Path(tmp_name)
        frames, movie = tmp / "frames", work_dir(tmp) / "shape.mp4"
        subprocess.run([track, "frames", str(frames)], check=True, timeout=600)
        solo, pool = f"ipc://{tmp}/solo", f"ipc://{tmp}/pool"
        try:
            # The baseline worker encodes the movie before it serves (and joins).
            workers.append(Worker(tmp, "solo", solo, token=token,
                                  before=MAKE_MOVIE.format(frames=str(frames),
                                                           movie=str(movie))))
            workers += [Worker(tmp, f"w{i}", pool, token=token)
                        for i in range(1, args.workers + 1)]
            print(f"started {len(workers)} Blenders: solo on {solo}, "
                  f"w1..w{args.workers} on {pool}", flush=True)
            doomed = workers[-1]
            run = subprocess.run([track, "pool", token, solo, pool, str(args.workers),
                                  movie.name, str(doomed.proc.pid)], timeout=1800)
        finally:
            for w in workers:
                w.kill()
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
