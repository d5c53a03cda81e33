//! The demo server driven by an rmcp client over `tokio::io::duplex`, in-process.
//!
//! Process-level behaviour (start modes, `crash`, `malformed`) is tested through the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use mcpscript_demo_server::{DemoOptions, handler};
use rmcp::{
    ClientHandler, ServiceError, ServiceExt,
    model::{CallToolRequestParams, CallToolResult, ErrorCode, ResourceContents},
    service::{NotificationContext, RoleClient, RunningService},
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const DEMO_TOOLS: [&str; 9] = [
    "echo",
    "add",
    "sleep",
    "word_stats",
    "tiny_image",
    "fail",
    "notes_add",
    "notes_list",
    "notes_search",
];

const FAULT_TOOLS: [&str; 13] = [
    "echo-tool",
    "class",
    "größe",
    "crash",
    "hang",
    "big_output",
    "stderr_spam",
    "malformed",
    "not_json",
    "change_tools",
    "structured_only",
    "mixed_content",
    "future_content",
];

fn opts(faults: bool) -> DemoOptions {
    DemoOptions {
        faults,
        ..DemoOptions::default()
    }
}

/// Starts a demo server on one end of a duplex pipe and connects `client` to the other.
async fn connect<H: ClientHandler>(opts: DemoOptions, client: H) -> RunningService<RoleClient, H> {
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    let server = handler(&opts);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    client.serve(client_io).await.expect("initialize")
}

async fn try_call<H: ClientHandler>(
    client: &RunningService<RoleClient, H>,
    name: &str,
    args: Value,
) -> Result<CallToolResult, ServiceError> {
    let Value::Object(args) = args else {
        panic!("arguments must be an object");
    };
    client
        .call_tool(CallToolRequestParams::new(name.to_owned()).with_arguments(args))
        .await
}

async fn call<H: ClientHandler>(
    client: &RunningService<RoleClient, H>,
    name: &str,
    args: Value,
) -> CallToolResult {
    try_call(client, name, args).await.expect(name)
}

fn texts(result: &CallToolResult) -> Vec<&str> {
    result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|t| t.text.as_str()))
        .collect()
}

#[tokio::test]
async fn initialize_reports_name_version_and_list_changed() {
    let client = connect(
        DemoOptions {
            name: "playground".to_owned(),
            ..DemoOptions::default()
        },
        (),
    )
    .await;
    let info = client.peer_info().expect("server info");
    let server_info = info.server_info.as_ref().expect("serverInfo");
    assert_eq!(server_info.name, "playground");
    assert_eq!(server_info.version, env!("CARGO_PKG_VERSION"));
    let tools = info.capabilities.tools.as_ref().expect("tools capability");
    assert_eq!(tools.list_changed, Some(true));
}

#[tokio::test]
async fn lists_demo_tools_without_faults() {
    let client = connect(opts(false), ()).await;
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, DEMO_TOOLS);
    let read_only = |name: &str| {
        tools
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| t.annotations.as_ref())
            .and_then(|a| a.read_only_hint)
    };
    for name in [
        "echo",
        "add",
        "word_stats",
        "tiny_image",
        "sleep",
        "notes_list",
        "notes_search",
    ] {
        assert_eq!(read_only(name), Some(true), "{name}");
    }
    let notes_add = tools.iter().find(|t| t.name == "notes_add").unwrap();
    let annotations = notes_add.annotations.as_ref().unwrap();
    assert_eq!(annotations.read_only_hint, Some(false));
    assert_eq!(annotations.destructive_hint, Some(false));
    for name in ["add", "word_stats"] {
        let tool = tools.iter().find(|t| t.name == name).unwrap();
        assert!(tool.output_schema.is_some(), "{name} has an outputSchema");
    }
}

#[tokio::test]
async fn lists_fault_tools_with_faults() {
    let client = connect(opts(true), ()).await;
    let names: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    let expected: Vec<&str> = DEMO_TOOLS
        .iter()
        .chain(FAULT_TOOLS.iter())
        .copied()
        .collect();
    assert_eq!(names, expected);
    assert_eq!(names.len(), 22);
}

