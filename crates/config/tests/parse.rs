//! Config parsing against realistic files: the seed's, Claude Code's, Claude Desktop's, and bad
//! ones.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use mcpscript_config::{Config, ConfigError, ServerErrorKind, Transport};

fn env(name: &str) -> Option<String> {
    match name {
        "TOKEN" => Some("s3cr3t-token".into()),
        "HOME" => Some("/home/u".into()),
        _ => None,
    }
}

fn parse(src: &str) -> Result<Config, ConfigError> {
    Config::parse(src, Path::new("/cfg/mcp_config.json"), &env)
}

#[test]
fn seed_config_with_comments_and_sandbox() {
    let src = r#"{
  "_comments": {"note": "the seed allowed this"},
  "mcpServers": {
    "git": {"type": "stdio", "command": "uvx", "args": ["mcp-server-git", "--repository", "."]},
    "jina": {"type": "sse", "url": "https://mcp.example.com/sse", "headers": {"Authorization": "Bearer ${TOKEN}"}},
    "exa": {"type": "http", "url": "https://mcp.example.com/mcp?key=abc"},
    "plain-url": {"url": "http://127.0.0.1:1/mcp"},
    "off": {"command": "x", "disabled": true}
  },
  "sandbox": {"enabled": true, "runtime": "auto", "image": "python:3.11-slim", "memory_limit": "512m",
              "cpu_limit": "1.0", "pids_limit": 128, "timeout": 30, "max_timeout": 120, "network_mode": "none",
              "future_key": 1}
}"#;
    let cfg = parse(src).unwrap();
    let names: Vec<_> = cfg.names().collect();
    assert_eq!(names, ["git", "jina", "exa", "plain-url", "off"]);
    let jina = cfg.server("jina").unwrap().spec.as_ref().unwrap();
    let Transport::Sse(http) = &jina.transport else {
        panic!("jina should be sse")
    };
    assert_eq!(http.headers[0].1.expose(), "Bearer s3cr3t-token");
    assert!(
        !format!("{jina:?}").contains("s3cr3t"),
        "secrets leak into Debug"
    );
    assert_eq!(jina.location.line, 5);
    let exa = cfg.server("exa").unwrap().spec.as_ref().unwrap();
    assert_eq!(exa.transport.kind(), "http");
    assert_eq!(exa.target, "https://mcp.example.com/mcp?…");
    assert_eq!(
        cfg.server("plain-url")
            .unwrap()
            .spec
            .as_ref()
            .unwrap()
            .transport
            .kind(),
        "http"
    );
    assert!(cfg.server("off").unwrap().spec.as_ref().unwrap().disabled);
    let sandbox = cfg.sandbox.as_ref().unwrap();
    assert!(sandbox.enabled);
    assert_eq!(sandbox.pids_limit, Some(128));
    assert_eq!(sandbox.network_mode.as_deref(), Some("none"));
    assert!(sandbox.other.contains_key("future_key"));
}

#[test]
fn claude_desktop_file_with_other_top_level_keys() {
    let src = r#"{"globalShortcut": "Ctrl+Space", "mcpServers": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "${HOME}/Desktop"], "env": {"DEBUG": "${DEBUG:-0}"}}}}"#;
    let cfg = parse(src).unwrap();
    let spec = cfg.server("fs").unwrap().spec.as_ref().unwrap();
    let Transport::Stdio(stdio) = &spec.transport else {
        panic!()
    };
    assert_eq!(stdio.args[2], "/home/u/Desktop");
    assert_eq!(stdio.env[0].1.expose(), "0");
    assert_eq!(spec.timeout, Duration::from_secs(60));
}

