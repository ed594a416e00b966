//! Getting bytes in and out of Python objects with as few copies as the ABI allows.
//!
//! The cp311-abi3 build reads and writes any contiguous buffer directly (the limited API
//! has `PyObject_GetBuffer` from 3.11). The cp39-abi3 build reads `bytes`/`bytearray`
//! directly and other buffers through a `memoryview`, one copy more.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

use crate::errors::IntoPy;

fn str_error() -> PyErr {
    PyValueError::new_err("Cannot send type str. Maybe you left out a \".encode()\" somewhere?")
}

/// Runs `f` over the bytes of `obj` (bytes, bytearray, or any buffer object).
pub fn with_bytes<R>(obj: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> PyResult<R>) -> PyResult<R> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return f(b.as_bytes());
    }
    if obj.is_instance_of::<PyString>() {
        return Err(str_error());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        // SAFETY: we hold the GIL and run no Python code while the slice is alive,
        // so the bytearray cannot be resized under us.
        return f(unsafe { b.as_bytes() });
    }
    #[cfg(Py_3_11)]
    {
        if let Some(view) = ReadBuffer::get(obj) {
            return f(view.as_slice());
        }
    }
    let py = obj.py();
    let mv = py
        .import("builtins")?
        .getattr("memoryview")?
        .call1((obj,))
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "a bytes-like object is required, not '{}'",
                obj.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?;
    let bytes = mv.call_method0("tobytes")?;
    let bytes = bytes.cast::<PyBytes>()?;
    f(bytes.as_bytes())
}

/// A new NNG message holding a copy of `obj`'s bytes.
pub fn message_from(obj: &Bound<'_, PyAny>) -> PyResult<nngbridge::Message> {
    with_bytes(obj, |b| nngbridge::Message::from_bytes(b).py())
}

/// Copies `src` into the writable buffer `dst`; returns the number of bytes written.
pub fn copy_into(dst: &Bound<'_, PyAny>, src: &[u8]) -> PyResult<usize> {
    #[cfg(Py_3_11)]
    {
        let mut view = WriteBuffer::get(dst)?;
        let out = view.as_mut_slice();
        if out.len() < src.len() {
            return Err(too_small(out.len(), src.len()));
        }
        out[..src.len()].copy_from_slice(src);
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

fn too_small(have: usize, need: usize) -> PyErr {
    PyValueError::new_err(format!(
        "buffer too small: the message has {need} bytes, the buffer {have}; the message is dropped"
    ))
}

#[cfg(Py_3_11)]
struct ReadBuffer {
    view: pyo3::ffi::Py_buffer,
}

#[cfg(Py_3_11)]
impl ReadBuffer {
    fn get(obj: &Bound<'_, PyAny>) -> Option<ReadBuffer> {
        let mut view = std::mem::MaybeUninit::<pyo3::ffi::Py_buffer>::uninit();
        // SAFETY: PyObject_GetBuffer fills `view` on success (return 0); PyBUF_SIMPLE
        // asks for one contiguous block of bytes. On failure we clear the error.
        let rc = unsafe {
            pyo3::ffi::PyObject_GetBuffer(obj.as_ptr(), view.as_mut_ptr(), pyo3::ffi::PyBUF_SIMPLE)
        };
        if rc != 0 {
            let _ = PyErr::take(obj.py());
            return None;
        }
        // SAFETY: initialised by the successful call above.
        let view = unsafe { view.assume_init() };
        Some(ReadBuffer { view })
    }

    fn as_slice(&self) -> &[u8] {
        if self.view.len <= 0 || self.view.buf.is_null() {
            return &[];
        }
        // SAFETY: a PyBUF_SIMPLE view is `len` contiguous bytes at `buf`, kept alive
        // until PyBuffer_Release in Drop.
        unsafe { std::slice::from_raw_parts(self.view.buf as *const u8, self.view.len as usize) }
    }
}

#[cfg(Py_3_11)]
impl Drop for ReadBuffer {
    fn drop(&mut self) {
        // SAFETY: releases the view obtained in `get`, once; buffers are only held
        // while the GIL is held by our caller.
        unsafe { pyo3::ffi::PyBuffer_Release(&mut self.view) }
    }
}

#[cfg(Py_3_11)]
struct WriteBuffer {
    view: pyo3::ffi::Py_buffer,
}

#[cfg(Py_3_11)]
impl WriteBuffer {
    fn get(obj: &Bound<'_, PyAny>) -> PyResult<WriteBuffer> {
        let mut view = std::mem::MaybeUninit::<pyo3::ffi::Py_buffer>::uninit();
        // SAFETY: as in ReadBuffer::get, asking for a writable contiguous block.
        let rc = unsafe {
            pyo3::ffi::PyObject_GetBuffer(
                obj.as_ptr(),
                view.as_mut_ptr(),
                pyo3::ffi::PyBUF_SIMPLE | pyo3::ffi::PyBUF_WRITABLE,
            )
        };
        if rc != 0 {
            let _ = PyErr::take(obj.py());
            return Err(PyTypeError::new_err(
                "a writable bytes-like object is required (bytearray, memoryview, numpy array)",
            ));
        }
        // SAFETY: initialised by the successful call above.
        let view = unsafe { view.assume_init() };
        Ok(WriteBuffer { view })
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        if self.view.len <= 0 || self.view.buf.is_null() {
            return &mut [];
        }
        // SAFETY: a writable PyBUF_SIMPLE view is `len` contiguous bytes at `buf`.
        unsafe { std::slice::from_raw_parts_mut(self.view.buf as *mut u8, self.view.len as usize) }
    }
}

#[cfg(Py_3_11)]
impl Drop for WriteBuffer {
    fn drop(&mut self) {
        // SAFETY: releases the view obtained in `get`, once.
        unsafe { pyo3::ffi::PyBuffer_Release(&mut self.view) }
    }
}
