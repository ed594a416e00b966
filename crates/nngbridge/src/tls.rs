//! TLS for `tls+tcp://`: NNG's TLS with mbedTLS linked in statically.
//!
//! A [`TlsConfig`] is made for one side ([`TlsMode::Client`] for dialers,
//! [`TlsMode::Server`] for listeners), filled with certificates and keys, then given to a
//! [`Dialer`], a [`Listener`] or a [`Socket`] (which gives it to every endpoint it makes).
//! Once an endpoint has used it, NNG freezes it: later setters fail with
//! [`Error::Busy`].
//!
//! ```
//! use nngbridge::{Protocol, Socket, TlsAuthMode, TlsConfig, TlsMode};
//!
//! let client = TlsConfig::new(TlsMode::Client)?;
//! client.set_server_name("localhost")?;
//! client.set_auth_mode(TlsAuthMode::None)?;
//! let sock = Socket::new(Protocol::Pair0)?;
//! sock.set_tls(&client)?;
//! # Ok::<(), nngbridge::Error>(())
//! ```

use std::ffi::{CStr, CString};
use std::path::Path;
use std::ptr::NonNull;

use nng_sys as sys;

use crate::endpoint::{Dialer, Listener};
use crate::error::{Error, NngRc, Result};
use crate::socket::Socket;

/// Which side of the handshake a [`TlsConfig`] is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsMode {
    /// Dialers: verifies the server's certificate.
    Client,
    /// Listeners: presents its own certificate.
    Server,
}

/// Whether the peer must present a certificate that verifies against the CA chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsAuthMode {
    /// No verification (a client then trusts any server; a server asks for no
    /// client certificate).
    None,
    /// Verify a certificate if the peer presents one.
    Optional,
    /// The peer must present a certificate that verifies (clients' default).
    Required,
}

impl TlsMode {
    /// NNG's (and pynng's) number: client 0, server 1.
    pub fn code(self) -> i32 {
        match self {
            TlsMode::Client => 0,
            TlsMode::Server => 1,
        }
    }

    /// The mode for NNG's number, if it is one.
    pub fn from_code(code: i32) -> Option<TlsMode> {
        match code {
            0 => Some(TlsMode::Client),
            1 => Some(TlsMode::Server),
            _ => None,
        }
    }

    fn raw(self) -> sys::nng_tls_mode {
        match self {
            TlsMode::Client => sys::nng_tls_mode::NNG_TLS_MODE_CLIENT,
            TlsMode::Server => sys::nng_tls_mode::NNG_TLS_MODE_SERVER,
        }
    }
}

impl TlsAuthMode {
    /// NNG's (and pynng's) number: none 0, optional 1, required 2.
    pub fn code(self) -> i32 {
        match self {
            TlsAuthMode::None => 0,
            TlsAuthMode::Optional => 1,
            TlsAuthMode::Required => 2,
        }
    }

    /// The mode for NNG's number, if it is one.
    pub fn from_code(code: i32) -> Option<TlsAuthMode> {
        match code {
            0 => Some(TlsAuthMode::None),
            1 => Some(TlsAuthMode::Optional),
            2 => Some(TlsAuthMode::Required),
            _ => None,
        }
    }

    fn raw(self) -> sys::nng_tls_auth_mode {
        match self {
            TlsAuthMode::None => sys::nng_tls_auth_mode::NNG_TLS_AUTH_MODE_NONE,
            TlsAuthMode::Optional => sys::nng_tls_auth_mode::NNG_TLS_AUTH_MODE_OPTIONAL,
            TlsAuthMode::Required => sys::nng_tls_auth_mode::NNG_TLS_AUTH_MODE_REQUIRED,
        }
    }
}

/// An NNG TLS configuration. Cloning shares it (NNG counts references); NNG locks it
/// internally, so it may be used from any thread.
#[derive(Debug)]
pub struct TlsConfig {
    cfg: NonNull<sys::nng_tls_config>,
    mode: TlsMode,
}

// SAFETY: nng_tls_config is reference counted and guarded by its own mutex in NNG;
// every call here goes through NNG's locked API.
unsafe impl Send for TlsConfig {}
// SAFETY: as for Send: no method touches the config outside NNG's lock.
unsafe impl Sync for TlsConfig {}

impl TlsConfig {
    /// A new, empty configuration for `mode`.
    pub fn new(mode: TlsMode) -> Result<TlsConfig> {
        crate::init();
        let mut p = std::ptr::null_mut();
        // SAFETY: NNG writes a new config (one reference, ours) into a live local.
        unsafe { sys::nng_tls_config_alloc(&mut p, mode.raw()) }.check()?;
        let cfg = NonNull::new(p).ok_or(Error::Internal)?;
        Ok(TlsConfig { cfg, mode })
    }

