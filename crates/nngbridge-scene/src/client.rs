//! `SceneClient` (req/rep, many calls in flight over contexts) and `EventStream` (sub).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use nngbridge::{Context, Protocol, Socket, TlsConfig};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec::{self, DecodeError};
use crate::wire::{ErrorBody, Event, Reply, Request, Value, PROTOCOL_VERSION};

/// What can go wrong with a call.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The transport failed (timeout, connection refused, closed...).
    #[error("transport: {0}")]
    Nng(#[from] nngbridge::Error),
    /// The request could not be encoded.
    #[error("encode: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
    /// The reply could not be decoded.
    #[error("decode: {0}")]
    Decode(#[from] DecodeError),
    /// The server answered with an error.
    #[error("{}: {}", .0.code_str(), .0.message)]
    Server(ErrorBody),
    /// The reply belongs to another request or breaks the protocol.
    #[error("protocol: {0}")]
    Protocol(String),
    /// The local server's token file exists but could not be read.
    #[error("token file: {0}")]
    TokenFile(#[from] std::io::Error),
}

/// A [`CallError`] by what the caller can do about it: the one classification the faces
/// report (the Python pool's exceptions, the `nngbridge pool` error codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// The server answered with an error ([`CallError::Server`]).
    Server,
    /// No reply within the timeout (or a pool's deadlines).
    Timeout,
    /// The client or pool was closed.
    Closed,
    /// The connection dropped.
    Lost,
    /// Another transport failure (refused, the token file unreadable...).
    Transport,
    /// The request could not be encoded, or the reply broke the protocol.
    Protocol,
}

impl FailureKind {
    /// Its name: `"server"`, `"timeout"`, `"closed"`, `"lost"`, `"transport"`, `"protocol"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Server => "server",
            FailureKind::Timeout => "timeout",
            FailureKind::Closed => "closed",
            FailureKind::Lost => "lost",
            FailureKind::Transport => "transport",
            FailureKind::Protocol => "protocol",
        }
    }
}

impl CallError {
    /// What kind of failure this is.
    pub fn kind(&self) -> FailureKind {
        use nngbridge::Error as E;
        match self {
            CallError::Server(_) => FailureKind::Server,
            CallError::Nng(E::Timeout) => FailureKind::Timeout,
            CallError::Nng(E::Closed) => FailureKind::Closed,
            CallError::Nng(
                E::ConnectionReset
                | E::ConnectionAborted
                | E::ConnectionShutdown
                | E::ConnectionRefused,
            ) => FailureKind::Lost,
            CallError::Nng(_) | CallError::TokenFile(_) => FailureKind::Transport,
            CallError::Encode(_) | CallError::Decode(_) | CallError::Protocol(_) => {
                FailureKind::Protocol
            }
        }
    }
}

impl ErrorBody {
    /// The code as its wire name (`"NOT_FOUND"`).
    pub fn code_str(&self) -> &'static str {
        self.code.as_str()
    }
}

/// A client of a scene server (the Blender add-on, or anything speaking
/// `docs/protocol.md`). Calls may be made from several threads at once: each call uses
/// its own NNG context, so many are in flight over one connection.
pub struct SceneClient {
    socket: Socket,
    next_id: AtomicU64,
    token: Option<String>,
    timeout: Duration,
    max_reply: usize,
    idle: Mutex<Vec<Context>>,
}

impl SceneClient {
    /// Connects (in the background: calls wait for the connection up to their timeout).
    pub fn connect(address: &str) -> Result<SceneClient, CallError> {
        SceneClient::connect_with(address, None)
    }

