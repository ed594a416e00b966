//! Emits pyo3's `Py_3_*` cfgs so the cp311-abi3 build can use the buffer protocol.
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
