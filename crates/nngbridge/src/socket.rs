//! Sockets: open one per protocol, dial and listen, send and receive.

use std::ffi::{c_void, CStr, CString};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nng_sys as sys;

use crate::aio::Aio;
use crate::context::CtxGate;
use crate::endpoint::{Dialer, Listener};
use crate::error::{Error, NngRc, Result};
use crate::future::{RecvFuture, SendFuture, Stash, Target};
use crate::message::Message;
use crate::options::{
    duration_to_ms, ms_to_duration, raw_options, unsupported, OptKind, OptValue, Options,
    RawOptions, Targets, ON_DIALER, ON_LISTENER, ON_SOCKET,
};
use crate::pipe::{Pipe, PipeEvent};
use crate::protocol::Protocol;

/// A handler for pipe events, run on an NNG thread.
pub type PipeHandler = Arc<dyn Fn(Pipe, PipeEvent) + Send + Sync>;

struct PipeSlot {
    handler: Mutex<Option<PipeHandler>>,
}

struct Inner {
    sock: sys::nng_socket,
    protocol: Protocol,
    raw: bool,
    // Boxed so its address, given to NNG as the callback argument, never moves.
    pipes: Box<PipeSlot>,
    // NNG 2 copies endpoint options (recv_max_size, reconnect times, tcp_*) from the
    // socket only when an endpoint is created; NNG 1 (and so pynng) applied them to
    // existing ones too. We keep what was set and apply it to every endpoint.
    endpoints: Mutex<EndpointOptions>,
    // Messages received for a dropped RecvFuture, returned by the next receive.
    stash: Stash,
    // The open contexts and the context calls in flight (see CtxGate).
    ctx_gate: CtxGate,
}

#[derive(Default)]
struct EndpointOptions {
    values: Vec<(CString, OptValue)>,
    dialers: Vec<Dialer>,
    listeners: Vec<Listener>,
    tls: Option<crate::TlsConfig>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // SAFETY: closing our own socket once; after close returns no pipe callback
        // runs any more (NNG waits for all pipes), so `pipes` may be freed after this.
        unsafe { sys::nng_socket_close(self.sock) };
        self.forget_urls();
    }
}

impl Inner {
    /// Drops the recorded URLs of this socket's endpoints, closed with it.
    fn forget_urls(&self) {
        let eps = self.endpoints.lock().unwrap_or_else(|e| e.into_inner());
        crate::endpoint::forget_urls(&eps.dialers, &eps.listeners);
    }
}

/// An NNG socket. Cloning gives another handle to the same socket; the socket closes
/// when [`Socket::close`] is called or the last handle is dropped.
#[derive(Clone)]
pub struct Socket {
    inner: Arc<Inner>,
}

/// A failed [`Socket::send_msg`]: the error and the message, which still belongs to you.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct SendError {
    /// Why the send failed.
    pub error: Error,
    /// The message that was not sent.
    pub message: Message,
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Error {
        e.error
    }
}

unsafe extern "C" fn on_pipe_event(pipe: sys::nng_pipe, ev: sys::nng_pipe_ev, arg: *mut c_void) {
    // SAFETY: arg is the socket's boxed PipeSlot, freed only after nng_socket_close
    // returned, after which NNG makes no more pipe callbacks.
    let slot = unsafe { &*(arg as *const PipeSlot) };
    let handler = slot
        .handler
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if let (Some(h), Some(p), Some(e)) = (handler, Pipe::from_raw(pipe), PipeEvent::from_raw(ev)) {
        h(p, e);
    }
}

impl Socket {
    /// Opens a socket of the given protocol.
    pub fn new(protocol: Protocol) -> Result<Socket> {
        Socket::open(protocol, false)
    }

    /// Opens a raw socket (no protocol state; headers are yours to manage).
    pub fn new_raw(protocol: Protocol) -> Result<Socket> {
        Socket::open(protocol, true)
    }

    fn open(protocol: Protocol, raw: bool) -> Result<Socket> {
        crate::init();
        let sock = protocol.open(raw)?;
        let inner = Inner {
            sock,
            protocol,
            raw,
            pipes: Box::new(PipeSlot {
                handler: Mutex::new(None),
            }),
            endpoints: Mutex::new(EndpointOptions::default()),
            stash: Stash::default(),
            ctx_gate: CtxGate::default(),
        };
        let arg = &*inner.pipes as *const PipeSlot as *mut c_void;
        for ev in [
            sys::NNG_PIPE_EV_ADD_PRE,
            sys::NNG_PIPE_EV_ADD_POST,
            sys::NNG_PIPE_EV_REM_POST,
        ] {
            // SAFETY: the callback argument lives as long as the socket (see Inner::drop).
            unsafe { sys::nng_pipe_notify(sock, ev, Some(on_pipe_event), arg) }.check()?;
        }
        Ok(Socket {
            inner: Arc::new(inner),
        })
    }