    /// [`SceneClient::connect`], over TLS when `tls` is given (a `tls+tcp://` address and a
    /// client [`TlsConfig`]: the server's CA, its name, and a client certificate if the
    /// server requires one). A failed handshake is retried in the background like a
    /// refused connection; calls fail with their timeout.
    pub fn connect_with(address: &str, tls: Option<&TlsConfig>) -> Result<SceneClient, CallError> {
        let socket = Socket::new(Protocol::Req0)?;
        socket.set_recv_max_size(0)?;
        if let Some(cfg) = tls {
            socket.set_tls(cfg)?;
        }
        socket.dial_nonblocking(address)?;
        Ok(SceneClient {
            socket,
            next_id: AtomicU64::new(1),
            token: None,
            timeout: Duration::from_secs(30),
            max_reply: usize::MAX,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Connects to a server on this machine with the token it wrote for `address`
    /// ([`crate::token`], `docs/protocol.md` §7.1); without one if it wrote none (a server
    /// started with `insecure_no_token`). `address` must be the server's exact address.
    pub fn connect_local(address: &str) -> Result<SceneClient, CallError> {
        SceneClient::connect_local_with(address, None)
    }

    /// [`SceneClient::connect_local`] over TLS when `tls` is given (see
    /// [`SceneClient::connect_with`]).
    pub fn connect_local_with(
        address: &str,
        tls: Option<&TlsConfig>,
    ) -> Result<SceneClient, CallError> {
        let token = crate::token::read_token(address)?;
        let client = SceneClient::connect_with(address, tls)?;
        Ok(match token {
            Some(t) => client.with_token(t),
            None => client,
        })
    }

    /// Sends this token with every request.
    pub fn with_token(mut self, token: impl Into<String>) -> SceneClient {
        self.token = Some(token.into());
        self
    }

    /// How long a call waits for its reply (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> SceneClient {
        self.timeout = timeout;
        self
    }

    /// The largest reply accepted (default: no limit).
    pub fn with_max_reply(mut self, bytes: usize) -> SceneClient {
        self.max_reply = bytes;
        self
    }

    pub(crate) fn context(&self) -> Result<Context, CallError> {
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let ctx = match pooled {
            Some(c) => c,
            None => Context::new(&self.socket)?,
        };
        ctx.set_recv_timeout(Some(self.timeout))?;
        ctx.set_send_timeout(Some(self.timeout))?;
        Ok(ctx)
    }

    /// Returns a context whose call completed (its request/reply state is clean).
    pub(crate) fn release(&self, ctx: Context) {
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ctx);
    }

    /// The request envelope of a call: its id and encoded bytes. The one place a
    /// request is built, for the blocking and the async client.
    pub(crate) fn request<A: Serialize>(
        &self,
        cmd: &str,
        args: &A,
    ) -> Result<(u64, Vec<u8>), CallError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let req = Request {
            v: PROTOCOL_VERSION,
            id,
            cmd: cmd.to_owned(),
            args,
            token: self.token.clone(),
        };
        Ok((id, codec::encode(&req)?))
    }

    /// Decodes the reply to request `id`: its result or the server's error. The one
    /// place a reply is checked, for the blocking and the async client.
    pub(crate) fn reply<R: DeserializeOwned>(&self, id: u64, body: &[u8]) -> Result<R, CallError> {
        let reply: Reply<R> = codec::decode_limited(body, self.max_reply)?;
        if reply.id != Some(id) {
            return Err(CallError::Protocol(format!(
                "reply id {:?} for request {id}",
                reply.id
            )));
        }
        match (reply.ok, reply.result, reply.error) {
            (true, Some(r), _) => Ok(r),
            (true, None, _) => Err(CallError::Protocol("ok reply without result".into())),
            (false, _, Some(e)) => Err(CallError::Server(e)),
            (false, _, None) => Err(CallError::Protocol("error reply without error".into())),
        }
    }

    /// Calls `cmd` with typed arguments and decodes a typed result.
    pub fn call<A: Serialize, R: DeserializeOwned>(
        &self,
        cmd: &str,
        args: &A,
    ) -> Result<R, CallError> {
        let (id, bytes) = self.request(cmd, args)?;
        let ctx = self.context()?;
        ctx.send(&bytes)?;
        let msg = ctx.recv()?;
        self.release(ctx);
        self.reply(id, msg.body())
    }

