//! `AsyncSceneClient` under tokio: a scene server's hello, then many calls in flight from
//! one task, and a call canceled by a timeout.
//!
//! ```text
//! async_tokio <address>     # e.g. a Blender serving the add-on: tcp://127.0.0.1:5555
//! ```
//! It uses the server's local token (`connect_local`) and prints what it got.

use std::time::{Duration, Instant};

use nngbridge_scene::{AsyncSceneClient, CallError, Value};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), CallError> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tcp://127.0.0.1:5555".into());
    let client = AsyncSceneClient::connect_local(&address)?;
    let hello = client.hello().await?;
    println!("hello: server {}", hello["server"]);

    // 64 pings, 8 in flight at a time, all from this one task.
    let start = Instant::now();
    for _ in 0..8 {
        let (a, b, c, d, e, f, g, h) = tokio::join!(
            client.ping(),
            client.ping(),
            client.ping(),
            client.ping(),
            client.ping(),
            client.ping(),
            client.ping(),
            client.ping()
        );
        for r in [a, b, c, d, e, f, g, h] {
            assert_eq!(r?, Value::from("pong"));
        }
    }
    println!("64 pings, 8 in flight: {:?}", start.elapsed());

    // A call given up on is canceled (its context closed); the client goes on.
    match tokio::time::timeout(Duration::from_micros(1), client.ping()).await {
        Ok(r) => println!("ping beat the timeout: {:?}", r?),
        Err(_) => println!("ping canceled by its timeout"),
    }
    println!("after cancel: {}", client.ping().await?);
    Ok(())
}
