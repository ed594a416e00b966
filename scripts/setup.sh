#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine (root, Rust and Python 3.11 present) lacks to
# build and test nngbridge, then builds the Python module into the current interpreter.
# Idempotent: a second run only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

section() { printf '\n=== %s ===\n' "$*"; }

PY=${PYTHON:-python3}
APT_PACKAGES=(cmake blender xvfb xauth)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    section "apt: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

section "pip: build and test tools, peers"
"$PY" -m pip install -q --disable-pip-version-check \
    "maturin>=1.7,<2" ziglang pytest pytest-timeout "pynng==0.9.0" numpy trio psutil \
    msgpack ormsgpack hypothesis ruff pyzmq "nng==0.2.0" matplotlib 2>&1 | grep -v "Running pip as the 'root' user" || true

section "build: the wheels (dist/), then install the cp311-abi3 one into $("$PY" -c 'import sys; print(sys.executable)')"
bash scripts/build-wheels.sh
"$PY" -m pip install -q --force-reinstall --no-deps dist/nngbridge-*-cp311-abi3-*.whl 2>&1 \
    | grep -v "Running pip as the 'root' user" || true
"$PY" -c "import nngbridge; print('nngbridge', nngbridge.__version__, 'NNG', nngbridge.nng_version())"
