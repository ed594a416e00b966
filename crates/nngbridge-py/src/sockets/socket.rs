//! `Socket`: the base class of pynng's socket classes.

use std::sync::{Arc, Mutex};

use nngbridge::{OptValue, Options, PipeEvent, Protocol};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple, PyType, PyWeakrefReference};

use super::context::Context;
use super::convert::{address_str, opt_from_py, opt_to_py, protocol_from, topic_bytes};
use super::endpoint::{Dialer, Listener};
use super::events::Shared;
use super::lock;
use super::pipe::Pipe;
use crate::aio::AsyncOp;
use crate::blocking::{self, AioPool};
use crate::buffers;
use crate::errors::{to_pyerr, IntoPy};
use crate::message::Message;

/// The base class of pynng's socket classes. Subclasses name their protocol in
/// `_protocol` (e.g. `"req0"`); the Python package defines them.
#[pyclass(module = "nngbridge._nng", subclass, weakref, dict, frozen)]
pub struct Socket {
    pub(crate) sock: nngbridge::Socket,
    pub(super) shared: Arc<Shared>,
    pub(super) pool: AioPool,
    pub(super) name: Mutex<String>,
    #[pyo3(get)]
    pub(super) _async_backend: Option<Py<PyAny>>,
}

impl Socket {
    fn open_check(&self) -> PyResult<()> {
        // Any cheap call that fails with Closed once the socket is closed.
        self.sock.protocol_name().py().map(|_| ())
    }

    // Receiving: a ready message is taken at once. Otherwise, on Python's main thread
    // (where Ctrl+C must work) we wait for the socket's receive fd in slices with the
    // GIL released, running signal handlers between slices; other threads use NNG's own
    // blocking receive. A non-blocking receive leaves protocol state as it was.
    fn recv_message(&self, py: Python<'_>, block: bool) -> PyResult<nngbridge::Message> {
        match self.sock.try_recv() {
            Err(nngbridge::Error::TryAgain) if block => {}
            other => return other.py(),
        }
        let _in_flight = blocking::InFlight::enter();
        if !blocking::on_main_thread() || cfg!(not(unix)) {
            return py.detach(|| self.sock.recv()).py();
        }
        #[cfg(unix)]
        {
            let deadline = blocking::deadline(self.timeout_ms("recv_timeout")?);
            let fd = self.sock.recv_fd().py()?;
            blocking::wait_interruptible(
                py,
                deadline,
                || match self.sock.try_recv() {
                    Err(nngbridge::Error::TryAgain) => None,
                    other => Some(other.py()),
                },
                |slice| blocking::wait_readable(fd, slice),
            )
        }
        #[cfg(not(unix))]
        unreachable!()
    }

    // Sending: the main thread waits for the send fd in slices like `recv_message`.
    pub(crate) fn send_message(
        &self,
        py: Python<'_>,
        msg: nngbridge::Message,
        block: bool,
    ) -> PyResult<()> {
        self.send_or_return(py, msg, block).map_err(|(e, _)| e)
    }

    /// Sends `msg`; on failure the error and, where NNG gave it back, the message.
    pub(crate) fn send_or_return(
        &self,
        py: Python<'_>,
        msg: nngbridge::Message,
        block: bool,
    ) -> Result<(), (PyErr, Option<nngbridge::Message>)> {
        let back = |e: nngbridge::SendError| (to_pyerr(e.error), Some(e.message));
        if !block {
            return self.sock.try_send_msg(msg).map_err(back);
        }
        let _in_flight = blocking::InFlight::enter();
        // Only where NNG 2.0.0's non-blocking send is sound and leaves protocol state
        // alone do we try it first; elsewhere (Rep0/Respondent0 forget the request,
        // Bus0/Pair1 polyamorous/raw fail it outright) NNG blocks for us. Those sends
        // rarely wait: they answer a peer or drop when nobody listens.
        let try_first = !self.sock.is_raw()
            && matches!(
                self.sock.protocol(),
                Protocol::Pair0
                    | Protocol::Pair1
                    | Protocol::Push0
                    | Protocol::Pub0
                    | Protocol::Req0
                    | Protocol::Surveyor0
            );
        if !try_first || !blocking::on_main_thread() || cfg!(not(unix)) {
            return py.detach(|| self.sock.send_msg(msg)).map_err(back);
        }
        #[cfg(unix)]
        {
            let timeout = match self.timeout_ms("send_timeout") {
                Ok(t) => t,
                Err(e) => return Err((e, Some(msg))),
            };
            let fd = match self.sock.send_fd().py() {
                Ok(fd) => fd,
                Err(e) => return Err((e, Some(msg))),
            };
            let deadline = blocking::deadline(timeout);
            let mut pending = Some(msg);
            blocking::wait_interruptible(
                py,
                deadline,
                || {
                    let msg = pending.take()?;
                    match self.sock.try_send_msg(msg) {
                        Ok(()) => Some(Ok(())),
                        Err(e) => {
                            let error = e.error;
                            pending = Some(e.message);
                            (error != nngbridge::Error::TryAgain).then(|| Err(to_pyerr(error)))
                        }
                    }
                },
                |slice| blocking::wait_readable(fd, slice),
            )
            .map_err(|e| (e, pending.take()))
        }
        #[cfg(not(unix))]
        unreachable!()
    }

