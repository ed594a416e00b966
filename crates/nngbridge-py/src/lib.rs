//! `nngbridge._nng`: the native module (work in progress).
use pyo3::prelude::*;

#[pymodule]
fn _nng(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
