//! `nngbridge._nng`: the native half of the `nngbridge` Python package.
//!
//! pynng's socket, message, context, pipe, dialer and listener objects over the core
//! `nngbridge` crate, with blocking calls that release the GIL and answer Ctrl+C,
//! asynchronous operations for the asyncio/trio adapters, and buffer access without
//! copies where the ABI allows; and `ScenePool`, `nngbridge_scene::Pool` behind
//! `nngbridge.scene.Pool`. It holds no protocol logic of its own.

use pyo3::prelude::*;
use pyo3::types::PyDict;

mod aio;
mod blocking;
mod buffers;
mod capi;
mod errors;
mod install;
mod message;
mod msgpack;
mod options;
mod pool;
mod sockets;
mod tls;

/// NNG's named errors as `{name: errno}`, from the core's one table; the Python
/// exception classes of the same names take their numbers from it.
fn error_table(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    for (e, code) in nngbridge::ERROR_CODES {
        d.set_item(format!("{e:?}"), code)?;
    }
    Ok(d)
}

/// NNG's text for an error number.
#[pyfunction]
fn _strerror(code: u32) -> String {
    nngbridge::Error::from_code(code)
        .map(|e| e.nng_message())
        .unwrap_or_default()
}

/// The version of the NNG library linked into this module.
#[pyfunction]
fn nng_version() -> String {
    nngbridge::nng_version()
}

/// How many bytes of freed large message buffers (1 MiB and up) are kept for reuse.
#[pyfunction]
fn buffer_cache_limit() -> usize {
    nngbridge::buffer_cache_limit()
}

/// Sets how many bytes of freed large message buffers are kept for reuse (0: none);
/// returns the previous limit.
#[pyfunction]
fn set_buffer_cache_limit(nbytes: usize) -> usize {
    nngbridge::set_buffer_cache_limit(nbytes)
}

/// Bytes of freed large message buffers held for reuse right now.
#[pyfunction]
fn buffer_cache_size() -> usize {
    nngbridge::buffer_cache_size()
}

#[pymodule]
fn _nng(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<sockets::Socket>()?;
    m.add_class::<sockets::Context>()?;
    m.add_class::<sockets::Pipe>()?;
    m.add_class::<sockets::Dialer>()?;
    m.add_class::<sockets::Listener>()?;
    m.add_class::<message::Message>()?;
    m.add_class::<aio::AsyncOp>()?;
    m.add_function(wrap_pyfunction!(nng_version, m)?)?;
    m.add_function(wrap_pyfunction!(buffer_cache_limit, m)?)?;
    m.add_function(wrap_pyfunction!(set_buffer_cache_limit, m)?)?;
    m.add_function(wrap_pyfunction!(buffer_cache_size, m)?)?;
    m.add_function(wrap_pyfunction!(_strerror, m)?)?;
    m.add_function(wrap_pyfunction!(blocking::_wait_idle, m)?)?;
    options::register(m)?;
    install::register(m)?;
    m.add("ERRORS", error_table(m.py())?)?;
    m.add("BUFFER_PROTOCOL", cfg!(Py_3_11))?;
    msgpack::register(m)?;
    tls::register(m)?;
    pool::register(m)?;
    blocking::init_main_thread(m.py())?;
    Ok(())
}