    fn timeout_ms(&self, name: &str) -> PyResult<i32> {
        match self.sock.get_opt(name).py()? {
            OptValue::Ms(ms) => Ok(ms),
            _ => Ok(-1),
        }
    }

    pub(crate) fn wrap_message(
        &self,
        py: Python<'_>,
        msg: nngbridge::Message,
    ) -> PyResult<Py<Message>> {
        let pipe = self.shared.associate(py, &msg);
        Py::new(py, Message::wrap(msg, pipe))
    }

    pub(super) fn add_dialer(&self, py: Python<'_>, d: nngbridge::Dialer) -> PyResult<Py<Dialer>> {
        let owner = lock(&self.shared.owner).as_ref().map(|o| o.clone_ref(py));
        let obj = Py::new(py, Dialer { dialer: d, owner })?;
        lock(&self.shared.dialers).insert(d.id(), obj.clone_ref(py));
        Ok(obj)
    }

    fn do_dial(&self, py: Python<'_>, url: &str, nonblocking: bool) -> PyResult<Py<Dialer>> {
        let _in_flight = blocking::InFlight::enter();
        let d = if nonblocking {
            py.detach(|| self.sock.dial_nonblocking(url)).py()?
        } else if blocking::on_main_thread() {
            // A slow connect (an unroutable host) must still answer Ctrl+C.
            let d = self.sock.dialer_create(url).py()?;
            if let Err(e) = blocking::run(py, &self.pool, |aio| d.start_async(aio)) {
                let _ = py.detach(|| d.close());
                return Err(e);
            }
            d
        } else {
            py.detach(|| self.sock.dial(url)).py()?
        };
        self.add_dialer(py, d)
    }
}

#[pymethods]
impl Socket {
    #[new]
    #[classmethod]
    #[pyo3(signature = (*_args, **kwargs))]
    fn new(
        cls: &Bound<'_, PyType>,
        _args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Socket> {
        let get = |k: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
            match kwargs {
                Some(kw) => Ok(kw.get_item(k)?.filter(|v| !v.is_none())),
                None => Ok(None),
            }
        };
        // An opener is a protocol name or an `nngbridge.lib` opener (`_protocol`, `_raw`).
        let (proto_name, raw): (Option<String>, bool) = match get("opener")? {
            Some(o) if o.is_instance_of::<PyString>() => (Some(o.extract()?), false),
            Some(o) => {
                let raw = match o.getattr_opt("_raw")? {
                    Some(r) => r.is_truthy()?,
                    None => false,
                };
                (Some(o.getattr("_protocol")?.extract()?), raw)
            }
            None => match cls.getattr("_protocol") {
                Ok(p) if !p.is_none() => (Some(p.extract()?), false),
                _ => (None, false),
            },
        };
        let proto_name = proto_name.ok_or_else(|| {
            PyTypeError::new_err("Cannot directly instantiate a Socket.  Try a subclass.")
        })?;
        let poly = match get("polyamorous")? {
            Some(v) => v.is_truthy()?,
            None => false,
        };
        let protocol = protocol_from(&proto_name, poly)?;
        let sock = if raw {
            nngbridge::Socket::new_raw(protocol)
        } else {
            nngbridge::Socket::new(protocol)
        }
        .py()?;
        // pynng (NNG 1) has no receive size limit by default; NNG 2 has 1 GiB.
        sock.set_recv_max_size(0).py()?;
        let shared = Arc::new(Shared::default());
        let handler_shared = Arc::downgrade(&shared);
        sock.set_pipe_handler(Some(Arc::new(move |pipe, ev| {
            if let Some(sh) = handler_shared.upgrade() {
                let _ = Python::try_attach(|py| sh.on_pipe_event(py, pipe, ev));
            }
        })));
        let name = sock.id().to_string();
        Ok(Socket {
            sock,
            shared,
            pool: AioPool::default(),
            name: Mutex::new(name),
            _async_backend: get("async_backend")?.map(|b| b.unbind()),
        })
    }

