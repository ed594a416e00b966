"""The main job's tracking pass, in Python with numpy over ``nngbridge.scene`` — what an
ML service does with footage; the twin of crates/nngbridge-scene/examples/track_clip.rs:

    python examples/track_clip.py ADDRESS MOVIE CLIP_JSON

loads MOVIE (the clip of a bright disk moving over a noisy background that
``track_clip frames DIR`` writes and Blender encodes; in a directory the server allows)
into the Blender serving ADDRESS, pulls every frame's pixels as a numpy array, finds the
disk, writes a keyframed mask around it and a tracking marker on it in one batch per
frame, reads both back, compares them with the truth and prints the same summary as the
Rust peer. CLIP_JSON is the ``DIR/clip.json`` that track_clip writes with the frames: the
clip's size, frames, the disk's radius and levels, and the truth (the disk's centre on
each frame), so that they have one home, the program that draws the clip. The token is
the one Blender wrote for ADDRESS. Exits 1 when an error exceeds ``TOLERANCE`` pixels or
Blender answers wrongly (``bash scripts/main-job.sh --python``).
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import nngbridge.scene as scene

MASK, LAYER, TRACK = "ShapeMask", "shape", "Shape"
MARGIN = 8.0  # how far outside the disk the mask runs, in pixels
TOLERANCE = 0.5  # the largest error in pixels the check accepts


class Clip(NamedTuple):
    """The clip as track_clip.rs drew it (its clip.json)."""

    frames: int
    width: int
    height: int
    radius: float  # the disk's, in pixels
    levels: tuple[float, float]  # 8-bit: the background stays under the first; the disk
    truth: list[tuple[float, float]]  # the disk's centre on each frame, Blender's pixels

    @staticmethod
    def load(path: str) -> Clip:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        clip = Clip(d["frames"], d["width"], d["height"], d["radius"], tuple(d["levels"]),
                    [(x, y) for x, y in d["truth"]])
        if len(clip.truth) != clip.frames:
            raise ValueError(f"{path}: {len(clip.truth)} centres for {clip.frames} frames")
        return clip


def find_shape(pixels: np.ndarray, levels: tuple[float, float]) -> tuple[float, float, float]:
    """Centre and radius of the bright disk in float RGBA pixels ``[h, w, 4]`` (rows
    bottom-up): the coverage-weighted centroid of the pixels brighter than the
    background, and the radius of a disk of the same area."""
    if pixels.dtype != np.float32 or pixels.ndim != 3 or pixels.shape[2] < 3:
        raise ValueError(f"pixels are {pixels.dtype} {pixels.shape}, not f4 RGB(A)")
    low, high = levels[0] / 255.0, levels[1] / 255.0
    green = pixels[:, :, 1]  # ~ luma
    weight = np.clip((green - low) / (high - low), 0.0, 1.0, dtype=np.float64)
    total = weight.sum()
    if total < 1.0:
        raise ValueError("no bright shape in the frame")
    h, w = green.shape
    x = (weight.sum(axis=0) @ (np.arange(w) + 0.5)) / total
    y = (weight.sum(axis=1) @ (np.arange(h) + 0.5)) / total
    return float(x), float(y), math.sqrt(total / math.pi)


def circle(x: float, y: float, radius: float) -> list[dict[str, Any]]:
    """Four AUTO points around (x, y): the curve's box is exactly centre ± radius."""
    return [{"co": [x + dx * radius, y + dy * radius], "handle_type": "AUTO"}
            for dx, dy in ((1, 0), (0, 1), (-1, 0), (0, -1))]


