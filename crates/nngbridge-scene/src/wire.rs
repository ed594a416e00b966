//! The envelope: requests, replies, errors, events and binary arrays, as specified in
//! `docs/protocol.md`. Everything is MessagePack with named fields (maps).

use serde::{Deserialize, Serialize};

/// The protocol version this crate speaks (`v` in every envelope).
pub const PROTOCOL_VERSION: u32 = 1;

/// A dynamically typed MessagePack value (arguments and results of commands the typed
/// helpers do not cover).
pub type Value = rmpv::Value;

/// A request: `{v, id, cmd, args, token?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request<A = Value> {
    /// Protocol version.
    pub v: u32,
    /// Chosen by the client; the reply carries it back.
    pub id: u64,
    /// The command, `domain.verb`.
    pub cmd: String,
    /// The command's arguments (a map).
    pub args: A,
    /// The shared token, when the server requires one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// A reply: `{v, id, ok: true, result}` or `{v, id, ok: false, error}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply<R = Value> {
    /// Protocol version.
    pub v: u32,
    /// The request's id (`null` when the request could not be read at all).
    pub id: Option<u64>,
    /// Whether the command succeeded.
    pub ok: bool,
    /// The result, when `ok`.
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub result: Option<R>,
    /// The error, when not `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

fn none<T>() -> Option<T> {
    None
}

fn nil() -> Value {
    Value::Nil
}

/// The closed list of error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The message is not a valid request (not MessagePack, not a map, fields missing).
    BadRequest,
    /// `cmd` names no command.
    UnknownCommand,
    /// An argument is missing, of the wrong type or out of range.
    InvalidArgument,
    /// A named object (object, image, clip, strip, job...) does not exist.
    NotFound,
    /// The token is missing or wrong.
    Unauthorized,
    /// The request or its result exceeds a size limit.
    TooLarge,
    /// The server is busy (queue full, another job running); retry later.
    Busy,
    /// The command is disabled (e.g. `exec` while off in the preferences).
    Forbidden,
    /// A job was cancelled.
    Cancelled,
    /// The protocol version is not supported.
    UnsupportedVersion,
    /// A bug or unexpected failure on the server; `details` may hold a traceback.
    Internal,
}

impl ErrorCode {
    /// The code's wire name, e.g. `"NOT_FOUND"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::UnknownCommand => "UNKNOWN_COMMAND",
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::TooLarge => "TOO_LARGE",
            ErrorCode::Busy => "BUSY",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::Cancelled => "CANCELLED",
            ErrorCode::UnsupportedVersion => "UNSUPPORTED_VERSION",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

/// `{code, message, details}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable text.
    pub message: String,
    /// Anything else (the offending argument, what a batch applied, ...).
    #[serde(default = "nil")]
    pub details: Value,
}

/// An n-dimensional array: `{dtype, shape, data}` with the bytes as MessagePack `bin`,
/// little-endian, C order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Array {
    /// numpy-style type code: `"f4"`, `"f8"`, `"u1"`, `"u2"`, `"i4"`, ...
    pub dtype: String,
    /// The extent of each dimension.
    pub shape: Vec<u64>,
    /// The elements' bytes.
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

impl Array {
    /// A float32 array of the given shape (the common case: pixels).
    pub fn from_f32(shape: Vec<u64>, values: &[f32]) -> Array {
        Array {
            dtype: "f4".into(),
            shape,
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    /// An int32 array of the given shape (indices: edges, polygon corners).
    pub fn from_i32(shape: Vec<u64>, values: &[i32]) -> Array {
        Array {
            dtype: "i4".into(),
            shape,
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    /// The elements as int32, if `dtype` is `"i4"` and the length fits the shape.
    pub fn to_i32(&self) -> Option<Vec<i32>> {
        let count: u64 = self.shape.iter().product();
        if self.dtype != "i4" || self.data.len() as u64 != count * 4 {
            return None;
        }
        Some(
            self.data
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }

    /// The elements as float32, if `dtype` is `"f4"` and the length fits the shape.
    pub fn to_f32(&self) -> Option<Vec<f32>> {
        let count: u64 = self.shape.iter().product();
        if self.dtype != "f4" || self.data.len() as u64 != count * 4 {
            return None;
        }
        Some(
            self.data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }
}

/// An event body; on the wire it follows its topic and one `0x00` byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event<D = Value> {
    /// Protocol version.
    pub v: u32,
    /// Monotonic per publisher, starting at 1: a jump means events were lost.
    pub seq: u64,
    /// The topic again (`frame`, `depsgraph`, `selection`, `file`, `job`, `log`).
    pub topic: String,
    /// Topic-specific data.
    pub data: D,
}

/// Splits an event message into its topic and body bytes.
pub fn split_event(msg: &[u8]) -> Option<(&str, &[u8])> {
    let nul = msg.iter().position(|b| *b == 0)?;
    let topic = std::str::from_utf8(&msg[..nul]).ok()?;
    Some((topic, &msg[nul + 1..]))
}

/// Builds an event message: topic, `0x00`, MessagePack body.
pub fn encode_event<D: Serialize>(event: &Event<D>) -> Result<Vec<u8>, rmp_serde::encode::Error> {
    let mut out = event.topic.as_bytes().to_vec();
    out.push(0);
    out.extend(crate::codec::encode(event)?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_code_names_match_serde() {
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::UnknownCommand,
            ErrorCode::InvalidArgument,
            ErrorCode::NotFound,
            ErrorCode::Unauthorized,
            ErrorCode::TooLarge,
            ErrorCode::Busy,
            ErrorCode::Forbidden,
            ErrorCode::Cancelled,
            ErrorCode::UnsupportedVersion,
            ErrorCode::Internal,
        ] {
            let bytes = rmp_serde::to_vec_named(&code).expect("encode");
            let name: String = rmp_serde::from_slice(&bytes).expect("decode");
            assert_eq!(name, code.as_str());
        }
    }
}
