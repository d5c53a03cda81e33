//! The catalog cache follows what the servers offer now: live listings (`tools`, a `run`'s
//! calls) refresh it, so `search` and `describe` see a tool a server gained without `--refresh`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_run_that_sees_a_new_tool_updates_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = common::config_file(
        d,
        r#"{"mcpServers": {"demo": {"command": "$BIN", "args": ["demo-server", "--faults"]}}}"#,
    );
    let cfg = cfg.to_str().unwrap();
    // Cache the list as the server starts with it.
    let out = common::run(d, &["--config", cfg, "search", "zebra", "--detail", "name"]);
    assert!(!text(&out.stdout).contains("zebra_tool"));
    assert!(d.join(".mcpscript/catalog.json").is_file());

    // A run during which the server gains a tool (and says so with list_changed).
    let script = "from runtime import call_tool_sync\n\
                  call_tool_sync('demo', 'change_tools', {'name': 'zebra_tool'})\n\
                  print(call_tool_sync('demo', 'zebra_tool', {'text': 'hi'}))\n";
    std::fs::write(d.join("s.py"), script).unwrap();
    let out = common::run(d, &["--config", cfg, "run", "s.py"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // The next search reads the cache (a fresh server would not have the tool) and finds it.
    let out = common::run(d, &["--config", cfg, "search", "zebra", "--detail", "name"]);
    assert!(
        text(&out.stdout).contains("demo.zebra_tool"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = common::run(d, &["--config", cfg, "describe", "demo.zebra_tool"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
