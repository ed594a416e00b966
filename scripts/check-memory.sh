#!/usr/bin/env bash
# Runs the unsafe-heavy tests under valgrind: the allocator, messages, options and the
# rest of the core crate's unit tests, its soundness, socket and future tests. Any invalid read or
# write, use of uninitialised memory or bad free fails the run (leaks are
# test_leaks.py's business). Then the Python buffer tests, against the installed
# nngbridge.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if ! command -v valgrind >/dev/null; then
    SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq valgrind
fi

VG=(valgrind --quiet --error-exitcode=99 --leak-check=no --track-origins=yes
    --trace-children=no)

# The test binaries cargo builds, by target.
bins() {
    cargo test -p nngbridge "$@" --no-run --message-format=json 2>/dev/null |
        "$PY" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"])'
}

for bin in $(bins --lib) $(bins --test soundness) $(bins --test sockets) $(bins --test futures); do
    echo "valgrind: $bin"
    # One test thread: valgrind serialises threads anyway, and output stays readable.
    "${VG[@]}" "$bin" --test-threads=1 -q
done

# The extension's buffer handling: these tests crash (SIGSEGV) on a read of freed
# memory. CPython under valgrind needs its own suppressions and takes minutes, so it
# runs natively here.
echo "python: soundness tests"
"$PY" -m pytest -q -p no:cacheprovider tests/test_soundness.py
