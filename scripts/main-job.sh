#!/usr/bin/env bash
# The main job: a Rust program and a Python program exchange typed MessagePack requests
# over req/rep and events over pub/sub (python -m nngbridge.demo runs both halves).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

bash scripts/setup.sh
printf '\n=== build: the Rust demo peer ===\n'
cargo build --release -p nngbridge --example demo_peer
printf '\n=== run ===\n'
"$PY" -m nngbridge.demo --peer target/release/examples/demo_peer "$@"
