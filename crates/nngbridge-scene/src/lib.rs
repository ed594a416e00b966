//! # nngbridge-scene
//!
//! The MessagePack scene-command protocol of `docs/protocol.md`: the envelope types
//! ([`Request`], [`Reply`], [`ErrorBody`], [`Event`], [`Array`]), bounded decoding
//! ([`codec`]), typed commands ([`commands`]: one struct per command the Blender add-on
//! serves, with a typed result), and for Rust peers a [`SceneClient`] (req/rep, many calls
//! in flight over NNG contexts) and an [`EventStream`] (pub/sub with gap detection), and
//! their async twins [`AsyncSceneClient`] and [`AsyncEventStream`] for any executor.
//! A server generates a token unless told not to; [`SceneClient::connect_local`] finds it
//! ([`token`]: where the token file of an address lives). A [`Pool`] drives many servers
//! that join it (`docs/pool.md`).
//!
//! What it is not for: serving the protocol (the Blender add-on does) or Python.
//!
//! ```no_run
//! use nngbridge_scene::commands::{ClipFramePixels, ClipLoad, ObjectCreate, ObjectType};
//! use nngbridge_scene::{SceneClient, Value};
//!
//! let client = SceneClient::connect_local("tcp://127.0.0.1:5555")?;
//! let cube = client.run(&ObjectCreate {
//!     kind: ObjectType::Cube,
//!     name: Some("Box".into()),
//!     location: Some([0.0, 0.0, 1.0]),
//!     ..Default::default()
//! })?;
//! // Relative paths are in the server's work directory (session.hello: files.work_dir).
//! let clip = client.run(&ClipLoad { path: "shot.mp4".into(), name: None })?;
//! let pixels = client.run(&ClipFramePixels { name: clip.name, frame: 1 })?;
//! // Untyped calls remain possible:
//! let pong: Value = client.call_value("session.ping", Value::Map(vec![]))?;
//! # let _ = (cube, pixels, pong);
//! # Ok::<(), nngbridge_scene::CallError>(())
//! ```

mod async_client;
mod client;
pub mod codec;
pub mod commands;
pub mod pool;
pub mod token;
mod wire;

pub use async_client::{AsyncEventStream, AsyncSceneClient};
pub use client::{CallError, EventStream, FailureKind, SceneClient};
pub use commands::Command;
pub use nngbridge::{TlsAuthMode, TlsConfig, TlsMode};
pub use pool::{Pool, PoolOptions};
pub use wire::{
    encode_event, split_event, Array, ErrorBody, ErrorCode, Event, Reply, Request, Value,
    PROTOCOL_VERSION,
};
