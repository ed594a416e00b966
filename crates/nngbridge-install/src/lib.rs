//! Installs nngbridge into a Blender: the package into the user's
//! `scripts/addons/modules`, the add-on shim as `scripts/addons/nngbridge_addon`.
//!
//! The one implementation behind both faces: `nngbridge blender install` (the Rust CLI,
//! which needs no Python besides Blender's) and `python -m nngbridge.blender.install`
//! (through `nngbridge._nng.blender_install`). Both parse their flags with [`InstallArgs`]
//! and run [`install`]: probe Blender for its paths and Python ([`probe`]), pick the
//! wheel whose ABI tag fits that Python, check every zip entry (nothing may land outside
//! the target, no links), unpack through a staging directory so a failure keeps the
//! earlier install, copy the add-on shim and optionally enable it.
//!
//! It is not a general wheel installer: it takes only `nngbridge` wheels, handles no
//! `.data` directories, scripts or dependencies, and never runs pip.

mod probe;
mod wheel;

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory, FromArgMatches};

pub use probe::{probe, BlenderInfo, ADDON_NAME, BLENDER_TIMEOUT};
pub use wheel::{Unpacked, Wheel, DIST_NAME};

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
    /// The package to copy is not a complete nngbridge package.
    #[error("refusing the package {dir:?}: {reason}")]
    BadPackage {
        /// The package directory.
        dir: PathBuf,
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

/// Where the package comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// This wheel (refused if its tags do not fit Blender's Python).
    Wheel(PathBuf),
    /// The best-fitting wheel in the first of these directories holding nngbridge wheels.
    Wheels(Vec<PathBuf>),
    /// An unpacked `nngbridge` package, e.g. the one a Python runs.
    Package(Package),
}

/// An unpacked `nngbridge` package to copy as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The `nngbridge` directory (holding `__init__.py`).
    pub dir: PathBuf,
    /// The native module `_nng` loaded from it; copied into the package if it lives
    /// elsewhere.
    pub native: PathBuf,
    /// The oldest Python the native module loads in (its abi3 floor), e.g. `(3, 11)`.
    pub min_python: (u32, u32),
}

/// What an install was asked to do.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// The Blender executable (or a portable Blender's folder).
    pub blender: PathBuf,
    /// The package to install.
    pub source: Source,
    /// Enable the add-on and save Blender's preferences.
    pub enable: bool,
    /// Only report what would be installed.
    pub dry_run: bool,
}

/// One line on what `install` does, for both faces' `--help`.
pub const ABOUT: &str = "Install nngbridge into a Blender's scripts/addons/modules and the \
add-on as scripts/addons/nngbridge_addon.";

/// The rest of both faces' `--help`.
pub const LONG_ABOUT: &str = "Install nngbridge into a Blender's scripts/addons/modules and \
the add-on as scripts/addons/nngbridge_addon.

Asks Blender for its user scripts directory and Python version, picks the wheel for that \
Python (cp39-abi3: Python 3.9/3.10, Blender 2.93-4.0; cp311-abi3: 3.11+) and unpacks it; \
no pip needed. Exits 1 on any failure.";

/// The install flags, shared by `nngbridge blender install` and
/// `python -m nngbridge.blender.install`.
#[derive(Args, Debug, Clone)]
pub struct InstallArgs {
    /// The Blender executable or a portable Blender's folder.
    #[arg(long, env = "BLENDER", default_value = "blender")]
    pub blender: PathBuf,
    /// The wheel to install (refused if its tags do not fit Blender's Python).
    #[arg(long, conflicts_with = "wheels")]
    pub wheel: Option<PathBuf>,
    /// Where to look for wheels [default: `nngbridge blender install` looks in ./dist,
    /// then the dist/ of the checkout it was built in; `python -m
    /// nngbridge.blender.install` copies the running nngbridge package instead].
    #[arg(long)]
    pub wheels: Vec<PathBuf>,
    /// Enable the add-on and save Blender's preferences.
    #[arg(long)]
    pub enable: bool,
    /// Ask Blender and check the wheel, but install nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl InstallArgs {
    /// The options these flags ask for; `fallback` is the source when neither `--wheel`
    /// nor `--wheels` was given.
    pub fn into_options(self, fallback: Source) -> InstallOptions {
        let source = match (self.wheel, self.wheels) {
            (Some(wheel), _) => Source::Wheel(wheel),
            (None, dirs) if !dirs.is_empty() => Source::Wheels(dirs),
            _ => fallback,
        };
        InstallOptions {
            blender: self.blender,
            source,
            enable: self.enable,
            dry_run: self.dry_run,
        }
    }
}

/// A command line of its own for [`InstallArgs`] (the Python face).
#[derive(clap::Parser)]
#[command(about = ABOUT, long_about = LONG_ABOUT)]
struct Standalone {
    #[command(flatten)]
    args: InstallArgs,
}

/// Runs `prog argv...` as a command line: parses the flags (printing help or a usage
/// error), installs with `fallback` as the source when no wheel is named, and prints a
/// failure as one `nngbridge: ...` line. Returns the exit code: 0, 1 on a failed install,
/// 2 on a usage error.
pub fn main<I, T>(prog: &'static str, argv: I, fallback: Source) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let command = Standalone::command().name(prog).bin_name(prog);
    let args = std::iter::once(OsString::from(prog)).chain(argv.into_iter().map(Into::into));
    let parsed = command
        .try_get_matches_from(args)
        .and_then(|m| Standalone::from_arg_matches(&m));
    let args = match parsed {
        Ok(s) => s.args,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    match install(&args.into_options(fallback)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("nngbridge: {e}");
            1
        }
    }
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
    let (modules, addon) = (info.modules(), info.addon());
    let chosen = match &opts.source {
        Source::Wheel(path) => {
            let w = Wheel::from_path(path).map_err(|reason| InstallError::BadWheel {
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
        Source::Wheels(dirs) => wheel::choose(dirs, info.python, &info.version)?,
        Source::Package(package) => {
            return install_package(opts, &info, package);
        }
    };
    if opts.dry_run {
        wheel::open_checked(&chosen.path)?;
        println!(
            "would install {} into {}",
            chosen.path.display(),
            modules.display()
        );
        dry_run_rest(opts, &addon);
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
    finish(opts, &info)
}

/// The end of a dry run: what else would happen.
fn dry_run_rest(opts: &InstallOptions, addon: &Path) {
    println!("would install the add-on as {}", addon.display());
    if opts.enable {
        println!("would enable the add-on and save Blender's preferences");
    }
}

/// Installs an unpacked package: checked like a wheel's contents, then staged and moved
/// into place like a wheel.
fn install_package(
    opts: &InstallOptions,
    info: &BlenderInfo,
    package: &Package,
) -> Result<(), InstallError> {
    let (modules, addon) = (info.modules(), info.addon());
    wheel::check_package(package, info.python, &info.version)?;
    if opts.dry_run {
        println!(
            "would install {} into {}",
            package.dir.display(),
            modules.display()
        );
        dry_run_rest(opts, &addon);
        return Ok(());
    }
    let files = wheel::copy_package(package, &modules)?;
    println!(
        "installed {} ({files} files: {DIST_NAME}) into {}",
        package.dir.display(),
        modules.display()
    );
    finish(opts, info)
}

/// Copies the add-on shim from the installed package and optionally enables it.
fn finish(opts: &InstallOptions, info: &BlenderInfo) -> Result<(), InstallError> {
    let (modules, addon) = (info.modules(), info.addon());
    let shim = modules.join(DIST_NAME).join("blender").join("addon");
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
