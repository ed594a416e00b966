#!/bin/sh
# cmake as the nng-sys build runs it (.cargo/config.toml sets CMAKE): NNG's own configure
# error for a missing mbedTLS ("Mbed TLS too old") does not say what to do, this does.
if [ ! -f "${MBEDTLS_ROOT:-}/libmbedcrypto.so" ]; then
    echo "error: mbedTLS is not built in '${MBEDTLS_ROOT:-}' (NNG's TLS needs it): run scripts/setup.sh, or scripts/build-mbedtls.sh" >&2
    exit 1
fi
exec cmake "$@"
