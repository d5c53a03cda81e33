//! An interpreter too old for the runtime gets a clear message, not a traceback from the
//! runtime's own source. Runs against each Python < 3.8 this machine has under pyenv.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn old_interpreters() -> Vec<PathBuf> {
    let Some(home) = std::env::var_os("HOME") else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(Path::new(&home).join(".pyenv/versions")) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            let v = e.file_name().to_string_lossy().into_owned();
            ["2.", "3.5.", "3.6.", "3.7."]
                .iter()
                .any(|p| v.starts_with(p))
        })
        .map(|e| e.path().join("bin/python"))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found
}

#[test]
fn python_older_than_3_8_is_refused_with_a_hint() {
    let bootstrap = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/bootstrap.py");
    for python in old_interpreters() {
        let out = Command::new(&python)
            .arg(&bootstrap)
            .arg("script.py")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", python.display());
        assert!(
            err.contains("scripts need Python 3.8 or newer") && err.contains("MCPSCRIPT_PYTHON"),
            "{}: {err}",
            python.display()
        );
        assert!(!err.contains("Traceback"), "{err}");
    }
}
