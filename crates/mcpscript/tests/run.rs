//! `mcpscript run` end to end: the real binary, real python3, the bridge, the demo fixture server
//! and the real MCP servers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Writes `script` into `dir` and runs it with `--json` and extra mcpscript args before `--`.
fn run_json(dir: &Path, script: &str, mcp_args: &[&str], script_args: &[&str]) -> (Output, Value) {
    let path = dir.join("script.py");
    std::fs::write(&path, script).unwrap();
    let mut args = vec!["run", path.to_str().unwrap(), "--json"];
    args.extend_from_slice(mcp_args);
    args.push("--");
    args.extend_from_slice(script_args);
    let out = common::run(dir, &args);
    let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, value)
}

fn faults_config(dir: &Path) -> String {
    common::config_file(
        dir,
        r#"{"mcpServers": {"demo": {"command": "$BIN", "args": ["demo-server", "--faults"], "timeout": "20s"}}}"#,
    )
    .display()
    .to_string()
}

/// Waits up to 5 s for every process whose PID is listed (whitespace-separated) in `file` to be
/// gone, failing with `what` otherwise; returns how many there were.
fn assert_gone_soon(file: &Path, what: &str) -> usize {
    let text = std::fs::read_to_string(file).unwrap();
    let pids: Vec<u32> = text
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(5);
    for &pid in &pids {
        while !common::process_gone(pid) {
            assert!(Instant::now() < deadline, "process {pid} {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    pids.len()
}

#[test]
fn quickstart_runs_on_the_builtin_config() {
    let dir = tempfile::tempdir().unwrap();
    let quickstart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart.py");
    let out = common::run(dir.path(), &["run", quickstart.to_str().unwrap(), "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exit_code"], 0, "{v:#}");
    assert_eq!(v["result"]["notes_found"], 1);
    assert!(
        v["stdout"]["text"]
            .as_str()
            .unwrap()
            .contains("8 parallel calls done")
    );
    assert!(v["tool_calls"].as_array().unwrap().len() >= 12);
}

#[test]
fn argv_passes_verbatim_and_exit_codes_become_ours() {
    let dir = tempfile::tempdir().unwrap();
    let script = "import sys\nfrom runtime import set_result\nset_result(sys.argv)\nsys.exit(7)\n";
    let (out, v) = run_json(
        dir.path(),
        script,
        &[],
        &["--flag", "x y", "--", "other.py", "-v"],
    );
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(v["exit_code"], 7);
    let argv = v["result"].as_array().unwrap();
    assert!(argv[0].as_str().unwrap().ends_with("script.py"));
    assert_eq!(
        argv[1..],
        [
            json!("--flag"),
            json!("x y"),
            json!("--"),
            json!("other.py"),
            json!("-v")
        ]
    );
}

#[test]
fn results_errors_and_content_kinds_reach_the_script() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = faults_config(dir.path());
    let script = r#"
import asyncio
from runtime import (call_tool, call_tool_raw, call_tool_sync, set_result, ToolError, ToolNotFoundError,
                     InvalidArgumentsError, ImageContent)

async def main():
    out = {}
    out["structured"] = await call_tool("demo", "add", {"a": 2, "b": 3})
    out["text"] = await call_tool("demo", "echo", {"text": "plain"})
    out["json_text"] = await call_tool("demo", "echo", {"text": '{"k": [1, 2]}'})
    blocks = await call_tool("demo", "tiny_image", {})
    out["image"] = [type(b).__name__ for b in blocks]
    out["png"] = next(b for b in blocks if isinstance(b, ImageContent)).bytes()[:4] == b"\x89PNG"
    raw = await call_tool_raw("demo", "mixed_content", {})
    out["raw_types"] = [c["type"] for c in raw["content"]]
    try:
        await call_tool("demo", "fail", {"message": "bad day"})
    except ToolError as e:
        out["tool_error"] = str(e)
    try:
        await call_tool("demo", "ecko", {})
    except ToolNotFoundError as e:
        out["suggestions"] = e.suggestions
    try:
        await call_tool("demo", "add", {"a": "two"})
    except InvalidArgumentsError as e:
        out["invalid"] = sorted(err["path"] for err in e.errors)
    out["sync"] = call_tool_sync("demo", "echo", {"text": "sync"})
    out["odd"] = [await call_tool("demo", n, {"text": n}) for n in ["echo-tool", "class", "größe"]]
    set_result(out)

asyncio.run(main())
"#;
    let (out, v) = run_json(dir.path(), script, &["--config", &cfg], &[]);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    let r = &v["result"];
    assert_eq!(r["structured"], json!({"result": 5}));
    assert_eq!(r["text"], "plain");
    assert_eq!(r["json_text"], json!({"k": [1, 2]}));
    assert!(
        r["image"]
            .as_array()
            .unwrap()
            .contains(&json!("ImageContent")),
        "{r:#}"
    );
    assert_eq!(r["png"], true);
    assert_eq!(r["raw_types"].as_array().unwrap().len(), 4, "{r:#}");
    assert!(r["tool_error"].as_str().unwrap().contains("bad day"));
    assert!(
        r["suggestions"]
            .as_array()
            .unwrap()
            .contains(&json!("echo"))
    );
    assert_eq!(r["invalid"], json!(["", "/a"]));
    assert_eq!(r["sync"], "sync");
    assert_eq!(r["odd"], json!(["echo-tool", "class", "größe"]));
    let outcomes: Vec<&str> = v["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    assert!(
        outcomes.contains(&"tool_error") && outcomes.contains(&"ToolNotFoundError"),
        "{outcomes:?}"
    );
}

#[test]
fn a_server_crash_mid_run_is_an_exception_and_the_script_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = faults_config(dir.path());
    let script = r#"
from runtime import call_tool_sync, set_result, ServerUnavailableError
before = call_tool_sync("demo", "echo", {"text": "before"})
try:
    call_tool_sync("demo", "crash", {"code": 5})
    caught = None
except ServerUnavailableError as e:
    caught = {"msg": str(e), "tail": e.stderr_tail}
after = call_tool_sync("demo", "echo", {"text": "after"})
set_result({"before": before, "caught": caught, "after": after})
"#;
    let (out, v) = run_json(dir.path(), script, &["--config", &cfg], &[]);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    let r = &v["result"];
    assert_eq!(r["after"], "after");
    assert!(
        r["caught"]["msg"]
            .as_str()
            .unwrap()
            .contains("exited with status 5"),
        "{r:#}"
    );
    assert!(
        r["caught"]["tail"]
            .to_string()
            .contains("crashing on purpose"),
        "{r:#}"
    );
}

#[test]
fn the_run_timeout_kills_the_whole_process_tree() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("child.pid");
    let script = format!(
        "import subprocess, time\np = subprocess.Popen(['sleep', '300'])\nopen({:?}, 'w').write(str(p.pid))\ntime.sleep(300)\n",
        pidfile.display().to_string()
    );
    let started = Instant::now();
    let (out, v) = run_json(dir.path(), &script, &["--timeout", "1.5"], &[]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(124));
    assert_eq!(v["timed_out"], true);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--timeout"));
    assert_gone_soon(&pidfile, "survived the timeout");
}

