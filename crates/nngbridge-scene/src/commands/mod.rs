//! Typed commands: one struct per command the Blender add-on serves (docs/protocol.md
//! §11), each naming its wire name and its result type; enums for closed choices.
//! `SceneClient::run(&cmd)` sends one.
//!
//! Arguments are structs with named fields; optional arguments are `Option`s that are
//! not sent when `None` (the add-on then uses its default). Results are typed where their
//! shape is fixed; free-form values (arbitrary RNA properties, custom properties) are
//! [`Value`]s.
//!
//! One module per domain; everything is re-exported here, so
//! `use nngbridge_scene::commands::*` brings every command into scope.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::wire::Value;

/// A command: its wire name and the type of its result.
pub trait Command: Serialize {
    /// `domain.verb`.
    const NAME: &'static str;
    /// What a successful call returns.
    type Output: DeserializeOwned;
}

/// Defines a command's argument struct and its [`Command`] impl:
///
/// ```ignore
/// command! {
///     /// Doc.
///     #[derive(Default)]
///     pub struct ClipSet => "clip.set" -> Clip {
///         /// Required: sent always.
///         pub name: String,
///         /// Optional: an `Option<..>` field is left out of the map when `None`.
///         pub frame_start: Option<i64>,
///     }
/// }
/// ```
///
/// Without `=> "name" -> Output` it defines a nested argument struct (no [`Command`]).
/// Every field whose type is spelled `Option<..>` gets
/// `#[serde(skip_serializing_if = "Option::is_none")]` (an `Option<Option<T>>` thus sends
/// `nil` for `Some(None)`).
macro_rules! command {
    (@field $attrs:tt $name:ident $imp:tt [$($done:tt)*]
        $(#[$fm:meta])* pub $f:ident : Option<$ft:ty> $(, $($rest:tt)*)?
    ) => {
        command!(@field $attrs $name $imp [$($done)*
            $(#[$fm])*
            #[serde(skip_serializing_if = "Option::is_none")]
            pub $f: Option<$ft>,
        ] $($($rest)*)?);
    };
    (@field $attrs:tt $name:ident $imp:tt [$($done:tt)*]
        $(#[$fm:meta])* pub $f:ident : $ft:ty $(, $($rest:tt)*)?
    ) => {
        command!(@field $attrs $name $imp [$($done)* $(#[$fm])* pub $f: $ft,]
            $($($rest)*)?);
    };
    (@field [$(#[$m:meta])*] $name:ident $imp:tt [$($done:tt)*]) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        pub struct $name { $($done)* }
        command!(@impl $name $imp);
    };
    (@impl $name:ident {}) => {};
    (@impl $name:ident { $wire:literal, $out:ty }) => {
        impl $crate::commands::Command for $name {
            const NAME: &'static str = $wire;
            type Output = $out;
        }
    };
    (
        $(#[$m:meta])*
        pub struct $name:ident => $wire:literal -> $out:ty { $($body:tt)* }
    ) => {
        command!(@field [$(#[$m])*] $name { $wire, $out } [] $($body)*);
    };
    // An argument struct nested in a command's arguments (no Command impl).
    (
        $(#[$m:meta])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        command!(@field [$(#[$m])*] $name {} [] $($body)*);
    };
}

mod clip;
mod image;
mod mask;
mod object;
mod scene;
mod session;
mod tracking;

pub use clip::*;
pub use image::*;
pub use mask::*;
pub use object::*;
pub use scene::*;
pub use session::*;
pub use tracking::*;

/// `{}` for commands without arguments.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NoArgs {}

/// `{path: value}` RNA property assignments (`"render.engine"`, `"data.lens"`,
/// `"[\"custom\"]"`), or values read back by path.
pub type Properties = BTreeMap<String, Value>;

/// A result naming one data-block.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Named {
    /// Its name (Blender may have added a suffix such as `.001`).
    pub name: String,
}

/// The result of deleting several things at once (all or nothing).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Deleted {
    /// What was deleted.
    pub deleted: Vec<String>,
}

/// The result of deleting one named thing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DeletedOne {
    /// What was deleted.
    pub deleted: String,
}

/// The immediate answer of a job command (`clip.mean_colors`, `render.*`): the job's id.
/// Progress and the end arrive as `job` events; see [`JobStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct JobStarted {
    /// The job id (for `job.status`, `job.cancel` and the `job` events).
    pub job: u64,
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::commands::Command;
    use crate::Value;

    /// The argument map `c` puts on the wire, decoded again.
    pub fn args<C: Command>(c: &C) -> Value {
        crate::codec::decode(&crate::codec::encode(c).expect("encode")).expect("decode")
    }

    /// `{k: v, ...}` for comparisons.
    pub fn map(entries: Vec<(&str, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The keys of a map value, in wire order.
    pub fn keys(v: &Value) -> Vec<String> {
        match v {
            Value::Map(m) => m
                .iter()
                .map(|(k, _)| k.as_str().unwrap_or("?").to_owned())
                .collect(),
            other => panic!("not a map: {other:?}"),
        }
    }

    /// A result decoded from a MessagePack image of `v` (as the client would).
    pub fn result<T: serde::de::DeserializeOwned>(v: &Value) -> T {
        let bytes = crate::codec::encode(v).expect("encode");
        crate::codec::decode(&bytes).expect("decode result")
    }
}
