//! The shared vectors in tests/vectors/: every message decodes into the typed envelope
//! and re-encodes to the same bytes (the Python codec checks the same files).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use nngbridge_scene::codec::{decode, encode};
use nngbridge_scene::{encode_event, split_event, Array, Event, Reply, Request, Value};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

#[test]
fn every_vector_round_trips_byte_for_byte() {
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("vectors.json")).unwrap())
            .unwrap();
    let vectors = index.as_array().unwrap();
    assert!(vectors.len() >= 10);
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let bytes = std::fs::read(dir().join(v["file"].as_str().unwrap())).unwrap();
        let again = match v["kind"].as_str().unwrap() {
            "request" => {
                let r: Request = decode(&bytes).unwrap();
                assert_eq!(r.cmd, v["value"]["cmd"].as_str().unwrap(), "{name}");
                encode(&r).unwrap()
            }
            "reply" => {
                let r: Reply = decode(&bytes).unwrap();
                assert_eq!(r.ok, v["value"]["ok"].as_bool().unwrap(), "{name}");
                if let Some(e) = &r.error {
                    assert_eq!(
                        e.code.as_str(),
                        v["value"]["error"]["code"].as_str().unwrap()
                    );
                }
                encode(&r).unwrap()
            }
            "event" => {
                let (topic, body) = split_event(&bytes).unwrap();
                let e: Event = decode(body).unwrap();
                assert_eq!(topic, e.topic, "{name}");
                assert_eq!(e.seq, v["value"]["seq"].as_u64().unwrap());
                encode_event(&e).unwrap()
            }
            other => panic!("unknown kind {other}"),
        };
        assert_eq!(again, bytes, "{name} does not re-encode to the same bytes");
    }
}

#[test]
fn binary_arrays_decode_typed() {
    let bytes = std::fs::read(dir().join("reply_ok_pixels.msgpack")).unwrap();
    let r: Reply<Array> = decode(&bytes).unwrap();
    let a = r.result.unwrap();
    assert_eq!((a.dtype.as_str(), a.shape.clone()), ("f4", vec![1, 2, 4]));
    assert_eq!(
        a.to_f32().unwrap(),
        vec![0.0, 0.25, 0.5, 1.0, 1.0, 0.5, 0.25, 0.0]
    );
    let typed = encode(&Reply {
        result: Some(a),
        ..r
    })
    .unwrap();
    assert_eq!(typed, bytes);
    let _: Value = decode(&bytes).unwrap();
}
