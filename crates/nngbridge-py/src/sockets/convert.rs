//! Conversions between Python values and the core crate's addresses, options and protocols.

use nngbridge::{OptValue, Protocol};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::buffers;
use crate::errors::IntoPy;

pub(super) fn address_str(address: &Bound<'_, PyAny>) -> PyResult<String> {
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
pub(super) fn check_url(url: &str) -> nngbridge::Result<()> {
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

pub(super) fn topic_bytes(topic: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(s) = topic.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    buffers::with_bytes(topic, |b| Ok(b.to_vec()))
}

pub(super) fn protocol_from(name: &str, poly: bool) -> PyResult<Protocol> {
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

/// A `nngbridge.sockaddr` object for an address: `sockaddr._native(family, data,
/// host_addr, host_port, scope)`, with pynng's family numbers (`nngbridge.lib.NNG_AF_*`).
pub fn sockaddr_to_py(py: Python<'_>, a: &nngbridge::SocketAddr) -> PyResult<Py<PyAny>> {
    let native = py.import("nngbridge.sockaddr")?.getattr("_native")?;
    use nngbridge::SocketAddr as A;
    let obj = match a {
        // NNG 1 (pynng) reported the whole URL as an inproc address's name.
        A::Inproc(n) if n.starts_with("inproc://") => native.call1((1, n.as_bytes()))?,
        A::Inproc(n) => native.call1((1, format!("inproc://{n}").into_bytes()))?,
        A::Ipc(p) => native.call1((2, p.as_bytes()))?,
        A::Inet(s) => native.call1((3, b"", u32::from(*s.ip()), s.port()))?,
        A::Inet6(s) => native.call1((
            4,
            PyBytes::new(py, &s.ip().octets()),
            0,
            s.port(),
            s.scope_id(),
        ))?,
        A::Abstract(n) => native.call1((6, PyBytes::new(py, n)))?,
        A::Unspecified => native.call1((0,))?,
    };
    Ok(obj.unbind())
}
