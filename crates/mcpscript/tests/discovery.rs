//! Progressive discovery end to end: `generate`, `search`, `describe`, `discover` and
//! `bench tokens` through the real binary, against the demo server and the real servers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn generated_wrappers_compile_and_call_the_real_servers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let repo = common::git_repo(d, "generated wrappers work");
    let mut servers = common::real_servers_config(d, &repo);
    servers.insert(
        "odd".into(),
        json!({"command": common::bin(), "args": ["demo-server", "--faults"]}),
    );
    let cfg = common::config_file(d, &json!({"mcpServers": servers}).to_string());
    let cfg = cfg.to_str().unwrap();
    let out = common::run(d, &["generate", "--config", cfg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let readme = std::fs::read_to_string(d.join("servers/README.md")).unwrap();
    for server in ["everything", "filesystem", "memory", "git", "time", "odd"] {
        assert!(readme.contains(server), "{readme}");
    }
    // Every generated file compiles.
    let files: Vec<String> = walk(&d.join("servers"));
    assert!(files.len() > 60, "{}", files.len());
    let py = mcpscript_runner::interpreter().unwrap();
    let compiled = Command::new(&py)
        .args(["-m", "py_compile"])
        .args(&files)
        .output()
        .unwrap();
    assert!(compiled.status.success(), "{}", stderr(&compiled));

    // A second run changes nothing.
    let again = common::run(d, &["generate", "--config", cfg]);
    assert!(
        stderr(&again).contains("0 added, 0 updated, 0 removed"),
        "{}",
        stderr(&again)
    );

    // Scripts import the wrappers and call the real servers through them.
    let script = format!(
        r#"
import asyncio
from servers.git import git_log
from servers.time import get_current_time
from servers.everything import get_sum
from servers.filesystem import list_allowed_directories
from servers.odd import class_, echo_tool
from runtime import set_result

async def main():
    log = await git_log(repo_path={repo:?}, max_count=1)
    now = await get_current_time(timezone="Asia/Tokyo")
    total = await get_sum(a=2, b=40)
    allowed = await list_allowed_directories()
    set_result({{"log": str(log), "tz": now["timezone"], "sum": str(total), "fs": allowed["content"],
                "odd": [await class_(text="k"), await echo_tool(text="h")]}})

asyncio.run(main())
"#,
        repo = repo.display().to_string()
    );
    std::fs::write(d.join("use_wrappers.py"), script).unwrap();
    let out = common::run(d, &["run", "use_wrappers.py", "--json", "--config", cfg]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exit_code"], 0, "{v:#}");
    let r = &v["result"];
    assert!(
        r["log"]
            .as_str()
            .unwrap()
            .contains("generated wrappers work"),
        "{r:#}"
    );
    assert_eq!(r["tz"], "Asia/Tokyo");
    assert!(r["sum"].as_str().unwrap().contains("42"), "{r:#}");
    assert!(r["fs"].as_str().unwrap().contains("Allowed"), "{r:#}");
    assert_eq!(r["odd"], json!(["k", "h"]));
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "py") {
            out.push(path.display().to_string());
        }
    }
    out
}

#[test]
fn the_catalog_cache_spares_server_starts_until_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pids = d.join("pids");
    let cfg = common::config_file(
        d,
        &format!(
            r#"{{"mcpServers": {{"demo": {{"command": "sh", "args": ["-c", "echo $$ >> {}; exec \"$0\" demo-server", "$BIN"]}}}}}}"#,
            pids.display()
        ),
    );
    let cfg = cfg.to_str().unwrap();
    let starts = || std::fs::read_to_string(&pids).map_or(0, |s| s.lines().count());
    let out = common::run(d, &["search", "word statistics", "--config", cfg]);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("demo.word_stats"),
        "{out:?}"
    );
    assert_eq!(starts(), 1);
    common::run(d, &["search", "notes", "--config", cfg]);
    common::run(d, &["describe", "demo.add", "--config", cfg]);
    assert_eq!(
        starts(),
        1,
        "search and describe should use the cached tool list"
    );
    common::run(d, &["search", "notes", "--refresh", "--config", cfg]);
    assert_eq!(starts(), 2);
    assert!(d.join(".mcpscript/catalog.json").is_file());
}