    /// Called by the Python `__init__` once the object exists, so pipes and dialers can
    /// point back to it without keeping it alive.
    fn _bind_owner(slf: &Bound<'_, Self>) -> PyResult<()> {
        let w = PyWeakrefReference::new(slf)?;
        *lock(&slf.get().shared.owner) = Some(w.unbind());
        Ok(())
    }

    /// Closes the socket; blocked calls in other threads raise `Closed`. Idempotent.
    fn close(&self, py: Python<'_>) {
        let sock = self.sock.clone();
        let _ = py.detach(move || sock.close());
        lock(&self.shared.dialers).clear();
        lock(&self.shared.listeners).clear();
        self.pool.clear(py);
    }

    /// Dials `address`. `block=True` waits for the connection and raises on failure;
    /// `block=False` connects in the background; `block=None` (default) tries to
    /// connect now and falls back to the background if the connection is refused.
    #[pyo3(signature = (address, *, block=None))]
    fn dial(
        &self,
        py: Python<'_>,
        address: &Bound<'_, PyAny>,
        block: Option<bool>,
    ) -> PyResult<Py<Dialer>> {
        let url = address_str(address)?;
        match block {
            Some(true) => self.do_dial(py, &url, false),
            Some(false) => self.do_dial(py, &url, true),
            None => match self.do_dial(py, &url, false) {
                Err(e) if is_refused(py, &e) => {
                    let logger = py
                        .import("logging")?
                        .call_method1("getLogger", ("nngbridge",))?;
                    logger.call_method1(
                        "debug",
                        ("Synchronous dial failed; attempting asynchronous now",),
                    )?;
                    self.do_dial(py, &url, true)
                }
                other => other,
            },
        }
    }

    /// Listens on `address`.
    #[pyo3(signature = (address, flags=0))]
    fn listen(
        &self,
        py: Python<'_>,
        address: &Bound<'_, PyAny>,
        flags: i32,
    ) -> PyResult<Py<Listener>> {
        let _ = flags;
        let url = address_str(address)?;
        let l = py.detach(|| self.sock.listen(&url)).py()?;
        let owner = lock(&self.shared.owner).as_ref().map(|o| o.clone_ref(py));
        let obj = Py::new(py, Listener { listener: l, owner })?;
        lock(&self.shared.listeners).insert(l.id(), obj.clone_ref(py));
        Ok(obj)
    }

    /// Sends `data` (bytes or any buffer). `block=False` raises `TryAgain` if it cannot
    /// be queued at once.
    #[pyo3(signature = (data, block=true))]
    fn send(&self, py: Python<'_>, data: &Bound<'_, PyAny>, block: bool) -> PyResult<()> {
        let msg = buffers::message_from(data)?;
        self.send_message(py, msg, block)
    }

