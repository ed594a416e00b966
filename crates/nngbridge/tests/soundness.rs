//! The safe API never hands out memory it does not own: strings read from options are
//! copies taken while NNG holds the object.
#![allow(clippy::unwrap_used)]

use nngbridge::{Error, OptKind, OptValue, Options, Protocol, Socket, SocketAddr};

#[test]
fn a_pipe_string_option_is_a_copy_that_outlives_the_pipe() {
    let a = Socket::new(Protocol::Pair1).expect("open a");
    let l = a.listen("ws://127.0.0.1:0/soundness").expect("listen");
    let SocketAddr::Inet(addr) = l.local_address().expect("addr") else {
        panic!("a ws listener has an inet address");
    };
    let b = Socket::new(Protocol::Pair1).expect("open b");
    b.dial(&format!("ws://{addr}/soundness")).expect("dial");
    b.send(b"hello").expect("send");
    let m = a.recv().expect("recv");
    let pipe = m.pipe().expect("a received message has a pipe");
    let uri = pipe.get_opt("ws_request_uri").expect("ws_request_uri");
    drop(b);
    pipe.close().ok();
    drop(a);
    assert_eq!(uri, OptValue::Str("/soundness".to_string()));
}

#[test]
fn endpoints_offer_no_string_getter() {
    let s = Socket::new(Protocol::Pair1).expect("open");
    let l = s.listen("tcp://127.0.0.1:0").expect("listen");
    // NNG's endpoint string getter returns a pointer a concurrent close frees.
    assert_eq!(l.get_opt_raw("url", OptKind::Str), Err(Error::NotSupported));
}

#[test]
fn an_endpoint_url_is_our_copy_and_gone_once_closed() {
    let s = Socket::new(Protocol::Pair1).expect("open");
    let l = s.listen("inproc://soundness-url").expect("listen");
    let b = Socket::new(Protocol::Pair1).expect("open");
    let d = b.dial("inproc://soundness-url").expect("dial");
    assert_eq!(l.url().expect("url"), "inproc://soundness-url");
    assert_eq!(d.url().expect("url"), "inproc://soundness-url");
    // Another thread closing the endpoint cannot free what url() reads.
    let t = std::thread::spawn(move || d.close());
    let _ = d.url();
    t.join().unwrap().expect("close");
    assert!(d.url().is_err());
    s.close().expect("close socket");
    assert!(l.url().is_err(), "closed with its socket");
}

/// NNG 2.0.0 frees a closing socket while a thread releasing one of its contexts still
/// runs the protocol's `ctx_fini` on the socket's lock: `Socket::close` racing context
/// calls aborted the process (the pool's liveness thread). Close now closes the
/// contexts and waits for their calls first. (Blocking receives without timers: a timer
/// expiring just as its context is freed trips another NNG race, not this one.)
#[test]
fn closing_a_socket_while_its_contexts_are_busy_is_safe() {
    use nngbridge::Context;
    for _ in 0..300 {
        let s = Socket::new(Protocol::Rep0).expect("open");
        let busy: Vec<_> = (0..3)
            .map(|_| {
                let c = Context::new(&s).expect("ctx");
                std::thread::spawn(move || loop {
                    let set = c.set_recv_timeout(None);
                    let got = c.recv();
                    if [set.err(), got.err()].contains(&Some(Error::Closed)) {
                        return;
                    }
                })
            })
            .collect();
        std::thread::yield_now();
        s.close().expect("close");
        for t in busy {
            t.join().expect("every call ends with Closed");
        }
        assert_eq!(Context::new(&s).err(), Some(Error::Closed));
    }
}