    /// The socket's open contexts and context calls (see [`CtxGate`]).
    pub(crate) fn ctx_gate(&self) -> &CtxGate {
        &self.inner.ctx_gate
    }

    pub(crate) fn raw_handle(&self) -> sys::nng_socket {
        self.inner.sock
    }

    /// The socket's numeric id.
    pub fn id(&self) -> i32 {
        // SAFETY: reads the handle value only.
        unsafe { sys::nng_socket_id(self.inner.sock) }
    }

    /// The protocol the socket was opened with.
    pub fn protocol(&self) -> Protocol {
        self.inner.protocol
    }

    /// Whether the socket is raw.
    pub fn is_raw(&self) -> bool {
        self.inner.raw
    }

    /// NNG's 16-bit protocol number (e.g. 0x30 for req).
    pub fn protocol_id(&self) -> Result<u16> {
        let mut id = 0u16;
        // SAFETY: writes one u16 into a live local.
        unsafe { sys::nng_socket_proto_id(self.inner.sock, &mut id) }.check()?;
        Ok(id)
    }

    /// The peer protocol's number (e.g. 0x31 for req's peer rep).
    pub fn peer_id(&self) -> Result<u16> {
        let mut id = 0u16;
        // SAFETY: writes one u16 into a live local.
        unsafe { sys::nng_socket_peer_id(self.inner.sock, &mut id) }.check()?;
        Ok(id)
    }

    /// NNG's protocol name, from the open socket (fails with `Closed` once closed).
    pub fn protocol_name(&self) -> Result<String> {
        let mut p = std::ptr::null();
        // SAFETY: writes a pointer to a static string into a live local.
        unsafe { sys::nng_socket_proto_name(self.inner.sock, &mut p) }.check()?;
        Ok(static_str(p))
    }

    /// The peer protocol's name.
    pub fn peer_name(&self) -> Result<String> {
        let mut p = std::ptr::null();
        // SAFETY: writes a pointer to a static string into a live local.
        unsafe { sys::nng_socket_peer_name(self.inner.sock, &mut p) }.check()?;
        Ok(static_str(p))
    }

    /// Closes the socket now: blocked and pending operations fail with `Closed`.
    /// Its contexts are closed first, and the call returns once no context call is
    /// left running; contexts opened afterwards fail with `Closed`. Closing twice
    /// returns `Err(Closed)`.
    pub fn close(&self) -> Result<()> {
        // Contexts first, and no context call left in NNG (see CtxGate).
        self.inner.ctx_gate.close_all();
        // SAFETY: closing our socket id; NNG makes a second close fail with ECLOSED.
        let rv = unsafe { sys::nng_socket_close(self.inner.sock) }.check();
        self.inner.forget_urls();
        rv
    }

    /// Listens on `url` (e.g. `tcp://127.0.0.1:5555`, `ipc:///tmp/x`, `inproc://x`).
    pub fn listen(&self, url: &str) -> Result<Listener> {
        let l = self.listener_create(url)?;
        if let Err(e) = l.start() {
            let _ = l.close();
            return Err(e);
        }
        Ok(l)
    }

    /// Dials `url` and waits for the first connection attempt; fails with
    /// `ConnectionRefused` if nobody listens.
    pub fn dial(&self, url: &str) -> Result<Dialer> {
        self.dial_with(url, false)
    }

    /// Dials `url` in the background: returns at once and keeps retrying.
    pub fn dial_nonblocking(&self, url: &str) -> Result<Dialer> {
        self.dial_with(url, true)
    }

    fn dial_with(&self, url: &str, nonblocking: bool) -> Result<Dialer> {
        let d = self.dialer_create(url)?;
        if let Err(e) = d.start(nonblocking) {
            let _ = d.close();
            return Err(e);
        }
        Ok(d)
    }

    /// Creates a dialer without starting it, so its options can be set first.
    pub fn dialer_create(&self, url: &str) -> Result<Dialer> {
        let url = c_url(url)?;
        let mut d = sys::nng_dialer::default();
        // SAFETY: url is NUL-terminated; NNG writes the new dialer into a live local.
        unsafe { sys::nng_dialer_create(&mut d, self.inner.sock, url.as_ptr()) }.check()?;
        let d = Dialer::from_raw(d).ok_or(Error::Internal)?;
        if let Err(e) = d.remember_url() {
            let _ = d.close();
            return Err(e);
        }
        let mut eps = self.endpoints();
        for (name, v) in &eps.values {
            let _ = d.raw_set(name, v);
        }
        if let Some(Err(e)) = eps.tls.as_ref().map(|c| d.set_tls(c)) {
            if e != Error::NotSupported {
                let _ = d.close();
                return Err(e);
            }
        }
        eps.dialers.push(d);
        Ok(d)
    }

