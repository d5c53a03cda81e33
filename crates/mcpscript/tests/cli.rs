//! The binary as users see it: every `--help`, exit codes, and the main error messages, as
//! insta snapshots (paths filtered).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

fn snapshot(cwd: &Path, args: &[&str]) -> String {
    let out = common::run(cwd, args);
    let mut text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text = text.replace(&cwd.display().to_string(), "[DIR]");
    text = text.replace(common::bin(), "[BIN]");
    // Start-up times vary run to run.
    mask_times(&text)
}

/// Replaces `initialized in 12ms` style durations with a placeholder.
fn mask_times(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("initialized in ") {
            Some(i) => format!("{}initialized in [TIME]", &l[..i]),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

macro_rules! cli_snapshot {
    ($name:expr, $cwd:expr, $args:expr) => {
        insta::assert_snapshot!($name, snapshot($cwd, $args));
    };
}

#[test]
fn help_pages() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli_snapshot!("help", d, &["--help"]);
    cli_snapshot!("help_run", d, &["run", "--help"]);
    cli_snapshot!("help_servers", d, &["servers", "--help"]);
    cli_snapshot!("help_servers_check", d, &["servers", "check", "--help"]);
    cli_snapshot!("help_tools", d, &["tools", "--help"]);
    cli_snapshot!("help_call", d, &["call", "--help"]);
    cli_snapshot!("help_demo_server", d, &["demo-server", "--help"]);
    cli_snapshot!("help_search", d, &["search", "--help"]);
    cli_snapshot!("help_describe", d, &["describe", "--help"]);
    cli_snapshot!("help_generate", d, &["generate", "--help"]);
    cli_snapshot!("help_discover", d, &["discover", "--help"]);
    cli_snapshot!("help_bench_tokens", d, &["bench", "tokens", "--help"]);
}

#[test]
fn builtin_demo_config_works_without_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli_snapshot!("builtin_servers", d, &["servers"]);
    cli_snapshot!("builtin_check", d, &["servers", "check"]);
    cli_snapshot!(
        "builtin_call_echo",
        d,
        &["call", "demo.echo", r#"{"text": "hello"}"#]
    );
    cli_snapshot!(
        "builtin_call_json",
        d,
        &["call", "demo.add", r#"{"a": 2, "b": 3}"#, "--json"]
    );
}

#[test]
fn error_messages_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli_snapshot!(
        "err_tool_error",
        d,
        &["call", "demo.fail", r#"{"message": "no luck"}"#]
    );
    cli_snapshot!("err_unknown_tool", d, &["call", "demo.ech"]);
    cli_snapshot!("err_unknown_server", d, &["call", "nope.echo"]);
    cli_snapshot!("err_not_a_target", d, &["call", "echo"]);
    cli_snapshot!("err_bad_json", d, &["call", "demo.echo", r#"{"text": "#]);
    cli_snapshot!("err_json_not_object", d, &["call", "demo.echo", "[1]"]);
    cli_snapshot!(
        "err_missing_config",
        d,
        &["servers", "--config", "missing.json"]
    );
    cli_snapshot!("err_run_missing_script", d, &["run", "nope.py"]);
    std::fs::write(d.join("bad.py"), "print('unclosed'\n").unwrap();
    cli_snapshot!("err_run_syntax", d, &["run", "bad.py"]);
    cli_snapshot!(
        "err_run_args_without_dashes",
        d,
        &["run", "bad.py", "--flag"]
    );
    std::fs::write(
        d.join("broken.json"),
        "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\",}\n  }\n}\n",
    )
    .unwrap();
    cli_snapshot!(
        "err_config_syntax",
        d,
        &["servers", "--config", "broken.json"]
    );
    let cfg = common::config_file(
        d,
        r#"{"mcpServers": {
  "good": {"command": "$BIN", "args": ["demo-server"]},
  "needs-token": {"command": "$BIN", "args": ["demo-server"], "env": {"TOKEN": "${MCPSCRIPT_TEST_UNSET_TOKEN}"}},
  "crashes": {"command": "$BIN", "args": ["demo-server", "--mode", "exit-during-init"]},
  "off": {"command": "$BIN", "args": ["demo-server"], "disabled": true}
}}"#,
    );
    let cfg = cfg.to_str().unwrap();
    cli_snapshot!("bad_entry_listed", d, &["servers", "--config", cfg]);
    cli_snapshot!("bad_entry_check", d, &["servers", "check", "--config", cfg]);
    cli_snapshot!(
        "bad_entry_call",
        d,
        &["call", "needs-token.echo", "--config", cfg]
    );
    cli_snapshot!(
        "unreachable_call",
        d,
        &["call", "crashes.echo", "--config", cfg]
    );
    cli_snapshot!(
        "good_still_works",
        d,
        &["call", "good.echo", r#"{"text": "fine"}"#, "--config", cfg]
    );
}

#[test]
fn mcpscript_config_env_and_local_file_are_found() {
    let dir = tempfile::tempdir().unwrap();
    common::config_file(
        dir.path(),
        r#"{"mcpServers": {"local": {"command": "$BIN", "args": ["demo-server"]}}}"#,
    );
    let out = common::run(dir.path(), &["servers", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["name"], "local");
    let other = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(common::bin())
        .args(["servers", "--json"])
        .current_dir(other.path())
        .env("MCPSCRIPT_CONFIG", dir.path().join("mcp_config.json"))
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["name"], "local");
}

#[test]
fn stdout_closed_early_is_not_an_error() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(common::bin())
        .args(["call", "demo.echo", r#"{"text": "x"}"#])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{status:?} {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn search_limit_must_be_positive() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli_snapshot!(
        "err_search_limit_zero",
        d,
        &["search", "sum", "--limit", "0"]
    );
    let out = common::run(d, &["search", "add", "numbers", "--limit", "1"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn allow_and_deny_entries_that_match_nothing_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = common::config_file(
        d,
        r#"{"mcpServers": {"demo": {"command": "$BIN", "args": ["demo-server"],
            "allow": ["*", "echo"], "deny": ["nope"]}}}"#,
    );
    let out = common::run(d, &["--config", cfg.to_str().unwrap(), "tools", "demo"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1,
        "only echo is allowed"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            r#"server "demo": allow entry "*" matches no tool (entries are exact tool names)"#
        ) && err.contains(r#"deny entry "nope" matches no tool"#),
        "{err}"
    );
}

#[test]
fn call_takes_the_wrapper_function_name_of_a_tool() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = common::config_file(
        d,
        r#"{"mcpServers": {"demo": {"command": "$BIN", "args": ["demo-server", "--faults"]}}}"#,
    );
    let cfg = cfg.to_str().unwrap();
    // `größe` is `grosse` in servers/demo/, `echo-tool` is `echo_tool` (and `echo_tool_sync`).
    for (name, text) in [("grosse", "x"), ("echo_tool_sync", "y"), ("größe", "z")] {
        let args = format!(r#"{{"text": "{text}"}}"#);
        let target = format!("demo.{name}");
        let out = common::run(d, &["--config", cfg, "call", &target, &args]);
        assert_eq!(out.status.code(), Some(0), "{name}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{text}\n"));
    }
    let out = common::run(d, &["--config", cfg, "call", "demo.no_such", "{}"]);
    assert_eq!(out.status.code(), Some(2));
}
