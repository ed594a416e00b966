//! Options from one table.
//!
//! Every option is declared once in [`OPTIONS`]: its pynng-style name, NNG's name, its
//! value type, whether it can be read and written, and which objects carry it. The
//! [`Options`] trait reads and writes options of sockets, contexts, dialers, listeners and
//! pipes through that table; typed helpers (such as [`crate::Socket::set_recv_timeout`])
//! and the Python properties are built on it.

use std::ffi::{c_char, CStr, CString};
use std::time::Duration;

use nng_sys as sys;

use crate::error::{Error, Result};

/// The type of an option's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptKind {
    /// `bool`
    Bool,
    /// `int`
    Int,
    /// `size_t`
    Size,
    /// `nng_duration` in milliseconds (-1 infinite, -2 default)
    Ms,
    /// `uint64_t`
    U64,
    /// a string
    Str,
}

/// A value read from or written to an option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptValue {
    /// `bool`
    Bool(bool),
    /// `int`
    Int(i32),
    /// `size_t`
    Size(usize),
    /// milliseconds (-1 infinite)
    Ms(i32),
    /// `uint64_t`
    U64(u64),
    /// a string
    Str(String),
}

/// Which objects carry an option (a bit set of the `ON_*` constants).
pub type Targets = u8;
/// Sockets carry the option.
pub const ON_SOCKET: Targets = 1;
/// Contexts carry the option.
pub const ON_CTX: Targets = 2;
/// Dialers carry the option.
pub const ON_DIALER: Targets = 4;
/// Listeners carry the option.
pub const ON_LISTENER: Targets = 8;
/// Pipes carry the option (read-only there).
pub const ON_PIPE: Targets = 16;
const ENDPOINTS: Targets = ON_DIALER | ON_LISTENER | ON_PIPE;

/// One option's declaration.
#[derive(Debug)]
pub struct OptDecl {
    /// The pynng property name, e.g. `"recv_timeout"`.
    pub name: &'static str,
    /// NNG's option name, e.g. `"recv-timeout"`.
    pub nng_name: &'static CStr,
    /// The value type.
    pub kind: OptKind,
    /// Readable.
    pub readable: bool,
    /// Writable (never on pipes).
    pub writable: bool,
    /// The objects that carry it.
    pub on: Targets,
}

const fn decl(
    name: &'static str,
    nng: &'static [u8],
    kind: OptKind,
    rw: (bool, bool),
    on: Targets,
) -> OptDecl {
    let nng_name = match CStr::from_bytes_with_nul(nng) {
        Ok(c) => c,
        Err(_) => panic!("option names end in NUL"),
    };
    OptDecl {
        name,
        nng_name,
        kind,
        readable: rw.0,
        writable: rw.1,
        on,
    }
}

const RW: (bool, bool) = (true, true);
const RO: (bool, bool) = (true, false);
const WO: (bool, bool) = (false, true);

