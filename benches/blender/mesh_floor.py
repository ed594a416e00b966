"""Runs inside Blender before a mesh bench server starts: builds the bench grid
(``side`` x ``side`` vertices, quads) with ``foreach_set`` and measures the floors of
``mesh.get``/``mesh.create`` of its positions and polygons: ``foreach_get`` into
preallocated numpy buffers, and ``foreach_set`` into a new mesh from numpy arrays.
Prints ``BENCH_FLOOR {json}`` for bench_mesh.py (no ``exec`` in the served add-on)."""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import numpy

MARKER = "BENCH_FLOOR "
NAME = "BenchGrid"


def grid(side: int) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Positions f4 [v, 3], loop totals i4 [p] and loop vertices i4 [4p] of a grid."""
    ys, xs = numpy.divmod(numpy.arange(side * side, dtype=numpy.int32), side)
    positions = numpy.stack([xs, ys, (xs * ys) % 7], axis=1).astype(numpy.float32) / side
    corner = (ys[:-side] * side + xs[:-side])[xs[:-side] < side - 1]
    quads = numpy.stack([corner, corner + 1, corner + side + 1, corner + side], axis=1)
    return positions, numpy.full(len(quads), 4, numpy.int32), quads.astype(numpy.int32).ravel()


def build(name: str, positions: Any, totals: Any, corners: Any) -> Any:
    """What mesh.create does, less its checks: foreach_set of every array, edges made."""
    import bpy  # here: bench_mesh.py imports grid() outside Blender
    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(len(positions))
    mesh.vertices.foreach_set("co", positions.ravel())
    mesh.loops.add(len(corners))
    mesh.loops.foreach_set("vertex_index", corners)
    mesh.polygons.add(len(totals))
    starts = numpy.zeros(len(totals), numpy.int32)
    numpy.cumsum(totals[:-1], out=starts[1:])
    mesh.polygons.foreach_set("loop_start", starts)
    if not bpy.types.MeshPolygon.bl_rna.properties["loop_total"].is_readonly:
        mesh.polygons.foreach_set("loop_total", totals)
    mesh.update(calc_edges=True)
    return mesh


def read(mesh: Any, bufs: dict[str, Any]) -> None:
    mesh.vertices.foreach_get("co", bufs["positions"])
    mesh.polygons.foreach_get("loop_start", bufs["loop_starts"])
    mesh.polygons.foreach_get("loop_total", bufs["loop_totals"])
    mesh.loops.foreach_get("vertex_index", bufs["loop_vertices"])


def measure(side: int, repeats: int) -> dict[str, Any]:
    import bpy

    positions, totals, corners = grid(side)
    mesh = build(NAME, positions, totals, corners)
    bufs = {"positions": numpy.empty(3 * len(positions), numpy.float32),
            "loop_starts": numpy.empty(len(totals), numpy.int32),
            "loop_totals": numpy.empty(len(totals), numpy.int32),
            "loop_vertices": numpy.empty(len(corners), numpy.int32)}
    read(mesh, bufs)  # first touch
    gets, sets = [], []
    for i in range(repeats):
        t0 = time.perf_counter()
        read(mesh, bufs)
        gets.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        made = build(f"BenchFloor{i}", positions, totals, corners)
        sets.append(time.perf_counter() - t0)
        bpy.data.meshes.remove(made)
    floor = {"vertices": len(positions), "polygons": len(totals),
             "bytes": sum(b.nbytes for b in bufs.values()),
             "get_s": statistics.median(gets), "set_s": statistics.median(sets)}
    print(MARKER + json.dumps(floor), flush=True)
    return floor
