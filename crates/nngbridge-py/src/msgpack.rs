//! The native MessagePack codec: `packb` / `unpackb` with msgpack-python's conventions.
//!
//! `bytes`/`bytearray`/buffers <-> bin, `str` <-> str, `list`/`tuple` -> array (decoded as
//! `list`, or `tuple` with `use_list=False`), `dict` <-> map, `int` (signed 64-bit to
//! unsigned 64-bit), `float` (float64), `bool`, `None`. Integers use their smallest
//! encoding, as msgpack-python does, so both produce the same bytes. Decoding checks
//! every length against the input (no allocation larger than the input) and nesting
//! depth, and raises `ValueError` on truncated, trailing or malformed data. The rules are
//! `nngbridge_scene::codec`'s, the one definition every MessagePack path follows.

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::buffers;
use crate::errors::IntoPy;

use nngbridge_scene::codec::MAX_DEPTH;

fn put_uint(out: &mut Packer, v: u64) {
    if v < 128 {
        out.push(v as u8);
    } else if v <= u64::from(u8::MAX) {
        out.extend_from_slice(&[0xcc, v as u8]);
    } else if v <= u64::from(u16::MAX) {
        out.push(0xcd);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v <= u64::from(u32::MAX) {
        out.push(0xce);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn put_int(out: &mut Packer, v: i64) {
    if v >= 0 {
        put_uint(out, v as u64);
    } else if v >= -32 {
        out.push(v as i8 as u8);
    } else if v >= i64::from(i8::MIN) {
        out.extend_from_slice(&[0xd0, v as i8 as u8]);
    } else if v >= i64::from(i16::MIN) {
        out.push(0xd1);
        out.extend_from_slice(&(v as i16).to_be_bytes());
    } else if v >= i64::from(i32::MIN) {
        out.push(0xd2);
        out.extend_from_slice(&(v as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn put_len(
    out: &mut Packer,
    len: usize,
    fix: Option<(u8, usize)>,
    m8: Option<u8>,
    m16: u8,
    m32: u8,
) -> PyResult<()> {
    match fix {
        Some((base, max)) if len <= max => out.push(base | len as u8),
        _ => match m8 {
            Some(m) if len <= usize::from(u8::MAX) => out.extend_from_slice(&[m, len as u8]),
            _ if len <= usize::from(u16::MAX) => {
                out.push(m16);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                let l = u32::try_from(len)
                    .map_err(|_| PyValueError::new_err("object too large for MessagePack"))?;
                out.push(m32);
                out.extend_from_slice(&l.to_be_bytes());
            }
        },
    }
    Ok(())
}

fn put_str(out: &mut Packer, s: &str) -> PyResult<()> {
    put_str_len(out, s.len())?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn put_bin(out: &mut Packer, b: &[u8]) -> PyResult<()> {
    put_len(out, b.len(), None, Some(0xc4), 0xc5, 0xc6)?;
    out.extend_large(b)
}

/// Where packed bytes go: a `Vec` (for `packb`), or an NNG message that large binary
/// payloads are copied into directly (for `send_packed`), so a pixel buffer is copied
/// once on its way to the wire. For `packb`, large `bytes` objects are not copied into the
/// `Vec` but referenced and copied once, into the result.
pub struct Packer {
    small: Vec<u8>,
    msg: Option<nngbridge::Message>,
    /// Large `bytes` whose contents belong at `small[at]` (packb only).
    deferred: Vec<(usize, Py<PyBytes>)>,
}

const LARGE: usize = 64 << 10;
/// The most a thread keeps of its `packb` scratch buffer between calls.
const SCRATCH_KEEP: usize = 1 << 20;

thread_local! {
    /// `packb`'s output buffer, kept between calls so packing does not regrow it each time.
    static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

impl Packer {
    fn vec() -> Packer {
        let mut small = SCRATCH.with(|s| s.take());
        small.clear();
        Packer {
            small,
            msg: None,
            deferred: Vec::new(),
        }
    }

    fn message() -> PyResult<Packer> {
        Ok(Packer {
            small: Vec::with_capacity(256),
            msg: Some(nngbridge::Message::new().py()?),
            deferred: Vec::new(),
        })
    }

    fn push(&mut self, b: u8) {
        self.small.push(b);
    }

    fn extend_from_slice(&mut self, b: &[u8]) {
        self.small.extend_from_slice(b);
    }

    fn extend_large(&mut self, b: &[u8]) -> PyResult<()> {
        match self.msg.as_mut() {
            Some(m) if b.len() >= LARGE => {
                // Room for this payload and what usually follows, so later small
                // appends do not reallocate (and copy) a large body again.
                m.reserve(self.small.len() + b.len() + 4096).py()?;
                m.push_back(&self.small).py()?;
                self.small.clear();
                m.push_back(b).py()
            }
            _ => {
                self.small.extend_from_slice(b);
                Ok(())
            }
        }
    }

    /// A `bytes` object as bin: deferred (copied once, into the result) when large.
    fn put_bytes(&mut self, b: &Bound<'_, PyBytes>) -> PyResult<()> {
        let data = b.as_bytes();
        if self.msg.is_some() || data.len() < LARGE {
            return put_bin(self, data);
        }
        put_len(self, data.len(), None, Some(0xc4), 0xc5, 0xc6)?;
        self.deferred.push((self.small.len(), b.clone().unbind()));
        Ok(())
    }

    fn into_bytes<'py>(mut self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let out = if self.deferred.is_empty() {
            PyBytes::new(py, &self.small)
        } else {
            let total = self.total(py);
            // SAFETY: a new bytes object of `total` uninitialised bytes, filled completely
            // below before anything else can see it (the C API's documented way to build
            // bytes in place; pyo3's `new_with` would zero it first).
            let raw = unsafe { pyo3::ffi::PyBytes_FromStringAndSize(std::ptr::null(), total as _) };
            if raw.is_null() {
                return Err(PyErr::fetch(py));
            }
            // SAFETY: `raw` is a new reference we own.
            let bytes = unsafe { Bound::from_owned_ptr(py, raw).cast_into_unchecked::<PyBytes>() };
            // SAFETY: the buffer of a bytes object we just made and nobody else holds.
            let dst = unsafe {
                std::slice::from_raw_parts_mut(pyo3::ffi::PyBytes_AsString(raw) as *mut u8, total)
            };
            self.assemble(py, dst);
            bytes
        };
        if self.small.capacity() <= SCRATCH_KEEP {
            let small = std::mem::take(&mut self.small);
            SCRATCH.with(|s| s.set(small));
        }
        Ok(out)
    }

    /// The packed size, deferred `bytes` included.
    fn total(&self, py: Python<'_>) -> usize {
        self.small.len()
            + self
                .deferred
                .iter()
                .map(|(_, b)| b.bind(py).as_bytes().len())
                .sum::<usize>()
    }

    /// The packed bytes, deferred `bytes` in their places, into `dst` (exactly their size).
    fn assemble(&self, py: Python<'_>, dst: &mut [u8]) {
        let (mut from, mut to) = (0, 0);
        for (at, b) in &self.deferred {
            let head = &self.small[from..*at];
            dst[to..to + head.len()].copy_from_slice(head);
            to += head.len();
            let body = b.bind(py).as_bytes();
            dst[to..to + body.len()].copy_from_slice(body);
            to += body.len();
            from = *at;
        }
        dst[to..].copy_from_slice(&self.small[from..]);
    }

    fn into_vec(self, py: Python<'_>) -> Vec<u8> {
        if self.deferred.is_empty() {
            return self.small;
        }
        let total = self.total(py);
        let mut out = vec![0; total];
        self.assemble(py, &mut out);
        out
    }

    fn into_message(mut self) -> PyResult<nngbridge::Message> {
        let mut m = match self.msg.take() {
            Some(m) => m,
            None => nngbridge::Message::new().py()?,
        };
        m.push_back(&self.small).py()?;
        Ok(m)
    }
}

/// Packs `obj` straight into a new NNG message (see [`Packer`]).
pub fn pack_message(obj: &Bound<'_, PyAny>) -> PyResult<nngbridge::Message> {
    let mut p = Packer::message()?;
    pack_tree(&mut p, obj, 0, Packer::message)?;
    p.into_message()
}

/// The built-in types `pack_into` knows, compared by pointer: an exact type check is one
/// load and compare, where the `PyXxx_Check` of the limited API is a function call.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    None,
    Bool,
    Int,
    Float,
    Str,
    Bytes,
    Dict,
    List,
    Tuple,
    Other,
}

fn exact_kind(obj: &Bound<'_, PyAny>) -> Kind {
    use pyo3::ffi;
    // Addresses of CPython's static type objects (stable ABI); nothing is read through them.
    let t = obj.get_type_ptr();
    if t == &raw mut ffi::PyUnicode_Type {
        Kind::Str
    } else if t == &raw mut ffi::PyLong_Type {
        Kind::Int
    } else if t == &raw mut ffi::PyFloat_Type {
        Kind::Float
    } else if t == &raw mut ffi::PyDict_Type {
        Kind::Dict
    } else if t == &raw mut ffi::PyList_Type {
        Kind::List
    } else if t == &raw mut ffi::PyBool_Type {
        Kind::Bool
    } else if obj.is_none() {
        Kind::None
    } else if t == &raw mut ffi::PyBytes_Type {
        Kind::Bytes
    } else if t == &raw mut ffi::PyTuple_Type {
        Kind::Tuple
    } else {
        Kind::Other
    }
}

/// Subclasses of the built-in types (an `IntEnum`, a `str` subclass, an `OrderedDict`):
/// the slower `isinstance` checks, as msgpack-python accepts them too.
fn subclass_kind(obj: &Bound<'_, PyAny>) -> Kind {
    if obj.is_instance_of::<PyBool>() {
        Kind::Bool
    } else if obj.is_instance_of::<PyInt>() {
        Kind::Int
    } else if obj.is_instance_of::<PyFloat>() {
        Kind::Float
    } else if obj.is_instance_of::<PyString>() {
        Kind::Str
    } else if obj.is_instance_of::<PyBytes>() {
        Kind::Bytes
    } else if obj.is_instance_of::<PyDict>() {
        Kind::Dict
    } else if obj.is_instance_of::<PyList>() {
        Kind::List
    } else if obj.is_instance_of::<PyTuple>() {
        Kind::Tuple
    } else {
        Kind::Other
    }
}

fn put_pystr(out: &mut Packer, s: &Bound<'_, PyAny>) -> PyResult<()> {
    // SAFETY: `s` is a str (checked by the caller).
    let s = unsafe { s.cast_unchecked::<PyString>() };
    #[cfg(Py_3_11)]
    {
        // UTF-8 cached in the str object (no copy) for ASCII and after the first call.
        put_str(out, s.to_str()?)
    }
    #[cfg(not(Py_3_11))]
    {
        put_str(out, &s.to_cow()?)
    }
}

fn put_pyint(out: &mut Packer, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    let mut overflow: std::os::raw::c_int = 0;
    // SAFETY: `obj` is an int (checked by the caller); the call reports overflow through
    // `overflow` instead of raising.
    let v = unsafe { pyo3::ffi::PyLong_AsLongLongAndOverflow(obj.as_ptr(), &mut overflow) };
    if overflow == 0 {
        if v == -1 && PyErr::occurred(obj.py()) {
            return Err(PyErr::fetch(obj.py()));
        }
        put_int(out, v);
    } else if let Ok(v) = obj.extract::<u64>() {
        put_uint(out, v);
    } else {
        return Err(PyOverflowError::new_err("Integer value out of range"));
    }
    Ok(())
}

fn pack_into(out: &mut Packer, obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<()> {
    let mut kind = exact_kind(obj);
    if kind == Kind::Other {
        kind = subclass_kind(obj);
    }
    if depth >= MAX_DEPTH && matches!(kind, Kind::Dict | Kind::List | Kind::Tuple) {
        return Err(too_deep());
    }
    match kind {
        Kind::None => out.push(0xc0),
        Kind::Bool => out.push(if obj.is_truthy()? { 0xc3 } else { 0xc2 }),
        Kind::Int => put_pyint(out, obj)?,
        Kind::Float => {
            // SAFETY: `obj` is a float.
            let f = unsafe { obj.cast_unchecked::<PyFloat>() };
            out.push(0xcb);
            out.extend_from_slice(&f.value().to_be_bytes());
        }
        Kind::Str => put_pystr(out, obj)?,
        Kind::Bytes => {
            // SAFETY: `obj` is a bytes object.
            out.put_bytes(unsafe { obj.cast_unchecked::<PyBytes>() })?
        }
        Kind::Dict => {
            // SAFETY: `obj` is a dict.
            let d = unsafe { obj.cast_unchecked::<PyDict>() };
            put_len(out, d.len(), Some((0x80, 15)), None, 0xde, 0xdf)?;
            for (k, v) in d.iter() {
                pack_into(out, &k, depth + 1)?;
                pack_into(out, &v, depth + 1)?;
            }
        }
        Kind::List => {
            // SAFETY: `obj` is a list.
            let l = unsafe { obj.cast_unchecked::<PyList>() };
            put_len(out, l.len(), Some((0x90, 15)), None, 0xdc, 0xdd)?;
            for item in l.iter() {
                pack_into(out, &item, depth + 1)?;
            }
        }
        Kind::Tuple => {
            // SAFETY: `obj` is a tuple.
            let t = unsafe { obj.cast_unchecked::<PyTuple>() };
            put_len(out, t.len(), Some((0x90, 15)), None, 0xdc, 0xdd)?;
            for item in t.iter() {
                pack_into(out, &item, depth + 1)?;
            }
        }
        Kind::Other => {
            // bytearray, memoryview, array.array, numpy arrays, Message: any buffer is bin.
            let mut packed = Ok(());
            let read = buffers::with_bytes(obj, |b| {
                packed = put_bin(out, b);
                Ok(())
            });
            if read.is_err() {
                return Err(PyTypeError::new_err(format!(
                    "can not serialize '{}' object",
                    obj.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                )));
            }
            packed?;
        }
    }
    Ok(())
}

/// A container nested in [`MAX_DEPTH`] others already.
#[cold]
fn too_deep() -> PyErr {
    PyValueError::new_err("Too deeply nested")
}

/// Why the fast pass ([`pack_fast`]) stopped: a Python error, or an object it leaves to
/// [`pack_into`] because packing it may run Python code.
enum Stop {
    Err(PyErr),
    Slow,
}

impl From<PyErr> for Box<Stop> {
    #[cold]
    fn from(e: PyErr) -> Self {
        Box::new(Stop::Err(e))
    }
}

/// Boxed so that the fast path's result is one register.
type Fast = Result<(), Box<Stop>>;

fn put_str_len(out: &mut Packer, n: usize) -> PyResult<()> {
    if n < 32 {
        out.push(0xa0 | n as u8);
        Ok(())
    } else {
        put_len(out, n, None, Some(0xd9), 0xda, 0xdb)
    }
}

/// Copies `n` bytes without a call to `memcpy` for the short strings that dominate
/// messages (keys, names), using overlapping unaligned loads and stores.
///
/// # Safety
/// `src` is readable and `dst` writable for `n` bytes, and they do not overlap.
#[cfg(Py_3_10)]
#[inline(always)]
unsafe fn copy_short(src: *const u8, dst: *mut u8, n: usize) {
    use std::ptr::{copy_nonoverlapping, read_unaligned as rd, write_unaligned as wr};
    // SAFETY: every access is within the first `n` bytes of `src` and `dst`.
    unsafe {
        if n > 16 {
            copy_nonoverlapping(src, dst, n);
        } else if n >= 8 {
            let (a, b) = (rd(src.cast::<u64>()), rd(src.add(n - 8).cast::<u64>()));
            wr(dst.cast::<u64>(), a);
            wr(dst.add(n - 8).cast::<u64>(), b);
        } else if n >= 4 {
            let (a, b) = (rd(src.cast::<u32>()), rd(src.add(n - 4).cast::<u32>()));
            wr(dst.cast::<u32>(), a);
            wr(dst.add(n - 4).cast::<u32>(), b);
        } else if n > 0 {
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        }
    }
}

#[inline(always)]
fn put_fast_str(out: &mut Packer, obj: *mut pyo3::ffi::PyObject, py: Python<'_>) -> Fast {
    #[cfg(Py_3_10)]
    {
        let mut n: pyo3::ffi::Py_ssize_t = 0;
        // SAFETY: `obj` is a live str; the UTF-8 is cached in it (no copy for ASCII) and
        // stays valid while the str is alive, which covers this function.
        let p = unsafe { pyo3::ffi::PyUnicode_AsUTF8AndSize(obj, &mut n) };
        if p.is_null() {
            return Err(PyErr::fetch(py).into());
        }
        let n = n as usize;
        if n >= 32 {
            // SAFETY: `n` bytes at `p`, as returned by the call above.
            let b = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n) };
            put_str_len(out, n)?;
            out.extend_from_slice(b);
            return Ok(());
        }
        let v = &mut out.small;
        v.reserve(n + 1);
        // SAFETY: room for the fixstr header and `n` bytes was reserved above; the
        // source is the str's UTF-8 (`n` bytes), which cannot overlap our buffer.
        unsafe {
            let dst = v.as_mut_ptr().add(v.len());
            *dst = 0xa0 | n as u8;
            copy_short(p.cast::<u8>(), dst.add(1), n);
            v.set_len(v.len() + n + 1);
        }
        Ok(())
    }
    #[cfg(not(Py_3_10))]
    {
        // SAFETY: `obj` is a live object for the duration of this call.
        let s = unsafe { Bound::ref_from_ptr(py, &obj) };
        Ok(put_pystr(out, s)?)
    }
}

#[inline(always)]
fn put_f64(out: &mut Packer, f: f64) {
    let v = &mut out.small;
    v.reserve(9);
    // SAFETY: 9 bytes reserved above.
    unsafe {
        let dst = v.as_mut_ptr().add(v.len());
        *dst = 0xcb;
        std::ptr::write_unaligned(dst.add(1).cast::<[u8; 8]>(), f.to_be_bytes());
        v.set_len(v.len() + 9);
    }
}

/// The common scalars handled where they are met (inlined into the container loops);
/// everything else goes to [`pack_fast`].
#[inline(always)]
fn pack_fast_item(
    out: &mut Packer,
    obj: *mut pyo3::ffi::PyObject,
    depth: usize,
    py: Python<'_>,
) -> Fast {
    use pyo3::ffi;
    // SAFETY: `obj` is a live object (caller); the type pointer is only compared.
    let t = unsafe { ffi::Py_TYPE(obj) };
    if t == &raw mut ffi::PyUnicode_Type {
        return put_fast_str(out, obj, py);
    } else if t == &raw mut ffi::PyFloat_Type {
        // SAFETY: `obj` is a float: the call cannot fail.
        put_f64(out, unsafe { ffi::PyFloat_AsDouble(obj) });
        return Ok(());
    // SAFETY: the address of the static None object.
    } else if obj == unsafe { ffi::Py_None() } {
        out.push(0xc0);
        return Ok(());
    }
    pack_fast(out, obj, depth, py)
}

/// [`pack_into`] for trees that run no Python code while packed (built-in containers and
/// scalars, and their subclasses): borrowed references and no `Bound` bookkeeping. Nothing
/// here runs Python code (no buffer protocol, no `__index__`, no allocation of tracked
/// objects and so no garbage collection, bar an exception on the way out, after which no
/// borrowed reference is used), so the tree cannot change under the borrowed references.
/// At any other object it stops with [`Stop::Slow`] before touching it, and the caller
/// packs the whole tree again with [`pack_into`]; up to that point both write the same
/// bytes and raise the same errors.
fn pack_fast(
    out: &mut Packer,
    obj: *mut pyo3::ffi::PyObject,
    depth: usize,
    py: Python<'_>,
) -> Fast {
    use pyo3::ffi;
    // SAFETY: `obj` is a live object (caller); the type pointer is only compared.
    let t = unsafe { ffi::Py_TYPE(obj) };
    let kind = if t == &raw mut ffi::PyUnicode_Type {
        return put_fast_str(out, obj, py);
    } else if t == &raw mut ffi::PyFloat_Type {
        // SAFETY: `obj` is a float: the call cannot fail.
        put_f64(out, unsafe { ffi::PyFloat_AsDouble(obj) });
        return Ok(());
    } else {
        // SAFETY: `obj` is live for this call.
        let any = unsafe { Bound::ref_from_ptr(py, &obj) };
        let k = exact_kind(any);
        if k == Kind::Other {
            subclass_kind(any)
        } else {
            k
        }
    };
    if depth >= MAX_DEPTH && matches!(kind, Kind::Dict | Kind::List | Kind::Tuple) {
        return Err(too_deep().into());
    }
    match kind {
        Kind::None => out.push(0xc0),
        // `bool` cannot be subclassed: the two singletons are all there is.
        // SAFETY: Py_True is the address of a static object.
        Kind::Bool => out.push(if obj == unsafe { ffi::Py_True() } {
            0xc3
        } else {
            0xc2
        }),
        Kind::Int => {
            // SAFETY: `obj` is live for this call.
            put_pyint(out, unsafe { Bound::ref_from_ptr(py, &obj) })?
        }
        Kind::Str => return put_fast_str(out, obj, py),
        Kind::Float => {
            // SAFETY: `obj` is a float subclass: no Python code, cannot fail.
            put_f64(out, unsafe { ffi::PyFloat_AsDouble(obj) });
        }
        Kind::Bytes => {
            // SAFETY: `obj` is a live bytes object.
            let b = unsafe { Bound::ref_from_ptr(py, &obj).cast_unchecked::<PyBytes>() };
            out.put_bytes(b)?
        }
        Kind::Dict => {
            // SAFETY: `obj` is a dict.
            let n = unsafe { ffi::PyDict_Size(obj) };
            put_len(out, n as usize, Some((0x80, 15)), None, 0xde, 0xdf)?;
            let mut pos: ffi::Py_ssize_t = 0;
            let mut k = std::ptr::null_mut();
            let mut v = std::ptr::null_mut();
            // SAFETY: PyDict_Next gives borrowed key/value pointers; the dict cannot
            // change while no Python code runs (see above).
            while unsafe { ffi::PyDict_Next(obj, &mut pos, &mut k, &mut v) } != 0 {
                pack_fast_item(out, k, depth + 1, py)?;
                pack_fast_item(out, v, depth + 1, py)?;
            }
        }
        Kind::List => {
            // SAFETY: `obj` is a list.
            let n = unsafe { ffi::PyList_Size(obj) };
            put_len(out, n as usize, Some((0x90, 15)), None, 0xdc, 0xdd)?;
            for i in 0..n {
                // SAFETY: `i` is in bounds; a borrowed reference (see above).
                let item = unsafe { ffi::PyList_GetItem(obj, i) };
                pack_fast_item(out, item, depth + 1, py)?;
            }
        }
        Kind::Tuple => {
            // SAFETY: `obj` is a tuple.
            let n = unsafe { ffi::PyTuple_Size(obj) };
            put_len(out, n as usize, Some((0x90, 15)), None, 0xdc, 0xdd)?;
            for i in 0..n {
                // SAFETY: `i` is in bounds; a borrowed reference into an immutable tuple.
                let item = unsafe { ffi::PyTuple_GetItem(obj, i) };
                pack_fast_item(out, item, depth + 1, py)?;
            }
        }
        Kind::Other => return Err(Box::new(Stop::Slow)),
    }
    Ok(())
}

/// Packs `obj` into `out`: the fast pass, or, when the tree holds an object the fast pass
/// leaves alone, [`pack_into`] into a fresh `Packer` from `fresh`.
fn pack_tree(
    out: &mut Packer,
    obj: &Bound<'_, PyAny>,
    depth: usize,
    fresh: impl FnOnce() -> PyResult<Packer>,
) -> PyResult<()> {
    match pack_fast(out, obj.as_ptr(), depth, obj.py()) {
        Ok(()) => Ok(()),
        Err(stop) => match *stop {
            Stop::Err(e) => Err(e),
            Stop::Slow => {
                *out = fresh()?;
                pack_into(out, obj, depth)
            }
        },
    }
}

/// `packb(obj)`: serialise `obj` to MessagePack `bytes`.
#[pyfunction]
pub fn packb<'py>(py: Python<'py>, obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let mut out = Packer::vec();
    pack_tree(&mut out, obj, 0, || Ok(Packer::vec()))?;
    out.into_bytes(py)
}

/// One value packed on its own, at `depth` (for [`pack_with_tail`]).
fn pack_vec(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Vec<u8>> {
    let mut out = Packer::vec();
    pack_tree(&mut out, obj, depth, || Ok(Packer::vec()))?;
    Ok(out.into_vec(obj.py()))
}

/// A map or str header that may be written wider than it needs to be: its sizes in bytes
/// per width (fix, 8-bit, 16-bit, 32-bit length; 0 where the format has no such width)
/// and the narrowest that fits.
struct Header {
    len: usize,
    sizes: [usize; 4],
    narrowest: usize,
}

impl Header {
    fn map(len: usize) -> Header {
        let narrowest = if len <= 15 {
            0
        } else if len <= 0xffff {
            2
        } else {
            3
        };
        Header {
            len,
            sizes: [1, 0, 3, 5],
            narrowest,
        }
    }

    fn str(len: usize) -> Header {
        let narrowest = match len {
            0..=31 => 0,
            32..=0xff => 1,
            0x100..=0xffff => 2,
            _ => 3,
        };
        Header {
            len,
            sizes: [1, 2, 3, 5],
            narrowest,
        }
    }

    fn write(&self, out: &mut Vec<u8>, width: usize, map: bool) {
        let l = self.len;
        match (map, width) {
            (true, 0) => out.push(0x80 | l as u8),
            (false, 0) => out.push(0xa0 | l as u8),
            (false, 1) => out.extend_from_slice(&[0xd9, l as u8]),
            (_, 2) => {
                out.push(if map { 0xde } else { 0xda });
                out.extend_from_slice(&(l as u16).to_be_bytes());
            }
            _ => {
                out.push(if map { 0xdf } else { 0xdb });
                out.extend_from_slice(&(l as u32).to_be_bytes());
            }
        }
    }
}

/// Widths for `headers` (one each) that make them `pad` bytes longer in all, if any do.
fn widen(headers: &[&Header], pad: usize) -> Option<Vec<usize>> {
    let (first, rest) = match headers.split_first() {
        Some(split) => split,
        None => return (pad == 0).then(Vec::new),
    };
    let base = first.sizes[first.narrowest];
    (first.narrowest..4)
        .filter(|w| first.sizes[*w] != 0 && first.sizes[*w] - base <= pad)
        .find_map(|w| {
            let mut ws = widen(rest, pad - (first.sizes[w] - base))?;
            ws.insert(0, w);
            Some(ws)
        })
}

/// `pack_with_tail(obj, tail_key, nbytes, align=4)`: a writable `Message` holding `obj`
/// packed, with one more map entry at its very end, `tail_key: bin 32` of `nbytes`
/// zero bytes, the payload's address a multiple of `align` (1, 2, 4 or 8), for the caller
/// to fill in place (`memoryview(msg)[len(msg) - nbytes:]`, cp311) and send. `tail_key`
/// is a key of `obj`, or a tuple of keys: the path to the map that gets the entry, each
/// map on it the last entry of the one before. The padding is in the widths of the map
/// and key headers on that path (any width is valid MessagePack), so every reader decodes
/// exactly `obj` with the payload added.
#[pyfunction]
#[pyo3(signature = (obj, tail_key, nbytes, align=4))]
pub fn pack_with_tail(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    tail_key: &Bound<'_, PyAny>,
    nbytes: usize,
    align: usize,
) -> PyResult<crate::message::Message> {
    let path: Vec<String> = match tail_key.extract::<String>() {
        Ok(k) => vec![k],
        Err(_) => tail_key.extract()?,
    };
    let Some((last, outer)) = path.split_last() else {
        return Err(PyValueError::new_err("tail_key: no key given"));
    };
    if !matches!(align, 1 | 2 | 4 | 8) {
        return Err(PyValueError::new_err("align must be 1, 2, 4 or 8"));
    }
    if u32::try_from(nbytes).is_err() {
        return Err(PyValueError::new_err("nbytes does not fit a bin 32"));
    }
    if path.len() > MAX_DEPTH {
        return Err(too_deep());
    }
    // The maps along the path, and each one's entries but the path's next map.
    let mut maps = vec![obj.cast::<PyDict>()?.clone()];
    for key in outer {
        let d = maps.last().cloned().ok_or_else(too_deep)?;
        let next = d
            .iter()
            .last()
            .filter(|(k, _)| k.extract::<String>().is_ok_and(|k| &k == key))
            .map(|(_, v)| v)
            .ok_or_else(|| {
                PyValueError::new_err(format!("'{key}' is not the last entry of its map"))
            })?;
        maps.push(next.cast_into::<PyDict>()?);
    }
    let inner = maps.last().cloned().ok_or_else(too_deep)?;
    if inner.contains(last)? {
        return Err(PyValueError::new_err(format!(
            "'{last}' is already in the map"
        )));
    }
    let mut headers = Vec::new();
    let mut bodies = Vec::new();
    for (depth, d) in maps.iter().enumerate() {
        let is_inner = depth + 1 == maps.len();
        headers.push(Header::map(d.len() + usize::from(is_inner)));
        let mut body = Vec::new();
        let n = d.len();
        for (i, (k, v)) in d.iter().enumerate() {
            body.extend(pack_vec(&k, depth + 1)?);
            if is_inner || i + 1 < n {
                body.extend(pack_vec(&v, depth + 1)?);
            }
        }
        bodies.push(body);
    }
    headers.push(Header::str(last.len()));
    let narrow: usize = headers.iter().map(|h| h.sizes[h.narrowest]).sum();
    let head_min = narrow + bodies.iter().map(Vec::len).sum::<usize>() + last.len() + 5;
    let mut msg = py
        .detach(|| nngbridge::Message::with_len(head_min + align - 1 + nbytes))
        .py()?;
    let at = msg.body().as_ptr() as usize + head_min;
    let pad = (align - at % align) % align;
    let refs: Vec<&Header> = headers.iter().collect();
    let widths = widen(&refs, pad)
        .ok_or_else(|| PyValueError::new_err("no header on the path can take the padding"))?;
    let mut head = Vec::with_capacity(head_min + pad);
    for ((h, w), body) in headers.iter().zip(&widths).zip(&bodies) {
        h.write(&mut head, *w, true);
        head.extend_from_slice(body);
    }
    if let (Some(h), Some(w)) = (headers.last(), widths.last()) {
        h.write(&mut head, *w, false);
    }
    head.extend_from_slice(last.as_bytes());
    head.push(0xc6);
    head.extend_from_slice(&(nbytes as u32).to_be_bytes());
    msg.set_len(head.len() + nbytes).py()?;
    msg.body_mut()[..head.len()].copy_from_slice(&head);
    if (msg.body().as_ptr() as usize + head.len()) % align != 0 {
        return Err(PyValueError::new_err(
            "the message body moved while packing",
        ));
    }
    Ok(crate::message::Message::wrap_writable(msg))
}

struct Reader<'a, 'k> {
    data: &'a [u8],
    pos: usize,
    use_list: bool,
    raw: bool,
    strict_map_key: bool,
    /// Map keys seen before, when this call got the cache (see [`KeyCache`]).
    keys: Option<std::sync::MutexGuard<'k, KeyCache>>,
}

/// Short map keys repeat (`name`, `type`, `location` in every object of a listing): a
/// small direct-mapped cache of the `str` objects made for them saves making, and
/// hashing, a new string per occurrence. A `str`'s hash is cached in the object, so
/// reusing it also makes the dict insert cheaper.
struct KeyCache {
    slots: Vec<KeySlot>,
}

/// A cached key: its length and bytes as [`key_words`], and the `str` made from them.
#[derive(Default)]
struct KeySlot {
    len: usize,
    words: [u64; 4],
    s: Option<Py<PyString>>,
}

const KEY_SLOTS: usize = 512;
const KEY_MAX_LEN: usize = 32;
static KEYS: std::sync::Mutex<KeyCache> = std::sync::Mutex::new(KeyCache { slots: Vec::new() });

/// Up to 32 bytes as four words, from overlapping loads (so with the length they determine
/// the bytes): one comparison and a cheap hash instead of a byte loop and a `memcmp`.
#[inline(always)]
fn key_words(b: &[u8]) -> [u64; 4] {
    let n = b.len();
    debug_assert!(n <= KEY_MAX_LEN);
    let p = b.as_ptr();
    if n >= 8 {
        // SAFETY: every load reads 8 bytes at an offset of at most n - 8.
        let ld = |i: usize| unsafe { std::ptr::read_unaligned(p.add(i.min(n - 8)).cast::<u64>()) };
        [ld(0), ld(8), ld(16), ld(24)]
    } else if n >= 4 {
        // SAFETY: both loads read 4 bytes within the first n >= 4.
        let (lo, hi) = unsafe {
            (
                std::ptr::read_unaligned(p.cast::<u32>()),
                std::ptr::read_unaligned(p.add(n - 4).cast::<u32>()),
            )
        };
        [u64::from(lo) | u64::from(hi) << 32, 0, 0, 0]
    } else {
        let mut w = 0u64;
        for (i, &c) in b.iter().enumerate() {
            w |= u64::from(c) << (8 * i);
        }
        [w, 0, 0, 0]
    }
}

impl KeyCache {
    fn slot(n: usize, w: &[u64; 4]) -> usize {
        // A collision only costs a miss.
        let h =
            (w[0] ^ w[1].rotate_left(21) ^ w[2].rotate_left(42) ^ w[3].rotate_left(7)) ^ n as u64;
        (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 55) as usize % KEY_SLOTS
    }

    fn get<'py>(&mut self, py: Python<'py>, b: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        if self.slots.is_empty() {
            self.slots.resize_with(KEY_SLOTS, KeySlot::default);
        }
        let words = key_words(b);
        let slot = &mut self.slots[Self::slot(b.len(), &words)];
        if let Some(s) = &slot.s {
            if slot.len == b.len() && slot.words == words {
                return Ok(s.bind(py).clone().into_any());
            }
        }
        let s = new_str(py, b)?;
        // SAFETY: new_str made a str.
        let st = unsafe { s.cast_unchecked::<PyString>() };
        *slot = KeySlot {
            len: b.len(),
            words,
            s: Some(st.clone().unbind()),
        };
        Ok(s)
    }
}

/// A `str` from UTF-8 bytes, validated once, by CPython.
fn new_str<'py>(py: Python<'py>, b: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: pointer and length of a live slice; CPython copies (and checks) the bytes.
    let raw = unsafe {
        pyo3::ffi::PyUnicode_DecodeUTF8(b.as_ptr().cast(), b.len() as _, c"strict".as_ptr())
    };
    if raw.is_null() {
        drop(PyErr::fetch(py));
        return Err(err("Unpack failed: invalid UTF-8 in str"));
    }
    // SAFETY: a new reference we own.
    Ok(unsafe { Bound::from_owned_ptr(py, raw) })
}

/// `str` or `bytes` (or a subclass): exact types first, as decoded keys are.
fn is_str_or_bytes(k: &Bound<'_, PyAny>) -> bool {
    use pyo3::ffi;
    let t = k.get_type_ptr();
    t == &raw mut ffi::PyUnicode_Type
        || t == &raw mut ffi::PyBytes_Type
        || k.is_instance_of::<PyString>()
        || k.is_instance_of::<PyBytes>()
}

fn err(msg: &str) -> PyErr {
    PyValueError::new_err(msg.to_owned())
}

impl<'a> Reader<'a, '_> {
    fn take(&mut self, n: usize) -> PyResult<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len());
        match end {
            Some(e) => {
                let s = &self.data[self.pos..e];
                self.pos = e;
                Ok(s)
            }
            None => Err(err("Unpack failed: incomplete input")),
        }
    }

    fn u8(&mut self) -> PyResult<u8> {
        Ok(self.take(1)?[0])
    }

    fn be<const N: usize>(&mut self) -> PyResult<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn len(&mut self, width: usize) -> PyResult<usize> {
        Ok(match width {
            1 => usize::from(self.u8()?),
            2 => usize::from(u16::from_be_bytes(self.be()?)),
            _ => u32::from_be_bytes(self.be()?) as usize,
        })
    }

    fn value<'py>(&mut self, py: Python<'py>, depth: usize) -> PyResult<Bound<'py, PyAny>> {
        let m = self.u8()?;
        Ok(match m {
            0x00..=0x7f => (m as i64).into_pyobject(py)?.into_any(),
            0xe0..=0xff => (m as i8 as i64).into_pyobject(py)?.into_any(),
            0x80..=0x8f => self.map(py, usize::from(m & 0x0f), depth)?,
            0x90..=0x9f => self.array(py, usize::from(m & 0x0f), depth)?,
            0xa0..=0xbf => self.string(py, usize::from(m & 0x1f))?,
            0xc0 => py.None().into_bound(py),
            0xc2 => PyBool::new(py, false).to_owned().into_any(),
            0xc3 => PyBool::new(py, true).to_owned().into_any(),
            0xc4..=0xc6 => {
                let n = self.len(1 << (m - 0xc4))?;
                PyBytes::new(py, self.take(n)?).into_any()
            }
            0xca => (f32::from_be_bytes(self.be()?) as f64)
                .into_pyobject(py)?
                .into_any(),
            0xcb => f64::from_be_bytes(self.be()?).into_pyobject(py)?.into_any(),
            0xcc => self.u8()?.into_pyobject(py)?.into_any(),
            0xcd => u16::from_be_bytes(self.be()?).into_pyobject(py)?.into_any(),
            0xce => u32::from_be_bytes(self.be()?).into_pyobject(py)?.into_any(),
            0xcf => u64::from_be_bytes(self.be()?).into_pyobject(py)?.into_any(),
            0xd0 => (self.u8()? as i8).into_pyobject(py)?.into_any(),
            0xd1 => i16::from_be_bytes(self.be()?).into_pyobject(py)?.into_any(),
            0xd2 => i32::from_be_bytes(self.be()?).into_pyobject(py)?.into_any(),
            0xd3 => i64::from_be_bytes(self.be()?).into_pyobject(py)?.into_any(),
            0xd9..=0xdb => {
                let n = self.len(1 << (m - 0xd9))?;
                self.string(py, n)?
            }
            0xdc => {
                let n = self.len(2)?;
                self.array(py, n, depth)?
            }
            0xdd => {
                let n = self.len(4)?;
                self.array(py, n, depth)?
            }
            0xde => {
                let n = self.len(2)?;
                self.map(py, n, depth)?
            }
            0xdf => {
                let n = self.len(4)?;
                self.map(py, n, depth)?
            }
            0xc7..=0xc9 | 0xd4..=0xd8 => {
                return Err(err("Unpack failed: ext types are not supported"))
            }
            0xc1 => return Err(err("Unpack failed: invalid byte 0xc1")),
        })
    }

    fn string<'py>(&mut self, py: Python<'py>, n: usize) -> PyResult<Bound<'py, PyAny>> {
        let b = self.take(n)?;
        if self.raw {
            return Ok(PyBytes::new(py, b).into_any());
        }
        new_str(py, b)
    }

    /// A map key: short `str` keys come from the key cache.
    fn key<'py>(&mut self, py: Python<'py>, depth: usize) -> PyResult<Bound<'py, PyAny>> {
        let m = self.data.get(self.pos).copied();
        if let (Some(m @ 0xa0..=0xbf), false, Some(_)) = (m, self.raw, self.keys.as_ref()) {
            let n = usize::from(m & 0x1f);
            if n <= KEY_MAX_LEN {
                self.pos += 1;
                let b = self.take(n)?;
                if let Some(keys) = self.keys.as_mut() {
                    return keys.get(py, b);
                }
            }
        }
        self.value(py, depth + 1)
    }

    fn check_count(&self, n: usize, min_item: usize, depth: usize) -> PyResult<()> {
        if depth >= MAX_DEPTH {
            return Err(err("Unpack failed: too deeply nested"));
        }
        // Every element takes at least one byte: a count larger than what is left is a
        // lie, and believing it would allocate without bound.
        if n.saturating_mul(min_item) > self.data.len() - self.pos {
            return Err(err("Unpack failed: incomplete input"));
        }
        Ok(())
    }

    fn array<'py>(
        &mut self,
        py: Python<'py>,
        n: usize,
        depth: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_count(n, 1, depth)?;
        // SAFETY: makes a new list/tuple of `n` empty slots, which we own.
        let raw = unsafe {
            if self.use_list {
                pyo3::ffi::PyList_New(n as _)
            } else {
                pyo3::ffi::PyTuple_New(n as _)
            }
        };
        if raw.is_null() {
            return Err(PyErr::fetch(py));
        }
        // SAFETY: `raw` is a new reference. If an item fails below, the half-filled
        // container is dropped; CPython's deallocators skip empty (NULL) slots.
        let seq = unsafe { Bound::from_owned_ptr(py, raw) };
        for i in 0..n {
            let item = self.value(py, depth + 1)?.into_ptr();
            // SAFETY: each slot `i < n` is set once, with a reference the call steals.
            unsafe {
                if self.use_list {
                    pyo3::ffi::PyList_SetItem(raw, i as _, item);
                } else {
                    pyo3::ffi::PyTuple_SetItem(raw, i as _, item);
                }
            }
        }
        Ok(seq)
    }

    fn map<'py>(&mut self, py: Python<'py>, n: usize, depth: usize) -> PyResult<Bound<'py, PyAny>> {
        self.check_count(n, 2, depth)?;
        let d = PyDict::new(py);
        for _ in 0..n {
            let k = self.key(py, depth)?;
            if self.strict_map_key && !is_str_or_bytes(&k) {
                return Err(err(&format!(
                    "{} is not allowed for map key when strict_map_key=True",
                    k.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                )));
            }
            let v = self.value(py, depth + 1)?;
            // SAFETY: three live objects; the dict takes its own references.
            if unsafe { pyo3::ffi::PyDict_SetItem(d.as_ptr(), k.as_ptr(), v.as_ptr()) } < 0 {
                let e = PyErr::fetch(py);
                return Err(PyValueError::new_err(format!("bad map key: {e}")));
            }
        }
        Ok(d.into_any())
    }
}

