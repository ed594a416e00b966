//! `nngbridge blender install` and `nngbridge blender paths`: put the nngbridge wheel into
//! a Blender's `scripts/addons/modules` and the add-on shim into `scripts/addons`, the same
//! layout as `python -m nngbridge.blender.install`, with no Python besides Blender's.

mod probe;
mod wheel;

use std::io;
use std::path::{Path, PathBuf};

pub use probe::{probe, ADDON_NAME};

/// Why an install (or the probe) failed; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The executable could not be started.
    #[error("cannot run Blender at {blender:?}: {source} (pass --blender PATH or set BLENDER)")]
    BlenderNotFound {
        /// What was tried.
        blender: PathBuf,
        /// Why it did not start.
        source: io::Error,
    },
    /// Blender ran past the timeout.
    #[error("{blender:?} did not finish within {seconds} s")]
    BlenderTimeout {
        /// The executable.
        blender: PathBuf,
        /// The timeout.
        seconds: u64,
    },
    /// Blender ran but gave no usable answer.
    #[error("asking {blender:?} for its paths failed: {reason}; its output ended with:\n{output}")]
    ProbeFailed {
        /// The executable.
        blender: PathBuf,
        /// What was wrong.
        reason: String,
        /// The end of its output.
        output: String,
    },
    /// No wheel in any of the searched directories.
    #[error(
        "no nngbridge wheel in {searched}: build them with scripts/build-wheels.sh, \
         or pass --wheel WHEEL or --wheels DIR"
    )]
    NoWheel {
        /// The directories searched.
        searched: String,
    },
    /// Wheels, but none for this Blender's Python.
    #[error("no wheel in {dir:?} fits Blender {blender} (Python {python}):\n{reasons}")]
    NoFittingWheel {
        /// The directory holding the wheels.
        dir: PathBuf,
        /// Blender's version.
        blender: String,
        /// Its Python's version.
        python: String,
        /// Why each wheel does not fit.
        reasons: String,
    },
    /// The given wheel does not fit this Blender's Python or platform.
    #[error("{wheel:?} does not fit Blender {blender}: {reason}")]
    AbiMismatch {
        /// The wheel.
        wheel: PathBuf,
        /// Blender's version.
        blender: String,
        /// Why.
        reason: String,
    },
    /// The wheel is damaged, unsafe or not an nngbridge wheel.
    #[error("refusing {wheel:?}: {reason}")]
    BadWheel {
        /// The wheel.
        wheel: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file operation failed.
    #[error("{action} {path:?}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// To which path.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// Enabling the add-on in Blender failed.
    #[error("enabling the add-on in {blender:?} failed; its output ended with:\n{output}")]
    EnableFailed {
        /// The executable.
        blender: PathBuf,
        /// The end of its output.
        output: String,
    },
}

/// What `nngbridge blender install` was asked to do.
pub struct InstallOptions {
    /// The Blender executable (or a portable Blender's folder).
    pub blender: PathBuf,
    /// A wheel to install instead of searching `wheels`.
    pub wheel: Option<PathBuf>,
    /// Where to look for wheels; the defaults when empty.
    pub wheels: Vec<PathBuf>,
    /// Enable the add-on and save Blender's preferences.
    pub enable: bool,
    /// Only report what would be installed.
    pub dry_run: bool,
}

/// Enables the add-on and saves the preferences; prints the marker only if it worked.
const ENABLE_EXPR: &str = "import addon_utils, bpy; \
mod = addon_utils.enable('nngbridge_addon', default_set=True); \
assert mod is not None and bpy.context.preferences.addons.get('nngbridge_addon'); \
bpy.ops.wm.save_userpref(); print('NNGBRIDGE ENABLED')";

/// The default wheel directories: `./dist`, then `dist/` at the root of the checkout a
/// cargo-built binary (`target/<profile>/nngbridge`) lives in.
pub fn default_wheel_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("dist")];
    if let Ok(exe) = std::env::current_exe() {
        if let Some(root) = exe.parent().and_then(Path::parent).and_then(Path::parent) {
            let dist = root.join("dist");
            if !dirs.contains(&dist) {
                dirs.push(dist);
            }
        }
    }
    dirs
}

/// Probes Blender, picks and checks the wheel, unpacks it, copies the add-on and
/// optionally enables it. Prints each step.
pub fn install(opts: &InstallOptions) -> Result<(), InstallError> {
    let info = probe(&opts.blender)?;
    println!(
        "Blender {} (Python {}) at {}",
        info.version,
        info.python_version(),
        info.executable.display()
    );
    let chosen = match &opts.wheel {
        Some(path) => {
            let w = wheel::Wheel::from_path(path).map_err(|reason| InstallError::BadWheel {
                wheel: path.clone(),
                reason,
            })?;
            w.fits(info.python)
                .map_err(|reason| InstallError::AbiMismatch {
                    wheel: path.clone(),
                    blender: info.version.clone(),
                    reason,
                })?;
            w
        }
        None => {
            let dirs = if opts.wheels.is_empty() {
                default_wheel_dirs()
            } else {
                opts.wheels.clone()
            };
            wheel::choose(&dirs, info.python, &info.version)?
        }
    };
    let (modules, addon) = (info.modules(), info.addon());
    if opts.dry_run {
        wheel::open_checked(&chosen.path)?;
        println!(
            "would install {} into {}",
            chosen.path.display(),
            modules.display()
        );
        println!("would install the add-on as {}", addon.display());
        if opts.enable {
            println!("would enable the add-on and save Blender's preferences");
        }
        return Ok(());
    }
    let unpacked = wheel::unpack(&chosen.path, &modules)?;
    println!(
        "installed {} ({} files: {}) into {}",
        chosen.file_name(),
        unpacked.files,
        unpacked.top_level.join(", "),
        modules.display()
    );
    let shim = modules.join("nngbridge").join("blender").join("addon");
    wheel::copy_addon(&shim, &addon)?;
    println!("installed the add-on as {}", addon.display());
    if opts.enable {
        let run = probe::run_blender(
            &info.executable,
            &[
                "-b",
                "--python-exit-code",
                "1",
                "--python-expr",
                ENABLE_EXPR,
            ],
        )?;
        if !run.status.success() || !run.stdout.lines().any(|l| l == "NNGBRIDGE ENABLED") {
            return Err(InstallError::EnableFailed {
                blender: info.executable.clone(),
                output: run.tail(),
            });
        }
        println!("enabled the add-on {ADDON_NAME} and saved Blender's preferences");
    }
    Ok(())
}
