//! `ScenePool`: `nngbridge_scene::Pool` for Python (`nngbridge.scene.Pool` is its face,
//! docs/pool.md §5). The scheduler is the Rust one; this module only converts: arguments
//! come as `Message`s packed by `nngbridge.scene.arrays`, results go back as `Message`s it
//! unpacks, so both directions use the Python client's codec. Every wait releases the GIL
//! and answers Ctrl+C within a slice.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nngbridge_scene::pool::{
    Completed, Pool, PoolOptions, PoolStats, TaskResult, Ticket, WorkerOutcome,
};
use nngbridge_scene::{codec, CallError, FailureKind, Value};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyIterator};

use crate::blocking::{InFlight, SLICE};
use crate::message::Message;

/// `Pool::broadcast` or `Pool::setup`.
type EveryWorker = fn(&Pool, &str, Value, Duration) -> Result<Vec<WorkerOutcome>, CallError>;

type PyOutcome = (
    bool,
    Option<Py<Message>>,
    Option<&'static str>,
    Option<String>,
);
type PyTask = (
    usize,
    Option<String>,
    u32,
    bool,
    bool,
    Option<Py<Message>>,
    Option<&'static str>,
    Option<String>,
);

fn seconds(s: f64, what: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| PyValueError::new_err(format!("{what} must be seconds >= 0, not {s}")))
}

fn value_of(py: Python<'_>, msg: &Bound<'_, PyAny>) -> PyResult<Value> {
    let m = msg.cast::<Message>()?;
    m.get()
        .with_body(py, codec::decode::<Value>)?
        .map_err(|e| PyValueError::new_err(format!("not a MessagePack value: {e}")))
}

fn message_of(py: Python<'_>, value: &impl serde::Serialize) -> PyResult<Py<Message>> {
    let bytes = codec::encode(value)
        .map_err(|e| PyValueError::new_err(format!("unencodable result: {e}")))?;
    let msg = nngbridge::Message::from_bytes(&bytes).map_err(crate::errors::to_pyerr)?;
    Py::new(py, Message::wrap(msg, None))
}

/// `(ok, body, error kind, error text)`: the result or the server's error body packed in
/// `body`; otherwise a kind the Python face maps to its exceptions.
fn outcome(py: Python<'_>, outcome: Result<Value, CallError>) -> PyResult<PyOutcome> {
    Ok(match outcome {
        Ok(v) => (true, Some(message_of(py, &v)?), None, None),
        Err(CallError::Server(e)) => {
            let kind = FailureKind::Server.as_str();
            (false, Some(message_of(py, &e)?), Some(kind), None)
        }
        Err(e) => {
            let kind = e.kind().as_str();
            (false, None, Some(kind), Some(e.to_string()))
        }
    })
}

fn task(py: Python<'_>, r: TaskResult) -> PyResult<PyTask> {
    let (ok, body, kind, text) = outcome(py, r.outcome)?;
    Ok((
        r.index, r.worker, r.attempts, r.replayed, ok, body, kind, text,
    ))
}

/// Receives from `rx` in slices without the GIL, running signal handlers in between.
fn recv_sliced<T: Send>(py: Python<'_>, mut rx: mpsc::Receiver<T>) -> PyResult<T> {
    let _in = InFlight::enter();
    loop {
        py.check_signals()?;
        let (back, got) = py.detach(move || {
            let got = rx.recv_timeout(SLICE);
            (rx, got)
        });
        rx = back;
        match got {
            Ok(v) => return Ok(v),
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err(
                    "the pool's call ended without a result",
                ))
            }
        }
    }
}

/// Runs `f` (a bounded blocking call of the pool) on a thread of its own and waits for
/// it interruptibly; an interrupted call finishes in the background.
fn interruptible<T: Send + 'static>(
    py: Python<'_>,
    f: impl FnOnce() -> T + Send + 'static,
) -> PyResult<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("nngbridge-pool-call".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    recv_sliced(py, rx)
}

fn call_error(e: CallError) -> PyErr {
    match e {
        CallError::Nng(e) => crate::errors::to_pyerr(e),
        e => PyRuntimeError::new_err(e.to_string()),
    }
}

/// `nngbridge_scene::Pool` (see `nngbridge.scene.Pool`).
#[pyclass(module = "nngbridge._nng", frozen)]
pub struct ScenePool {
    pool: Mutex<Option<Arc<Pool>>>,
}

impl ScenePool {
    /// Runs `broadcast` or `setup` (`run`) on every worker, interruptibly.
    fn every_worker(
        &self,
        py: Python<'_>,
        run: EveryWorker,
        cmd: String,
        args: &Bound<'_, PyAny>,
        timeout: f64,
    ) -> PyResult<Vec<(String, PyOutcome)>> {
        let (pool, t, args) = (
            self.get()?,
            seconds(timeout, "timeout")?,
            value_of(py, args)?,
        );
        let all = interruptible(py, move || run(&pool, &cmd, args, t))?.map_err(call_error)?;
        outcomes(py, all)
    }

