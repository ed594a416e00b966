//! nngbridge wheels: which one fits a Blender's Python, and unpacking one into
//! `scripts/addons/modules` without pip.

use std::fs::{self, File};
use std::io;
use std::path::{Component, Path, PathBuf};

use zip::ZipArchive;

use crate::{InstallError, Package};

/// The distribution name; wheels are `nngbridge-<version>-<py>-<abi>-<platform>.whl`.
pub const DIST_NAME: &str = "nngbridge";

/// A wheel file and the tags in its name (PEP 427).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wheel {
    /// The file.
    pub path: PathBuf,
    /// The version, e.g. `0.1.0`.
    pub version: String,
    /// Python tags, e.g. `cp311`.
    pub python: Vec<String>,
    /// ABI tags, e.g. `abi3`.
    pub abi: Vec<String>,
    /// Platform tags, e.g. `manylinux_2_17_x86_64`.
    pub platform: Vec<String>,
}

impl Wheel {
    /// Reads the tags from the file name; refuses names that are not nngbridge wheels.
    pub fn from_path(path: &Path) -> Result<Wheel, String> {
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .ok_or("it has no file name")?;
        let stem = file
            .strip_suffix(".whl")
            .ok_or("its name does not end in .whl")?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, tags) = match parts.as_slice() {
            [name, version, tags @ ..] if tags.len() == 3 || tags.len() == 4 => {
                (*name, *version, &tags[tags.len() - 3..])
            }
            _ => return Err("its name is not name-version-python-abi-platform.whl".into()),
        };
        if !name.eq_ignore_ascii_case(DIST_NAME) {
            return Err(format!("it is a wheel of {name}, not of {DIST_NAME}"));
        }
        let split = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
        Ok(Wheel {
            path: path.to_path_buf(),
            version: version.to_string(),
            python: split(tags[0]),
            abi: split(tags[1]),
            platform: split(tags[2]),
        })
    }

    /// The file name, for messages.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// `cp311-abi3`
    pub fn abi_tag(&self) -> String {
        format!("{}-{}", self.python.join("."), self.abi.join("."))
    }

    /// The newest Python minor version (3.x) this wheel's tags accept from `python`, or why
    /// none does. A `cp3X-abi3` wheel loads in CPython 3.X and later.
    pub fn fits(&self, python: (u32, u32)) -> Result<u32, String> {
        if !self.platform.iter().any(|p| platform_fits(p)) {
            return Err(format!(
                "it is built for {} but this machine is {}-{}",
                self.platform.join(" / "),
                std::env::consts::OS,
                std::env::consts::ARCH
            ));
        }
        let mut best = None;
        for py in &self.python {
            let Some(minor) = cpython3_minor(py) else {
                continue;
            };
            for abi in &self.abi {
                let ok = if abi == "abi3" {
                    python.0 == 3 && minor <= python.1
                } else {
                    abi.strip_prefix("cp3").and_then(|m| m.parse::<u32>().ok()) == Some(minor)
                        && python == (3, minor)
                };
                if ok && best.is_none_or(|b| b < minor) {
                    best = Some(minor);
                }
            }
        }
        best.ok_or_else(|| {
            format!(
                "it is tagged {} but Blender runs Python {}.{} (cp39-abi3 serves Python 3.9+, \
                 i.e. Blender 2.93-4.0; cp311-abi3 serves 3.11+, i.e. Blender 4.1+ and Debian's 3.4)",
                self.abi_tag(),
                python.0,
                python.1
            )
        })
    }
}

/// `cp311` -> 11 (only CPython 3 tags: the wheel carries a native module).
fn cpython3_minor(tag: &str) -> Option<u32> {
    tag.strip_prefix("cp3")?.parse().ok()
}

/// Whether a platform tag names this machine's OS and architecture.
fn platform_fits(tag: &str) -> bool {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "linux" => {
            (tag.starts_with("manylinux") || tag.starts_with("linux_"))
                && tag.ends_with(&format!("_{arch}"))
        }
        "macos" => {
            let arch = if arch == "aarch64" { "arm64" } else { arch };
            tag.starts_with("macosx_")
                && (tag.ends_with(&format!("_{arch}")) || tag.ends_with("_universal2"))
        }
        "windows" => match arch {
            "x86_64" => tag == "win_amd64",
            "aarch64" => tag == "win_arm64",
            "x86" => tag == "win32",
            _ => false,
        },
        _ => false,
    }
}