def batch(client: scene.Client, commands: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Runs ``commands`` as one batch that stops at the first error; their results."""
    report = client.batch(commands)
    if not report.ok:
        raise RuntimeError(f"a batch stopped: {report}")
    return report.values()


def stat(name: str, errors: list[float]) -> str:
    return f"{name:<28} mean {sum(errors) / len(errors):.3f} px, max {max(errors):.3f} px"


def track(address: str, movie: str, drawn: Clip) -> bool:
    def per_frame(seconds: float) -> str:
        return f"{seconds * 1e3 / drawn.frames:.2f} ms"

    with scene.connect(address, timeout=60) as client:
        started = time.perf_counter()
        clip = client.call("clip.load", path=movie, name="Shape")
        if clip["size"] != [drawn.width, drawn.height] or \
                clip["frame_duration"] != drawn.frames:
            raise RuntimeError(f"Blender reads the movie as {clip['size']} with "
                               f"{clip['frame_duration']} frames, expected "
                               f"{drawn.width}x{drawn.height} with {drawn.frames}")
        first = clip["frame_start"]
        last = first + drawn.frames - 1
        client.call("scene.set", frame_start=first, frame_end=last)
        print(f"loaded {clip['name']} ({clip['source']}, {clip['frame_duration']} frames of "
              f"{drawn.width}x{drawn.height})")
        pull = find = write = 0.0
        nbytes = 0
        found_err: list[float] = []
        for i in range(drawn.frames):
            frame = first + i
            t = time.perf_counter()
            pixels = client.call("clip.frame_pixels", name=clip["name"], frame=frame)
            pull += time.perf_counter() - t
            nbytes += pixels.nbytes
            t = time.perf_counter()
            x, y, radius = find_shape(np.asarray(pixels), drawn.levels)
            find += time.perf_counter() - t
            del pixels  # the array views the reply: let the message go
            tx, ty = drawn.truth[i]
            found_err.append(math.hypot(x - tx, y - ty))

            t = time.perf_counter()
            points = circle(x, y, radius + MARGIN)
            commands: list[tuple[str, dict[str, Any]]] = []
            if i == 0:
                pattern = 2 * (radius + MARGIN)
                commands += [
                    ("mask.create", {"name": MASK, "clip": clip["name"]}),
                    ("mask.add_layer", {"name": MASK, "layer": LAYER}),
                    ("mask.add_spline", {"name": MASK, "layer": LAYER, "points": points,
                                         "cyclic": True}),
                    ("tracking.add_track", {"clip": clip["name"], "frame": frame,
                                            "position": [x, y], "name": TRACK,
                                            "pattern_size": [pattern] * 2,
                                            "search_size": [3 * pattern] * 2}),
                ]
            commands += [
                ("mask.key_spline", {"name": MASK, "layer": LAYER, "frame": frame,
                                     "points": points}),
                ("tracking.markers_set", {"clip": clip["name"], "track": TRACK,
                                          "markers": [{"frame": frame, "position": [x, y]}]}),
            ]
            batch(client, commands)
            write += time.perf_counter() - t

        # Read back what Blender now holds and compare it with the truth.
        frames = range(first, last + 1)
        boxes = batch(client, [("mask.bounds", {"name": MASK, "layer": LAYER, "frame": f})
                               for f in frames])
        markers = batch(client, [("tracking.markers_get", {"clip": clip["name"],
                                                           "track": TRACK, "frame": f})
                                 for f in frames])
        mask_err, marker_err = [], []
        r = drawn.radius + MARGIN
        for i, (box, got, f) in enumerate(zip(boxes, markers, frames)):
            tx, ty = drawn.truth[i]
            want = (tx - r, ty - r, tx + r, ty + r)
            have = (*box["min"], *box["max"])
            mask_err.append(max(abs(a - b) for a, b in zip(want, have)))
            marker = next((m for m in got["markers"] if m["frame"] == f), None)
            if marker is None:
                raise RuntimeError(f"no marker on frame {f}")
            marker_err.append(math.hypot(marker["position"][0] - tx,
                                         marker["position"][1] - ty))
        total = time.perf_counter() - started

    print("\n=== tracking summary ===")
    print(f"frames                       {drawn.frames} of {drawn.width}x{drawn.height} RGBA "
          f"float ({nbytes / drawn.frames / (1 << 20):.1f} MiB per frame)")
    print(stat("shape centre (found)", found_err))
    print(stat("tracking marker (read back)", marker_err))
    print(stat("mask bounds (read back)", mask_err))
    print(f"per frame                    pull pixels {per_frame(pull)}, find "
          f"{per_frame(find)}, write mask+marker {per_frame(write)}")
    print(f"total                        {total:.2f} s ({per_frame(total)} per frame)")
    worst = max(found_err + marker_err + mask_err)
    ok = bool(worst <= TOLERANCE)
    print(f"result                       {'OK' if ok else 'FAILED'} (largest error "
          f"{worst:.3f} px, tolerance {TOLERANCE} px)")
    return ok


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python examples/track_clip.py ADDRESS MOVIE CLIP_JSON", file=sys.stderr)
        return 2
    try:
        return 0 if track(argv[0], argv[1], Clip.load(argv[2])) else 1
    except (scene.SceneError, scene.ProtocolError, RuntimeError, ValueError, OSError,
            KeyError) as e:
        print(f"track_clip.py: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
