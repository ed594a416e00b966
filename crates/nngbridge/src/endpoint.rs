//! Dialers and listeners: the two ends that make pipes.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use nng_sys as sys;

use crate::addr::{url_to_string, SocketAddr};
use crate::error::{Error, NngRc, Result};
use crate::options::{raw_options, unsupported, OptValue, Options, ON_DIALER, ON_LISTENER};

/// Each open endpoint's URL, by (is a listener, id). `nng_dialer_get_url` returns a
/// pointer into the endpoint after NNG lets go of it, which a close on another thread
/// frees; a URL never changes, so it is copied once, when the endpoint is made and
/// nobody else has its id yet, and read from here after.
static URLS: Mutex<Option<HashMap<(bool, i32), String>>> = Mutex::new(None);

fn urls() -> MutexGuard<'static, Option<HashMap<(bool, i32), String>>> {
    URLS.lock().unwrap_or_else(|e| e.into_inner())
}

fn url_of(listener: bool, id: i32) -> Result<String> {
    urls()
        .as_ref()
        .and_then(|m| m.get(&(listener, id)).cloned())
        .ok_or(Error::NoEntry)
}

/// Forgets the URLs of endpoints that are closed (after a close of theirs or of their
/// socket).
pub(crate) fn forget_urls(dialers: &[Dialer], listeners: &[Listener]) {
    if let Some(m) = urls().as_mut() {
        for d in dialers {
            m.remove(&(false, d.id()));
        }
        for l in listeners {
            m.remove(&(true, l.id()));
        }
    }
}

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

    pub(crate) fn raw(self) -> sys::nng_dialer {
        self.0
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
        let rv = unsafe { sys::nng_dialer_close(self.0) }.check();
        forget_urls(&[self], &[]);
        rv
    }

    /// Records the URL of a dialer just created, before its id is handed out.
    pub(crate) fn remember_url(self) -> Result<()> {
        let mut url = std::ptr::null();
        // SAFETY: writes a pointer to the dialer's URL into a live local; read at once,
        // while only our caller, which made the dialer, knows its id.
        unsafe { sys::nng_dialer_get_url(self.0, &mut url) }.check()?;
        let url = url_to_string(url);
        urls()
            .get_or_insert_with(HashMap::new)
            .insert((false, self.id()), url);
        Ok(())
    }

    /// The URL the dialer connects to; `NoEntry` once closed.
    pub fn url(self) -> Result<String> {
        let url = url_of(false, self.id())?;
        // Only to learn whether it is still open: the pointer is not read.
        let mut p = std::ptr::null();
        // SAFETY: writes a pointer into a live local.
        unsafe { sys::nng_dialer_get_url(self.0, &mut p) }.check()?;
        Ok(url)
    }
}

impl Listener {
    pub(crate) fn from_raw(l: sys::nng_listener) -> Option<Listener> {
        let l = Listener(l);
        (l.id() > 0).then_some(l)
    }

    pub(crate) fn raw(self) -> sys::nng_listener {
        self.0
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
        let rv = unsafe { sys::nng_listener_close(self.0) }.check();
        forget_urls(&[], &[self]);
        rv
    }

    /// Records the URL of a listener just created, before its id is handed out.
    pub(crate) fn remember_url(self) -> Result<()> {
        let mut url = std::ptr::null();
        // SAFETY: as in `Dialer::remember_url`.
        unsafe { sys::nng_listener_get_url(self.0, &mut url) }.check()?;
        let url = url_to_string(url);
        urls()
            .get_or_insert_with(HashMap::new)
            .insert((true, self.id()), url);
        Ok(())
    }

    /// The URL the listener was created with (port 0 stays 0; see [`Listener::local_address`]).
    pub fn url(self) -> Result<String> {
        let url = url_of(true, self.id())?;
        // Only to learn whether it is still open: the pointer is not read.
        let mut p = std::ptr::null();
        // SAFETY: writes a pointer into a live local.
        unsafe { sys::nng_listener_get_url(self.0, &mut p) }.check()?;
        Ok(url)
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
