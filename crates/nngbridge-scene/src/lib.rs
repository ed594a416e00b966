//! # nngbridge-scene
//!
//! The MessagePack scene-command protocol of `docs/protocol.md`: the envelope types
//! ([`Request`], [`Reply`], [`ErrorBody`], [`Event`], [`Array`]), bounded decoding
//! ([`codec`]), and for Rust peers a [`SceneClient`] (req/rep, many calls in flight over
//! NNG contexts) and an [`EventStream`] (pub/sub with gap detection).
//!
//! What it is not for: serving the protocol (the Blender add-on does) or Python.
//!
//! ```no_run
//! use nngbridge_scene::{SceneClient, Value};
//!
//! let client = SceneClient::connect("tcp://127.0.0.1:5555")?;
//! let hello = client.hello()?;
//! let cube: Value = client.call("object.create", &serde_json_like_args())?;
//! # fn serde_json_like_args() -> Value { Value::Map(vec![]) }
//! # Ok::<(), nngbridge_scene::CallError>(())
//! ```

mod client;
pub mod codec;
pub mod commands;
mod wire;

pub use client::{CallError, EventStream, SceneClient};
pub use commands::Command;
pub use wire::{
    encode_event, split_event, Array, ErrorBody, ErrorCode, Event, Reply, Request, Value,
    PROTOCOL_VERSION,
};
