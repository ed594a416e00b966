//! Blocking operations that release the GIL and still answer Ctrl+C.
//!
//! A blocking call starts an NNG aio and waits for it in short slices with the GIL
//! released; between slices it runs Python's signal handlers, so KeyboardInterrupt
//! interrupts a `recv` within one slice (50 ms), and other threads run meanwhile.

use std::sync::Mutex;
use std::time::Duration;

use nngbridge::Aio;
use pyo3::prelude::*;

use crate::errors::IntoPy;

const SLICE: Duration = Duration::from_millis(50);

/// A small pool of idle aios, so a blocking call does not allocate one each time.
#[derive(Default)]
pub struct AioPool {
    idle: Mutex<Vec<Aio>>,
}

impl AioPool {
    pub fn take(&self) -> PyResult<Aio> {
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match pooled {
            Some(a) => Ok(a),
            None => Aio::new().py(),
        }
    }

    pub fn put(&self, aio: Aio) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < 4 {
            idle.push(aio);
        }
    }

    /// Empties the pool (without the GIL: freeing an aio may wait on NNG).
    pub fn clear(&self, py: Python<'_>) {
        let all = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()));
        py.detach(move || drop(all));
    }
}

/// Starts an operation on an aio from `pool` with `start`, waits for it without the GIL,
/// and returns its outcome; a pending signal handler that raises cancels it.
pub fn run<F>(py: Python<'_>, pool: &AioPool, start: F) -> PyResult<Option<nngbridge::Message>>
where
    F: FnOnce(&Aio) -> nngbridge::Result<()>,
{
    let aio = pool.take()?;
    aio.set_timeout(None);
    start(&aio).py()?;
    loop {
        if py.detach(|| aio.wait_timeout(SLICE)) {
            break;
        }
        if let Err(e) = py.check_signals() {
            aio.cancel();
            py.detach(|| aio.wait());
            let _ = aio.finish();
            pool.put(aio);
            return Err(e);
        }
    }
    let out = aio.finish();
    pool.put(aio);
    out.py()
}
