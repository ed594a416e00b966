//! The futures of `nngbridge::future` against real sockets over inproc and tcp, driven by
//! a hand-written executor (the core has no runtime).

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::Arc;
use std::task::{Context as Cx, Poll, Wake, Waker};
use std::time::Duration;

use nngbridge::{Context, Error, Message, Protocol, Socket};

/// The example's executor (`block_on`, `Unpark`): one copy for both.
#[path = "../examples/async_block_on/executor.rs"]
mod executor;
use executor::{block_on, Unpark};

/// A waker that reports each wake on a channel.
struct Signal(mpsc::Sender<()>);
impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        let _ = self.0.send(());
    }
}

fn pair(p: Protocol, q: Protocol, url: &str) -> (Socket, Socket) {
    let a = Socket::new(p).expect("works");
    // A tcp listener's real URL (port 0 picks a free one).
    let l = a.listen(url).expect("works");
    let url = match l.local_address() {
        Ok(addr) if url.starts_with("tcp") => addr.to_string(),
        _ => url.to_owned(),
    };
    let b = Socket::new(q).expect("works");
    b.dial(&url).expect("works");
    (a, b)
}

fn msg(b: &[u8]) -> Message {
    Message::from_bytes(b).expect("works")
}

#[test]
fn round_trip_on_sockets_and_contexts() {
    let (rep, req) = pair(Protocol::Rep0, Protocol::Req0, "inproc://fut-rt");
    block_on(async {
        req.send_future(msg(b"ping")).await.expect("works");
        let m = rep.recv_future().await.expect("works");
        assert_eq!(m.body(), b"ping");
        rep.send_future(msg(b"pong")).await.expect("works");
        assert_eq!(req.recv_future().await.expect("works").body(), b"pong");

        let ctx = Context::new(&req).expect("works");
        ctx.send_future(msg(b"c")).await.expect("works");
        let rctx = Context::new(&rep).expect("works");
        let m = rctx.recv_future().await.expect("works");
        rctx.send_future(m).await.expect("works");
        assert_eq!(ctx.recv_future().await.expect("works").body(), b"c");
    });
}

/// Polls every future until all are ready, from one task (a minimal join_all).
fn join_all<F: Future + Unpin>(mut fs: Vec<F>) -> Vec<F::Output> {
    let mut out: Vec<Option<F::Output>> = fs.iter().map(|_| None).collect();
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Cx::from_waker(&waker);
    while out.iter().any(Option::is_none) {
        for (f, o) in fs.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                if let Poll::Ready(v) = Pin::new(f).poll(&mut cx) {
                    *o = Some(v);
                }
            }
        }
        if out.iter().any(Option::is_none) {
            std::thread::park();
        }
    }
    out.into_iter().flatten().collect()
}

#[test]
fn many_requests_in_flight_from_one_task_over_tcp() {
    let (rep, req) = pair(Protocol::Rep0, Protocol::Req0, "tcp://127.0.0.1:0");
    // The server thread's socket would close right after its last send, which may drop
    // that reply unwritten: this handle keeps it open until the test is done.
    let _kept = rep.clone();
    let n = 16;
    // The server answers only once all requests have arrived, so they are truly in
    // flight together.
    let server = std::thread::spawn(move || {
        let ctxs: Vec<Context> = (0..n).map(|_| Context::new(&rep).expect("works")).collect();
        let got: Vec<Message> = ctxs.iter().map(|c| c.recv().expect("works")).collect();
        for (c, m) in ctxs.iter().zip(got) {
            c.send(m.body()).expect("works");
        }
    });
    let ctxs: Vec<Context> = (0..n).map(|_| Context::new(&req).expect("works")).collect();
    let sends = ctxs
        .iter()
        .enumerate()
        .map(|(i, c)| Box::pin(c.send_future(msg(format!("r{i}").as_bytes()))))
        .collect();
    for r in join_all(sends) {
        r.expect("works");
    }
    let recvs = ctxs.iter().map(|c| Box::pin(c.recv_future())).collect();
    for (i, r) in join_all(recvs).into_iter().enumerate() {
        assert_eq!(r.expect("works").body(), format!("r{i}").as_bytes());
    }
    server.join().expect("works");
}

