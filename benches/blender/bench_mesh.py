"""Mesh benchmark (issue 14): a 1-million-vertex grid (positions and quads) read with
``mesh.get`` and built with ``mesh.create`` over nngbridge, against the same in a
BlenderMCP-style JSON-over-TCP server (json_tcp_server.py: geometry as JSON lists,
``from_pydata``), next to the floor: ``foreach_get`` / ``foreach_set`` of the same
arrays inside the same Blender (mesh_floor.py), before it serves.

    python benches/blender/bench_mesh.py              # 1000 x 1000 vertices
    python benches/blender/bench_mesh.py --side 50    # a smoke run

``python benches/run.py --blender`` runs it too (PRESETS: 40 a side in ``--smoke``, 300
in ``--quick``, 1000 in ``--full``).

Background mode (``blender -b``), Debian's Blender, the cp311 wheel from dist/; Blender
pinned to core 1, the client to core 0 (bench_blender.py's harness). Each figure is the
median of ``--repeats`` calls after an untimed one; the client decodes each reply fully
(numpy views of the arrays; JSON lists parsed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import bench_blender  # noqa: E402  (standalone scripts: benches/ is not a package)
from bench_blender import Blender, BenchError, Config, install_wheel  # noqa: E402
from mesh_floor import NAME, grid  # noqa: E402
from placement import pin  # noqa: E402


PRESETS = {"smoke": (40, 1), "quick": (300, 3), "full": (1000, 3)}  # (side, repeats)


def startup(server: str, address: str, port: int, side: int, repeats: int) -> str:
    body = (f"import sys\nsys.path.insert(0, {str(HERE)!r})\n"
            f"import mesh_floor\nmesh_floor.measure({side}, {repeats})\n")
    if server == "json-tcp":
        return body + f"import json_tcp_server\njson_tcp_server.serve({port})\n"
    return body + f"import nngbridge.blender as b\nb.serve({address!r}, max_message=1 << 30)\n"


def timed(work: Any, repeats: int) -> float:
    """The median of ``repeats`` calls of ``work``, after one untimed call (first touch of
    the buffers and pages on both sides, as for the floor)."""
    work()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def as_array(a: numpy.ndarray) -> dict[str, Any]:
    return {"dtype": a.dtype.str.lstrip("<|"), "shape": list(a.shape), "data": a}


def nng_rows(client: bench_blender.NngClient, side: int, repeats: int) -> dict[str, float]:
    positions, totals, corners = grid(side)
    made = iter(range(1 << 30))

    def get() -> None:
        got = client.call("mesh.get", mesh=NAME, include=["positions", "polygons"])
        arrays = {k: numpy.frombuffer(a["data"], a["dtype"]) for k, a in got["arrays"].items()}
        assert len(arrays["positions"]) == 3 * side * side

    def create() -> None:
        client.call("mesh.create", name=f"Made{next(made)}", positions=as_array(positions),
                    loop_totals=as_array(totals), loop_vertices=as_array(corners))

    return {"get_s": timed(get, repeats), "create_s": timed(create, repeats)}


def json_rows(client: bench_blender.JsonClient, side: int, repeats: int) -> dict[str, float]:
    positions, totals, corners = grid(side)
    vertices = positions.tolist()
    polygons = corners.reshape(-1, 4).tolist()
    made = iter(range(1 << 30))

    def get() -> None:
        got = client.call("get_mesh", name=NAME)
        assert len(got["vertices"]) == side * side

    def create() -> None:
        client.call("create_mesh", name=f"Made{next(made)}", vertices=vertices,
                    polygons=polygons)

    return {"get_s": timed(get, repeats), "create_s": timed(create, repeats)}


def run(side: int = 1000, repeats: int = 3, wheel: Path | None = None) -> dict[str, Any]:
    pin(0)
    results: dict[str, Any] = {"side": side, "repeats": repeats}
    with tempfile.TemporaryDirectory(prefix="nngbridge-bench-mesh-") as tmp:
        scripts = Path(tmp) / "scripts"
        results["wheel"] = install_wheel(scripts, wheel).name
        for server in bench_blender.SERVERS:
            blender = Blender(scripts, Path(tmp), server, False, Config(modes=("background",)))
            blender.script.write_text(startup(server, blender.address, blender.port, side,
                                              repeats))
            with blender:
                rows = nng_rows if server == "nngbridge" else json_rows
                row = bench_blender.serve(blender, "mesh", lambda c, r=rows: r(c, side, repeats))
                results[server] = {**row, "floor_get_s": blender.floor["get_s"],
                                   "floor_set_s": blender.floor["set_s"],
                                   "bytes": blender.floor["bytes"]}
    return results


def table(r: dict[str, Any]) -> str:
    n, nng, js = r["side"] ** 2, r["nngbridge"], r["json-tcp"]
    ms = bench_blender.number

    def row(what: str, a: float, b: float, base: float) -> str:
        return (f"| {what} | {ms(a * 1e3)} | {ms(b * 1e3)} | {ms(base * 1e3)} | "
                f"{a / base:.2f}x | {b / base:.1f}x | {b / a:.1f}x |")

    return "\n".join([
        f"#### Mesh of {n:,} vertices, positions and quads ({nng['bytes'] / 2**20:.1f} MiB of "
        f"arrays; ms, median of {r['repeats']}; lower is better)", "",
        "| operation | nngbridge | JSON-TCP | floor (in Blender) | nngbridge / floor | "
        "JSON / floor | JSON / nngbridge |",
        "|---|---:|---:|---:|---:|---:|---:|",
        row("read: `mesh.get` / `get_mesh`; floor `foreach_get`", nng["get_s"],
            js["get_s"], nng["floor_get_s"]),
        row("build: `mesh.create` / `create_mesh`; floor `foreach_set` + edges",
            nng["create_s"], js["create_s"], nng["floor_set_s"]),
        row("round trip: build + read", nng["create_s"] + nng["get_s"],
            js["create_s"] + js["get_s"], nng["floor_set_s"] + nng["floor_get_s"]),
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--side", type=int, default=1000, help="vertices a side (default 1000)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--wheel", type=Path, help="the cp311 nngbridge wheel (default: dist/)")
    p.add_argument("--json", help="also write the results here")
    a = p.parse_args(argv)
    try:
        results = run(a.side, a.repeats, a.wheel)
    except BenchError as e:
        print(f"bench_mesh: {e}", file=sys.stderr)
        return 1
    print(table(results))
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
