//! Finding `python3` and putting the embedded runtime package where it can import it.
//!
//! The package is written once per content hash to the user's cache directory
//! (`$XDG_CACHE_HOME/mcpscript/runtime-<hash>`, else `~/.cache/…`, else the temp dir), atomically,
//! so concurrent runs never see a half-written tree and later runs pay nothing.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::RunError;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Environment variable naming the Python interpreter to use.
pub const PYTHON_ENV: &str = "MCPSCRIPT_PYTHON";

/// The interpreter: `MCPSCRIPT_PYTHON`, else `python3` on `PATH`.
pub fn interpreter() -> Result<PathBuf, RunError> {
    if let Some(p) = std::env::var_os(PYTHON_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(RunError::PythonNotFound {
                tried: format!("{PYTHON_ENV}={}", p.display()),
            })
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join("python3"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| RunError::PythonNotFound {
            tried: "python3 on PATH".into(),
        })?;
    if is_script_shim(&found) {
        tracing::info!(
            "python3 on PATH ({}) is a shell-script shim (pyenv, asdf…) that adds its own start-up \
             time to every run; set {PYTHON_ENV} to the real interpreter for faster runs",
            found.display()
        );
    }
    Ok(found)
}

/// Whether `path` is a `#!` script rather than a binary (version-manager shims are).
fn is_script_shim(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == b"#!")
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn cache_root() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("mcpscript");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(home).join(".cache").join("mcpscript");
    }
    // No home: a per-user directory in the shared temp dir, so another user cannot plant a
    // runtime there first.
    std::env::temp_dir().join(format!("mcpscript-{}", nix::unistd::getuid()))
}

/// Compiles the runtime's bytecode once per interpreter, so runs never pay for compiling it
/// (many environments set `PYTHONDONTWRITEBYTECODE`, and a sandbox may be read-only). Failure
/// only costs speed, so it is logged, not returned. An interpreter is known by its path and by
/// the size and mtime of the file it resolves to, so one upgraded in place compiles again.
pub fn precompile(dir: &Path, python: &Path) {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    python.hash(&mut hasher);
    if let Ok(meta) = std::fs::metadata(python) {
        meta.len().hash(&mut hasher);
        meta.modified().ok().hash(&mut hasher);
    }
    let marker = dir.join(format!(".compiled-{:016x}", hasher.finish()));
    if marker.is_file() {
        return;
    }
    let status = std::process::Command::new(python)
        .args([
            "-m",
            "compileall",
            "-q",
            "--invalidation-mode",
            "checked-hash",
            "-d",
        ])
        .arg(dir)
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {
            let _ = std::fs::write(&marker, b"");
        }
        other => tracing::debug!("could not precompile the runtime package: {other:?}"),
    }
}

/// The directory holding `bootstrap.py` and `runtime/`, written on first use.
pub fn runtime_dir() -> Result<PathBuf, RunError> {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    embedded::FILES.hash(&mut hasher);
    let dir = cache_root().join(format!("runtime-{:016x}", hasher.finish()));
    if dir.join(COMPLETE).is_file() {
        return Ok(dir);
    }
    write_tree(&dir).map_err(|source| RunError::Runtime {
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

/// Written last into a staged tree: a directory without it is incomplete and is replaced.
const COMPLETE: &str = ".complete";

fn write_tree(dir: &Path) -> std::io::Result<()> {
    let parent = dir.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent)?;
    let staging = parent.join(format!(
        ".staging-{}-{}",
        std::process::id(),
        dir.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("runtime")
    ));
    let _ = std::fs::remove_dir_all(&staging);
    for (rel, text) in embedded::FILES {
        let path = staging.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p)?;
        }
        std::fs::write(&path, text)?;
    }
    std::fs::write(staging.join(COMPLETE), b"")?;
    if dir.exists() && !dir.join(COMPLETE).is_file() {
        // Left by a run that was killed mid-write. Moved aside, not deleted in place: another
        // run may be renaming its complete tree there at this very moment.
        let aside = parent.join(format!(".stale-{}-{}", std::process::id(), now_nanos()));
        if std::fs::rename(dir, &aside).is_ok() {
            let _ = std::fs::remove_dir_all(&aside);
        }
    }
    match std::fs::rename(&staging, dir) {
        Ok(()) => Ok(()),
        // Another run won the race; its tree is identical.
        Err(_) if dir.join(COMPLETE).is_file() => {
            let _ = std::fs::remove_dir_all(&staging);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

/// Names of the embedded files (for tests).
pub fn embedded_files() -> impl Iterator<Item = &'static str> {
    embedded::FILES.iter().map(|(p, _)| *p)
}
