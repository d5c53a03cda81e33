//! Helpers shared by the integration suites: the built binary, configs, the real servers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use mcpscript_config::Config;

/// The mcpscript binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mcpscript")
}

/// A config parsed from JSON text (with `$BIN` replaced by the binary's path).
pub fn config(json: &str) -> Config {
    let text = json.replace("$BIN", bin());
    Config::parse(&text, Path::new("/test/mcp_config.json"), &|k| {
        std::env::var(k).ok()
    })
    .expect("test config parses")
}

/// Writes a config file into `dir` and returns its path.
pub fn config_file(dir: &Path, json: &str) -> PathBuf {
    let path = dir.join("mcp_config.json");
    std::fs::write(&path, json.replace("$BIN", bin())).unwrap();
    path
}

/// Runs the binary with args in `cwd`, with a clean config environment.
pub fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("MCPSCRIPT_CONFIG")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .output()
        .expect("mcpscript runs")
}

/// The real servers installed by `scripts/install-test-servers`, read from the file named by
/// `MCPSCRIPT_TEST_SERVERS_ENV`. Panics with the fix when the suite was not started that way.
pub fn real_servers() -> &'static HashMap<String, String> {
    static ENV: OnceLock<HashMap<String, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let path = std::env::var("MCPSCRIPT_TEST_SERVERS_ENV").unwrap_or_else(|_| {
            let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.test-servers/env");
            default.display().to_string()
        });
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "the real MCP servers are not installed ({path}: {e}).\n\
                 Run the whole suite with `scripts/test`, or install them once with \
                 `scripts/install-test-servers`."
            )
        });
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect()
    })
}

/// One installed server path by key, e.g. `MCPSCRIPT_TEST_GIT`.
pub fn real(key: &str) -> String {
    real_servers()
        .get(key)
        .unwrap_or_else(|| panic!("{key} missing from the test servers env file"))
        .clone()
}

/// Whether a process is gone (or a zombie we cannot reap because it is not our child).
pub fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// A scratch git repository `dir/repo` on branch `main` with one (empty) commit `message`.
pub fn git_repo(dir: &Path, message: &str) -> PathBuf {
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    for args in [
        vec!["init", "-q", "-b", "main"],
        vec!["commit", "-q", "--allow-empty", "-m", message],
    ] {
        let ok = Command::new("git")
            .args(&args)
            .current_dir(&repo)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }
    repo
}

/// The `mcpServers` entries of the five real test servers, over stdio: filesystem rooted at
/// `dir`, memory storing in `dir`, git serving `repo`.
pub fn real_servers_config(dir: &Path, repo: &Path) -> serde_json::Map<String, serde_json::Value> {
    let node = real("MCPSCRIPT_TEST_NODE");
    serde_json::json!({
        "everything": {"command": node, "args": [real("MCPSCRIPT_TEST_EVERYTHING")]},
        "filesystem": {"command": node, "args": [real("MCPSCRIPT_TEST_FILESYSTEM"), dir]},
        "memory": {"command": node, "args": [real("MCPSCRIPT_TEST_MEMORY")],
                   "env": {"MEMORY_FILE_PATH": dir.join("memory.jsonl")}},
        "git": {"command": real("MCPSCRIPT_TEST_GIT"), "args": ["--repository", repo]},
        "time": {"command": real("MCPSCRIPT_TEST_TIME"), "args": ["--local-timezone", "UTC"]}
    })
    .as_object()
    .cloned()
    .unwrap()
}
