//! `Pool` against workers written here in Rust (real NNG peers over inproc: a Respondent0
//! that answers liveness rounds and a Rep0 that dials the work address once admitted, as
//! the Blender add-on does). The Blender workers are tested in tests/test_blender_pool*.py.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use nngbridge::{Protocol, Socket};
use nngbridge_scene::pool::{Pool, PoolOptions};
use nngbridge_scene::{codec, CallError, ErrorCode, Value};

const TOKEN: &str = "t0ken";

/// What a test worker does with a task.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Answers `echo` with its args, anything else with NOT_FOUND.
    Serve,
    /// Takes its first task and hangs up without answering (a worker that dies).
    DieOnFirstTask,
}

struct TestWorker {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Drop for TestWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn get<'a>(map: &'a Value, key: &str) -> Option<&'a Value> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

fn reply(id: &Value, worker: &str, outcome: Result<Value, (&str, &str)>) -> Vec<u8> {
    let mut m = vec![
        ("v".into(), 1.into()),
        ("id".into(), id.clone()),
        ("worker".into(), worker.into()),
    ];
    match outcome {
        Ok(v) => m.extend([("ok".into(), true.into()), ("result".into(), v)]),
        Err((code, message)) => m.extend([
            ("ok".into(), false.into()),
            (
                "error".into(),
                Value::Map(vec![
                    ("code".into(), code.into()),
                    ("message".into(), message.into()),
                    ("details".into(), Value::Nil),
                ]),
            ),
        ]),
    }
    codec::encode(&Value::Map(m)).expect("encodable")
}

fn hello(id: &str) -> Value {
    Value::Map(vec![
        ("protocol".into(), 1.into()),
        ("server".into(), "test".into()),
        ("blender".into(), "none".into()),
        ("commands".into(), Value::Array(vec!["echo".into()])),
        ("worker".into(), id.into()),
    ])
}

fn spawn_worker(address: &str, id: &str, token: &str, mode: Mode) -> TestWorker {
    let stop = Arc::new(AtomicBool::new(false));
    let (admitted, on_admission) = std::sync::mpsc::channel::<()>();
    let control_address = Pool::control_address(address).expect("a pool address");
    let (s, id2, token) = (stop.clone(), id.to_owned(), token.to_owned());
    let control = std::thread::spawn(move || {
        let sock = Socket::new(Protocol::Respondent0).expect("socket");
        sock.set_recv_timeout(Some(Duration::from_millis(50)))
            .expect("option");
        sock.dial_nonblocking(&control_address).expect("dial");
        while !s.load(Ordering::SeqCst) {
            let Ok(msg) = sock.recv() else { continue };
            let req: Value = codec::decode(msg.body()).expect("a request");
            let rid = get(&req, "id").cloned().unwrap_or(Value::Nil);
            let body = if get(&req, "token").and_then(Value::as_str) == Some(token.as_str()) {
                let _ = admitted.send(());
                reply(&rid, &id2, Ok(hello(&id2)))
            } else {
                reply(&rid, &id2, Err(("UNAUTHORIZED", "missing or wrong token")))
            };
            let _ = sock.send(&body);
        }
    });
    let (s, address, id) = (stop.clone(), address.to_owned(), id.to_owned());
    let work = std::thread::spawn(move || {
        // Dial the work address once admitted, as the add-on does.
        while on_admission
            .recv_timeout(Duration::from_millis(50))
            .is_err()
        {
            if s.load(Ordering::SeqCst) {
                return;
            }
        }
        let sock = Socket::new(Protocol::Rep0).expect("socket");
        sock.set_recv_timeout(Some(Duration::from_millis(50)))
            .expect("option");
        sock.dial_nonblocking(&address).expect("dial");
        while !s.load(Ordering::SeqCst) {
            let Ok(msg) = sock.recv() else { continue };
            if mode == Mode::DieOnFirstTask {
                let _ = sock.close();
                return;
            }
            let req: Value = codec::decode(msg.body()).expect("a request");
            let rid = get(&req, "id").cloned().unwrap_or(Value::Nil);
            let outcome = match get(&req, "cmd").and_then(Value::as_str) {
                Some("echo") => Ok(get(&req, "args").cloned().unwrap_or(Value::Nil)),
                _ => Err(("NOT_FOUND", "no such command here")),
            };
            let _ = sock.send(&reply(&rid, &id, outcome));
        }
    });
    TestWorker {
        stop,
        threads: vec![control, work],
    }
}

