#!/usr/bin/env bash
# Runs the Rust criterion benches (crates/nngbridge/benches/sockets.rs,
# crates/nngbridge-scene/benches/codec.rs) and prints their results as the markdown tables
# of docs/benchmarks.md ("Rust (criterion)").
#
#   bash benches/criterion.sh             # the docs' settings: a few minutes
#   bash benches/criterion.sh --quick     # a first look: two samples per bench, no interval
#   bash benches/criterion.sh round_trip  # only benches whose id matches (criterion's filter)
#
# The first run builds the bench profile (release, LTO): several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
settings=(--warm-up-time 1 --measurement-time 3)
if [[ "${1:-}" == --quick ]]; then
    settings=(--quick)
    shift
fi
cargo bench -p nngbridge --bench sockets -- "${settings[@]}" "$@"
cargo bench -p nngbridge-scene --bench codec -- "${settings[@]}" "$@"
python3 benches/criterion_table.py
