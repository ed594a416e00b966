"""Codec cost in instructions (callgrind), not seconds: stable on a noisy machine.

For each case of bench_codec.CASES and each codec, runs the loop under valgrind twice (0 and
N iterations) and prints the difference per iteration, for encode, decode and both.
Run: python benches/codec/callgrind_codec.py [--cases small,listing] [--codecs nngbridge,ormsgpack]
(needs valgrind; the nngbridge imported is the first on sys.path, e.g. PYTHONPATH=python).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ITERATIONS = {"small command": 20000, "1,000-object listing": 50, "4 MiB pixel blob": 10}
MODES = ("encode", "decode", "both")


def child(codec: str, case: str, mode: str, n: int) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_codec import CASES

    m = __import__(codec)
    pack, unpack, v = m.packb, m.unpackb, CASES[case]
    b = pack(v)
    unpack(b)
    if mode == "encode":
        for _ in range(n):
            pack(v)
    elif mode == "decode":
        for _ in range(n):
            unpack(b)
    else:
        for _ in range(n):
            unpack(pack(v))


def instructions(codec: str, case: str, mode: str, n: int) -> int:
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={d}/cg.out", sys.executable,
             __file__, "--child", codec, case, mode, str(n)],
            capture_output=True, text=True, check=True,
        ).stderr
    return int(re.findall(r"Collected : ([\d,]+)", out)[-1].replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        return 0
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cases", default="small,listing", help="substrings of case names")
    p.add_argument("--codecs", default="nngbridge,ormsgpack")
    a = p.parse_args(argv)
    cases = [c for c in ITERATIONS if any(s in c for s in a.cases.split(","))]
    print("| case | codec | encode | decode | encode+decode |\n|---|---|---:|---:|---:|")
    for case in cases:
        n = ITERATIONS[case]
        for codec in a.codecs.split(","):
            per = [(instructions(codec, case, mode, n) - instructions(codec, case, mode, 0)) // n
                   for mode in MODES]
            print(f"| {case} | {codec} | " + " | ".join(f"{x:,}" for x in per) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
