//! The native MessagePack codec: `packb` / `unpackb` with msgpack-python's conventions.
//!
//! `bytes`/`bytearray`/buffers <-> bin, `str` <-> str, `list`/`tuple` -> array (decoded as
//! `list`, or `tuple` with `use_list=False`), `dict` <-> map, `int` (signed 64-bit to
//! unsigned 64-bit), `float` (float64), `bool`, `None`. Integers use their smallest
//! encoding, as msgpack-python does, so both produce the same bytes. Decoding checks
//! every length against the input (no allocation larger than the input) and nesting
//! depth, and raises `ValueError` on truncated, trailing or malformed data.

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::buffers;
use crate::errors::IntoPy;

/// Nesting deeper than this is refused both ways (msgpack-python's stack limit is 1024).
pub const MAX_DEPTH: usize = 512;

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
    put_len(out, s.len(), Some((0xa0, 31)), Some(0xd9), 0xda, 0xdb)?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn put_bin(out: &mut Packer, b: &[u8]) -> PyResult<()> {
    put_len(out, b.len(), None, Some(0xc4), 0xc5, 0xc6)?;
    out.extend_large(b)
}

/// Where packed bytes go: a `Vec` (for `packb`), or an NNG message that large binary
/// payloads are copied into directly (for `send_packed`), so a pixel buffer is copied
/// once on its way to the wire.
pub struct Packer {
    small: Vec<u8>,
    msg: Option<nngbridge::Message>,
}

const LARGE: usize = 64 << 10;

impl Packer {
    fn vec() -> Packer {
        Packer {
            small: Vec::with_capacity(64),
            msg: None,
        }
    }

    fn message() -> PyResult<Packer> {
        Ok(Packer {
            small: Vec::with_capacity(256),
            msg: Some(nngbridge::Message::new().py()?),
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
    pack_into(&mut p, obj, 0)?;
    p.into_message()
}

fn pack_into(out: &mut Packer, obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<()> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err("Too deeply nested"));
    }
    if obj.is_none() {
        out.push(0xc0);
    } else if let Ok(b) = obj.cast::<PyBool>() {
        out.push(if b.is_true() { 0xc3 } else { 0xc2 });
    } else if let Ok(i) = obj.cast::<PyInt>() {
        if let Ok(v) = i.extract::<i64>() {
            put_int(out, v);
        } else if let Ok(v) = i.extract::<u64>() {
            put_uint(out, v);
        } else {
            return Err(PyOverflowError::new_err("Integer value out of range"));
        }
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        out.push(0xcb);
        out.extend_from_slice(&f.value().to_be_bytes());
    } else if let Ok(s) = obj.cast::<PyString>() {
        put_str(out, &s.to_cow()?)?;
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        put_bin(out, b.as_bytes())?;
    } else if let Ok(d) = obj.cast::<PyDict>() {
        put_len(out, d.len(), Some((0x80, 15)), None, 0xde, 0xdf)?;
        for (k, v) in d.iter() {
            pack_into(out, &k, depth + 1)?;
            pack_into(out, &v, depth + 1)?;
        }
    } else if let Ok(l) = obj.cast::<PyList>() {
        put_len(out, l.len(), Some((0x90, 15)), None, 0xdc, 0xdd)?;
        for item in l.iter() {
            pack_into(out, &item, depth + 1)?;
        }
    } else if let Ok(t) = obj.cast::<PyTuple>() {
        put_len(out, t.len(), Some((0x90, 15)), None, 0xdc, 0xdd)?;
        for item in t.iter() {
            pack_into(out, &item, depth + 1)?;
        }
    } else {
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
    Ok(())
}

/// `packb(obj)`: serialise `obj` to MessagePack `bytes`.
#[pyfunction]
pub fn packb<'py>(py: Python<'py>, obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let mut out = Packer::vec();
    pack_into(&mut out, obj, 0)?;
    Ok(PyBytes::new(py, &out.small))
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    use_list: bool,
    raw: bool,
    strict_map_key: bool,
}

fn err(msg: &str) -> PyErr {
    PyValueError::new_err(msg.to_owned())
}

impl<'a> Reader<'a> {
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
        if depth > MAX_DEPTH {
            return Err(err("Unpack failed: too deeply nested"));
        }
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
        let s = std::str::from_utf8(b).map_err(|_| err("Unpack failed: invalid UTF-8 in str"))?;
        Ok(PyString::new(py, s).into_any())
    }

    fn check_count(&self, n: usize, min_item: usize) -> PyResult<()> {
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
        self.check_count(n, 1)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.value(py, depth + 1)?);
        }
        Ok(if self.use_list {
            PyList::new(py, items)?.into_any()
        } else {
            PyTuple::new(py, items)?.into_any()
        })
    }

    fn map<'py>(&mut self, py: Python<'py>, n: usize, depth: usize) -> PyResult<Bound<'py, PyAny>> {
        self.check_count(n, 2)?;
        let d = PyDict::new(py);
        for _ in 0..n {
            let k = self.value(py, depth + 1)?;
            if self.strict_map_key
                && !(k.is_instance_of::<PyString>() || k.is_instance_of::<PyBytes>())
            {
                return Err(err(&format!(
                    "{} is not allowed for map key when strict_map_key=True",
                    k.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                )));
            }
            let v = self.value(py, depth + 1)?;
            d.set_item(k, v)
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
    m.add("MAX_DEPTH", MAX_DEPTH)?;
    Ok(())
}
