"""Prints the results of the Rust criterion benches as markdown tables, one per group.

    cargo bench -p nngbridge --bench sockets -- --quick
    cargo bench -p nngbridge-scene --bench codec -- --quick
    python3 benches/criterion_table.py [--target target] [FILTER ...]

Reads target/criterion/<group>/<bench>/new/{benchmark,estimates}.json (what the last run of
each bench wrote) and prints, in the order the benches finished, the median time per
iteration with its 95% confidence interval, and the throughput at the median (GB/s for byte
throughputs, per second for element counts). FILTERs keep benches whose id contains one.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    group: str
    bench: str
    median_ns: float
    low_ns: float
    high_ns: float
    bytes: int | None
    elements: int | None
    finished: float


def load(root: Path) -> list[Result]:
    out = []
    for meta_path in root.glob("**/new/benchmark.json"):
        est_path = meta_path.with_name("estimates.json")
        if not est_path.exists():
            continue
        meta = json.loads(meta_path.read_text())
        median = json.loads(est_path.read_text())["median"]
        interval = median["confidence_interval"]
        throughput = meta.get("throughput") or {}
        bench = meta.get("function_id") or ""
        if meta.get("value_str"):
            bench = f"{bench}/{meta['value_str']}" if bench else meta["value_str"]
        out.append(Result(
            group=meta["group_id"],
            bench=bench,
            median_ns=median["point_estimate"],
            low_ns=interval["lower_bound"],
            high_ns=interval["upper_bound"],
            bytes=throughput.get("Bytes") or throughput.get("BytesDecimal"),
            elements=throughput.get("Elements"),
            finished=est_path.stat().st_mtime,
        ))
    return sorted(out, key=lambda r: r.finished)


def fmt_time(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_rate(per_s: float) -> str:
    return f"{per_s:,.0f}/s" if per_s >= 100 else f"{per_s:.3g}/s"


def throughput(r: Result) -> str:
    if r.median_ns <= 0:
        return ""
    if r.bytes:
        return f"{r.bytes / r.median_ns:.3g} GB/s"  # bytes per ns is GB/s
    if r.elements:
        return fmt_rate(r.elements * 1e9 / r.median_ns)
    return ""


def table(results: list[Result]) -> str:
    lines = []
    groups: dict[str, list[Result]] = {}
    for r in results:
        groups.setdefault(r.group, []).append(r)
    for group, rows in groups.items():
        lines += [f"#### {group}", "", "| bench | median | 95% CI | throughput |",
                  "|---|---:|---:|---:|"]
        for r in rows:
            ci = f"{fmt_time(r.low_ns)} – {fmt_time(r.high_ns)}"
            lines.append(f"| {r.bench} | {fmt_time(r.median_ns)} | {ci} | {throughput(r)} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", default="target", help="cargo's target directory")
    p.add_argument("filters", nargs="*", help="keep benches whose group/bench contains one")
    a = p.parse_args(argv)
    root = Path(a.target) / "criterion"
    results = load(root)
    if a.filters:
        results = [r for r in results
                   if any(f in f"{r.group}/{r.bench}" for f in a.filters)]
    if not results:
        print(f"no criterion results under {root} (run cargo bench first)", file=sys.stderr)
        return 1
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
