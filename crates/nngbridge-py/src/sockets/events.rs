//! Pipe events: the Python `Pipe` objects of a socket and the callbacks NNG threads run.

use std::collections::HashMap;
use std::sync::Mutex;

use nngbridge::PipeEvent;
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use pyo3::types::{PyDict, PyWeakrefReference};

use super::endpoint::{Dialer, Listener};
use super::lock;
use super::pipe::Pipe;

/// Python-visible state shared with the pipe-event handler that runs on NNG threads.
#[derive(Default)]
pub(super) struct Shared {
    pub(super) owner: Mutex<Option<Py<PyWeakrefReference>>>,
    pub(super) pipes: Mutex<HashMap<i32, Py<Pipe>>>,
    pub(super) dialers: Mutex<HashMap<i32, Py<Dialer>>>,
    pub(super) listeners: Mutex<HashMap<i32, Py<Listener>>>,
    pub(super) callbacks: Mutex<Callbacks>,
    // Serialises pipe bookkeeping like pynng's _pipe_notify_lock.
    pub(super) notify: Mutex<()>,
}

/// The Python callbacks for each pipe event, in the order they were added.
#[derive(Default)]
pub(super) struct Callbacks {
    add_pre: Vec<Py<PyAny>>,
    add_post: Vec<Py<PyAny>>,
    rem_post: Vec<Py<PyAny>>,
}

impl Callbacks {
    pub(super) fn on(&mut self, ev: PipeEvent) -> &mut Vec<Py<PyAny>> {
        match ev {
            PipeEvent::AddPre => &mut self.add_pre,
            PipeEvent::AddPost => &mut self.add_post,
            PipeEvent::RemPost => &mut self.rem_post,
        }
    }
}

impl Shared {
    fn pipe_obj(&self, py: Python<'_>, pipe: nngbridge::Pipe) -> PyResult<Py<Pipe>> {
        let mut pipes = lock(&self.pipes);
        if let Some(p) = pipes.get(&pipe.id()) {
            return Ok(p.clone_ref(py));
        }
        let owner = lock(&self.owner).as_ref().map(|o| o.clone_ref(py));
        let p = Py::new(
            py,
            Pipe {
                pipe,
                owner,
                closed: Mutex::new(false),
            },
        )?;
        pipes.insert(pipe.id(), p.clone_ref(py));
        Ok(p)
    }

    pub(super) fn on_pipe_event(&self, py: Python<'_>, pipe: nngbridge::Pipe, ev: PipeEvent) {
        let alive = lock(&self.owner)
            .as_ref()
            .is_some_and(|w| w.bind(py).upgrade().is_some());
        if !alive {
            return;
        }
        let _serial = self
            .notify
            .lock_py_attached(py)
            .unwrap_or_else(|e| e.into_inner());
        let cbs: Vec<Py<PyAny>> = lock(&self.callbacks)
            .on(ev)
            .iter()
            .map(|c| c.clone_ref(py))
            .collect();
        let run = |p: &Py<Pipe>| {
            for cb in &cbs {
                if let Err(e) = cb.call1(py, (p.clone_ref(py),)) {
                    log_exception(py, "Exception raised in pipe callback", e);
                }
            }
        };
        match ev {
            PipeEvent::AddPre => {
                if let Ok(p) = self.pipe_obj(py, pipe) {
                    run(&p);
                    if *lock(&p.get().closed) {
                        lock(&self.pipes).remove(&pipe.id());
                    }
                }
            }
            PipeEvent::AddPost => {
                if let Ok(p) = self.pipe_obj(py, pipe) {
                    run(&p);
                }
            }
            PipeEvent::RemPost => {
                let p = lock(&self.pipes).get(&pipe.id()).map(|p| p.clone_ref(py));
                if let Some(p) = p {
                    run(&p);
                    lock(&self.pipes).remove(&pipe.id());
                }
            }
        }
    }

    pub(super) fn associate(&self, py: Python<'_>, msg: &nngbridge::Message) -> Option<Py<Pipe>> {
        let pipe = msg.pipe()?;
        let _serial = self
            .notify
            .lock_py_attached(py)
            .unwrap_or_else(|e| e.into_inner());
        self.pipe_obj(py, pipe).ok()
    }
}

pub(super) fn log_exception(py: Python<'_>, what: &str, e: PyErr) {
    let logged = py.import("logging").and_then(|l| {
        let logger = l.call_method1("getLogger", ("nngbridge",))?;
        let kw = PyDict::new(py);
        kw.set_item("exc_info", e.clone_ref(py).into_value(py))?;
        logger.call_method("error", (what,), Some(&kw))
    });
    if logged.is_err() {
        e.print(py);
    }
}
