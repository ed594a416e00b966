//! The core's futures on a hand-written executor: no runtime anywhere.
//!
//! ```text
//! cargo run -p nngbridge --example async_block_on
//! ```
//! A Rep0 echo server on a thread; one task sends 8 requests over 8 contexts, all in
//! flight at once, and awaits the replies.

use nngbridge::{Context, Message, Protocol, Socket};

/// `block_on`, the executor (also the futures tests' one).
mod executor;
use executor::block_on;

fn main() -> Result<(), nngbridge::Error> {
    let rep = Socket::new(Protocol::Rep0)?;
    rep.listen("inproc://async-block-on")?;
    let server = std::thread::spawn(move || -> Result<(), nngbridge::Error> {
        for _ in 0..8 {
            let m = rep.recv()?;
            rep.send(m.body())?;
        }
        Ok(())
    });

    let req = Socket::new(Protocol::Req0)?;
    req.dial("inproc://async-block-on")?;
    let ctxs = (0..8)
        .map(|_| Context::new(&req))
        .collect::<Result<Vec<_>, _>>()?;
    let replies = block_on(async {
        // Send all eight (a send completes once queued), then await the replies: the
        // requests are in flight together, each on its own context. Futures start at
        // their first poll, so a send is under way only once awaited.
        let mut sends = Vec::new();
        for (i, c) in ctxs.iter().enumerate() {
            sends.push(c.send_future(Message::from_bytes(format!("request {i}").as_bytes())?));
        }
        for s in sends {
            s.await?;
        }
        let mut replies = Vec::new();
        for c in &ctxs {
            replies.push(String::from_utf8_lossy(c.recv_future().await?.body()).into_owned());
        }
        Ok::<_, nngbridge::Error>(replies)
    })?;
    for r in &replies {
        println!("reply: {r}");
    }
    server.join().map_err(|_| nngbridge::Error::Internal)??;
    Ok(())
}
