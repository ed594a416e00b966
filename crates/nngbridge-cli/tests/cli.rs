//! The `nngbridge` binary against an in-process server that answers like the add-on.
#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::thread;
use std::time::Duration;

use nngbridge::{Protocol, Socket};
use nngbridge_scene::codec::{decode, encode};
use nngbridge_scene::{encode_event, ErrorBody, ErrorCode, Event, Reply, Request, Value};

/// An ipc address of this test process alone (other checkouts run these tests too).
fn ipc(name: &str) -> String {
    format!("ipc:///tmp/nngbridge-cli-{}-{name}", std::process::id())
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nngbridge"))
}

/// A server answering `n` requests. Its socket lives until [`Server::join`] returns: a
/// socket closed right after its last `send` may drop that reply before it is written.
struct Server {
    thread: thread::JoinHandle<Vec<Request>>,
    _rep: Socket,
}

impl Server {
    /// The requests seen, once all `n` were answered and the callers have their replies.
    fn join(self) -> thread::Result<Vec<Request>> {
        self.thread.join()
    }
}

fn serve_once(address: &str, n: usize) -> Server {
    let rep = Socket::new(Protocol::Rep0).unwrap();
    rep.listen(address).unwrap();
    let kept = rep.clone();
    let thread = thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..n {
            let req: Request = decode(rep.recv().unwrap().body()).unwrap();
            let reply = if req.cmd == "test.echo" {
                Reply {
                    v: 1,
                    id: Some(req.id),
                    ok: true,
                    result: Some(req.args.clone()),
                    error: None,
                }
            } else {
                let error = ErrorBody {
                    code: ErrorCode::NotFound,
                    message: "no such object".into(),
                    details: Value::Nil,
                };
                Reply {
                    v: 1,
                    id: Some(req.id),
                    ok: false,
                    result: None,
                    error: Some(error),
                }
            };
            rep.send(&encode(&reply).unwrap()).unwrap();
            seen.push(req);
        }
        seen
    });
    Server { thread, _rep: kept }
}

#[test]
fn call_prints_json_and_exits_by_outcome() {
    let address = ipc("test");
    let server = serve_once(&address, 2);
    let ok = bin()
        .args([
            "call",
            &address,
            "test.echo",
            r#"{"name": "Cube", "size": 2}"#,
            "--token",
            "t0k",
        ])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(out["result"]["name"], "Cube");
    assert_eq!(out["result"]["size"], 2);
    let err = bin()
        .args(["call", &address, "object.get", r#"{"name": "Nope"}"#])
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(1));
    let out: serde_json::Value = serde_json::from_slice(&err.stdout).unwrap();
    assert_eq!(out["error"]["code"], "NOT_FOUND");
    let seen = server.join().unwrap();
    assert_eq!(seen[0].token.as_deref(), Some("t0k"));

    let timeout = bin()
        .args(["call", &ipc("nobody"), "session.ping", "--timeout", "0.2"])
        .output()
        .unwrap();
    assert_eq!(timeout.status.code(), Some(2));
    let bad = bin()
        .args(["call", "ipc:///tmp/x", "session.ping", "[1, 2]"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn watch_prints_events_as_json_lines() {
    let publisher = Socket::new(Protocol::Pub0).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    publisher.set_pipe_handler(Some(std::sync::Arc::new(move |_pipe, ev| {
        if ev == nngbridge::PipeEvent::AddPost {
            let _ = tx.lock().unwrap().send(());
        }
    })));
    let address = ipc("events");
    publisher.listen(&address).unwrap();
    let child = bin()
        .args(["watch", &address, "frame", "--timeout", "1"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    rx.recv_timeout(Duration::from_secs(10)).unwrap();
    // The subscription travels with the connection; give the subscriber's filter a
    // moment by sending a few events (later ones arrive once it is in place).
    for seq in 1..=20u64 {
        let topic = if seq % 2 == 0 { "frame" } else { "log" };
        let e = Event {
            v: 1,
            seq,
            topic: topic.into(),
            data: Value::from(seq),
        };
        publisher.send(&encode_event(&e).unwrap()).unwrap();
        thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l["topic"] == "frame"));
    // Only frames were subscribed: the odd (log) sequence numbers are not gaps to us,
    // but each frame skips one, so `lost` counts them.
    assert!(lines.last().unwrap()["lost"].as_u64().unwrap() >= 1);
}

#[test]
fn blender_install_without_a_blender_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-blender");
    let out = bin()
        .args(["blender", "install", "--blender"])
        .arg(&missing)
        .env("BLENDER_USER_SCRIPTS", dir.path().join("scripts"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot run Blender"), "{err}");
    assert!(err.contains("no-blender"), "{err}");
    assert!(!dir.path().join("scripts").exists());
    let paths = bin()
        .args(["blender", "paths", "--blender"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(paths.status.code(), Some(1));
    assert!(paths.stdout.is_empty());
}

#[test]
fn blender_install_takes_one_wheel_source() {
    let out = bin()
        .args(["blender", "install", "--wheel", "a.whl", "--wheels", "dist"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

#[test]
fn call_without_token_uses_the_token_file_of_the_address() {
    // The layout of docs/protocol.md §7.1, spelled out: $XDG_RUNTIME_DIR/nngbridge/<key>.token.
    let runtime = tempfile::tempdir().unwrap();
    let address = ipc("tokenfile");
    let dir = runtime.path().join("nngbridge");
    std::fs::create_dir(&dir).unwrap();
    let key = nngbridge_scene::token::address_key(&address);
    std::fs::write(dir.join(format!("{key}.token")), "fr0m-file").unwrap();
    let server = serve_once(&address, 2);
    for extra in [&[][..], &["--token", "given"][..]] {
        let out = bin()
            .args(["call", &address, "test.echo"])
            .args(extra)
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env_remove("NNGBRIDGE_TOKEN")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let seen = server.join().unwrap();
    assert_eq!(seen[0].token.as_deref(), Some("fr0m-file"));
    // `--token` wins over the file.
    assert_eq!(seen[1].token.as_deref(), Some("given"));
}