#[tokio::test]
async fn echo_and_odd_names() {
    let client = connect(opts(true), ()).await;
    for name in ["echo", "echo-tool", "class", "größe"] {
        let result = call(&client, name, json!({"text": "héllo"})).await;
        assert_eq!(texts(&result), ["héllo"], "{name}");
        assert_eq!(result.is_error, Some(false));
    }
}

#[tokio::test]
async fn add_returns_structured_content_and_json_text() {
    let client = connect(opts(false), ()).await;
    let result = call(&client, "add", json!({"a": 2, "b": 3})).await;
    assert_eq!(result.structured_content, Some(json!({"result": 5})));
    assert_eq!(texts(&result), [r#"{"result":5}"#]);
    let result = call(&client, "add", json!({"a": 0.5, "b": 2})).await;
    assert_eq!(result.structured_content, Some(json!({"result": 2.5})));
}

#[tokio::test]
async fn wrong_argument_type_is_a_tool_error() {
    let client = connect(opts(false), ()).await;
    let result = call(&client, "add", json!({"a": "two", "b": 3})).await;
    assert_eq!(result.is_error, Some(true));
    assert_eq!(
        texts(&result),
        ["invalid arguments for tool `add`: `a` must be a number, got string"]
    );
    let result = call(&client, "echo", json!({})).await;
    assert_eq!(result.is_error, Some(true));
    assert!(texts(&result)[0].contains("`text` is required"));
}

#[tokio::test]
async fn unknown_tool_is_an_invalid_params_error() {
    let client = connect(opts(false), ()).await;
    // Fault tools do not exist without --faults.
    for name in ["nope", "crash"] {
        match try_call(&client, name, json!({})).await {
            Err(ServiceError::McpError(error)) => {
                assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
                assert_eq!(error.message, format!("unknown tool: {name}"));
            }
            other => panic!("expected an MCP error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn word_stats_is_structured() {
    let client = connect(opts(false), ()).await;
    let result = call(&client, "word_stats", json!({"text": "a b a\nc"})).await;
    assert_eq!(
        result.structured_content,
        Some(json!({
            "words": 4, "lines": 2, "chars": 7,
            "top_words": [
                {"word": "a", "count": 2}, {"word": "b", "count": 1}, {"word": "c", "count": 1}
            ]
        }))
    );
}

#[tokio::test]
async fn tiny_image_is_a_png() {
    let client = connect(opts(false), ()).await;
    let result = call(&client, "tiny_image", json!({})).await;
    let image = result.content[0].as_image().expect("image block");
    assert_eq!(image.mime_type, "image/png");
    // base64 of the 8-byte PNG signature plus the IHDR length.
    assert!(image.data.starts_with("iVBORw0KGgoAAAANSUhEUg"));
    assert_eq!(texts(&result).len(), 1);
}

#[tokio::test]
async fn fail_sets_is_error() {
    let client = connect(opts(false), ()).await;
    let result = call(&client, "fail", json!({"message": "boom"})).await;
    assert_eq!(result.is_error, Some(true));
    assert_eq!(texts(&result), ["boom"]);
    let result = call(&client, "fail", json!({})).await;
    assert_eq!(result.is_error, Some(true));
}

#[tokio::test]
async fn notes_pipeline() {
    let client = connect(opts(false), ()).await;
    let added = call(
        &client,
        "notes_add",
        json!({"title": "Groceries", "body": "milk and eggs"}),
    )
    .await;
    assert_eq!(
        added.structured_content,
        Some(json!({"id": 1, "title": "Groceries"}))
    );
    call(
        &client,
        "notes_add",
        json!({"title": "Trip", "body": "Book the train"}),
    )
    .await;
    let listed = call(&client, "notes_list", json!({})).await;
    assert_eq!(listed.structured_content.as_ref().unwrap()["count"], 2);
    let found = call(&client, "notes_search", json!({"query": "TRAIN"})).await;
    assert_eq!(
        found.structured_content,
        Some(json!({"notes": [{"id": 2, "title": "Trip", "body": "Book the train"}], "count": 1}))
    );
}

#[tokio::test]
async fn sleep_runs_in_parallel() {
    let client = connect(opts(false), ()).await;
    let started = Instant::now();
    let (a, b, c) = tokio::join!(
        call(&client, "sleep", json!({"ms": 200})),
        call(&client, "sleep", json!({"ms": 200})),
        call(&client, "sleep", json!({})),
    );
    assert!(started.elapsed() < Duration::from_millis(390));
    assert_eq!(texts(&a), ["slept 200 ms"]);
    assert_eq!(texts(&b), ["slept 200 ms"]);
    assert_eq!(texts(&c), ["slept 100 ms"]);
}

#[tokio::test]
async fn mixed_content_is_lossless() {
    let client = connect(opts(true), ()).await;
    let result = call(&client, "mixed_content", json!({})).await;
    assert_eq!(result.content.len(), 4);
    assert_eq!(texts(&result), ["first text block", "second text block"]);
    assert_eq!(
        result.content[2].as_image().map(|i| i.mime_type.as_str()),
        Some("image/png")
    );
    let resource = result.content[3].as_resource().expect("embedded resource");
    match &resource.resource {
        ResourceContents::TextResourceContents { uri, text, .. } => {
            assert_eq!(uri, "demo://note/1");
            assert!(!text.is_empty());
        }
        other => panic!("expected a text resource, got {other:?}"),
    }
}

#[tokio::test]
async fn structured_only_has_empty_content() {
    let client = connect(opts(true), ()).await;
    let result = call(&client, "structured_only", json!({})).await;
    assert!(result.content.is_empty());
    assert_eq!(
        result.structured_content,
        Some(json!({"items": [1, 2, 3], "total": 3}))
    );
}

#[tokio::test]
async fn big_output_has_the_requested_size() {
    let client = connect(opts(true), ()).await;
    let result = call(&client, "big_output", json!({"bytes": 1_000_000})).await;
    let text = texts(&result);
    assert_eq!(text.len(), 1);
    assert_eq!(text[0].len(), 1_000_000);
    assert!(text[0].starts_with("0123456789abcdef\n0123"));
    let result = call(&client, "big_output", json!({})).await;
    assert_eq!(texts(&result)[0].len(), 10 * 1024 * 1024);
}

#[tokio::test]
async fn stderr_spam_of_zero_lines_is_ok() {
    let client = connect(opts(true), ()).await;
    let result = call(&client, "stderr_spam", json!({"lines": 0})).await;
    assert_eq!(texts(&result), ["ok"]);
}

#[tokio::test]
async fn hang_never_answers_and_the_session_survives() {
    let client = connect(opts(true), ()).await;
    let hung = tokio::time::timeout(
        Duration::from_millis(150),
        try_call(&client, "hang", json!({})),
    )
    .await;
    assert!(hung.is_err(), "hang answered: {hung:?}");
    let result = call(&client, "echo", json!({"text": "still here"})).await;
    assert_eq!(texts(&result), ["still here"]);
}

/// A client that forwards `notifications/tools/list_changed` to a channel.
struct ListChangedWatcher(mpsc::UnboundedSender<()>);

impl ClientHandler for ListChangedWatcher {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.0.send(());
    }
}

#[tokio::test]
async fn change_tools_adds_a_tool_and_notifies() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let client = connect(opts(true), ListChangedWatcher(tx)).await;
    let before = client.list_all_tools().await.unwrap().len();

    let result = call(&client, "change_tools", json!({"name": "new-tool"})).await;
    assert_eq!(texts(&result), ["added new-tool"]);
    tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .expect("list_changed notification")
        .expect("channel open");

    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), before + 1);
    assert_eq!(tools.last().map(|t| t.name.as_ref()), Some("new-tool"));
    let echoed = call(&client, "new-tool", json!({"text": "fresh"})).await;
    assert_eq!(texts(&echoed), ["fresh"]);

    let again = call(&client, "change_tools", json!({"name": "echo"})).await;
    assert_eq!(again.is_error, Some(true));
}
