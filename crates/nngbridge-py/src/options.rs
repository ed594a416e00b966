//! The option table's Python face: `OPTIONS` (the table as tuples) and `OptionProperty`,
//! the descriptor that makes each option a property of the objects that carry it.

use nngbridge::options::{self as o, OptDecl, OptKind, Targets};
use pyo3::exceptions::{PyAttributeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyFloat, PyInt, PyString, PyTuple};

use crate::errors::to_pyerr;

/// The option table as `(name, kind, readable, writable, targets, nng_name)` tuples,
/// where targets is a tuple of "socket", "ctx", "dialer", "listener", "pipe".
fn option_table(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyTuple>>> {
    o::OPTIONS
        .iter()
        .map(|d| {
            let kind = kind_name(d.kind);
            let mut on = Vec::new();
            for (bit, name) in [
                (o::ON_SOCKET, "socket"),
                (o::ON_CTX, "ctx"),
                (o::ON_DIALER, "dialer"),
                (o::ON_LISTENER, "listener"),
                (o::ON_PIPE, "pipe"),
            ] {
                if d.on & bit != 0 {
                    on.push(name);
                }
            }
            PyTuple::new(
                py,
                [
                    d.name.into_pyobject(py)?.into_any(),
                    kind.into_pyobject(py)?.into_any(),
                    d.readable.into_pyobject(py)?.to_owned().into_any(),
                    d.writable.into_pyobject(py)?.to_owned().into_any(),
                    PyTuple::new(py, on)?.into_any(),
                    d.nng_name.to_string_lossy().into_pyobject(py)?.into_any(),
                ],
            )
        })
        .collect()
}

/// A property backed by one entry of the option table: reading calls
/// `obj._getopt(name)`, writing `obj._setopt(name, value)`, with pynng's errors for
/// write-only options (AttributeError), read-only ones (NNG's ReadOnly) and pipes
/// (AttributeError: a pipe's options are read-only).
#[pyclass(module = "nngbridge._nng", frozen)]
pub struct OptionProperty {
    decl: &'static OptDecl,
    pipe: bool,
}

#[pymethods]
impl OptionProperty {
    #[new]
    #[pyo3(signature = (name, *, pipe = false))]
    fn new(name: &str, pipe: bool) -> PyResult<Self> {
        let decl =
            o::find(name).ok_or_else(|| PyValueError::new_err(format!("unknown option {name}")))?;
        Ok(OptionProperty { decl, pipe })
    }

    /// The option's property name.
    #[getter]
    fn name(&self) -> &'static str {
        self.decl.name
    }

    /// The value kind: "bool", "int", "size", "ms", "u64" or "str".
    #[getter]
    fn kind(&self) -> String {
        kind_name(self.decl.kind)
    }

    /// Whether the option can be read.
    #[getter]
    fn readable(&self) -> bool {
        self.decl.readable
    }

    /// Whether the option can be written (pipes' never can).
    #[getter]
    fn writable(&self) -> bool {
        self.decl.writable
    }

    /// Whether this is a pipe's (read-only) property.
    #[getter]
    fn pipe(&self) -> bool {
        self.pipe
    }

    fn __get__(
        slf: &Bound<'_, Self>,
        obj: Option<&Bound<'_, PyAny>>,
        _owner: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let Some(obj) = obj.filter(|o| !o.is_none()) else {
            return Ok(slf.clone().into_any().unbind());
        };
        let decl = slf.get().decl;
        if !decl.readable {
            return Err(PyAttributeError::new_err(format!(
                "{} is write-only",
                decl.name
            )));
        }
        Ok(obj.call_method1("_getopt", (decl.name,))?.unbind())
    }

    fn __set__(&self, obj: &Bound<'_, PyAny>, value: Bound<'_, PyAny>) -> PyResult<()> {
        let name = self.decl.name;
        if self.pipe {
            return Err(PyAttributeError::new_err(format!(
                "{name} of a pipe is read-only"
            )));
        }
        if !self.decl.writable {
            // pynng hands every write to NNG, which answers NNG_EREADONLY.
            return Err(to_pyerr(nngbridge::Error::ReadOnly));
        }
        let value = match self.decl.kind {
            OptKind::Int | OptKind::Ms | OptKind::Size => as_int(value)?,
            _ => value,
        };
        obj.call_method1("_setopt", (name, value))?;
        Ok(())
    }

    // As for a Python descriptor without __delete__ (pynng's options).
    fn __delete__(&self, _obj: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyAttributeError::new_err("__delete__"))
    }

    fn __repr__(&self) -> String {
        format!("<nngbridge option {:?}>", self.decl.name)
    }
}

fn kind_name(kind: OptKind) -> String {
    format!("{kind:?}").to_lowercase()
}

/// pynng's integer conversion: whole floats and numeric strings pass, 1.5 and "abc"
/// raise ValueError, None raises TypeError; anything else goes on as it is.
fn as_int(value: Bound<'_, PyAny>) -> PyResult<Bound<'_, PyAny>> {
    let py = value.py();
    if let Ok(f) = value.cast::<PyFloat>() {
        let v = f.value();
        if !(v.is_finite() && v.fract() == 0.0) {
            return Err(PyValueError::new_err(format!(
                "{} is not a whole number",
                value.repr()?
            )));
        }
        return py.get_type::<PyInt>().call1((value,));
    }
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        return py.get_type::<PyInt>().call1((value,));
    }
    if value.is_none() {
        return Err(PyTypeError::new_err("an integer is required, not None"));
    }
    Ok(value)
}

/// Adds `OPTIONS` and `OptionProperty`, and gives the native classes that carry options
/// their properties (the Python `Socket` classes install theirs in `nng.py`).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("OPTIONS", option_table(m.py())?)?;
    m.add_class::<OptionProperty>()?;
    for (class, on, pipe) in [
        ("Context", o::ON_CTX, false),
        ("Dialer", o::ON_DIALER, false),
        ("Listener", o::ON_LISTENER, false),
        ("Pipe", o::ON_PIPE, true),
    ] {
        install(&m.getattr(class)?, on, pipe)?;
    }
    Ok(())
}

fn install(cls: &Bound<'_, PyAny>, on: Targets, pipe: bool) -> PyResult<()> {
    let own = cls.getattr("__dict__")?;
    for decl in o::OPTIONS.iter().filter(|d| d.on & on != 0) {
        if !own.contains(decl.name)? {
            let prop = Bound::new(cls.py(), OptionProperty { decl, pipe })?;
            cls.setattr(decl.name, prop)?;
        }
    }
    Ok(())
}
