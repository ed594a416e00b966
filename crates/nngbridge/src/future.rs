//! Futures over NNG's aio, for any executor: no runtime inside, the aio's completion
//! callback wakes the task.
//!
//! [`Socket::recv_future`](crate::Socket::recv_future) and
//! [`Context::recv_future`](crate::Context::recv_future) return a [`RecvFuture`];
//! `send_future` on either returns a [`SendFuture`]. An operation starts at the first
//! poll, so a future never polled does nothing.
//!
//! # Cancellation
//!
//! Dropping a pending future cancels its aio (`nng_aio_cancel`) and waits for the
//! completion (`nng_aio_wait`), so NNG never refers to it afterwards.
//!
//! - **Receive:** no message is lost. If one had already arrived (the operation
//!   completed, but the future was dropped before it was polled again), it is kept on
//!   the socket or context and is what the next receive there returns (async or
//!   blocking: `recv`, `try_recv`, `recv_future`).
//! - **Send:** when dropped, either NNG already took the message (it is sent as if the
//!   future had finished), or the send is canceled and the message freed. To get an
//!   unsent message back instead, call [`SendFuture::cancel`].
//!
//! A Req0 context whose receive was canceled may later return the reply it was
//! waiting for; the scene client drops such contexts rather than reuse them.
//!
//! ```
//! use nngbridge::{Message, Protocol, Socket};
//!
//! // Any executor works; this one is `futures::executor::block_on` in spirit.
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     struct W(std::thread::Thread);
//! #     impl std::task::Wake for W { fn wake(self: std::sync::Arc<Self>) { self.0.unpark() } }
//! #     let waker = std::sync::Arc::new(W(std::thread::current())).into();
//! #     let mut cx = std::task::Context::from_waker(&waker);
//! #     let mut f = std::pin::pin!(f);
//! #     loop {
//! #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
//! #         std::thread::park();
//! #     }
//! # }
//! let rep = Socket::new(Protocol::Rep0)?;
//! rep.listen("inproc://future-doc")?;
//! let req = Socket::new(Protocol::Req0)?;
//! req.dial("inproc://future-doc")?;
//!
//! block_on(async {
//!     req.send_future(Message::from_bytes(b"ping")?).await?;
//!     let m = rep.recv_future().await?;
//!     rep.send_future(m).await?;
//!     assert_eq!(req.recv_future().await?.body(), b"ping");
//!     Ok::<(), nngbridge::Error>(())
//! })?;
//! # Ok::<(), nngbridge::Error>(())
//! ```

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context as TaskContext, Poll};

use nng_sys as sys;

use crate::aio::Aio;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::socket::SendError;

/// Per socket or context: messages received for a future that was dropped before it
/// returned them, and an idle aio kept for the next future (an allocation saved per
/// operation).
#[derive(Default)]
pub(crate) struct Stash {
    msgs: Mutex<VecDeque<Message>>,
    idle: Mutex<Option<Aio>>,
}

impl Stash {
    fn aio(&self) -> Result<Aio> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).take();
        match idle {
            Some(a) => Ok(a),
            None => Aio::new(),
        }
    }

    /// Keeps a completed (idle) aio for the next future.
    fn recycle(&self, aio: Aio) {
        *self.idle.lock().unwrap_or_else(|e| e.into_inner()) = Some(aio);
    }

    pub(crate) fn pop(&self) -> Option<Message> {
        self.msgs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }

    fn push(&self, m: Message) {
        self.msgs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(m);
    }
}

/// Where an operation runs: a socket or a context.
#[derive(Clone, Copy)]
pub(crate) enum Target<'a> {
    Socket(sys::nng_socket, &'a Stash),
    Context(sys::nng_ctx, &'a Stash, &'a crate::context::CtxGate),
}

impl Target<'_> {
    fn stash(&self) -> &Stash {
        match self {
            Target::Socket(_, s) | Target::Context(_, s, _) => s,
        }
    }

    fn start_recv(&self, aio: &Aio) -> Result<()> {
        aio.begin(false, None)?;
        // SAFETY: the aio is valid and idle; the handle is kept open by the borrow the
        // future holds.
        unsafe {
            match self {
                Target::Socket(s, _) => sys::nng_socket_recv(*s, aio.as_ptr()),
                Target::Context(c, _, gate) => {
                    let _call = gate.enter();
                    sys::nng_ctx_recv(*c, aio.as_ptr())
                }
            }
        }
        Ok(())
    }

    fn start_send(&self, aio: &Aio, msg: Message) -> Result<()> {
        aio.begin(true, Some(msg))?;
        // SAFETY: as in start_recv; the aio holds the message.
        unsafe {
            match self {
                Target::Socket(s, _) => sys::nng_socket_send(*s, aio.as_ptr()),
                Target::Context(c, _, gate) => {
                    let _call = gate.enter();
                    sys::nng_ctx_send(*c, aio.as_ptr())
                }
            }
        }
        Ok(())
    }
}

