//! `Pool`: one controller driving many scene servers that join it (`docs/pool.md`).
//!
//! Two listening sockets: **work** (Req0; each worker's Rep0 dials it, and NNG balances
//! requests over the connected workers) and **control** (Surveyor0, on
//! [`Pool::control_address`]; each worker's Respondent0 dials it). A survey reaches every
//! connected worker at once, which is what liveness rounds ([`Pool::workers`]) and
//! [`Pool::broadcast`] need; Req0 cannot address one pipe. Tasks carry an idempotency key
//! and are re-sent to another worker when theirs dies (the pipe closes) or does not
//! answer within the deadline; a command that fails is reported with that worker's error
//! and not re-sent. Setup commands ([`Pool::setup`]) are replayed to every worker that
//! joins later, before it gets work; a queue deadline ([`PoolOptions::queue_deadline`])
//! fails tasks that wait too long with no worker connected.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nngbridge::{Context, OptValue, Options, Pipe, PipeEvent, Protocol, Socket, TlsConfig};
use serde::{Deserialize, Serialize};

use crate::client::CallError;
use crate::codec;
use crate::commands::HelloInfo;
use crate::wire::{ErrorBody, ErrorCode, Value, PROTOCOL_VERSION};

/// How a [`Pool`] behaves; `PoolOptions::default()` suits a local pool.
#[derive(Clone)]
pub struct PoolOptions {
    /// The pool's token: every worker must have been started with the same one.
    pub token: Option<String>,
    /// Serve `tls+tcp://` with this server configuration (both addresses); require client
    /// certificates in it to admit only workers holding one.
    pub tls: Option<TlsConfig>,
    /// Tasks in flight per connected worker (NNG contexts); more wait in the pool.
    pub per_worker: usize,
    /// Tasks the pool holds (queued and in flight) before [`Pool::submit`] blocks.
    pub max_pending: usize,
    /// How long one attempt of a task may take before it is re-sent elsewhere.
    pub deadline: Duration,
    /// Attempts of a task whose worker died or hung, before it is reported failed.
    pub max_attempts: u32,
    /// How often the pool runs a liveness round (which also admits new workers).
    pub liveness_interval: Duration,
    /// How long a liveness round waits for answers.
    pub liveness_timeout: Duration,
    /// The largest reply accepted, in bytes.
    pub max_reply: usize,
    /// Sender threads: the most tasks in flight over all workers together.
    pub lanes: usize,
    /// How long a queued task may wait while no worker is connected before it fails
    /// (`attempts == 0`, [`nngbridge::Error::Timeout`]); `None`: as long as it takes (a
    /// pool may start before its workers). Tasks waiting behind others while workers are
    /// connected never expire.
    pub queue_deadline: Option<Duration>,
}

impl Default for PoolOptions {
    fn default() -> PoolOptions {
        PoolOptions {
            token: None,
            tls: None,
            per_worker: 2,
            max_pending: 1024,
            deadline: Duration::from_secs(30),
            max_attempts: 4,
            liveness_interval: Duration::from_secs(1),
            liveness_timeout: Duration::from_secs(2),
            max_reply: usize::MAX,
            lanes: 32,
            queue_deadline: None,
        }
    }
}

/// A worker that answered the last liveness round.
#[derive(Debug, Clone)]
pub struct WorkerInfo {
    /// Its id (`session.hello`'s `worker`).
    pub id: String,
    /// Its whole `session.hello`.
    pub hello: HelloInfo,
    /// The same `session.hello` as it came, with fields this crate does not know.
    pub raw: Value,
    /// Where its control connection comes from.
    pub address: String,
}

/// A worker the pool turned away, or that turned the pool away, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The worker's id, when it gave one.
    pub worker: Option<String>,
    /// Where its control connection comes from.
    pub address: String,
    /// Why (`UNAUTHORIZED: missing or wrong token`, ...).
    pub reason: String,
}

/// One task's outcome.
#[derive(Debug)]
pub struct TaskResult {
    /// The task's position among those of its `map` (or its ticket number).
    pub index: usize,
    /// The worker whose answer counts (absent when no worker answered).
    pub worker: Option<String>,
    /// How many times it was sent.
    pub attempts: u32,
    /// Whether the worker answered from its store of recent replies (a re-sent task it
    /// had already run).
    pub replayed: bool,
    /// The result, the worker's error (`CallError::Server`), or the last transport error
    /// once `max_attempts` ran out.
    pub outcome: Result<Value, CallError>,
}

impl TaskResult {
    /// The result decoded as `T` (a command's typed output, e.g. `commands::Clip`).
    pub fn typed<T: serde::de::DeserializeOwned>(self) -> Result<T, CallError> {
        typed(self.outcome?)
    }
}

/// A dynamically typed result decoded as `T`, by the rules of [`codec`] (as a typed
/// call would have decoded it).
pub fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, CallError> {
    Ok(codec::decode(&codec::encode(&value)?)?)
}

