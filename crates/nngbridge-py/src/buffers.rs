//! Getting bytes in and out of Python objects with as few copies as soundness allows.
//!
//! A borrowed slice of a Python object's memory is only sound while no Python code runs:
//! Python code (a finaliser the garbage collector runs during an allocation, say) can
//! write to or resize a bytearray, a numpy array, a `Message.alloc` body. So only
//! immutable `bytes` are lent to code that may run Python; other objects are lent only
//! to a plain copy (into a message, into a `Vec`). The cp311-abi3 build reads any
//! contiguous buffer through a buffer export (`PyObject_GetBuffer`, in the limited API
//! from 3.11), which also keeps the object from being resized or freed meanwhile; the
//! cp39-abi3 build copies a `bytearray` and reads other buffers through a `memoryview`.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::errors::IntoPy;

fn str_error() -> PyErr {
    PyValueError::new_err("Cannot send type str. Maybe you left out a \".encode()\" somewhere?")
}

fn not_bytes_like(obj: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!(
        "a bytes-like object is required, not '{}'",
        obj.get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default()
    ))
}

/// Runs `f` over the bytes of `obj` (bytes, bytearray, or any buffer object). `f` may
/// run Python code: `bytes` are lent as they are, any other object's bytes are copied
/// first, so nothing `f` does can change or free what it reads.
pub fn with_bytes<R>(obj: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> PyResult<R>) -> PyResult<R> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return f(b.as_bytes());
    }
    f(&read_copy(obj)?)
}

/// A copy of the bytes of `obj`, which is not `bytes` (those are lent, not copied).
fn read_copy(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    copy_out(obj, |b| b.to_vec())
}

/// Gives `copy` the bytes of `obj` to copy out; `copy` runs no Python code (it is a
/// memcpy into Rust or NNG memory), which is what makes lending a mutable object sound.
fn copy_out<R>(obj: &Bound<'_, PyAny>, copy: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(copy(b.as_bytes()));
    }
    if obj.is_instance_of::<PyString>() {
        return Err(str_error());
    }
    #[cfg(Py_3_11)]
    {
        if let Some(view) = Buffer::get(obj, false) {
            // SAFETY: `copy` runs no Python code (this fn's contract with its callers in
            // this module), and the export keeps the object from being resized or freed.
            return Ok(copy(unsafe { view.as_slice() }));
        }
    }
    #[cfg(not(Py_3_11))]
    {
        if let Ok(b) = obj.cast::<pyo3::types::PyByteArray>() {
            // SAFETY: we hold the GIL and `copy` runs no Python code, so nothing can
            // resize or write the bytearray while the slice is alive.
            return Ok(copy(unsafe { b.as_bytes() }));
        }
    }
    let py = obj.py();
    let mv = py
        .import("builtins")?
        .getattr("memoryview")?
        .call1((obj,))
        .map_err(|_| not_bytes_like(obj))?;
    let bytes = mv.call_method0("tobytes")?;
    let bytes = bytes.cast::<PyBytes>()?;
    Ok(copy(bytes.as_bytes()))
}

/// A new NNG message holding a copy of `obj`'s bytes.
pub fn message_from(obj: &Bound<'_, PyAny>) -> PyResult<nngbridge::Message> {
    copy_out(obj, nngbridge::Message::from_bytes)?.py()
}

/// Copies `src` into the writable buffer `dst`; returns the number of bytes written.
/// `src` must not be memory of a Python object (it is a message body): `dst` is written
/// while `src` is borrowed.
pub fn copy_into(dst: &Bound<'_, PyAny>, src: &[u8]) -> PyResult<usize> {
    #[cfg(Py_3_11)]
    {
        let mut view = Buffer::get(dst, true).ok_or_else(|| {
            PyTypeError::new_err(
                "a writable bytes-like object is required (bytearray, memoryview, numpy array)",
            )
        })?;
        let (out, len) = view.as_mut_ptr();
        if len < src.len() {
            return Err(too_small(len, src.len()));
        }
        if overlaps(out, len, src) {
            return Err(PyValueError::new_err(
                "recv_into needs a buffer that is not the message itself",
            ));
        }
        // SAFETY: `out` has `len` >= src.len() writable bytes, kept by the export, and
        // does not overlap `src` (checked); no Python code runs during the copy.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), out, src.len()) };
        Ok(src.len())
    }
    #[cfg(not(Py_3_11))]
    {
        let py = dst.py();
        let mv = py
            .import("builtins")?
            .getattr("memoryview")?
            .call1((dst,))?;
        let mv = mv.call_method1("cast", ("B",))?;
        if mv.getattr("readonly")?.extract::<bool>()? {
            return Err(PyTypeError::new_err("recv_into needs a writable buffer"));
        }
        let n: usize = mv.len()?;
        if n < src.len() {
            return Err(too_small(n, src.len()));
        }
        let slice = pyo3::types::PySlice::new(py, 0, src.len() as isize, 1);
        mv.set_item(slice, PyBytes::new(py, src))?;
        Ok(src.len())
    }
}