    /// Receives a message as `bytes`. `block=False` raises `TryAgain` if none is waiting.
    #[pyo3(signature = (block=true))]
    fn recv<'py>(&self, py: Python<'py>, block: bool) -> PyResult<Bound<'py, PyBytes>> {
        let msg = self.recv_message(py, block)?;
        Ok(PyBytes::new(py, msg.body()))
    }

    /// Receives a message into a writable buffer; returns the number of bytes.
    #[pyo3(signature = (buffer, block=true))]
    fn recv_into(&self, py: Python<'_>, buffer: &Bound<'_, PyAny>, block: bool) -> PyResult<usize> {
        // A read-only or non-buffer target is refused before waiting for a message.
        buffers::copy_into(buffer, &[])?;
        let msg = self.recv_message(py, block)?;
        buffers::copy_into(buffer, msg.body())
    }

    /// Packs `obj` as MessagePack straight into a message and sends it: large binary
    /// payloads (pixels) are copied once, from their buffer into the message.
    #[pyo3(signature = (obj, block=true))]
    fn send_packed(&self, py: Python<'_>, obj: &Bound<'_, PyAny>, block: bool) -> PyResult<()> {
        let msg = crate::msgpack::pack_message(obj)?;
        self.send_message(py, msg, block)
    }

    /// Sends a `Message` (once; a sent message cannot be sent again).
    #[pyo3(signature = (msg, block=true))]
    fn send_msg(&self, py: Python<'_>, msg: &Bound<'_, Message>, block: bool) -> PyResult<()> {
        let m = msg.get().take_for_send(py)?;
        self.send_or_return(py, m, block)
            .map_err(|(e, back)| msg.get().keep_unsent(e, back))
    }

    /// Receives a `Message`, with `.pipe` set to the pipe it came in on.
    #[pyo3(signature = (block=true))]
    fn recv_msg(&self, py: Python<'_>, block: bool) -> PyResult<Py<Message>> {
        let m = self.recv_message(py, block)?;
        self.wrap_message(py, m)
    }

    /// Starts an asynchronous receive; `callback()` runs on an NNG thread when it ends.
    fn _start_recv(&self, callback: Py<PyAny>) -> PyResult<AsyncOp> {
        AsyncOp::start(callback, |aio| self.sock.recv_async(aio))
    }

    /// Starts an asynchronous send of `msg` (a `Message`).
    fn _start_send(
        &self,
        py: Python<'_>,
        msg: &Bound<'_, Message>,
        callback: Py<PyAny>,
    ) -> PyResult<AsyncOp> {
        let m = msg.get().take_for_send(py)?;
        AsyncOp::start(callback, move |aio| self.sock.send_async(aio, m))
    }

    /// Wraps a received core message (from an `AsyncOp`) with its pipe.
    fn _wrap(&self, py: Python<'_>, op: &AsyncOp) -> PyResult<Py<Message>> {
        let m = op.take_message(py)?;
        self.wrap_message(py, m)
    }

    /// A new `Context` on this socket.
    fn new_context(slf: &Bound<'_, Self>) -> PyResult<Py<Context>> {
        Context::open(slf)
    }

    fn _subscribe(&self, topic: &Bound<'_, PyAny>) -> PyResult<()> {
        self.sock.subscribe(&topic_bytes(topic)?).py()
    }

    fn _unsubscribe(&self, topic: &Bound<'_, PyAny>) -> PyResult<()> {
        self.sock.unsubscribe(&topic_bytes(topic)?).py()
    }

    fn _getopt(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        opt_to_py(py, self.sock.get_opt(name).py()?)
    }

    fn _setopt(&self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.sock.set_opt(name, opt_from_py(name, value)?).py()
    }

    fn add_pre_pipe_connect_cb(&self, callback: Py<PyAny>) {
        lock(&self.shared.callbacks)
            .on(PipeEvent::AddPre)
            .push(callback);
    }

    fn add_post_pipe_connect_cb(&self, callback: Py<PyAny>) {
        lock(&self.shared.callbacks)
            .on(PipeEvent::AddPost)
            .push(callback);
    }

    fn add_post_pipe_remove_cb(&self, callback: Py<PyAny>) {
        lock(&self.shared.callbacks)
            .on(PipeEvent::RemPost)
            .push(callback);
    }

    fn remove_pre_pipe_connect_cb(
        &self,
        py: Python<'_>,
        callback: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        remove_cb(
            py,
            lock(&self.shared.callbacks).on(PipeEvent::AddPre),
            callback,
        )
    }

    fn remove_post_pipe_connect_cb(
        &self,
        py: Python<'_>,
        callback: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        remove_cb(
            py,
            lock(&self.shared.callbacks).on(PipeEvent::AddPost),
            callback,
        )
    }

    fn remove_post_pipe_remove_cb(
        &self,
        py: Python<'_>,
        callback: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        remove_cb(
            py,
            lock(&self.shared.callbacks).on(PipeEvent::RemPost),
            callback,
        )
    }

    /// The dialers of this socket.
    #[getter]
    fn dialers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let v: Vec<Py<Dialer>> = lock(&self.shared.dialers)
            .values()
            .map(|d| d.clone_ref(py))
            .collect();
        PyTuple::new(py, v)
    }

    /// The listeners of this socket.
    #[getter]
    fn listeners<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let v: Vec<Py<Listener>> = lock(&self.shared.listeners)
            .values()
            .map(|d| d.clone_ref(py))
            .collect();
        PyTuple::new(py, v)
    }

    /// The open pipes (connections) of this socket.
    #[getter]
    fn pipes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let v: Vec<Py<Pipe>> = lock(&self.shared.pipes)
            .values()
            .map(|d| d.clone_ref(py))
            .collect();
        PyTuple::new(py, v)
    }

    pub(super) fn _forget_dialer(&self, id: i32) {
        lock(&self.shared.dialers).remove(&id);
    }

    pub(super) fn _forget_listener(&self, id: i32) {
        lock(&self.shared.listeners).remove(&id);
    }

    /// The socket's name (NNG 2 dropped socket names; it is kept here). Defaults to the id.
    #[getter]
    fn name(&self) -> PyResult<String> {
        self.open_check()?;
        Ok(lock(&self.name).clone())
    }

    #[setter]
    fn set_name(&self, name: &Bound<'_, PyAny>) -> PyResult<()> {
        self.open_check()?;
        let s = if let Ok(b) = name.cast::<PyBytes>() {
            String::from_utf8_lossy(b.as_bytes()).into_owned()
        } else {
            name.extract::<String>()?
        };
        *lock(&self.name) = s;
        Ok(())
    }

    /// The socket's numeric id.
    #[getter]
    fn id(&self) -> i32 {
        self.sock.id()
    }

    // raw, protocol, protocol_name, peer, peer_name, recv_fd and send_fd are read-only;
    // pynng handed writes to NNG, which answered ReadOnly, so writing them raises that.

    /// Whether the socket is raw.
    #[getter]
    fn raw(&self) -> PyResult<bool> {
        self.open_check()?;
        Ok(self.sock.is_raw())
    }

    #[setter]
    fn set_raw(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(read_only())
    }

    /// NNG's protocol number.
    #[getter]
    fn protocol(&self) -> PyResult<u16> {
        self.sock.protocol_id().py()
    }

    #[setter]
    fn set_protocol(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(read_only())
    }

    /// NNG's protocol name.
    #[getter]
    fn protocol_name(&self) -> PyResult<String> {
        self.sock.protocol_name().py()
    }

    #[setter]
    fn set_protocol_name(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(read_only())
    }

    /// The peer protocol's number.
    #[getter]
    fn peer(&self) -> PyResult<u16> {
        self.sock.peer_id().py()
    }

    #[setter]
    fn set_peer(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(read_only())
    }

    /// The peer protocol's name.
    #[getter]
    fn peer_name(&self) -> PyResult<String> {
        self.sock.peer_name().py()
    }

    #[setter]
    fn set_peer_name(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(read_only())
    }

    /// A file descriptor readable when a message can be received (for `select`).
    #[getter]
    fn recv_fd(&self) -> PyResult<i32> {
        self.sock.recv_fd().py()
    }

    #[setter]
    fn set_recv_fd(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(read_only())
    }

    /// A file descriptor readable when a message can be sent.
    #[getter]
    fn send_fd(&self) -> PyResult<i32> {
        self.sock.send_fd().py()
    }

    #[setter]
    fn set_send_fd(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(read_only())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) {
        self.close(py);
    }
}