    /// Creates a listener without starting it, so its options can be set first.
    pub fn listener_create(&self, url: &str) -> Result<Listener> {
        let url = c_url(url)?;
        let mut l = sys::nng_listener::default();
        // SAFETY: url is NUL-terminated; NNG writes the new listener into a live local.
        unsafe { sys::nng_listener_create(&mut l, self.inner.sock, url.as_ptr()) }.check()?;
        let l = Listener::from_raw(l).ok_or(Error::Internal)?;
        if let Err(e) = l.remember_url() {
            let _ = l.close();
            return Err(e);
        }
        let mut eps = self.endpoints();
        for (name, v) in &eps.values {
            let _ = l.raw_set(name, v);
        }
        if let Some(Err(e)) = eps.tls.as_ref().map(|c| l.set_tls(c)) {
            if e != Error::NotSupported {
                let _ = l.close();
                return Err(e);
            }
        }
        eps.listeners.push(l);
        Ok(l)
    }

    /// Keeps `cfg` for the endpoints made from now on (see `Socket::set_tls`) and gives
    /// it to the existing ones that have not started (the others keep theirs).
    pub(crate) fn set_endpoint_tls(&self, cfg: Option<crate::TlsConfig>) {
        let mut eps = self.endpoints();
        if let Some(c) = &cfg {
            for d in &eps.dialers {
                let _ = d.set_tls(c);
            }
            for l in &eps.listeners {
                let _ = l.set_tls(c);
            }
        }
        eps.tls = cfg;
    }

    pub(crate) fn endpoint_tls(&self) -> Option<crate::TlsConfig> {
        self.endpoints().tls.clone()
    }

    fn endpoints(&self) -> std::sync::MutexGuard<'_, EndpointOptions> {
        self.inner
            .endpoints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The dialers made on this socket that are still open.
    pub fn dialers(&self) -> Vec<Dialer> {
        let mut eps = self.endpoints();
        eps.dialers.retain(|d| d.url().is_ok());
        eps.dialers.clone()
    }

    /// The listeners made on this socket that are still open.
    pub fn listeners(&self) -> Vec<Listener> {
        let mut eps = self.endpoints();
        eps.listeners.retain(|l| l.url().is_ok());
        eps.listeners.clone()
    }

    /// Sends `data` (copied into a new message), blocking up to the send timeout.
    pub fn send(&self, data: &[u8]) -> Result<()> {
        self.send_flags(data, 0)
    }

    /// Sends `data` without blocking; fails with `TryAgain` if it cannot be queued now.
    pub fn try_send(&self, data: &[u8]) -> Result<()> {
        self.send_flags(data, sys::NNG_FLAG_NONBLOCK as i32)
    }

    fn send_flags(&self, data: &[u8], flags: i32) -> Result<()> {
        let msg = Message::from_bytes(data)?;
        self.send_msg_flags(msg, flags).map_err(Error::from)
    }

    /// Sends a message, blocking up to the send timeout. On failure you get it back.
    pub fn send_msg(&self, msg: Message) -> Result<(), SendError> {
        self.send_msg_flags(msg, 0)
    }

    /// Sends a message without blocking.
    pub fn try_send_msg(&self, msg: Message) -> Result<(), SendError> {
        self.send_msg_flags(msg, sys::NNG_FLAG_NONBLOCK as i32)
    }

    /// NNG 2.0.0's message-queue protocols (Pair1 polyamorous and every raw socket)
    /// fail a zero-timeout operation before looking at the queue, so a non-blocking
    /// receive would never see a waiting message; Bus0 does the same on send. For
    /// them, "non-blocking" is an aio with a 1 ms timeout that reads as `TryAgain`.
    fn zero_timeout_broken(&self, send: bool) -> bool {
        self.inner.raw
            || self.inner.protocol == Protocol::Pair1Poly
            || (send && self.inner.protocol == Protocol::Bus0)
    }

    fn short_aio(&self, start: impl FnOnce(&Aio) -> Result<()>) -> Result<Option<Message>> {
        let aio = Aio::new()?;
        aio.set_timeout_ms(1);
        start(&aio)?;
        aio.wait();
        aio.finish().map_err(|e| {
            if e == Error::Timeout {
                Error::TryAgain
            } else {
                e
            }
        })
    }

