//! `nngbridge pool ADDRESS`: a pool controller (`nngbridge_scene::Pool`) driven by JSON
//! lines on stdin, one JSON line out per request (docs/pool.md §5). Scripts and tests use
//! it to drive Blender workers without writing Rust.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use nngbridge_scene::pool::{Pool, PoolOptions, TaskResult, WorkerOutcome};
use nngbridge_scene::{CallError, FailureKind, TlsAuthMode, TlsConfig, TlsMode, Value};
use serde_json::{json, Value as Json};

use crate::json::{from_msgpack, to_msgpack};

/// Options of `nngbridge pool`.
#[derive(clap::Args)]
pub struct PoolArgs {
    /// The work address to listen on (the control address is the next port, or
    /// `.control` appended to an ipc path).
    address: String,
    /// The pool's token: workers must be started with the same one.
    #[arg(long, env = "NNGBRIDGE_TOKEN")]
    token: Option<String>,
    /// Tasks in flight per connected worker.
    #[arg(long, default_value_t = PoolOptions::default().per_worker)]
    per_worker: usize,
    /// Seconds one attempt may take before the task is re-sent to another worker.
    #[arg(long, value_parser = parse_seconds,
          default_value_t = PoolOptions::default().deadline.as_secs_f64())]
    deadline: f64,
    /// Attempts of a task whose worker died or hung before it is reported failed.
    #[arg(long, default_value_t = PoolOptions::default().max_attempts)]
    max_attempts: u32,
    /// Seconds a queued task may wait while no worker is connected before it fails
    /// (`TIMEOUT`, never sent); without it, tasks wait for a worker as long as it takes.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    queue_deadline: Option<f64>,
    /// PEM file of the pool's certificate (tls+tcp://; with --tls-key, or alone if it
    /// holds the key too).
    #[arg(long, value_name = "PEM")]
    tls_cert: Option<PathBuf>,
    /// PEM file of the certificate's private key.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// PEM file of the CA whose client certificates workers must present.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if Duration::try_from_secs_f64(v).is_ok() => Ok(v),
        _ => Err(format!("{s:?} is not a number of seconds >= 0")),
    }
}

fn server_tls(a: &PoolArgs) -> Result<Option<TlsConfig>, String> {
    let Some(cert) = &a.tls_cert else {
        return Ok(None);
    };
    let what = |e: nngbridge::Error| format!("TLS: {e}");
    let cfg = TlsConfig::new(TlsMode::Server).map_err(what)?;
    match &a.tls_key {
        Some(key) => {
            let read = |p: &PathBuf| {
                std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
            };
            cfg.set_own_cert(&read(cert)?, &read(key)?, None)
                .map_err(what)?;
        }
        None => cfg.set_cert_key_file(cert, None).map_err(what)?,
    }
    if let Some(ca) = &a.tls_client_ca {
        cfg.add_ca_file(ca).map_err(what)?;
        cfg.set_auth_mode(TlsAuthMode::Required).map_err(what)?;
    }
    Ok(Some(cfg))
}

/// A worker's error as it came; otherwise the pool's own, named by its
/// [`nngbridge_scene::FailureKind`]: `TIMEOUT`, `LOST`, `CLOSED`, `TRANSPORT`, `PROTOCOL`.
fn error_json(e: &CallError) -> Json {
    match e {
        CallError::Server(b) => json!({"code": b.code_str(), "message": b.message,
                                       "details": from_msgpack(&b.details)}),
        other => json!({"code": other.kind().as_str().to_ascii_uppercase(),
                        "message": other.to_string()}),
    }
}

fn task_json(r: &TaskResult) -> Json {
    let mut j = json!({"index": r.index, "worker": r.worker, "attempts": r.attempts,
                       "replayed": r.replayed, "ok": r.outcome.is_ok()});
    match &r.outcome {
        Ok(v) => j["result"] = from_msgpack(v),
        Err(e) => {
            j["error"] = error_json(e);
            if r.attempts == 0 && e.kind() == FailureKind::Timeout {
                j["error"]["message"] =
                    "no worker connected within --queue-deadline; the task was never sent".into();
            }
        }
    }
    j
}

fn by_worker_json(outcomes: &[WorkerOutcome]) -> Json {
    json!({"results": outcomes.iter().map(|(w, o)| match o {
        Ok(v) => json!({"worker": w, "ok": true, "result": from_msgpack(v)}),
        Err(e) => json!({"worker": w, "ok": false, "error": error_json(e)}),
    }).collect::<Vec<_>>()})
}

