#!/usr/bin/env bash
# Builds the two distributable wheels into dist/: cp39-abi3 (Blender 2.93-4.0) and
# cp311-abi3 (Blender 4.1+, adds the buffer protocol). The zig linker and
# --compatibility manylinux2014 keep the glibc symbols at 2.17, so the wheels load in
# Blender's glibc-2.28 builds (a plain host build links glibc 2.34+ symbols).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
rm -rf dist
"$PY" -m maturin build --release --zig --compatibility manylinux2014 -o dist 2>&1 | tail -n 1
"$PY" -m maturin build --release --zig --compatibility manylinux2014 -o dist \
    --no-default-features --features abi3-py311 2>&1 | tail -n 1
ls -l dist/*.whl | awk '{printf "%8.0f KiB  %s\n", $5/1024, $9}'
