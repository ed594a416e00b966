//! NNG errors to Python exceptions, in one place.
//!
//! The exception classes live in `nngbridge/exceptions.py` (pynng's hierarchy); its
//! `EXCEPTION_MAP` from errno to class is built from `_nng.ERRORS` (the core's
//! `ERROR_CODES`), so every number has one home.

use nngbridge::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn exceptions(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    EXCEPTIONS
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("nngbridge.exceptions")?.unbind())
        })
        .map(|m| m.bind(py))
}

/// The Python exception for an NNG error: the class with the same errno, with NNG's text.
pub fn to_pyerr(e: Error) -> PyErr {
    Python::attach(|py| match make(py, e) {
        Ok(err) => err,
        Err(import_failure) => import_failure,
    })
}

fn make(py: Python<'_>, e: Error) -> PyResult<PyErr> {
    let m = exceptions(py)?;
    let map = m.getattr("EXCEPTION_MAP")?;
    let map = map.cast::<PyDict>()?;
    let errno = e.errno();
    let cls = match map.get_item(errno)? {
        Some(cls) => cls,
        None => m.getattr("NNGException")?,
    };
    let inst = cls.call1((e.nng_message(), errno))?;
    Ok(PyErr::from_value(inst))
}

/// `MessageStateError(text)`.
pub fn message_state_error(py: Python<'_>, text: &str) -> PyErr {
    match exceptions(py).and_then(|m| m.getattr("MessageStateError")) {
        Ok(cls) => match cls.call1((text,)) {
            Ok(inst) => PyErr::from_value(inst),
            Err(e) => e,
        },
        Err(e) => e,
    }
}

/// Shorthand: `result.map_err(to_pyerr)`.
pub trait IntoPy<T> {
    /// Converts the NNG error, if any, into the matching Python exception.
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_pyerr)
    }
}
