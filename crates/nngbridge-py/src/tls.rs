//! `TlsConfig` for Python (`nngbridge.tls.TLSConfig` builds on it), and how a socket, a
//! dialer or a listener takes one.

use std::path::PathBuf;

use nngbridge::{TlsAuthMode, TlsMode};
use pyo3::prelude::*;

use crate::errors::IntoPy;
use crate::sockets::Socket;

/// An NNG TLS configuration (see `nngbridge.tls.TLSConfig`).
#[pyclass(module = "nngbridge._nng", name = "TlsConfig", frozen)]
pub struct TlsConfig {
    cfg: nngbridge::TlsConfig,
}

#[pymethods]
impl TlsConfig {
    #[new]
    fn new(mode: i32) -> PyResult<TlsConfig> {
        // NNG's answer to an unknown mode, as pynng reports it.
        let mode = TlsMode::from_code(mode)
            .ok_or(nngbridge::Error::InvalidOperation)
            .py()?;
        Ok(TlsConfig {
            cfg: nngbridge::TlsConfig::new(mode).py()?,
        })
    }

    /// 0 for a client, 1 for a server.
    #[getter]
    fn mode(&self) -> i32 {
        self.cfg.mode().code()
    }

    fn set_server_name(&self, name: &str) -> PyResult<()> {
        self.cfg.set_server_name(name).py()
    }

    #[pyo3(signature = (chain, crl=None))]
    fn set_ca_chain(&self, chain: &str, crl: Option<&str>) -> PyResult<()> {
        self.cfg.set_ca_chain(chain, crl).py()
    }

    #[pyo3(signature = (cert, key, passwd=None))]
    fn set_own_cert(&self, cert: &str, key: &str, passwd: Option<&str>) -> PyResult<()> {
        self.cfg.set_own_cert(cert, key, passwd).py()
    }

    fn set_auth_mode(&self, mode: i32) -> PyResult<()> {
        let mode = TlsAuthMode::from_code(mode)
            .ok_or(nngbridge::Error::InvalidOperation)
            .py()?;
        self.cfg.set_auth_mode(mode).py()
    }

    fn add_ca_file(&self, path: PathBuf) -> PyResult<()> {
        self.cfg.add_ca_file(&path).py()
    }

    #[pyo3(signature = (path, passwd=None))]
    fn set_cert_key_file(&self, path: PathBuf, passwd: Option<&str>) -> PyResult<()> {
        self.cfg.set_cert_key_file(&path, passwd).py()
    }

    /// Uses this configuration for every TLS endpoint `socket` makes from now on.
    fn _apply_socket(&self, socket: &Bound<'_, Socket>) -> PyResult<()> {
        socket.get().sock.set_tls(&self.cfg).py()
    }
}

/// The TLS engine linked in: `(name, description)`, e.g. `("mbed", "Mbed TLS 3.6.3")`.
#[pyfunction]
fn tls_engine() -> (String, String) {
    nngbridge::tls_engine()
}

/// The native configuration of a Python `TLSConfig` (its `_tls_config`), for the
/// `tls_config` setters of dialers and listeners.
pub fn native(value: &Bound<'_, PyAny>) -> PyResult<nngbridge::TlsConfig> {
    let inner = value.getattr("_tls_config").ok();
    match inner.as_ref().and_then(|i| i.cast::<TlsConfig>().ok()) {
        Some(cfg) => Ok(cfg.get().cfg.clone()),
        None => Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "tls_config must be a TLSConfig, not {}",
            value.get_type().name()?
        ))),
    }
}

/// Adds `TlsConfig` and `tls_engine` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<TlsConfig>()?;
    m.add_function(wrap_pyfunction!(tls_engine, m)?)?;
    Ok(())
}
