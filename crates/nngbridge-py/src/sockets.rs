//! `Socket`, `Dialer`, `Listener`, `Pipe` and `Context`: pynng's objects over the core crate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use nngbridge::{OptValue, Options, PipeEvent, Protocol};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple, PyType, PyWeakrefReference};

use crate::aio::AsyncOp;
use crate::blocking::{self, AioPool};
use crate::buffers;
use crate::errors::{to_pyerr, IntoPy};
use crate::message::Message;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Python-visible state shared with the pipe-event handler that runs on NNG threads.
#[derive(Default)]
struct Shared {
    owner: Mutex<Option<Py<PyWeakrefReference>>>,
    pipes: Mutex<HashMap<i32, Py<Pipe>>>,
    dialers: Mutex<HashMap<i32, Py<Dialer>>>,
    listeners: Mutex<HashMap<i32, Py<Listener>>>,
    callbacks: Mutex<[Vec<Py<PyAny>>; 3]>,
    // Serialises pipe bookkeeping like pynng's _pipe_notify_lock.
    notify: Mutex<()>,
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

    fn on_pipe_event(&self, py: Python<'_>, pipe: nngbridge::Pipe, ev: PipeEvent) {
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
        let cbs: Vec<Py<PyAny>> = lock(&self.callbacks)[ev.pynng_code() as usize]
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

    fn associate(&self, py: Python<'_>, msg: &nngbridge::Message) -> Option<Py<Pipe>> {
        let pipe = msg.pipe()?;
        let _serial = self
            .notify
            .lock_py_attached(py)
            .unwrap_or_else(|e| e.into_inner());
        self.pipe_obj(py, pipe).ok()
    }
}

fn log_exception(py: Python<'_>, what: &str, e: PyErr) {
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

fn address_str(address: &Bound<'_, PyAny>) -> PyResult<String> {
    let url = if let Ok(s) = address.cast::<PyString>() {
        s.to_cow()?.into_owned()
    } else if let Ok(b) = address.cast::<PyBytes>() {
        String::from_utf8(b.as_bytes().to_vec())
            .map_err(|_| PyValueError::new_err("address must be valid UTF-8"))?
    } else {
        return Err(PyTypeError::new_err(format!(
            "address must be str or bytes, not {}",
            address
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        )));
    };
    check_url(&url).py()?;
    Ok(url)
}

/// The URL checks NNG 1 made and NNG 2 no longer makes the same way, so that bad
/// addresses raise what pynng raises: no scheme is InvalidOperation; a TCP address
/// without a host:port or with a port beyond 65535 is AddressInvalid.
fn check_url(url: &str) -> nngbridge::Result<()> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(nngbridge::Error::InvalidOperation);
    };
    if matches!(
        scheme,
        "tcp" | "tcp4" | "tcp6" | "tls+tcp" | "tls+tcp4" | "tls+tcp6"
    ) {
        let port = rest.rsplit_once(':').map(|(_, p)| p);
        match port.map(str::parse::<u32>) {
            Some(Ok(p)) if p <= 65535 => {}
            _ => return Err(nngbridge::Error::AddressInvalid),
        }
    }
    Ok(())
}

fn topic_bytes(topic: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(s) = topic.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    buffers::with_bytes(topic, |b| Ok(b.to_vec()))
}

fn protocol_from(name: &str, poly: bool) -> PyResult<Protocol> {
    Ok(match name {
        "bus0" => Protocol::Bus0,
        "pair0" => Protocol::Pair0,
        "pair1" if poly => Protocol::Pair1Poly,
        "pair1" => Protocol::Pair1,
        "pair1poly" => Protocol::Pair1Poly,
        "pub0" => Protocol::Pub0,
        "sub0" => Protocol::Sub0,
        "push0" => Protocol::Push0,
        "pull0" => Protocol::Pull0,
        "req0" => Protocol::Req0,
        "rep0" => Protocol::Rep0,
        "surveyor0" => Protocol::Surveyor0,
        "respondent0" => Protocol::Respondent0,
        other => return Err(PyValueError::new_err(format!("unknown protocol {other:?}"))),
    })
}

