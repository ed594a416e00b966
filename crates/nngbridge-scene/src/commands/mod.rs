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
    /// Its arguments in declaration order: `(wire name, Rust type as written with any
    /// outer `Option<..>` removed, optional)`. `tests/catalogue.rs` compares them with
    /// `docs/commands.json`.
    const ARGS: &'static [ArgInfo];
}

/// One argument of a [`Command`]: `(wire name, Rust type, optional)`.
pub type ArgInfo = (&'static str, &'static str, bool);

/// Defines a command's argument struct and its [`Command`] impl:
///
/// ```text
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
/// A command struct's rustdoc says what the command does; the macro appends where its
/// arguments, result and errors are listed (docs/commands.json).
///
/// Without `=> "name" -> Output` it defines a nested argument struct (no [`Command`]).
/// Every field whose type is spelled `Option<..>` gets
/// `#[serde(skip_serializing_if = "Option::is_none")]` (an `Option<Option<T>>` thus sends
/// `nil` for `Some(None)`).
macro_rules! command {
    (@field $attrs:tt $name:ident $imp:tt [$($done:tt)*] [$($info:tt)*]
        $(#[$($fm:tt)*])* pub $f:ident : Option<$ft:ty> $(, $($rest:tt)*)?
    ) => {
        command!(@field $attrs $name $imp [$($done)*
            $(#[$($fm)*])*
            #[serde(skip_serializing_if = "Option::is_none")]
            pub $f: Option<$ft>,
        ] [$($info)* (command!(@wire $f $(#[$($fm)*])*), stringify!($ft), true),]
        $($($rest)*)?);
    };
    (@field $attrs:tt $name:ident $imp:tt [$($done:tt)*] [$($info:tt)*]
        $(#[$($fm:tt)*])* pub $f:ident : $ft:ty $(, $($rest:tt)*)?
    ) => {
        command!(@field $attrs $name $imp [$($done)* $(#[$($fm)*])* pub $f: $ft,]
            [$($info)* (command!(@wire $f $(#[$($fm)*])*), stringify!($ft), false),]
            $($($rest)*)?);
    };
    (@field [$(#[$m:meta])*] $name:ident $imp:tt [$($done:tt)*] [$($info:tt)*]) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        pub struct $name { $($done)* }
        command!(@impl $name $imp [$($info)*]);
    };
    // A field's wire name: its `#[serde(rename = "..")]`, else the field's own name.
    (@wire $f:ident) => { stringify!($f) };
    (@wire $f:ident #[serde(rename = $wire:literal)] $($more:tt)*) => { $wire };
    (@wire $f:ident #[$($other:tt)*] $($more:tt)*) => { command!(@wire $f $($more)*) };
    (@impl $name:ident {} $info:tt) => {};
    (@impl $name:ident { $wire:literal, $out:ty } [$($info:tt)*]) => {
        impl $crate::commands::Command for $name {
            const NAME: &'static str = $wire;
            type Output = $out;
            const ARGS: &'static [$crate::commands::ArgInfo] = &[$($info)*];
        }
    };
    (
        $(#[$m:meta])*
        pub struct $name:ident => $wire:literal -> $out:ty { $($body:tt)* }
    ) => {
        // The catalogue is the one home of arguments, result and errors: link, don't copy.
        command!(@field [$(#[$m])*
            #[doc = ""]
            #[doc = concat!("Arguments, result and errors: `", $wire, "` in `docs/commands.json`, ",
                "the table in docs/protocol.md §11.")]
        ] $name { $wire, $out } [] [] $($body)*);
    };
    // An argument struct nested in a command's arguments (no Command impl).
    (
        $(#[$m:meta])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        command!(@field [$(#[$m])*] $name {} [] [] $($body)*);
    };
}

mod anim;
mod batch;
mod clip;
mod collection;
mod curves;
mod gpencil;
mod id;
mod image;
mod io;
mod job;
mod mask;
mod material;
mod mesh;
mod node;
mod object;
mod pointcloud;
mod render;
mod scene;
mod sequencer;
mod session;
mod tracking;
mod viewport;
mod wm;

pub use anim::*;
pub use batch::*;
pub use clip::*;
pub use collection::*;
pub use curves::*;
pub use gpencil::*;
pub use id::*;
pub use image::*;
pub use io::*;
pub use job::*;
pub use mask::*;
pub use material::*;
pub use mesh::*;
pub use node::*;
pub use object::*;
pub use pointcloud::*;
pub use render::*;
pub use scene::*;
pub use sequencer::*;
pub use session::*;
pub use tracking::*;
pub use viewport::*;
pub use wm::*;

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

/// Converts a dynamically typed value (a batch entry's or a job's result) into a typed
/// one, the way the client decodes replies.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, crate::CallError> {
    Ok(crate::codec::decode(&crate::codec::encode(value)?)?)
}

/// Converts typed arguments into the dynamically typed map they are sent as.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, crate::CallError> {
    Ok(crate::codec::decode(&crate::codec::encode(value)?)?)
}

/// Lists every command struct once: `ALL_COMMANDS` (names) and `COMMAND_ARGS` (names with
/// their [`Command::ARGS`]) come from the one list.
macro_rules! catalogue {
    ($($cmd:ident),* $(,)?) => {
        /// Every command name the typed API covers, one per command struct. It equals the
        /// add-on's command list: `tests/catalogue.rs` checks it (and every struct's
        /// argument names, types and optionality) against `docs/commands.json`, which the
        /// add-on's registry emits; `tests/typed_domains.rs` against a real Blender.
        pub const ALL_COMMANDS: &[&str] = &[$($cmd::NAME),*];
        /// Every command's name and arguments ([`Command::ARGS`]), as `ALL_COMMANDS`.
        pub const COMMAND_ARGS: &[(&str, &[ArgInfo])] = &[$(($cmd::NAME, $cmd::ARGS)),*];
    };
}

catalogue! {
    AnimEvaluate,
    AnimKeyframeDelete,
    AnimKeyframeInsert,
    AnimKeyframes,
    Batch,
    ClipFramePixels,
    ClipInfo,
    ClipList,
    ClipLoad,
    ClipMeanColors,
    ClipSet,
    CollectionCreate,
    CollectionDelete,
    CollectionGet,
    CollectionLink,
    CollectionList,
    CollectionUnlink,
    CurvesCreate,
    CurvesGet,
    CurvesSet,
    Exec,
    GpencilAddLayer,
    GpencilAddStroke,
    GpencilCreate,
    GpencilDeleteFrame,
    GpencilFrames,
    GpencilLayers,
    GpencilList,
    GpencilStrokes,
    IdPropertyDelete,
    IdPropertyGet,
    IdPropertyList,
    IdPropertySet,
    ImageList,
    ImageLoad,
    ImageMeanColor,
    ImageNew,
    ImagePixelsGet,
    ImagePixelsSet,
    ImagePreview,
    ImageSave,
    IoExport,
    IoImport,
    JobCancel,
    JobList,
    JobStatus,
    MaskAddLayer,
    MaskAddSpline,
    MaskKeySpline,
    MaskBounds,
    MaskCreate,
    MaskDelete,
    MaskLayerSet,
    MaskLayerVisibilityKey,
    MaskLayers,
    MaskList,
    MaterialAssign,
    MaterialCreate,
    MaterialGet,
    MaterialList,
    NodeAdd,
    NodeLink,
    NodeList,
    NodeRemove,
    NodeSet,
    NodeUnlink,
    MeshCreate,
    MeshGet,
    MeshSet,
    ObjectCreate,
    ObjectDelete,
    ObjectGet,
    ObjectHierarchy,
    ObjectList,
    ObjectRoot,
    ObjectSelect,
    ObjectSelection,
    ObjectSet,
    PointCloudCreate,
    PointCloudGet,
    PointCloudSet,
    RenderAnimation,
    RenderOpengl,
    RenderStill,
    SceneGet,
    ScenePropertyGet,
    ScenePropertySet,
    SceneSet,
    SequencerAddEffect,
    SequencerAddImage,
    SequencerAddMovie,
    SequencerAddText,
    SequencerDelete,
    SequencerEnsure,
    SequencerList,
    SequencerStripGet,
    SequencerStripSet,
    CommandSchemas,
    Hello,
    Ping,
    Shutdown,
    TrackingAddTrack,
    TrackingMarkersDelete,
    TrackingMarkersGet,
    TrackingMarkersSet,
    TrackingTracks,
    ViewportCapture,
    WmProgress,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_name_is_listed_once() {
        let mut sorted = ALL_COMMANDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ALL_COMMANDS.len(), "a name is listed twice");
        assert!(ALL_COMMANDS
            .iter()
            .all(|n| n.contains('.') || *n == "batch" || *n == "exec"));
    }
}
