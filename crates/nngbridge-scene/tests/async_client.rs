//! AsyncSceneClient and AsyncEventStream under tokio, against real Rep0 / Pub0 peers over
//! inproc and tcp, and (ignored unless tests/test_blender_rust_peer.py starts one) a real
//! Blender.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

mod support {
    pub mod blender;
}

use nngbridge::{Context, Protocol, Socket};
use nngbridge_scene::codec::{decode, encode};
use nngbridge_scene::{
    encode_event, AsyncEventStream, AsyncSceneClient, CallError, Event, Reply, Request,
    SceneClient, Value, PROTOCOL_VERSION,
};
use support::blender::blender_under_test;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The echo reply to a request, the way the add-on shapes a result.
fn echo(body: &[u8]) -> Vec<u8> {
    let req: Request = decode(body).expect("a request");
    let reply = Reply {
        v: PROTOCOL_VERSION,
        id: Some(req.id),
        ok: true,
        result: Some(req.args),
        error: None,
    };
    encode(&reply).expect("encodes")
}

/// A Rep0 server that receives `n` requests on `n` contexts before answering any, so
/// they can only complete if all were in flight together. Returns the bound address and
/// a handle that keeps the socket open after the thread's last send.
fn serve_together(url: &str, n: usize) -> (String, thread::JoinHandle<()>, Socket) {
    let rep = Socket::new(Protocol::Rep0).expect("rep");
    let l = rep.listen(url).expect("listen");
    let addr = match l.local_address() {
        Ok(a) if url.starts_with("tcp") => a.to_string(),
        _ => url.to_owned(),
    };
    let kept = rep.clone();
    let h = thread::spawn(move || {
        let ctxs: Vec<Context> = (0..n).map(|_| Context::new(&rep).expect("ctx")).collect();
        let got: Vec<_> = ctxs.iter().map(|c| c.recv().expect("request")).collect();
        for (c, m) in ctxs.iter().zip(got) {
            c.send(&echo(m.body())).expect("reply");
        }
    });
    (addr, h, kept)
}

#[tokio::test(flavor = "current_thread")]
async fn many_requests_in_flight_from_one_task() -> TestResult {
    for url in ["inproc://async-many", "tcp://127.0.0.1:0"] {
        let n = 8;
        let (addr, server, _rep) = serve_together(url, n);
        let client = AsyncSceneClient::from(
            SceneClient::connect(&addr)?.with_timeout(Duration::from_secs(20)),
        );
        let calls: Vec<_> = (0..n)
            .map(|i| {
                let client = &client;
                async move { client.call_value("test.echo", Value::from(i)).await }
            })
            .collect();
        let mut handles = Vec::new();
        for c in calls {
            handles.push(Box::pin(c));
        }
        // One task polls all eight: a join of the futures, no spawn.
        let results = join_all(handles).await;
        for (i, r) in results.into_iter().enumerate() {
            assert_eq!(r?, Value::from(i));
        }
        server.join().map_err(|_| "server panicked")?;
    }
    Ok(())
}

/// Polls all futures from the current task until each is ready.
async fn join_all<F: std::future::Future + Unpin>(mut fs: Vec<F>) -> Vec<F::Output> {
    let mut out: Vec<Option<F::Output>> = fs.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (f, o) in fs.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                if let std::task::Poll::Ready(v) = std::pin::Pin::new(f).poll(cx) {
                    *o = Some(v);
                }
            }
        }
        if out.iter().all(Option::is_some) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

#[tokio::test(flavor = "current_thread")]
async fn a_call_canceled_by_timeout_leaves_the_client_usable() -> TestResult {
    let rep = Socket::new(Protocol::Rep0)?;
    rep.listen("inproc://async-cancel")?;
    let (go_tx, go_rx) = mpsc::channel::<()>();
    // The server thread's socket would close right after its last send, which may drop
    // that reply unwritten: this handle keeps it open until the test is done.
    let _kept = rep.clone();
    let server = thread::spawn(move || -> Vec<u8> {
        // Hold the first request until the client gave up on it, then answer it late.
        let first = rep.recv().expect("first");
        go_rx.recv().expect("go");
        let _ = rep.send(&echo(first.body()));
        let second = rep.recv().expect("second");
        rep.send(&echo(second.body())).expect("reply");
        second.body().to_vec()
    });
    let client = AsyncSceneClient::connect("inproc://async-cancel")?;
    let slow = tokio::time::timeout(
        Duration::from_millis(50),
        client.call_value("test.echo", Value::from("first")),
    )
    .await;
    assert!(slow.is_err(), "the held call timed out: {slow:?}");
    go_tx.send(())?;
    // The late reply went to the canceled call's closed context, not to this call.
    let v = client
        .call_value("test.echo", Value::from("second"))
        .await?;
    assert_eq!(v, Value::from("second"));
    let second: Request = decode(&server.join().map_err(|_| "server panicked")?)?;
    assert_eq!(second.args, Value::from("second"));
    Ok(())
}

