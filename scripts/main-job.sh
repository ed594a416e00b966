#!/usr/bin/env bash
# The main job: (1) a Rust program and a Python program exchange typed MessagePack
# requests over req/rep and events over pub/sub (python -m nngbridge.demo); (2) a real
# Blender (Debian's; background mode, or the GUI under Xvfb with --gui) serves the scene
# protocol, a Rust program builds a scene with typed commands, and another tracks a moving
# shape through a generated movie clip, writing a keyframed mask and a tracking marker and
# checking them against the truth (scripts/blender-demo.py). --python: that tracking pass
# is the Python peer instead (examples/track_clip.py, numpy over nngbridge.scene); the
# Rust track_clip still writes the clip's frames.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if [ "${1:-}" = "--workers" ]; then
    # The tracking pass over a pool of N Blender workers, one killed half-way (docs/pool.md).
    bash scripts/setup.sh
    printf '\n=== build: the pool controller ===\n'
    cargo build --release -p nngbridge-scene --example track_clip
    printf '\n=== run: Rust pool -> %s Blender workers ===\n' "${2:?--workers needs a number}"
    exec "$PY" scripts/pool-demo.py --workers "$2"
fi

bash scripts/setup.sh
printf '\n=== build: the Rust peers ===\n'
cargo build --release -p nngbridge-scene --example demo_peer
cargo build --release -p nngbridge-scene --example drive_blender --example track_clip
printf '\n=== run: Rust <-> Python ===\n'
"$PY" -m nngbridge.demo --peer target/release/examples/demo_peer
printf '\n=== run: Rust -> Blender ===\n'
"$PY" scripts/blender-demo.py "$@"