#[test]
fn discover_learns_result_types_that_generate_uses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = common::real;
    let cfg = common::config_file(
        d,
        &json!({
            "mcpServers": {
                "everything": {"command": r("MCPSCRIPT_TEST_NODE"), "args": [r("MCPSCRIPT_TEST_EVERYTHING")]},
                "time": {"command": r("MCPSCRIPT_TEST_TIME"), "args": ["--local-timezone", "UTC"]}
            },
            "discover": {"samples": {
                "time.get_current_time": [{"timezone": "UTC"}],
                "time.get_time": [{}]
            }}
        })
        .to_string(),
    );
    let cfg = cfg.to_str().unwrap();
    let out = common::run(d, &["discover", "--json", "--config", cfg]);
    assert!(out.status.success(), "{}", stderr(&out));
    // An entry naming no tool is not silently ignored.
    assert!(
        stderr(&out).contains("discover.samples names \"time.get_time\", which is no listed tool"),
        "{}",
        stderr(&out)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let state = |server: &str, tool: &str| {
        v["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["server"] == server && t["tool"] == tool)
            .map(|t| t["state"].as_str().unwrap().to_owned())
            .unwrap()
    };
    // get-env is read-only, declares no outputSchema and answers with a JSON object.
    assert_eq!(state("everything", "get-env"), "learned", "{v:#}");
    // A declared outputSchema is never overridden; a tool that is not read-only is not called.
    assert_eq!(state("time", "get_current_time"), "skipped");
    assert_eq!(state("everything", "toggle-simulated-logging"), "skipped");
    assert!(d.join(".mcpscript/schemas.json").is_file());

    let out = common::run(d, &["generate", "--config", cfg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let wrapper = std::fs::read_to_string(d.join("servers/everything/get_env.py")).unwrap();
    assert!(
        wrapper.contains("Learned from observed results"),
        "{wrapper}"
    );
    let declared = std::fs::read_to_string(d.join("servers/time/get_current_time.py")).unwrap();
    assert!(
        !declared.contains("Learned from observed results"),
        "{declared}"
    );
}

#[test]
fn runs_record_result_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = demo_config(d);
    std::fs::write(
        d.join("s.py"),
        "from runtime import call_tool_sync\ncall_tool_sync('demo', 'notes_list', {})\n",
    )
    .unwrap();
    let out = common::run(d, &["run", "s.py", "--config", cfg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let store = std::fs::read_to_string(d.join(".mcpscript/schemas.json")).unwrap();
    assert!(store.contains("notes_list"), "{store}");
}

#[test]
fn search_and_describe_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = demo_config(d);
    let cfg = cfg.to_str().unwrap();
    let show = |args: &[&str]| show(d, cfg, args);
    insta::assert_snapshot!(
        "search_name",
        show(&["search", "save", "a", "note", "--detail", "name"])
    );
    insta::assert_snapshot!("search_summary", show(&["search", "count words in a text"]));
    insta::assert_snapshot!(
        "search_full",
        show(&["search", "add numbers", "--detail", "full", "--limit", "1"])
    );
    insta::assert_snapshot!(
        "describe",
        show(&["describe", "demo.notes_search", "demo.tiny_image"])
    );
    insta::assert_snapshot!(
        "describe_unknown_tool",
        show(&["describe", "demo.note_search"])
    );
    insta::assert_snapshot!("search_nothing", show(&["search", "zzzz"]));
}

#[test]
fn bench_tokens_counts_three_paths() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = demo_config(d);
    let cfg = cfg.to_str().unwrap();
    // On the real catalog, search finds every task's tools.
    let out = common::run(d, &["bench", "tokens", "--json", "--config", cfg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["real_tools"], 9);
    for task in v["tasks"].as_array().unwrap() {
        assert_eq!(task["search_found_all"], true, "{task:#}");
    }
    // Padded to 200 tools with renamed copies, the search path reads a small fraction.
    let out = common::run(
        d,
        &[
            "bench",
            "tokens",
            "--json",
            "--synthetic",
            "200",
            "--config",
            cfg,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["catalog_tools"].as_u64().unwrap() >= 200);
    assert!(v["synthetic_tools"].as_u64().unwrap() > 0);
    for task in v["tasks"].as_array().unwrap() {
        for t in task["tokens"].as_array().unwrap() {
            assert!(
                t["search"].as_u64().unwrap() < t["upfront"].as_u64().unwrap() / 10,
                "{t}"
            );
        }
    }
    assert!(
        v["summary"][0]["median_reduction_search"].as_f64().unwrap() > 0.9,
        "{v:#}"
    );
}

#[test]
fn generate_skips_a_failing_server_and_writes_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = common::config_file(
        d,
        r#"{"mcpServers": {
            "demo": {"command": "$BIN", "args": ["demo-server"]},
            "broken": {"command": "$BIN", "args": ["demo-server", "--mode", "exit-during-init"]}
        }}"#,
    );
    let out = common::run(
        d,
        &[
            "generate",
            "--out",
            "tools",
            "--config",
            cfg.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("\"broken\"") && err.contains("skipped"),
        "{err}"
    );
    assert!(
        err.contains("exiting during initialize"),
        "the server's stderr tail is shown: {err}"
    );
    assert!(d.join("tools/demo/word_stats.py").is_file());
    assert!(!d.join("tools/broken").exists());
    let init = std::fs::read_to_string(d.join("tools/demo/__init__.py")).unwrap();
    assert!(
        init.contains("from tools.demo") || init.contains("tools"),
        "{init}"
    );

    // The demo server fails next time: its package stays, the others are written.
    let generate = |servers: &str| {
        let cfg = common::config_file(d, &format!(r#"{{"mcpServers": {{{servers}}}}}"#));
        common::run(
            d,
            &[
                "generate",
                "--out",
                "tools",
                "--config",
                cfg.to_str().unwrap(),
            ],
        )
    };
    let out = generate(
        r#""demo": {"command": "$BIN", "args": ["demo-server", "--mode", "exit-during-init"]},
            "other": {"command": "$BIN", "args": ["demo-server"]}"#,
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        d.join("tools/demo/word_stats.py").is_file(),
        "{}",
        stderr(&out)
    );
    assert!(d.join("tools/other/word_stats.py").is_file());
    assert!(stderr(&out).contains("kept"), "{}", stderr(&out));
    // Once every server lists, packages of servers no longer configured go.
    let out = generate(r#""other": {"command": "$BIN", "args": ["demo-server"]}"#);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!d.join("tools/demo").exists());
}

/// Runs the binary with `--config cfg` appended; returns `exit: N`, stdout and stderr as one text.
/// A config with the built-in demo server, written into `d`.
fn demo_config(d: &Path) -> std::path::PathBuf {
    common::config_file(
        d,
        r#"{"mcpServers": {"demo": {"command": "$BIN", "args": ["demo-server"]}}}"#,
    )
}

/// Exit code, stdout and stderr of `mcpscript ARGS --config CFG`, for snapshots.
fn show(d: &Path, cfg: &str, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["--config", cfg]);
    let out = common::run(d, &all);
    format!(
        "exit: {}\n{}{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    )
}

#[test]
fn describe_a_server_without_a_tool_asks_for_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = demo_config(d);
    let cfg = cfg.to_str().unwrap();
    insta::assert_snapshot!("describe_server_only", show(d, cfg, &["describe", "demo"]));
    let trailing_dot = show(d, cfg, &["describe", "demo."]);
    assert!(
        trailing_dot.starts_with("exit: 2\n")
            && trailing_dot.contains("\"demo\" is a server; describe takes SERVER.TOOL"),
        "{trailing_dot}"
    );
    // A bare tool name is not SERVER.TOOL either, as for `call`; the server is suggested.
    insta::assert_snapshot!("describe_tool_only", show(d, cfg, &["describe", "echo"]));
    // An unknown server is still said to be one.
    let unknown = show(d, cfg, &["describe", "nope.echo"]);
    assert!(
        unknown.starts_with("exit: 2\n") && unknown.contains("no server named \"nope\""),
        "{unknown}"
    );
}

#[test]
fn describe_takes_the_python_function_name_of_a_tool() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = common::real;
    let cfg = common::config_file(
        d,
        &json!({"mcpServers": {
            "odd": {"command": common::bin(), "args": ["demo-server", "--faults"]},
            "everything": {"command": r("MCPSCRIPT_TEST_NODE"), "args": [r("MCPSCRIPT_TEST_EVERYTHING")]}
        }})
        .to_string(),
    );
    let cfg = cfg.to_str().unwrap();
    for (target, tool) in [
        ("everything.get_sum", "\"everything\", \"get-sum\""),
        ("odd.echo_tool", "\"odd\", \"echo-tool\""),
        ("odd.echo_tool_sync", "\"odd\", \"echo-tool\""),
        ("odd.class_", "\"odd\", \"class\""),
        ("odd.grosse", "\"odd\", \"größe\""),
    ] {
        let out = show(d, cfg, &["describe", target]);
        assert!(
            out.starts_with("exit: 0\n") && out.contains(&format!("@mcp_tool({tool}")),
            "{target}: {out}"
        );
    }
    let out = common::run(
        d,
        &["describe", "everything.get_sum", "--json", "--config", cfg],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["tool"], "get-sum", "{v:#}");
}

#[test]
fn no_tool_answers_from_a_cached_catalog_suggest_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = demo_config(d);
    let cfg = cfg.to_str().unwrap();
    // Fresh lists: asking again would not help, so no hint.
    let fresh = show(d, cfg, &["describe", "demo.nope", "--refresh"]);
    assert!(
        fresh.starts_with("exit: 2\n") && !fresh.contains("--refresh"),
        "{fresh}"
    );
    let cached = show(d, cfg, &["describe", "demo.nope"]);
    assert!(
        cached.starts_with("exit: 2\n")
            && cached.contains("if the server has gained tools since, add --refresh"),
        "{cached}"
    );
    let search = show(d, cfg, &["search", "zzzz"]);
    assert!(
        search.contains("no tool matches \"zzzz\"")
            && search.contains("if a server has gained tools since, add --refresh"),
        "{search}"
    );
    let search = show(d, cfg, &["search", "zzzz", "--refresh"]);
    assert!(!search.contains("add --refresh"), "{search}");
}

#[test]
fn generate_refuses_an_out_that_is_not_a_python_package_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = demo_config(d);
    let cfg = cfg.to_str().unwrap();
    insta::assert_snapshot!(
        "generate_out_not_a_package",
        show(d, cfg, &["generate", "--out", "my-servers"])
    );
    assert!(!d.join("my-servers").exists());
    for (out, hint) in [
        ("sub/2fast", "--out sub/_2fast"),
        ("class", "--out class_"),
        ("my servers/", "--out my_servers"),
    ] {
        let text = show(d, cfg, &["generate", "--out", out]);
        assert!(
            text.starts_with("exit: 2\n") && text.contains(hint),
            "{out}: {text}"
        );
    }
    // The suggested name works, and the README imports from it.
    let text = show(d, cfg, &["generate", "--out", "my_servers"]);
    assert!(text.starts_with("exit: 0\n"), "{text}");
    let readme = std::fs::read_to_string(d.join("my_servers/README.md")).unwrap();
    assert!(readme.contains("from my_servers.demo import"), "{readme}");
    // `--out .` is the current directory, whose name is the package.
    let here = d.join("my-project");
    std::fs::create_dir(&here).unwrap();
    let text = show(&here, cfg, &["generate", "--out", "."]);
    assert!(
        text.starts_with("exit: 2\n") && text.contains("\"my-project\""),
        "{text}"
    );
    assert!(!here.join("README.md").exists());
}