    /// The side this configuration is for.
    pub fn mode(&self) -> TlsMode {
        self.mode
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::nng_tls_config {
        self.cfg.as_ptr()
    }

    /// The name the server's certificate must match (a client's SNI and check).
    pub fn set_server_name(&self, name: &str) -> Result<()> {
        let name = c_string(name)?;
        // SAFETY: a live config and a NUL-terminated string NNG copies.
        unsafe { sys::nng_tls_config_server_name(self.as_ptr(), name.as_ptr()) }.check()
    }

    /// The trusted CA certificates (PEM, one or more), with an optional PEM CRL.
    pub fn set_ca_chain(&self, pem: &str, crl: Option<&str>) -> Result<()> {
        let pem = c_string(pem)?;
        let crl = crl.map(c_string).transpose()?;
        let crl_ptr = crl.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        // SAFETY: a live config; NUL-terminated strings (or a null CRL) NNG parses and
        // copies before returning.
        unsafe { sys::nng_tls_config_ca_chain(self.as_ptr(), pem.as_ptr(), crl_ptr) }.check()
    }

    /// This side's certificate (PEM) and private key (PEM), the key optionally
    /// encrypted with `password`. NNG takes one own certificate per configuration.
    pub fn set_own_cert(&self, cert: &str, key: &str, password: Option<&str>) -> Result<()> {
        let cert = c_string(cert)?;
        let key = c_string(key)?;
        let pass = password.map(c_string).transpose()?;
        let pass_ptr = pass.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        // SAFETY: a live config; NUL-terminated strings (or a null password) NNG parses
        // and copies before returning.
        unsafe {
            sys::nng_tls_config_own_cert(self.as_ptr(), cert.as_ptr(), key.as_ptr(), pass_ptr)
        }
        .check()
    }

    /// Whether the peer's certificate is required, optional or not checked.
    pub fn set_auth_mode(&self, mode: TlsAuthMode) -> Result<()> {
        // SAFETY: a live config and a valid enum value.
        unsafe { sys::nng_tls_config_auth_mode(self.as_ptr(), mode.raw()) }.check()
    }

    /// Adds the CA certificates (and CRLs) of a PEM file.
    pub fn add_ca_file(&self, path: &Path) -> Result<()> {
        let path = c_path(path)?;
        // SAFETY: a live config and a NUL-terminated path NNG reads before returning.
        unsafe { sys::nng_tls_config_ca_file(self.as_ptr(), path.as_ptr()) }.check()
    }

    /// This side's certificate and private key from one PEM file holding both.
    pub fn set_cert_key_file(&self, path: &Path, password: Option<&str>) -> Result<()> {
        let path = c_path(path)?;
        let pass = password.map(c_string).transpose()?;
        let pass_ptr = pass.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        // SAFETY: a live config; NUL-terminated strings (or a null password) NNG reads
        // before returning.
        unsafe { sys::nng_tls_config_cert_key_file(self.as_ptr(), path.as_ptr(), pass_ptr) }.check()
    }
}

impl Clone for TlsConfig {
    fn clone(&self) -> TlsConfig {
        // SAFETY: a live config; the hold is released by the clone's Drop.
        unsafe { sys::nng_tls_config_hold(self.as_ptr()) };
        TlsConfig {
            cfg: self.cfg,
            mode: self.mode,
        }
    }
}

impl Drop for TlsConfig {
    fn drop(&mut self) {
        // SAFETY: releases the one reference this value owns; endpoints hold their own.
        unsafe { sys::nng_tls_config_free(self.as_ptr()) };
    }
}

/// The TLS engine linked in, e.g. `"mbed"`, and its description (with the version).
pub fn tls_engine() -> (String, String) {
    // SAFETY: both return static NUL-terminated strings (or null).
    let (name, desc) = unsafe {
        (
            sys::nng_tls_engine_name(),
            sys::nng_tls_engine_description(),
        )
    };
    (static_str(name), static_str(desc))
}

impl Dialer {
    /// Uses `cfg` for this (not yet started) `tls+tcp://` dialer. Other transports fail
    /// with [`Error::NotSupported`]; a started dialer with [`Error::Busy`].
    pub fn set_tls(self, cfg: &TlsConfig) -> Result<()> {
        // SAFETY: a live config; NNG takes its own reference.
        unsafe { sys::nng_dialer_set_tls(self.raw(), cfg.as_ptr()) }.check()
    }
}

impl Listener {
    /// Uses `cfg` for this (not yet started) `tls+tcp://` listener. Other transports
    /// fail with [`Error::NotSupported`]; a started listener with [`Error::Busy`].
    pub fn set_tls(self, cfg: &TlsConfig) -> Result<()> {
        // SAFETY: a live config; NNG takes its own reference.
        unsafe { sys::nng_listener_set_tls(self.raw(), cfg.as_ptr()) }.check()
    }
}

impl Socket {
    /// Uses `cfg` for every `tls+tcp://` endpoint this socket makes from now on, as
    /// pynng's `Socket.tls_config` does: the endpoints of other transports ignore it.
    pub fn set_tls(&self, cfg: &TlsConfig) -> Result<()> {
        self.set_endpoint_tls(Some(cfg.clone()));
        Ok(())
    }

    /// The configuration given with [`Socket::set_tls`], if any.
    pub fn tls(&self) -> Option<TlsConfig> {
        self.endpoint_tls()
    }
}

fn c_string(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::InvalidOperation)
}

#[cfg(unix)]
fn c_path(p: &Path) -> Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes()).map_err(|_| Error::InvalidOperation)
}

#[cfg(not(unix))]
fn c_path(p: &Path) -> Result<CString> {
    c_string(p.to_str().ok_or(Error::InvalidOperation)?)
}

fn static_str(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: p is a static NUL-terminated string from NNG.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_fails_and_mode_codes_round_trip() {
        let cfg = TlsConfig::new(TlsMode::Client).expect("alloc");
        assert!(cfg.set_ca_chain("not a certificate", None).is_err());
        assert_eq!(cfg.set_server_name("a\0b"), Err(Error::InvalidOperation));
        for m in [
            TlsAuthMode::None,
            TlsAuthMode::Optional,
            TlsAuthMode::Required,
        ] {
            assert_eq!(TlsAuthMode::from_code(m.code()), Some(m));
        }
        assert_eq!(TlsMode::from_code(1), Some(TlsMode::Server));
        assert!(tls_engine().0.contains("mbed"), "{:?}", tls_engine());
    }
}
