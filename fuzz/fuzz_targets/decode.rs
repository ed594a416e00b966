//! Fuzzes the bounded decoder: any input must decode or fail cleanly, never panic,
//! abort or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nngbridge_scene::codec::{decode_limited, value_len};
use nngbridge_scene::{split_event, Event, Reply, Request, Value};

fuzz_target!(|data: &[u8]| {
    let _ = value_len(data);
    let _ = decode_limited::<Value>(data, 1 << 20);
    let _ = decode_limited::<Request>(data, 1 << 20);
    let _ = decode_limited::<Reply>(data, 1 << 20);
    if let Some((_, body)) = split_event(data) {
        let _ = decode_limited::<Event>(body, 1 << 20);
    }
});
