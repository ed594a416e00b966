//! Contexts: independent protocol state on one socket, for many requests in flight.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use nng_sys as sys;

use crate::aio::Aio;
use crate::error::{Error, NngRc, Result};
use crate::future::{RecvFuture, SendFuture, Stash, Target};
use crate::message::Message;
use crate::options::{duration_to_ms, raw_options, unsupported, OptValue, Options, ON_CTX};
use crate::socket::{SendError, Socket};

/// A context on a socket (Req0, Rep0, Sub0, Surveyor0, Respondent0). Each context
/// keeps its own request/reply state, so several can be busy at once. It keeps its
/// socket alive and closes when dropped.
///
/// ```
/// use nngbridge::{Context, Protocol, Socket};
///
/// let rep = Socket::new(Protocol::Rep0)?;
/// rep.listen("inproc://ctx-doc")?;
/// let req = Socket::new(Protocol::Req0)?;
/// req.dial("inproc://ctx-doc")?;
/// // Two requests in flight on one socket.
/// let (a, b) = (Context::new(&req)?, Context::new(&req)?);
/// a.send(b"a")?;
/// b.send(b"b")?;
/// for _ in 0..2 {
///     let m = rep.recv()?;
///     rep.send(m.body())?;
/// }
/// assert_eq!(b.recv()?.body(), b"b");
/// assert_eq!(a.recv()?.body(), b"a");
/// # Ok::<(), nngbridge::Error>(())
/// ```
pub struct Context {
    ctx: sys::nng_ctx,
    socket: Socket,
    // Messages received for a dropped RecvFuture, returned by the next receive.
    stash: Stash,
}

/// A socket's open contexts and the context calls in flight.
///
/// NNG 2.0.0 frees a closing socket as soon as its last context leaves the socket's list,
/// but the thread whose call released that context still runs the protocol's
/// `ctx_fini` afterwards, on the socket's lock (`nni_ctx_rele`): a context call racing
/// `nng_socket_close` aborts the process. So [`Socket::close`] first closes every context
/// (their calls fail with `Closed` at once), waits until no context call is left inside
/// NNG, and only then closes the socket; contexts opened after that fail with `Closed`.
#[derive(Default)]
pub(crate) struct CtxGate {
    state: Mutex<GateState>,
    idle: Condvar,
}

#[derive(Default)]
struct GateState {
    open: Vec<sys::nng_ctx>,
    calls: usize,
    closing: bool,
}

/// One context call in flight; the socket's close waits for it.
pub(crate) struct CtxCall<'a>(&'a CtxGate);

impl Drop for CtxCall<'_> {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.calls -= 1;
        if st.calls == 0 {
            self.0.idle.notify_all();
        }
    }
}