/// Picks the wheel for `python` from `dirs` (the first directory holding nngbridge wheels
/// wins): the highest Python tag that fits, then the highest version.
pub fn choose(dirs: &[PathBuf], python: (u32, u32), blender: &str) -> Result<Wheel, InstallError> {
    for dir in dirs {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        let mut wheels: Vec<Wheel> = entries
            .filter_map(Result::ok)
            .filter_map(|e| Wheel::from_path(&e.path()).ok())
            .collect();
        if wheels.is_empty() {
            continue;
        }
        wheels.sort_by_key(Wheel::file_name);
        let mut fitting: Vec<(u32, Vec<u64>, Wheel)> = Vec::new();
        let mut reasons = Vec::new();
        for w in wheels {
            match w.fits(python) {
                Ok(minor) => fitting.push((minor, version_key(&w.version), w)),
                Err(why) => reasons.push(format!("  {}: {why}", w.file_name())),
            }
        }
        fitting.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        return match fitting.pop() {
            Some((_, _, w)) => Ok(w),
            None => Err(InstallError::NoFittingWheel {
                dir: dir.clone(),
                blender: blender.to_string(),
                python: format!("{}.{}", python.0, python.1),
                reasons: reasons.join("\n"),
            }),
        };
    }
    Err(InstallError::NoWheel {
        searched: dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// `0.10.2` sorts after `0.9.0`; non-numeric parts count as 0.
fn version_key(version: &str) -> Vec<u64> {
    version
        .split(['.', '+'])
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

/// A wheel entry's path, or `None` if it could leave the target directory (absolute,
/// `..`, `.`, a drive, a backslash) or is empty.
fn safe_entry_path(name: &str) -> Option<PathBuf> {
    if name.is_empty() || name.contains(['\\', '\0', ':']) {
        return None;
    }
    let path = Path::new(name.trim_end_matches('/'));
    let mut clean = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(p) => clean.push(p),
            _ => return None,
        }
    }
    (!clean.as_os_str().is_empty()).then_some(clean)
}

/// What unpacking put where.
#[derive(Debug)]
pub struct Unpacked {
    /// The top-level names now in the modules directory (`nngbridge`, the dist-info).
    pub top_level: Vec<String>,
    /// Files written.
    pub files: usize,
}

/// Checks every entry of the wheel: names stay inside the target, no links, the
/// `nngbridge` package with its add-on and a `.dist-info` directory are there. Returns the
/// archive and the top-level names.
pub fn open_checked(wheel: &Path) -> Result<(ZipArchive<File>, Vec<String>), InstallError> {
    let bad = |reason: String| InstallError::BadWheel {
        wheel: wheel.to_path_buf(),
        reason,
    };
    let file = File::open(wheel).map_err(|e| bad(format!("cannot open it: {e}")))?;
    let mut archive = ZipArchive::new(file).map_err(|e| bad(format!("not a zip file: {e}")))?;
    let mut top: Vec<String> = Vec::new();
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| bad(format!("entry {i}: {e}")))?;
        let name = entry.name().to_string();
        let path = safe_entry_path(&name).ok_or_else(|| {
            bad(format!(
                "entry {name:?} would be written outside the target"
            ))
        })?;
        if entry.is_symlink() {
            return Err(bad(format!("entry {name:?} is a symbolic link")));
        }
        let first = path
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        if first.ends_with(".data") {
            return Err(bad(format!(
                "it has a {first} directory, which this installer does not handle"
            )));
        }
        if !top.contains(&first) {
            top.push(first);
        }
        names.push(name);
    }
    for needed in [
        "nngbridge/__init__.py",
        "nngbridge/blender/addon/__init__.py",
    ] {
        if !names.iter().any(|n| n == needed) {
            return Err(bad(format!("it has no {needed}")));
        }
    }
    if !top
        .iter()
        .any(|t| t.starts_with("nngbridge-") && t.ends_with(".dist-info"))
    {
        return Err(bad("it has no nngbridge-*.dist-info directory".into()));
    }
    Ok((archive, top))
}

/// Maps an I/O error of `action` on `path` to [`InstallError::Io`].
fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> InstallError {
    let path = path.to_path_buf();
    move |source| InstallError::Io {
        action,
        path,
        source,
    }
}