#[test]
fn one_bad_entry_does_not_hide_the_others() {
    let src = r#"{
  "mcpServers": {
    "good": {"command": "echo"},
    "unset": {"command": "x", "args": ["--token", "${MISSING_TOKEN}"]},
    "wrong-type": {"command": 42},
    "nothing": {},
    "weird": {"type": "websocket", "url": "ws://x"},
    "bad-timeout": {"command": "x", "timeout": "soon"},
    "not-object": 7,
    "cwd": {"command": "x", "cwd": "sub", "timeout": "500ms", "startup_timeout": 5, "max_concurrency": 2}
  }
}"#;
    let cfg = parse(src).unwrap();
    assert!(cfg.server("good").unwrap().spec.is_ok());
    let unset = cfg.server("unset").unwrap().spec.as_ref().unwrap_err();
    assert!(unset.to_string().contains("MISSING_TOKEN"));
    assert!(unset.to_string().contains("\"unset\""));
    assert!(unset.to_string().contains("args[1]"));
    assert!(unset.hint().unwrap().contains("export MISSING_TOKEN"));
    assert_eq!((unset.location.line, unset.location.column), (4, 14));
    let wrong = cfg.server("wrong-type").unwrap().spec.as_ref().unwrap_err();
    assert!(matches!(wrong.kind, ServerErrorKind::Invalid(_)), "{wrong}");
    assert_eq!(wrong.location.line, 5);
    assert!(wrong.location.column > 19, "{wrong}");
    assert!(matches!(
        cfg.server("nothing")
            .unwrap()
            .spec
            .as_ref()
            .unwrap_err()
            .kind,
        ServerErrorKind::NoCommandOrUrl
    ));
    assert!(matches!(
        cfg.server("weird").unwrap().spec.as_ref().unwrap_err().kind,
        ServerErrorKind::UnknownType(_)
    ));
    let bad_timeout = cfg
        .server("bad-timeout")
        .unwrap()
        .spec
        .as_ref()
        .unwrap_err();
    assert!(bad_timeout.to_string().contains("timeout"), "{bad_timeout}");
    let not_object = cfg.server("not-object").unwrap().spec.as_ref().unwrap_err();
    assert!(
        not_object.to_string().contains("JSON object"),
        "{not_object}"
    );
    let cwd = cfg.server("cwd").unwrap().spec.as_ref().unwrap();
    let Transport::Stdio(stdio) = &cwd.transport else {
        panic!()
    };
    assert_eq!(stdio.cwd.as_deref(), Some(Path::new("/cfg/sub")));
    assert_eq!(cwd.timeout, Duration::from_millis(500));
    assert_eq!(cwd.startup_timeout, Duration::from_secs(5));
    assert_eq!(cwd.max_concurrency, 2);
}

#[test]
fn secrets_never_appear_in_errors() {
    let src =
        r#"{"mcpServers": {"s": {"type": "sse", "url": "ftp://user:hunter2@host/x?key=hunter2"}}}"#;
    let err = parse(src).unwrap().servers[0].spec.clone().unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn whole_file_errors_have_positions_and_hints() {
    let err =
        parse("{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\",}\n  }\n}").unwrap_err();
    let ConfigError::Syntax { location, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(location.line, 3);
    assert!(
        err.to_string().starts_with("/cfg/mcp_config.json:3:"),
        "{err}"
    );

    let err = parse(r#"{"servers": {}}"#).unwrap_err();
    assert!(err.to_string().contains("mcpServers"), "{err}");
    assert!(err.hint().is_some());

    let err = parse(r#"{"mcpServers": []}"#).unwrap_err();
    assert!(err.to_string().contains("must be an object"), "{err}");

    let err = parse("[1]").unwrap_err();
    assert!(matches!(err, ConfigError::Shape { .. }), "{err}");

    let err = Config::load(Path::new("/definitely/not/here.json")).unwrap_err();
    assert!(err.hint().unwrap().contains("mcp_config.json"));
}

#[test]
fn bad_sandbox_block_is_kept_as_an_error_without_failing_the_file() {
    let cfg = parse(r#"{"mcpServers": {}, "sandbox": {"enabled": "yes"}}"#).unwrap();
    let err = cfg.sandbox.unwrap_err();
    assert!(err.to_string().contains("sandbox"), "{err}");
}

#[test]
fn builtin_config_runs_the_demo_server() {
    let cfg = Config::builtin(Path::new("/usr/bin/mcpscript"));
    let spec = cfg.server("demo").unwrap().spec.as_ref().unwrap();
    assert_eq!(spec.target, "/usr/bin/mcpscript demo-server");
}

#[test]
fn discover_section_is_typed_and_checked() {
    let cfg = parse(r#"{"mcpServers": {}, "discover": {"tools": ["git.git_log"], "samples": {"git.git_log": [{"repo_path": "."}]}}}"#).unwrap();
    let d = cfg.discover.unwrap();
    assert_eq!(d.tools, ["git.git_log"]);
    assert_eq!(d.samples["git.git_log"][0]["repo_path"], ".");
    let cfg = parse(r#"{"mcpServers": {}, "discover": {"tool": []}}"#).unwrap();
    assert!(cfg.discover.unwrap_err().to_string().contains("discover"));
}

#[test]
fn values_stay_out_of_listings_and_messages() {
    let src = r#"{"mcpServers": {
  "k": {"command": "srv", "args": ["--api-key", "${TOKEN}"]},
  "bad": {"command": "srv", "env": {"TOKEN": 12345678}},
  "hdr": {"type": "http", "url": "https://h.example/mcp", "headers": "Bearer sk-live-abc"}
}}"#;
    let cfg = parse(src).unwrap();
    let k = cfg.server("k").unwrap().spec.as_ref().unwrap();
    assert_eq!(k.target, "srv --api-key ${TOKEN}");
    let bad = cfg
        .server("bad")
        .unwrap()
        .spec
        .as_ref()
        .unwrap_err()
        .to_string();
    assert!(
        !bad.contains("12345678") && bad.contains("invalid type"),
        "{bad}"
    );
    let hdr = cfg
        .server("hdr")
        .unwrap()
        .spec
        .as_ref()
        .unwrap_err()
        .to_string();
    assert!(!hdr.contains("sk-live"), "{hdr}");
}
