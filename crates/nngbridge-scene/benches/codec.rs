//! Criterion benches of the MessagePack codec on the three messages of
//! `benches/codec/bench_codec.py`: a small command (an `object.create` request), a
//! 1,000-object listing reply, and a 4 MiB float32 pixel blob as an [`Array`] reply.
//!
//! For each: encoding ([`codec::encode`]), decoding through the bounded decoder
//! ([`codec::decode_limited`]: size limit, [`codec::value_len`] walk, then rmp-serde) and
//! through plain `rmp_serde::from_slice`, and both round trips. `memcpy` of 4 MiB is the
//! floor (a blob round trip copies the pixels twice: into the message, out of it).
//!
//! ```text
//! cargo bench -p nngbridge-scene --bench codec -- --quick   # numbers
//! cargo test -p nngbridge-scene --bench codec               # each bench once (CI)
//! ```

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, Throughput};
use nngbridge_scene::codec::{self, DEFAULT_MAX_MESSAGE};
use nngbridge_scene::commands::{ObjectCreate, ObjectType};
use nngbridge_scene::{Array, Reply, Request, PROTOCOL_VERSION};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

const BLOB_BYTES: usize = 4 << 20;

/// The arguments of `object.create` as a server reads them.
#[derive(Debug, PartialEq, Deserialize)]
struct CreateArgs {
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
    location: Option<[f64; 3]>,
}

/// One entry of an `object.list` result (with locations, as in the Python bench).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct ListedObject {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    parent: Option<String>,
    collection: String,
    location: [f64; 3],
}

/// The `object.list` result.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Listing {
    objects: Vec<ListedObject>,
}

fn small_command() -> Request<ObjectCreate> {
    Request {
        v: PROTOCOL_VERSION,
        id: 42,
        cmd: "object.create".into(),
        args: ObjectCreate {
            kind: ObjectType::Cube,
            name: Some("Cube".into()),
            location: Some([1.0, 2.0, 3.0]),
            ..ObjectCreate::default()
        },
        token: None,
    }
}

fn listing() -> Reply<Listing> {
    let objects = (0..1000)
        .map(|i| ListedObject {
            name: format!("Object.{i:04}"),
            kind: "MESH".into(),
            parent: None,
            collection: "Props".into(),
            location: [f64::from(i), 0.5, -1.0],
        })
        .collect();
    Reply {
        v: PROTOCOL_VERSION,
        id: Some(7),
        ok: true,
        result: Some(Listing { objects }),
        error: None,
    }
}

fn pixel_blob() -> Reply<Array> {
    let pixels: Vec<f32> = (0..BLOB_BYTES / 4)
        .map(|i| (i % 251) as f32 / 250.0)
        .collect();
    Reply {
        v: PROTOCOL_VERSION,
        id: Some(9),
        ok: true,
        result: Some(Array::from_f32(vec![512, 512, 4], &pixels)),
        error: None,
    }
}

/// Benches one message: `E` is what is encoded, `D` what it is decoded into.
fn bench_case<E: Serialize, D: DeserializeOwned>(
    c: &mut Criterion,
    name: &str,
    value: &E,
    check: impl Fn(&D) -> bool,
) {
    let bytes = codec::encode(value).expect("encode");
    let decoded: D = codec::decode_limited(&bytes, DEFAULT_MAX_MESSAGE).expect("decode");
    assert!(check(&decoded), "{name}: decoded value differs");

    let mut group = c.benchmark_group(format!("codec_{name}"));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    if bytes.len() > 64 << 10 {
        // Hundreds of microseconds or more each: 100 linear samples would not fit.
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(20);
    }
    group.bench_function("encode", |b| {
        b.iter(|| codec::encode(black_box(value)).expect("encode"))
    });
    group.bench_function("decode_limited", |b| {
        b.iter(|| {
            codec::decode_limited::<D>(black_box(&bytes), DEFAULT_MAX_MESSAGE).expect("decode")
        })
    });
    group.bench_function("decode_rmp_serde", |b| {
        b.iter(|| rmp_serde::from_slice::<D>(black_box(&bytes)).expect("decode"))
    });
    group.bench_function("roundtrip_limited", |b| {
        b.iter(|| {
            let out = codec::encode(black_box(value)).expect("encode");
            codec::decode_limited::<D>(&out, DEFAULT_MAX_MESSAGE).expect("decode")
        })
    });
    group.bench_function("roundtrip_rmp_serde", |b| {
        b.iter(|| {
            let out = rmp_serde::to_vec_named(black_box(value)).expect("encode");
            rmp_serde::from_slice::<D>(&out).expect("decode")
        })
    });
    group.finish();
}

fn codec_cases(c: &mut Criterion) {
    bench_case(
        c,
        "small_command",
        &small_command(),
        |r: &Request<CreateArgs>| {
            r.cmd == "object.create"
                && r.args.kind == "CUBE"
                && r.args.name.as_deref() == Some("Cube")
                && r.args.location == Some([1.0, 2.0, 3.0])
        },
    );
    let list = listing();
    bench_case(c, "listing_1000", &list, |r: &Reply<Listing>| {
        r.result == list.result
    });
    let blob = pixel_blob();
    bench_case(c, "pixels_4MiB", &blob, |r: &Reply<Array>| {
        r.result == blob.result
    });
}

/// The floor for the blob: one copy of its 4 MiB.
fn memcpy(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec_memcpy");
    group.throughput(Throughput::Bytes(BLOB_BYTES as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    let src = vec![0x5au8; BLOB_BYTES];
    let mut dst = vec![0u8; BLOB_BYTES];
    group.bench_function("4MiB", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&src));
            black_box(&mut dst);
        })
    });
    group.finish();
}

// What `criterion_group!`/`criterion_main!` would write, without their undocumented `pub fn`.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    codec_cases(&mut c);
    memcpy(&mut c);
    c.final_summary();
}
