//! # nngbridge
//!
//! A thin, safe layer over [NNG](https://nng.nanomsg.org) 2.0 (through `nng-sys`, vendored
//! and linked statically). It is the only crate of the project that touches C.
//!
//! What it is for: sockets of every NNG protocol, messages whose bodies are read and
//! written in place, contexts for many requests in flight, pipes and their events,
//! dialers and listeners, every option from one table ([`options::OPTIONS`]), asynchronous
//! operations ([`Aio`]), futures over them for any async runtime ([`future`]), and one [`Error`] for every NNG error code.
//!
//! Large message buffers (1 MiB and up) are reused on Unix: NNG allocates through this
//! crate, which keeps freed large blocks mapped for the next message instead of a fresh
//! `mmap` that page-faults on every page (`set_buffer_cache_limit`, 256 MiB by default).
//!
//! What it is not for: Python (see the `nngbridge-py` crate), MessagePack or the scene
//! protocol (`nngbridge-scene`, whose `codec::SocketExt` sends and receives typed values).
//!
//! ```
//! use nngbridge::{Protocol, Socket};
//!
//! let rep = Socket::new(Protocol::Rep0)?;
//! rep.listen("inproc://doc-example")?;
//! let req = Socket::new(Protocol::Req0)?;
//! req.dial("inproc://doc-example")?;
//!
//! req.send(b"ping")?;
//! let msg = rep.recv()?;
//! assert_eq!(msg.body(), b"ping");
//! rep.send(b"pong")?;
//! assert_eq!(req.recv()?.body(), b"pong");
//! # Ok::<(), nngbridge::Error>(())
//! ```

mod addr;
mod aio;
mod context;
mod endpoint;
mod error;
pub mod future;
mod message;
pub mod options;
mod pipe;
mod protocol;
mod socket;
mod tls;

#[cfg(unix)]
mod alloc;
/// Off Unix NNG keeps the C library's allocator: there is no cache, so nothing to set.
#[cfg(not(unix))]
mod alloc {
    /// Always 0: no cache off Unix.
    pub fn buffer_cache_limit() -> usize {
        0
    }
    /// Does nothing off Unix; returns 0.
    pub fn set_buffer_cache_limit(_bytes: usize) -> usize {
        0
    }
    /// Always 0: no cache off Unix.
    pub fn buffer_cache_size() -> usize {
        0
    }
}
pub use alloc::{buffer_cache_limit, buffer_cache_size, set_buffer_cache_limit};

pub use addr::SocketAddr;
pub use aio::{Aio, AioCallback};
pub use context::Context;
pub use endpoint::{Dialer, Listener};
pub use error::{Error, Result, ERROR_CODES};
pub use future::{RecvFuture, SendFuture};
pub use message::Message;
pub use options::{OptKind, OptValue, Options};
pub use pipe::{Pipe, PipeEvent};
pub use protocol::Protocol;
pub use socket::{PipeHandler, SendError, Socket};
pub use tls::{tls_engine, TlsAuthMode, TlsConfig, TlsMode};

/// Initialises NNG once (NNG 2 needs `nng_init` before any other call). Every
/// constructor calls it, so calling it yourself is never required. On Unix, NNG's large
/// buffers then come from a cache of mappings (see `set_buffer_cache_limit`).
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(unix)]
        let params = nng_sys::nng_init_params {
            malloc_fn: Some(alloc::nng_malloc),
            calloc_fn: Some(alloc::nng_calloc),
            free_fn: Some(alloc::nng_free),
            ..Default::default()
        };
        #[cfg(unix)]
        let params: *const nng_sys::nng_init_params = &params;
        #[cfg(not(unix))]
        let params = std::ptr::null();
        // SAFETY: params is null (defaults) or points to a struct that outlives the call,
        // whose three allocator functions are all set (NNG wants all or none); Once
        // makes it run once, before any other NNG call.
        unsafe { nng_sys::nng_init(params) };
    });
}

/// The version of the NNG library linked in, e.g. `"2.0.0"`.
pub fn nng_version() -> String {
    // SAFETY: nng_version returns a static NUL-terminated string.
    let p = unsafe { nng_sys::nng_version() };
    if p.is_null() {
        return String::new();
    }
    // SAFETY: p is non-null and static.
    unsafe { std::ffi::CStr::from_ptr(p) }
        .to_string_lossy()
        .into_owned()
}
