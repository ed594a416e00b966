//! SceneClient and EventStream against a server loop in Rust that answers the way the
//! Blender add-on does (docs/protocol.md).
#![allow(clippy::unwrap_used)]

use std::thread;
use std::time::Duration;

use nngbridge::{Protocol, Socket};
use nngbridge_scene::codec::{decode, encode};
use nngbridge_scene::{
    encode_event, Array, CallError, ErrorBody, ErrorCode, Event, EventStream, FailureKind, Reply,
    Request, SceneClient, Value, PROTOCOL_VERSION,
};

fn error_reply(id: Option<u64>, code: ErrorCode, message: &str) -> Reply {
    Reply {
        v: PROTOCOL_VERSION,
        id,
        ok: false,
        result: None,
        error: Some(ErrorBody {
            code,
            message: message.into(),
            details: Value::Nil,
        }),
    }
}

/// Answers requests until `session.shutdown`, with several contexts' worth of requests
/// handled concurrently by one Rep0 socket in a loop.
/// The returned socket handle keeps the server's socket open after its thread ends (a
/// socket closed right after its last send may drop that reply unwritten).
fn serve(address: &str, token: Option<&'static str>) -> (thread::JoinHandle<u64>, Socket) {
    let rep = Socket::new(Protocol::Rep0).unwrap();
    rep.listen(address).unwrap();
    let kept = rep.clone();
    let thread = thread::spawn(move || {
        let mut served = 0;
        loop {
            let msg = rep.recv().unwrap();
            served += 1;
            let req: Request = match decode(msg.body()) {
                Ok(r) => r,
                Err(e) => {
                    let r = error_reply(None, ErrorCode::BadRequest, &e.to_string());
                    rep.send(&encode(&r).unwrap()).unwrap();
                    continue;
                }
            };
            let id = Some(req.id);
            let reply = if token.is_some() && req.token.as_deref() != token {
                error_reply(id, ErrorCode::Unauthorized, "wrong token")
            } else {
                let ok = |result: Value| Reply {
                    v: PROTOCOL_VERSION,
                    id,
                    ok: true,
                    result: Some(result),
                    error: None,
                };
                match req.cmd.as_str() {
                    "session.ping" => ok(Value::from("pong")),
                    "session.hello" => ok(Value::Map(vec![
                        ("protocol".into(), PROTOCOL_VERSION.into()),
                        (
                            "commands".into(),
                            Value::Array(vec!["session.ping".into(), "test.echo".into()]),
                        ),
                    ])),
                    "test.echo" => ok(req.args.clone()),
                    "test.slow" => {
                        thread::sleep(Duration::from_millis(300));
                        ok(Value::Nil)
                    }
                    "image.pixels_get" => {
                        ok(rmpv::ext::to_value(Array::from_f32(vec![1, 2, 4], &[0.5; 8])).unwrap())
                    }
                    "session.shutdown" => {
                        rep.send(&encode(&ok(Value::Boolean(true))).unwrap())
                            .unwrap();
                        return served;
                    }
                    other => error_reply(
                        id,
                        ErrorCode::UnknownCommand,
                        &format!("no command {other}"),
                    ),
                }
            };
            rep.send(&encode(&reply).unwrap()).unwrap();
        }
    });
    (thread, kept)
}

#[test]
fn calls_return_results_and_structured_errors() {
    let (server, _rep) = serve("inproc://scene-calls", None);
    let client = SceneClient::connect("inproc://scene-calls")
        .unwrap()
        .with_timeout(Duration::from_secs(5));
    assert_eq!(client.ping().unwrap(), Value::from("pong"));
    let hello = client.hello().unwrap();
    assert_eq!(hello["protocol"], Value::from(PROTOCOL_VERSION));
    let args = Value::Map(vec![
        ("name".into(), "Cube".into()),
        ("size".into(), 2.5.into()),
    ]);
    assert_eq!(client.call_value("test.echo", args.clone()).unwrap(), args);
    match client.call_value("object.nope", Value::Map(vec![])) {
        Err(CallError::Server(e)) => assert_eq!(e.code, ErrorCode::UnknownCommand),
        other => panic!("expected UNKNOWN_COMMAND, got {other:?}"),
    }
    let pixels: Array = client
        .call("image.pixels_get", &Value::Map(vec![]))
        .unwrap();
    assert_eq!(pixels.shape, vec![1, 2, 4]);
    assert_eq!(pixels.to_f32().unwrap(), vec![0.5; 8]);
    let _: Value = client
        .call("session.shutdown", &Value::Map(vec![]))
        .unwrap();
    assert_eq!(server.join().unwrap(), 6);
}

