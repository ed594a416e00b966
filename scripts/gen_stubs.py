"""Writes the type declarations of the option properties from the native option table.

The option properties are made at import time from ``nngbridge._nng.OPTIONS`` (the Rust
crate's options table); type checkers cannot see them. This script imports the installed
``nngbridge``, reads which option properties each class got, and rewrites the marked
region of each class in ``python/nngbridge/_nng.pyi`` (the native classes) and
``python/nngbridge/nng.py`` (the Python ``Socket``). ``--check`` rewrites nothing and
fails if a region is out of date (tests/test_stubs.py runs it).

    python scripts/gen_stubs.py [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "python" / "nngbridge"
BEGIN = "# BEGIN generated options: scripts/gen_stubs.py"
END = "# END generated options"
TYPES = {"bool": "bool", "int": "int", "ms": "int", "size": "int", "u64": "int", "str": "str"}


def declarations(cls: type, indent: str) -> list[str]:
    """The declarations of ``cls``'s own option properties, in option-table order."""
    from nngbridge import _nng

    out = []
    for name, *_ in _nng.OPTIONS:
        opt = cls.__dict__.get(name)
        if not isinstance(opt, _nng.OptionProperty):
            continue
        typ = TYPES[opt.kind]
        if opt.writable and not opt.pipe:
            out.append(f"{indent}{name}: {typ}")
        else:
            out += [f"{indent}@property", f"{indent}def {name}(self) -> {typ}: ..."]
    return out


def rewrite(text: str, cls_name: str, lines: list[str]) -> str:
    """``text`` with the marked region inside ``class cls_name`` replaced by ``lines``."""
    start = rf"^class {cls_name}\b.*?^[ \t]+{re.escape(BEGIN)}\n"
    pat = re.compile(rf"({start})(.*?)(^[ \t]+{re.escape(END)}$)", re.S | re.M)
    m = pat.search(text)
    if m is None:
        raise SystemExit(f"no '{BEGIN}' region in class {cls_name}")
    body = "".join(line + "\n" for line in lines)
    return text[: m.start(2)] + body + text[m.end(2):]


def targets() -> list[tuple[Path, str, type]]:
    from nngbridge import _nng, nng

    return [
        (PKG / "_nng.pyi", "Pipe", _nng.Pipe),
        (PKG / "_nng.pyi", "Dialer", _nng.Dialer),
        (PKG / "_nng.pyi", "Listener", _nng.Listener),
        (PKG / "_nng.pyi", "Context", _nng.Context),
        (PKG / "nng.py", "Socket", nng.Socket),
    ]


def generate() -> dict[Path, str]:
    """The new text of every file with a generated region."""
    texts: dict[Path, str] = {}
    for path, cls_name, cls in targets():
        text = texts.get(path) or path.read_text()
        indent = "    " if path.suffix == ".pyi" else "        "
        texts[path] = rewrite(text, cls_name, declarations(cls, indent))
    return texts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if a region is out of date")
    args = ap.parse_args(argv)
    stale = []
    for path, text in generate().items():
        if path.read_text() == text:
            continue
        if args.check:
            stale.append(path.relative_to(ROOT))
        else:
            path.write_text(text)
            print(f"rewrote {path.relative_to(ROOT)}")
    if stale:
        print(f"out of date (run python scripts/gen_stubs.py): {', '.join(map(str, stale))}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
