//! The client pool against mcpscript's own fixture server (`demo-server --faults`): every fault
//! ends in its typed error within a bounded time, racing first calls spawn one process, and
//! nothing survives shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use mcpscript_client::{Pool, PoolError};
use serde_json::{Value, json};

fn args(v: Value) -> Option<mcpscript_client::JsonObject> {
    v.as_object().cloned()
}

fn faults_pool(extra: &str) -> Pool {
    Pool::new(&common::config(&format!(
        r#"{{"mcpServers": {{"f": {{"command": "$BIN", "args": ["demo-server", "--faults"]{extra}}}}}}}"#
    )))
}

/// The connection goes on: an echo still comes back.
async fn still_answers(pool: &Pool) {
    let r = pool
        .call_tool("f", "echo", args(json!({"text": "still here"})), None)
        .await
        .unwrap();
    assert_eq!(text(&r), "still here");
}

fn text(result: &mcpscript_client::CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| match c {
            mcpscript_client::ContentBlock::Text(t) => Some(t.text.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn odd_tool_names_are_callable() {
    let pool = faults_pool("");
    for name in ["echo-tool", "class", "größe"] {
        let r = pool
            .call_tool("f", name, args(json!({"text": name})), None)
            .await
            .unwrap();
        assert_eq!(text(&r), name);
    }
    pool.shutdown().await;
}

#[tokio::test]
async fn crash_on_call_is_server_died_and_next_call_restarts() {
    let pool = faults_pool("");
    let first = pool.connect("f").await.unwrap().info.pid.unwrap();
    let err = pool
        .call_tool("f", "crash", args(json!({"code": 3})), None)
        .await
        .unwrap_err();
    let PoolError::ServerDied {
        status,
        stderr_tail,
        ..
    } = &err
    else {
        panic!("expected ServerDied, got {err:?}")
    };
    assert_eq!(status, "exited with status 3");
    assert!(
        stderr_tail
            .iter()
            .any(|l| l.contains("crashing on purpose")),
        "{stderr_tail:?}"
    );
    let r = pool
        .call_tool("f", "echo", args(json!({"text": "again"})), None)
        .await
        .unwrap();
    assert_eq!(text(&r), "again");
    let second = pool.connect("f").await.unwrap().info.pid.unwrap();
    assert_ne!(first, second, "a new process serves after the crash");
    pool.shutdown().await;
}

#[tokio::test]
async fn in_flight_calls_fail_when_the_server_dies() {
    let pool = faults_pool("");
    let slow = pool.call_tool("f", "sleep", args(json!({"ms": 5000})), None);
    let crash = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        pool.call_tool("f", "crash", None, None).await
    };
    let started = Instant::now();
    let (slow, _) = tokio::join!(slow, crash);
    assert!(
        matches!(slow, Err(PoolError::ServerDied { .. })),
        "{slow:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    pool.shutdown().await;
}

#[tokio::test]
async fn hang_times_out_with_the_configured_deadline() {
    let pool = faults_pool(r#", "timeout": "700ms""#);
    let started = Instant::now();
    let err = pool.call_tool("f", "hang", None, None).await.unwrap_err();
    assert!(
        matches!(&err, PoolError::CallTimeout { timeout, tool, .. } if *timeout == Duration::from_millis(700) && tool == "hang"),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // The connection survives a timed-out call.
    assert!(
        pool.call_tool("f", "echo", args(json!({"text": "x"})), None)
            .await
            .is_ok()
    );
    // A caller's own deadline wins when it is sooner.
    let err = pool
        .call_tool("f", "hang", None, Some(Duration::from_millis(100)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, PoolError::CallTimeout { timeout, .. } if timeout == Duration::from_millis(100))
    );
    pool.shutdown().await;
}

#[tokio::test]
async fn ten_megabytes_of_output_arrive_whole() {
    let pool = faults_pool("");
    let r = pool
        .call_tool("f", "big_output", args(json!({"bytes": 10_485_760})), None)
        .await
        .unwrap();
    assert_eq!(text(&r).len(), 10_485_760);
    pool.shutdown().await;
}

#[tokio::test]
async fn an_answer_over_the_message_limit_fails_at_once_and_the_connection_goes_on() {
    // A 60 s timeout: the call must fail long before it, with the reason.
    let pool = faults_pool(r#", "timeout": 60"#);
    let started = std::time::Instant::now();
    let err = pool
        .call_tool("f", "big_output", args(json!({"bytes": 17_000_000})), None)
        .await
        .unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let message = err.to_string();
    assert!(
        message.contains("over the 16 MiB limit on one message"),
        "{message}"
    );
    assert_eq!(err.class(), mcpscript_client::ErrorClass::Protocol);
    still_answers(&pool).await;
    pool.shutdown().await;
}

#[tokio::test]
async fn an_answer_that_is_not_json_fails_at_once_and_the_connection_goes_on() {
    let pool = faults_pool(r#", "timeout": 60"#);
    let started = std::time::Instant::now();
    let err = pool
        .call_tool("f", "not_json", None, None)
        .await
        .unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let message = err.to_string();
    assert!(
        message.contains("not valid JSON") && message.contains("NaN"),
        "{message}"
    );
    still_answers(&pool).await;
    pool.shutdown().await;
}

#[tokio::test]
async fn malformed_frame_is_skipped_and_the_connection_goes_on() {
    let pool = faults_pool("");
    pool.call_tool("f", "malformed", None, None).await.unwrap();
    still_answers(&pool).await;
    pool.shutdown().await;
}

#[tokio::test]
async fn start_up_faults_end_in_typed_errors() {
    let pool = Pool::new(&common::config(
        r#"{"mcpServers": {
        "exit": {"command": "$BIN", "args": ["demo-server", "--mode", "exit-during-init"]},
        "garbage": {"command": "$BIN", "args": ["demo-server", "--mode", "malformed-init"], "startup_timeout": "1s"},
        "slow": {"command": "$BIN", "args": ["demo-server", "--mode", "slow-start:5000"], "startup_timeout": "300ms"},
        "missing": {"command": "/nonexistent/mcp-server"},
        "bad": {"command": "x", "args": ["${MCPSCRIPT_SURELY_UNSET_VAR}"]},
        "off": {"command": "$BIN", "args": ["demo-server"], "disabled": true}
    }}"#,
    ));
    let started = Instant::now();
    let err = pool.connect("exit").await.unwrap_err();
    assert!(
        matches!(&err, PoolError::Initialize { message, stderr_tail, .. }
            if message.contains("exited with status 2") && stderr_tail.iter().any(|l| l.contains("exiting during initialize"))),
        "{err:?}"
    );
    let err = pool.connect("garbage").await.unwrap_err();
    assert!(err.to_string().contains("this is not json"), "{err}");
    let err = pool.connect("slow").await.unwrap_err();
    assert!(matches!(err, PoolError::StartupTimeout { .. }), "{err:?}");
    let err = pool.connect("missing").await.unwrap_err();
    assert!(matches!(err, PoolError::Spawn { .. }), "{err:?}");
    assert!(err.hint().unwrap().contains("PATH"));
    let err = pool.connect("bad").await.unwrap_err();
    assert!(
        err.to_string().contains("MCPSCRIPT_SURELY_UNSET_VAR"),
        "{err}"
    );
    assert!(matches!(
        pool.connect("off").await.unwrap_err(),
        PoolError::Disabled { .. }
    ));
    assert!(matches!(
        pool.connect("nope").await.unwrap_err(),
        PoolError::UnknownServer { .. }
    ));
    assert!(started.elapsed() < Duration::from_secs(20));
    pool.shutdown().await;
}

#[tokio::test]
async fn stderr_spam_is_captured_without_blocking() {
    let pool = Pool::new(&common::config(
        r#"{"mcpServers": {"s": {"command": "$BIN", "args": ["demo-server", "--faults", "--mode", "stderr-spam:5000"]}}}"#,
    ));
    pool.call_tool("s", "stderr_spam", args(json!({"lines": 20000})), None)
        .await
        .unwrap();
    let conn = pool.connect("s").await.unwrap();
    let tail = conn.stderr_tail();
    assert!(!tail.is_empty() && tail.len() <= 40, "{}", tail.len());
    pool.shutdown().await;
}

#[tokio::test]
async fn result_kinds_structured_image_and_is_error() {
    let pool = faults_pool("");
    let r = pool
        .call_tool("f", "add", args(json!({"a": 2, "b": 3})), None)
        .await
        .unwrap();
    assert_eq!(r.structured_content, Some(json!({"result": 5})));
    let tools = pool.list_tools("f").await.unwrap();
    assert!(tools.get("add").unwrap().tool.output_schema.is_some());
    let r = pool.call_tool("f", "tiny_image", None, None).await.unwrap();
    assert!(r.content.iter().any(
        |c| matches!(c, mcpscript_client::ContentBlock::Image(i) if i.mime_type == "image/png")
    ));
    let r = pool
        .call_tool("f", "fail", args(json!({"message": "nope"})), None)
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    assert!(text(&r).contains("nope"));
    let r = pool
        .call_tool("f", "mixed_content", None, None)
        .await
        .unwrap();
    assert!(r.content.len() >= 4, "{r:?}");
    pool.shutdown().await;
}

#[tokio::test]
async fn unknown_tool_suggests_close_names() {
    let pool = faults_pool("");
    let err = pool.call_tool("f", "ecko", None, None).await.unwrap_err();
    let PoolError::ToolNotFound { suggestions, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(suggestions.contains(&"echo".to_owned()), "{suggestions:?}");
    pool.shutdown().await;
}

#[tokio::test]
async fn tool_list_refreshes_after_list_changed() {
    let pool = faults_pool("");
    let before = pool.list_tools("f").await.unwrap();
    assert!(before.get("fresh_tool").is_none());
    pool.call_tool(
        "f",
        "change_tools",
        args(json!({"name": "fresh_tool"})),
        None,
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        if pool
            .list_tools("f")
            .await
            .unwrap()
            .get("fresh_tool")
            .is_some()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "tools/list_changed never refreshed the cache"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pool.shutdown().await;
}

#[tokio::test]
async fn allow_and_deny_lists_filter_and_refuse() {
    let pool = faults_pool(r#", "allow": ["echo", "add", "crash"], "deny": ["crash"]"#);
    let names: Vec<String> = pool
        .list_tools("f")
        .await
        .unwrap()
        .tools
        .iter()
        .map(|t| t.name().to_owned())
        .collect();
    assert_eq!(names, ["echo", "add"]);
    let err = pool.call_tool("f", "crash", None, None).await.unwrap_err();
    assert!(matches!(err, PoolError::Denied { .. }), "{err:?}");
    pool.shutdown().await;
}

#[tokio::test]
async fn concurrency_limit_is_respected() {
    let pool = faults_pool(r#", "max_concurrency": 2"#);
    pool.connect("f").await.unwrap();
    let started = Instant::now();
    let calls = (0..6).map(|_| pool.call_tool("f", "sleep", args(json!({"ms": 150})), None));
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    // Six 150 ms calls, two at a time, cannot finish in under three rounds.
    assert!(
        started.elapsed() >= Duration::from_millis(440),
        "{:?}",
        started.elapsed()
    );
    pool.shutdown().await;
}

#[tokio::test]
async fn fifty_racing_first_calls_spawn_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let pool = Pool::new(&common::config(&format!(
        r#"{{"mcpServers": {{"f": {{"command": "sh", "args": ["-c", "echo $$ >> {}; exec \"$0\" demo-server", "$BIN"]}}}}}}"#,
        pids.display()
    )));
    let calls =
        (0..50).map(|i| pool.call_tool("f", "echo", args(json!({"text": format!("{i}")})), None));
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    let spawned = std::fs::read_to_string(&pids).unwrap();
    assert_eq!(spawned.lines().count(), 1, "spawned: {spawned:?}");
    pool.shutdown().await;
}

#[tokio::test]
async fn racing_first_calls_share_one_failed_start() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let pool = Pool::new(&common::config(&format!(
        r#"{{"mcpServers": {{"f": {{"command": "sh", "args": ["-c", "echo $$ >> {}; exit 9"]}}}}}}"#,
        pids.display()
    )));
    let calls = (0..20).map(|_| pool.call_tool("f", "echo", None, None));
    let results = futures::future::join_all(calls).await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(PoolError::Initialize { .. }))),
        "{:?}",
        results[0]
    );
    assert_eq!(std::fs::read_to_string(&pids).unwrap().lines().count(), 1);
    pool.shutdown().await;
}

#[tokio::test]
async fn no_process_survives_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    // The server leaves a grandchild behind in its process group, as `npx` and shells do.
    let pool = Pool::new(&common::config(&format!(
        r#"{{"mcpServers": {{"f": {{"command": "sh", "args": ["-c", "sleep 300 & echo $! >> {p}; echo $$ >> {p}; exec \"$0\" demo-server", "$BIN"]}}}}}}"#,
        p = pids.display()
    )));
    pool.call_tool("f", "echo", args(json!({"text": "x"})), None)
        .await
        .unwrap();
    let listed: Vec<u32> = std::fs::read_to_string(&pids)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|p| !common::process_gone(*p)));
    pool.shutdown().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !listed.iter().all(|p| common::process_gone(*p)) {
        assert!(
            Instant::now() < deadline,
            "processes survived shutdown: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(matches!(
        pool.call_tool("f", "echo", None, None).await,
        Err(PoolError::ShutDown)
    ));
}

#[tokio::test]
async fn arguments_are_checked_against_the_input_schema_on_the_host() {
    let pool = faults_pool("");
    let err = pool
        .call_tool("f", "add", args(json!({"a": "two"})), None)
        .await
        .unwrap_err();
    let PoolError::InvalidArguments { errors, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(errors.iter().any(|e| e.path == "/a"), "{errors:?}");
    assert!(
        errors.iter().any(|e| e.message.contains("\"b\"")),
        "{errors:?}"
    );
    assert!(err.to_string().contains("/a"), "{err}");
    pool.shutdown().await;
}

#[tokio::test]
async fn unknown_content_block_types_pass_through_raw() {
    let pool = faults_pool("");
    let r = pool
        .call_tool("f", "future_content", None, None)
        .await
        .unwrap();
    let video = json!({"type": "video", "uri": "x://v", "mimeType": "video/mp4"});
    let raw = r.raw().expect("kept as sent");
    assert_eq!(raw["content"][1], video, "{raw:#}");
    assert_eq!(raw["isError"], false);
    assert!(!r.is_error());
    // What the bridge sends the script and `call --json` prints: every block, as sent.
    assert_eq!(serde_json::to_value(&r).unwrap(), *raw);
    assert_eq!(r.to_value()["content"].as_array().unwrap().len(), 2);
    // The typed view holds the blocks rmcp can read.
    assert_eq!(r.content.len(), 1, "{r:?}");
    assert_eq!(text(&r), "hello");
    pool.shutdown().await;
}

#[tokio::test]
async fn a_call_that_times_out_is_cancelled_on_the_server() {
    // rmcp logs each notifications/cancelled it receives, with its reason.
    let pool = faults_pool(r#", "env": {"RUST_LOG": "rmcp=info"}"#);
    let conn = pool.connect("f").await.unwrap();
    let err = pool
        .call_tool("f", "hang", None, Some(Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert!(matches!(err, PoolError::CallTimeout { .. }), "{err}");
    let started = Instant::now();
    let cancelled = || {
        conn.stderr_tail()
            .iter()
            .any(|l| l.contains("cancelled") && l.contains("request abandoned by the caller"))
    };
    while !cancelled() && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(cancelled(), "{:#?}", conn.stderr_tail());
    pool.shutdown().await;
}