/// Unpacks a checked wheel into `modules`, replacing an earlier `nngbridge` package and
/// every `nngbridge-*.dist-info`. The files go to a staging directory first, so a failure
/// leaves the earlier install as it was.
pub fn unpack(wheel: &Path, modules: &Path) -> Result<Unpacked, InstallError> {
    let (mut archive, top_level) = open_checked(wheel)?;
    fs::create_dir_all(modules).map_err(io_err("creating", modules))?;
    let staging = modules.join(format!(".nngbridge-install-{}", std::process::id()));
    remove(&staging)?;
    let written = extract(&mut archive, wheel, &staging);
    let files = match written {
        Ok(n) => n,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    for old in stale_entries(modules, &top_level)? {
        remove(&old)?;
    }
    for name in &top_level {
        let to = modules.join(name);
        fs::rename(staging.join(name), &to).map_err(io_err("moving into place", &to))?;
    }
    remove(&staging)?;
    if let Some(info) = top_level.iter().find(|t| t.ends_with(".dist-info")) {
        let installer = modules.join(info).join("INSTALLER");
        fs::write(&installer, "nngbridge-install\n").map_err(io_err("writing", &installer))?;
    }
    Ok(Unpacked { top_level, files })
}

/// What an install replaces: the wheel's own top-level names and any `nngbridge` package
/// or `nngbridge-*.dist-info` (an older version's, or pip's).
fn stale_entries(modules: &Path, top_level: &[String]) -> Result<Vec<PathBuf>, InstallError> {
    let mut stale: Vec<PathBuf> = top_level.iter().map(|t| modules.join(t)).collect();
    let entries = fs::read_dir(modules).map_err(|source| InstallError::Io {
        action: "listing",
        path: modules.to_path_buf(),
        source,
    })?;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours =
            name == DIST_NAME || (name.starts_with("nngbridge-") && name.ends_with(".dist-info"));
        if ours && !stale.contains(&entry.path()) {
            stale.push(entry.path());
        }
    }
    Ok(stale)
}

fn extract(
    archive: &mut ZipArchive<File>,
    wheel: &Path,
    into: &Path,
) -> Result<usize, InstallError> {
    let mut files = 0;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| InstallError::BadWheel {
            wheel: wheel.to_path_buf(),
            reason: format!("entry {i}: {e}"),
        })?;
        let Some(rel) = safe_entry_path(entry.name()) else {
            return Err(InstallError::BadWheel {
                wheel: wheel.to_path_buf(),
                reason: format!(
                    "entry {:?} would be written outside the target",
                    entry.name()
                ),
            });
        };
        let path = into.join(rel);
        if entry.is_dir() {
            fs::create_dir_all(&path).map_err(io_err("creating", &path))?;
            continue;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io_err("creating the folder of", &path))?;
        }
        let mut out = File::create(&path).map_err(io_err("creating", &path))?;
        io::copy(&mut entry, &mut out).map_err(io_err("unpacking", &path))?;
        #[cfg(unix)]
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            let mode = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))
                .map_err(io_err("setting the mode of", &path))?;
        }
        files += 1;
    }
    Ok(files)
}

/// Removes a file or directory tree if it exists.
pub fn remove(path: &Path) -> Result<(), InstallError> {
    let result = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
    };
    result.map_err(|source| InstallError::Io {
        action: "removing",
        path: path.to_path_buf(),
        source,
    })
}

/// Copies the add-on shim `from` to `to` (replacing it) without `blender_manifest.toml`
/// (that makes it a 4.2+ extension, which `scripts/addons` does not take) or caches.
pub fn copy_addon(from: &Path, to: &Path) -> Result<usize, InstallError> {
    remove(to)?;
    copy_tree(from, to, &["__pycache__", "blender_manifest.toml"])
}