/// Every option this crate knows.
#[rustfmt::skip]
pub static OPTIONS: &[OptDecl] = &[
    decl("recv_buffer_size", sys::NNG_OPT_RECVBUF, OptKind::Int, RW, ON_SOCKET),
    decl("send_buffer_size", sys::NNG_OPT_SENDBUF, OptKind::Int, RW, ON_SOCKET),
    decl("recv_timeout", sys::NNG_OPT_RECVTIMEO, OptKind::Ms, RW, ON_SOCKET | ON_CTX),
    decl("send_timeout", sys::NNG_OPT_SENDTIMEO, OptKind::Ms, RW, ON_SOCKET | ON_CTX),
    decl("ttl_max", sys::NNG_OPT_MAXTTL, OptKind::Int, RW, ON_SOCKET),
    decl("recv_max_size", sys::NNG_OPT_RECVMAXSZ, OptKind::Size, RW, ON_SOCKET | ENDPOINTS),
    decl("reconnect_time_min", sys::NNG_OPT_RECONNMINT, OptKind::Ms, RW, ON_SOCKET | ON_DIALER),
    decl("reconnect_time_max", sys::NNG_OPT_RECONNMAXT, OptKind::Ms, RW, ON_SOCKET | ON_DIALER),
    decl("tcp_nodelay", sys::NNG_OPT_TCP_NODELAY, OptKind::Bool, RW, ON_SOCKET | ENDPOINTS),
    decl("tcp_keepalive", sys::NNG_OPT_TCP_KEEPALIVE, OptKind::Bool, RW, ON_SOCKET | ENDPOINTS),
    decl("polyamorous", sys::NNG_OPT_PAIR1_POLY, OptKind::Bool, RO, ON_SOCKET),
    decl("resend_time", sys::NNG_OPT_REQ_RESENDTIME, OptKind::Ms, RW, ON_SOCKET | ON_CTX),
    decl("resend_tick", sys::NNG_OPT_REQ_RESENDTICK, OptKind::Ms, RW, ON_SOCKET),
    decl("survey_time", sys::NNG_OPT_SURVEYOR_SURVEYTIME, OptKind::Ms, RW, ON_SOCKET | ON_CTX),
    decl("sub_prefnew", sys::NNG_OPT_SUB_PREFNEW, OptKind::Bool, RW, ON_SOCKET | ON_CTX),
    decl("bound_port", sys::NNG_OPT_BOUND_PORT, OptKind::Int, RO, ON_LISTENER),
    decl("tls_verified", sys::NNG_OPT_TLS_VERIFIED, OptKind::Bool, RO, ON_PIPE),
    decl("tls_peer_cn", sys::NNG_OPT_TLS_PEER_CN, OptKind::Str, RO, ON_PIPE),
    decl("ipc_permissions", sys::NNG_OPT_IPC_PERMISSIONS, OptKind::Int, WO, ON_LISTENER),
    decl("ws_request_uri", sys::NNG_OPT_WS_REQUEST_URI, OptKind::Str, RO, ON_PIPE),
];

/// What a socket reports for a transport option nobody has set on it: the value new
/// endpoints start with (NNG 1 sockets answered these; NNG 2 sockets do not).
pub(crate) fn transport_default(nng_name: &CStr) -> Option<OptValue> {
    match nng_name.to_bytes_with_nul() {
        n if n == sys::NNG_OPT_TCP_NODELAY => Some(OptValue::Bool(true)),
        n if n == sys::NNG_OPT_TCP_KEEPALIVE => Some(OptValue::Bool(false)),
        _ => None,
    }
}

/// Finds an option by its pynng-style name.
pub fn find(name: &str) -> Option<&'static OptDecl> {
    OPTIONS.iter().find(|d| d.name == name)
}

/// Typed access to one object's options (one impl per object type, below).
pub(crate) trait RawOptions {
    const TARGET: Targets;
    fn raw_get(&self, name: &CStr, kind: OptKind) -> Result<OptValue>;
    fn raw_set(&self, name: &CStr, value: &OptValue) -> Result<()>;
}

/// Reading and writing options by name, checked against [`OPTIONS`].
#[allow(private_bounds)]
///
/// ```
/// use nngbridge::{OptValue, Options, Protocol, Socket};
///
/// let s = Socket::new(Protocol::Req0)?;
/// s.set_opt("recv_timeout", OptValue::Ms(250))?;
/// assert_eq!(s.get_opt("recv_timeout")?, OptValue::Ms(250));
/// assert!(s.set_opt("polyamorous", OptValue::Bool(true)).is_err()); // read-only
/// # Ok::<(), nngbridge::Error>(())
/// ```
pub trait Options: RawOptions {
    /// Reads the option called `name` (a pynng-style name from [`OPTIONS`]).
    fn get_opt(&self, name: &str) -> Result<OptValue> {
        let d = find(name).ok_or(Error::NoEntry)?;
        if d.on & Self::TARGET == 0 {
            return Err(Error::NotSupported);
        }
        if !d.readable {
            return Err(Error::WriteOnly);
        }
        self.raw_get(d.nng_name, d.kind)
    }

    /// Writes the option called `name`; the value must have the option's type.
    fn set_opt(&self, name: &str, value: OptValue) -> Result<()> {
        let d = find(name).ok_or(Error::NoEntry)?;
        if d.on & Self::TARGET == 0 {
            return Err(Error::NotSupported);
        }
        if !d.writable || Self::TARGET == ON_PIPE {
            return Err(Error::ReadOnly);
        }
        let value = coerce(d.kind, value)?;
        self.raw_set(d.nng_name, &value)
    }

