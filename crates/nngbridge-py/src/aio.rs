//! `AsyncOp`: one asynchronous send or receive, for the asyncio and trio adapters.
//!
//! The completion callback runs on an NNG thread: it attaches to Python only to call
//! the adapter's callable (which hands the wake-up to the event loop), and does
//! nothing once the interpreter is shutting down.

use std::sync::Mutex;

use nngbridge::Aio;
use pyo3::prelude::*;

use crate::errors::{to_pyerr, IntoPy};

/// An operation in flight. `cancel()` asks it to stop; `result()` raises its error or
/// returns `None` (send); receives hand their message to `Socket._wrap`.
#[pyclass(module = "nngbridge._nng")]
pub struct AsyncOp {
    aio: Option<Aio>,
    outcome: Mutex<Option<nngbridge::Result<Option<nngbridge::Message>>>>,
}

impl AsyncOp {
    pub fn start<F>(callback: Py<PyAny>, start: F) -> PyResult<AsyncOp>
    where
        F: FnOnce(&Aio) -> nngbridge::Result<()>,
    {
        let aio = Aio::with_callback(Box::new(move || {
            let _in_flight = crate::blocking::InFlight::enter();
            let _ = Python::try_attach(|py| {
                if let Err(e) = callback.call0(py) {
                    e.print(py);
                }
            });
        }))
        .py()?;
        aio.set_timeout(None);
        start(&aio).py()?;
        Ok(AsyncOp {
            aio: Some(aio),
            outcome: Mutex::new(None),
        })
    }

    fn settle(&self, py: Python<'_>) -> PyResult<()> {
        let aio = self
            .aio
            .as_ref()
            .ok_or_else(|| to_pyerr(nngbridge::Error::Closed))?;
        // The wake-up callback runs just before the aio is marked done, so the event
        // loop may get here a moment early: wait out that moment without the GIL.
        if !aio.is_done() {
            py.detach(|| aio.wait());
        }
        let mut out = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        if out.is_none() {
            *out = Some(aio.finish());
        }
        Ok(())
    }

    pub fn take_message(&self, py: Python<'_>) -> PyResult<nngbridge::Message> {
        self.settle(py)?;
        let mut out = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        match out.take() {
            Some(Ok(Some(m))) => Ok(m),
            Some(Err(e)) => {
                *out = Some(Err(e));
                Err(to_pyerr(e))
            }
            _ => Err(to_pyerr(nngbridge::Error::BadState)),
        }
    }
}

#[pymethods]
impl AsyncOp {
    /// Asks the operation to stop; it then completes with `Canceled`.
    fn cancel(&self) {
        if let Some(a) = &self.aio {
            a.cancel();
        }
    }

    /// Whether the operation has completed.
    #[getter]
    fn done(&self) -> bool {
        self.aio.as_ref().is_none_or(|a| a.is_done())
    }

    /// Raises the operation's error, if any.
    fn result(&self, py: Python<'_>) -> PyResult<()> {
        self.settle(py)?;
        let out = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        match out.as_ref() {
            Some(Err(e)) => Err(to_pyerr(*e)),
            _ => Ok(()),
        }
    }
}

impl Drop for AsyncOp {
    fn drop(&mut self) {
        if let Some(aio) = self.aio.take() {
            if aio.is_done() {
                // Nothing left to wait for: free it without giving up the GIL (a thread
                // that releases the GIL during interpreter exit can never take it back).
                drop(aio);
                return;
            }
            // Freeing an aio waits for its callback, which may be waiting for the GIL.
            let _in_flight = crate::blocking::InFlight::enter();
            aio.cancel();
            Python::attach(|py| py.detach(move || drop(aio)));
        }
    }
}
