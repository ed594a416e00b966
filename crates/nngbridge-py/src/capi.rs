//! Every `unsafe` line of the MessagePack codec (`msgpack.rs`): its CPython calls and its
//! unaligned byte copies, each behind a small `#[inline(always)]` wrapper whose signature
//! makes it sound, so the codec itself is safe code and pays nothing for the wrappers.
//!
//! The one promise the wrappers cannot check is [`Frozen`]'s: the fast packing pass reads
//! containers through borrowed references, which stay valid only while no Python code
//! runs; the codec makes that promise once, where the pass starts.

use std::marker::PhantomData;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use pyo3::Borrowed;

/// An object borrowed for `'a`.
pub type Obj<'a, 'py> = Borrowed<'a, 'py, PyAny>;

/// A scope in which no Python code runs, so the containers met in it do not change and
/// the borrowed references read out of them stay valid.
#[derive(Clone, Copy)]
pub struct Frozen<'py> {
    py: Python<'py>,
    _not_send: PhantomData<*mut ()>,
}

impl<'py> Frozen<'py> {
    /// # Safety
    /// While this value or a copy of it is alive, no Python code runs (no call into an
    /// object's methods, no allocation of a garbage-collected object), bar raising an
    /// error after which no reference read through it is used again.
    #[inline(always)]
    pub unsafe fn assume(py: Python<'py>) -> Frozen<'py> {
        Frozen {
            py,
            _not_send: PhantomData,
        }
    }

    /// The GIL token.
    #[inline(always)]
    pub fn py(self) -> Python<'py> {
        self.py
    }

    /// The next key and value of dict `d` from position `pos` (start at 0); `None` at the
    /// end, or if `d` is no dict.
    #[inline(always)]
    pub fn dict_next<'a>(
        self,
        d: Obj<'a, 'py>,
        pos: &mut ffi::Py_ssize_t,
    ) -> Option<(Obj<'a, 'py>, Obj<'a, 'py>)> {
        let (mut k, mut v) = (std::ptr::null_mut(), std::ptr::null_mut());
        // SAFETY: `d` is a live object; PyDict_Next returns 0 for a non-dict and at the end,
        // else borrowed references that stay valid while the dict is unchanged (Frozen).
        if unsafe { ffi::PyDict_Next(d.as_ptr(), pos, &mut k, &mut v) } == 0 {
            return None;
        }
        // SAFETY: two non-null borrowed references, valid for 'a (above).
        unsafe {
            Some((
                Borrowed::from_ptr_or_opt(self.py, k)?,
                Borrowed::from_ptr_or_opt(self.py, v)?,
            ))
        }
    }

    /// Item `i` of list `l`; `None` if out of range or `l` is no list (an error is set).
    #[inline(always)]
    pub fn list_item<'a>(self, l: Obj<'a, 'py>, i: ffi::Py_ssize_t) -> Option<Obj<'a, 'py>> {
        // SAFETY: `l` is live; PyList_GetItem checks type and range, and returns a
        // borrowed reference valid while the list is unchanged (Frozen), or NULL.
        unsafe { Borrowed::from_ptr_or_opt(self.py, ffi::PyList_GetItem(l.as_ptr(), i)) }
    }

    /// Item `i` of tuple `t`; `None` if out of range or `t` is no tuple (an error is set).
    #[inline(always)]
    pub fn tuple_item<'a>(self, t: Obj<'a, 'py>, i: ffi::Py_ssize_t) -> Option<Obj<'a, 'py>> {
        // SAFETY: `t` is live; PyTuple_GetItem checks type and range, and returns a
        // borrowed reference the tuple holds while it lives (for 'a), or NULL.
        unsafe { Borrowed::from_ptr_or_opt(self.py, ffi::PyTuple_GetItem(t.as_ptr(), i)) }
    }
}

/// The length of a dict (-1 with an error set if `d` is none).
#[inline(always)]
pub fn dict_len(d: &Bound<'_, PyAny>) -> ffi::Py_ssize_t {
    // SAFETY: `d` is live; PyDict_Size checks its type.
    unsafe { ffi::PyDict_Size(d.as_ptr()) }
}

/// The length of a list (-1 with an error set if `l` is none).
#[inline(always)]
pub fn list_len(l: &Bound<'_, PyAny>) -> ffi::Py_ssize_t {
    // SAFETY: `l` is live; PyList_Size checks its type.
    unsafe { ffi::PyList_Size(l.as_ptr()) }
}

