//! The pool and CLI against real MCP servers installed from npm and PyPI by
//! `scripts/install-test-servers`: server-everything (stdio, SSE, Streamable HTTP), filesystem,
//! memory, git and time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::real;
use mcpscript_client::{CallToolResult, ContentBlock, Pool};
use serde_json::{Value, json};

fn args(v: Value) -> Option<mcpscript_client::JsonObject> {
    v.as_object().cloned()
}

fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| match c {
            ContentBlock::Text(t) => Some(t.text.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A scratch directory with a git repository and a text file, and the stdio config of every
/// real server pointed at it.
fn stdio_config(dir: &Path) -> String {
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(args)
            .current_dir(&repo)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("README.md"), "hello from the test repo\n").unwrap();
    git(&["add", "README.md"]);
    git(&["commit", "-q", "-m", "first commit"]);
    std::fs::write(dir.join("hello.txt"), "hello, filesystem\n").unwrap();
    json!({"mcpServers": common::real_servers_config(dir, &repo)}).to_string()
}

/// server-everything in an HTTP mode on a loopback port; killed (by PID) on drop.
struct HttpServer {
    child: Child,
    port: u16,
}

impl HttpServer {
    fn start(mode: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(real("MCPSCRIPT_TEST_NODE"))
            .arg(real("MCPSCRIPT_TEST_EVERYTHING"))
            .arg(mode)
            .env("PORT", port.to_string())
            // server-everything listens on every interface unless told otherwise.
            .env(
                "NODE_OPTIONS",
                format!("--require {}", real("MCPSCRIPT_TEST_LOOPBACK")),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "server-everything {mode} did not listen"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        Self { child, port }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn every_real_server_lists_and_answers_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let pool = Pool::new(&common::config(&stdio_config(dir.path())));
    let expected = [
        ("everything", 13),
        ("filesystem", 14),
        ("memory", 9),
        ("git", 12),
        ("time", 2),
    ];
    let lists = futures::future::join_all(expected.iter().map(|(s, _)| pool.list_tools(s))).await;
    for ((server, count), list) in expected.iter().zip(lists) {
        let list = list.unwrap_or_else(|e| panic!("{server}: {e}"));
        assert_eq!(list.len(), *count, "{server} tool count");
    }

    // everything: text, structured content with outputSchema, image, and the raw tool JSON.
    let r = pool
        .call_tool(
            "everything",
            "echo",
            args(json!({"message": "hi there"})),
            None,
        )
        .await
        .unwrap();
    assert!(text(&r).contains("hi there"), "{r:?}");
    let r = pool
        .call_tool("everything", "get-sum", args(json!({"a": 2, "b": 3})), None)
        .await
        .unwrap();
    assert!(text(&r).contains('5'), "{r:?}");
    let r = pool
        .call_tool(
            "everything",
            "get-structured-content",
            args(json!({"location": "New York"})),
            None,
        )
        .await
        .unwrap();
    assert!(
        r.structured_content.as_ref().is_some_and(Value::is_object),
        "{r:?}"
    );
    let r = pool
        .call_tool("everything", "get-tiny-image", None, None)
        .await
        .unwrap();
    assert!(
        r.content
            .iter()
            .any(|c| matches!(c, ContentBlock::Image(_))),
        "{r:?}"
    );
    let tools = pool.list_tools("everything").await.unwrap();
    let raw = &tools.get("echo").unwrap().raw;
    assert!(
        raw.get("execution").is_some(),
        "raw tool JSON lost fields rmcp does not know: {raw}"
    );
    assert!(
        tools
            .get("get-structured-content")
            .unwrap()
            .tool
            .output_schema
            .is_some()
    );

    // filesystem: every tool has an outputSchema; reading a file gives structured content.
    let path = dir.path().join("hello.txt");
    let r = pool
        .call_tool(
            "filesystem",
            "read_text_file",
            args(json!({"path": path})),
            None,
        )
        .await
        .unwrap();
    assert!(text(&r).contains("hello, filesystem"), "{r:?}");
    assert!(r.structured_content.is_some());

    // memory: write then read back.
    let entity = json!({"entities": [{"name": "mcpscript", "entityType": "project", "observations": ["written in Rust"]}]});
    pool.call_tool("memory", "create_entities", args(entity), None)
        .await
        .unwrap();
    let r = pool
        .call_tool("memory", "read_graph", None, None)
        .await
        .unwrap();
    assert!(text(&r).contains("written in Rust"), "{r:?}");

    // git: the scratch repository's history.
    let repo = dir.path().join("repo");
    let r = pool
        .call_tool(
            "git",
            "git_log",
            args(json!({"repo_path": repo, "max_count": 5})),
            None,
        )
        .await
        .unwrap();
    assert!(text(&r).contains("first commit"), "{r:?}");
    let r = pool
        .call_tool("git", "git_status", args(json!({"repo_path": repo})), None)
        .await
        .unwrap();
    assert!(text(&r).contains("main"), "{r:?}");

    // time: a Python-SDK server returning a dict (JSON text, no structured content).
    let r = pool
        .call_tool(
            "time",
            "get_current_time",
            args(json!({"timezone": "UTC"})),
            None,
        )
        .await
        .unwrap();
    assert!(text(&r).contains("UTC"), "{r:?}");
    // A bad argument is the tool's error result, not a transport failure.
    let r = pool
        .call_tool(
            "time",
            "get_current_time",
            args(json!({"timezone": "Not/AZone"})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true), "{r:?}");

    pool.shutdown().await;
}

#[tokio::test]
async fn server_everything_over_sse_and_streamable_http() {
    let sse = HttpServer::start("sse");
    let http = HttpServer::start("streamableHttp");
    let pool = Pool::new(&common::config(
        &json!({"mcpServers": {
            "sse": {"type": "sse", "url": format!("http://127.0.0.1:{}/sse", sse.port), "headers": {"X-Trace": "test"}},
            "http": {"type": "http", "url": format!("http://127.0.0.1:{}/mcp", http.port), "headers": {"X-Trace": "test"}},
            "bare-url": {"url": format!("http://127.0.0.1:{}/mcp", http.port)}
        }})
        .to_string(),
    ));
    for server in ["sse", "http", "bare-url"] {
        let tools = pool
            .list_tools(server)
            .await
            .unwrap_or_else(|e| panic!("{server}: {e}"));
        assert_eq!(tools.len(), 13, "{server}");
        let r = pool
            .call_tool(server, "get-sum", args(json!({"a": 20, "b": 22})), None)
            .await
            .unwrap();
        assert!(text(&r).contains("42"), "{server}: {r:?}");
        let r = pool
            .call_tool(
                server,
                "get-structured-content",
                args(json!({"location": "Chicago"})),
                None,
            )
            .await
            .unwrap();
        assert!(
            r.structured_content.as_ref().is_some_and(Value::is_object),
            "{server}: {r:?}"
        );
        // Parallel calls on one connection.
        let calls = (0..8).map(|i| {
            pool.call_tool(
                server,
                "echo",
                args(json!({"message": format!("m{i}")})),
                None,
            )
        });
        for (i, r) in futures::future::join_all(calls)
            .await
            .into_iter()
            .enumerate()
        {
            assert!(text(&r.unwrap()).contains(&format!("m{i}")));
        }
    }
    for server in ["sse", "http"] {
        let tools = pool.list_tools(server).await.unwrap();
        let raw = &tools.get("echo").unwrap().raw;
        assert!(
            raw.get("execution").is_some(),
            "{server} lost raw fields: {raw}"
        );
    }
    pool.shutdown().await;
}

#[test]
fn servers_check_reports_every_real_server_with_its_tool_count() {
    let dir = tempfile::tempdir().unwrap();
    let sse = HttpServer::start("sse");
    let http = HttpServer::start("streamableHttp");
    let mut cfg: Value = serde_json::from_str(&stdio_config(dir.path())).unwrap();
    let servers = cfg["mcpServers"].as_object_mut().unwrap();
    servers.insert(
        "everything-sse".into(),
        json!({"type": "sse", "url": format!("http://127.0.0.1:{}/sse", sse.port)}),
    );
    servers.insert(
        "everything-http".into(),
        json!({"type": "streamable-http", "url": format!("http://127.0.0.1:{}/mcp", http.port)}),
    );
    let file = common::config_file(dir.path(), &cfg.to_string());
    let out = common::run(
        dir.path(),
        &[
            "servers",
            "check",
            "--json",
            "--config",
            file.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let counts: Vec<(String, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["tools"].as_u64().unwrap(),
            )
        })
        .collect();
    let expect =
        |name: &str, n: u64| assert!(counts.contains(&(name.to_owned(), n)), "{name}: {counts:?}");
    expect("everything", 13);
    expect("everything-sse", 13);
    expect("everything-http", 13);
    expect("filesystem", 14);
    expect("memory", 9);
    expect("git", 12);
    expect("time", 2);
    assert!(
        rows.iter().all(|r| r["protocol_version"] == "2025-11-25"),
        "{rows:?}"
    );
}
