//! Pipes: one connection between a socket and a peer.

use std::ffi::CStr;

use nng_sys as sys;

use crate::addr::SocketAddr;
use crate::endpoint::{Dialer, Listener};
use crate::error::{NngRc, Result};
use crate::options::{raw_options, unsupported, ON_PIPE};

/// A connection to one peer. A `Pipe` is a plain id: it stays valid to hold after the
/// connection closes, and calls on a closed pipe fail with [`crate::Error::Closed`] or
/// [`crate::Error::NoEntry`].
#[derive(Debug, Clone, Copy)]
pub struct Pipe(sys::nng_pipe);

/// What happened to a pipe, as passed to a pipe-event handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PipeEvent {
    /// Connected, not yet usable; closing the pipe now rejects the peer.
    AddPre,
    /// Connected and in use.
    AddPost,
    /// Removed.
    RemPost,
}

impl PipeEvent {
    pub(crate) fn from_raw(ev: sys::nng_pipe_ev) -> Option<PipeEvent> {
        match ev {
            sys::NNG_PIPE_EV_ADD_PRE => Some(PipeEvent::AddPre),
            sys::NNG_PIPE_EV_ADD_POST => Some(PipeEvent::AddPost),
            sys::NNG_PIPE_EV_REM_POST => Some(PipeEvent::RemPost),
            _ => None,
        }
    }
}

impl Pipe {
    pub(crate) fn from_raw(p: sys::nng_pipe) -> Option<Pipe> {
        let pipe = Pipe(p);
        (pipe.id() > 0).then_some(pipe)
    }

    pub(crate) fn raw(self) -> sys::nng_pipe {
        self.0
    }

    /// The pipe's numeric id (positive).
    pub fn id(self) -> i32 {
        // SAFETY: nng_pipe_id only reads the handle value.
        unsafe { sys::nng_pipe_id(self.0) }
    }

    /// The id of the socket that owns the pipe.
    pub fn socket_id(self) -> i32 {
        // SAFETY: plain handle lookups.
        unsafe { sys::nng_socket_id(sys::nng_pipe_socket(self.0)) }
    }

    /// The dialer that made the pipe, if it was dialed.
    pub fn dialer(self) -> Option<Dialer> {
        // SAFETY: plain handle lookup.
        Dialer::from_raw(unsafe { sys::nng_pipe_dialer(self.0) })
    }

    /// The listener that accepted the pipe, if it was accepted.
    pub fn listener(self) -> Option<Listener> {
        // SAFETY: plain handle lookup.
        Listener::from_raw(unsafe { sys::nng_pipe_listener(self.0) })
    }

    /// Closes the connection.
    pub fn close(self) -> Result<()> {
        // SAFETY: closing any pipe id is allowed; unknown ids give an error.
        unsafe { sys::nng_pipe_close(self.0) }.check()
    }

    /// The remote end's address.
    pub fn remote_address(self) -> Result<SocketAddr> {
        let mut sa = sys::nng_sockaddr::default();
        // SAFETY: writes one sockaddr into a live local.
        unsafe { sys::nng_pipe_peer_addr(self.0, &mut sa) }.check()?;
        Ok(SocketAddr::from_raw(&sa))
    }

    /// The local end's address.
    pub fn local_address(self) -> Result<SocketAddr> {
        let mut sa = sys::nng_sockaddr::default();
        // SAFETY: writes one sockaddr into a live local.
        unsafe { sys::nng_pipe_self_addr(self.0, &mut sa) }.check()?;
        Ok(SocketAddr::from_raw(&sa))
    }

    /// The transport scheme (`"tcp"`, `"ipc"`, `"inproc"`, ...).
    pub fn scheme(self) -> Result<String> {
        let mut p = std::ptr::null();
        // SAFETY: writes a pointer to a static string into a live local.
        unsafe { sys::nng_pipe_get_scheme(self.0, &mut p) }.check()?;
        if p.is_null() {
            return Ok(String::new());
        }
        // SAFETY: p is a static NUL-terminated string.
        Ok(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }
}

raw_options!(Pipe, ON_PIPE, p => p.0,
    get: [sys::nng_pipe_get_bool, sys::nng_pipe_get_int, sys::nng_pipe_get_size,
          sys::nng_pipe_get_ms, unsupported::get, crate::options::pipe_get_string],
    set: [unsupported::set, unsupported::set, unsupported::set,
          unsupported::set, unsupported::set, unsupported::set]);

impl PartialEq for Pipe {
    fn eq(&self, other: &Pipe) -> bool {
        self.id() == other.id()
    }
}
impl Eq for Pipe {}
impl std::hash::Hash for Pipe {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.id().hash(h)
    }
}
