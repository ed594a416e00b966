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
use crate::capi::{self, Frozen, Obj};
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
            capi::bytes_concat(py, &self.parts(py))?
        };
        if self.small.capacity() <= SCRATCH_KEEP {
            let small = std::mem::take(&mut self.small);
            SCRATCH.with(|s| s.set(small));
        }
        Ok(out)
    }

    /// The packed bytes in order, deferred `bytes` in their places.
    fn parts<'s>(&'s self, py: Python<'s>) -> Vec<&'s [u8]> {
        let mut parts = Vec::with_capacity(2 * self.deferred.len() + 1);
        let mut from = 0;
        for (at, b) in &self.deferred {
            parts.push(&self.small[from..*at]);
            parts.push(b.bind(py).as_bytes());
            from = *at;
        }
        parts.push(&self.small[from..]);
        parts
    }

    fn into_vec(self, py: Python<'_>) -> Vec<u8> {
        if self.deferred.is_empty() {
            return self.small;
        }
        self.parts(py).concat()
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
    let s = s.cast::<PyString>()?;
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
    if let Some(v) = capi::int_as_i64(obj)? {
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
        Kind::Float => put_f64(out, capi::float_value(obj)),
        Kind::Str => put_pystr(out, obj)?,
        Kind::Bytes => out.put_bytes(obj.cast::<PyBytes>()?)?,
        Kind::Dict => {
            let d = obj.cast::<PyDict>()?;
            put_len(out, d.len(), Some((0x80, 15)), None, 0xde, 0xdf)?;
            for (k, v) in d.iter() {
                pack_into(out, &k, depth + 1)?;
                pack_into(out, &v, depth + 1)?;
            }
        }
        Kind::List => {
            let l = obj.cast::<PyList>()?;
            put_len(out, l.len(), Some((0x90, 15)), None, 0xdc, 0xdd)?;
            for item in l.iter() {
                pack_into(out, &item, depth + 1)?;
            }
        }
        Kind::Tuple => {
            let t = obj.cast::<PyTuple>()?;
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

#[inline(always)]
fn put_fast_str(out: &mut Packer, obj: Obj<'_, '_>) -> Fast {
    #[cfg(Py_3_10)]
    {
        let Some(b) = capi::str_utf8(obj) else {
            return Err(PyErr::fetch(obj.py()).into());
        };
        let n = b.len();
        if n >= 32 {
            put_str_len(out, n)?;
            out.extend_from_slice(b);
        } else {
            capi::push_short(&mut out.small, 0xa0 | n as u8, b);
        }
        Ok(())
    }
    #[cfg(not(Py_3_10))]
    {
        Ok(put_pystr(out, &obj)?)
    }
}

#[inline(always)]
fn put_f64(out: &mut Packer, f: f64) {
    capi::push_9(&mut out.small, 0xcb, f.to_be_bytes());
}

/// The common scalars handled where they are met (inlined into the container loops);
/// everything else goes to [`pack_fast`].
#[inline(always)]
fn pack_fast_item<'py>(out: &mut Packer, obj: Obj<'_, 'py>, depth: usize, fz: Frozen<'py>) -> Fast {
    use pyo3::ffi;
    let t = obj.get_type_ptr();
    if t == &raw mut ffi::PyUnicode_Type {
        return put_fast_str(out, obj);
    } else if t == &raw mut ffi::PyFloat_Type {
        put_f64(out, capi::float_value(&obj));
        return Ok(());
    } else if obj.is_none() {
        out.push(0xc0);
        return Ok(());
    }
    pack_fast(out, obj, depth, fz)
}

/// [`pack_into`] for trees that run no Python code while packed (built-in containers and
/// scalars, and their subclasses): borrowed references and no `Bound` bookkeeping. Nothing
/// here runs Python code (no buffer protocol, no `__index__`, no allocation of tracked
/// objects and so no garbage collection, bar an exception on the way out, after which no
/// borrowed reference is used), so the tree cannot change under the borrowed references.
/// At any other object it stops with [`Stop::Slow`] before touching it, and the caller
/// packs the whole tree again with [`pack_into`]; up to that point both write the same
/// bytes and raise the same errors.
fn pack_fast<'py>(out: &mut Packer, obj: Obj<'_, 'py>, depth: usize, fz: Frozen<'py>) -> Fast {
    use pyo3::ffi;
    let t = obj.get_type_ptr();
    let kind = if t == &raw mut ffi::PyUnicode_Type {
        return put_fast_str(out, obj);
    } else if t == &raw mut ffi::PyFloat_Type {
        put_f64(out, capi::float_value(&obj));
        return Ok(());
    } else {
        let k = exact_kind(&obj);
        if k == Kind::Other {
            subclass_kind(&obj)
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
        Kind::Bool => out.push(if capi::is_true(&obj) { 0xc3 } else { 0xc2 }),
        Kind::Int => put_pyint(out, &obj)?,
        Kind::Str => return put_fast_str(out, obj),
        // A float subclass: no Python code, cannot fail.
        Kind::Float => put_f64(out, capi::float_value(&obj)),
        Kind::Bytes => {
            let b = obj.cast::<PyBytes>().map_err(PyErr::from)?;
            out.put_bytes(&b)?
        }
        Kind::Dict => {
            let n = capi::dict_len(&obj);
            put_len(out, n as usize, Some((0x80, 15)), None, 0xde, 0xdf)?;
            let mut pos = 0;
            while let Some((k, v)) = fz.dict_next(obj, &mut pos) {
                pack_fast_item(out, k, depth + 1, fz)?;
                pack_fast_item(out, v, depth + 1, fz)?;
            }
        }
        Kind::List => {
            let n = capi::list_len(&obj);
            put_len(out, n as usize, Some((0x90, 15)), None, 0xdc, 0xdd)?;
            for i in 0..n {
                let item = fz.list_item(obj, i).ok_or_else(|| PyErr::fetch(fz.py()))?;
                pack_fast_item(out, item, depth + 1, fz)?;
            }
        }
        Kind::Tuple => {
            let n = capi::tuple_len(&obj);
            put_len(out, n as usize, Some((0x90, 15)), None, 0xdc, 0xdd)?;
            for i in 0..n {
                let item = fz.tuple_item(obj, i).ok_or_else(|| PyErr::fetch(fz.py()))?;
                pack_fast_item(out, item, depth + 1, fz)?;
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
    // SAFETY: the fast pass runs no Python code (see `pack_fast`), and so keeps Frozen's
    // promise: the containers it reads through borrowed references do not change.
    let fz = unsafe { Frozen::assume(obj.py()) };
    match pack_fast(out, obj.as_borrowed(), depth, fz) {
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

use capi::key_words;

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
        *slot = KeySlot {
            len: b.len(),
            words,
            s: Some(s.clone().unbind()),
        };
        Ok(s.into_any())
    }
}

/// A `str` from UTF-8 bytes, validated once, by CPython.
fn new_str<'py>(py: Python<'py>, b: &[u8]) -> PyResult<Bound<'py, PyString>> {
    capi::new_str(py, b).ok_or_else(|| err("Unpack failed: invalid UTF-8 in str"))
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
        Ok(new_str(py, b)?.into_any())
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
        let list = self.use_list;
        capi::new_seq(py, n, list, || self.value(py, depth + 1))
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
            capi::dict_set(&d, &k, &v)
                .map_err(|e| PyValueError::new_err(format!("bad map key: {e}")))?;
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