/// The length of a tuple (-1 with an error set if `t` is none).
#[inline(always)]
pub fn tuple_len(t: &Bound<'_, PyAny>) -> ffi::Py_ssize_t {
    // SAFETY: `t` is live; PyTuple_Size checks its type.
    unsafe { ffi::PyTuple_Size(t.as_ptr()) }
}

/// A float's value (a subclass's too: CPython reads the field and runs no code). Given
/// any other object, CPython calls its `__float__`, and -1.0 with an error set is possible.
#[inline(always)]
pub fn float_value(f: &Bound<'_, PyAny>) -> f64 {
    // SAFETY: `f` is a live object; the call accepts any.
    unsafe { ffi::PyFloat_AsDouble(f.as_ptr()) }
}

/// `o` is the `True` singleton.
#[inline(always)]
pub fn is_true(o: &Bound<'_, PyAny>) -> bool {
    // SAFETY: only the address of the static object is taken.
    o.as_ptr() == unsafe { ffi::Py_True() }
}

/// An int as `i64`, `Ok(None)` if it does not fit (any other object: its `__index__`).
#[inline(always)]
pub fn int_as_i64(i: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    let mut overflow: std::os::raw::c_int = 0;
    // SAFETY: `i` is a live object; overflow is reported through `overflow`, not raised.
    let v = unsafe { ffi::PyLong_AsLongLongAndOverflow(i.as_ptr(), &mut overflow) };
    if overflow != 0 {
        return Ok(None);
    }
    if v == -1 {
        if let Some(e) = PyErr::take(i.py()) {
            return Err(e);
        }
    }
    Ok(Some(v))
}

/// A str's UTF-8, cached in the str (no copy for ASCII, one encoding otherwise), valid
/// for as long as the str is; `None` with an error set if `s` is no str (or cannot be
/// encoded). An `Option` of a slice is two registers, where a `PyResult` goes through memory.
#[cfg(Py_3_10)]
#[inline(always)]
pub fn str_utf8<'a>(s: Obj<'a, '_>) -> Option<&'a [u8]> {
    let mut n: ffi::Py_ssize_t = 0;
    // SAFETY: `s` is live; the call checks its type and returns NULL with an error set.
    let p = unsafe { ffi::PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut n) };
    if p.is_null() {
        return None;
    }
    // SAFETY: `n` bytes at `p`, owned by the str, which lives for 'a.
    Some(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n as usize) })
}

/// A `str` from UTF-8 bytes, validated by CPython; `None` (error cleared) if invalid.
#[inline(always)]
pub fn new_str<'py>(py: Python<'py>, b: &[u8]) -> Option<Bound<'py, PyString>> {
    // SAFETY: pointer and length of a live slice; CPython copies (and checks) the bytes.
    let raw =
        unsafe { ffi::PyUnicode_DecodeUTF8(b.as_ptr().cast(), b.len() as _, c"strict".as_ptr()) };
    // SAFETY: a new reference to a str that we own, or NULL.
    let s = unsafe { Bound::from_owned_ptr_or_opt(py, raw) };
    match s {
        // SAFETY: PyUnicode_DecodeUTF8 makes a str.
        Some(s) => Some(unsafe { s.cast_into_unchecked::<PyString>() }),
        None => {
            drop(PyErr::take(py));
            None
        }
    }
}

/// A `bytes` of `parts` joined, written once into the new object (no zeroing first).
pub fn bytes_concat<'py>(py: Python<'py>, parts: &[&[u8]]) -> PyResult<Bound<'py, PyBytes>> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    // SAFETY: a new bytes object of `total` uninitialised bytes, filled completely below
    // before anything else can see it (the C API's documented way to build bytes in place).
    let raw = unsafe { ffi::PyBytes_FromStringAndSize(std::ptr::null(), total as _) };
    // SAFETY: a new reference we own, or NULL with an error set.
    let bytes = unsafe { Bound::from_owned_ptr_or_err(py, raw)?.cast_into_unchecked::<PyBytes>() };
    // SAFETY: the buffer of the bytes object just made, `total` bytes long.
    let mut dst = unsafe { ffi::PyBytes_AsString(raw).cast::<u8>() };
    for p in parts {
        // SAFETY: the parts add up to `total`: each copy stays in the buffer.
        unsafe {
            std::ptr::copy_nonoverlapping(p.as_ptr(), dst, p.len());
            dst = dst.add(p.len());
        }
    }
    Ok(bytes)
}

