//! The tapped Streamable HTTP client against an in-process fake server (axum on 127.0.0.1:0):
//! tools keep fields rmcp does not know when `tools/list` is answered over SSE, and the
//! transport's SSE event size limit is still enforced.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::HashMap, convert::Infallible, sync::Arc};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use futures::StreamExt;
use mcpscript_client::{
    Pool,
    transport::{RawTap, http_tap::TappedHttpClient},
};
use mcpscript_config::Config;
use rmcp::{
    model::ClientJsonRpcMessage,
    transport::streamable_http_client::{StreamableHttpClient, StreamableHttpPostResponse},
};
use serde_json::{Value, json};

/// How the fake answers `tools/list`.
#[derive(Clone, Copy)]
enum Answer {
    Sse,
    Json,
}

fn tools_result(id: &Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": {"tools": [
        {"name": "add", "description": "Adds.", "inputSchema": {"type": "object"},
         "execution": {"taskSupport": "forbidden"}, "x-vendor": 7},
        {"name": "echo", "inputSchema": {"type": "object"},
         "execution": {"taskSupport": "optional"}},
    ]}})
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header("mcp-session-id", "s1")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn sse_response(body: &Value) -> Response {
    let frames = vec![
        // A priming event without data, as servers send for resumability.
        Ok::<_, Infallible>(Bytes::from("id: 0\ndata:\n\n")),
        Ok(Bytes::from(format!("event: message\ndata: {body}\n\n"))),
    ];
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header("mcp-session-id", "s1")
        .body(Body::from_stream(futures::stream::iter(frames)))
        .unwrap()
}

async fn on_post(State(answer): State<Answer>, body: Bytes) -> Response {
    let msg: Value = serde_json::from_slice(&body).unwrap();
    let id = msg.get("id").cloned().unwrap_or(Value::Null);
    match msg["method"].as_str().unwrap_or("") {
        "initialize" => {
            let version = msg["params"]["protocolVersion"].clone();
            json_response(
                StatusCode::OK,
                &json!({"jsonrpc": "2.0", "id": id, "result": {
                    "protocolVersion": version,
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "fake", "version": "0"}}}),
            )
        }
        "tools/list" => match answer {
            Answer::Sse => sse_response(&tools_result(&id)),
            Answer::Json => json_response(StatusCode::OK, &tools_result(&id)),
        },
        "tools/call" => sse_response(&json!({"jsonrpc": "2.0", "id": id, "result": {
            "content": [{"type": "text", "text": "5"}]}})),
        method if method.starts_with("notifications/") => StatusCode::ACCEPTED.into_response(),
        _ => json_response(
            StatusCode::BAD_REQUEST,
            &json!({"jsonrpc": "2.0", "id": id,
                    "error": {"code": -32601, "message": "Method not found"}}),
        ),
    }
}

async fn serve(answer: Answer) -> String {
    let app = Router::new()
        .route(
            "/mcp",
            post(on_post)
                .get(|| async { StatusCode::METHOD_NOT_ALLOWED })
                .delete(|| async { StatusCode::OK }),
        )
        .with_state(answer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/mcp")
}

fn pool(url: &str) -> Pool {
    let text = json!({"mcpServers": {"http": {"type": "http", "url": url}}}).to_string();
    let config = Config::parse(&text, std::path::Path::new("/test/mcp.json"), &|_| None).unwrap();
    Pool::new(&config)
}

#[tokio::test]
async fn sse_tools_list_keeps_unknown_fields() {
    let pool = pool(&serve(Answer::Sse).await);
    let tools = pool.list_tools("http").await.unwrap();
    assert_eq!(tools.len(), 2);
    let add = tools.get("add").unwrap();
    assert_eq!(add.raw["execution"]["taskSupport"], "forbidden");
    assert_eq!(add.raw["x-vendor"], 7);
    assert_eq!(
        tools.get("echo").unwrap().raw["execution"]["taskSupport"],
        "optional"
    );

    let result = pool.call_tool("http", "add", None, None).await.unwrap();
    assert_eq!(result.content.len(), 1);
    pool.shutdown().await;
}

#[tokio::test]
async fn json_tools_list_falls_back_to_the_typed_form() {
    let pool = pool(&serve(Answer::Json).await);
    let tools = pool.list_tools("http").await.unwrap();
    assert_eq!(tools.len(), 2);
    let add = tools.get("add").unwrap();
    assert_eq!(add.raw["name"], "add");
    assert_eq!(add.raw["description"], "Adds.");
    // The body was parsed before the tap could see it: unknown fields are gone.
    assert!(add.raw.get("execution").is_none());
    pool.shutdown().await;
}

fn tools_list_request() -> ClientJsonRpcMessage {
    serde_json::from_value(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).unwrap()
}

#[tokio::test]
async fn client_taps_sse_events_and_keeps_the_event_size_limit() {
    let url: Arc<str> = serve(Answer::Sse).await.into();
    let tap = RawTap::default();
    let client = TappedHttpClient::new(reqwest::Client::new(), tap.clone());

    tap.arm();
    let response = client
        .post_message_with_max_sse_event_size(
            url.clone(),
            tools_list_request(),
            None,
            None,
            HashMap::new(),
            1 << 20,
        )
        .await
        .unwrap();
    let StreamableHttpPostResponse::Sse(events, session) = response else {
        panic!("expected an SSE response, got {response:?}");
    };
    assert_eq!(session.as_deref(), Some("s1"));
    let events: Vec<_> = events.collect().await;
    assert_eq!(events.len(), 2);
    let last = events[1].as_ref().unwrap();
    assert_eq!(
        last.data.as_deref(),
        Some(tools_result(&json!(1)).to_string().as_str())
    );
    let tools = tap.take_tools();
    assert_eq!(tools.len(), 2);
    assert_eq!(tools[0]["x-vendor"], 7);

    // A disarmed tap sees nothing.
    let response = client
        .post_message(
            url.clone(),
            tools_list_request(),
            None,
            None,
            HashMap::new(),
        )
        .await
        .unwrap();
    let StreamableHttpPostResponse::Sse(events, _) = response else {
        panic!("expected an SSE response");
    };
    assert!(events.all(|e| async move { e.is_ok() }).await);
    assert!(tap.take_tools().is_empty());

    // The inner client's limit still applies: the tools event is larger than 64 bytes.
    tap.arm();
    let response = client
        .post_message_with_max_sse_event_size(
            url,
            tools_list_request(),
            None,
            None,
            HashMap::new(),
            64,
        )
        .await;
    let failed = match response {
        Ok(StreamableHttpPostResponse::Sse(events, _)) => {
            events.any(|e| async move { e.is_err() }).await
        }
        Ok(other) => panic!("unexpected response {other:?}"),
        Err(_) => true,
    };
    assert!(failed, "the 64-byte SSE event limit was not enforced");
    assert!(tap.take_tools().is_empty());
}
