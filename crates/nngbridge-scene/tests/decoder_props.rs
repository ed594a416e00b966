//! Property tests: the bounded decoder never panics on arbitrary bytes, and every value
//! it encodes decodes back to the same value and the same bytes.
#![allow(clippy::unwrap_used)]

use nngbridge_scene::codec::{decode, encode, value_len};
use nngbridge_scene::{Request, Value};
use proptest::prelude::*;

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("NaN != NaN", |f| !f.is_nan())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 128, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::vec((".{0,8}".prop_map(Value::from), inner), 0..8)
                .prop_map(Value::Map),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = value_len(&bytes);
        let _ = decode::<Value>(&bytes);
        let _ = decode::<Request>(&bytes);
    }

    #[test]
    fn values_round_trip_to_the_same_bytes(v in value()) {
        let bytes = encode(&v).unwrap();
        prop_assert_eq!(value_len(&bytes).unwrap(), bytes.len());
        let back: Value = decode(&bytes).unwrap();
        prop_assert_eq!(encode(&back).unwrap(), bytes);
    }
}
