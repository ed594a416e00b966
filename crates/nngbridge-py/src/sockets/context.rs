//! `Context`: independent protocol state on a socket.

use nngbridge::Options;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use super::convert::{opt_from_py, opt_to_py, topic_bytes};
use super::socket::Socket;
use crate::aio::AsyncOp;
use crate::blocking::{self, AioPool};
use crate::buffers;
use crate::errors::{to_pyerr, IntoPy};
use crate::message::Message;

/// An independent request/reply (or survey, or subscription) state on a socket.
/// Frozen: `close` from one thread must not wait for (or fail on) another thread's
/// blocking `recv` on the same context; it closes the NNG context, which ends that call.
#[pyclass(module = "nngbridge._nng", frozen, weakref)]
pub struct Context {
    pub(super) ctx: Option<nngbridge::Context>,
    pub(super) closed: std::sync::atomic::AtomicBool,
    pub(super) socket: Py<Socket>,
    pub(super) pool: AioPool,
}

impl Context {
    pub(super) fn open(sock: &Bound<'_, Socket>) -> PyResult<Py<Context>> {
        let ctx = nngbridge::Context::new(&sock.get().sock).py()?;
        Py::new(
            sock.py(),
            Context {
                ctx: Some(ctx),
                closed: Default::default(),
                socket: sock.clone().unbind(),
                pool: AioPool::default(),
            },
        )
    }

    fn ctx(&self) -> PyResult<&nngbridge::Context> {
        self.ctx
            .as_ref()
            .filter(|_| !self.closed.load(std::sync::atomic::Ordering::Acquire))
            .ok_or_else(|| to_pyerr(nngbridge::Error::Closed))
    }

    // Contexts have no poll fds: the main thread waits on an aio in interruptible
    // slices, other threads use NNG's blocking calls.
    fn recv_message(&self, py: Python<'_>) -> PyResult<nngbridge::Message> {
        let ctx = self.ctx()?;
        let _in_flight = blocking::InFlight::enter();
        if !blocking::on_main_thread() {
            return py.detach(|| ctx.recv()).py();
        }
        let m = blocking::run(py, &self.pool, |aio| ctx.recv_async(aio))?;
        m.ok_or_else(|| to_pyerr(nngbridge::Error::Internal))
    }

    fn send_message(&self, py: Python<'_>, m: nngbridge::Message) -> PyResult<()> {
        self.send_or_return(py, m).map_err(|(e, _)| e)
    }

    /// Sends `m`; on failure the error and, where NNG gave it back, the message.
    fn send_or_return(
        &self,
        py: Python<'_>,
        m: nngbridge::Message,
    ) -> Result<(), (PyErr, Option<nngbridge::Message>)> {
        let ctx = match self.ctx() {
            Ok(c) => c,
            Err(e) => return Err((e, Some(m))),
        };
        let _in_flight = blocking::InFlight::enter();
        if !blocking::on_main_thread() {
            return py
                .detach(|| ctx.send_msg(m))
                .map_err(|e| (to_pyerr(e.error), Some(e.message)));
        }
        blocking::run_send(py, &self.pool, m, |aio, m| ctx.send_async(aio, m))
    }
}

#[pymethods]
impl Context {
    #[new]
    fn py_new(socket: &Bound<'_, PyAny>) -> PyResult<Context> {
        let sock = socket
            .cast::<Socket>()
            .map_err(|_| PyTypeError::new_err("Context needs a Socket"))?;
        let ctx = nngbridge::Context::new(&sock.get().sock).py()?;
        Ok(Context {
            ctx: Some(ctx),
            closed: Default::default(),
            socket: sock.clone().unbind(),
            pool: AioPool::default(),
        })
    }

    /// The socket the context belongs to.
    #[getter]
    fn socket(&self, py: Python<'_>) -> Py<Socket> {
        self.socket.clone_ref(py)
    }

    /// The context's numeric id.
    #[getter]
    fn id(&self) -> PyResult<i32> {
        Ok(self.ctx()?.id())
    }

    /// Sends `data` on this context.
    fn send(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let m = buffers::message_from(data)?;
        self.send_message(py, m)
    }

