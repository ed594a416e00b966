//! Asynchronous operations (`nng_aio`): start a send or receive, then wait for it,
//! poll it, cancel it, or be called back when it completes.
//!
//! This is what blocking calls that must stay interruptible, and async adapters, are
//! built on: the completion sets a flag and wakes waiters, then runs the optional
//! callback on an NNG thread.

use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use nng_sys as sys;

use crate::error::{Error, NngRc, Result};
use crate::message::Message;

/// Called on an NNG thread when an operation completes. It must not block for long and
/// must not drop the [`Aio`] it belongs to.
pub type AioCallback = Box<dyn Fn() + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Idle,
    Send,
    Recv,
    Sleep,
}

struct State {
    op: Op,
    done: bool,
    // Woken after `done` is set, under the same lock: a poll that registers its waker
    // and then sees `done == false` is guaranteed a wake-up (see `poll_done`).
    waker: Option<Waker>,
}

struct Shared {
    state: Mutex<State>,
    cv: Condvar,
    callback: Option<AioCallback>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One asynchronous operation slot. Only one operation runs on an `Aio` at a time.
///
/// ```
/// use std::time::Duration;
/// use nngbridge::{Aio, Error, Protocol, Socket};
///
/// let pull = Socket::new(Protocol::Pull0)?;
/// pull.listen("inproc://aio-doc")?;
/// let aio = Aio::new()?;
/// pull.recv_async(&aio)?;
/// assert!(!aio.wait_timeout(Duration::from_millis(10))); // nothing yet
/// aio.cancel();
/// aio.wait();
/// assert_eq!(aio.finish().unwrap_err(), Error::Canceled);
/// # Ok::<(), nngbridge::Error>(())
/// ```
pub struct Aio {
    ptr: NonNull<sys::nng_aio>,
    shared: Arc<Shared>,
}

// SAFETY: nng_aio functions are thread-safe; the shared state is behind a Mutex.
unsafe impl Send for Aio {}
// SAFETY: as above; &Aio methods only call thread-safe NNG functions.
unsafe impl Sync for Aio {}

unsafe extern "C" fn on_complete(arg: *mut c_void) {
    // SAFETY: arg is the Shared that the Aio keeps alive until nng_aio_free has
    // returned, and nng_aio_free waits for this callback to finish.
    let shared = unsafe { &*(arg as *const Shared) };
    // The callback runs first, so that whoever waits sees its effects.
    if let Some(cb) = &shared.callback {
        cb();
    }
    let waker = {
        let mut st = shared.lock();
        st.done = true;
        st.waker.take()
    };
    shared.cv.notify_all();
    if let Some(w) = waker {
        w.wake();
    }
}

impl Aio {
    /// An `Aio` without a callback; use [`Aio::wait`] or [`Aio::wait_timeout`].
    pub fn new() -> Result<Aio> {
        Aio::build(None)
    }

    /// An `Aio` that also calls `callback` on completion.
    pub fn with_callback(callback: AioCallback) -> Result<Aio> {
        Aio::build(Some(callback))
    }