/// A worker's id and its outcome of a [`Pool::broadcast`].
pub type WorkerOutcome = (String, Result<Value, CallError>);

/// Counts since the pool started.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolStats {
    /// Tasks answered (ok or with a command error), by worker.
    pub by_worker: BTreeMap<String, u64>,
    /// Attempts re-sent after a worker died or missed the deadline.
    pub resent: u64,
    /// Answers that were replays of a stored reply.
    pub replayed: u64,
    /// Tasks given up after `max_attempts`.
    pub lost: u64,
    /// Work connections closed because their worker gave no sign of life for the
    /// deadline (hung).
    pub evicted: u64,
    /// Tasks failed after waiting `queue_deadline` with no worker connected.
    pub expired: u64,
    /// Setup commands run on a worker that joined after them ([`Pool::setup`]).
    pub setup_replayed: u64,
    /// Of those, the ones that failed on that worker (it gets work all the same).
    pub setup_failed: u64,
}

#[derive(Serialize)]
struct PoolRequest<'a> {
    v: u32,
    id: u64,
    cmd: &'a str,
    args: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
}

#[derive(Deserialize)]
struct PoolReply {
    id: Option<u64>,
    ok: bool,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<ErrorBody>,
    #[serde(default)]
    worker: Option<String>,
    #[serde(default)]
    replayed: bool,
}

impl PoolReply {
    fn outcome(self, id: u64) -> (Option<String>, bool, Result<Value, CallError>) {
        let outcome = if self.id != Some(id) {
            Err(CallError::Protocol(format!(
                "reply id {:?} for request {id}",
                self.id
            )))
        } else {
            match (self.ok, self.result, self.error) {
                (true, Some(r), _) => Ok(r),
                (true, None, _) => Err(CallError::Protocol("ok reply without result".into())),
                (false, _, Some(e)) => Err(CallError::Server(e)),
                (false, _, None) => Err(CallError::Protocol("error reply without error".into())),
            }
        };
        (self.worker, self.replayed, outcome)
    }
}

struct Pending {
    index: usize,
    key: String,
    cmd: Arc<str>,
    args: Value,
    attempts: u32,
    queued_at: Instant,
    reply_to: mpsc::Sender<TaskResult>,
}

struct Queue {
    waiting: VecDeque<Pending>,
    in_flight: usize,
    closing: bool,
    /// Since when no worker is connected for work (`None` while one is).
    idle_since: Option<Instant>,
    /// No task is sent while a worker that joined is given the setup commands.
    gated: bool,
}

/// A setup command ([`Pool::setup`]) and the idempotency key it is always sent with.
struct SetupEntry {
    key: String,
    cmd: String,
    args: Value,
}

struct Engine {
    queue: Mutex<Queue>,
    changed: Condvar,
    work_pipes: AtomicUsize,
    control_pipes: AtomicUsize,
    stats: Mutex<PoolStats>,
    /// Bumped by each new work pipe while there are setup commands (see `gated`).
    gate_gen: AtomicU64,
}

impl Engine {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct Inner {
    work: Socket,
    control: Socket,
    opts: PoolOptions,
    engine: Arc<Engine>,
    next_id: AtomicU64,
    key_prefix: String,
    alive: Mutex<Vec<WorkerInfo>>,
    refused: Mutex<Vec<Refusal>>,
    /// Per worker: its last sign of life and its work pipe (learnt from its replies).
    health: Mutex<HashMap<String, (Instant, Option<Pipe>)>>,
    closing: AtomicBool,
    round: (Mutex<bool>, Condvar),
    setup: Mutex<Vec<SetupEntry>>,
    /// Per worker: how many of the setup commands it has answered, in order.
    set_up: Mutex<HashMap<String, usize>>,
}

/// A pool of scene servers (Blender workers) that join it: see the module docs and
/// `docs/pool.md`.
///
/// ```no_run
/// use nngbridge_scene::pool::{Pool, PoolOptions};
/// use nngbridge_scene::Value;
/// use std::time::Duration;
///
/// let pool = Pool::listen("tcp://0.0.0.0:7000", PoolOptions {
///     token: Some("shared secret".into()),
///     ..Default::default()
/// })?;
/// pool.wait_for_workers(4, Duration::from_secs(60))?;
/// let frames = (1..=48).map(|f| Value::Map(vec![("name".into(), "Shot".into()),
///                                                 ("frame".into(), f.into())]));
/// for r in pool.map("clip.frame_pixels", frames) {
///     println!("frame {} from {:?}: {}", r.index, r.worker, r.outcome.is_ok());
/// }
/// # Ok::<(), nngbridge_scene::CallError>(())
/// ```
pub struct Pool {
    inner: Arc<Inner>,
    lanes: Vec<JoinHandle<()>>,
    liveness: Option<JoinHandle<()>>,
}

fn is_transport_failure(e: &CallError) -> bool {
    matches!(
        e,
        CallError::Nng(
            nngbridge::Error::Timeout
                | nngbridge::Error::ConnectionReset
                | nngbridge::Error::ConnectionAborted
                | nngbridge::Error::ConnectionShutdown
                | nngbridge::Error::ConnectionRefused
        )
    )
}

impl Pool {
    /// The control address of a pool whose work address is `address`: the next port for
    /// `tcp://` and `tls+tcp://`, `.control` appended to an `ipc://`, `abstract://` or
    /// `inproc://` name. (Python's `nngbridge.blender.server.pool_control_address` is the
    /// worker side of the same rule.)
    pub fn control_address(address: &str) -> Result<String, CallError> {
        let bad = || {
            CallError::Protocol(format!(
                "a pool listens on tcp://HOST:PORT, tls+tcp://HOST:PORT or ipc://PATH, not {address:?}"
            ))
        };
        if ["ipc://", "abstract://", "inproc://"]
            .iter()
            .any(|s| address.len() > s.len() && address.starts_with(s))
        {
            return Ok(format!("{address}.control"));
        }
        if !["tcp://", "tcp4://", "tcp6://", "tls+tcp://"]
            .iter()
            .any(|s| address.starts_with(s))
        {
            return Err(bad());
        }
        let (head, port) = address.rsplit_once(':').ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        if port == 0 || port == u16::MAX {
            return Err(CallError::Protocol(format!(
                "{address}: a pool needs a port in 1..65534 (the next one is its control port)"
            )));
        }
        Ok(format!("{head}:{}", port + 1))
    }