    /// Reads an option by NNG's own name, for options not in the table.
    fn get_opt_raw(&self, nng_name: &str, kind: OptKind) -> Result<OptValue> {
        let name = CString::new(nng_name).map_err(|_| Error::InvalidOperation)?;
        self.raw_get(&name, kind)
    }

    /// Writes an option by NNG's own name, for options not in the table.
    fn set_opt_raw(&self, nng_name: &str, value: OptValue) -> Result<()> {
        let name = CString::new(nng_name).map_err(|_| Error::InvalidOperation)?;
        self.raw_set(&name, &value)
    }
}

impl<T: RawOptions> Options for T {}

fn coerce(kind: OptKind, v: OptValue) -> Result<OptValue> {
    use OptValue as V;
    let int = |i: i64| i32::try_from(i).map_err(|_| Error::InvalidOperation);
    Ok(match (kind, v) {
        (OptKind::Bool, V::Bool(b)) => V::Bool(b),
        (OptKind::Int, V::Int(i)) => V::Int(i),
        (OptKind::Int, V::Size(s)) => V::Int(int(s as i64)?),
        (OptKind::Ms, V::Ms(i) | V::Int(i)) => V::Ms(i),
        (OptKind::Size, V::Size(s)) => V::Size(s),
        (OptKind::Size, V::Int(i)) => {
            V::Size(usize::try_from(i).map_err(|_| Error::InvalidOperation)?)
        }
        (OptKind::U64, V::U64(u)) => V::U64(u),
        (OptKind::Str, V::Str(s)) => V::Str(s),
        _ => return Err(Error::BadType),
    })
}

/// Converts an optional duration to NNG milliseconds (`None` is infinite).
pub(crate) fn duration_to_ms(d: Option<Duration>) -> i32 {
    match d {
        None => sys::NNG_DURATION_INFINITE,
        Some(d) => i32::try_from(d.as_millis()).unwrap_or(i32::MAX),
    }
}

/// Converts NNG milliseconds to an optional duration (negative is infinite).
pub(crate) fn ms_to_duration(ms: i32) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

/// `nng_pipe_get_strdup` into a `String`. NNG's `nng_pipe_get_string` returns a pointer
/// into the pipe after letting go of it, which a peer closing the pipe frees: the copy
/// is taken while NNG holds the pipe.
///
/// # Safety
/// `n` is a NUL-terminated string; `out` points to a live `String`.
pub(crate) unsafe fn pipe_get_string(
    p: sys::nng_pipe,
    n: *const c_char,
    out: *mut String,
) -> sys::nng_err {
    let mut s: *mut c_char = std::ptr::null_mut();
    // SAFETY: `n` is NUL-terminated (caller); NNG writes an owned copy (or null) to `s`.
    let rv = unsafe { sys::nng_pipe_get_strdup(p, n, &mut s) };
    if !s.is_null() {
        // SAFETY: `s` is a NUL-terminated string NNG allocated for us alone; it is read
        // once, then freed once with the function NNG names for it. `out` is live (caller).
        unsafe {
            *out = CStr::from_ptr(s).to_string_lossy().into_owned();
            sys::nng_strfree(s);
        }
    }
    rv
}