fn seconds(j: &Json, default: f64) -> Duration {
    Duration::from_secs_f64(j.as_f64().unwrap_or(default).clamp(0.001, 86_400.0))
}

/// A command's arguments: a JSON object (null: none). Checked here, before a `setup`
/// registers them for every worker to come.
fn args_of(j: &Json) -> Result<Value, String> {
    match j {
        Json::Null => Ok(Value::Map(vec![])),
        Json::Object(_) => Ok(to_msgpack(j)),
        other => Err(format!("arguments are an object, not {other}")),
    }
}

fn answer(pool: &Pool, req: &Json, out: &mut impl Write) -> Result<Json, String> {
    let op = req["op"].as_str().unwrap_or_default();
    let cmd = || {
        req["cmd"]
            .as_str()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| format!("{op} needs cmd: a command name"))
    };
    Ok(match op {
        "wait" => {
            let n = req["n"].as_u64().unwrap_or(1) as usize;
            let w = pool
                .wait_for_workers(n, seconds(&req["timeout"], 60.0))
                .map_err(|e| e.to_string())?;
            json!({"workers": w.iter().map(|w| w.id.clone()).collect::<Vec<_>>()})
        }
        "workers" => {
            let w = pool
                .workers(seconds(&req["timeout"], 2.0))
                .map_err(|e| e.to_string())?;
            json!({"workers": w.iter().map(|w| json!({"id": w.id, "host": w.hello.host,
                "blender": w.hello.blender, "protocol": w.hello.protocol,
                "address": w.address})).collect::<Vec<_>>(), "connected": pool.connected()})
        }
        "refused" => json!({"refused": pool.refused().iter().map(|r| json!({
            "worker": r.worker, "address": r.address, "reason": r.reason})).collect::<Vec<_>>()}),
        "broadcast" => by_worker_json(
            &pool
                .broadcast(
                    cmd()?,
                    args_of(&req["args"])?,
                    seconds(&req["timeout"], 60.0),
                )
                .map_err(|e| e.to_string())?,
        ),
        "setup" => by_worker_json(
            &pool
                .setup(
                    cmd()?,
                    args_of(&req["args"])?,
                    seconds(&req["timeout"], 60.0),
                )
                .map_err(|e| e.to_string())?,
        ),
        "map" => {
            let cmd = cmd()?;
            let items = req["items"]
                .as_array()
                .ok_or("map needs items: a list")?
                .iter()
                .map(args_of)
                .collect::<Result<Vec<Value>, String>>()?;
            let progress = req["progress"].as_bool().unwrap_or(false);
            let mut results = Vec::with_capacity(items.len());
            for r in pool.map_unordered(cmd, items) {
                if progress {
                    let line = json!({"done": r.index, "worker": r.worker});
                    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
                }
                results.push(r);
            }
            results.sort_by_key(|r| r.index);
            json!({"results": results.iter().map(task_json).collect::<Vec<_>>()})
        }
        "stats" => {
            let s = pool.stats();
            json!({"by_worker": s.by_worker, "resent": s.resent, "replayed": s.replayed,
                   "lost": s.lost, "evicted": s.evicted, "expired": s.expired,
                   "setup_replayed": s.setup_replayed, "setup_failed": s.setup_failed,
                   "connected": pool.connected()})
        }
        other => {
            return Err(format!(
                "unknown op {other:?} (wait, workers, refused, broadcast, setup, map, stats)"
            ))
        }
    })
}

/// Runs the pool until stdin ends.
pub fn run(a: PoolArgs) -> ExitCode {
    let tls = match server_tls(&a) {
        Ok(t) => t,
        Err(e) => return crate::fail(2, &e),
    };
    let mut opts = PoolOptions {
        token: a.token.clone(),
        tls,
        per_worker: a.per_worker.max(1),
        deadline: Duration::from_secs_f64(a.deadline.clamp(0.01, 86_400.0)),
        max_attempts: a.max_attempts.max(1),
        ..Default::default()
    };
    if let Some(s) = a.queue_deadline {
        opts.queue_deadline = Some(Duration::from_secs_f64(s));
    }
    let pool = match Pool::listen(&a.address, opts) {
        Ok(p) => p,
        Err(e) => return crate::fail(2, &e.to_string()),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let _ = writeln!(out, "{}", json!({"ready": a.address}));
    let _ = out.flush();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<Json>(&line) {
            Ok(req) => match answer(&pool, &req, &mut out) {
                Ok(mut j) => {
                    j["ok"] = true.into();
                    j
                }
                Err(e) => json!({"ok": false, "error": e}),
            },
            Err(e) => json!({"ok": false, "error": format!("not JSON: {e}")}),
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}