    /// Listens on `address` (work) and its [`Pool::control_address`], and starts the
    /// liveness rounds that admit joining workers.
    pub fn listen(address: &str, opts: PoolOptions) -> Result<Pool, CallError> {
        let control_address = Pool::control_address(address)?;
        let engine = Arc::new(Engine {
            queue: Mutex::new(Queue {
                waiting: VecDeque::new(),
                in_flight: 0,
                closing: false,
                idle_since: Some(Instant::now()),
                gated: false,
            }),
            changed: Condvar::new(),
            work_pipes: AtomicUsize::new(0),
            control_pipes: AtomicUsize::new(0),
            stats: Mutex::new(PoolStats::default()),
            gate_gen: AtomicU64::new(0),
        });
        let work = Socket::new(Protocol::Req0)?;
        work.set_recv_max_size(0)?;
        // The pool re-sends itself (counted, to another worker): NNG's own re-send is off.
        work.set_opt("resend_time", OptValue::Ms(-1))?;
        let control = Socket::new(Protocol::Surveyor0)?;
        control.set_recv_max_size(0)?;
        control.set_opt("survey_time", OptValue::Ms(600_000))?;
        if let Some(tls) = &opts.tls {
            work.set_tls(tls)?;
            control.set_tls(tls)?;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let inner = Arc::new(Inner {
            work,
            control,
            engine,
            next_id: AtomicU64::new(1),
            key_prefix: format!("{:x}-{nanos:x}", std::process::id()),
            alive: Mutex::new(Vec::new()),
            refused: Mutex::new(Vec::new()),
            health: Mutex::new(HashMap::new()),
            closing: AtomicBool::new(false),
            round: (Mutex::new(false), Condvar::new()),
            setup: Mutex::new(Vec::new()),
            set_up: Mutex::new(HashMap::new()),
            opts,
        });
        let (e, inner1) = (Arc::clone(&inner.engine), Arc::downgrade(&inner));
        inner.work.set_pipe_handler(Some(Arc::new(move |_pipe, ev| {
            let mut q = e.lock();
            match ev {
                // Before NNG hands the pipe to Req0: while there are setup commands, no
                // task goes out until the liveness thread gave them to the newcomer.
                PipeEvent::AddPre => {
                    let Some(i) = inner1.upgrade() else { return };
                    if i.has_setup() {
                        q.gated = true;
                        e.gate_gen.fetch_add(1, Ordering::SeqCst);
                        drop(q);
                        i.wake_liveness();
                    }
                    return;
                }
                PipeEvent::AddPost => {
                    e.work_pipes.fetch_add(1, Ordering::SeqCst);
                    q.idle_since = None;
                }
                PipeEvent::RemPost => {
                    if e.work_pipes.fetch_sub(1, Ordering::SeqCst) == 1 {
                        q.idle_since = Some(Instant::now());
                    }
                }
            }
            e.changed.notify_all();
        })));
        // A new worker is admitted at once rather than at the next round.
        let (e2, inner2) = (Arc::clone(&inner.engine), Arc::downgrade(&inner));
        inner
            .control
            .set_pipe_handler(Some(Arc::new(move |_pipe, ev| {
                match ev {
                    PipeEvent::AddPost => e2.control_pipes.fetch_add(1, Ordering::SeqCst),
                    PipeEvent::RemPost => e2.control_pipes.fetch_sub(1, Ordering::SeqCst),
                    PipeEvent::AddPre => return,
                };
                if let (PipeEvent::AddPost, Some(i)) = (ev, inner2.upgrade()) {
                    i.wake_liveness();
                }
            })));
        inner.work.listen(address)?;
        inner.control.listen(&control_address)?;
        let lanes = (0..inner.opts.lanes.max(1))
            .map(|_| {
                let i = Arc::clone(&inner);
                std::thread::spawn(move || i.lane())
            })
            .collect();
        let i = Arc::clone(&inner);
        let liveness = Some(std::thread::spawn(move || i.liveness_loop()));
        Ok(Pool {
            inner,
            lanes,
            liveness,
        })
    }

    /// The workers that answered a liveness round just now (waiting up to `timeout` for
    /// answers). Workers that are connected but busy past `timeout` or hung are absent.
    pub fn workers(&self, timeout: Duration) -> Result<Vec<WorkerInfo>, CallError> {
        self.inner.liveness_round(timeout)
    }

    /// Waits until at least `n` workers are connected to the work address and answer a
    /// liveness round; returns them.
    pub fn wait_for_workers(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<WorkerInfo>, CallError> {
        let until = Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let alive = self
                .inner
                .liveness_round(left.min(self.inner.opts.liveness_timeout))?;
            if alive.len() >= n && self.connected() >= n {
                return Ok(alive);
            }
            if left.is_zero() {
                return Err(CallError::Nng(nngbridge::Error::Timeout));
            }
            std::thread::sleep(Duration::from_millis(50).min(left));
        }
    }

    /// Workers connected to the work address now (admitted; may be busy).
    pub fn connected(&self) -> usize {
        self.inner.engine.work_pipes.load(Ordering::SeqCst)
    }

    /// Workers refused so far (wrong token, another protocol version), with the reason.
    pub fn refused(&self) -> Vec<Refusal> {
        self.inner
            .refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Runs `cmd` on every connected worker (a survey on the control connection), waiting
    /// up to `timeout`; returns each worker's id and outcome. Workers that did not answer
    /// in time are absent.
    pub fn broadcast(
        &self,
        cmd: &str,
        args: Value,
        timeout: Duration,
    ) -> Result<Vec<WorkerOutcome>, CallError> {
        Ok(self
            .inner
            .survey(cmd, &args, None, timeout)?
            .into_iter()
            .map(|(addr, worker, outcome)| (worker.unwrap_or(addr), outcome))
            .collect())
    }

    /// Registers a setup command and runs it on every connected worker now (as
    /// [`Pool::broadcast`]); every worker that joins later runs the setup commands, in the
    /// order they were registered, before it is given any task (e.g. the clip the tasks
    /// read). Each is sent with its own idempotency key, so a worker that already ran it
    /// answers from its store of recent replies instead of running it again (see
    /// `docs/pool.md` §6 for when a worker forgets it). Returns the outcomes of this first
    /// run; a worker whose setup fails is counted (`PoolStats::setup_failed`) and gets work
    /// all the same.
    pub fn setup(
        &self,
        cmd: &str,
        args: Value,
        timeout: Duration,
    ) -> Result<Vec<WorkerOutcome>, CallError> {
        let (index, key) = {
            let mut setup = self.inner.setup.lock().unwrap_or_else(|e| e.into_inner());
            let key = format!("{}-setup-{}", self.inner.key_prefix, setup.len());
            setup.push(SetupEntry {
                key: key.clone(),
                cmd: cmd.to_owned(),
                args: args.clone(),
            });
            (setup.len() - 1, key)
        };
        let answers = self.inner.survey(cmd, &args, Some(&key), timeout)?;
        self.inner.note_setup(index, &answers, &[]);
        Ok(answers
            .into_iter()
            .map(|(addr, worker, outcome)| (worker.unwrap_or(addr), outcome))
            .collect())
    }

    /// Queues one task; blocks while the pool holds `max_pending` tasks (backpressure).
    pub fn submit(&self, cmd: &str, args: Value) -> Ticket {
        let (tx, rx) = mpsc::channel();
        let task = self.inner.task(None, Arc::from(cmd), args, tx);
        let _ = self.inner.enqueue(task, None); // (without a limit it always queues)
        Ticket { rx }
    }

    /// [`Pool::submit`] waiting at most `wait` for room in the pool; gives `args` back if
    /// there was none.
    pub fn try_submit(&self, cmd: &str, args: Value, wait: Duration) -> Result<Ticket, Value> {
        let (tx, rx) = mpsc::channel();
        let task = self.inner.task(None, Arc::from(cmd), args, tx);
        match self.inner.enqueue(task, Some(Instant::now() + wait)) {
            Ok(()) => Ok(Ticket { rx }),
            Err(task) => Err(task.args),
        }
    }

    /// Runs `cmd` once per item of `items` over the pool; yields results as they
    /// complete. At most `max_pending` items are taken from `items` ahead of the results
    /// consumed. The iterator may outlive the `Pool`: its remaining tasks then fail with
    /// [`nngbridge::Error::Closed`].
    pub fn map_unordered<I>(&self, cmd: &str, items: I) -> Completed<I::IntoIter>
    where
        I: IntoIterator<Item = Value>,
    {
        let (tx, rx) = mpsc::channel();
        Completed {
            inner: Arc::clone(&self.inner),
            cmd: Arc::from(cmd),
            items: items.into_iter().enumerate(),
            held: None,
            tx: Some(tx),
            rx,
            outstanding: 0,
        }
    }

    /// [`Pool::map_unordered`], results in the order of `items`.
    pub fn map<I>(&self, cmd: &str, items: I) -> Vec<TaskResult>
    where
        I: IntoIterator<Item = Value>,
    {
        let mut all: Vec<TaskResult> = self.map_unordered(cmd, items).collect();
        all.sort_by_key(|r| r.index);
        all
    }

    /// Counts since the pool started.
    pub fn stats(&self) -> PoolStats {
        self.inner
            .engine
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.inner.closing.store(true, Ordering::SeqCst);
        {
            let mut q = self.inner.engine.lock();
            q.closing = true;
            self.inner.engine.changed.notify_all();
        }
        self.inner.round.1.notify_all();
        // Closing the sockets ends receives in progress (Error::Closed).
        let _ = self.inner.work.close();
        let _ = self.inner.control.close();
        for lane in self.lanes.drain(..) {
            let _ = lane.join();
        }
        if let Some(l) = self.liveness.take() {
            let _ = l.join();
        }
        self.inner.work.set_pipe_handler(None);
        self.inner.control.set_pipe_handler(None);
    }
}

/// A submitted task; [`Ticket::wait`] gives its result.
pub struct Ticket {
    rx: mpsc::Receiver<TaskResult>,
}

fn closed(index: usize, attempts: u32) -> TaskResult {
    TaskResult {
        index,
        worker: None,
        attempts,
        replayed: false,
        outcome: Err(CallError::Nng(nngbridge::Error::Closed)),
    }
}

impl Ticket {
    /// Waits for the task's result.
    pub fn wait(self) -> TaskResult {
        self.rx.recv().unwrap_or_else(|_| closed(0, 0))
    }

    /// Waits at most `timeout` for the task's result (`None`: not yet; wait again).
    pub fn wait_timeout(&self, timeout: Duration) -> Option<TaskResult> {
        match self.rx.recv_timeout(timeout) {
            Ok(r) => Some(r),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => Some(closed(0, 0)),
        }
    }
}

/// Results of [`Pool::map_unordered`] as they complete.
pub struct Completed<I: Iterator<Item = Value>> {
    inner: Arc<Inner>,
    cmd: Arc<str>,
    items: std::iter::Enumerate<I>,
    /// A task taken from `items` that found no room in the pool yet.
    held: Option<Pending>,
    tx: Option<mpsc::Sender<TaskResult>>,
    rx: mpsc::Receiver<TaskResult>,
    outstanding: usize,
}

impl<I: Iterator<Item = Value>> Completed<I> {
    /// The next result, waiting at most until `until` (`None`: as long as it takes):
    /// `Ok(None)` once every item has its result, `Err(())` if `until` passed first
    /// (call again; nothing is lost).
    #[allow(clippy::result_unit_err)]
    pub fn next_until(&mut self, until: Option<Instant>) -> Result<Option<TaskResult>, ()> {
        let window = self.inner.opts.max_pending.max(1);
        while self.outstanding < window {
            let task = match self.held.take() {
                Some(t) => t,
                None => {
                    let Some(tx) = &self.tx else { break };
                    match self.items.next() {
                        Some((index, args)) => {
                            let tx = tx.clone();
                            self.inner
                                .task(Some(index), Arc::clone(&self.cmd), args, tx)
                        }
                        None => {
                            self.tx = None;
                            break;
                        }
                    }
                }
            };
            match self.inner.enqueue(task, until) {
                Ok(()) => self.outstanding += 1,
                Err(task) => {
                    self.held = Some(*task);
                    return Err(());
                }
            }
        }
        if self.outstanding == 0 {
            return Ok(None);
        }
        let r = match until {
            None => self.rx.recv().map_err(|_| ()),
            Some(t) => self
                .rx
                .recv_timeout(t.saturating_duration_since(Instant::now()))
                .map_err(|_| ()),
        };
        // (the pool answers every task it took, so the channel only times out)
        let r = r?;
        self.outstanding -= 1;
        Ok(Some(r))
    }
}

impl<I: Iterator<Item = Value>> Iterator for Completed<I> {
    type Item = TaskResult;

    fn next(&mut self) -> Option<TaskResult> {
        self.next_until(None).ok().flatten()
    }
}

impl Inner {
    /// A new task (its index: `index`, or its key's number for a ticket).
    fn task(
        &self,
        index: Option<usize>,
        cmd: Arc<str>,
        args: Value,
        reply_to: mpsc::Sender<TaskResult>,
    ) -> Pending {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        Pending {
            index: index.unwrap_or(n as usize),
            key: format!("{}-{n}", self.key_prefix),
            cmd,
            args,
            attempts: 0,
            queued_at: Instant::now(),
            reply_to,
        }
    }

    /// Queues `task`, waiting while the pool holds `max_pending` tasks, at most until
    /// `until`; gives it back if there was no room by then.
    fn enqueue(&self, mut task: Pending, until: Option<Instant>) -> Result<(), Box<Pending>> {
        let e = &self.engine;
        let mut q = e.lock();
        while !q.closing && q.waiting.len() + q.in_flight >= self.opts.max_pending.max(1) {
            q = match until {
                None => e.changed.wait(q).unwrap_or_else(|x| x.into_inner()),
                Some(t) => {
                    let left = t.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(Box::new(task));
                    }
                    e.changed
                        .wait_timeout(q, left)
                        .map(|(g, _)| g)
                        .unwrap_or_else(|x| x.into_inner().0)
                }
            };
        }
        if q.closing {
            drop(q);
            let _ = task.reply_to.send(closed(task.index, 0));
            return Ok(());
        }
        task.queued_at = Instant::now();
        q.waiting.push_back(task);
        e.changed.notify_all();
        Ok(())
    }

    fn has_setup(&self) -> bool {
        !self
            .setup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    fn wake_liveness(&self) {
        *self.round.0.lock().unwrap_or_else(|x| x.into_inner()) = true;
        self.round.1.notify_all();
    }

    /// Fails the queued tasks that waited `queue_deadline` with no worker connected.
    fn expire(&self, q: &mut Queue) {
        let (Some(limit), Some(since)) = (self.opts.queue_deadline, q.idle_since) else {
            return;
        };
        let now = Instant::now();
        let (expired, kept): (Vec<Pending>, Vec<Pending>) = q
            .waiting
            .drain(..)
            .partition(|t| now.saturating_duration_since(t.queued_at.max(since)) >= limit);
        q.waiting = kept.into();
        if expired.is_empty() {
            return;
        }
        self.engine
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .expired += expired.len() as u64;
        for t in expired {
            let _ = t.reply_to.send(TaskResult {
                index: t.index,
                worker: None,
                attempts: t.attempts,
                replayed: false,
                outcome: Err(CallError::Nng(nngbridge::Error::Timeout)),
            });
        }
        self.engine.changed.notify_all();
    }

    /// The most tasks in flight now: `per_worker` for each connected worker.
    fn capacity(&self) -> usize {
        self.opts.per_worker.max(1) * self.engine.work_pipes.load(Ordering::SeqCst)
    }

    /// One sender thread: takes a task when a worker has room, sends it on its own
    /// context, waits up to the deadline, and re-queues it (first in line) if the worker
    /// died or did not answer in time.
    fn lane(&self) {
        let Ok(ctx) = Context::new(&self.work) else {
            return;
        };
        let e = &self.engine;
        loop {
            let mut task = {
                let mut q = e.lock();
                loop {
                    if q.closing {
                        for t in q.waiting.drain(..) {
                            let _ = t.reply_to.send(closed(t.index, t.attempts));
                        }
                        return;
                    }
                    let capacity = self.capacity();
                    if !q.waiting.is_empty() && q.in_flight < capacity && !q.gated {
                        break;
                    }
                    if capacity == 0 && !q.waiting.is_empty() {
                        self.expire(&mut q);
                    }
                    // Pipe events notify; the timeout also covers a missed wake-up.
                    q = e
                        .changed
                        .wait_timeout(q, Duration::from_millis(200))
                        .map(|(g, _)| g)
                        .unwrap_or_else(|x| x.into_inner().0);
                }
                let Some(t) = q.waiting.pop_front() else {
                    continue;
                };
                q.in_flight += 1;
                t
            };
            task.attempts += 1;
            let (worker, replayed, outcome) = self.attempt(&ctx, &task);
            let mut q = e.lock();
            q.in_flight -= 1;
            let failed = is_transport_failure_result(&outcome);
            let retry = failed && task.attempts < self.opts.max_attempts && !q.closing;
            let mut stats = e.stats.lock().unwrap_or_else(|x| x.into_inner());
            if retry {
                stats.resent += 1;
                drop(stats);
                q.waiting.push_front(task);
                e.changed.notify_all();
                continue;
            }
            if let Some(w) = &worker {
                // (a worker named itself: it answered, ok or with its error)
                *stats.by_worker.entry(w.clone()).or_default() += 1;
            }
            if failed {
                stats.lost += 1;
            }
            stats.replayed += u64::from(replayed);
            drop(stats);
            e.changed.notify_all();
            drop(q);
            let _ = task.reply_to.send(TaskResult {
                index: task.index,
                worker,
                attempts: task.attempts,
                replayed,
                outcome,
            });
        }
    }

    fn attempt(
        &self,
        ctx: &Context,
        task: &Pending,
    ) -> (Option<String>, bool, Result<Value, CallError>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let req = PoolRequest {
            v: PROTOCOL_VERSION,
            id,
            cmd: &task.cmd,
            args: &task.args,
            token: self.opts.token.as_deref(),
            key: Some(&task.key),
        };
        let run = || -> Result<(PoolReply, Option<Pipe>), CallError> {
            let bytes = codec::encode(&req)?;
            ctx.set_send_timeout(Some(self.opts.deadline))?;
            ctx.set_recv_timeout(Some(self.opts.deadline))?;
            ctx.send(&bytes)?;
            let msg = ctx.recv()?;
            Ok((
                codec::decode_limited(msg.body(), self.opts.max_reply)?,
                msg.pipe(),
            ))
        };
        match run() {
            Ok((reply, pipe)) => {
                if let Some(w) = &reply.worker {
                    self.seen(w, pipe);
                }
                reply.outcome(id)
            }
            Err(e) => (None, false, Err(e)),
        }
    }

    /// Sends one survey and gathers the answers until every connected worker answered or
    /// `timeout` passed: (remote address, worker id, outcome) each.
    #[allow(clippy::type_complexity)]
    fn survey(
        &self,
        cmd: &str,
        args: &Value,
        key: Option<&str>,
        timeout: Duration,
    ) -> Result<Vec<(String, Option<String>, Result<Value, CallError>)>, CallError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let req = PoolRequest {
            v: PROTOCOL_VERSION,
            id,
            cmd,
            args,
            token: self.opts.token.as_deref(),
            key,
        };
        let ctx = Context::new(&self.control)?;
        let expected = self.engine.control_pipes.load(Ordering::SeqCst);
        ctx.set_send_timeout(Some(timeout))?;
        ctx.send(&codec::encode(&req)?)?;
        let until = Instant::now() + timeout;
        let mut answers = Vec::new();
        while answers.len() < expected {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            ctx.set_recv_timeout(Some(left))?;
            let msg = match ctx.recv() {
                Ok(m) => m,
                Err(nngbridge::Error::Timeout) => break,
                Err(e) => return Err(e.into()),
            };
            let address = msg
                .pipe()
                .and_then(|p| p.remote_address().ok())
                .map(|a| a.to_string())
                .unwrap_or_default();
            match codec::decode_limited::<PoolReply>(msg.body(), self.opts.max_reply) {
                Ok(reply) => {
                    let (worker, _, outcome) = reply.outcome(id);
                    answers.push((address, worker, outcome));
                }
                Err(e) => answers.push((address, None, Err(e.into()))),
            }
        }
        Ok(answers)
    }

    fn liveness_round(&self, timeout: Duration) -> Result<Vec<WorkerInfo>, CallError> {
        let answers = self.survey("session.hello", &Value::Map(vec![]), None, timeout)?;
        let mut alive = Vec::new();
        let mut refused = Vec::new();
        for (address, worker, outcome) in answers {
            let refuse = |reason: String| Refusal {
                worker: worker.clone(),
                address: address.clone(),
                reason,
            };
            match outcome {
                Ok(v) => match typed::<HelloInfo>(v.clone()) {
                    Ok(hello) if hello.protocol == PROTOCOL_VERSION => {
                        if let Some(w) = hello.worker.as_deref().or(worker.as_deref()) {
                            self.seen(w, None);
                        }
                        alive.push(WorkerInfo {
                        id: hello
                            .worker
                            .clone()
                            .or(worker.clone())
                            .unwrap_or_else(|| address.clone()),
                        hello,
                        raw: v,
                        address: address.clone(),
                    })
                    }
                    Ok(hello) => refused.push(refuse(format!(
                        "UNSUPPORTED_VERSION: the worker speaks protocol {}, the pool {PROTOCOL_VERSION}",
                        hello.protocol
                    ))),
                    Err(e) => refused.push(refuse(format!("session.hello: {e}"))),
                },
                Err(CallError::Server(e))
                    if matches!(
                        e.code,
                        ErrorCode::Unauthorized | ErrorCode::UnsupportedVersion
                    ) =>
                {
                    refused.push(refuse(format!("{}: {}", e.code_str(), e.message)))
                }
                Err(_) => {}
            }
        }
        alive.sort_by(|a, b| a.id.cmp(&b.id));
        *self.alive.lock().unwrap_or_else(|e| e.into_inner()) = alive.clone();
        if !refused.is_empty() {
            let mut known = self.refused.lock().unwrap_or_else(|e| e.into_inner());
            for r in refused {
                if !known.contains(&r) {
                    known.push(r);
                }
            }
        }
        Ok(alive)
    }

    /// Notes a sign of life of `worker` (and which work pipe is its own).
    fn seen(&self, worker: &str, work_pipe: Option<Pipe>) {
        let mut h = self.health.lock().unwrap_or_else(|e| e.into_inner());
        let entry = h.entry(worker.to_owned()).or_insert((Instant::now(), None));
        entry.0 = Instant::now();
        if work_pipe.is_some() {
            entry.1 = work_pipe;
        }
    }

    /// Closes the work pipe of every worker that gave no sign of life (an answer to a task
    /// or a liveness round) for longer than the deadline: NNG stops giving it tasks, its
    /// tasks in flight fail at once and are re-sent, and the worker redials (and gets work
    /// again) once it answers again.
    fn evict_hung(&self) {
        let mut h = self.health.lock().unwrap_or_else(|e| e.into_inner());
        for (last, pipe) in h.values_mut() {
            if last.elapsed() > self.opts.deadline {
                if let Some(p) = pipe.take() {
                    let _ = p.close();
                    self.engine
                        .stats
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .evicted += 1;
                }
            }
        }
    }

    /// Records who answered setup command `index` (answers of a survey of it); `joining`:
    /// the workers it was replayed for, counted in the stats.
    #[allow(clippy::type_complexity)]
    fn note_setup(
        &self,
        index: usize,
        answers: &[(String, Option<String>, Result<Value, CallError>)],
        joining: &[String],
    ) {
        let mut set_up = self.set_up.lock().unwrap_or_else(|e| e.into_inner());
        let mut stats = self.engine.stats.lock().unwrap_or_else(|e| e.into_inner());
        for (_, worker, outcome) in answers {
            let Some(w) = worker else { continue };
            if matches!(outcome, Err(CallError::Server(e))
                if matches!(e.code, ErrorCode::Unauthorized | ErrorCode::UnsupportedVersion))
            {
                continue; // a refused worker ran nothing
            }
            let done = set_up.entry(w.clone()).or_insert(0);
            if *done == index {
                *done = index + 1;
                if joining.contains(w) {
                    stats.setup_replayed += 1;
                    stats.setup_failed += u64::from(outcome.is_err());
                }
            }
        }
    }

    /// Gives the setup commands a worker among `alive` has not answered yet to it (to
    /// every connected worker, with their keys: those that ran one answer from their
    /// store).
    fn replay_setup(&self, alive: &[WorkerInfo]) {
        let entries: Vec<(String, String, Value)> = self
            .setup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|s| (s.key.clone(), s.cmd.clone(), s.args.clone()))
            .collect();
        let (joining, from) = {
            let set_up = self.set_up.lock().unwrap_or_else(|e| e.into_inner());
            let behind: Vec<(String, usize)> = alive
                .iter()
                .map(|w| (w.id.clone(), set_up.get(&w.id).copied().unwrap_or(0)))
                .filter(|(_, done)| *done < entries.len())
                .collect();
            let from = behind.iter().map(|(_, d)| *d).min();
            (behind.into_iter().map(|(w, _)| w).collect::<Vec<_>>(), from)
        };
        let Some(from) = from else { return };
        for (index, (key, cmd, args)) in entries.iter().enumerate().skip(from) {
            if self.closing.load(Ordering::SeqCst) {
                return;
            }
            if let Ok(answers) = self.survey(cmd, args, Some(key), self.opts.deadline) {
                self.note_setup(index, &answers, &joining);
            }
        }
    }

