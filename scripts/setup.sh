#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine (root, Rust and Python 3.11 present) lacks to
# build and test nngbridge, then builds the Python module into the current interpreter.
# Idempotent: a second run only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

section() { printf '\n=== %s ===\n' "$*"; }

PY=${PYTHON:-python3}
# python3-numpy: Debian's Blender runs the system Python and has no numpy of its own; with it
# the add-on writes pixels straight into the reply's message (docs/blender.md), as in
# Blender's official builds, which bundle numpy.
APT_PACKAGES=(cmake blender xvfb xauth python3-numpy)
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
    msgpack ormsgpack hypothesis ruff mypy pyzmq "nng==0.2.0" matplotlib cryptography openjd-cli 2>&1 | grep -v "Running pip as the 'root' user" || true

# The pynng 0.9.0 sdist, checked against its PyPI hash, gives two things in .cache/pynng-0.9.0/:
# its test/ directory and licence (issue 10: compatibility is proven by upstream's tests,
# unchanged; tests/test_pynng_upstream.py runs them against nngbridge, in the venv below),
# and the mbedTLS 3.6.3 source it bundles, which scripts/build-mbedtls.sh builds into
# .cache/mbedtls for NNG's TLS (the build needs it: .cargo/config.toml).
PYNNG_SDIST_URL=https://files.pythonhosted.org/packages/4a/58/ec352db5f82a3fe56856fa9510dd051cdfba03c490dd58c0bbca0bdf7771/pynng-0.9.0.tar.gz
PYNNG_SDIST_SHA256=fcd839abf82a2934fa8c27ff57b574b41810458e35895bac6288814defa8fb4e
if [ ! -f .cache/pynng-0.9.0/test/test_api.py ] || [ ! -f .cache/pynng-0.9.0/mbedtls/CMakeLists.txt ]; then
    section "pynng 0.9.0's sdist (test suite, mbedTLS source) into .cache/pynng-0.9.0"
    mkdir -p .cache
    curl -sSfL --retry 3 -o .cache/pynng-0.9.0.tar.gz "$PYNNG_SDIST_URL"
    echo "$PYNNG_SDIST_SHA256  .cache/pynng-0.9.0.tar.gz" | sha256sum -c --quiet
    rm -rf .cache/pynng-0.9.0
    tar -xzf .cache/pynng-0.9.0.tar.gz -C .cache pynng-0.9.0/test pynng-0.9.0/LICENSE.txt \
        pynng-0.9.0/mbedtls
    rm .cache/pynng-0.9.0.tar.gz
fi
section "mbedTLS (static, for NNG's TLS) into .cache/mbedtls"
bash scripts/build-mbedtls.sh

section "build: the wheels (dist/), then install the cp311-abi3 one into $("$PY" -c 'import sys; print(sys.executable)')"
bash scripts/build-wheels.sh
"$PY" -m pip install -q --force-reinstall --no-deps dist/nngbridge-*-cp311-abi3-*.whl 2>&1 \
    | grep -v "Running pip as the 'root' user" || true
"$PY" -c "import nngbridge; print('nngbridge', nngbridge.__version__, 'NNG', nngbridge.nng_version())"

# PyPI bpy wheels: Blender as a Python module, the second (newer) Blender the headless tests
# run against (tests/bpy_pypi.py). One venv per version in .venvs/bpy-<version>;
# NNGBRIDGE_BPY lists the versions (comma separated; "none" for none; the default must match
# tests/bpy_pypi.py's DEFAULT). The wheels are cp311 for 4.2-5.0 and cp313 from 5.1 on:
# the venv needs that Python (BPY_PYTHON / BPY313_PYTHON override; 3.13 comes from pyenv).
# nngbridge is not installed there, as in a fresh Blender: the tests put the sources on
# PYTHONPATH, or install the add-on as a 4.2+ extension (which brings its wheel along).
BPY_VERSIONS=${NNGBRIDGE_BPY-5.0,5.3}
case "${BPY_VERSIONS,,}" in none|off|0|"") BPY_VERSIONS="" ;; esac
for v in ${BPY_VERSIONS//,/ }; do
    venv=".venvs/bpy-$v"
    section "bpy $v (PyPI wheel) in $venv"
    if ! "$venv/bin/python" -c "import bpy" >/dev/null 2>&1; then
        rm -rf "$venv"
        case "$v" in
            4.*|5.0) py=${BPY_PYTHON:-python3.11}
                # numpy<2: what 4.2-5.0 are built against (4.2's and 4.3's wheels do not pin it)
                numpy="numpy<2" ;;
            *) py=${BPY313_PYTHON:-${PYENV_ROOT:-$HOME/.pyenv}/versions/3.13.0/bin/python3}
                [ -x "$py" ] || py=python3.13
                numpy="numpy" ;;
        esac
        "$py" -m venv "$venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "bpy==$v.*" "$numpy"
    fi
    # the last line: some versions print to stdout on import ("Unable to initialise audio")
    "$venv/bin/python" -c "import bpy; print(bpy.app.version_string)" | tail -n 1 \
        > "$venv/bpy-version"
    echo "bpy $(cat "$venv/bpy-version")"
done

suite_venv=.venvs/pynng-suite
if ! "$suite_venv/bin/python" -c "import pytest_asyncio, pytest_trio, nngbridge, pynng" \
        >/dev/null 2>&1; then
    section "pytest plugins of pynng's suite in $suite_venv"
    rm -rf "$suite_venv"
    "$PY" -m venv --system-site-packages "$suite_venv"
    "$suite_venv/bin/python" -m pip install -q --disable-pip-version-check \
        "pytest-asyncio==1.5.0" "pytest-trio==0.8.0"
fi
