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

/// tests/vectors/edge_cases.json: the bytes of each case, from its `[hex, times]` parts.
fn edge_cases() -> Vec<(String, Vec<u8>, bool)> {
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("edge_cases.json")).unwrap())
            .unwrap();
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    cases
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mut bytes = Vec::new();
            for part in c["parts"].as_array().unwrap() {
                let chunk = hex(part[0].as_str().unwrap());
                for _ in 0..part[1].as_u64().unwrap() {
                    bytes.extend_from_slice(&chunk);
                }
            }
            let name = c["name"].as_str().unwrap().to_owned();
            (name, bytes, c["accept"].as_bool().unwrap())
        })
        .collect()
}

/// The same cases go through Python's `unpackb` in tests/test_protocol_vectors.py: both
/// decoders give the same verdict on each.
#[test]
fn edge_cases_get_the_shared_verdict() {
    let cases = edge_cases();
    assert!(cases.len() >= 20);
    for (name, bytes, accept) in cases {
        let got = decode::<Value>(&bytes);
        assert_eq!(got.is_ok(), accept, "{name}: {got:?}");
        assert_eq!(
            nngbridge_scene::codec::value_len(&bytes).is_ok_and(|n| n == bytes.len()),
            accept,
            "{name}"
        );
    }
}

#[test]
fn typed_values_travel_as_messagepack_under_the_same_rules() {
    use nngbridge::{Protocol, Socket};
    use nngbridge_scene::codec::{SocketExt, ValueError};

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Cmd {
        cmd: String,
        frame: i64,
    }
    let pull = Socket::new(Protocol::Pull0).unwrap();
    pull.listen("inproc://scene-values").unwrap();
    let push = Socket::new(Protocol::Push0).unwrap();
    push.dial("inproc://scene-values").unwrap();
    let sent = Cmd {
        cmd: "scene.frame_set".into(),
        frame: 42,
    };
    push.send_value(&sent).unwrap();
    assert_eq!(pull.recv_value::<Cmd>().unwrap(), sent);
    for (name, bytes, accept) in edge_cases() {
        push.send(&bytes).unwrap();
        let got = pull.recv_value::<Value>();
        assert_eq!(got.is_ok(), accept, "{name}");
        if !accept {
            assert!(matches!(got, Err(ValueError::Decode(_))), "{name}");
        }
    }
}
