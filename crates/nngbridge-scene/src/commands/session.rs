//! `session.*` and `exec`: discovery, ping, shutdown, the command schemas, and running
//! Python (off unless the user enabled it).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::wire::Value;

/// The server's configurable limits (in `session.hello`; `docs/protocol.md` §12).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Limits {
    /// The largest request or reply the server handles, in bytes.
    pub max_message: u64,
    /// The memory one command may allocate, in bytes (absent from older servers).
    #[serde(default)]
    pub memory_budget: Option<u64>,
    /// The frames one job may cover (absent from older servers).
    #[serde(default)]
    pub max_job_frames: Option<u64>,
}

/// Where the server's file commands may read and write (in `session.hello`,
/// `docs/protocol.md` §7.2).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Files {
    /// Where relative paths go; `None` if the server allows no file access.
    pub work_dir: Option<String>,
    /// Every directory file commands may use (the work directory first).
    pub allowed_dirs: Vec<String>,
}

/// The result of `session.hello`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HelloInfo {
    /// The server's protocol version.
    pub protocol: u32,
    /// Server name and version.
    pub server: String,
    /// Blender's version.
    pub blender: String,
    /// Every command the server serves (sorted).
    pub commands: Vec<String>,
    /// The events (pub) address, if the server publishes events.
    #[serde(default)]
    pub events: Option<String>,
    /// The server's limits.
    #[serde(default)]
    pub limits: Option<Limits>,
    /// Where files may go.
    #[serde(default)]
    pub files: Option<Files>,
    /// The file formats `io.import`/`io.export` take here (absent from older servers).
    #[serde(default)]
    pub io: Option<super::IoFormats>,
    /// The worker's id (its name in a pool, `docs/pool.md`; absent from older servers).
    #[serde(default)]
    pub worker: Option<String>,
    /// The machine's host name.
    #[serde(default)]
    pub host: Option<String>,
    /// The pool address the worker joined, if it did.
    #[serde(default)]
    pub pool: Option<String>,
    /// What the worker can do.
    #[serde(default)]
    pub capabilities: Option<Capabilities>,
}

/// What a worker can do (in `session.hello`; `docs/pool.md` §2).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Capabilities {
    /// CPUs the worker's machine has.
    pub cpus: u32,
    /// Whether Blender runs in background mode (`blender -b`).
    pub background: bool,
    /// Whether `exec` is enabled.
    pub exec: bool,
    /// Whether pixel replies are written in place (the cp311 wheel with numpy).
    pub zero_copy_pixels: bool,
}

command! {
    /// `session.hello`: protocol and server versions and the command list.
    #[derive(Default)]
    pub struct Hello => "session.hello" -> HelloInfo {}
}

command! {
    /// `session.ping`: a liveness check.
    #[derive(Default)]
    pub struct Ping => "session.ping" -> String {}
}

command! {
    /// `session.shutdown`: the server stops after answering.
    #[derive(Default)]
    pub struct Shutdown => "session.shutdown" -> bool {}
}

/// One argument's schema (in `session.commands`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ArgSchema {
    /// Accepted MessagePack-level types, as Python names (`str`, `int`, `float`, `bool`,
    /// `list`, `dict`).
    #[serde(rename = "type")]
    pub types: Vec<String>,
    /// Whether the argument must be given.
    pub required: bool,
    /// The default of an optional argument (absent where "absent" itself means
    /// something, e.g. `object.set`'s `parent`).
    #[serde(default)]
    pub default: Option<Value>,
    /// A list of exactly this many numbers.
    #[serde(default)]
    pub length: Option<u32>,
    /// The closed set of accepted values.
    #[serde(default)]
    pub choices: Option<Vec<Value>>,
    /// Smallest accepted number.
    #[serde(default)]
    pub minimum: Option<f64>,
    /// Largest accepted number.
    #[serde(default)]
    pub maximum: Option<f64>,
    /// Type of every list item.
    #[serde(default)]
    pub items: Option<String>,
    /// Whether `nil` is a meaningful value.
    #[serde(default)]
    pub nullable: bool,
}

/// One command's entry in `session.commands` (and in `docs/commands.json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CommandSchema {
    /// The first paragraph of its documentation.
    pub doc: String,
    /// Its arguments by name.
    pub args: BTreeMap<String, ArgSchema>,
    /// Its domain: the name's prefix (`mask` for `mask.bounds`).
    #[serde(default)]
    pub domain: String,
    /// The shape of a successful result, in docs/protocol.md's notation (`<clip>`: a
    /// shape of [`CommandSchemaListing::shapes`]).
    #[serde(default)]
    pub result: Option<String>,
    /// The error codes it can answer besides `INVALID_ARGUMENT`.
    #[serde(default)]
    pub errors: Vec<String>,
    /// Whether it answers with a job id ([`JobStarted`](super::JobStarted)).
    #[serde(default)]
    pub job: bool,
    /// The nngbridge version that added it.
    #[serde(default)]
    pub since: String,
}

/// The result of `session.commands`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CommandSchemaListing {
    /// Schemas by command name.
    pub commands: BTreeMap<String, CommandSchema>,
    /// The result shapes the schemas name (`<clip>` in a `result`): name -> notation
    /// (absent from older servers).
    #[serde(default)]
    pub shapes: BTreeMap<String, String>,
}

command! {
    /// `session.commands`: every command's (or one command's) catalogue entry, at run time.
    #[derive(Default)]
    pub struct CommandSchemas => "session.commands" -> CommandSchemaListing {
        /// One command (default: all).
        pub name: Option<String>,
    }
}

/// The result of `exec`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ExecResult {
    /// `repr()` of the variable `result` the code left behind (`"None"` if none).
    pub result: String,
}

command! {
    /// `exec`: runs Python source in Blender, if enabled in the add-on's preferences.
    pub struct Exec => "exec" -> ExecResult {
        /// The source; it may set `result`.
        pub code: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;

    #[test]
    fn session_args_encode_as_the_add_on_expects() {
        assert_eq!(args(&Hello {}), map(vec![]));
        assert_eq!(args(&CommandSchemas { name: None }), map(vec![]));
        assert_eq!(
            args(&CommandSchemas {
                name: Some("object.create".into())
            }),
            map(vec![("name", "object.create".into())])
        );
        assert_eq!(
            args(&Exec {
                code: "result = 1".into()
            }),
            map(vec![("code", "result = 1".into())])
        );
    }

    #[test]
    fn schema_results_decode() {
        let s: ArgSchema = result(&map(vec![
            ("type", Value::Array(vec!["float".into()])),
            ("required", true.into()),
            ("minimum", 0.0.into()),
            ("maximum", 1.into()),
            ("nullable", true.into()),
        ]));
        assert!(s.required && s.nullable);
        assert_eq!(s.maximum, Some(1.0));
        assert_eq!(s.default, None);
    }
}