fn pool(address: &str) -> Pool {
    Pool::listen(
        address,
        PoolOptions {
            token: Some(TOKEN.into()),
            deadline: Duration::from_secs(20),
            liveness_interval: Duration::from_millis(100),
            ..Default::default()
        },
    )
    .expect("listen")
}

#[test]
fn map_answers_every_item_in_order_over_every_worker() {
    let address = "inproc://pool-map";
    let pool = pool(address);
    let _w = [
        spawn_worker(address, "a", TOKEN, Mode::Serve),
        spawn_worker(address, "b", TOKEN, Mode::Serve),
    ];
    let alive = pool
        .wait_for_workers(2, Duration::from_secs(30))
        .expect("two workers");
    assert_eq!(
        alive.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    let results = pool.map("echo", (0..40).map(Value::from));
    assert_eq!(results.len(), 40);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.index, i);
        assert_eq!(r.attempts, 1);
        assert_eq!(r.outcome.as_ref().ok(), Some(&Value::from(i)));
    }
    let stats = pool.stats();
    assert_eq!(stats.by_worker.values().sum::<u64>(), 40);
    assert_eq!(stats.by_worker.len(), 2, "NNG spread the tasks: {stats:?}");

    let all = pool
        .broadcast("echo", Value::from("hi"), Duration::from_secs(30))
        .expect("broadcast");
    let mut who: Vec<_> = all.iter().map(|(w, _)| w.as_str()).collect();
    who.sort_unstable();
    assert_eq!(who, ["a", "b"]);

    // A failing command is that worker's error, sent once.
    let failed = pool.submit("nope", Value::Nil).wait();
    assert_eq!(failed.attempts, 1);
    assert!(
        matches!(failed.outcome, Err(CallError::Server(ref e)) if e.code == ErrorCode::NotFound)
    );
}

#[test]
fn a_worker_with_another_token_is_refused_and_gets_no_work() {
    let address = "inproc://pool-refused";
    let pool = pool(address);
    let _good = spawn_worker(address, "good", TOKEN, Mode::Serve);
    let _bad = spawn_worker(address, "bad", "other", Mode::Serve);
    pool.wait_for_workers(1, Duration::from_secs(30))
        .expect("the good one");
    while pool.refused().is_empty() {
        let _ = pool.workers(Duration::from_secs(5));
    }
    let refused = pool.refused();
    assert_eq!(refused[0].worker.as_deref(), Some("bad"));
    assert!(refused[0].reason.starts_with("UNAUTHORIZED"), "{refused:?}");
    assert_eq!(pool.connected(), 1);
    for r in pool.map("echo", (0..10).map(Value::from)) {
        assert_eq!(r.worker.as_deref(), Some("good"));
    }
}

#[test]
fn a_task_whose_worker_dies_is_resent_and_answered_once() {
    let address = "inproc://pool-dies";
    let pool = pool(address);
    let _w = [
        spawn_worker(address, "dies", TOKEN, Mode::DieOnFirstTask),
        spawn_worker(address, "lives", TOKEN, Mode::Serve),
    ];
    pool.wait_for_workers(2, Duration::from_secs(30))
        .expect("two workers");
    let results = pool.map("echo", (0..20).map(Value::from));
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.outcome.as_ref().ok(), Some(&Value::from(i)), "{r:?}");
        assert_eq!(r.worker.as_deref(), Some("lives"));
    }
    let stats = pool.stats();
    assert!(stats.resent >= 1, "{stats:?}");
    assert_eq!(stats.lost, 0);
    assert_eq!(stats.by_worker.get("lives"), Some(&20));
}

#[test]
fn a_queued_task_fails_after_the_queue_deadline_when_no_worker_comes() {
    let address = "inproc://pool-queue-deadline";
    let pool = Pool::listen(
        address,
        PoolOptions {
            token: Some(TOKEN.into()),
            queue_deadline: Some(Duration::from_millis(300)),
            ..Default::default()
        },
    )
    .expect("listen");
    let r = pool.submit("echo", Value::Map(vec![])).wait();
    assert!(matches!(
        r.outcome,
        Err(CallError::Nng(nngbridge::Error::Timeout))
    ));
    assert_eq!((r.attempts, r.worker), (0, None));
    assert_eq!(pool.stats().expired, 1);

    // With a worker connected, the same pool runs tasks (a queue deadline is no task deadline).
    let _w = spawn_worker(address, "w1", TOKEN, Mode::Serve);
    pool.wait_for_workers(1, Duration::from_secs(30))
        .expect("the worker joins");
    let r = pool.submit("echo", Value::Map(vec![])).wait();
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    assert_eq!(pool.stats().expired, 1);
}