    fn send_msg_flags(&self, msg: Message, flags: i32) -> Result<(), SendError> {
        if flags != 0 && self.zero_timeout_broken(true) {
            let aio = match Aio::new() {
                Ok(a) => a,
                Err(error) => {
                    return Err(SendError {
                        error,
                        message: msg,
                    })
                }
            };
            aio.set_timeout_ms(1);
            if let Err(error) = self.send_async(&aio, msg) {
                let message = aio.take_msg();
                return match message {
                    Some(message) => Err(SendError { error, message }),
                    None => Ok(()),
                };
            }
            aio.wait();
            let error = match aio.result() {
                Ok(()) => return Ok(()),
                Err(Error::Timeout) => Error::TryAgain,
                Err(e) => e,
            };
            return match aio.take_msg() {
                Some(message) => Err(SendError { error, message }),
                None => Ok(()),
            };
        }
        // SAFETY: send_with passes a valid message; NNG takes it exactly when it
        // returns 0.
        unsafe { msg.send_with(|m| sys::nng_sendmsg(self.inner.sock, m, flags)) }
    }

    /// Receives a message, blocking up to the receive timeout.
    pub fn recv(&self) -> Result<Message> {
        self.recv_flags(0)
    }

    /// Receives a message if one is waiting; `TryAgain` otherwise.
    pub fn try_recv(&self) -> Result<Message> {
        self.recv_flags(sys::NNG_FLAG_NONBLOCK as i32)
    }

    fn recv_flags(&self, flags: i32) -> Result<Message> {
        if let Some(m) = self.inner.stash.pop() {
            return Ok(m);
        }
        if flags != 0 && self.zero_timeout_broken(false) {
            return self
                .short_aio(|aio| self.recv_async(aio))?
                .ok_or(Error::Internal);
        }
        // SAFETY: on success NNG writes a message we then own through the out-pointer.
        unsafe { Message::recv_with(|p| sys::nng_recvmsg(self.inner.sock, p, flags)) }
    }

    /// Receives a message when awaited (see [`crate::future`]: cancel by dropping, no
    /// message is lost).
    pub fn recv_future(&self) -> RecvFuture<'_> {
        RecvFuture::new(Target::Socket(self.inner.sock, &self.inner.stash))
    }

    /// Sends `msg` when awaited (see [`crate::future`]); on failure the message comes
    /// back in the [`SendError`].
    pub fn send_future(&self, msg: Message) -> SendFuture<'_> {
        SendFuture::new(Target::Socket(self.inner.sock, &self.inner.stash), msg)
    }

    /// Starts an asynchronous send of `msg` on `aio`.
    pub fn send_async(&self, aio: &Aio, msg: Message) -> Result<()> {
        aio.begin(true, Some(msg))?;
        // SAFETY: the aio is valid and holds the message; completion is reported
        // through the aio.
        unsafe { sys::nng_socket_send(self.inner.sock, aio.as_ptr()) };
        Ok(())
    }

    /// Starts an asynchronous receive on `aio`; take the message with [`Aio::finish`].
    pub fn recv_async(&self, aio: &Aio) -> Result<()> {
        aio.begin(false, None)?;
        // SAFETY: the aio is valid; completion is reported through the aio.
        unsafe { sys::nng_socket_recv(self.inner.sock, aio.as_ptr()) };
        Ok(())
    }

    /// Subscribes a `Sub0` socket to messages starting with `topic` (empty: all).
    pub fn subscribe(&self, topic: &[u8]) -> Result<()> {
        // SAFETY: topic is a valid slice; NNG copies it.
        unsafe {
            sys::nng_sub0_socket_subscribe(self.inner.sock, topic.as_ptr().cast(), topic.len())
        }
        .check()
    }

    /// Removes a subscription; `NoEntry` if there was none.
    pub fn unsubscribe(&self, topic: &[u8]) -> Result<()> {
        // SAFETY: topic is a valid slice; NNG copies it.
        unsafe {
            sys::nng_sub0_socket_unsubscribe(self.inner.sock, topic.as_ptr().cast(), topic.len())
        }
        .check()
    }

    /// Sets the handler called for every pipe event (replacing any earlier one).
    /// It runs on an NNG thread; closing the pipe in [`PipeEvent::AddPre`] rejects it.
    ///
    /// ```
    /// use std::sync::{mpsc, Arc, Mutex};
    /// use nngbridge::{PipeEvent, Protocol, Socket};
    ///
    /// let server = Socket::new(Protocol::Pair0)?;
    /// let (tx, rx) = mpsc::channel();
    /// let tx = Mutex::new(tx);
    /// server.set_pipe_handler(Some(Arc::new(move |_pipe, ev| {
    ///     let _ = tx.lock().map(|t| t.send(ev));
    /// })));
    /// server.listen("inproc://pipe-doc")?;
    /// let client = Socket::new(Protocol::Pair0)?;
    /// client.dial("inproc://pipe-doc")?;
    /// assert_eq!(rx.recv().ok(), Some(PipeEvent::AddPre));
    /// # Ok::<(), nngbridge::Error>(())
    /// ```
    pub fn set_pipe_handler(&self, handler: Option<PipeHandler>) {
        *self
            .inner
            .pipes
            .handler
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = handler;
    }

    /// A file descriptor that becomes readable when a message can be received.
    pub fn recv_fd(&self) -> Result<i32> {
        let mut fd = -1;
        // SAFETY: writes one int into a live local.
        unsafe { sys::nng_socket_get_recv_poll_fd(self.inner.sock, &mut fd) }.check()?;
        Ok(fd)
    }

    /// A file descriptor that becomes readable when a message can be sent.
    pub fn send_fd(&self) -> Result<i32> {
        let mut fd = -1;
        // SAFETY: writes one int into a live local.
        unsafe { sys::nng_socket_get_send_poll_fd(self.inner.sock, &mut fd) }.check()?;
        Ok(fd)
    }

    /// Sets the receive timeout (`None`: wait forever).
    pub fn set_recv_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        self.set_opt("recv_timeout", OptValue::Ms(duration_to_ms(timeout)))
    }

    /// The receive timeout (`None`: forever).
    pub fn recv_timeout(&self) -> Result<Option<Duration>> {
        match self.get_opt("recv_timeout")? {
            OptValue::Ms(ms) => Ok(ms_to_duration(ms)),
            _ => Err(Error::BadType),
        }
    }

    /// Sets the send timeout (`None`: wait forever).
    pub fn set_send_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        self.set_opt("send_timeout", OptValue::Ms(duration_to_ms(timeout)))
    }

    /// Sets the largest message the socket accepts; larger ones are dropped (0: no limit).
    pub fn set_recv_max_size(&self, bytes: usize) -> Result<()> {
        self.set_opt("recv_max_size", OptValue::Size(bytes))
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.id())
            .field("protocol", &self.inner.protocol)
            .field("raw", &self.inner.raw)
            .finish()
    }
}