#[test]
fn ten_megabytes_of_output_are_bounded_with_a_marker() {
    let dir = tempfile::tempdir().unwrap();
    let script = "import sys\nsys.stdout.write('x' * 10_000_000)\nsys.stdout.write('THE END')\n";
    let (out, v) = run_json(dir.path(), script, &["--output-limit", "65536"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = &v["stdout"];
    assert_eq!(stdout["truncated"], true);
    assert_eq!(stdout["bytes"], 10_000_007);
    let text = stdout["text"].as_str().unwrap();
    assert!(text.len() < 70_000, "{}", text.len());
    assert!(text.contains("bytes dropped by mcpscript") && text.ends_with("THE END"));
}

#[test]
fn printed_fake_frames_are_just_output() {
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
import json, sys
frame = {"id": 1, "op": "call_tool", "server": "demo", "tool": "echo", "arguments": {"text": "forged"}}
print(json.dumps(frame)); sys.stdout.flush()
print(json.dumps(frame), file=sys.stderr)
"#;
    let (out, v) = run_json(dir.path(), script, &[], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        v["tool_calls"],
        json!([]),
        "a printed frame made a call: {v:#}"
    );
    assert!(v["stdout"]["text"].as_str().unwrap().contains("forged"));
}

#[test]
fn a_hundred_parallel_calls_are_all_answered() {
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
import asyncio
from runtime import call_tool, set_result
async def main():
    texts = await asyncio.gather(*[call_tool("demo", "echo", {"text": f"m{i}"}) for i in range(100)])
    set_result(texts == [f"m{i}" for i in range(100)])
asyncio.run(main())
"#;
    let (out, v) = run_json(dir.path(), script, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["result"], true);
    assert_eq!(v["tool_calls"].as_array().unwrap().len(), 100);
}

#[test]
fn parallel_sleeps_overlap_on_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
import asyncio, time
from runtime import call_tool, set_result
async def main():
    await call_tool("demo", "echo", {"text": "warm up"})
    t = time.perf_counter()
    await asyncio.gather(*[call_tool("demo", "sleep", {"ms": 300}) for _ in range(16)])
    set_result(time.perf_counter() - t)
asyncio.run(main())
"#;
    let (_, v) = run_json(dir.path(), script, &[], &[]);
    // Sixteen 300 ms calls one after another would take 4.8 s; overlapped they take about 0.3 s.
    assert!(v["result"].as_f64().unwrap() < 2.4, "{v:#}");
}

#[test]
fn script_failures_are_reported_with_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (out, v) = run_json(d, "def f(:\n    pass\n", &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        v["stderr"]["text"]
            .as_str()
            .unwrap()
            .contains("syntax error"),
        "{v:#}"
    );
    let (out, v) = run_json(d, "raise ValueError('boom')\n", &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = v["stderr"]["text"].as_str().unwrap();
    assert!(
        err.contains("Traceback") && err.contains("ValueError: boom"),
        "{err}"
    );

    let out = common::run(d, &["run", "missing.py"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("script not found: missing.py") && err.contains("hint:"),
        "{err}"
    );

    std::fs::write(d.join("ok.py"), "print('hi')\n").unwrap();
    let out = std::process::Command::new(common::bin())
        .args(["run", "ok.py"])
        .current_dir(d)
        .env_remove("MCPSCRIPT_CONFIG")
        .env("MCPSCRIPT_PYTHON", "/nonexistent/python3")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no Python interpreter") && err.contains("MCPSCRIPT_PYTHON"),
        "{err}"
    );
}

#[test]
fn a_script_can_come_from_standard_input_or_a_pipe() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let script = "import sys\nfrom runtime import call_tool_sync\n\
                  print(sys.argv, call_tool_sync('demo', 'add', {'a': 2, 'b': 3}))\n";
    // `-`: the script on stdin (an agent's heredoc), arguments after `--` as usual.
    let mut child = std::process::Command::new(common::bin())
        .args(["run", "-", "--", "x", "--flag"])
        .current_dir(d)
        .env_remove("MCPSCRIPT_CONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "['-', 'x', '--flag'] {'result': 5}\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A path that is not a regular file but can be read (here a named pipe, like `<(…)`).
    let fifo = d.join("script.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, "print('from a pipe')\n").unwrap())
    };
    let out = common::run(d, &["run", fifo.to_str().unwrap()]);
    writer.join().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from a pipe\n");
    // A directory is not a script.
    let out = common::run(d, &["run", "."]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a script: .: it is a directory") && err.contains("hint:"),
        "{err}"
    );
}

#[test]
fn audit_file_gets_one_line_per_call() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let script = "from runtime import call_tool_sync\ncall_tool_sync('demo', 'echo', {'text': 'a'})\ncall_tool_sync('demo', 'add', {'a': 1, 'b': 2})\n";
    let (out, _) = run_json(
        dir.path(),
        script,
        &["--audit", audit.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["tool"], "add");
    assert_eq!(lines[1]["arguments"], json!({"a": 1, "b": 2}));
    assert_eq!(lines[1]["outcome"], "ok");
}

#[test]
fn a_call_after_the_run_ended_is_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("late.txt");
    // A process the script leaves behind writes a request on the bridge after the script has
    // exited: the host has closed the channel, so it is refused. (To outlive the run it must
    // leave the script's process group *and* drop MCPSCRIPT_RUN from its environment; see
    // processes_started_outside_the_scripts_group_end_with_the_run.)
    let late = format!(
        r#"
import os, time
time.sleep(1.0)
frame = b'{{"id": 99, "op": "call_tool", "server": "demo", "tool": "echo", "arguments": {{"text": "late"}}}}\n'
try:
    os.write(4, frame)
    answer = os.read(3, 65536)
    open({p:?}, "w").write("answered: " + answer.decode() if answer else "refused: EOF")
except BrokenPipeError:
    open({p:?}, "w").write("refused: EPIPE")
"#,
        p = report.display().to_string()
    );
    let script = format!(
        r#"
import os, sys
if os.fork() == 0:
    os.setsid()
    os.set_inheritable(3, True)
    os.set_inheritable(4, True)
    os.execve(sys.executable, [sys.executable, "-c", {late:?}], {{}})
print("parent done")
"#
    );
    let (out, v) = run_json(dir.path(), &script, &[], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(v["tool_calls"], json!([]));
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        if let Ok(text) = std::fs::read_to_string(&report)
            && !text.is_empty()
        {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "the leftover process never reported"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(text.starts_with("refused"), "{text}");
}

#[test]
fn seed_templates_run_unchanged_against_real_servers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let repo = common::git_repo(d, "seed commit");
    let cfg = common::config_file(
        d,
        &json!({"mcpServers": common::real_servers_config(d, &repo)}).to_string(),
    );
    let cfg = cfg.to_str().unwrap();

    // The seed's simple template: argparse with the `.py`-filtering idiom, the import inside
    // main(), the result returned from main() through asyncio.run.
    let simple = r#"
"""
SCRIPT: Simple call
CLI ARGUMENTS:
    --zone    Time zone (required)
"""
import argparse
import asyncio
import sys

def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--zone", required=True)
    args_to_parse = [arg for arg in sys.argv[1:] if not arg.endswith(".py")]
    return parser.parse_args(args_to_parse)

async def main():
    args = parse_args()
    from runtime.mcp_client import call_mcp_tool
    result = await call_mcp_tool("time__get_current_time", {"timezone": args.zone})
    print(f"Fetched time for {args.zone}")
    return result

if __name__ == "__main__":
    asyncio.run(main())
"#;
    let (out, v) = run_json(d, simple, &["--config", cfg], &["--zone", "Asia/Tokyo"]);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["result"]["timezone"], "Asia/Tokyo", "{v:#}");

    // The seed's pipeline template: several servers chained, intermediate data kept local.
    let pipeline = r#"
import argparse
import asyncio
import sys

def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo-path", default=".")
    parser.add_argument("--max-commits", type=int, default=5)
    args_to_parse = [arg for arg in sys.argv[1:] if not arg.endswith(".py")]
    return parser.parse_args(args_to_parse)

async def main():
    args = parse_args()
    from runtime.mcp_client import call_mcp_tool
    status = await call_mcp_tool("git__git_status", {"repo_path": args.repo_path})
    log = await call_mcp_tool("git__git_log", {"repo_path": args.repo_path, "max_count": args.max_commits})
    summed = await call_mcp_tool("everything__get-sum", {"a": 1, "b": 2})
    await call_mcp_tool("memory__create_entities", {"entities": [{"name": "repo", "entityType": "repo", "observations": [str(log)[:80]]}]})
    graph = await call_mcp_tool("memory__read_graph", {})
    allowed = await call_mcp_tool("filesystem__list_allowed_directories", {})
    return {"status_ok": "main" in str(status), "log_has_commit": "seed commit" in str(log),
            "sum": str(summed), "entities": len(graph["entities"]), "fs": allowed["content"]}

if __name__ == "__main__":
    asyncio.run(main())
"#;
    let repo_s = repo.to_str().unwrap();
    let (out, v) = run_json(
        d,
        pipeline,
        &["--config", cfg],
        &["--repo-path", repo_s, "--max-commits", "3", "pipeline.py"],
    );
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    let r = &v["result"];
    assert_eq!(r["status_ok"], true, "{r:#}");
    assert_eq!(r["log_has_commit"], true, "{r:#}");
    assert!(r["sum"].as_str().unwrap().contains('3'), "{r:#}");
    assert_eq!(r["entities"], 1);
    assert!(
        r["fs"].as_str().unwrap().contains("Allowed directories"),
        "{r:#}"
    );
    let servers: std::collections::BTreeSet<&str> = v["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["server"].as_str().unwrap())
        .collect();
    assert_eq!(servers.len(), 4, "{servers:?}");
}

#[test]
fn examples_run_against_the_real_servers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = common::real;
    let cfg = common::config_file(
        d,
        &json!({"mcpServers": {
            "everything": {"command": r("MCPSCRIPT_TEST_NODE"), "args": [r("MCPSCRIPT_TEST_EVERYTHING")]},
            "time": {"command": r("MCPSCRIPT_TEST_TIME"), "args": ["--local-timezone", "UTC"]}
        }})
        .to_string(),
    );
    let fanout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/fanout.py");
    let out = common::run(
        d,
        &[
            "run",
            fanout.to_str().unwrap(),
            "--json",
            "--config",
            cfg.to_str().unwrap(),
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exit_code"], 0, "{v:#}");
    assert!(
        v["result"]["Asia/Tokyo"]
            .as_str()
            .unwrap()
            .contains("+09:00"),
        "{v:#}"
    );
    assert!(
        v["result"]["Not/AZone"]
            .as_str()
            .unwrap()
            .starts_with("error"),
        "{v:#}"
    );
    assert_eq!(v["tool_calls"].as_array().unwrap().len(), 25);
}

#[test]
fn result_shapes_are_observed_for_learning() {
    let dir = tempfile::tempdir().unwrap();
    let script = "from runtime import call_tool_sync\nfor i in range(12):\n    call_tool_sync('demo', 'word_stats', {'text': 'a b a'})\ncall_tool_sync('demo', 'echo', {'text': 'plain'})\n";
    let path = dir.path().join("s.py");
    std::fs::write(&path, script).unwrap();
    let config = mcpscript_config::Config::builtin(Path::new(common::bin()));
    let pool = mcpscript_client::Pool::new(&config);
    let host = std::sync::Arc::new(mcpscript_runner::PoolHost::new(pool.clone(), &config));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut spec = mcpscript_runner::RunSpec::new(&path, vec![]);
    spec.capture = true;
    let outcome = rt.block_on(mcpscript_runner::run(host, &spec)).unwrap();
    rt.block_on(pool.shutdown());
    assert_eq!(outcome.exit_code, 0, "{:?}", outcome.stderr);
    let stats: Vec<_> = outcome
        .observations
        .iter()
        .filter(|o| o.tool == "word_stats")
        .collect();
    assert_eq!(stats.len(), mcpscript_runner::SAMPLES_PER_TOOL);
    assert_eq!(stats[0].value["words"], 3);
    // Plain text has no shape to learn.
    assert!(outcome.observations.iter().all(|o| o.tool != "echo"));
}

/// Runs `s.py` in `d` with `--json`, waits until the script has written `started`, waits
/// `settle` more, sends mcpscript SIGINT (Ctrl-C) and returns how the run ended and how long
/// that took after the signal.
fn interrupt_once(d: &Path, started: &Path, settle: Duration) -> (std::process::Output, Duration) {
    let child = std::process::Command::new(common::bin())
        .args(["run", "s.py", "--json"])
        .current_dir(d)
        .env_remove("MCPSCRIPT_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !started.exists() {
        assert!(Instant::now() < deadline, "the script never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(settle);
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let killed_at = Instant::now();
    let out = child.wait_with_output().unwrap();
    (out, killed_at.elapsed())
}

#[test]
fn ctrl_c_reaches_the_script_and_ends_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pids = d.join("pids");
    let script = format!(
        "import subprocess, time\np = subprocess.Popen(['sleep', '300'])\nopen({:?}, 'w').write(str(p.pid))\ntry:\n    time.sleep(300)\nexcept KeyboardInterrupt:\n    print('interrupted', flush=True)\n    raise\n",
        pids.display().to_string()
    );
    std::fs::write(d.join("s.py"), script).unwrap();
    let (out, took) = interrupt_once(d, &pids, Duration::from_millis(100));
    assert!(took < Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(130));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["stdout"]["text"]
            .as_str()
            .unwrap()
            .contains("interrupted"),
        "{v:#}"
    );
    assert_gone_soon(&pids, "survived Ctrl-C");
}

#[test]
fn a_cancelled_call_frees_its_server_slot() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // One call at a time on this server: if the abandoned call kept its slot, the next call
    // would wait for it (10 s) and then time out.
    let cfg = common::config_file(
        d,
        r#"{"mcpServers": {"demo": {"command": "$BIN", "args": ["demo-server", "--faults"], "max_concurrency": 1, "timeout": "8s"}}}"#,
    );
    let script = r#"
import asyncio, time
from runtime import call_tool, set_result
async def main():
    try:
        await asyncio.wait_for(call_tool("demo", "sleep", {"ms": 10000}), 0.3)
    except asyncio.TimeoutError:
        pass
    t = time.perf_counter()
    echoed = await call_tool("demo", "echo", {"text": "next"})
    set_result({"echo": echoed, "waited": time.perf_counter() - t})
asyncio.run(main())
"#;
    let (out, v) = run_json(d, script, &["--config", cfg.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["result"]["echo"], "next");
    assert!(v["result"]["waited"].as_f64().unwrap() < 5.0, "{v:#}");
}

#[test]
fn a_call_the_script_gives_up_on_is_recorded_as_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let script = r#"
import asyncio
from runtime import call_tool
async def main():
    try:
        await asyncio.wait_for(call_tool("demo", "sleep", {"ms": 500}), 0.1)
    except asyncio.TimeoutError:
        pass
    await call_tool("demo", "echo", {"text": "after"})
asyncio.run(main())
"#;
    let (out, v) = run_json(
        dir.path(),
        script,
        &["--audit", audit.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    let calls = v["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2, "{v:#}");
    assert_eq!(calls[0]["tool"], "sleep");
    assert_eq!(calls[0]["outcome"], "cancelled");
    let ms = calls[0]["duration_ms"].as_f64().unwrap();
    assert!((50.0..450.0).contains(&ms), "{v:#}");
    assert_eq!(calls[1]["tool"], "echo");
    assert_eq!(calls[1]["outcome"], "ok");
    let lines: Vec<Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(lines[0]["tool"], "sleep");
    assert_eq!(lines[0]["outcome"], "cancelled");
    assert_eq!(lines[0]["arguments"], json!({"ms": 500}));
    assert_eq!(lines[1]["outcome"], "ok");
}

/// Three sleeps in flight, then a marker file; then the script does `then`.
fn three_calls_in_flight(marker: &Path, then: &str) -> String {
    format!(
        r#"
import asyncio, os
from runtime import call_tool
async def main():
    calls = [asyncio.ensure_future(call_tool("demo", "sleep", {{"ms": 10000}})) for _ in range(3)]
    await asyncio.sleep(0.3)
    open({:?}, "w").write("started")
    {then}
asyncio.run(main())
"#,
        marker.display().to_string()
    )
}

fn assert_three_cancelled(v: &Value) {
    let calls = v["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 3, "{v:#}");
    for call in calls {
        assert_eq!(call["tool"], "sleep", "{v:#}");
        assert_eq!(call["outcome"], "cancelled", "{v:#}");
        assert!(call["duration_ms"].as_f64().unwrap() > 200.0, "{v:#}");
    }
}

#[test]
fn calls_in_flight_when_the_script_exits_are_recorded_as_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let audit = d.join("audit.jsonl");
    let script = three_calls_in_flight(&d.join("marker"), "os._exit(3)");
    let (out, v) = run_json(d, &script, &["--audit", audit.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert_three_cancelled(&v);
    let audit = std::fs::read_to_string(&audit).unwrap();
    assert_eq!(audit.lines().count(), 3, "{audit}");
    assert!(
        audit
            .lines()
            .all(|l| serde_json::from_str::<Value>(l).unwrap()["outcome"] == "cancelled")
    );
}

#[test]
fn calls_in_flight_at_the_run_timeout_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let script = three_calls_in_flight(&d.join("marker"), "await asyncio.gather(*calls)");
    let (out, v) = run_json(d, &script, &["--timeout", "1.5"], &[]);
    assert_eq!(out.status.code(), Some(124));
    // Each call's deadline is the run's end too: whichever comes first ends it.
    let calls = v["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 3, "{v:#}");
    assert!(
        calls
            .iter()
            .all(|c| c["outcome"] == "cancelled" || c["outcome"] == "ToolTimeoutError"),
        "{v:#}"
    );
}

#[test]
fn calls_in_flight_at_ctrl_c_are_recorded_as_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let marker = d.join("marker");
    std::fs::write(
        d.join("s.py"),
        three_calls_in_flight(&marker, "await asyncio.gather(*calls)"),
    )
    .unwrap();
    let (out, _) = interrupt_once(d, &marker, Duration::ZERO);
    assert_eq!(out.status.code(), Some(130));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_three_cancelled(&v);
}

#[test]
fn a_large_result_is_bounded_like_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 3 MB of result, a 1000-byte limit: a marker object with the size and a preview.
    let script = "from runtime import set_result\nset_result('x' * 3_000_000)\n";
    let (out, v) = run_json(d, script, &["--output-limit", "1000"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.len() < 5_000, "{} bytes", out.stdout.len());
    let r = &v["result"];
    assert_eq!(r["truncated"], true, "{r:#}");
    assert_eq!(r["bytes"], 3_000_002);
    let preview = r["preview"].as_str().unwrap();
    assert_eq!(preview.len(), 1000);
    assert!(preview.starts_with("\"xxx"));
    // The preview ends at a character boundary ("\"" then two-byte characters: 999 bytes).
    let script = "from runtime import set_result\nset_result('é' * 5000)\n";
    let (_, v) = run_json(d, script, &["--output-limit", "1000"], &[]);
    let preview = v["result"]["preview"].as_str().unwrap();
    assert_eq!(preview, format!("\"{}", "é".repeat(499)));
    // A result within the limit is left alone.
    let script = "from runtime import set_result\nset_result({'a': 'é' * 10})\n";
    let (_, v) = run_json(d, script, &["--output-limit", "1000"], &[]);
    assert_eq!(v["result"], json!({"a": "é".repeat(10)}));
}

#[test]
fn truncated_output_is_cut_at_character_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    // Both cuts of a 1001-byte limit fall inside a two-byte character.
    let script = "import sys\nsys.stdout.write('x' + 'é' * 100_000)\n";
    let (out, v) = run_json(dir.path(), script, &["--output-limit", "1001"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = &v["stdout"];
    assert_eq!(stdout["truncated"], true);
    assert_eq!(stdout["bytes"], 200_001);
    let text = stdout["text"].as_str().unwrap();
    assert!(!text.contains('\u{FFFD}'), "{text}");
    assert!(
        text.starts_with(&format!("x{}\n[…", "é".repeat(249))),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("…]\n{}", "é".repeat(250))),
        "{text}"
    );
}

#[test]
fn run_json_answers_failures_to_start_with_a_json_object() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ok.py"), "print('hi')\n").unwrap();
    std::fs::write(d.join("bad.json"), "{not json").unwrap();
    let (_, normal) = run_json(d, "print('hi')\n", &[], &[]);
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(normal["error"], Value::Null);
    let cases: [(&[&str], Option<&str>, &str); 5] = [
        (&["run", "missing.py", "--json"], None, "script not found"),
        (
            &["run", "ok.py", "--json"],
            Some("/nonexistent/python3"),
            "no Python interpreter",
        ),
        (
            &["run", "ok.py", "--json", "--config", "nope.json"],
            None,
            "cannot read config file",
        ),
        (
            &["--json", "--config", "bad.json", "run", "ok.py"],
            None,
            "invalid JSON",
        ),
        (
            &["run", "ok.py", "--json", "--timeout", "0"],
            None,
            "--timeout 0",
        ),
    ];
    for (args, python, message) in cases {
        let mut cmd = std::process::Command::new(common::bin());
        cmd.args(args).current_dir(d).env_remove("MCPSCRIPT_CONFIG");
        if let Some(python) = python {
            cmd.env("MCPSCRIPT_PYTHON", python);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: stdout is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        assert_eq!(v["exit_code"], 2, "{v:#}");
        assert!(
            v["error"].as_str().unwrap().contains(message),
            "{args:?}: {v:#}"
        );
        assert_eq!(v["tool_calls"], json!([]));
        assert_eq!(v["result"], Value::Null);
        assert_eq!(keys(&v), keys(&normal), "{v:#}");
        // People still get the message on stderr.
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(message),
            "{args:?}"
        );
    }
}

#[test]
fn unknown_content_block_types_reach_the_script_as_dicts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = faults_config(dir.path());
    let script = r#"
import asyncio
from runtime import call_tool, call_tool_raw, set_result

async def main():
    raw = await call_tool_raw("demo", "future_content", {})
    blocks = await call_tool("demo", "future_content", {})
    set_result({
        "raw": raw,
        "kinds": [type(b).__name__ for b in blocks],
        "second": blocks[1],
    })

asyncio.run(main())
"#;
    let (out, v) = run_json(dir.path(), script, &["--config", &cfg], &[]);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    let video = json!({"type": "video", "uri": "x://v", "mimeType": "video/mp4"});
    let r = &v["result"];
    assert_eq!(
        r["raw"]["content"],
        json!([{"type": "text", "text": "hello"}, video]),
        "{r:#}"
    );
    assert_eq!(r["raw"]["isError"], false);
    assert_eq!(r["kinds"], json!(["TextContent", "dict"]), "{r:#}");
    assert_eq!(r["second"], video);
    let outcomes: Vec<&str> = v["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["ok", "ok"]);
}

#[test]
fn call_prints_unknown_content_block_types() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = faults_config(dir.path());
    let out = common::run(
        dir.path(),
        &["--config", &cfg, "call", "demo.future_content"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        "hello\n[video content this version cannot show; use --json]\n"
    );
    let out = common::run(
        dir.path(),
        &["--config", &cfg, "call", "demo.future_content", "--json"],
    );
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["content"][1],
        json!({"type": "video", "uri": "x://v", "mimeType": "video/mp4"}),
        "{v:#}"
    );
}

#[test]
fn processes_started_outside_the_scripts_group_end_with_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pids = d.join("pids");
    // A new session (setsid), and a shell in a new session with a child of its own.
    let script = format!(
        "import subprocess, time\n\
         p = subprocess.Popen(['sleep', '300'], start_new_session=True)\n\
         q = subprocess.Popen(['sh', '-c', 'sleep 301 & echo $! > {inner}; wait'], start_new_session=True)\n\
         while True:\n    try:\n        inner = open({inner:?}).read().strip()\n        break\n    except OSError:\n        time.sleep(0.01)\n\
         open({pids:?}, 'w').write(f'{{p.pid}} {{q.pid}} {{inner}}')\n",
        inner = d.join("inner").display().to_string(),
        pids = pids.display().to_string(),
    );
    let (out, _) = run_json(d, &script, &[], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(assert_gone_soon(&pids, "outlived the run"), 3);
}