    fn get(&self) -> PyResult<Arc<Pool>> {
        self.pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| crate::errors::to_pyerr(nngbridge::Error::Closed))
    }
}

fn workers_of(
    py: Python<'_>,
    w: Vec<nngbridge_scene::pool::WorkerInfo>,
) -> PyResult<Vec<(String, Py<Message>, String)>> {
    w.into_iter()
        .map(|w| Ok((w.id, message_of(py, &w.raw)?, w.address)))
        .collect()
}

fn outcomes(py: Python<'_>, all: Vec<WorkerOutcome>) -> PyResult<Vec<(String, PyOutcome)>> {
    all.into_iter()
        .map(|(w, o)| Ok((w, outcome(py, o)?)))
        .collect()
}

#[pymethods]
impl ScenePool {
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (address, token, tls, per_worker, max_pending, deadline, max_attempts,
                        liveness_interval, liveness_timeout, max_reply, lanes, queue_deadline))]
    fn new(
        py: Python<'_>,
        address: String,
        token: Option<String>,
        tls: Option<&Bound<'_, PyAny>>,
        per_worker: usize,
        max_pending: usize,
        deadline: f64,
        max_attempts: u32,
        liveness_interval: f64,
        liveness_timeout: f64,
        max_reply: Option<usize>,
        lanes: usize,
        queue_deadline: Option<f64>,
    ) -> PyResult<ScenePool> {
        let opts = PoolOptions {
            token,
            tls: tls.map(crate::tls::native).transpose()?,
            per_worker,
            max_pending,
            deadline: seconds(deadline, "deadline")?,
            max_attempts,
            liveness_interval: seconds(liveness_interval, "liveness_interval")?,
            liveness_timeout: seconds(liveness_timeout, "liveness_timeout")?,
            max_reply: max_reply.unwrap_or(usize::MAX),
            lanes,
            queue_deadline: queue_deadline
                .map(|s| seconds(s, "queue_deadline"))
                .transpose()?,
        };
        let pool = py
            .detach(|| Pool::listen(&address, opts))
            .map_err(call_error)?;
        Ok(ScenePool {
            pool: Mutex::new(Some(Arc::new(pool))),
        })
    }

    fn workers(
        &self,
        py: Python<'_>,
        timeout: f64,
    ) -> PyResult<Vec<(String, Py<Message>, String)>> {
        let (pool, t) = (self.get()?, seconds(timeout, "timeout")?);
        let w = interruptible(py, move || pool.workers(t))?.map_err(call_error)?;
        workers_of(py, w)
    }

    fn wait_for_workers(
        &self,
        py: Python<'_>,
        n: usize,
        timeout: f64,
    ) -> PyResult<Vec<(String, Py<Message>, String)>> {
        let (pool, t) = (self.get()?, seconds(timeout, "timeout")?);
        let w = interruptible(py, move || pool.wait_for_workers(n, t))?.map_err(call_error)?;
        workers_of(py, w)
    }

    fn connected(&self) -> PyResult<usize> {
        Ok(self.get()?.connected())
    }

    fn refused(&self) -> PyResult<Vec<(Option<String>, String, String)>> {
        Ok(self
            .get()?
            .refused()
            .into_iter()
            .map(|r| (r.worker, r.address, r.reason))
            .collect())
    }

    fn broadcast(
        &self,
        py: Python<'_>,
        cmd: String,
        args: &Bound<'_, PyAny>,
        timeout: f64,
    ) -> PyResult<Vec<(String, PyOutcome)>> {
        self.every_worker(py, Pool::broadcast, cmd, args, timeout)
    }

    fn setup(
        &self,
        py: Python<'_>,
        cmd: String,
        args: &Bound<'_, PyAny>,
        timeout: f64,
    ) -> PyResult<Vec<(String, PyOutcome)>> {
        self.every_worker(py, Pool::setup, cmd, args, timeout)
    }

    /// Queues one task, waiting (interruptibly) while the pool is full.
    fn submit(
        &self,
        py: Python<'_>,
        cmd: String,
        args: &Bound<'_, PyAny>,
    ) -> PyResult<ScenePoolTicket> {
        let (pool, mut args) = (self.get()?, value_of(py, args)?);
        let _in = InFlight::enter();
        loop {
            py.check_signals()?;
            match py.detach(|| pool.try_submit(&cmd, args, SLICE)) {
                Ok(t) => {
                    return Ok(ScenePoolTicket {
                        ticket: Mutex::new(Some(t)),
                    })
                }
                Err(back) => args = back,
            }
        }
    }

    /// Results of `cmd` over `items` (an iterator of packed argument messages) as they
    /// complete.
    fn map_unordered(&self, cmd: String, items: &Bound<'_, PyAny>) -> PyResult<ScenePoolResults> {
        let err = Arc::new(Mutex::new(None));
        let source = PyItems {
            it: PyIterator::from_object(items)?.unbind().into_any(),
            err: Arc::clone(&err),
        };
        Ok(ScenePoolResults {
            completed: Mutex::new(self.get()?.map_unordered(&cmd, source)),
            err,
        })
    }

    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let PoolStats {
            by_worker,
            resent,
            replayed,
            lost,
            evicted,
            expired,
            setup_replayed,
            setup_failed,
        } = self.get()?.stats();
        let d = PyDict::new(py);
        d.set_item("by_worker", by_worker.into_iter().collect::<Vec<_>>())?;
        for (k, v) in [
            ("resent", resent),
            ("replayed", replayed),
            ("lost", lost),
            ("evicted", evicted),
            ("expired", expired),
            ("setup_replayed", setup_replayed),
            ("setup_failed", setup_failed),
        ] {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    /// Stops the pool: queued tasks fail with `Closed`; the sockets close.
    fn close(&self, py: Python<'_>) {
        let pool = self.pool.lock().unwrap_or_else(|e| e.into_inner()).take();
        let _in = InFlight::enter();
        py.detach(move || drop(pool));
    }
}