/// Checks that `package` is an nngbridge package with its add-on and that its native
/// module loads in Blender's `python`.
pub fn check_package(
    package: &Package,
    python: (u32, u32),
    blender: &str,
) -> Result<(), InstallError> {
    for needed in ["__init__.py", "blender/addon/__init__.py"] {
        if !package.dir.join(needed).is_file() {
            return Err(InstallError::BadPackage {
                dir: package.dir.clone(),
                reason: format!("it has no {needed}"),
            });
        }
    }
    if !package.native.is_file() {
        return Err(InstallError::BadPackage {
            dir: package.dir.clone(),
            reason: format!("its native module {:?} is not a file", package.native),
        });
    }
    let (major, minor) = package.min_python;
    if python.0 != major || python.1 < minor {
        return Err(InstallError::AbiMismatch {
            wheel: package.native.clone(),
            blender: blender.to_string(),
            reason: format!(
                "it is built as cp{major}{minor}-abi3 (Python {major}.{minor}+) but Blender \
                 runs Python {}.{}; pass --wheel or --wheels with a wheel that fits",
                python.0, python.1
            ),
        });
    }
    Ok(())
}

/// Copies a checked package into `modules` as `nngbridge`, with its native module, and
/// replaces an earlier `nngbridge` and every `nngbridge-*.dist-info` (they would describe
/// another install). Staged first like [`unpack`], so a failure keeps the earlier install.
pub fn copy_package(package: &Package, modules: &Path) -> Result<usize, InstallError> {
    fs::create_dir_all(modules).map_err(io_err("creating", modules))?;
    let staging = modules.join(format!(".nngbridge-install-{}", std::process::id()));
    remove(&staging)?;
    let staged = staging.join(DIST_NAME);
    let copied = copy_tree(&package.dir, &staged, &["__pycache__"]).and_then(|files| {
        if package.native.starts_with(&package.dir) {
            return Ok(files);
        }
        let name = package.native.file_name().unwrap_or_default();
        let to = staged.join(name);
        fs::copy(&package.native, &to).map_err(io_err("copying", &package.native))?;
        Ok(files + 1)
    });
    let files = match copied {
        Ok(n) => n,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    for old in stale_entries(modules, &[DIST_NAME.to_string()])? {
        remove(&old)?;
    }
    let to = modules.join(DIST_NAME);
    fs::rename(&staged, &to).map_err(io_err("moving into place", &to))?;
    remove(&staging)?;
    Ok(files)
}

/// Copies the tree `from` to `to`, leaving out entries named in `skip`.
fn copy_tree(from: &Path, to: &Path, skip: &[&str]) -> Result<usize, InstallError> {
    fs::create_dir_all(to).map_err(io_err("creating", to))?;
    let mut files = 0;
    for entry in fs::read_dir(from).map_err(io_err("listing", from))? {
        let entry = entry.map_err(io_err("listing", from))?;
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type().map_err(io_err("reading", &src))?.is_dir() {
            files += copy_tree(&src, &dst, skip)?;
        } else {
            fs::copy(&src, &dst).map_err(io_err("copying", &src))?;
            files += 1;
        }
    }
    Ok(files)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn wheel(name: &str) -> Wheel {
        Wheel::from_path(Path::new(name)).unwrap()
    }

    const LINUX: &str = "manylinux2014_x86_64.manylinux_2_17_x86_64";

    #[test]
    fn reads_tags_from_the_file_name() {
        let w = wheel(&format!("dist/nngbridge-0.1.0-cp311-abi3-{LINUX}.whl"));
        assert_eq!(w.version, "0.1.0");
        assert_eq!(w.python, ["cp311"]);
        assert_eq!(w.abi, ["abi3"]);
        assert_eq!(w.platform.len(), 2);
        assert_eq!(w.abi_tag(), "cp311-abi3");
        let built = wheel("nngbridge-0.2.0-1-cp39-abi3-win_amd64.whl");
        assert_eq!(built.python, ["cp39"]);
        for bad in [
            "nngbridge-0.1.0.tar.gz",
            "numpy-1.0-cp311-abi3-any.whl",
            "nngbridge-0.1.0-cp311.whl",
        ] {
            assert!(Wheel::from_path(Path::new(bad)).is_err(), "{bad}");
        }
    }

    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    #[test]
    fn abi3_wheels_fit_their_python_and_later() {
        let cp39 = wheel(&format!("nngbridge-0.1.0-cp39-abi3-{LINUX}.whl"));
        let cp311 = wheel(&format!("nngbridge-0.1.0-cp311-abi3-{LINUX}.whl"));
        let cp313 = wheel(&format!("nngbridge-0.1.0-cp313-abi3-{LINUX}.whl"));
        assert_eq!(cp39.fits((3, 9)), Ok(9));
        assert_eq!(cp39.fits((3, 11)), Ok(9));
        assert_eq!(cp311.fits((3, 11)), Ok(11));
        assert_eq!(cp311.fits((3, 13)), Ok(11));
        let why = cp311.fits((3, 10)).unwrap_err();
        assert!(why.contains("cp311-abi3") && why.contains("3.10"), "{why}");
        assert!(cp313.fits((3, 11)).is_err());
        assert!(cp39.fits((4, 0)).is_err());
        let exact = wheel(&format!("nngbridge-0.1.0-cp311-cp311-{LINUX}.whl"));
        assert_eq!(exact.fits((3, 11)), Ok(11));
        assert!(exact.fits((3, 12)).is_err());
        let mac = wheel("nngbridge-0.1.0-cp311-abi3-macosx_11_0_arm64.whl");
        assert!(mac.fits((3, 11)).unwrap_err().contains("macosx_11_0_arm64"));
    }

    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    #[test]
    fn chooses_the_highest_fitting_python_tag() {
        let dir = tempfile::tempdir().unwrap();
        for tag in ["cp39", "cp311", "cp313"] {
            let name = format!("nngbridge-0.1.0-{tag}-abi3-{LINUX}.whl");
            fs::write(dir.path().join(name), b"").unwrap();
        }
        fs::write(dir.path().join("other-1.0-py3-none-any.whl"), b"").unwrap();
        let dirs = [dir.path().join("missing"), dir.path().to_path_buf()];
        let pick = |py| choose(&dirs, py, "x").map(|w| w.abi_tag());
        assert_eq!(pick((3, 10)).unwrap(), "cp39-abi3");
        assert_eq!(pick((3, 11)).unwrap(), "cp311-abi3");
        assert_eq!(pick((3, 13)).unwrap(), "cp313-abi3");
        let err = pick((3, 7)).unwrap_err().to_string();
        assert!(
            err.contains("Python 3.7") && err.contains("cp313-abi3"),
            "{err}"
        );
        let none = choose(&[dir.path().join("missing")], (3, 11), "x").unwrap_err();
        assert!(matches!(none, InstallError::NoWheel { .. }), "{none}");
    }

    #[test]
    fn entry_paths_stay_inside() {
        assert_eq!(
            safe_entry_path("nngbridge/blender/addon/"),
            Some(PathBuf::from("nngbridge/blender/addon"))
        );
        for bad in [
            "",
            "/",
            "../evil.py",
            "nngbridge/../../evil.py",
            "/etc/passwd",
            "./nngbridge/x.py",
            "nngbridge\\..\\..\\evil.py",
            "C:/evil.py",
        ] {
            assert_eq!(safe_entry_path(bad), None, "{bad:?}");
        }
    }

    fn write_wheel(path: &Path, entries: &[(&str, &str)]) {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(File::create(path).unwrap());
        let opts = zip::write::SimpleFileOptions::default().unix_permissions(0o644);
        for (name, text) in entries {
            z.start_file(*name, opts).unwrap();
            z.write_all(text.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }

    const MINIMAL: [(&str, &str); 3] = [
        ("nngbridge/__init__.py", "NEW = 1\n"),
        ("nngbridge/blender/addon/__init__.py", ""),
        ("nngbridge-0.2.0.dist-info/WHEEL", "Wheel-Version: 1.0\n"),
    ];

    #[test]
    fn unpacking_replaces_the_earlier_install() {
        let dir = tempfile::tempdir().unwrap();
        let (whl, modules) = (dir.path().join("n.whl"), dir.path().join("modules"));
        write_wheel(&whl, &MINIMAL);
        fs::create_dir_all(modules.join("nngbridge")).unwrap();
        fs::write(modules.join("nngbridge/stale.py"), "").unwrap();
        fs::create_dir_all(modules.join("nngbridge-0.1.0.dist-info")).unwrap();
        fs::create_dir_all(modules.join("numpy")).unwrap();
        let done = unpack(&whl, &modules).unwrap();
        assert_eq!(done.files, 3);
        assert_eq!(done.top_level, ["nngbridge", "nngbridge-0.2.0.dist-info"]);
        let mut left: Vec<String> = fs::read_dir(&modules)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["nngbridge", "nngbridge-0.2.0.dist-info", "numpy"]);
        assert!(!modules.join("nngbridge/stale.py").exists());
        let init = fs::read_to_string(modules.join("nngbridge/__init__.py")).unwrap();
        assert_eq!(init, "NEW = 1\n");
        assert!(modules.join("nngbridge-0.2.0.dist-info/INSTALLER").exists());
    }

    #[test]
    fn unsafe_or_incomplete_wheels_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (whl, modules) = (dir.path().join("n.whl"), dir.path().join("modules"));
        fs::create_dir_all(modules.join("nngbridge")).unwrap();
        fs::write(modules.join("nngbridge/earlier.py"), "").unwrap();
        let escape = [MINIMAL.as_slice(), &[("nngbridge/../../evil.py", "")]].concat();
        let no_addon = [MINIMAL[0], MINIMAL[2]];
        let no_info = [MINIMAL[0], MINIMAL[1]];
        let data = [
            MINIMAL.as_slice(),
            &[("nngbridge-0.2.0.data/scripts/x", "")],
        ]
        .concat();
        for (entries, why) in [
            (escape.as_slice(), "outside the target"),
            (&no_addon, "no nngbridge/blender/addon/__init__.py"),
            (&no_info, "no nngbridge-*.dist-info"),
            (&data, ".data directory"),
        ] {
            write_wheel(&whl, entries);
            let err = unpack(&whl, &modules).unwrap_err().to_string();
            assert!(err.contains(why), "{err}");
            assert!(modules.join("nngbridge/earlier.py").exists());
            assert!(!dir.path().join("evil.py").exists());
        }
        fs::write(&whl, "not a zip").unwrap();
        let err = unpack(&whl, &modules).unwrap_err().to_string();
        assert!(err.contains("not a zip file"), "{err}");
    }

    fn package(root: &Path) -> Package {
        let dir = root.join("src").join("nngbridge");
        fs::create_dir_all(dir.join("blender/addon/__pycache__")).unwrap();
        fs::write(dir.join("__init__.py"), "SOURCE = 1\n").unwrap();
        fs::write(dir.join("blender/addon/__init__.py"), "").unwrap();
        fs::write(dir.join("blender/addon/blender_manifest.toml"), "").unwrap();
        fs::write(dir.join("blender/addon/__pycache__/x.pyc"), "").unwrap();
        let native = root.join("build").join("_nng.abi3.so");
        fs::create_dir_all(native.parent().unwrap()).unwrap();
        fs::write(&native, "ELF").unwrap();
        Package {
            dir,
            native,
            min_python: (3, 11),
        }
    }

    #[test]
    fn a_package_is_copied_with_its_native_module() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = package(dir.path());
        let modules = dir.path().join("modules");
        fs::create_dir_all(modules.join("nngbridge-0.1.0.dist-info")).unwrap();
        fs::create_dir_all(modules.join("nngbridge")).unwrap();
        fs::write(modules.join("nngbridge/stale.py"), "").unwrap();
        check_package(&pkg, (3, 11), "x").unwrap();
        assert_eq!(copy_package(&pkg, &modules).unwrap(), 4);
        let n = modules.join("nngbridge");
        assert_eq!(
            fs::read_to_string(n.join("__init__.py")).unwrap(),
            "SOURCE = 1\n"
        );
        assert!(n.join("_nng.abi3.so").exists());
        assert!(n.join("blender/addon/blender_manifest.toml").exists());
        assert!(!n.join("blender/addon/__pycache__").exists());
        assert!(!n.join("stale.py").exists());
        assert!(!modules.join("nngbridge-0.1.0.dist-info").exists());
        let addon = dir.path().join("nngbridge_addon");
        assert_eq!(copy_addon(&n.join("blender/addon"), &addon).unwrap(), 1);
        assert!(!addon.join("blender_manifest.toml").exists());
    }

    #[test]
    fn a_package_for_a_newer_python_or_incomplete_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = package(dir.path());
        let err = check_package(&pkg, (3, 10), "3.6.5")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cp311-abi3") && err.contains("Python 3.10"),
            "{err}"
        );
        let no_native = Package {
            native: dir.path().join("missing.so"),
            ..pkg.clone()
        };
        let err = check_package(&no_native, (3, 11), "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.so"), "{err}");
        fs::remove_file(pkg.dir.join("blender/addon/__init__.py")).unwrap();
        let err = check_package(&pkg, (3, 11), "x").unwrap_err().to_string();
        assert!(err.contains("no blender/addon/__init__.py"), "{err}");
    }
}