#[cfg(Py_3_11)]
fn overlaps(out: *mut u8, len: usize, src: &[u8]) -> bool {
    let (a, b) = (out as usize, src.as_ptr() as usize);
    a < b.saturating_add(src.len()) && b < a.saturating_add(len)
}

fn too_small(have: usize, need: usize) -> PyErr {
    PyValueError::new_err(format!(
        "buffer too small: the message has {need} bytes, the buffer {have}; the message is dropped"
    ))
}

/// A buffer export of a Python object: one contiguous block of bytes, kept from being
/// resized or freed until dropped. Tied to the GIL (`'py`, and not `Send`).
#[cfg(Py_3_11)]
struct Buffer<'py> {
    view: pyo3::ffi::Py_buffer,
    _gil: std::marker::PhantomData<Python<'py>>,
}

#[cfg(Py_3_11)]
impl<'py> Buffer<'py> {
    /// Exports `obj`'s bytes, writable if asked; `None` (and no pending Python error) if
    /// it has no such buffer.
    fn get(obj: &Bound<'py, PyAny>, writable: bool) -> Option<Buffer<'py>> {
        let mut flags = pyo3::ffi::PyBUF_SIMPLE;
        if writable {
            flags |= pyo3::ffi::PyBUF_WRITABLE;
        }
        let mut view = std::mem::MaybeUninit::<pyo3::ffi::Py_buffer>::uninit();
        // SAFETY: we hold the GIL (`obj` is bound); PyObject_GetBuffer fills `view` on
        // success (0). PyBUF_SIMPLE asks for one contiguous block of bytes.
        let rc = unsafe { pyo3::ffi::PyObject_GetBuffer(obj.as_ptr(), view.as_mut_ptr(), flags) };
        if rc != 0 {
            let _ = PyErr::take(obj.py());
            return None;
        }
        // SAFETY: initialised by the successful call above.
        let view = unsafe { view.assume_init() };
        Some(Buffer {
            view,
            _gil: std::marker::PhantomData,
        })
    }

    fn len(&self) -> usize {
        if self.view.buf.is_null() {
            return 0;
        }
        usize::try_from(self.view.len).unwrap_or(0)
    }

    /// The exported bytes.
    ///
    /// # Safety
    /// No Python code may run while the slice is alive: the exporter's own code can
    /// still write to the bytes (only resizing and freeing are blocked by the export).
    unsafe fn as_slice(&self) -> &[u8] {
        let len = self.len();
        if len == 0 {
            return &[];
        }
        // SAFETY: a PyBUF_SIMPLE view is `len` contiguous bytes at `buf`, kept until
        // PyBuffer_Release in Drop; unchanged meanwhile by the caller's contract.
        unsafe { std::slice::from_raw_parts(self.view.buf as *const u8, len) }
    }

    /// The start and length of a writable export, for raw writes (no `&mut` slice over
    /// memory Python may also reach).
    fn as_mut_ptr(&mut self) -> (*mut u8, usize) {
        if self.view.readonly != 0 {
            return (std::ptr::null_mut(), 0);
        }
        (self.view.buf.cast::<u8>(), self.len())
    }
}

#[cfg(Py_3_11)]
impl Drop for Buffer<'_> {
    fn drop(&mut self) {
        // SAFETY: releases the view obtained in `get`, once, with the GIL held ('py).
        unsafe { pyo3::ffi::PyBuffer_Release(&mut self.view) }
    }
}