/// Converts a Python value to an option value of the declared kind.
pub fn opt_from_py(name: &str, value: &Bound<'_, PyAny>) -> PyResult<OptValue> {
    let decl = nngbridge::options::find(name)
        .ok_or_else(|| PyValueError::new_err(format!("unknown option {name}")))?;
    use nngbridge::OptKind as K;
    Ok(match decl.kind {
        K::Bool => OptValue::Bool(value.extract::<bool>()?),
        K::Int => OptValue::Int(value.extract::<i32>()?),
        K::Ms => OptValue::Ms(value.extract::<i32>()?),
        K::Size => OptValue::Size(value.extract::<usize>()?),
        K::U64 => OptValue::U64(value.extract::<u64>()?),
        K::Str => OptValue::Str(value.extract::<String>()?),
    })
}

/// Converts an option value to Python.
pub fn opt_to_py(py: Python<'_>, v: OptValue) -> PyResult<Py<PyAny>> {
    Ok(match v {
        OptValue::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        OptValue::Int(i) | OptValue::Ms(i) => i.into_pyobject(py)?.into_any().unbind(),
        OptValue::Size(s) => s.into_pyobject(py)?.into_any().unbind(),
        OptValue::U64(u) => u.into_pyobject(py)?.into_any().unbind(),
        OptValue::Str(s) => s.into_pyobject(py)?.into_any().unbind(),
    })
}

/// A `nngbridge.sockaddr` object for an address.
pub fn sockaddr_to_py(py: Python<'_>, a: &nngbridge::SocketAddr) -> PyResult<Py<PyAny>> {
    let m = py.import("nngbridge.sockaddr")?;
    use nngbridge::SocketAddr as A;
    let obj = match a {
        // NNG 1 (pynng) reported the whole URL as an inproc address's name.
        A::Inproc(n) if n.starts_with("inproc://") => {
            m.getattr("InprocAddr")?.call1((n.as_bytes(),))?
        }
        A::Inproc(n) => m
            .getattr("InprocAddr")?
            .call1((format!("inproc://{n}").into_bytes(),))?,
        A::Ipc(p) => m.getattr("IPCAddr")?.call1((p.as_bytes(),))?,
        A::Inet(s) => m.getattr("InAddr")?.call1((u32::from(*s.ip()), s.port()))?,
        A::Inet6(s) => m
            .getattr("In6Addr")?
            .call1((PyBytes::new(py, &s.ip().octets()), s.port()))?,
        A::Abstract(n) => m.getattr("AbstractAddr")?.call1((PyBytes::new(py, n),))?,
        A::Unspecified => m.getattr("SockAddr")?.call1((0,))?,
    };
    Ok(obj.unbind())
}

