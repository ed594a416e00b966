//! `Pipe`: one connection of a socket to a peer.

use std::sync::Mutex;

use nngbridge::Options;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyWeakrefReference;

use super::convert::{opt_to_py, sockaddr_to_py};
use super::endpoint::{Dialer, Listener};
use super::lock;
use super::socket::{owner_socket, Socket};
use crate::buffers;
use crate::errors::{to_pyerr, IntoPy};
use crate::message::Message;

/// One connection of a socket to a peer.
#[pyclass(module = "nngbridge._nng", frozen, weakref)]
pub struct Pipe {
    pub(crate) pipe: nngbridge::Pipe,
    pub(super) owner: Option<Py<PyWeakrefReference>>,
    pub(super) closed: Mutex<bool>,
}

#[pymethods]
impl Pipe {
    /// The pipe's numeric id.
    #[getter]
    fn id(&self) -> i32 {
        self.pipe.id()
    }

    /// The socket the pipe belongs to.
    #[getter]
    fn socket<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, Socket>> {
        owner_socket(py, &self.owner)
    }

    /// Whether the pipe was accepted by a listener (else it was dialed).
    #[getter]
    fn _from_listener(&self) -> bool {
        self.pipe.listener().is_some()
    }

    /// Whether `close()` was called on this pipe.
    #[getter]
    fn closed(&self) -> bool {
        *lock(&self.closed)
    }

    /// The dialer that made the pipe; `TypeError` if it was accepted by a listener.
    #[getter]
    fn dialer(&self, py: Python<'_>) -> PyResult<Py<Dialer>> {
        let d = self
            .pipe
            .dialer()
            .ok_or_else(|| PyTypeError::new_err("This pipe has no associated dialers."))?;
        let s = owner_socket(py, &self.owner)?;
        let found = lock(&s.get().shared.dialers)
            .get(&d.id())
            .map(|x| x.clone_ref(py));
        match found {
            Some(x) => Ok(x),
            None => s.get().add_dialer(py, d),
        }
    }

    /// The listener that accepted the pipe; `TypeError` if it was dialed.
    #[getter]
    fn listener(&self, py: Python<'_>) -> PyResult<Py<Listener>> {
        let l = self
            .pipe
            .listener()
            .ok_or_else(|| PyTypeError::new_err("This pipe has no associated listeners."))?;
        let s = owner_socket(py, &self.owner)?;
        let found = lock(&s.get().shared.listeners)
            .get(&l.id())
            .map(|x| x.clone_ref(py));
        found.ok_or_else(|| to_pyerr(nngbridge::Error::NoEntry))
    }

    /// The local address of the connection.
    #[getter]
    fn local_address(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        sockaddr_to_py(py, &self.pipe.local_address().py()?)
    }

    /// The remote address of the connection.
    #[getter]
    fn remote_address(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        sockaddr_to_py(py, &self.pipe.remote_address().py()?)
    }

    /// The socket's peer protocol number.
    #[getter]
    fn peer<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.socket(py)?.getattr("peer")
    }

    /// The socket's peer protocol name.
    #[getter]
    fn peer_name<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.socket(py)?.getattr("peer_name")
    }

    /// The socket's protocol number.
    #[getter]
    fn protocol<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.socket(py)?.getattr("protocol")
    }

    /// The socket's protocol name.
    #[getter]
    fn protocol_name<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.socket(py)?.getattr("protocol_name")
    }

    /// The URL of the dialer or listener that made the pipe.
    #[getter]
    fn url<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self._from_listener() {
            self.listener(py)?.into_bound(py).getattr("url")
        } else {
            self.dialer(py)?.into_bound(py).getattr("url")
        }
    }

    /// Sends `data` to this pipe's peer only, without blocking the event loop.
    fn asend<'py>(slf: &Bound<'py, Self>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let msg = slf.py().get_type::<Message>().call1((data,))?;
        Self::asend_msg(slf, msg.cast_into::<Message>()?)
    }

    /// Sends a `Message` to this pipe's peer only, without blocking the event loop.
    fn asend_msg<'py>(
        slf: &Bound<'py, Self>,
        msg: Bound<'py, Message>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        msg.setattr("pipe", slf)?;
        let sock = slf.get().socket(py)?;
        py.import("nngbridge._aio")?
            .getattr("asend_msg")?
            .call1((sock, msg))
    }

    /// Closes the connection (in a pre-connect callback: rejects the peer).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let p = self.pipe;
        py.detach(move || p.close()).py()?;
        *lock(&self.closed) = true;
        Ok(())
    }

    /// Sends `data` to this pipe's peer only.
    fn send(slf: &Bound<'_, Self>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let mut m = buffers::message_from(data)?;
        m.set_pipe(slf.get().pipe);
        let s = owner_socket(py, &slf.get().owner)?;
        s.get().send_message(py, m, true)
    }

    /// Sends a `Message` to this pipe's peer only.
    fn send_msg(slf: &Bound<'_, Self>, msg: &Bound<'_, Message>) -> PyResult<()> {
        let py = slf.py();
        msg.get().set_pipe_obj(Some(slf.clone().unbind()));
        let s = owner_socket(py, &slf.get().owner)?;
        let m = msg.get().take_for_send(py)?;
        s.get()
            .send_or_return(py, m, true)
            .map_err(|(e, back)| msg.get().keep_unsent(e, back))
    }

    fn _getopt(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        opt_to_py(py, self.pipe.get_opt(name).py()?)
    }

    fn __repr__(&self) -> String {
        format!("<nngbridge.Pipe id={}>", self.pipe.id())
    }
}
