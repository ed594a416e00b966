//! `_nng.blender_install`: `python -m nngbridge.blender.install` runs the Rust installer
//! (crates/nngbridge-install), the same code as `nngbridge blender install`.

use std::path::PathBuf;

use pyo3::prelude::*;

/// The program name in `--help` and usage errors.
const PROG: &str = "python -m nngbridge.blender.install";

/// The oldest Python this module loads in: abi3 builds load in their floor and later.
const MIN_PYTHON: (u32, u32) = if cfg!(Py_3_11) { (3, 11) } else { (3, 9) };

/// Runs `python -m nngbridge.blender.install ARGV...`: the flags of `nngbridge blender
/// install`; without `--wheel`/`--wheels` it copies the running package `package` (with
/// its native module `native`). Prints as it goes; returns the exit code (0, 1 on a failed
/// install, 2 on a usage error). Blender runs with the GIL released.
#[pyfunction]
fn blender_install(py: Python<'_>, argv: Vec<String>, package: PathBuf, native: PathBuf) -> i32 {
    let fallback = nngbridge_install::Source::Package(nngbridge_install::Package {
        dir: package,
        native,
        min_python: MIN_PYTHON,
    });
    py.detach(move || nngbridge_install::main(PROG, argv, fallback))
}

/// Adds `blender_install` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(blender_install, m)?)
}
