//! The `nngbridge` command-line tool: call scene commands, watch scene events and install
//! nngbridge into a Blender.
//!
//! ```text
//! nngbridge call tcp://127.0.0.1:5555 object.create '{"type": "CUBE", "name": "Box"}'
//! nngbridge call tcp://127.0.0.1:5555 session.hello   # files.work_dir: where files go
//! nngbridge watch tcp://127.0.0.1:5556 frame selection
//! nngbridge call tls+tcp://blender.lan:5555 session.hello --tls-ca ca.pem \
//!     --tls-cert me.pem --tls-key me.key --token "$TOKEN"
//! nngbridge blender install --blender ~/blender-3.6/blender --enable
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use nngbridge_scene::{CallError, EventStream, SceneClient, TlsConfig, TlsMode};

mod json;
mod pool;

/// Drive a scene server (the nngbridge Blender add-on) from the command line.
#[derive(Parser)]
#[command(name = "nngbridge", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Call COMMAND on the server at ADDRESS and print the reply as JSON.
    ///
    /// Exits 1 on an error reply, 2 on a timeout or transport failure.
    Call {
        /// The server's request address, e.g. tcp://127.0.0.1:5555 or ipc:///tmp/blender.
        address: String,
        /// The command, `domain.verb` (e.g. session.hello).
        command: String,
        /// The arguments as a JSON object.
        #[arg(default_value = "{}")]
        args: String,
        /// The shared token [default: the token file a local server wrote for ADDRESS,
        /// docs/protocol.md §7.1].
        #[arg(long, env = "NNGBRIDGE_TOKEN")]
        token: Option<String>,
        /// Seconds to wait for the reply.
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Print the server's events at ADDRESS as JSON lines.
    Watch {
        /// The server's events address, e.g. tcp://127.0.0.1:5556.
        address: String,
        /// Topics to subscribe to (frame, depsgraph, selection, file, job, log); all if none.
        topics: Vec<String>,
        /// Stop after this many seconds without an event (default: never).
        #[arg(long)]
        timeout: Option<f64>,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Run a pool of Blender workers (docs/pool.md): listen on ADDRESS, read JSON requests
    /// (wait, workers, refused, broadcast, setup, map, stats) from stdin, one JSON line each
    /// out.
    Pool(pool::PoolArgs),
    /// Install nngbridge into a Blender, or show where it would go.
    Blender {
        #[command(subcommand)]
        command: BlenderCommand,
    },
}

/// TLS for `tls+tcp://` addresses (a server started with `tls=`).
#[derive(clap::Args)]
struct TlsArgs {
    /// PEM file of the CA that signed the server's certificate.
    #[arg(long, value_name = "PEM")]
    tls_ca: Option<PathBuf>,
    /// PEM file of this client's certificate, for a server that requires one (with
    /// --tls-key, or alone if the file holds the key too).
    #[arg(long, value_name = "PEM")]
    tls_cert: Option<PathBuf>,
    /// PEM file of the client certificate's private key.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The name the server's certificate must match (default: the address's host).
    #[arg(long, value_name = "NAME")]
    tls_server_name: Option<String>,
}

#[derive(Subcommand)]
enum BlenderCommand {
    #[command(about = nngbridge_install::ABOUT, long_about = nngbridge_install::LONG_ABOUT)]
    Install(nngbridge_install::InstallArgs),
    /// Print Blender's version, Python version and user scripts directories as JSON.
    Paths {
        /// The Blender executable or a portable Blender's folder.
        #[arg(long, env = "BLENDER", default_value = "blender")]
        blender: PathBuf,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Call {
            address,
            command,
            args,
            token,
            timeout,
            tls,
        } => match tls_config(&address, &tls) {
            Ok(tls) => call(&address, &command, &args, token, timeout, tls.as_ref()),
            Err(e) => fail(2, &e),
        },
        Command::Watch {
            address,
            topics,
            timeout,
            tls,
        } => match tls_config(&address, &tls) {
            Ok(tls) => watch(&address, &topics, timeout, tls.as_ref()),
            Err(e) => fail(2, &e),
        },
        Command::Pool(args) => pool::run(args),
        Command::Blender { command } => blender_command(command),
    }
}

fn blender_command(command: BlenderCommand) -> ExitCode {
    let result = match command {
        BlenderCommand::Install(args) => {
            let dirs = nngbridge_install::default_wheel_dirs();
            nngbridge_install::install(&args.into_options(nngbridge_install::Source::Wheels(dirs)))
        }
        BlenderCommand::Paths { blender } => nngbridge_install::probe(&blender)
            .map(|info| println!("{}", json::pretty(&info.to_json()))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, &e.to_string()),
    }
}

fn seconds(s: f64) -> Duration {
    Duration::from_secs_f64(s.clamp(0.001, 86_400.0))
}

/// The client TLS configuration the options ask for: none for a plain address without
/// TLS options; a `tls+tcp://` address, or any TLS option, gives one.
fn tls_config(address: &str, a: &TlsArgs) -> Result<Option<TlsConfig>, String> {
    let any = a.tls_ca.is_some() || a.tls_cert.is_some() || a.tls_server_name.is_some();
    if !address.starts_with("tls+tcp") {
        return if any {
            Err(format!(
                "--tls-* options need a tls+tcp:// address, not {address}"
            ))
        } else {
            Ok(None)
        };
    }
    let what = |e: nngbridge::Error, what: &str| format!("{what}: {e}");
    let cfg = TlsConfig::new(TlsMode::Client).map_err(|e| what(e, "TLS"))?;
    if let Some(ca) = &a.tls_ca {
        cfg.add_ca_file(ca)
            .map_err(|e| what(e, &format!("--tls-ca {}", ca.display())))?;
    }
    let host = address
        .split_once("://")
        .map(|(_, rest)| rest.rsplit_once(':').map_or(rest, |(h, _)| h))
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'));
    if let Some(name) = a.tls_server_name.as_deref().or(host) {
        cfg.set_server_name(name)
            .map_err(|e| what(e, "--tls-server-name"))?;
    }
    match (&a.tls_cert, &a.tls_key) {
        (Some(cert), Some(key)) => {
            let read = |p: &PathBuf| {
                std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
            };
            cfg.set_own_cert(&read(cert)?, &read(key)?, None)
                .map_err(|e| what(e, "--tls-cert/--tls-key"))?;
        }
        (Some(both), None) => cfg
            .set_cert_key_file(both, None)
            .map_err(|e| what(e, &format!("--tls-cert {}", both.display())))?,
        _ => {}
    }
    Ok(Some(cfg))
}

fn call(
    address: &str,
    command: &str,
    args: &str,
    token: Option<String>,
    timeout: f64,
    tls: Option<&TlsConfig>,
) -> ExitCode {
    let args: serde_json::Value = match serde_json::from_str(args) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        Ok(_) => return fail(2, "ARGS must be a JSON object"),
        Err(e) => return fail(2, &format!("ARGS is not JSON: {e}")),
    };
    let client = match token {
        Some(t) => SceneClient::connect_with(address, tls).map(|c| c.with_token(t)),
        None => SceneClient::connect_local_with(address, tls),
    };
    let client = match client {
        Ok(c) => c.with_timeout(seconds(timeout)),
        Err(e) => return fail(2, &e.to_string()),
    };
    match client.call_value(command, json::to_msgpack(&args)) {
        Ok(result) => {
            println!(
                "{}",
                json::pretty(
                    &serde_json::json!({"ok": true, "result": json::from_msgpack(&result)})
                )
            );
            ExitCode::SUCCESS
        }
        Err(CallError::Server(e)) => {
            let body = serde_json::json!({"ok": false, "error": {
                "code": e.code_str(), "message": e.message, "details": json::from_msgpack(&e.details)}});
            println!("{}", json::pretty(&body));
            ExitCode::from(1)
        }
        Err(e) => fail(2, &e.to_string()),
    }
}

fn watch(
    address: &str,
    topics: &[String],
    timeout: Option<f64>,
    tls: Option<&TlsConfig>,
) -> ExitCode {
    let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
    let mut events = match EventStream::connect_with(address, &topics, tls) {
        Ok(s) => s,
        Err(e) => return fail(2, &e.to_string()),
    };
    loop {
        match events.next_event(timeout.map(seconds)) {
            Ok(e) => {
                let line = serde_json::json!({"topic": e.topic, "seq": e.seq, "data": json::from_msgpack(&e.data), "lost": events.lost()});
                println!("{line}");
            }
            Err(CallError::Nng(nngbridge::Error::Timeout)) => return ExitCode::SUCCESS,
            Err(CallError::Decode(e)) => eprintln!("skipping a malformed event: {e}"),
            Err(e) => return fail(2, &e.to_string()),
        }
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("nngbridge: {message}");
    ExitCode::from(code)
}
