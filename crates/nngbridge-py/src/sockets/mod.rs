//! `Socket`, `Dialer`, `Listener`, `Pipe` and `Context`: pynng's objects over the core crate,
//! one module per core module.

use std::sync::{Mutex, MutexGuard};

mod context;
mod convert;
mod endpoint;
mod events;
mod pipe;
mod socket;

pub use context::Context;
pub use endpoint::{Dialer, Listener};
pub use pipe::Pipe;
pub use socket::Socket;

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
