//! The Python runtime package's own unit tests (a fake host on real pipes), run with the
//! interpreter `mcpscript run` would use, so `scripts/test` covers them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn python_runtime_unit_tests_pass() {
    let python = mcpscript_runner::interpreter().expect("python3 is needed for mcpscript run");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
    let out = std::process::Command::new(&python)
        .args(["-m", "unittest", "discover", "-s", "tests"])
        .current_dir(&dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python unit tests failed:\n{stderr}");
    assert!(stderr.contains("OK"), "{stderr}");
}

#[test]
fn every_runtime_module_is_embedded() {
    let files: Vec<&str> = mcpscript_runner::embedded_files().collect();
    for needed in [
        "bootstrap.py",
        "runtime/__init__.py",
        "runtime/mcp_client.py",
        "runtime/_bridge.py",
    ] {
        assert!(files.contains(&needed), "{needed} not embedded: {files:?}");
    }
    assert!(!files.iter().any(|f| f.starts_with("tests/")), "{files:?}");
}
