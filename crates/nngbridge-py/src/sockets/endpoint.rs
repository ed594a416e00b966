//! `Dialer` and `Listener`: a socket's endpoints. What they share is written once, in
//! `endpoint_class!`; each adds what differs (its URL, its local address, options).

use nngbridge::Options;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyWeakrefReference};

use super::context::aio_call;
use super::convert::{opt_from_py, opt_to_py, sockaddr_to_py};
use super::socket::{owner_socket, Socket};
use crate::errors::{to_pyerr, IntoPy};

/// A `#[pymethods]` block for an endpoint type: the methods both kinds have, then `$extra`.
/// (pyo3 allows one `#[pymethods]` block per class without the `multiple-pymethods`
/// feature, so the shared part is spliced in rather than written in a second block.)
macro_rules! endpoint_class {
    ($ty:ident, $field:ident, $forget:ident, { $($extra:tt)* }) => {
        #[pymethods]
        impl $ty {
            /// The endpoint's numeric id.
            #[getter]
            fn id(&self) -> i32 {
                self.$field.id()
            }

            /// The socket the endpoint belongs to.
            #[getter]
            fn socket<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, Socket>> {
                owner_socket(py, &self.owner)
            }

            /// The socket's peer protocol number; NNG's NotSupported on writes, as in pynng.
            #[getter]
            fn peer<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.socket(py)?.getattr("peer")
            }

            #[setter]
            fn set_peer(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
                Err(to_pyerr(nngbridge::Error::NotSupported))
            }

            /// The socket's peer protocol name; NNG's NotSupported on writes, as in pynng.
            #[getter]
            fn peer_name<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.socket(py)?.getattr("peer_name")
            }

            #[setter]
            fn set_peer_name(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
                Err(to_pyerr(nngbridge::Error::NotSupported))
            }

            #[setter]
            fn set_url(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
                Err(to_pyerr(nngbridge::Error::ReadOnly))
            }

            /// NNG 2 endpoints have no remote address: NotSupported.
            #[getter]
            fn remote_address(&self) -> PyResult<Py<PyAny>> {
                not_supported()
            }

            /// An NNG 1 option that NNG 2 removed: NotSupported.
            #[getter]
            fn tls_ca_file(&self) -> PyResult<Py<PyAny>> {
                not_supported()
            }

            /// An NNG 1 option that NNG 2 removed: NotSupported.
            #[getter]
            fn tls_cert_key_file(&self) -> PyResult<Py<PyAny>> {
                not_supported()
            }

            /// An NNG 1 option that NNG 2 removed: NotSupported.
            #[getter]
            fn tls_auth_mode(&self) -> PyResult<Py<PyAny>> {
                not_supported()
            }

            /// An NNG 1 option that NNG 2 removed: NotSupported.
            #[getter]
            fn tls_server_name(&self) -> PyResult<Py<PyAny>> {
                not_supported()
            }

            /// Write-only in pynng: reading raises TypeError.
            #[getter]
            fn tls_config(&self) -> PyResult<Py<PyAny>> {
                Err(PyTypeError::new_err("tls_config cannot be read"))
            }

            /// Uses a `TLSConfig` for this (not yet started) `tls+tcp://` endpoint.
            #[setter]
            fn set_tls_config(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
                self.$field.set_tls(&crate::tls::native(value)?).py()
            }

            /// Closes the endpoint and its connections, as a coroutine (pynng 1.0).
            fn aclose(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
                aio_call(slf, "aclose", None)
            }

            /// `async with`: closes it at the end (pynng 1.0).
            fn __aenter__(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
                aio_call(slf, "aenter", None)
            }

            #[pyo3(signature = (*_exc_info))]
            fn __aexit__(
                slf: &Bound<'_, Self>,
                _exc_info: &Bound<'_, PyTuple>,
            ) -> PyResult<Py<PyAny>> {
                aio_call(slf, "aexit", None)
            }

            /// Closes the endpoint and its connections.
            fn close(&self, py: Python<'_>) -> PyResult<()> {
                let endpoint = self.$field;
                let r = py.detach(move || endpoint.close());
                if let Ok(s) = owner_socket(py, &self.owner) {
                    s.get().$forget(self.$field.id());
                }
                r.py()
            }

            fn _getopt(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
                opt_to_py(py, self.$field.get_opt(name).py()?)
            }

            fn _setopt(&self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
                self.$field.set_opt(name, opt_from_py(name, value)?).py()
            }

            $($extra)*
        }
    };
}

/// Connects a socket to a listening peer.
#[pyclass(module = "nngbridge._nng", frozen, weakref)]
pub struct Dialer {
    pub(super) dialer: nngbridge::Dialer,
    pub(super) owner: Option<Py<PyWeakrefReference>>,
}

endpoint_class!(Dialer, dialer, _forget_dialer, {
    /// The URL being dialed.
    #[getter]
    fn url(&self) -> PyResult<String> {
        self.dialer.url().py()
    }

    /// A dialer has no local address until it connects; pynng reported an empty one.
    #[getter]
    fn local_address(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        sockaddr_to_py(py, &nngbridge::SocketAddr::Unspecified)
    }
});

/// Accepts connections on an address.
#[pyclass(module = "nngbridge._nng", frozen, weakref)]
pub struct Listener {
    pub(super) listener: nngbridge::Listener,
    pub(super) owner: Option<Py<PyWeakrefReference>>,
}

endpoint_class!(Listener, listener, _forget_listener, {
    /// The URL, with the real port when listening on port 0.
    #[getter]
    fn url(&self) -> PyResult<String> {
        let url = self.listener.url().py()?;
        match self.listener.local_address() {
            Ok(nngbridge::SocketAddr::Inet(a)) if url.starts_with("tcp") => {
                let scheme = url.split("://").next().unwrap_or("tcp");
                Ok(format!("{scheme}://{a}"))
            }
            _ => Ok(url),
        }
    }

    /// The bound address (a `sockaddr` object), with the real port for port 0.
    #[getter]
    fn local_address(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        sockaddr_to_py(py, &self.listener.local_address().py()?)
    }

    /// The socket's minimum reconnect time: NNG 1 listeners had it, NNG 2's do not.
    #[getter]
    fn reconnect_time_min<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.socket(py)?.getattr("reconnect_time_min")
    }

    #[setter]
    fn set_reconnect_time_min(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.socket(py)?.setattr("reconnect_time_min", value)
    }

    /// The socket's maximum reconnect time: NNG 1 listeners had it, NNG 2's do not.
    #[getter]
    fn reconnect_time_max<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.socket(py)?.getattr("reconnect_time_max")
    }

    #[setter]
    fn set_reconnect_time_max(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.socket(py)?.setattr("reconnect_time_max", value)
    }
});

fn not_supported() -> PyResult<Py<PyAny>> {
    Err(to_pyerr(nngbridge::Error::NotSupported))
}
