//! `Message`: a received or to-be-sent NNG message, readable without a copy.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::buffers;
use crate::errors::message_state_error;
use crate::sockets::Pipe;

/// pynng's `Message`: `Message(data, pipe=None)`; `.bytes`, `.pipe`, and (cp311 wheel)
/// the buffer protocol over the body, without a copy.
#[pyclass(module = "nngbridge._nng", weakref, frozen)]
pub struct Message {
    inner: Mutex<Option<nngbridge::Message>>,
    pipe: Mutex<Option<Py<Pipe>>>,
    exports: AtomicUsize,
    /// Made by `Message.alloc` to be filled in place: its buffer is writable (cp311).
    #[cfg_attr(not(Py_3_11), allow(dead_code))]
    writable: bool,
}

impl Message {
    pub fn wrap(msg: nngbridge::Message, pipe: Option<Py<Pipe>>) -> Message {
        Message {
            inner: Mutex::new(Some(msg)),
            pipe: Mutex::new(pipe),
            exports: AtomicUsize::new(0),
            writable: false,
        }
    }

    /// A message this crate made to be filled in place (`msgpack::pack_with_tail`).
    pub fn wrap_writable(msg: nngbridge::Message) -> Message {
        Message {
            writable: true,
            ..Message::wrap(msg, None)
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<nngbridge::Message>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the NNG message out for sending; a message can be sent once, and not while
    /// a buffer view of it is alive.
    pub fn take_for_send(&self, py: Python<'_>) -> PyResult<nngbridge::Message> {
        if self.exports.load(Ordering::SeqCst) > 0 {
            return Err(message_state_error(
                py,
                "Cannot send a message while a memoryview of its body is alive.",
            ));
        }
        let mut m = self.lock().take().ok_or_else(|| {
            message_state_error(py, "Attempted to send the same message more than once.")
        })?;
        if let Some(p) = self.pipe.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            m.set_pipe(p.get().pipe);
        }
        Ok(m)
    }

    /// After a failed send: keeps the message NNG gave back (so it can be sent again,
    /// as pynng allows) and passes the send's error on.
    pub fn keep_unsent(&self, err: PyErr, back: Option<nngbridge::Message>) -> PyErr {
        if let Some(m) = back {
            *self.lock() = Some(m);
        }
        err
    }

    pub fn set_pipe_obj(&self, pipe: Option<Py<Pipe>>) {
        *self.pipe.lock().unwrap_or_else(|e| e.into_inner()) = pipe;
    }

    pub fn with_body<R>(&self, py: Python<'_>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
        let g = self.lock();
        match g.as_ref() {
            Some(m) => Ok(f(m.body())),
            None => Err(message_state_error(
                py,
                "The message has been sent; its memory is gone.",
            )),
        }
    }
}

#[pymethods]
impl Message {
    #[new]
    #[pyo3(signature = (data, pipe=None))]
    fn new(data: &Bound<'_, PyAny>, pipe: Option<&Bound<'_, PyAny>>) -> PyResult<Message> {
        if data.is_instance_of::<pyo3::types::PyString>() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "a Message holds bytes, not str (encode it first)",
            ));
        }
        let msg = buffers::message_from(data)?;
        let m = Message::wrap(msg, None);
        if let Some(p) = pipe {
            m.set_pipe(Some(p))?;
        }
        Ok(m)
    }

    /// A message of `size` zero bytes whose body can be written in place through the
    /// buffer protocol (cp311 wheel), e.g. by `foreach_get` or `numpy`, then sent without
    /// a copy: `m = Message.alloc(n); memoryview(m)[:] = ...; sock.send_msg(m)`.
    #[staticmethod]
    fn alloc(py: Python<'_>, size: usize) -> PyResult<Message> {
        let msg = py
            .detach(|| nngbridge::Message::with_len(size))
            .map_err(crate::errors::to_pyerr)?;
        Ok(Message {
            writable: true,
            ..Message::wrap(msg, None)
        })
    }

    /// The body as `bytes` (a copy).
    #[getter]
    fn bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        // Allocate first, then copy under the lock: an allocation can run a finaliser
        // that uses this message, which must not find the lock held.
        let len = self.with_body(py, |b| b.len())?;
        PyBytes::new_with(py, len, |out| {
            self.with_body(py, |b| {
                if b.len() == out.len() {
                    out.copy_from_slice(b);
                    Ok(())
                } else {
                    Err(message_state_error(
                        py,
                        "The message changed while being read.",
                    ))
                }
            })?
        })
    }

    /// A `memoryview` of the body: without a copy on the cp311 wheel, a copy on cp39.
    #[getter]
    fn _buffer<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        #[cfg(Py_3_11)]
        {
            py.import("builtins")?.getattr("memoryview")?.call1((slf,))
        }
        #[cfg(not(Py_3_11))]
        {
            let b = slf.get().bytes(py)?;
            py.import("builtins")?.getattr("memoryview")?.call1((b,))
        }
    }

    /// The pipe the message arrived on, or the pipe to send it on.
    #[getter]
    fn pipe(&self, py: Python<'_>) -> Option<Py<Pipe>> {
        self.pipe
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|p| p.clone_ref(py))
    }

    #[setter]
    fn set_pipe(&self, pipe: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let p = match pipe {
            None => None,
            Some(p) => Some(p.cast::<Pipe>().map_err(|_| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "pipe must be type Pipe, not {}",
                    p.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                ))
            })?),
        };
        if let (Some(p), Some(m)) = (p, self.lock().as_mut()) {
            m.set_pipe(p.get().pipe);
        }
        self.set_pipe_obj(p.map(|p| p.clone().unbind()));
        Ok(())
    }

    /// Whether the message was sent (its memory now belongs to NNG).
    #[getter]
    fn _mem_freed(&self) -> bool {
        self.lock().is_none()
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.with_body(py, |b| b.len())
    }

    fn __repr__(&self) -> String {
        match self.lock().as_ref() {
            Some(m) => format!("<nngbridge.Message of {} bytes>", m.len()),
            None => "<nngbridge.Message (sent)>".to_owned(),
        }
    }

    #[cfg(Py_3_11)]
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut pyo3::ffi::Py_buffer,
        flags: std::os::raw::c_int,
    ) -> PyResult<()> {
        use pyo3::exceptions::PyBufferError;
        if view.is_null() {
            return Err(PyBufferError::new_err("View is null"));
        }
        let this = slf.get();
        let writable = (flags & pyo3::ffi::PyBUF_WRITABLE) == pyo3::ffi::PyBUF_WRITABLE;
        if writable && !this.writable {
            return Err(PyBufferError::new_err(
                "Message bodies are read-only (those made by Message.alloc are writable)",
            ));
        }
        let (ptr, len) = {
            let mut g = this.lock();
            let m = g.as_mut().ok_or_else(|| {
                message_state_error(slf.py(), "The message has been sent; its memory is gone.")
            })?;
            (m.body_mut().as_mut_ptr(), m.len())
        };
        this.exports.fetch_add(1, Ordering::SeqCst);
        // SAFETY: view is non-null (checked) and owned by the caller; the body stays
        // valid while exports > 0 because take_for_send refuses to give it away then
        // (and nothing else resizes a body), and the view holds a reference to `slf`, so
        // the message is not freed. Only a `Message.alloc` body is exported writable; we
        // read it only by copying it out, with the GIL held and no Python code running.
        unsafe {
            (*view).obj = slf.clone().into_any().into_ptr();
            (*view).buf = ptr as *mut std::os::raw::c_void;
            (*view).len = len as isize;
            (*view).readonly = i32::from(!this.writable);
            (*view).itemsize = 1;
            (*view).format = if (flags & pyo3::ffi::PyBUF_FORMAT) == pyo3::ffi::PyBUF_FORMAT {
                c"B".as_ptr() as *mut _
            } else {
                std::ptr::null_mut()
            };
            (*view).ndim = 1;
            (*view).shape = if (flags & pyo3::ffi::PyBUF_ND) == pyo3::ffi::PyBUF_ND {
                &mut (*view).len
            } else {
                std::ptr::null_mut()
            };
            (*view).strides = if (flags & pyo3::ffi::PyBUF_STRIDES) == pyo3::ffi::PyBUF_STRIDES {
                &mut (*view).itemsize
            } else {
                std::ptr::null_mut()
            };
            (*view).suboffsets = std::ptr::null_mut();
            (*view).internal = std::ptr::null_mut();
        }
        Ok(())
    }

    #[cfg(Py_3_11)]
    unsafe fn __releasebuffer__(&self, _view: *mut pyo3::ffi::Py_buffer) {
        self.exports.fetch_sub(1, Ordering::SeqCst);
    }
}