/// A new list (or tuple) of `n` items, each from `item`, called in order.
#[inline(always)]
pub fn new_seq<'py>(
    py: Python<'py>,
    n: usize,
    list: bool,
    mut item: impl FnMut() -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: makes a new list/tuple of `n` empty slots, which we own.
    let raw = unsafe {
        if list {
            ffi::PyList_New(n as _)
        } else {
            ffi::PyTuple_New(n as _)
        }
    };
    // SAFETY: a new reference, or NULL with an error set. If an item fails below, the
    // half-filled container is dropped; CPython's deallocators skip empty (NULL) slots.
    let seq = unsafe { Bound::from_owned_ptr_or_err(py, raw)? };
    // Making the items allocates, and an allocation can run the garbage collector and
    // Python code (gc callbacks, finalisers) that walks tracked objects (gc.get_objects);
    // a container with empty slots must not be among them until it is full.
    // SAFETY: `raw` is a live GC object we own; untracking a fresh container is allowed.
    unsafe { ffi::PyObject_GC_UnTrack(raw.cast()) };
    for i in 0..n {
        let it = item()?.into_ptr();
        // SAFETY: each slot `i < n` is set once, with a reference the call steals.
        unsafe {
            if list {
                ffi::PyList_SetItem(raw, i as _, it);
            } else {
                ffi::PyTuple_SetItem(raw, i as _, it);
            }
        }
    }
    // SAFETY: every slot is set and the container is untracked (above): track it again.
    unsafe { ffi::PyObject_GC_Track(raw.cast()) };
    Ok(seq)
}

/// `d[k] = v` for a dict `d`, without pyo3's conversions.
#[inline(always)]
pub fn dict_set(d: &Bound<'_, PyAny>, k: &Bound<'_, PyAny>, v: &Bound<'_, PyAny>) -> PyResult<()> {
    // SAFETY: three live objects; the dict takes its own references (type checked inside).
    if unsafe { ffi::PyDict_SetItem(d.as_ptr(), k.as_ptr(), v.as_ptr()) } < 0 {
        return Err(PyErr::fetch(d.py()));
    }
    Ok(())
}

/// Appends `head` then `b` to `v`, copying short `b` without a call to `memcpy`
/// (overlapping unaligned loads and stores): the short strings that dominate messages.
#[cfg(Py_3_10)]
#[inline(always)]
pub fn push_short(v: &mut Vec<u8>, head: u8, b: &[u8]) {
    use std::ptr::{copy_nonoverlapping, read_unaligned as rd, write_unaligned as wr};
    let n = b.len();
    v.reserve(n + 1);
    let src = b.as_ptr();
    // SAFETY: room for `n + 1` bytes was reserved above; every access is within the first
    // `n` bytes of `src` and of `dst + 1`, and a slice we read cannot overlap our spare room.
    unsafe {
        let dst = v.as_mut_ptr().add(v.len());
        *dst = head;
        let dst = dst.add(1);
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
        v.set_len(v.len() + n + 1);
    }
}

/// Appends a marker byte and 8 bytes (a float64) with one reserve and two stores.
#[inline(always)]
pub fn push_9(v: &mut Vec<u8>, head: u8, bytes: [u8; 8]) {
    v.reserve(9);
    // SAFETY: 9 bytes reserved above.
    unsafe {
        let dst = v.as_mut_ptr().add(v.len());
        *dst = head;
        std::ptr::write_unaligned(dst.add(1).cast::<[u8; 8]>(), bytes);
        v.set_len(v.len() + 9);
    }
}

/// Up to 32 bytes as four words, from overlapping loads (so with the length they determine
/// the bytes): one comparison and a cheap hash instead of a byte loop and a `memcmp`.
#[inline(always)]
pub fn key_words(b: &[u8]) -> [u64; 4] {
    let n = b.len();
    debug_assert!(n <= 32);
    let p = b.as_ptr();
    if n >= 8 {
        let last = n - 8;
        // SAFETY: every load reads 8 bytes at an offset of at most n - 8.
        let ld = |i: usize| unsafe { std::ptr::read_unaligned(p.add(i.min(last)).cast::<u64>()) };
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
