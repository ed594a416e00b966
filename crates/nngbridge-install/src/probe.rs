//! Runs a Blender in the background and asks it where its user scripts live, which
//! version it is and which Python it runs.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::InstallError;

/// The probe: prints `NNGBRIDGE ` and a JSON object of Blender's paths and versions.
pub const PROBE_EXPR: &str = "import bpy, sys, json; print('NNGBRIDGE ' + json.dumps({\
'scripts': bpy.utils.user_resource('SCRIPTS'), 'python': list(sys.version_info[:2]),\
'blender': bpy.app.version_string}))";

/// The line prefix the probe prints before its JSON.
const MARKER: &str = "NNGBRIDGE ";

/// How long a background Blender may take to start, answer and quit.
pub const BLENDER_TIMEOUT: Duration = Duration::from_secs(120);

/// The add-on's directory name under `scripts/addons`.
pub const ADDON_NAME: &str = "nngbridge_addon";

/// What a Blender reported about itself.
#[derive(Debug, Clone)]
pub struct BlenderInfo {
    /// The executable that answered.
    pub executable: PathBuf,
    /// `bpy.app.version_string`, e.g. `3.4.1`.
    pub version: String,
    /// Its Python's `(major, minor)`.
    pub python: (u32, u32),
    /// The user scripts directory (`BLENDER_USER_SCRIPTS` moves it).
    pub scripts: PathBuf,
}

impl BlenderInfo {
    /// `scripts/addons/modules`: on Blender's `sys.path` once it exists.
    pub fn modules(&self) -> PathBuf {
        self.scripts.join("addons").join("modules")
    }

    /// `scripts/addons/nngbridge_addon`: the add-on shim.
    pub fn addon(&self) -> PathBuf {
        self.scripts.join("addons").join(ADDON_NAME)
    }

    /// `3.11`
    pub fn python_version(&self) -> String {
        format!("{}.{}", self.python.0, self.python.1)
    }

    /// The probe result as printed by `nngbridge blender paths`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "executable": self.executable.display().to_string(),
            "blender": self.version,
            "python": [self.python.0, self.python.1],
            "scripts": self.scripts.display().to_string(),
            "modules": self.modules().display().to_string(),
            "addon": self.addon().display().to_string(),
        })
    }
}

/// A portable Blender's folder stands for the executable inside it; a bare name is
/// looked up on `PATH` (so messages show which Blender answered).
pub fn resolve_executable(blender: &Path) -> PathBuf {
    let exe = if cfg!(windows) {
        "blender.exe"
    } else {
        "blender"
    };
    if blender.is_dir() {
        return blender.join(exe);
    }
    if blender.components().count() == 1 {
        let on_path = std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(blender))
                .map(|p| {
                    if cfg!(windows) {
                        p.with_extension("exe")
                    } else {
                        p
                    }
                })
                .find(|p| p.is_file())
        });
        if let Some(found) = on_path {
            return found;
        }
    }
    blender.to_path_buf()
}

/// Runs the probe in `blender -b --factory-startup` (the environment passes through, so
/// `BLENDER_USER_SCRIPTS` steers the answer).
pub fn probe(blender: &Path) -> Result<BlenderInfo, InstallError> {
    let executable = resolve_executable(blender);
    let run = run_blender(
        &executable,
        &["-b", "--factory-startup", "--python-expr", PROBE_EXPR],
    )?;
    let line = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix(MARKER))
        .ok_or_else(|| InstallError::ProbeFailed {
            blender: executable.clone(),
            reason: "it did not print the probe's answer (is it Blender 2.93 or later?)".into(),
            output: run.tail(),
        })?;
    parse_probe(line)
        .map_err(|reason| InstallError::ProbeFailed {
            blender: executable.clone(),
            reason,
            output: run.tail(),
        })
        .map(|(version, python, scripts)| BlenderInfo {
            executable,
            version,
            python,
            scripts,
        })
}

