#!/usr/bin/env bash
# Builds mbedTLS (the TLS library NNG's tls+tcp:// uses) as static, position-independent
# archives into .cache/mbedtls: include/ and the libraries side by side, the layout NNG's
# FindMbedTLS.cmake expects under $MBEDTLS_ROOT (.cargo/config.toml points there).
# The source is the mbedTLS 3.6.3 (Apache-2.0) that pynng 0.9.0's sdist bundles;
# scripts/setup.sh fetches it into .cache/pynng-0.9.0/mbedtls.
# Compiled with zig for glibc 2.17 so that the manylinux2014 wheels (zig-linked) take no
# newer glibc symbol from it (host gcc would pull in explicit_bzero, stat@2.33 ...); host
# builds link the same archives. Idempotent: skips the build when the archives exist.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
SRC=.cache/pynng-0.9.0/mbedtls
ROOT=.cache/mbedtls
BUILD=.cache/mbedtls-build

# nng-sys asks the linker for mbedcrypto, mbedtls and mbedx509 as dylibs, in that order:
# zig's linker (the wheels) then takes no .a, and the order is wrong for static archives
# (tls needs x509 needs crypto). So libmbedcrypto.a holds the objects of all three, and
# lib{mbedcrypto,mbedtls,mbedx509}.so are linker scripts naming it (GNU ld and zig read
# both): everything links statically, nothing is a shared library. Absolute paths, so
# they are rewritten on every run.
link_scripts() {
    for lib in mbedcrypto mbedtls mbedx509; do
        echo "INPUT($PWD/$ROOT/libmbedcrypto.a)" >"$ROOT/lib$lib.so"
    done
}
if [ -f "$ROOT/libmbedcrypto.a" ] && [ -f "$ROOT/include/mbedtls/ssl.h" ]; then
    link_scripts
    exit 0
fi
if [ ! -f "$SRC/CMakeLists.txt" ]; then
    echo "error: mbedTLS source missing in $SRC: run scripts/setup.sh (it fetches pynng 0.9.0's sdist)" >&2
    exit 1
fi
rm -rf "$BUILD" "$ROOT"
mkdir -p "$BUILD"
# cmake wants one compiler executable: a wrapper around zig cc for this machine's arch.
cat >"$BUILD/zigcc" <<WRAP
#!/bin/sh
exec "$("$PY" -c 'import sys; print(sys.executable)')" -m ziglang cc -target $(uname -m)-linux-gnu.2.17 "\$@"
WRAP
chmod +x "$BUILD/zigcc"
cmake -S "$SRC" -B "$BUILD/cmake" -DCMAKE_C_COMPILER="$PWD/$BUILD/zigcc" \
    -DCMAKE_BUILD_TYPE=Release -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF \
    -DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DUSE_STATIC_MBEDTLS_LIBRARY=ON \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DMBEDTLS_FATAL_WARNINGS=OFF \
    -DCMAKE_INSTALL_PREFIX="$PWD/$BUILD/install" >/dev/null
# mbedTLS's warnings under clang are noise here: show the log only on failure.
make -C "$BUILD/cmake" -j2 install >"$BUILD/make.log" 2>&1 || { cat "$BUILD/make.log" >&2; exit 1; }
# Member names are unique within each library (not across them): one directory each.
mkdir -p "$ROOT"
cp -r "$BUILD/install/include" "$ROOT/"
for lib in mbedtls mbedx509 mbedcrypto; do
    mkdir -p "$BUILD/objs/$lib"
    (cd "$BUILD/objs/$lib" && ar x "../../install/lib/lib$lib.a")
done
ar rcs "$ROOT/libmbedcrypto.a.tmp" "$BUILD"/objs/{mbedtls,mbedx509,mbedcrypto}/*.o
mv "$ROOT/libmbedcrypto.a.tmp" "$ROOT/libmbedcrypto.a"
link_scripts
echo "mbedTLS $(sed -n 's/.*MBEDTLS_VERSION_STRING  *"\(.*\)"/\1/p' "$ROOT/include/mbedtls/build_info.h") in $ROOT"