#[tokio::test(flavor = "current_thread")]
async fn bad_replies_are_errors_and_the_client_goes_on() -> TestResult {
    let rep = Socket::new(Protocol::Rep0)?;
    rep.listen("inproc://async-bad")?;
    // The server thread's socket would close right after its last send, which may drop
    // that reply unwritten: this handle keeps it open until the test is done.
    let _kept = rep.clone();
    let server = thread::spawn(move || {
        let m = rep.recv().expect("req");
        rep.send(b"\xc1 not msgpack").expect("reply");
        let m2 = rep.recv().expect("req");
        let _ = m;
        rep.send(&echo(m2.body())).expect("reply");
    });
    let client = AsyncSceneClient::connect("inproc://async-bad")?;
    match client.ping().await {
        Err(CallError::Decode(_)) => {}
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(
        client.call_value("test.echo", Value::from(7)).await?,
        Value::from(7)
    );
    server.join().map_err(|_| "server panicked")?;
    Ok(())
}

#[tokio::test(flavor = "current_thread")]
async fn events_stream_with_gaps_and_a_dropped_wait_loses_nothing() -> TestResult {
    use futures_core::Stream;
    let publ = Socket::new(Protocol::Pub0)?;
    publ.listen("inproc://async-events")?;
    let mut events = AsyncEventStream::connect("inproc://async-events", &["frame"])?;
    let publish = |seq: u64| -> TestResult {
        let e = Event {
            v: PROTOCOL_VERSION,
            seq,
            topic: "frame".into(),
            data: Value::from(seq),
        };
        publ.send(&encode_event(&e)?)?;
        Ok(())
    };
    // Nothing yet: the wait times out and is dropped; its receive keeps running.
    let waited = tokio::time::timeout(Duration::from_millis(20), events.next_event()).await;
    assert!(waited.is_err());
    // The subscription may still be connecting: publish until the first arrives.
    let first = loop {
        publish(1)?;
        if let Ok(e) = tokio::time::timeout(Duration::from_millis(50), events.next_event()).await {
            break e?;
        }
    };
    assert_eq!(first.seq, 1);
    publish(2)?;
    publish(5)?;
    let e = std::future::poll_fn(|cx| std::pin::Pin::new(&mut events).poll_next(cx)).await;
    assert_eq!(e.ok_or("stream ended")??.seq, 2);
    assert_eq!(events.next_event().await?.seq, 5);
    assert_eq!(events.lost(), 2);
    Ok(())
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a running Blender: tests/test_blender_rust_peer.py runs it"]
async fn async_client_drives_a_real_blender() -> TestResult {
    use nngbridge_scene::commands::{ObjectCreate, ObjectDelete, ObjectGet, ObjectType};
    let [address, _events, _work] =
        blender_under_test().ok_or("NNGBRIDGE_TEST_ADDRESS/EVENTS/WORK name the Blender")?;
    let client = AsyncSceneClient::connect_local(&address)?;
    let hello = client.hello().await?;
    assert_eq!(hello["protocol"], Value::from(PROTOCOL_VERSION));
    // Eight creates in flight from this one task.
    let creates: Vec<_> = (0..8)
        .map(|i| {
            let client = &client;
            Box::pin(async move {
                client
                    .run(&ObjectCreate {
                        kind: ObjectType::Empty,
                        name: Some(format!("Async{i}")),
                        location: Some([i as f64, 0.0, 0.0]),
                        ..Default::default()
                    })
                    .await
            })
        })
        .collect();
    let mut names = Vec::new();
    for r in join_all(creates).await {
        names.push(r?.name);
    }
    for (i, name) in names.iter().enumerate() {
        let got = client
            .run(&ObjectGet {
                name: name.clone(),
                properties: None,
            })
            .await?;
        assert_eq!(got.location[0], i as f64);
    }
    client.run(&ObjectDelete { names }).await?;
    // One read-only command of each domain, all in flight together.
    let reads = [
        "scene.get",
        "collection.list",
        "image.list",
        "clip.list",
        "mask.list",
        "material.list",
        "gpencil.list",
        "job.list",
        "object.selection",
    ];
    let calls = reads
        .iter()
        .map(|cmd| Box::pin(client.call_value(cmd, Value::Map(vec![]))))
        .collect();
    for (cmd, r) in reads.iter().zip(join_all(calls).await) {
        let v = r.map_err(|e| format!("{cmd}: {e}"))?;
        assert!(v.is_map(), "{cmd} returned {v:?}");
    }
    match client.call_value("object.nope", Value::Map(vec![])).await {
        Err(CallError::Server(_)) => {}
        other => panic!("expected a server error, got {other:?}"),
    }
    println!("async client: all checks passed");
    Ok(())
}