/// Parses the probe's JSON: `{"scripts": ..., "python": [3, 11], "blender": "3.4.1"}`.
fn parse_probe(line: &str) -> Result<(String, (u32, u32), PathBuf), String> {
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("its answer is not JSON: {e}"))?;
    let scripts = v["scripts"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or("its answer has no user scripts directory")?;
    let version = v["blender"]
        .as_str()
        .ok_or("its answer has no Blender version")?;
    let python = match v["python"].as_array().map(Vec::as_slice) {
        Some([major, minor]) => major
            .as_u64()
            .zip(minor.as_u64())
            .and_then(|(a, b)| Some((u32::try_from(a).ok()?, u32::try_from(b).ok()?))),
        _ => None,
    }
    .ok_or("its answer has no Python version")?;
    Ok((version.to_string(), python, PathBuf::from(scripts)))
}

/// What a Blender run printed.
pub struct BlenderRun {
    /// Its exit status.
    pub status: ExitStatus,
    /// Everything on stdout.
    pub stdout: String,
    /// Everything on stderr.
    pub stderr: String,
}

impl BlenderRun {
    /// The last lines of its output, for error messages.
    pub fn tail(&self) -> String {
        let all = format!("{}{}", self.stdout, self.stderr);
        let lines: Vec<&str> = all.lines().collect();
        if lines.is_empty() {
            return "(nothing)".into();
        }
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// Runs `blender args...` to its end, killing it after [`BLENDER_TIMEOUT`].
pub fn run_blender(blender: &Path, args: &[&str]) -> Result<BlenderRun, InstallError> {
    let mut child = Command::new(blender)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| InstallError::BlenderNotFound {
            blender: blender.to_path_buf(),
            source,
        })?;
    // Each pipe is read to its end on its own thread; both ends arriving means Blender
    // has closed its output, i.e. is exiting.
    let (tx, rx) = mpsc::channel::<(usize, String)>();
    let pipes: [Option<Box<dyn Read + Send>>; 2] = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ];
    for (i, pipe) in pipes.into_iter().enumerate() {
        let tx = tx.clone();
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            let _ = tx.send((i, String::from_utf8_lossy(&bytes).into_owned()));
        });
    }
    drop(tx);
    let deadline = Instant::now() + BLENDER_TIMEOUT;
    let mut out = [String::new(), String::new()];
    for _ in 0..2 {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((i, text)) => out[i] = text,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(InstallError::BlenderTimeout {
                    blender: blender.to_path_buf(),
                    seconds: BLENDER_TIMEOUT.as_secs(),
                });
            }
        }
    }
    let status = child.wait().map_err(|source| InstallError::Io {
        action: "waiting for",
        path: blender.to_path_buf(),
        source,
    })?;
    let [stdout, stderr] = out;
    Ok(BlenderRun {
        status,
        stdout,
        stderr,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_probe_answer() {
        let (version, python, scripts) =
            parse_probe(r#"{"scripts": "/tmp/s", "python": [3, 11], "blender": "3.4.1"}"#).unwrap();
        assert_eq!(version, "3.4.1");
        assert_eq!(python, (3, 11));
        assert_eq!(scripts, PathBuf::from("/tmp/s"));
    }

    #[test]
    fn refuses_incomplete_probe_answers() {
        for bad in [
            "not json",
            r#"{"python": [3, 11], "blender": "3.4.1"}"#,
            r#"{"scripts": "", "python": [3, 11], "blender": "3.4.1"}"#,
            r#"{"scripts": "/s", "python": [3], "blender": "3.4.1"}"#,
            r#"{"scripts": "/s", "python": ["3", "11"], "blender": "3.4.1"}"#,
            r#"{"scripts": "/s", "python": [3, 11]}"#,
        ] {
            assert!(parse_probe(bad).is_err(), "{bad}");
        }
    }
}