    fn build(callback: Option<AioCallback>) -> Result<Aio> {
        crate::init();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                op: Op::Idle,
                done: true,
                waker: None,
            }),
            cv: Condvar::new(),
            callback,
        });
        let mut p = std::ptr::null_mut();
        let arg = Arc::as_ptr(&shared) as *mut c_void;
        // SAFETY: on_complete matches the callback signature and `arg` outlives the aio
        // (see Drop).
        unsafe { sys::nng_aio_alloc(&mut p, Some(on_complete), arg) }.check()?;
        let ptr = NonNull::new(p).ok_or(Error::NoMemory)?;
        Ok(Aio { ptr, shared })
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::nng_aio {
        self.ptr.as_ptr()
    }

    /// Marks the start of an operation; fails with `Busy` if one is running.
    pub(crate) fn begin(&self, op_send: bool, msg: Option<Message>) -> Result<()> {
        let mut st = self.shared.lock();
        if !st.done {
            return Err(Error::Busy);
        }
        st.done = false;
        st.op = if op_send { Op::Send } else { Op::Recv };
        if let Some(m) = msg {
            // SAFETY: the aio is idle, so nobody else reads its message slot now.
            unsafe { sys::nng_aio_set_msg(self.as_ptr(), m.into_raw().as_ptr()) };
        }
        Ok(())
    }

    /// Sets the timeout of the next operation (`None`: use the socket's or context's own).
    pub fn set_timeout(&self, timeout: Option<Duration>) {
        let ms = match timeout {
            None => sys::NNG_DURATION_DEFAULT,
            Some(d) => i32::try_from(d.as_millis()).unwrap_or(i32::MAX),
        };
        // SAFETY: the aio is valid.
        unsafe { sys::nng_aio_set_timeout(self.as_ptr(), ms) }
    }

    /// Sets the timeout in NNG milliseconds (-1 infinite, -2 the socket's default).
    pub fn set_timeout_ms(&self, ms: i32) {
        // SAFETY: the aio is valid.
        unsafe { sys::nng_aio_set_timeout(self.as_ptr(), ms) }
    }

    /// Starts a sleep of `ms` milliseconds (a timer that completes with success).
    pub fn sleep(&self, ms: u32) -> Result<()> {
        {
            let mut st = self.shared.lock();
            if !st.done {
                return Err(Error::Busy);
            }
            st.done = false;
            st.op = Op::Sleep;
        }
        let ms = i32::try_from(ms).unwrap_or(i32::MAX);
        // SAFETY: the aio is valid and idle.
        unsafe { sys::nng_sleep_aio(ms, self.as_ptr()) };
        Ok(())
    }

    /// Asks the running operation to stop; it completes with `Canceled`.
    pub fn cancel(&self) {
        // NNG's cancel of a completed aio overwrites its result with Canceled, which
        // would turn a received message into an error: cancel only what still runs.
        if self.is_done() {
            return;
        }
        // SAFETY: the aio is valid.
        unsafe { sys::nng_aio_cancel(self.as_ptr()) }
    }

    /// Whether the last operation has completed (true when idle).
    pub fn is_done(&self) -> bool {
        self.shared.lock().done
    }

    /// `Ready` once the running operation has completed; otherwise stores the task's
    /// waker (replacing an earlier one), which the completion wakes.
    pub fn poll_done(&self, cx: &mut TaskContext<'_>) -> Poll<()> {
        let mut st = self.shared.lock();
        if st.done {
            st.waker = None;
            return Poll::Ready(());
        }
        match &st.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => st.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Blocks until the running operation completes.
    pub fn wait(&self) {
        let mut st = self.shared.lock();
        while !st.done {
            st = self.shared.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Blocks up to `timeout` for the running operation; returns whether it completed.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let st = self.shared.lock();
        let (st, _) = self
            .shared
            .cv
            .wait_timeout_while(st, timeout, |s| !s.done)
            .unwrap_or_else(|e| e.into_inner());
        st.done
    }

    /// The result of the completed operation.
    pub fn result(&self) -> Result<()> {
        // SAFETY: the aio is valid.
        unsafe { sys::nng_aio_result(self.as_ptr()) }.check()
    }

    /// Takes the message out of a completed operation: the received message after a
    /// successful receive, or the unsent message after a failed send.
    pub fn take_msg(&self) -> Option<Message> {
        let st = self.shared.lock();
        if !st.done {
            return None;
        }
        // SAFETY: the operation completed, so NNG no longer touches the slot. After a
        // successful send the message belongs to NNG, so we clear the slot instead.
        unsafe {
            let p = sys::nng_aio_get_msg(self.as_ptr());
            sys::nng_aio_set_msg(self.as_ptr(), std::ptr::null_mut());
            if st.op == Op::Send && self.result().is_ok() {
                return None;
            }
            NonNull::new(p).map(|p| Message::from_raw(p))
        }
    }

    /// Completes a finished send: `Ok` once NNG has the message; a send that failed
    /// leaves the message with the caller, so it comes back with the error.
    pub fn finish_send(&self) -> std::result::Result<(), (Error, Option<Message>)> {
        let res = self.result();
        let msg = self.take_msg();
        self.shared.lock().op = Op::Idle;
        res.map_err(|e| (e, msg))
    }

    /// Completes the bookkeeping of a finished operation and returns its outcome: the
    /// received message for a receive, `None` for a send or sleep.
    pub fn finish(&self) -> Result<Option<Message>> {
        let op = self.shared.lock().op;
        let res = self.result();
        let msg = self.take_msg();
        self.shared.lock().op = Op::Idle;
        res?;
        Ok(if op == Op::Recv { msg } else { None })
    }
}

impl Drop for Aio {
    fn drop(&mut self) {
        // SAFETY: stop cancels any operation and waits for its callback, so nothing
        // refers to `shared` afterwards; we then free a message left in the slot
        // (a failed send or an unread receive) and the aio, exactly once.
        unsafe {
            sys::nng_aio_stop(self.as_ptr());
            drop(self.take_msg());
            sys::nng_aio_free(self.as_ptr());
        }
    }
}

impl std::fmt::Debug for Aio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.shared.lock();
        f.debug_struct("Aio")
            .field("op", &st.op)
            .field("done", &st.done)
            .finish()
    }
}