    fn liveness_loop(&self) {
        while !self.closing.load(Ordering::SeqCst) {
            let gen = self.engine.gate_gen.load(Ordering::SeqCst);
            if let Ok(alive) = self.liveness_round(self.opts.liveness_timeout) {
                self.replay_setup(&alive);
            }
            {
                // Open the gate unless another worker joined during this round.
                let mut q = self.engine.lock();
                if q.gated && self.engine.gate_gen.load(Ordering::SeqCst) == gen {
                    q.gated = false;
                    self.engine.changed.notify_all();
                }
            }
            self.evict_hung();
            let mut woken = self.round.0.lock().unwrap_or_else(|e| e.into_inner());
            if !*woken && !self.closing.load(Ordering::SeqCst) {
                woken = self
                    .round
                    .1
                    .wait_timeout(woken, self.opts.liveness_interval)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
            *woken = false;
        }
    }
}

fn is_transport_failure_result(outcome: &Result<Value, CallError>) -> bool {
    matches!(outcome, Err(e) if is_transport_failure(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_address_is_the_next_port_or_a_suffix() {
        let c = |a: &str| Pool::control_address(a).ok();
        assert_eq!(
            c("tcp://127.0.0.1:7000").as_deref(),
            Some("tcp://127.0.0.1:7001")
        );
        assert_eq!(
            c("tls+tcp://[::1]:9").as_deref(),
            Some("tls+tcp://[::1]:10")
        );
        assert_eq!(c("ipc:///tmp/p").as_deref(), Some("ipc:///tmp/p.control"));
        assert_eq!(c("tcp://h:65535"), None);
        assert_eq!(c("tcp://h:0"), None);
        assert_eq!(c("ws://h:80"), None);
        assert_eq!(c("ipc://"), None);
    }
}
