//! Encoding and bounded decoding of protocol messages, and the one set of rules every
//! MessagePack path of the project follows: this crate's decoder, [`SocketExt`]'s typed
//! values, and the Python module's `packb`/`unpackb`/`pack_with_tail` (`nngbridge-py`, which
//! takes these constants). `docs/protocol.md` §2 tabulates them.

use nngbridge::{Context, Socket};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The largest message this crate decodes by default (64 MiB: a 4K RGBA float frame is
/// 127 MiB, so pixel transfers pass their own, larger limit).
pub const DEFAULT_MAX_MESSAGE: usize = 64 << 20;

/// Containers nested deeper than this are refused, both ways (msgpack-python's stack
/// limit is 1024): a value may sit inside at most this many arrays and maps.
pub const MAX_DEPTH: usize = 512;

/// Ext types (`0xc7..=0xc9`, `0xd4..=0xd8`) are not part of the protocol: refused.
pub const EXT_TYPES_ACCEPTED: bool = false;

/// Map keys must be `str` (or `bin`): named fields. Python's `unpackb(strict_map_key=False)`
/// is the one opt-out, for msgpack-python compatibility.
pub const STR_KEYS_ONLY: bool = true;

/// A message holds exactly one value: bytes after it are refused.
pub const TRAILING_BYTES_ACCEPTED: bool = false;

/// Why a message could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Larger than the limit.
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The message size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not valid MessagePack for the expected type (truncated, wrong types, too deep).
    #[error("invalid message: {0}")]
    Invalid(#[from] rmp_serde::decode::Error),
    /// Bytes left over after the value.
    #[error("{0} bytes of trailing data")]
    Trailing(usize),
    /// Cut short, nested too deeply, or a byte that is no MessagePack marker.
    #[error("malformed MessagePack: {0}")]
    Malformed(&'static str),
}

/// Why a marker is refused: ext types and `0xc1`.
fn refused_marker(m: u8) -> Option<&'static str> {
    match m {
        0xc7..=0xc9 | 0xd4..=0xd8 if !EXT_TYPES_ACCEPTED => Some("ext types are not supported"),
        0xc1 => Some("invalid marker 0xc1"),
        _ => None,
    }
}

/// The length in bytes of the first MessagePack value in `b`, checked without
/// allocating against the rules above: every length against the input, nesting against
/// [`MAX_DEPTH`], no ext types, `str`/`bin` map keys.
pub fn value_len(b: &[u8]) -> Result<usize, DecodeError> {
    // Pending values to skip: (count, whether they are a map's keys and values), no
    // recursion, so no stack to exhaust. Entries below the top are open containers.
    let mut pos = 0usize;
    let mut pending: Vec<(u64, bool)> = vec![(1, false)];
    let need = |pos: usize, n: usize| -> Result<usize, DecodeError> {
        pos.checked_add(n)
            .filter(|e| *e <= b.len())
            .ok_or(DecodeError::Malformed("truncated"))
    };
    let be = |at: usize, n: usize| -> Result<u64, DecodeError> {
        let end = need(at, n)?;
        Ok(b[at..end]
            .iter()
            .fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
    };
    while let Some((left, in_map)) = pending.last_mut() {
        if *left == 0 {
            pending.pop();
            continue;
        }
        // A map's entries alternate key, value, counting down from an even number.
        let is_key = *in_map && *left % 2 == 0;
        *left -= 1;
        let m = *b.get(pos).ok_or(DecodeError::Malformed("truncated"))?;
        pos += 1;
        if let Some(why) = refused_marker(m) {
            return Err(DecodeError::Malformed(why));
        }
        if STR_KEYS_ONLY && is_key && !matches!(m, 0xa0..=0xbf | 0xd9..=0xdb | 0xc4..=0xc6) {
            return Err(DecodeError::Malformed("map key is not a str"));
        }
        let is_map = matches!(m, 0x80..=0x8f | 0xde | 0xdf);
        if (is_map || matches!(m, 0x90..=0x9f | 0xdc | 0xdd)) && pending.len() > MAX_DEPTH {
            return Err(DecodeError::Malformed("nested too deeply"));
        }
        let (skip, children): (usize, u64) = match m {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc1 | 0xc2 | 0xc3 => (0, 0),
            0x80..=0x8f => (0, 2 * u64::from(m & 0x0f)),
            0x90..=0x9f => (0, u64::from(m & 0x0f)),
            0xa0..=0xbf => (usize::from(m & 0x1f), 0),
            0xc4 | 0xd9 => (1 + be(pos, 1)? as usize, 0),
            0xc5 | 0xda => (2 + be(pos, 2)? as usize, 0),
            0xc6 | 0xdb => (4 + be(pos, 4)? as usize, 0),
            0xc7 => (2 + be(pos, 1)? as usize, 0),
            0xc8 => (3 + be(pos, 2)? as usize, 0),
            0xc9 => (5 + be(pos, 4)? as usize, 0),
            0xca | 0xce | 0xd2 => (4, 0),
            0xcb | 0xcf | 0xd3 => (8, 0),
            0xcc | 0xd0 => (1, 0),
            0xcd | 0xd1 => (2, 0),
            0xd4 => (2, 0),
            0xd5 => (3, 0),
            0xd6 => (5, 0),
            0xd7 => (9, 0),
            0xd8 => (17, 0),
            0xdc => (2, be(pos, 2)?),
            0xdd => (4, be(pos, 4)?),
            0xde => (2, 2 * be(pos, 2)?),
            0xdf => (4, 2 * be(pos, 4)?),
        };
        pos = need(pos, skip)?;
        if children > 0 {
            // Each child takes at least one byte: more than what is left is a lie.
            if children > (b.len() - pos) as u64 {
                return Err(DecodeError::Malformed("truncated"));
            }
            pending.push((children, is_map));
        }
    }
    Ok(pos)
}

/// Encodes a value as MessagePack with named fields.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, rmp_serde::encode::Error> {
    let bytes = rmp_serde::to_vec_named(value)?;
    // What we send obeys the rules we receive by (protocol.md §2): an ext value (an
    // `rmpv::Value::Ext`) or a tree nested past MAX_DEPTH is refused here, not by the peer.
    value_len(&bytes).map_err(<rmp_serde::encode::Error as serde::ser::Error>::custom)?;
    Ok(bytes)
}

/// Decodes one value from `bytes`, refusing messages over `limit` bytes, nesting deeper
/// than [`MAX_DEPTH`], truncated input and trailing bytes. Never panics and
/// never allocates more than the input's size for lengths the input claims.
pub fn decode_limited<T: DeserializeOwned>(bytes: &[u8], limit: usize) -> Result<T, DecodeError> {
    if bytes.len() > limit {
        return Err(DecodeError::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    let len = value_len(bytes)?;
    if len != bytes.len() {
        return Err(DecodeError::Trailing(bytes.len() - len));
    }
    // Reading from the slice borrows bin/str data instead of allocating what a length
    // field claims.
    Ok(rmp_serde::from_slice(bytes)?)
}

/// [`decode_limited`] with [`DEFAULT_MAX_MESSAGE`].
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    decode_limited(bytes, DEFAULT_MAX_MESSAGE)
}

/// An error from [`SocketExt::send_value`] or [`SocketExt::recv_value`].
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    /// The socket failed.
    #[error(transparent)]
    Nng(#[from] nngbridge::Error),
    /// The value could not be encoded.
    #[error("MessagePack encode: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
    /// The message broke a rule of this module or was not the expected type.
    #[error("MessagePack decode: {0}")]
    Decode(#[from] DecodeError),
}

/// Any serde value over a socket or context, as MessagePack with named fields, decoded by
/// [`decode`] (so under the same rules as the scene protocol).
///
/// ```
/// use nngbridge::{Protocol, Socket};
/// use nngbridge_scene::codec::SocketExt;
///
/// let pull = Socket::new(Protocol::Pull0)?;
/// pull.listen("inproc://socket-ext-doc")?;
/// let push = Socket::new(Protocol::Push0)?;
/// push.dial("inproc://socket-ext-doc")?;
/// push.send_value(&("object.list", 1))?;
/// let got: (String, u8) = pull.recv_value()?;
/// assert_eq!(got, ("object.list".to_string(), 1));
/// # Ok::<(), nngbridge_scene::codec::ValueError>(())
/// ```
pub trait SocketExt {
    /// Serialises `value` and sends it.
    fn send_value<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), ValueError>;
    /// Receives a message and decodes it ([`decode`]: at most [`DEFAULT_MAX_MESSAGE`]).
    fn recv_value<T: DeserializeOwned>(&self) -> Result<T, ValueError>;
}

impl SocketExt for Socket {
    fn send_value<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), ValueError> {
        Ok(self.send(&encode(value)?)?)
    }

    fn recv_value<T: DeserializeOwned>(&self) -> Result<T, ValueError> {
        Ok(decode(self.recv()?.body())?)
    }
}

impl SocketExt for Context {
    fn send_value<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), ValueError> {
        Ok(self.send(&encode(value)?)?)
    }

    fn recv_value<T: DeserializeOwned>(&self) -> Result<T, ValueError> {
        Ok(decode(self.recv()?.body())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_refuses_what_decode_refuses() {
        let ext = rmpv::Value::Ext(5, vec![1, 2, 3]);
        assert!(encode(&ext).is_err(), "an ext value is refused when sent");
        let mut deep = rmpv::Value::Array(vec![]);
        for _ in 0..MAX_DEPTH {
            deep = rmpv::Value::Array(vec![deep]);
        }
        assert!(
            encode(&deep).is_err(),
            "nesting past MAX_DEPTH is refused when sent"
        );
        let ok = rmpv::Value::Array(vec![rmpv::Value::from("fine")]);
        assert_eq!(
            decode::<rmpv::Value>(&encode(&ok).expect("encode")).expect("decode"),
            ok
        );
    }

    #[test]
    fn value_len_measures_and_rejects() {
        let v = encode(&(
            1u8,
            "ab",
            vec![1.5f64],
            std::collections::BTreeMap::from([("k", 2)]),
        ))
        .expect("encode");
        assert_eq!(value_len(&v).expect("len"), v.len());
        assert!(matches!(
            value_len(&v[..v.len() - 1]),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(
            value_len(b"\xdd\xff\xff\xff\xff"),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(
            value_len(b"\xc6\xff\xff\xff\xff"),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(
            value_len(&[0x91; 2000]),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(
            decode::<u8>(b"\x01\x02"),
            Err(DecodeError::Trailing(1))
        ));
        assert!(matches!(
            decode_limited::<u8>(&[1; 10], 4),
            Err(DecodeError::TooLarge { size: 10, limit: 4 })
        ));
    }
}
