"""Runs inside Blender before a bench server starts: makes the bench image and measures the
floor under any pixel fetch, ``foreach_get`` into a preallocated float32 buffer (the same
kind of buffer the add-on uses: numpy if Blender has it, else ``array``). Prints one line,
``BENCH_FLOOR {json}``, that bench_blender.py reads from Blender's output: no ``exec``
needed in the served add-on."""

from __future__ import annotations

import array
import json
import statistics
import time
from typing import Any

import bpy

MARKER = "BENCH_FLOOR "


def float_buffer(count: int) -> Any:
    try:
        import numpy

        return numpy.empty(count, dtype=numpy.float32)
    except ImportError:
        return array.array("f", [0.0]) * count


def measure(name: str, width: int, height: int, repeats: int) -> dict[str, Any]:
    img = bpy.data.images.new(name, width, height, alpha=True, float_buffer=True)
    img.generated_color = (0.25, 0.5, 0.75, 1.0)
    buf = float_buffer(len(img.pixels))
    img.pixels.foreach_get(buf)  # first touch: the image buffer and the pages
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        img.pixels.foreach_get(buf)
        times.append(time.perf_counter() - t0)
    floor = {"image": name, "bytes": 4 * len(buf), "median_s": statistics.median(times),
             "min_s": min(times), "buffer": type(buf).__module__}
    print(MARKER + json.dumps(floor), flush=True)
    return floor
