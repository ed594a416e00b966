//! Async against blocking scene calls, in the same run, over tcp to a Rust Rep0 server
//! that answers like the add-on (8 contexts, one thread each): the round trip of one
//! call at a time, and requests/s with 8 in flight (blocking: 8 threads; async: one
//! tokio task joining 8 calls). Prints a markdown table with ratios.
//!
//! ```text
//! cargo bench -p nngbridge-scene --bench async_calls
//! ```

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use nngbridge::{Context, Protocol, Socket};
use nngbridge_scene::codec::{decode, encode};
use nngbridge_scene::{AsyncSceneClient, CallError, Reply, Request, SceneClient};

/// Calls per measurement and rounds: `cargo bench` passes `--bench`; without it (CI's
/// `cargo test --bench '*'`) a short run proves the bench works.
fn sizes() -> (usize, usize) {
    if std::env::args().any(|a| a == "--bench") {
        (4000, 5)
    } else {
        (80, 1)
    }
}

fn serve() -> Result<(String, Socket), CallError> {
    let rep = Socket::new(Protocol::Rep0)?;
    let addr = rep
        .listen("tcp://127.0.0.1:0")?
        .local_address()?
        .to_string();
    for _ in 0..8 {
        let ctx = Context::new(&rep)?;
        thread::spawn(move || {
            while let Ok(m) = ctx.recv() {
                let Ok(req) = decode::<Request>(m.body()) else {
                    return;
                };
                let reply = Reply {
                    v: req.v,
                    id: Some(req.id),
                    ok: true,
                    result: Some(req.args),
                    error: None,
                };
                let Ok(bytes) = encode(&reply) else { return };
                if ctx.send(&bytes).is_err() {
                    return;
                }
            }
        });
    }
    Ok((addr, rep))
}

fn blocking_one(c: &SceneClient, calls: usize) -> Result<Duration, CallError> {
    let t = Instant::now();
    for _ in 0..calls {
        c.ping()?;
    }
    Ok(t.elapsed())
}

fn blocking_eight(c: &Arc<SceneClient>, calls: usize) -> Result<Duration, CallError> {
    let t = Instant::now();
    let hs: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            thread::spawn(move || -> Result<(), CallError> {
                for _ in 0..calls / 8 {
                    c.ping()?;
                }
                Ok(())
            })
        })
        .collect();
    for h in hs {
        h.join()
            .map_err(|_| CallError::Protocol("thread panicked".into()))??;
    }
    Ok(t.elapsed())
}

async fn async_one(c: &AsyncSceneClient, calls: usize) -> Result<Duration, CallError> {
    let t = Instant::now();
    for _ in 0..calls {
        c.ping().await?;
    }
    Ok(t.elapsed())
}

async fn async_eight(c: &AsyncSceneClient, calls: usize) -> Result<Duration, CallError> {
    let t = Instant::now();
    for _ in 0..calls / 8 {
        let r = tokio::join!(
            c.ping(),
            c.ping(),
            c.ping(),
            c.ping(),
            c.ping(),
            c.ping(),
            c.ping(),
            c.ping()
        );
        for v in [r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7] {
            v?;
        }
    }
    Ok(t.elapsed())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), CallError> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let (calls, rounds) = sizes();
    let (addr, _server) = serve()?;
    let blocking = Arc::new(SceneClient::connect(&addr)?);
    let asyncc = AsyncSceneClient::connect(&addr)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CallError::TokenFile)?;
    // Warm up connections and context pools.
    blocking_eight(&blocking, calls)?;
    rt.block_on(async_eight(&asyncc, calls))?;
    let (mut b1, mut a1, mut b8, mut a8) = (vec![], vec![], vec![], vec![]);
    let rate = |d: Duration| calls as f64 / d.as_secs_f64();
    // Interleaved rounds, so both see the same machine load.
    for _ in 0..rounds {
        b1.push(rate(blocking_one(&blocking, calls)?));
        a1.push(rate(rt.block_on(async_one(&asyncc, calls))?));
        b8.push(rate(blocking_eight(&blocking, calls)?));
        a8.push(rate(rt.block_on(async_eight(&asyncc, calls))?));
    }
    let (b1, a1, b8, a8) = (median(b1), median(a1), median(b8), median(a8));
    println!("| case (tcp, `session.ping`-sized call) | blocking | async (tokio, one task) | async / blocking |");
    println!("|---|---:|---:|---:|");
    println!(
        "| round trip, one call at a time (µs) | {:.1} | {:.1} | {:.2}x |",
        1e6 / b1,
        1e6 / a1,
        b1 / a1
    );
    println!(
        "| 8 in flight (requests/s) | {:.0} | {:.0} | {:.2}x |",
        b8,
        a8,
        a8 / b8
    );
    Ok(())
}