#[test]
fn recv_dropped_after_completion_before_poll_keeps_the_message() {
    let (pull, push) = pair(Protocol::Pull0, Protocol::Push0, "inproc://fut-drop-done");
    let (tx, rx) = mpsc::channel();
    let waker = Waker::from(Arc::new(Signal(tx)));
    let mut cx = Cx::from_waker(&waker);
    let mut fut = Box::pin(pull.recv_future());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    push.send(b"kept").expect("works");
    // The completion woke us: the message sits in the future, which we drop unpolled.
    rx.recv_timeout(Duration::from_secs(10)).expect("works");
    drop(fut);
    push.send(b"next").expect("works");
    assert_eq!(pull.recv().expect("works").body(), b"kept");
    assert_eq!(block_on(pull.recv_future()).expect("works").body(), b"next");
}

#[test]
fn context_recv_dropped_after_completion_keeps_the_reply() {
    let (rep, req) = pair(Protocol::Rep0, Protocol::Req0, "inproc://fut-ctx-drop");
    let ctx = Context::new(&req).expect("works");
    ctx.send(b"q").expect("works");
    let (tx, rx) = mpsc::channel();
    let waker = Waker::from(Arc::new(Signal(tx)));
    let mut cx = Cx::from_waker(&waker);
    let mut fut = Box::pin(ctx.recv_future());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    let m = rep.recv().expect("works");
    rep.send(m.body()).expect("works");
    rx.recv_timeout(Duration::from_secs(10)).expect("works");
    drop(fut);
    assert_eq!(block_on(ctx.recv_future()).expect("works").body(), b"q");
}

#[test]
fn recv_dropped_while_pending_cancels_and_loses_nothing() {
    let (pull, push) = pair(
        Protocol::Pull0,
        Protocol::Push0,
        "inproc://fut-drop-pending",
    );
    for _ in 0..50 {
        let waker = Waker::noop();
        let mut cx = Cx::from_waker(waker);
        let mut fut = Box::pin(pull.recv_future());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        drop(fut);
    }
    push.send(b"one").expect("works");
    push.send(b"two").expect("works");
    assert_eq!(block_on(pull.recv_future()).expect("works").body(), b"one");
    assert_eq!(block_on(pull.recv_future()).expect("works").body(), b"two");
}

#[test]
fn recv_times_out_with_the_socket_timeout() {
    let (pull, _push) = pair(Protocol::Pull0, Protocol::Push0, "inproc://fut-timeout");
    pull.set_recv_timeout(Some(Duration::from_millis(20)))
        .expect("works");
    assert_eq!(
        block_on(pull.recv_future()).expect_err("fails"),
        Error::Timeout
    );
}

#[test]
fn failed_send_gives_the_message_back() {
    let push = Socket::new(Protocol::Push0).expect("works");
    push.set_send_timeout(Some(Duration::from_millis(20)))
        .expect("works");
    let err = block_on(push.send_future(msg(b"mine"))).expect_err("fails");
    assert_eq!(err.error, Error::Timeout);
    assert_eq!(err.message.body(), b"mine");
}

#[test]
fn canceled_send_gives_the_message_back() {
    let push = Socket::new(Protocol::Push0).expect("works");
    let unpolled = push.send_future(msg(b"a"));
    assert_eq!(unpolled.cancel().expect("works").body(), b"a");
    let mut fut = Box::pin(push.send_future(msg(b"b")));
    assert!(fut
        .as_mut()
        .poll(&mut Cx::from_waker(Waker::noop()))
        .is_pending());
    let back = Pin::into_inner(fut).cancel();
    assert_eq!(back.expect("works").body(), b"b");
    // A dropped pending send is canceled; the socket still works.
    let mut fut = Box::pin(push.send_future(msg(b"c")));
    assert!(fut
        .as_mut()
        .poll(&mut Cx::from_waker(Waker::noop()))
        .is_pending());
    drop(fut);
    let pull = Socket::new(Protocol::Pull0).expect("works");
    pull.listen("inproc://fut-cancel-send").expect("works");
    push.dial("inproc://fut-cancel-send").expect("works");
    block_on(push.send_future(msg(b"d"))).expect("works");
    assert_eq!(pull.recv().expect("works").body(), b"d");
}