impl CtxGate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks a context call as in flight until the returned guard drops.
    pub(crate) fn enter(&self) -> CtxCall<'_> {
        self.lock().calls += 1;
        CtxCall(self)
    }

    /// Opens a context on `sock`, unless the socket is closing.
    fn open(&self, sock: sys::nng_socket) -> Result<sys::nng_ctx> {
        let mut st = self.lock();
        if st.closing {
            return Err(Error::Closed);
        }
        let mut ctx = sys::nng_ctx::default();
        // SAFETY: NNG writes the new context id into a live local.
        unsafe { sys::nng_ctx_open(&mut ctx, sock) }.check()?;
        st.open.push(ctx);
        Ok(ctx)
    }

    /// Forgets a context its owner closed.
    fn forget(&self, ctx: sys::nng_ctx) {
        // SAFETY: nng_ctx_id only reads the handle values.
        let id = |c: sys::nng_ctx| unsafe { sys::nng_ctx_id(c) };
        self.lock().open.retain(|&c| id(c) != id(ctx));
    }

    /// Closes every open context and waits until no context call is left in NNG.
    pub(crate) fn close_all(&self) {
        let open = {
            let mut st = self.lock();
            st.closing = true;
            std::mem::take(&mut st.open)
        };
        for ctx in open {
            let _call = self.enter();
            // SAFETY: closing a context of this still-open socket; its blocked calls
            // return `Closed`. A context its owner closed meanwhile answers ECLOSED.
            unsafe { sys::nng_ctx_close(ctx) };
        }
        let mut st = self.lock();
        while st.calls > 0 {
            st = self.idle.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl Context {
    /// Opens a new context on `socket`.
    pub fn new(socket: &Socket) -> Result<Context> {
        let ctx = socket.ctx_gate().open(socket.raw_handle())?;
        Ok(Context {
            ctx,
            socket: socket.clone(),
            stash: Stash::default(),
        })
    }

    /// The context's numeric id.
    pub fn id(&self) -> i32 {
        // SAFETY: reads the handle value only.
        unsafe { sys::nng_ctx_id(self.ctx) }
    }

    /// The socket the context belongs to.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Closes the context; pending operations fail with `Closed`.
    pub fn close(&self) -> Result<()> {
        let _call = self.enter();
        // SAFETY: closing our own context id; a second close fails with ECLOSED.
        let rv = unsafe { sys::nng_ctx_close(self.ctx) }.check();
        self.socket.ctx_gate().forget(self.ctx);
        rv
    }

    /// Marks a call on this context as in flight (see [`CtxGate`]).
    fn enter(&self) -> CtxCall<'_> {
        self.socket.ctx_gate().enter()
    }

    /// Sends `data`, blocking up to the context's send timeout.
    pub fn send(&self, data: &[u8]) -> Result<()> {
        self.send_msg(Message::from_bytes(data)?)
            .map_err(Error::from)
    }

    /// Sends a message; on failure you get it back.
    pub fn send_msg(&self, msg: Message) -> Result<(), SendError> {
        let _call = self.enter();
        // SAFETY: send_with passes a valid message; NNG takes it exactly when it
        // returns 0.
        unsafe { msg.send_with(|m| sys::nng_ctx_sendmsg(self.ctx, m, 0)) }
    }

    /// Receives a message, blocking up to the context's receive timeout.
    pub fn recv(&self) -> Result<Message> {
        self.recv_flags(0)
    }

    /// Receives a message if one is ready; `TryAgain` otherwise.
    pub fn try_recv(&self) -> Result<Message> {
        self.recv_flags(sys::NNG_FLAG_NONBLOCK as i32)
    }

    fn recv_flags(&self, flags: i32) -> Result<Message> {
        if let Some(m) = self.stash.pop() {
            return Ok(m);
        }
        let _call = self.enter();
        // SAFETY: on success NNG writes a message we then own through the out-pointer.
        unsafe { Message::recv_with(|p| sys::nng_ctx_recvmsg(self.ctx, p, flags)) }
    }

    /// Receives a message when awaited (see [`crate::future`]: cancel by dropping, no
    /// message is lost).
    pub fn recv_future(&self) -> RecvFuture<'_> {
        RecvFuture::new(Target::Context(
            self.ctx,
            &self.stash,
            self.socket.ctx_gate(),
        ))
    }

    /// Sends `msg` when awaited (see [`crate::future`]); on failure the message comes
    /// back in the [`SendError`].
    pub fn send_future(&self, msg: Message) -> SendFuture<'_> {
        SendFuture::new(
            Target::Context(self.ctx, &self.stash, self.socket.ctx_gate()),
            msg,
        )
    }

    /// Starts an asynchronous send of `msg` on `aio`.
    pub fn send_async(&self, aio: &Aio, msg: Message) -> Result<()> {
        aio.begin(true, Some(msg))?;
        let _call = self.enter();
        // SAFETY: the aio is valid and holds the message.
        unsafe { sys::nng_ctx_send(self.ctx, aio.as_ptr()) };
        Ok(())
    }

    /// Starts an asynchronous receive on `aio`.
    pub fn recv_async(&self, aio: &Aio) -> Result<()> {
        aio.begin(false, None)?;
        let _call = self.enter();
        // SAFETY: the aio is valid.
        unsafe { sys::nng_ctx_recv(self.ctx, aio.as_ptr()) };
        Ok(())
    }

    /// Subscribes this `Sub0` context to `topic`.
    pub fn subscribe(&self, topic: &[u8]) -> Result<()> {
        let _call = self.enter();
        // SAFETY: topic is a valid slice; NNG copies it.
        unsafe { sys::nng_sub0_ctx_subscribe(self.ctx, topic.as_ptr().cast(), topic.len()) }.check()
    }

    /// Removes a subscription of this `Sub0` context.
    pub fn unsubscribe(&self, topic: &[u8]) -> Result<()> {
        let _call = self.enter();
        // SAFETY: topic is a valid slice; NNG copies it.
        unsafe { sys::nng_sub0_ctx_unsubscribe(self.ctx, topic.as_ptr().cast(), topic.len()) }
            .check()
    }

    /// Sets the receive timeout (`None`: forever).
    pub fn set_recv_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        self.set_opt("recv_timeout", OptValue::Ms(duration_to_ms(timeout)))
    }

    /// Sets the send timeout (`None`: forever).
    pub fn set_send_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        self.set_opt("send_timeout", OptValue::Ms(duration_to_ms(timeout)))
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // Closing once more is harmless (ECLOSED ignored).
        let _ = self.close();
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("id", &self.id())
            .field("socket", &self.socket)
            .finish()
    }
}

raw_options!(Context, ON_CTX, c => c.ctx,
    get: [sys::nng_ctx_get_bool, sys::nng_ctx_get_int, sys::nng_ctx_get_size,
          sys::nng_ctx_get_ms, unsupported::get, unsupported::get],
    set: [sys::nng_ctx_set_bool, sys::nng_ctx_set_int, sys::nng_ctx_set_size,
          sys::nng_ctx_set_ms, unsupported::set, unsupported::set],
    guard: c => c.enter());
