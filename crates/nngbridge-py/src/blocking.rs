//! Blocking operations that release the GIL and still answer Ctrl+C.
//!
//! A blocking call starts an NNG aio and waits for it in short slices with the GIL
//! released; between slices it runs Python's signal handlers, so KeyboardInterrupt
//! interrupts a `recv` within one slice (50 ms), and other threads run meanwhile.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nngbridge::Aio;
use pyo3::prelude::*;

use crate::errors::{to_pyerr, IntoPy};

pub const SLICE: Duration = Duration::from_millis(50);

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

/// Waits for the operation started on `aio` without the GIL, between slices running
/// Python's signal handlers; a handler that raises cancels the operation (the aio then
/// holds its cancelled outcome) and ends the wait with its exception.
fn wait_aio(py: Python<'_>, aio: &Aio) -> PyResult<()> {
    let done = AtomicBool::new(false);
    let waited = wait_interruptible(
        py,
        None,
        || done.load(Ordering::Relaxed).then_some(Ok(())),
        |slice| {
            if aio.wait_timeout(slice) {
                done.store(true, Ordering::Relaxed);
            }
        },
    );
    if waited.is_err() {
        aio.cancel();
        py.detach(|| aio.wait());
    }
    waited
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
    let waited = wait_aio(py, &aio);
    let out = aio.finish();
    pool.put(aio);
    waited?;
    out.py()
}

/// Sends `msg` with `start` as [`run`] does; a send that fails (or is interrupted) gives
/// the message back with the error, so the caller can keep it (pynng marks a `Message`
/// sent only once the send succeeded).
pub fn run_send<F>(
    py: Python<'_>,
    pool: &AioPool,
    msg: nngbridge::Message,
    start: F,
) -> Result<(), (PyErr, Option<nngbridge::Message>)>
where
    F: FnOnce(&Aio, nngbridge::Message) -> nngbridge::Result<()>,
{
    let aio = match pool.take() {
        Ok(a) => a,
        Err(e) => return Err((e, Some(msg))),
    };
    aio.set_timeout(None);
    start(&aio, msg).map_err(|e| (to_pyerr(e), None))?;
    let waited = wait_aio(py, &aio);
    let out = aio.finish_send();
    pool.put(aio);
    match (waited, out) {
        (_, Ok(())) => Ok(()),
        (Err(e), Err((_, back))) => Err((e, back)),
        (Ok(()), Err((e, back))) => Err((to_pyerr(e), back)),
    }
}

/// The one Ctrl+C-interruptible wait: until `attempt` has an outcome, waits with `wait`
/// (GIL released) for at most one slice and not past `deadline`, running Python's signal
/// handlers between slices. A handler that raises ends the wait with its exception; the
/// deadline passing ends it with Timeout.
pub fn wait_interruptible<T>(
    py: Python<'_>,
    deadline: Option<Instant>,
    mut attempt: impl FnMut() -> Option<PyResult<T>>,
    wait: impl Fn(Duration) + Sync,
) -> PyResult<T> {
    loop {
        if let Some(out) = attempt() {
            return out;
        }
        py.check_signals()?;
        let slice = next_slice(deadline).ok_or_else(|| to_pyerr(nngbridge::Error::Timeout))?;
        py.detach(|| wait(slice));
    }
}

static MAIN_THREAD: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Remembers Python's main thread (the only one that runs signal handlers).
pub fn init_main_thread(py: Python<'_>) -> PyResult<()> {
    let ident: u64 = py
        .import("threading")?
        .call_method0("main_thread")?
        .getattr("ident")?
        .extract()?;
    MAIN_THREAD.store(ident, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// Whether the calling thread is Python's main thread. Only there can a signal handler
/// raise, so only there do blocking calls wait in interruptible slices; other threads
/// use NNG's own blocking calls, which are the fastest path.
pub fn on_main_thread() -> bool {
    // SAFETY: PyThread_get_thread_ident has no preconditions.
    let me = unsafe { pyo3::ffi::PyThread_get_thread_ident() } as u64;
    me == MAIN_THREAD.load(std::sync::atomic::Ordering::Relaxed)
}

/// The instant a blocking call with NNG timeout `ms` (-1: none) started now must end.
pub fn deadline(ms: i32) -> Option<Instant> {
    u64::try_from(ms)
        .ok()
        .map(|ms| Instant::now() + Duration::from_millis(ms))
}

/// How long the next slice may wait: at most one slice, and not past the deadline.
/// `None` means the deadline has passed.
fn next_slice(deadline: Option<Instant>) -> Option<Duration> {
    match deadline {
        None => Some(SLICE),
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            (!left.is_zero()).then(|| left.min(SLICE))
        }
    }
}

/// Waits until `fd` is readable or `timeout` passes (call without the GIL).
#[cfg(unix)]
pub fn wait_readable(fd: i32, timeout: Duration) {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: one valid pollfd; poll only writes its revents field.
    unsafe { libc::poll(&mut p, 1, ms) };
}

static IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Marks a call that may run without the GIL (a blocking wait, an NNG callback) for its
/// whole duration, so that interpreter exit can wait for it to be back in Python.
pub struct InFlight;

impl InFlight {
    pub fn enter() -> InFlight {
        IN_FLIGHT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Waits (GIL released in 1 ms steps) until no call is inside nngbridge's native code,
/// at most `timeout_s`. Called at exit after every socket is closed: a thread that is
/// still in Rust when the interpreter finalises would be ended by `pthread_exit` while
/// taking the GIL back, unwinding through Rust frames (a crash).
#[pyfunction]
pub fn _wait_idle(py: Python<'_>, timeout_s: f64) -> bool {
    let end = std::time::Instant::now() + Duration::from_secs_f64(timeout_s.clamp(0.0, 60.0));
    // Idle for 20 ms in a row: a woken thread may enter native code once more on its way
    // out (dropping its last objects).
    let mut quiet = 0;
    loop {
        if IN_FLIGHT.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            quiet += 1;
            if quiet >= 20 {
                return true;
            }
        } else {
            quiet = 0;
        }
        if std::time::Instant::now() >= end {
            return false;
        }
        py.detach(|| std::thread::sleep(Duration::from_millis(1)));
    }
}