pub(super) fn is_refused(py: Python<'_>, e: &PyErr) -> bool {
    e.value(py)
        .getattr("errno")
        .and_then(|v| v.extract::<u32>())
        .ok()
        == Some(nngbridge::Error::ConnectionRefused.errno())
}

pub(super) fn remove_cb(
    py: Python<'_>,
    list: &mut Vec<Py<PyAny>>,
    cb: &Bound<'_, PyAny>,
) -> PyResult<()> {
    for (i, c) in list.iter().enumerate() {
        if c.bind(py).eq(cb)? {
            list.remove(i);
            return Ok(());
        }
    }
    Err(PyValueError::new_err("list.remove(x): x not in list"))
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.sock.set_pipe_handler(None);
        let sock = self.sock.clone();
        let pool = std::mem::take(&mut self.pool);
        if sock.protocol_name().is_err() {
            // Already closed (explicitly, or at exit): nothing will wait on a callback,
            // so keep the GIL (giving it up during interpreter exit is fatal).
            drop((sock, pool));
            return;
        }
        // Closing waits for NNG's pipe callbacks, which need the GIL: release it.
        let _in_flight = blocking::InFlight::enter();
        Python::attach(|py| {
            py.detach(move || {
                let _ = sock.close();
                drop(pool);
            })
        });
    }
}

pub(super) fn owner_socket<'py>(
    py: Python<'py>,
    owner: &Option<Py<PyWeakrefReference>>,
) -> PyResult<Bound<'py, Socket>> {
    let obj = owner
        .as_ref()
        .and_then(|w| w.bind(py).upgrade())
        .ok_or_else(|| to_pyerr(nngbridge::Error::Closed))?;
    Ok(obj.cast_into::<Socket>()?)
}

fn read_only() -> PyErr {
    to_pyerr(nngbridge::Error::ReadOnly)
}
