"""Codec speed: encode+decode per second for a small command, a 1,000-object listing and
a 4 MiB pixel blob, nngbridge against msgpack 1.x and ormsgpack in the same run
(alternating, several repeats, medians). Run: python benches/codec/bench_codec.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import nngbridge

CASES = {
    "small command": {"v": 1, "id": 42, "cmd": "object.set",
                      "args": {"name": "Cube", "location": [1.0, 2.0, 3.0]}},
    "1,000-object listing": {"v": 1, "id": 7, "ok": True, "result": {"objects": [
        {"name": f"Object.{i:04d}", "type": "MESH", "parent": None, "collection": "Props",
         "location": [float(i), 0.5, -1.0]} for i in range(1000)]}},
    "4 MiB pixel blob": {"v": 1, "id": 9, "ok": True, "result": {
        "dtype": "f4", "shape": [512, 512, 4], "data": bytes(4 << 20)}},
}


def codecs():
    out = {"nngbridge": (nngbridge.packb, nngbridge.unpackb)}
    try:
        import msgpack

        out["msgpack"] = (msgpack.packb, msgpack.unpackb)
    except ImportError:
        pass
    try:
        import ormsgpack

        out["ormsgpack"] = (ormsgpack.packb, ormsgpack.unpackb)
    except ImportError:
        pass
    return out


def rate(pack, unpack, value, seconds: float) -> float:
    n = 0
    t0 = time.perf_counter()
    end = t0 + seconds
    while True:
        for _ in range(10):
            unpack(pack(value))
        n += 10
        now = time.perf_counter()
        if now >= end:
            return n / (now - t0)


def memcpy_rate(size: int, seconds: float) -> float:
    src = bytearray(size)
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        bytes(src)
        n += 1
    return n / (time.perf_counter() - t0)


def run(repeats: int = 5, seconds: float = 0.2) -> list[dict]:
    found = codecs()
    rows = []
    for case, value in CASES.items():
        samples: dict[str, list[float]] = {name: [] for name in found}
        for r in range(repeats):
            order = list(found.items())
            for name, (pack, unpack) in order if r % 2 == 0 else order[::-1]:  # A/B, B/A
                samples[name].append(rate(pack, unpack, value, seconds))
        for name, s in samples.items():
            rows.append({"case": case, "codec": name, "median": statistics.median(s),
                         "spread": (max(s) - min(s)) / statistics.median(s)})
        print(f"  measured {case}", file=sys.stderr, flush=True)
    blob = len(CASES["4 MiB pixel blob"]["result"]["data"])
    rows.append({"case": "4 MiB pixel blob", "codec": "memcpy x2 (floor)",
                 "median": memcpy_rate(blob, seconds) / 2, "spread": 0.0})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| case | codec | encode+decode /s (median) | spread | vs ormsgpack | vs msgpack |",
             "|---|---|---:|---:|---:|---:|"]
    by = {(r["case"], r["codec"]): r["median"] for r in rows}
    for r in rows:
        o = by.get((r["case"], "ormsgpack"))
        m = by.get((r["case"], "msgpack"))
        lines.append(
            f"| {r['case']} | {r['codec']} | {r['median']:,.0f} | {r['spread']:.0%} | "
            f"{r['median'] / o:.2f}x |" if o else f"| {r['case']} | {r['codec']} | "
            f"{r['median']:,.0f} | {r['spread']:.0%} | n/a |"
        )
        lines[-1] += f" {r['median'] / m:.2f}x |" if m else " n/a |"
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args(argv)
    repeats, seconds = (1, 0.02) if a.smoke else (3, 0.1) if a.quick else (7, 0.3)
    print(table(run(repeats, seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
