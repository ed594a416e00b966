//! Encoding and bounded decoding of protocol messages.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// The largest message this crate decodes by default (64 MiB: a 4K RGBA float frame is
/// 127 MiB, so pixel transfers pass their own, larger limit).
pub const DEFAULT_MAX_MESSAGE: usize = 64 << 20;

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

/// Nesting deeper than this is refused.
pub const MAX_DEPTH: usize = 512;

/// The length in bytes of the first MessagePack value in `b`, checked without
/// allocating: every length is checked against the input, and nesting against
/// [`MAX_DEPTH`].
pub fn value_len(b: &[u8]) -> Result<usize, DecodeError> {
    // Pending values to skip, as a count (no recursion, so no stack to exhaust).
    let mut pos = 0usize;
    let mut pending: Vec<u64> = vec![1];
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
    while let Some(top) = pending.last_mut() {
        if *top == 0 {
            pending.pop();
            continue;
        }
        *top -= 1;
        let m = *b.get(pos).ok_or(DecodeError::Malformed("truncated"))?;
        pos += 1;
        let (skip, children): (usize, u64) = match m {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, 0),
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
            0xc1 => return Err(DecodeError::Malformed("invalid marker 0xc1")),
        };
        pos = need(pos, skip)?;
        if children > 0 {
            // Each child takes at least one byte: more than what is left is a lie.
            if children > (b.len() - pos) as u64 {
                return Err(DecodeError::Malformed("truncated"));
            }
            if pending.len() > MAX_DEPTH {
                return Err(DecodeError::Malformed("nested too deeply"));
            }
            pending.push(children);
        }
    }
    Ok(pos)
}

/// Encodes a value as MessagePack with named fields.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, rmp_serde::encode::Error> {
    rmp_serde::to_vec_named(value)
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

#[cfg(test)]
mod tests {
    use super::*;

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