/// One submitted task (`Pool.submit`).
#[pyclass(module = "nngbridge._nng", frozen)]
pub struct ScenePoolTicket {
    ticket: Mutex<Option<Ticket>>,
}

#[pymethods]
impl ScenePoolTicket {
    /// The task's result, waiting at most `timeout` seconds (`None`: as long as it
    /// takes); `None` if it is not done by then. Gives the result once.
    #[pyo3(signature = (timeout=None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<PyTask>> {
        let until = timeout
            .map(|t| seconds(t, "timeout").map(|d| Instant::now() + d))
            .transpose()?;
        let _in = InFlight::enter();
        loop {
            py.check_signals()?;
            let slice = match until {
                None => SLICE,
                Some(u) => u.saturating_duration_since(Instant::now()).min(SLICE),
            };
            let got = py.detach(|| {
                let mut t = self.ticket.lock().unwrap_or_else(|e| e.into_inner());
                let r = t.as_ref().map(|t| t.wait_timeout(slice));
                match r {
                    Some(Some(r)) => {
                        *t = None;
                        Ok(Some(r))
                    }
                    Some(None) => Ok(None),
                    None => Err(()),
                }
            });
            match got {
                Ok(Some(r)) => return task(py, r).map(Some),
                Ok(None) if until.is_some_and(|u| Instant::now() >= u) => return Ok(None),
                Ok(None) => continue,
                Err(()) => return Err(PyRuntimeError::new_err("this ticket's result was taken")),
            }
        }
    }
}

/// Packed argument messages pulled from a Python iterator (with the GIL) as the pool
/// takes them; the first error ends the items and is raised by the results iterator.
struct PyItems {
    it: Py<PyAny>,
    err: Arc<Mutex<Option<PyErr>>>,
}

impl Iterator for PyItems {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        Python::attach(|py| {
            let it = self.it.bind(py).cast::<PyIterator>().ok()?.clone();
            let got = match it.into_iter().next()? {
                Ok(item) => value_of(py, &item),
                Err(e) => Err(e),
            };
            match got {
                Ok(v) => Some(v),
                Err(e) => {
                    *self.err.lock().unwrap_or_else(|x| x.into_inner()) = Some(e);
                    None
                }
            }
        })
    }
}

/// Results of `Pool.map_unordered`, as they complete.
#[pyclass(module = "nngbridge._nng", frozen)]
pub struct ScenePoolResults {
    completed: Mutex<Completed<PyItems>>,
    err: Arc<Mutex<Option<PyErr>>>,
}

#[pymethods]
impl ScenePoolResults {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyTask>> {
        let _in = InFlight::enter();
        loop {
            py.check_signals()?;
            let got = py.detach(|| {
                self.completed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .next_until(Some(Instant::now() + SLICE))
            });
            if let Some(e) = self.err.lock().unwrap_or_else(|x| x.into_inner()).take() {
                return Err(e);
            }
            match got {
                Ok(Some(r)) => return task(py, r).map(Some),
                Ok(None) => return Ok(None),
                Err(()) => continue,
            }
        }
    }
}

/// Adds the pool classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ScenePool>()?;
    m.add_class::<ScenePoolTicket>()?;
    m.add_class::<ScenePoolResults>()?;
    Ok(())
}