/// A pending receive (see the [module docs](self) for cancellation). Resolves to the
/// message, or the error (`Timeout` after the socket's or context's receive timeout).
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a> {
    target: Target<'a>,
    aio: Option<Aio>,
}

impl<'a> RecvFuture<'a> {
    pub(crate) fn new(target: Target<'a>) -> RecvFuture<'a> {
        RecvFuture { target, aio: None }
    }
}

impl Future for RecvFuture<'_> {
    type Output = Result<Message>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<Message>> {
        let this = &mut *self;
        let aio = match &this.aio {
            Some(a) => a,
            None => {
                if let Some(m) = this.target.stash().pop() {
                    return Poll::Ready(Ok(m));
                }
                let aio = this.target.stash().aio()?;
                this.target.start_recv(&aio)?;
                this.aio.insert(aio)
            }
        };
        if aio.poll_done(cx).is_pending() {
            return Poll::Pending;
        }
        let out = aio.finish().and_then(|m| m.ok_or(Error::Internal));
        if let Some(aio) = this.aio.take() {
            this.target.stash().recycle(aio);
        }
        Poll::Ready(out)
    }
}

impl Drop for RecvFuture<'_> {
    fn drop(&mut self) {
        if let Some(aio) = self.aio.take() {
            aio.cancel();
            aio.wait();
            // Not recycled, for the same reason as in SendFuture::drop.
            // Completed before the cancel reached it: keep the message for the next
            // receive. A completion racing the cancel may read as Canceled with the
            // message still in the slot, so look at the slot, not the result.
            if let Some(m) = aio.take_msg() {
                self.target.stash().push(m);
            }
        }
    }
}

/// A pending send (see the [module docs](self) for cancellation). On failure the
/// message comes back in the [`SendError`].
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a> {
    target: Target<'a>,
    msg: Option<Message>,
    aio: Option<Aio>,
}

impl<'a> SendFuture<'a> {
    pub(crate) fn new(target: Target<'a>, msg: Message) -> SendFuture<'a> {
        SendFuture {
            target,
            msg: Some(msg),
            aio: None,
        }
    }

    /// Cancels the send and returns the message if it was not sent (`None`: NNG had
    /// already taken it).
    pub fn cancel(mut self) -> Option<Message> {
        if let Some(m) = self.msg.take() {
            return Some(m);
        }
        let aio = self.aio.take()?;
        aio.cancel();
        aio.wait();
        aio.finish_send().err().and_then(|(_, m)| m)
    }
}

impl Future for SendFuture<'_> {
    type Output = std::result::Result<(), SendError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let aio = match (&this.aio, this.msg.take()) {
            (Some(a), _) => a,
            (None, Some(message)) => {
                let aio = match this.target.stash().aio() {
                    Ok(a) => a,
                    Err(error) => return Poll::Ready(Err(SendError { error, message })),
                };
                if let Err(error) = this.target.start_send(&aio, message) {
                    // begin() failed before taking the message only if the aio was busy,
                    // which a fresh one never is; the slot then holds it.
                    return Poll::Ready(match aio.take_msg() {
                        Some(message) => Err(SendError { error, message }),
                        None => Ok(()),
                    });
                }
                this.aio.insert(aio)
            }
            (None, None) => panic!("SendFuture polled after completion"),
        };
        if aio.poll_done(cx).is_pending() {
            return Poll::Pending;
        }
        let out = aio.finish_send();
        if let Some(aio) = this.aio.take() {
            this.target.stash().recycle(aio);
        }
        Poll::Ready(match out {
            Ok(()) => Ok(()),
            Err((error, Some(message))) => Err(SendError { error, message }),
            // NNG leaves a message it did not send in the aio, so this does not happen.
            Err((error, None)) => panic!("NNG failed a send ({error}) and kept the message"),
        })
    }
}

impl Drop for SendFuture<'_> {
    fn drop(&mut self) {
        if let Some(aio) = self.aio.take() {
            aio.cancel();
            aio.wait();
            // Either sent, or the unsent message is freed with the aio. A canceled aio
            // is not recycled: NNG may keep the cancel pending for its next operation.
        }
    }
}