#[test]
fn many_calls_in_flight_from_threads_share_one_connection() {
    let (server, _rep) = serve("inproc://scene-many", None);
    let client = std::sync::Arc::new(SceneClient::connect("inproc://scene-many").unwrap());
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let c = client.clone();
            thread::spawn(move || {
                for j in 0..50 {
                    let v = Value::from(i * 1000 + j);
                    assert_eq!(c.call_value("test.echo", v.clone()).unwrap(), v);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let _: Value = client
        .call("session.shutdown", &Value::Map(vec![]))
        .unwrap();
    assert_eq!(server.join().unwrap(), 401);
}

#[test]
fn timeouts_tokens_and_malformed_requests() {
    let (server, _rep) = serve("inproc://scene-token", Some("s3cret"));
    let client = SceneClient::connect("inproc://scene-token")
        .unwrap()
        .with_timeout(Duration::from_millis(100));
    match client.ping() {
        Err(CallError::Server(e)) => assert_eq!(e.code, ErrorCode::Unauthorized),
        other => panic!("expected UNAUTHORIZED, got {other:?}"),
    }
    let client = client.with_token("s3cret");
    assert!(matches!(
        client.call_value("test.slow", Value::Nil),
        Err(CallError::Nng(nngbridge::Error::Timeout))
    ));
    // Garbage gets BAD_REQUEST and the server keeps serving.
    let raw = Socket::new(Protocol::Req0).unwrap();
    raw.dial("inproc://scene-token").unwrap();
    raw.set_recv_timeout(Some(Duration::from_secs(5))).unwrap();
    for garbage in [&b"\xc1"[..], b"\x92\x01", b"not msgpack at all", b"\x80"] {
        raw.send(garbage).unwrap();
        let r: Reply = decode(raw.recv().unwrap().body()).unwrap();
        assert_eq!(r.error.unwrap().code, ErrorCode::BadRequest);
    }
    let client = client.with_timeout(Duration::from_secs(5));
    assert_eq!(client.ping().unwrap(), Value::from("pong"));
    let _: Value = client
        .call("session.shutdown", &Value::Map(vec![]))
        .unwrap();
    server.join().unwrap();
}

#[test]
fn event_stream_filters_topics_and_counts_gaps() {
    let publisher = Socket::new(Protocol::Pub0).unwrap();
    publisher.listen("inproc://scene-events").unwrap();
    let mut events = EventStream::connect("inproc://scene-events", &["frame"]).unwrap();
    let frame = |seq| {
        encode_event(&Event {
            v: 1,
            seq,
            topic: "frame".into(),
            data: Value::from(seq),
        })
        .unwrap()
    };
    // Publish until the subscription is connected (pub/sub drops until then).
    let first = loop {
        publisher.send(&frame(1)).unwrap();
        if let Ok(e) = events.next_event(Some(Duration::from_millis(10))) {
            break e;
        }
    };
    assert_eq!((first.topic.as_str(), first.seq), ("frame", 1));
    publisher
        .send(
            &encode_event(&Event {
                v: 1,
                seq: 2,
                topic: "log".into(),
                data: Value::Nil,
            })
            .unwrap(),
        )
        .unwrap();
    publisher.send(&frame(5)).unwrap();
    let e = events.next_event(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(e.seq, 5);
    assert_eq!(events.lost(), 3);
}

#[test]
fn failures_are_classified_once() {
    let (server, _rep) = serve("inproc://scene-kinds", None);
    let client = SceneClient::connect("inproc://scene-kinds").unwrap();
    let unknown = client.call_value("object.nope", Value::Map(vec![]));
    assert_eq!(unknown.unwrap_err().kind(), FailureKind::Server);
    let _: Value = client
        .call("session.shutdown", &Value::Map(vec![]))
        .unwrap();
    server.join().unwrap();
    // Nobody listens here: the request waits for a peer until the timeout.
    let alone = SceneClient::connect("inproc://scene-kinds-nobody")
        .unwrap()
        .with_timeout(Duration::from_millis(50));
    let err = alone.ping().unwrap_err();
    assert_eq!(
        (err.kind(), err.kind().as_str()),
        (FailureKind::Timeout, "timeout")
    );
    let bad = CallError::Protocol("reply id 7 for request 8".into());
    assert_eq!(bad.kind(), FailureKind::Protocol);
}