/// `unpackb(data, *, use_list=True, raw=False, strict_map_key=True)`: one MessagePack
/// object from a bytes-like `data`; extra bytes after it are an error.
#[pyfunction]
#[pyo3(signature = (data, *, use_list=true, raw=false, strict_map_key=true))]
pub fn unpackb<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    use_list: bool,
    raw: bool,
    strict_map_key: bool,
) -> PyResult<Bound<'py, PyAny>> {
    buffers::with_bytes(data, |bytes| {
        let mut r = Reader {
            data: bytes,
            pos: 0,
            use_list,
            raw,
            strict_map_key,
            // A finaliser run by the garbage collector in the middle of a decode may
            // decode too: it goes without the cache rather than wait for it.
            keys: KEYS.try_lock().ok(),
        };
        let v = r.value(py, 0)?;
        if r.pos != bytes.len() {
            return Err(err(&format!(
                "Unpack failed: {} bytes of extra data",
                bytes.len() - r.pos
            )));
        }
        Ok(v)
    })
}

/// Adds `packb` and `unpackb` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(packb, m)?)?;
    m.add_function(wrap_pyfunction!(unpackb, m)?)?;
    m.add_function(wrap_pyfunction!(pack_with_tail, m)?)?;
    m.add("MAX_DEPTH", MAX_DEPTH)?;
    m.add(
        "DEFAULT_MAX_MESSAGE",
        nngbridge_scene::codec::DEFAULT_MAX_MESSAGE,
    )?;
    Ok(())
}
