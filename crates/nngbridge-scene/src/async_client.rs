//! `AsyncSceneClient` and `AsyncEventStream`: the scene client for async Rust, on any
//! executor (tokio, async-std, smol, `futures::executor`): the futures are the core's
//! ([`nngbridge::future`]), woken from NNG's own threads.

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use futures_core::Stream;
use nngbridge::{Aio, Error, Message, TlsConfig};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::client::{batch_args, CallError, EventStream, SceneClient};
use crate::wire::{Event, Value};

/// The async twin of [`SceneClient`]: the same typed commands, each call a future.
/// Configure it as a [`SceneClient`] (token, timeout, reply limit) and convert:
/// `AsyncSceneClient::from(SceneClient::connect(addr)?.with_timeout(t))`. The timeout
/// still applies to each call (`Nng(Timeout)`), on top of any the runtime adds.
///
/// A complete program (it needs a running scene server, e.g. Blender with the add-on):
///
/// ```no_run
/// use nngbridge_scene::commands::{ObjectCreate, ObjectType};
/// use nngbridge_scene::{AsyncEventStream, AsyncSceneClient, CallError};
///
/// #[tokio::main(flavor = "current_thread")]
/// async fn main() -> Result<(), CallError> {
///     let client = AsyncSceneClient::connect_local("tcp://127.0.0.1:5555")?;
///     let mut events = AsyncEventStream::connect("tcp://127.0.0.1:5556", &["frame"])?;
///     let hello = client.hello().await?;
///     println!("server: {hello:?}");
///     // Many requests in flight from one task: each call has its own NNG context.
///     let cube = |name: &str| ObjectCreate {
///         kind: ObjectType::Cube,
///         name: Some(name.into()),
///         ..Default::default()
///     };
///     let (a, b) = (cube("A"), cube("B"));
///     let (a, b) = tokio::join!(client.run(&a), client.run(&b));
///     println!("created {} and {}", a?.name, b?.name);
///     // Cancellation: a timed-out call is dropped, its context closed; the client goes on.
///     let ping = tokio::time::timeout(std::time::Duration::from_secs(5), client.ping()).await;
///     println!("ping: {ping:?}");
///     let event = events.next_event().await?;
///     println!("event {} #{}", event.topic, event.seq);
///     Ok(())
/// }
/// ```
///
/// Dropping a call's future (a `timeout`, a `select!` that chose another branch) cancels
/// it: its context is closed, never reused, so a late reply cannot reach another call;
/// the request may still run on the server. The event stream keeps its receive running
/// across dropped `next_event` futures, so no event that arrived is lost.
pub struct AsyncSceneClient {
    client: SceneClient,
}

impl From<SceneClient> for AsyncSceneClient {
    fn from(client: SceneClient) -> AsyncSceneClient {
        AsyncSceneClient { client }
    }
}

impl AsyncSceneClient {
    /// [`SceneClient::connect`], async.
    pub fn connect(address: &str) -> Result<AsyncSceneClient, CallError> {
        SceneClient::connect(address).map(Into::into)
    }

    /// [`SceneClient::connect_with`], async.
    pub fn connect_with(
        address: &str,
        tls: Option<&TlsConfig>,
    ) -> Result<AsyncSceneClient, CallError> {
        SceneClient::connect_with(address, tls).map(Into::into)
    }

    /// [`SceneClient::connect_local`], async.
    pub fn connect_local(address: &str) -> Result<AsyncSceneClient, CallError> {
        SceneClient::connect_local(address).map(Into::into)
    }

    /// The blocking client over the same connection, for code that is not async.
    pub fn blocking(&self) -> &SceneClient {
        &self.client
    }

    /// Calls `cmd` with typed arguments and decodes a typed result.
    pub async fn call<A: Serialize, R: DeserializeOwned>(
        &self,
        cmd: &str,
        args: &A,
    ) -> Result<R, CallError> {
        let (id, bytes) = self.client.request(cmd, args)?;
        let ctx = self.client.context()?;
        ctx.send_future(Message::from_bytes(&bytes)?)
            .await
            .map_err(Error::from)?;
        let msg = ctx.recv_future().await?;
        // Only a context whose call completed goes back to the pool.
        self.client.release(ctx);
        self.client.reply(id, msg.body())
    }

    /// Runs a typed command (see [`crate::commands`]).
    pub async fn run<C: crate::Command>(&self, command: &C) -> Result<C::Output, CallError> {
        self.call(C::NAME, command).await
    }

    /// Calls `cmd` with dynamically typed arguments (a map) and result.
    pub async fn call_value(&self, cmd: &str, args: Value) -> Result<Value, CallError> {
        self.call(cmd, &args).await
    }

    /// `session.hello`: protocol and server versions and the command list.
    pub async fn hello(&self) -> Result<Value, CallError> {
        self.call_value("session.hello", Value::Map(vec![])).await
    }

    /// `session.ping`.
    pub async fn ping(&self) -> Result<Value, CallError> {
        self.call_value("session.ping", Value::Map(vec![])).await
    }

    /// `batch`: runs `commands` (`(cmd, args)` pairs) in order in one request.
    pub async fn batch(
        &self,
        commands: &[(&str, Value)],
        stop_on_error: bool,
    ) -> Result<Value, CallError> {
        self.call_value("batch", batch_args(commands, stop_on_error))
            .await
    }
}

/// The async twin of [`EventStream`]: a [`Stream`] of events (and
/// [`AsyncEventStream::next_event`] for code without `StreamExt`), with the same gap
/// count. It waits for events without a timeout; wrap it in your runtime's.
pub struct AsyncEventStream {
    events: EventStream,
    aio: Aio,
    receiving: bool,
}

impl AsyncEventStream {
    /// [`EventStream::connect`], async.
    pub fn connect(address: &str, topics: &[&str]) -> Result<AsyncEventStream, CallError> {
        AsyncEventStream::new(EventStream::connect(address, topics)?)
    }

    /// [`EventStream::connect_with`], async.
    pub fn connect_with(
        address: &str,
        topics: &[&str],
        tls: Option<&TlsConfig>,
    ) -> Result<AsyncEventStream, CallError> {
        AsyncEventStream::new(EventStream::connect_with(address, topics, tls)?)
    }

    /// Wraps a subscribed [`EventStream`].
    pub fn new(events: EventStream) -> Result<AsyncEventStream, CallError> {
        Ok(AsyncEventStream {
            events,
            aio: Aio::new()?,
            receiving: false,
        })
    }

    /// The next event. Dropping this future loses nothing: the receive keeps running
    /// and the next call returns its event.
    pub async fn next_event(&mut self) -> Result<Event, CallError> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .unwrap_or(Err(CallError::Nng(Error::Closed)))
    }

    /// How many events were lost so far (gaps in `seq`).
    pub fn lost(&self) -> u64 {
        self.events.lost()
    }
}

impl Stream for AsyncEventStream {
    type Item = Result<Event, CallError>;

    /// Ends (`None`) when the socket is closed.
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if !this.receiving {
            if let Err(e) = this.events.socket().recv_async(&this.aio) {
                return Poll::Ready(Some(Err(e.into())));
            }
            this.receiving = true;
        }
        if this.aio.poll_done(cx).is_pending() {
            return Poll::Pending;
        }
        this.receiving = false;
        Poll::Ready(match this.aio.finish() {
            Err(Error::Closed) => None,
            Err(e) => Some(Err(e.into())),
            Ok(None) => Some(Err(CallError::Nng(Error::Internal))),
            Ok(Some(m)) => Some(this.events.accept(m.body())),
        })
    }
}
