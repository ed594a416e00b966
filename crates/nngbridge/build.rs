//! Links mbedTLS statically: nng-sys (feature "tls") asks for `mbedcrypto`, `mbedtls` and
//! `mbedx509` without a search path. `MBEDTLS_ROOT` (set by `.cargo/config.toml`) holds
//! what scripts/build-mbedtls.sh made: one static archive and linker scripts under those
//! names, so the linker takes the archive and the wheels need no system TLS library.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=MBEDTLS_ROOT");
    let root = std::env::var_os("MBEDTLS_ROOT").map(PathBuf::from);
    let Some(root) = root.filter(|r| r.join("libmbedcrypto.so").is_file()) else {
        panic!(
            "mbedTLS not found: MBEDTLS_ROOT must name the directory scripts/build-mbedtls.sh \
             fills (.cargo/config.toml sets .cache/mbedtls). Run scripts/setup.sh, or \
             scripts/build-mbedtls.sh once the pynng 0.9.0 sdist is in .cache/pynng-0.9.0."
        );
    };
    println!(
        "cargo:rerun-if-changed={}",
        root.join("libmbedcrypto.a").display()
    );
    println!("cargo:rustc-link-search=native={}", root.display());
}
