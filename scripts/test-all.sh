#!/usr/bin/env bash
# Runs every check and test of nngbridge. Sets up what is missing first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
section() { printf '\n=== %s ===\n' "$*"; }

bash scripts/setup.sh

section "rust: fmt, clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p nngbridge-py --all-targets --no-default-features --features abi3-py311 -- -D warnings

section "rust: tests"
cargo test --workspace

# Each criterion bench runs once in test mode (no timing, no assertions on speed): it
# checks that the benches build and that every peer and teardown works.
section "rust: benches, once each"
cargo test --workspace --bench '*'

section "memory: unsafe-heavy tests under valgrind"
PYTHON="$PY" bash scripts/check-memory.sh

section "python: ruff"
"$PY" -m ruff check .

section "python: pytest"
"$PY" -m pytest tests -q -p no:cacheprovider "$@"
