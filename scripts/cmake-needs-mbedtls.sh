#!/bin/sh
# cmake as the nng-sys build runs it (.cargo/config.toml sets CMAKE). For NNG's configure
# step: says what to do when mbedTLS is missing (NNG's own error, "Mbed TLS too old",
# does not), and drops the cached result of NNG's mbedTLS check, which CMake would
# otherwise keep failing from a run before mbedTLS was built.
case "${1:-}" in
    --build | --install | --version | -E) exec cmake "$@" ;;
esac
if [ ! -f "${MBEDTLS_ROOT:-}/libmbedcrypto.so" ]; then
    echo "error: mbedTLS is not built in '${MBEDTLS_ROOT:-}' (NNG's TLS needs it): run scripts/setup.sh, or scripts/build-mbedtls.sh" >&2
    exit 1
fi
exec cmake -U_MBEDTLS_V2_OR_NEWER "$@"
