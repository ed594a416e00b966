//! Criterion benches of the core socket paths: request/reply latency, one-way push/pull
//! throughput (plain `send(&[u8])` against a `Message` built in place), many requests in
//! flight over contexts, and `memcpy` of the same sizes as the floor.
//!
//! ```text
//! cargo bench -p nngbridge --bench sockets -- --quick       # numbers
//! cargo test -p nngbridge --bench sockets                   # each bench once (CI)
//! python3 benches/criterion_table.py                        # the numbers as a table
//! ```
//!
//! Every peer runs on a thread of this process. NNG does not flush on close, so no
//! socket is closed before the peer has confirmed the last message it was sent.

use std::hint::black_box;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use nngbridge::{Context, Error, Message, Protocol, Socket, SocketAddr};

/// Message sizes of the throughput and memcpy benches: 64 B, 1 KiB, 1 MiB, 32 MiB.
const SIZES: [usize; 4] = [64, 1 << 10, 1 << 20, 32 << 20];

/// Requests in flight in the context bench.
const DEPTHS: [usize; 3] = [1, 8, 32];

/// A short, human label for a size (`64B`, `1KiB`, `1MiB`, `32MiB`).
fn size_label(size: usize) -> String {
    match size {
        s if s >= 1 << 20 => format!("{}MiB", s >> 20),
        s if s >= 1 << 10 => format!("{}KiB", s >> 10),
        s => format!("{s}B"),
    }
}

/// Large messages take milliseconds each: sample them flat and fewer times, or criterion's
/// linear sampling would need thousands of them.
fn configure_for_size<M: criterion::measurement::Measurement>(
    group: &mut criterion::BenchmarkGroup<'_, M>,
    size: usize,
) {
    if size >= 1 << 20 {
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
    } else {
        group.sampling_mode(SamplingMode::Auto);
        group.sample_size(50);
    }
}

/// Makes `sock` listen on a fresh address of `transport` and returns the address to dial.
fn listen_fresh(sock: &Socket, transport: &str, tag: &str) -> String {
    let url = match transport {
        "inproc" => format!("inproc://bench-{tag}"),
        "ipc" => format!(
            "ipc://{}/nngbridge-bench-{}-{tag}",
            std::env::temp_dir().display(),
            std::process::id()
        ),
        "tcp" => "tcp://127.0.0.1:0".to_string(),
        other => panic!("unknown transport {other}"),
    };
    let listener = sock.listen(&url).expect("listen");
    match listener.local_address().expect("bound address") {
        SocketAddr::Inet(a) => format!("tcp://{a}"),
        _ => url,
    }
}

/// A thread that echoes every request it gets until its socket is closed.
struct Echo {
    socket: Socket,
    thread: Option<JoinHandle<()>>,
}

impl Echo {
    /// `raw` gives a raw Rep0 socket: one thread then answers any number of requests in
    /// flight, since the routing header travels with each message.
    fn start(transport: &str, tag: &str, raw: bool) -> (Echo, String) {
        let socket = if raw {
            Socket::new_raw(Protocol::Rep0)
        } else {
            Socket::new(Protocol::Rep0)
        }
        .expect("rep socket");
        let url = listen_fresh(&socket, transport, tag);
        let rep = socket.clone();
        let thread = std::thread::spawn(move || loop {
            let msg = match rep.recv() {
                Ok(m) => m,
                Err(Error::Closed) => return,
                Err(e) => panic!("echo recv: {e}"),
            };
            match rep.send_msg(msg) {
                Ok(()) => {}
                Err(e) if e.error == Error::Closed => return,
                Err(e) => panic!("echo send: {}", e.error),
            }
        });
        (
            Echo {
                socket,
                thread: Some(thread),
            },
            url,
        )
    }
}

impl Drop for Echo {
    /// Only called once the client has its last reply, so closing loses nothing.
    fn drop(&mut self) {
        let _ = self.socket.close();
        if let Some(t) = self.thread.take() {
            t.join().expect("echo thread");
        }
    }
}

fn round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("round_trip_64B");
    group.throughput(Throughput::Elements(1));
    let payload = [0x5au8; 64];
    for transport in ["inproc", "ipc", "tcp"] {
        let (echo, url) = Echo::start(transport, "rr", false);
        let req = Socket::new(Protocol::Req0).expect("req socket");
        req.dial(&url).expect("dial");
        group.bench_function(transport, |b| {
            b.iter(|| {
                req.send(black_box(&payload)).expect("send");
                let reply = req.recv().expect("reply");
                assert_eq!(reply.len(), payload.len());
            })
        });
        // Every request has had its reply: nothing is in flight.
        drop(req);
        drop(echo);
    }
    group.finish();
}

/// A Pull0 peer on a thread: told how many messages to expect, it receives them, checks
/// their size and confirms, so the sender knows they all arrived before it stops a clock
/// or closes its socket.
struct Sink {
    expect: Option<mpsc::Sender<u64>>,
    done: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl Sink {
    fn start(transport: &str, tag: &str, size: usize) -> (Sink, String) {
        let pull = Socket::new(Protocol::Pull0).expect("pull socket");
        pull.set_recv_max_size(0).expect("no receive limit");
        let url = listen_fresh(&pull, transport, tag);
        let (expect_tx, expect_rx) = mpsc::channel::<u64>();
        let (done_tx, done_rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            // Ends when the bench drops its end of the channel.
            while let Ok(count) = expect_rx.recv() {
                for _ in 0..count {
                    let msg = pull.recv().expect("sink recv");
                    assert_eq!(msg.len(), size, "message size");
                }
                done_tx.send(()).expect("confirm");
            }
        });
        (
            Sink {
                expect: Some(expect_tx),
                done: done_rx,
                thread: Some(thread),
            },
            url,
        )
    }