/// The base class of pynng's socket classes. Subclasses name their protocol in
/// `_protocol` (e.g. `"req0"`); the Python package defines them.
#[pyclass(module = "nngbridge._nng", subclass, weakref, dict, frozen)]
pub struct Socket {
    pub(crate) sock: nngbridge::Socket,
    shared: Arc<Shared>,
    pool: AioPool,
    name: Mutex<String>,
    #[pyo3(get)]
    _async_backend: Option<Py<PyAny>>,
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
            loop {
                let slice = blocking::next_slice(deadline)
                    .ok_or_else(|| to_pyerr(nngbridge::Error::Timeout))?;
                py.detach(|| blocking::wait_readable(fd, slice));
                match self.sock.try_recv() {
                    Err(nngbridge::Error::TryAgain) => {}
                    other => return other.py(),
                }
                py.check_signals()?;
            }
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
        if !block {
            return self.sock.try_send_msg(msg).map_err(|e| to_pyerr(e.error));
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
            return py
                .detach(|| self.sock.send_msg(msg))
                .map_err(|e| to_pyerr(e.error));
        }
        #[cfg(unix)]
        {
            let deadline = blocking::deadline(self.timeout_ms("send_timeout")?);
            let fd = self.sock.send_fd().py()?;
            let mut msg = msg;
            loop {
                msg = match self.sock.try_send_msg(msg) {
                    Ok(()) => return Ok(()),
                    Err(e) if e.error == nngbridge::Error::TryAgain => e.message,
                    Err(e) => return Err(to_pyerr(e.error)),
                };
                py.check_signals()?;
                let slice = blocking::next_slice(deadline)
                    .ok_or_else(|| to_pyerr(nngbridge::Error::Timeout))?;
                py.detach(|| blocking::wait_readable(fd, slice));
            }
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

    fn add_dialer(&self, py: Python<'_>, d: nngbridge::Dialer) -> PyResult<Py<Dialer>> {
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
        let proto_name: Option<String> = match get("opener")? {
            Some(o) if o.is_instance_of::<PyString>() => Some(o.extract()?),
            Some(o) => Some(o.getattr("_protocol")?.extract()?),
            None => match cls.getattr("_protocol") {
                Ok(p) if !p.is_none() => Some(p.extract()?),
                _ => None,
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
        let sock = nngbridge::Socket::new(protocol).py()?;
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
        self.send_message(py, m, block)
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
        lock(&self.shared.callbacks)[0].push(callback);
    }

    fn add_post_pipe_connect_cb(&self, callback: Py<PyAny>) {
        lock(&self.shared.callbacks)[1].push(callback);
    }

    fn add_post_pipe_remove_cb(&self, callback: Py<PyAny>) {
        lock(&self.shared.callbacks)[2].push(callback);
    }

    fn remove_pre_pipe_connect_cb(
        &self,
        py: Python<'_>,
        callback: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        remove_cb(py, &mut lock(&self.shared.callbacks)[0], callback)
    }

    fn remove_post_pipe_connect_cb(
        &self,
        py: Python<'_>,
        callback: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        remove_cb(py, &mut lock(&self.shared.callbacks)[1], callback)
    }

    fn remove_post_pipe_remove_cb(
        &self,
        py: Python<'_>,
        callback: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        remove_cb(py, &mut lock(&self.shared.callbacks)[2], callback)
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

    fn _forget_dialer(&self, id: i32) {
        lock(&self.shared.dialers).remove(&id);
    }

    fn _forget_listener(&self, id: i32) {
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

    /// Whether the socket is raw.
    #[getter]
    fn raw(&self) -> PyResult<bool> {
        self.open_check()?;
        Ok(self.sock.is_raw())
    }

    /// NNG's protocol number.
    #[getter]
    fn protocol(&self) -> PyResult<u16> {
        self.sock.protocol_id().py()
    }

    /// NNG's protocol name.
    #[getter]
    fn protocol_name(&self) -> PyResult<String> {
        self.sock.protocol_name().py()
    }

    /// The peer protocol's number.
    #[getter]
    fn peer(&self) -> PyResult<u16> {
        self.sock.peer_id().py()
    }

    /// The peer protocol's name.
    #[getter]
    fn peer_name(&self) -> PyResult<String> {
        self.sock.peer_name().py()
    }

    /// A file descriptor readable when a message can be received (for `select`).
    #[getter]
    fn recv_fd(&self) -> PyResult<i32> {
        self.sock.recv_fd().py()
    }

    /// A file descriptor readable when a message can be sent.
    #[getter]
    fn send_fd(&self) -> PyResult<i32> {
        self.sock.send_fd().py()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) {
        self.close(py);
    }
}

fn is_refused(py: Python<'_>, e: &PyErr) -> bool {
    e.value(py)
        .getattr("errno")
        .and_then(|v| v.extract::<u32>())
        .ok()
        == Some(nngbridge::Error::ConnectionRefused.errno())
}

fn remove_cb(py: Python<'_>, list: &mut Vec<Py<PyAny>>, cb: &Bound<'_, PyAny>) -> PyResult<()> {
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

fn owner_socket<'py>(
    py: Python<'py>,
    owner: &Option<Py<PyWeakrefReference>>,
) -> PyResult<Bound<'py, Socket>> {
    let obj = owner
        .as_ref()
        .and_then(|w| w.bind(py).upgrade())
        .ok_or_else(|| to_pyerr(nngbridge::Error::Closed))?;
    Ok(obj.cast_into::<Socket>()?)
}

/// One connection of a socket to a peer.
#[pyclass(module = "nngbridge._nng", frozen, weakref)]
pub struct Pipe {
    pub(crate) pipe: nngbridge::Pipe,
    owner: Option<Py<PyWeakrefReference>>,
    closed: Mutex<bool>,
}

#[pymethods]
impl Pipe {
    /// The pipe's numeric id.
    #[getter]
    fn id(&self) -> i32 {
        self.pipe.id()
    }

    /// The socket the pipe belongs to.
    #[getter]
    fn socket<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, Socket>> {
        owner_socket(py, &self.owner)
    }

    /// Whether the pipe was accepted by a listener (else it was dialed).
    #[getter]
    fn _from_listener(&self) -> bool {
        self.pipe.listener().is_some()
    }

    /// Whether `close()` was called on this pipe.
    #[getter]
    fn closed(&self) -> bool {
        *lock(&self.closed)
    }

    /// The dialer that made the pipe; `TypeError` if it was accepted by a listener.
    #[getter]
    fn dialer(&self, py: Python<'_>) -> PyResult<Py<Dialer>> {
        let d = self
            .pipe
            .dialer()
            .ok_or_else(|| PyTypeError::new_err("This pipe has no associated dialers."))?;
        let s = owner_socket(py, &self.owner)?;
        let found = lock(&s.get().shared.dialers)
            .get(&d.id())
            .map(|x| x.clone_ref(py));
        match found {
            Some(x) => Ok(x),
            None => s.get().add_dialer(py, d),
        }
    }

    /// The listener that accepted the pipe; `TypeError` if it was dialed.
    #[getter]
    fn listener(&self, py: Python<'_>) -> PyResult<Py<Listener>> {
        let l = self
            .pipe
            .listener()
            .ok_or_else(|| PyTypeError::new_err("This pipe has no associated listeners."))?;
        let s = owner_socket(py, &self.owner)?;
        let found = lock(&s.get().shared.listeners)
            .get(&l.id())
            .map(|x| x.clone_ref(py));
        found.ok_or_else(|| to_pyerr(nngbridge::Error::NoEntry))
    }

    /// The local address of the connection.
    #[getter]
    fn local_address(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        sockaddr_to_py(py, &self.pipe.local_address().py()?)
    }

    /// The remote address of the connection.
    #[getter]
    fn remote_address(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        sockaddr_to_py(py, &self.pipe.remote_address().py()?)
    }

    /// Closes the connection (in a pre-connect callback: rejects the peer).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let p = self.pipe;
        py.detach(move || p.close()).py()?;
        *lock(&self.closed) = true;
        Ok(())
    }

    /// Sends `data` to this pipe's peer only.
    fn send(slf: &Bound<'_, Self>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let mut m = buffers::message_from(data)?;
        m.set_pipe(slf.get().pipe);
        let s = owner_socket(py, &slf.get().owner)?;
        s.get().send_message(py, m, true)
    }

    /// Sends a `Message` to this pipe's peer only.
    fn send_msg(slf: &Bound<'_, Self>, msg: &Bound<'_, Message>) -> PyResult<()> {
        let py = slf.py();
        msg.get().set_pipe_obj(Some(slf.clone().unbind()));
        let s = owner_socket(py, &slf.get().owner)?;
        let m = msg.get().take_for_send(py)?;
        s.get().send_message(py, m, true)
    }

    fn _getopt(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        opt_to_py(py, self.pipe.get_opt(name).py()?)
    }

    fn __repr__(&self) -> String {
        format!("<nngbridge.Pipe id={}>", self.pipe.id())
    }
}

/// Connects a socket to a listening peer.
#[pyclass(module = "nngbridge._nng", frozen, weakref)]
pub struct Dialer {
    dialer: nngbridge::Dialer,
    owner: Option<Py<PyWeakrefReference>>,
}

#[pymethods]
impl Dialer {
    /// The dialer's numeric id.
    #[getter]
    fn id(&self) -> i32 {
        self.dialer.id()
    }

    /// The socket the dialer belongs to.
    #[getter]
    fn socket<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, Socket>> {
        owner_socket(py, &self.owner)
    }

    /// The URL being dialed.
    #[getter]
    fn url(&self) -> PyResult<String> {
        self.dialer.url().py()
    }

    /// Closes the dialer and its connection.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let d = self.dialer;
        let r = py.detach(move || d.close());
        if let Ok(s) = owner_socket(py, &self.owner) {
            s.get()._forget_dialer(self.dialer.id());
        }
        r.py()
    }

    fn _getopt(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        opt_to_py(py, self.dialer.get_opt(name).py()?)
    }

    fn _setopt(&self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.dialer.set_opt(name, opt_from_py(name, value)?).py()
    }
}

/// Accepts connections on an address.
#[pyclass(module = "nngbridge._nng", frozen, weakref)]
pub struct Listener {
    listener: nngbridge::Listener,
    owner: Option<Py<PyWeakrefReference>>,
}

#[pymethods]
impl Listener {
    /// The listener's numeric id.
    #[getter]
    fn id(&self) -> i32 {
        self.listener.id()
    }

    /// The socket the listener belongs to.
    #[getter]
    fn socket<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, Socket>> {
        owner_socket(py, &self.owner)
    }

    /// The URL, with the real port when listening on port 0.
    #[getter]
    fn url(&self) -> PyResult<String> {
        let url = self.listener.url().py()?;
        match self.listener.local_address() {
            Ok(nngbridge::SocketAddr::Inet(a)) if url.starts_with("tcp") => {
                let scheme = url.split("://").next().unwrap_or("tcp");
                Ok(format!("{scheme}://{a}"))
            }
            _ => Ok(url),
        }
    }

    /// The bound address (a `sockaddr` object), with the real port for port 0.
    #[getter]
    fn local_address(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        sockaddr_to_py(py, &self.listener.local_address().py()?)
    }

    /// Closes the listener and its connections.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let l = self.listener;
        let r = py.detach(move || l.close());
        if let Ok(s) = owner_socket(py, &self.owner) {
            s.get()._forget_listener(self.listener.id());
        }
        r.py()
    }

    fn _getopt(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        opt_to_py(py, self.listener.get_opt(name).py()?)
    }

    fn _setopt(&self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.listener.set_opt(name, opt_from_py(name, value)?).py()
    }
}

/// An independent request/reply (or survey, or subscription) state on a socket.
/// Frozen: `close` from one thread must not wait for (or fail on) another thread's
/// blocking `recv` on the same context; it closes the NNG context, which ends that call.
#[pyclass(module = "nngbridge._nng", frozen, weakref)]
pub struct Context {
    ctx: Option<nngbridge::Context>,
    closed: std::sync::atomic::AtomicBool,
    socket: Py<Socket>,
    pool: AioPool,
}

impl Context {
    fn open(sock: &Bound<'_, Socket>) -> PyResult<Py<Context>> {
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
        let ctx = self.ctx()?;
        let _in_flight = blocking::InFlight::enter();
        if !blocking::on_main_thread() {
            return py.detach(|| ctx.send_msg(m)).map_err(|e| to_pyerr(e.error));
        }
        blocking::run(py, &self.pool, move |aio| ctx.send_async(aio, m)).map(|_| ())
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
        self.send_message(py, m)
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
