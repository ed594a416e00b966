//! The Rust half of the README's demo: a typed MessagePack client over req/rep and an
//! event subscriber over pub/sub, talking to the Python half (`python -m nngbridge.demo`).
//!
//! ```text
//! demo_peer <requests-address> <events-address> [count]
//! ```
//! It subscribes to `tick` events, sends `count` typed requests (several in flight over
//! contexts), checks every reply, asks the server to stop, and prints a summary. It exits
//! non-zero if any reply is wrong or an event was lost.

use std::time::{Duration, Instant};

use nngbridge::{Context, Protocol, Socket};
use nngbridge_scene::codec::{self, SocketExt};
use serde::{Deserialize, Serialize};

/// A request to the Python server.
#[derive(Debug, Serialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
enum Request {
    /// Add two numbers.
    Add { id: u64, a: i64, b: i64 },
    /// Scale a float32 array given as raw bytes; the reply carries it back scaled.
    Scale {
        id: u64,
        factor: f32,
        #[serde(with = "serde_bytes")]
        data: Vec<u8>,
    },
    /// Stop serving.
    Shutdown { id: u64 },
}

/// The server's answer.
#[derive(Debug, Deserialize)]
struct Reply {
    id: u64,
    ok: bool,
    #[serde(default)]
    sum: Option<i64>,
    #[serde(default, with = "serde_bytes")]
    data: Option<Vec<u8>>,
    #[serde(default)]
    error: Option<String>,
}

/// An event from the server.
#[derive(Debug, Deserialize)]
struct Tick {
    seq: u64,
    served: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: demo_peer <requests-address> <events-address> [count]");
        std::process::exit(2);
    }
    let count: u64 = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(1000);

    let events = Socket::new(Protocol::Sub0)?;
    events.subscribe(b"tick")?;
    events.set_recv_timeout(Some(Duration::from_millis(200)))?;
    events.dial(&args[2])?;

    let req = Socket::new(Protocol::Req0)?;
    req.dial(&args[1])?;
    const IN_FLIGHT: usize = 8;
    let ctxs: Vec<Context> = (0..IN_FLIGHT)
        .map(|_| Context::new(&req))
        .collect::<Result<_, _>>()?;
    for c in &ctxs {
        c.set_recv_timeout(Some(Duration::from_secs(10)))?;
    }

    let start = Instant::now();
    let mut wrong = 0u64;
    let mut id = 0u64;
    while id < count {
        let batch: Vec<(u64, Request)> = ctxs
            .iter()
            .take((count - id).min(IN_FLIGHT as u64) as usize)
            .map(|_| {
                id += 1;
                let r = if id % 10 == 0 {
                    let floats: Vec<u8> = [1.0f32, 2.0, 3.0]
                        .iter()
                        .flat_map(|f| f.to_le_bytes())
                        .collect();
                    Request::Scale {
                        id,
                        factor: 2.0,
                        data: floats,
                    }
                } else {
                    Request::Add {
                        id,
                        a: id as i64,
                        b: 1,
                    }
                };
                (id, r)
            })
            .collect();
        for (c, (_, r)) in ctxs.iter().zip(&batch) {
            c.send_value(r)?;
        }
        for (c, (rid, r)) in ctxs.iter().zip(&batch) {
            let reply: Reply = c.recv_value()?;
            let good = reply.ok
                && reply.id == *rid
                && match r {
                    Request::Add { a, b, .. } => reply.sum == Some(a + b),
                    Request::Scale { .. } => {
                        let want: Vec<u8> = [2.0f32, 4.0, 6.0]
                            .iter()
                            .flat_map(|f| f.to_le_bytes())
                            .collect();
                        reply.data.as_deref() == Some(&want[..])
                    }
                    Request::Shutdown { .. } => true,
                };
            if !good {
                wrong += 1;
                eprintln!("wrong reply for {rid}: {reply:?}");
            }
        }
    }
    let elapsed = start.elapsed();

    // Drain the events published so far and check that their sequence has no gaps.
    let mut seqs = Vec::new();
    let mut last_served = 0;
    while let Ok(m) = events.recv() {
        let body = m
            .body()
            .strip_prefix(b"tick")
            .ok_or("event without its topic")?;
        let t: Tick = codec::decode(body)?;
        seqs.push(t.seq);
        last_served = t.served;
        if t.served >= count {
            break;
        }
    }
    let gaps = seqs.windows(2).filter(|w| w[1] != w[0] + 1).count();

    let c = &ctxs[0];
    c.send_value(&Request::Shutdown { id: id + 1 })?;
    let bye: Reply = c.recv_value()?;

    println!(
        "demo: {count} requests in {:.1} ms ({:.1} us each, {IN_FLIGHT} in flight), {wrong} wrong; \
         {} events received (last served={last_served}), {gaps} gaps; shutdown ok={}",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / count as f64,
        seqs.len(),
        bye.ok && bye.error.is_none(),
    );
    if wrong > 0 || gaps > 0 || seqs.is_empty() || !bye.ok {
        std::process::exit(1);
    }
    Ok(())
}