    /// Receives a message as `bytes` on this context.
    fn recv<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let m = self.recv_message(py)?;
        Ok(PyBytes::new(py, m.body()))
    }

    /// Packs `obj` as MessagePack straight into a message and sends it on this context.
    fn send_packed(&self, py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        let m = crate::msgpack::pack_message(obj)?;
        self.send_message(py, m)
    }

    /// Sends a `Message` on this context.
    fn send_msg(&self, py: Python<'_>, msg: &Bound<'_, Message>) -> PyResult<()> {
        let m = msg.get().take_for_send(py)?;
        self.send_or_return(py, m)
            .map_err(|(e, back)| msg.get().keep_unsent(e, back))
    }

    /// Receives a `Message` on this context.
    fn recv_msg(&self, py: Python<'_>) -> PyResult<Py<Message>> {
        let m = self.recv_message(py)?;
        self.socket.get().wrap_message(py, m)
    }

    fn _start_recv(&self, callback: Py<PyAny>) -> PyResult<AsyncOp> {
        let ctx = self.ctx()?;
        AsyncOp::start(callback, |aio| ctx.recv_async(aio))
    }

    fn _start_send(
        &self,
        py: Python<'_>,
        msg: &Bound<'_, Message>,
        callback: Py<PyAny>,
    ) -> PyResult<AsyncOp> {
        let ctx = self.ctx()?;
        let m = msg.get().take_for_send(py)?;
        AsyncOp::start(callback, move |aio| ctx.send_async(aio, m))
    }

    fn _wrap(&self, py: Python<'_>, op: &AsyncOp) -> PyResult<Py<Message>> {
        let m = op.take_message(py)?;
        self.socket.get().wrap_message(py, m)
    }

    /// Receives a message as bytes, without blocking the event loop.
    fn arecv(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        aio_call(slf, "arecv", None)
    }

    /// Sends `data`, without blocking the event loop.
    fn asend(slf: &Bound<'_, Self>, data: Py<PyAny>) -> PyResult<Py<PyAny>> {
        aio_call(slf, "asend", Some(data))
    }

    /// Receives a `Message`, without blocking the event loop.
    fn arecv_msg(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        aio_call(slf, "arecv_msg", None)
    }

    /// Closes the context, as a coroutine (pynng 1.0).
    fn aclose(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        aio_call(slf, "aclose", None)
    }

    /// `async with ctx`: closes the context at the end.
    fn __aenter__(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        aio_call(slf, "aenter", None)
    }

    #[pyo3(signature = (*_exc_info))]
    fn __aexit__(slf: &Bound<'_, Self>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        aio_call(slf, "aexit", None)
    }

    /// `async for msg in ctx`: each received `Message`, until the context is closed.
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        aio_call(slf, "anext_msg", None)
    }

    /// Sends a `Message`, without blocking the event loop.
    fn asend_msg(slf: &Bound<'_, Self>, msg: Py<PyAny>) -> PyResult<Py<PyAny>> {
        aio_call(slf, "asend_msg", Some(msg))
    }

    fn subscribe(&self, topic: &Bound<'_, PyAny>) -> PyResult<()> {
        self.ctx()?.subscribe(&topic_bytes(topic)?).py()
    }

    fn unsubscribe(&self, topic: &Bound<'_, PyAny>) -> PyResult<()> {
        self.ctx()?.unsubscribe(&topic_bytes(topic)?).py()
    }

    fn _getopt(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        opt_to_py(py, self.ctx()?.get_opt(name).py()?)
    }

    fn _setopt(&self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.ctx()?.set_opt(name, opt_from_py(name, value)?).py()
    }

    /// Closes the context; idempotent. A `send`/`recv` blocked on it in another thread
    /// raises `Closed`.
    fn close(&self, py: Python<'_>) {
        if self.closed.swap(true, std::sync::atomic::Ordering::AcqRel) {
            return;
        }
        if let Some(ctx) = self.ctx.as_ref() {
            py.detach(|| {
                let _ = ctx.close();
            });
        }
        self.pool.clear(py);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) {
        self.close(py);
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        let ctx = self.ctx.take();
        let pool = std::mem::take(&mut self.pool);
        if self.socket.get().sock.protocol_name().is_err() {
            // The socket is closed, so the context is too: nothing to wait for.
            drop((ctx, pool));
            return;
        }
        let _in_flight = blocking::InFlight::enter();
        Python::attach(|py| py.detach(move || drop((ctx, pool))));
    }
}

/// `nngbridge._aio.<name>(obj[, arg])`: the coroutine of the asyncio/trio adapter.
pub(super) fn aio_call<T>(
    obj: &Bound<'_, T>,
    name: &str,
    arg: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let f = obj.py().import("nngbridge._aio")?.getattr(name)?;
    match arg {
        None => f.call1((obj.as_any(),)),
        Some(a) => f.call1((obj.as_any(), a)),
    }
    .map(Bound::unbind)
}