    /// Runs a typed command (see [`crate::commands`]).
    pub fn run<C: crate::Command>(&self, command: &C) -> Result<C::Output, CallError> {
        self.call(C::NAME, command)
    }

    /// Calls `cmd` with dynamically typed arguments (a map) and result.
    pub fn call_value(&self, cmd: &str, args: Value) -> Result<Value, CallError> {
        self.call(cmd, &args)
    }

    /// `session.hello`: protocol and server versions and the command list.
    pub fn hello(&self) -> Result<Value, CallError> {
        self.call_value("session.hello", Value::Map(vec![]))
    }

    /// `session.ping`.
    pub fn ping(&self) -> Result<Value, CallError> {
        self.call_value("session.ping", Value::Map(vec![]))
    }

    /// `batch`: runs `commands` (`(cmd, args)` pairs) in order in one request.
    pub fn batch(
        &self,
        commands: &[(&str, Value)],
        stop_on_error: bool,
    ) -> Result<Value, CallError> {
        self.call_value("batch", batch_args(commands, stop_on_error))
    }
}

/// The arguments of a `batch` request.
pub(crate) fn batch_args(commands: &[(&str, Value)], stop_on_error: bool) -> Value {
    let list = commands
        .iter()
        .map(|(c, a)| {
            Value::Map(vec![
                ("cmd".into(), (*c).into()),
                ("args".into(), a.clone()),
            ])
        })
        .collect();
    Value::Map(vec![
        ("commands".into(), Value::Array(list)),
        ("stop_on_error".into(), stop_on_error.into()),
    ])
}

/// A subscription to a scene server's events, with gap detection.
pub struct EventStream {
    socket: Socket,
    last_seq: Option<u64>,
    lost: u64,
}

impl EventStream {
    /// Subscribes to `topics` (all when empty) on the events address.
    pub fn connect(address: &str, topics: &[&str]) -> Result<EventStream, CallError> {
        EventStream::connect_with(address, topics, None)
    }

    /// [`EventStream::connect`], over TLS when `tls` is given (see
    /// [`SceneClient::connect_with`]).
    pub fn connect_with(
        address: &str,
        topics: &[&str],
        tls: Option<&TlsConfig>,
    ) -> Result<EventStream, CallError> {
        let socket = Socket::new(Protocol::Sub0)?;
        socket.set_recv_max_size(0)?;
        if let Some(cfg) = tls {
            socket.set_tls(cfg)?;
        }
        if topics.is_empty() {
            socket.subscribe(b"")?;
        }
        for t in topics {
            socket.subscribe(t.as_bytes())?;
        }
        socket.dial_nonblocking(address)?;
        Ok(EventStream {
            socket,
            last_seq: None,
            lost: 0,
        })
    }

    /// The next event, waiting up to `timeout` (`Err(Nng(Timeout))` if none came).
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<Event, CallError> {
        self.socket.set_recv_timeout(timeout)?;
        let msg = self.socket.recv()?;
        self.accept(msg.body())
    }

    pub(crate) fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Decodes a received event and counts the gap before it. The one place events
    /// are checked, for the blocking and the async stream.
    pub(crate) fn accept(&mut self, msg: &[u8]) -> Result<Event, CallError> {
        let (topic, body) = crate::wire::split_event(msg)
            .ok_or_else(|| CallError::Protocol("event without a topic separator".into()))?;
        let event: Event = codec::decode(body)?;
        if event.topic != topic {
            return Err(CallError::Protocol(format!(
                "topic {topic} carries a {} event",
                event.topic
            )));
        }
        if let Some(last) = self.last_seq {
            if event.seq > last + 1 {
                self.lost += event.seq - last - 1;
            }
        }
        self.last_seq = Some(event.seq);
        Ok(event)
    }

    /// How many events were lost so far (gaps in `seq`).
    pub fn lost(&self) -> u64 {
        self.lost
    }
}
