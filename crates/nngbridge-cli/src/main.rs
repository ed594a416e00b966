//! The `nngbridge` command-line tool: call scene commands and watch scene events.
//!
//! ```text
//! nngbridge call tcp://127.0.0.1:5555 object.create '{"type": "CUBE", "name": "Box"}'
//! nngbridge watch tcp://127.0.0.1:5556 frame selection
//! ```

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use nngbridge_scene::{CallError, EventStream, SceneClient};

mod json;

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
        /// The shared token, if the server requires one.
        #[arg(long, env = "NNGBRIDGE_TOKEN")]
        token: Option<String>,
        /// Seconds to wait for the reply.
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
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
        } => call(&address, &command, &args, token, timeout),
        Command::Watch {
            address,
            topics,
            timeout,
        } => watch(&address, &topics, timeout),
    }
}

fn seconds(s: f64) -> Duration {
    Duration::from_secs_f64(s.clamp(0.001, 86_400.0))
}

fn call(address: &str, command: &str, args: &str, token: Option<String>, timeout: f64) -> ExitCode {
    let args: serde_json::Value = match serde_json::from_str(args) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        Ok(_) => return fail(2, "ARGS must be a JSON object"),
        Err(e) => return fail(2, &format!("ARGS is not JSON: {e}")),
    };
    let client = match SceneClient::connect(address) {
        Ok(c) => c.with_timeout(seconds(timeout)),
        Err(e) => return fail(2, &e.to_string()),
    };
    let client = match token {
        Some(t) => client.with_token(t),
        None => client,
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

fn watch(address: &str, topics: &[String], timeout: Option<f64>) -> ExitCode {
    let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
    let mut events = match EventStream::connect(address, &topics) {
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