/// Implements `RawOptions` for one handle type from its NNG getter/setter functions.
macro_rules! raw_options {
    ($ty:ty, $target:expr, $h:ident => $handle:expr,
     get: [$gb:path, $gi:path, $gs:path, $gm:path, $gu:path, $gstr:path],
     set: [$sb:path, $si:path, $ss:path, $sm:path, $su:path, $sstr:path]
     $(, guard: $g:ident => $guard:expr)?) => {
        impl $crate::options::RawOptions for $ty {
            const TARGET: $crate::options::Targets = $target;

            fn raw_get(
                &self,
                name: &::std::ffi::CStr,
                kind: $crate::options::OptKind,
            ) -> $crate::error::Result<$crate::options::OptValue> {
                use $crate::error::NngRc;
                use $crate::options::{OptKind, OptValue};
                $(let $g = self; let _call = $guard;)?
                let $h = self;
                let h = $handle;
                let n = name.as_ptr();
                // SAFETY: each getter writes one value of the named type through a
                // pointer to a live local (strings: an owned copy, never a pointer into
                // the object); `n` is NUL-terminated.
                unsafe {
                    Ok(match kind {
                        OptKind::Bool => {
                            let mut v = false;
                            $gb(h, n, &mut v).check()?;
                            OptValue::Bool(v)
                        }
                        OptKind::Int => {
                            let mut v = 0;
                            $gi(h, n, &mut v).check()?;
                            OptValue::Int(v)
                        }
                        OptKind::Size => {
                            let mut v = 0;
                            $gs(h, n, &mut v).check()?;
                            OptValue::Size(v)
                        }
                        OptKind::Ms => {
                            let mut v = 0;
                            $gm(h, n, &mut v).check()?;
                            OptValue::Ms(v)
                        }
                        OptKind::U64 => {
                            let mut v = 0;
                            $gu(h, n, &mut v).check()?;
                            OptValue::U64(v)
                        }
                        OptKind::Str => {
                            let mut s = ::std::string::String::new();
                            $gstr(h, n, &mut s).check()?;
                            OptValue::Str(s)
                        }
                    })
                }
            }

            fn raw_set(
                &self,
                name: &::std::ffi::CStr,
                value: &$crate::options::OptValue,
            ) -> $crate::error::Result<()> {
                use $crate::error::NngRc;
                use $crate::options::OptValue;
                $(let $g = self; let _call = $guard;)?
                let $h = self;
                let h = $handle;
                let n = name.as_ptr();
                // SAFETY: each setter reads the value (strings: a NUL-terminated copy
                // that outlives the call); `n` is NUL-terminated.
                unsafe {
                    match value {
                        OptValue::Bool(v) => $sb(h, n, *v).check(),
                        OptValue::Int(v) => $si(h, n, *v).check(),
                        OptValue::Size(v) => $ss(h, n, *v).check(),
                        OptValue::Ms(v) => $sm(h, n, *v).check(),
                        OptValue::U64(v) => $su(h, n, *v).check(),
                        OptValue::Str(v) => {
                            let s = ::std::ffi::CString::new(v.as_str())
                                .map_err(|_| $crate::error::Error::InvalidOperation)?;
                            $sstr(h, n, s.as_ptr()).check()
                        }
                    }
                }
            }
        }
    };
}
pub(crate) use raw_options;

/// Stand-ins for getter/setter types NNG does not offer on some objects.
pub(crate) mod unsupported {
    use std::ffi::c_char;

    use super::Error;

    pub(crate) struct Unsupported;
    impl crate::error::NngRc for Unsupported {
        fn code(self) -> u32 {
            Error::NotSupported.errno()
        }
    }

    /// # Safety
    /// Never dereferences anything.
    pub(crate) unsafe fn get<H, T>(_: H, _: *const c_char, _: *mut T) -> Unsupported {
        Unsupported
    }
    /// # Safety
    /// Never dereferences anything.
    pub(crate) unsafe fn set<H, T>(_: H, _: *const c_char, _: T) -> Unsupported {
        Unsupported
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_pipes_are_read_only() {
        for (i, a) in OPTIONS.iter().enumerate() {
            assert!(
                OPTIONS[i + 1..].iter().all(|b| b.name != a.name),
                "{}",
                a.name
            );
            assert!(find(a.name).is_some());
        }
        assert!(find("no_such_option").is_none());
    }

    #[test]
    fn values_coerce_to_the_declared_kind_or_fail() {
        assert_eq!(coerce(OptKind::Ms, OptValue::Int(5)), Ok(OptValue::Ms(5)));
        assert_eq!(
            coerce(OptKind::Size, OptValue::Int(-1)),
            Err(Error::InvalidOperation)
        );
        assert_eq!(coerce(OptKind::Bool, OptValue::Int(1)), Err(Error::BadType));
        assert_eq!(duration_to_ms(None), -1);
        assert_eq!(ms_to_duration(-1), None);
        assert_eq!(ms_to_duration(250), Some(Duration::from_millis(250)));
    }
}