    fn expect(&self, count: u64) {
        if let Some(tx) = &self.expect {
            tx.send(count).expect("sink alive");
        }
    }

    fn wait(&self) {
        self.done.recv().expect("sink confirms");
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        drop(self.expect.take());
        if let Some(t) = self.thread.take() {
            t.join().expect("sink thread");
        }
    }
}

/// Sends `iters` messages and returns the time until the sink has received all of them.
fn timed_sends(sink: &Sink, iters: u64, mut send_one: impl FnMut(u64)) -> Duration {
    sink.expect(iters);
    let start = Instant::now();
    for i in 0..iters {
        send_one(i);
    }
    sink.wait();
    start.elapsed()
}

fn throughput(c: &mut Criterion) {
    for transport in ["ipc", "tcp"] {
        let mut group = c.benchmark_group(format!("push_pull_{transport}"));
        for size in SIZES {
            configure_for_size(&mut group, size);
            group.throughput(Throughput::Bytes(size as u64));
            let label = size_label(size);
            let (sink, url) = Sink::start(transport, &format!("tp-{label}"), size);
            let push = Socket::new(Protocol::Push0).expect("push socket");
            push.dial(&url).expect("dial");
            let payload = vec![0x5au8; size];

            // The sender has its bytes in its own buffer; `send` copies them into a message.
            group.bench_function(BenchmarkId::new("send", &label), |b| {
                b.iter_custom(|iters| {
                    timed_sends(&sink, iters, |_| {
                        push.send(black_box(&payload)).expect("send")
                    })
                })
            });
            // The sender writes its bytes straight into the message (here: fills it), and
            // the message itself is handed to NNG.
            group.bench_function(BenchmarkId::new("send_msg", &label), |b| {
                b.iter_custom(|iters| {
                    timed_sends(&sink, iters, |i| {
                        let mut msg = Message::with_len(size).expect("message");
                        msg.body_mut().fill(i as u8);
                        push.send_msg(msg).map_err(|e| e.error).expect("send_msg");
                    })
                })
            });
            // Every message was confirmed by the sink: closing now loses nothing.
            drop(push);
            drop(sink);
        }
        group.finish();
    }
}

/// `depth` requests kept in flight from one Req0 socket over as many contexts; each
/// iteration is one request, so criterion's rate is requests per second.
fn contexts(c: &mut Criterion) {
    let mut group = c.benchmark_group("contexts_tcp_64B");
    group.throughput(Throughput::Elements(1));
    let payload = [0x5au8; 64];
    let (echo, url) = Echo::start("tcp", "ctx", true);
    let req = Socket::new(Protocol::Req0).expect("req socket");
    req.dial(&url).expect("dial");
    for depth in DEPTHS {
        let ctxs: Vec<Context> = (0..depth)
            .map(|_| Context::new(&req).expect("context"))
            .collect();
        group.bench_function(BenchmarkId::new("in_flight", depth), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                // Fill the contexts, then take replies in turn; a context sends again at
                // once while requests are left, so `depth` stay in flight until the end.
                let mut waiting = vec![false; ctxs.len()];
                let mut sent = 0u64;
                for (ctx, w) in ctxs.iter().zip(waiting.iter_mut()) {
                    if sent == iters {
                        break;
                    }
                    ctx.send(black_box(&payload)).expect("ctx send");
                    *w = true;
                    sent += 1;
                }
                let mut received = 0u64;
                while received < iters {
                    for (ctx, w) in ctxs.iter().zip(waiting.iter_mut()) {
                        if !*w {
                            continue;
                        }
                        let reply = ctx.recv().expect("ctx reply");
                        assert_eq!(reply.len(), payload.len());
                        received += 1;
                        *w = sent < iters;
                        if *w {
                            ctx.send(black_box(&payload)).expect("ctx send");
                            sent += 1;
                        }
                    }
                }
                start.elapsed()
            })
        });
        drop(ctxs);
    }
    group.finish();
    drop(req);
    drop(echo);
}

/// The floor: copying the same sizes in memory.
fn memcpy(c: &mut Criterion) {
    let mut group = c.benchmark_group("memcpy");
    for size in SIZES {
        configure_for_size(&mut group, size);
        group.throughput(Throughput::Bytes(size as u64));
        let src = vec![0x5au8; size];
        let mut dst = vec![0u8; size];
        group.bench_function(size_label(size), |b| {
            b.iter(|| {
                dst.copy_from_slice(black_box(&src));
                black_box(&mut dst);
            })
        });
    }
    group.finish();
}

// What `criterion_group!`/`criterion_main!` would write, without their undocumented `pub fn`.
fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    round_trip(&mut c);
    throughput(&mut c);
    contexts(&mut c);
    memcpy(&mut c);
    c.final_summary();
}
