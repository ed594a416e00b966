//! `batch`: many commands in one request, results in order, one undo step.

use serde::{Deserialize, Serialize};

use super::Command;
use crate::wire::{ErrorBody, Value};

/// One entry of a batch: a command name and its arguments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchEntry {
    /// `domain.verb` (not `batch`: batches do not nest).
    pub cmd: String,
    /// Its arguments (a map).
    pub args: Value,
}

impl BatchEntry {
    /// An entry from a typed command. Fails only if the arguments cannot be encoded.
    pub fn typed<C: Command>(command: &C) -> Result<BatchEntry, crate::CallError> {
        Ok(BatchEntry {
            cmd: C::NAME.to_owned(),
            args: super::to_value(command)?,
        })
    }
}

command! {
    /// `batch`: runs `commands` in order. With `stop_on_error` (the default) the first
    /// failure ends the batch and `applied` counts exactly the commands whose effects
    /// stay.
    #[derive(Default)]
    pub struct Batch => "batch" -> BatchResults {
        /// The commands.
        pub commands: Vec<BatchEntry>,
        /// Stop at the first failure (default true).
        pub stop_on_error: Option<bool>,
    }
}

/// One entry's outcome.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BatchItem {
    /// Whether it succeeded.
    pub ok: bool,
    /// Its result, when `ok`.
    #[serde(default)]
    pub result: Option<Value>,
    /// Its error, when not.
    #[serde(default)]
    pub error: Option<ErrorBody>,
}

impl BatchItem {
    /// The result as `C`'s output type, or the entry's error.
    pub fn typed<C: Command>(&self) -> Result<C::Output, crate::CallError> {
        match (&self.error, &self.result) {
            (Some(e), _) => Err(crate::CallError::Server(e.clone())),
            (None, Some(v)) => super::from_value(v),
            (None, None) => Err(crate::CallError::Protocol(
                "batch entry without result or error".into(),
            )),
        }
    }
}

/// The result of `batch`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BatchResults {
    /// One per command run, in order (fewer than sent when it stopped early).
    pub results: Vec<BatchItem>,
    /// How many succeeded.
    pub applied: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::commands::{ObjectCreate, ObjectType, Ping};

    #[test]
    fn batch_args_encode_as_the_add_on_expects() {
        let b = Batch {
            commands: vec![
                BatchEntry::typed(&ObjectCreate {
                    kind: ObjectType::Plane,
                    name: Some("Floor".into()),
                    ..Default::default()
                })
                .expect("entry"),
                BatchEntry::typed(&Ping {}).expect("entry"),
            ],
            stop_on_error: Some(false),
        };
        let v = args(&b);
        assert_eq!(
            v["commands"],
            Value::Array(vec![
                map(vec![
                    ("cmd", "object.create".into()),
                    (
                        "args",
                        map(vec![("type", "PLANE".into()), ("name", "Floor".into())])
                    ),
                ]),
                map(vec![("cmd", "session.ping".into()), ("args", map(vec![]))]),
            ])
        );
        assert_eq!(v["stop_on_error"], Value::from(false));
    }

    #[test]
    fn batch_items_decode_typed() {
        let r: BatchResults = result(&map(vec![
            (
                "results",
                Value::Array(vec![map(vec![
                    ("ok", true.into()),
                    ("result", map(vec![("name", "Floor".into())])),
                ])]),
            ),
            ("applied", 1.into()),
        ]));
        let named = r.results[0].typed::<ObjectCreate>().expect("typed");
        assert_eq!(named.name, "Floor");
    }
}