/// The socket's own NNG options, without endpoint propagation.
struct SocketHandle(sys::nng_socket);

impl RawOptions for Socket {
    const TARGET: Targets = ON_SOCKET;

    fn raw_get(&self, name: &CStr, kind: OptKind) -> Result<OptValue> {
        match SocketHandle(self.inner.sock).raw_get(name, kind) {
            Err(Error::NotSupported) => {
                let eps = self.endpoints();
                let stored = eps.values.iter().find(|(n, _)| n.as_c_str() == name);
                stored
                    .map(|(_, v)| v.clone())
                    .or_else(|| crate::options::transport_default(name))
                    .ok_or(Error::NotSupported)
            }
            other => other,
        }
    }

    fn raw_set(&self, name: &CStr, value: &OptValue) -> Result<()> {
        let endpoint_opt = crate::options::OPTIONS
            .iter()
            .any(|d| d.nng_name == name && d.on & (ON_DIALER | ON_LISTENER) != 0);
        let own = SocketHandle(self.inner.sock).raw_set(name, value);
        if !endpoint_opt {
            return own;
        }
        match own {
            Ok(()) | Err(Error::NotSupported) => {}
            Err(e) => return Err(e),
        }
        let mut eps = self.endpoints();
        eps.values.retain(|(n, _)| n.as_c_str() != name);
        eps.values.push((name.to_owned(), value.clone()));
        for d in &eps.dialers {
            let _ = d.raw_set(name, value);
        }
        for l in &eps.listeners {
            let _ = l.raw_set(name, value);
        }
        Ok(())
    }
}

raw_options!(SocketHandle, ON_SOCKET, s => s.0,
    get: [sys::nng_socket_get_bool, sys::nng_socket_get_int, sys::nng_socket_get_size,
          sys::nng_socket_get_ms, unsupported::get, unsupported::get],
    set: [sys::nng_socket_set_bool, sys::nng_socket_set_int, sys::nng_socket_set_size,
          sys::nng_socket_set_ms, unsupported::set, unsupported::set]);

fn c_url(url: &str) -> Result<CString> {
    CString::new(url).map_err(|_| Error::AddressInvalid)
}

fn static_str(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: NNG protocol names are static NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}
