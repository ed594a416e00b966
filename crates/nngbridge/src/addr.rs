//! Socket addresses as NNG reports them (pipes' local and remote ends, listeners).

use std::ffi::CStr;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use nng_sys as sys;

/// An address of a pipe or listener, one variant per NNG address family.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SocketAddr {
    /// `inproc://name`
    Inproc(String),
    /// `ipc://path`
    Ipc(String),
    /// `tcp://a.b.c.d:port`
    Inet(SocketAddrV4),
    /// `tcp://[::1]:port`
    Inet6(SocketAddrV6),
    /// Linux abstract socket (`abstract://name`).
    Abstract(Vec<u8>),
    /// No address.
    Unspecified,
}

impl SocketAddr {
    /// NNG's address family number (`NNG_AF_*`), as pynng reports it.
    pub fn family(&self) -> u16 {
        match self {
            SocketAddr::Unspecified => 0,
            SocketAddr::Inproc(_) => 1,
            SocketAddr::Ipc(_) => 2,
            SocketAddr::Inet(_) => 3,
            SocketAddr::Inet6(_) => 4,
            SocketAddr::Abstract(_) => 5,
        }
    }

    pub(crate) fn from_raw(sa: &sys::nng_sockaddr) -> SocketAddr {
        let text = |bytes: &[std::ffi::c_char]| {
            let b: Vec<u8> = bytes
                .iter()
                .take_while(|c| **c != 0)
                .map(|c| *c as u8)
                .collect();
            String::from_utf8_lossy(&b).into_owned()
        };
        // SAFETY: s_family is the common first field of every variant of the union,
        // and it tells which variant NNG filled in.
        unsafe {
            match u32::from(sa.s_family) {
                1 => SocketAddr::Inproc(text(&sa.s_inproc.sa_name)),
                2 => SocketAddr::Ipc(text(&sa.s_ipc.sa_path)),
                3 => {
                    let a = sa.s_in;
                    SocketAddr::Inet(SocketAddrV4::new(
                        Ipv4Addr::from(u32::from_be(a.sa_addr)),
                        u16::from_be(a.sa_port),
                    ))
                }
                4 => {
                    let a = sa.s_in6;
                    SocketAddr::Inet6(SocketAddrV6::new(
                        Ipv6Addr::from(a.sa_addr),
                        u16::from_be(a.sa_port),
                        0,
                        a.sa_scope,
                    ))
                }
                5 => {
                    let a = sa.s_abstract;
                    let n = usize::from(a.sa_len).min(a.sa_name.len());
                    SocketAddr::Abstract(a.sa_name[..n].to_vec())
                }
                _ => SocketAddr::Unspecified,
            }
        }
    }
}

impl fmt::Display for SocketAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocketAddr::Inproc(n) => write!(f, "inproc://{n}"),
            SocketAddr::Ipc(p) => write!(f, "ipc://{p}"),
            SocketAddr::Inet(a) => write!(f, "tcp://{a}"),
            SocketAddr::Inet6(a) => write!(f, "tcp://[{}]:{}", a.ip(), a.port()),
            SocketAddr::Abstract(n) => write!(f, "abstract://{}", String::from_utf8_lossy(n)),
            SocketAddr::Unspecified => write!(f, "unspecified"),
        }
    }
}

/// Formats an `nng_url` as text.
pub(crate) fn url_to_string(url: *const sys::nng_url) -> String {
    if url.is_null() {
        return String::new();
    }
    let mut buf = vec![0 as std::ffi::c_char; 512];
    // SAFETY: url is a valid URL owned by its dialer/listener; sprintf writes at most
    // buf.len() bytes including the NUL and returns the full length it needed.
    let n = unsafe { sys::nng_url_sprintf(buf.as_mut_ptr(), buf.len(), url) };
    if n < 0 {
        return String::new();
    }
    let need = n as usize + 1;
    if need > buf.len() {
        buf = vec![0; need];
        // SAFETY: as above, with a buffer that is now large enough.
        unsafe { sys::nng_url_sprintf(buf.as_mut_ptr(), buf.len(), url) };
    }
    // SAFETY: the buffer is NUL-terminated by nng_url_sprintf (zero-filled otherwise).
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}
