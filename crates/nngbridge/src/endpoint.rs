//! Dialers and listeners: the two ends that make pipes.

use nng_sys as sys;

use crate::addr::{url_to_string, SocketAddr};
use crate::error::{NngRc, Result};
use crate::options::{raw_options, unsupported, OptValue, Options, ON_DIALER, ON_LISTENER};

/// Connects a socket to a listening peer and reconnects when the connection drops.
#[derive(Debug, Clone, Copy)]
pub struct Dialer(sys::nng_dialer);

/// Accepts connections on an address.
#[derive(Debug, Clone, Copy)]
pub struct Listener(sys::nng_listener);

impl Dialer {
    pub(crate) fn from_raw(d: sys::nng_dialer) -> Option<Dialer> {
        let d = Dialer(d);
        (d.id() > 0).then_some(d)
    }

    /// The dialer's numeric id (positive).
    pub fn id(self) -> i32 {
        // SAFETY: reads the handle value only.
        unsafe { sys::nng_dialer_id(self.0) }
    }

    /// Starts dialing; with `nonblocking`, failures are retried in the background.
    pub fn start(self, nonblocking: bool) -> Result<()> {
        let flags = if nonblocking {
            sys::NNG_FLAG_NONBLOCK as i32
        } else {
            0
        };
        // SAFETY: starting a created dialer; unknown ids give an error.
        unsafe { sys::nng_dialer_start(self.0, flags) }.check()
    }

    /// Starts dialing and reports the first attempt's outcome through `aio`, so a
    /// caller can wait for it and still give up (cancel) early.
    pub fn start_async(self, aio: &crate::Aio) -> Result<()> {
        aio.begin(false, None)?;
        // SAFETY: the aio is valid and idle; completion is reported through it. NNG
        // requires the non-blocking flag here; the aio still reports the first attempt.
        unsafe { sys::nng_dialer_start_aio(self.0, sys::NNG_FLAG_NONBLOCK as i32, aio.as_ptr()) };
        Ok(())
    }

    /// Closes the dialer and the pipe it made.
    pub fn close(self) -> Result<()> {
        // SAFETY: closing any dialer id is allowed; unknown ids give an error.
        unsafe { sys::nng_dialer_close(self.0) }.check()
    }

    /// The URL the dialer connects to.
    pub fn url(self) -> Result<String> {
        let mut url = std::ptr::null();
        // SAFETY: writes a pointer to the dialer's own URL into a live local.
        unsafe { sys::nng_dialer_get_url(self.0, &mut url) }.check()?;
        Ok(url_to_string(url))
    }
}

impl Listener {
    pub(crate) fn from_raw(l: sys::nng_listener) -> Option<Listener> {
        let l = Listener(l);
        (l.id() > 0).then_some(l)
    }

    /// The listener's numeric id (positive).
    pub fn id(self) -> i32 {
        // SAFETY: reads the handle value only.
        unsafe { sys::nng_listener_id(self.0) }
    }

    /// Starts listening.
    pub fn start(self) -> Result<()> {
        // SAFETY: starting a created listener; unknown ids give an error.
        unsafe { sys::nng_listener_start(self.0, 0) }.check()
    }

    /// Closes the listener and every pipe it accepted.
    pub fn close(self) -> Result<()> {
        // SAFETY: closing any listener id is allowed; unknown ids give an error.
        unsafe { sys::nng_listener_close(self.0) }.check()
    }

    /// The URL the listener was created with (port 0 stays 0; see [`Listener::local_address`]).
    pub fn url(self) -> Result<String> {
        let mut url = std::ptr::null();
        // SAFETY: writes a pointer to the listener's own URL into a live local.
        unsafe { sys::nng_listener_get_url(self.0, &mut url) }.check()?;
        Ok(url_to_string(url))
    }

    /// The address the listener is bound to, with the real port for `tcp://host:0`.
    pub fn local_address(self) -> Result<SocketAddr> {
        let url = self.url()?;
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url.as_str()));
        match scheme {
            "inproc" => Ok(SocketAddr::Inproc(rest.to_owned())),
            "ipc" | "unix" => Ok(SocketAddr::Ipc(rest.to_owned())),
            "abstract" => Ok(SocketAddr::Abstract(rest.as_bytes().to_vec())),
            _ => {
                let port = match self.get_opt("bound_port")? {
                    OptValue::Int(p) => u16::try_from(p).unwrap_or(0),
                    _ => 0,
                };
                let host = rest.rsplit_once(':').map(|(h, _)| h).unwrap_or(rest);
                let host = host.trim_start_matches('[').trim_end_matches(']');
                let ip = match host {
                    "" | "*" => std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                    "localhost" => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                    h => h.parse().map_err(|_| crate::Error::AddressInvalid)?,
                };
                Ok(match ip {
                    std::net::IpAddr::V4(a) => {
                        SocketAddr::Inet(std::net::SocketAddrV4::new(a, port))
                    }
                    std::net::IpAddr::V6(a) => {
                        SocketAddr::Inet6(std::net::SocketAddrV6::new(a, port, 0, 0))
                    }
                })
            }
        }
    }
}

// No string getters: `nng_dialer_get_string` and `nng_listener_get_string` return a
// pointer into the endpoint that a close on another thread frees, and NNG has no copying
// variant for endpoints. No string option is read from an endpoint.
raw_options!(Dialer, ON_DIALER, d => d.0,
    get: [sys::nng_dialer_get_bool, sys::nng_dialer_get_int, sys::nng_dialer_get_size,
          sys::nng_dialer_get_ms, unsupported::get, unsupported::get],
    set: [sys::nng_dialer_set_bool, sys::nng_dialer_set_int, sys::nng_dialer_set_size,
          sys::nng_dialer_set_ms, unsupported::set, sys::nng_dialer_set_string]);

raw_options!(Listener, ON_LISTENER, l => l.0,
    get: [sys::nng_listener_get_bool, sys::nng_listener_get_int, sys::nng_listener_get_size,
          sys::nng_listener_get_ms, unsupported::get, unsupported::get],
    set: [sys::nng_listener_set_bool, sys::nng_listener_set_int, sys::nng_listener_set_size,
          sys::nng_listener_set_ms, unsupported::set, sys::nng_listener_set_string]);

impl PartialEq for Dialer {
    fn eq(&self, other: &Dialer) -> bool {
        self.id() == other.id()
    }
}
impl Eq for Dialer {}
impl std::hash::Hash for Dialer {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.id().hash(h)
    }
}

impl PartialEq for Listener {
    fn eq(&self, other: &Listener) -> bool {
        self.id() == other.id()
    }
}
impl Eq for Listener {}
impl std::hash::Hash for Listener {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.id().hash(h)
    }
}
