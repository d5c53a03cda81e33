//! The legacy SSE transport against an in-process legacy SSE server (axum on 127.0.0.1:0).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use futures::StreamExt;
use mcpscript_client::transport::{
    RawTap,
    sse::{ReconnectPolicy, SseClientConfig, SseClientTransport, SseTransportError},
};
use reqwest::Url;
use rmcp::{
    ServiceExt,
    model::{CallToolRequestParams, ClientJsonRpcMessage},
    service::QuitReason,
    transport::Transport,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const KEY: &str = "x-api-key";
const SECRET: &str = "s3cret-value";

/// A minimal 2024-11-05 server: `GET /sse` opens a session, `POST /message?sessionId=` answers on it.
#[derive(Default)]
struct Fake {
    sessions: Mutex<HashMap<String, mpsc::UnboundedSender<String>>>,
    /// (session, method) of every POST, in order.
    posts: Mutex<Vec<(String, String)>>,
    /// The `x-api-key` header of every request ("GET"/"POST", value).
    keys: Mutex<Vec<(&'static str, Option<String>)>>,
    gets: Mutex<usize>,
    /// Answer further GETs with 503.
    refuse: Mutex<bool>,
    /// Answer GETs without the key with 401.
    require_key: bool,
}

impl Fake {
    fn drop_streams(&self) {
        self.sessions.lock().unwrap().clear();
    }
    fn methods_of(&self, session: &str) -> Vec<String> {
        let posts = self.posts.lock().unwrap();
        posts
            .iter()
            .filter(|(s, _)| s == session)
            .map(|(_, m)| m.clone())
            .collect()
    }
}

fn key_of(headers: &HeaderMap) -> Option<String> {
    headers.get(KEY).map(|v| v.to_str().unwrap().to_string())
}

async fn sse(State(fake): State<Arc<Fake>>, headers: HeaderMap) -> Response {
    fake.keys.lock().unwrap().push(("GET", key_of(&headers)));
    if fake.require_key && key_of(&headers).is_none() {
        return (StatusCode::UNAUTHORIZED, "missing API key").into_response();
    }
    if *fake.refuse.lock().unwrap() {
        return (StatusCode::SERVICE_UNAVAILABLE, "going away").into_response();
    }
    let session = {
        let mut gets = fake.gets.lock().unwrap();
        *gets += 1;
        format!("s{gets}")
    };
    let (tx, rx) = mpsc::unbounded_channel::<String>();
    fake.sessions.lock().unwrap().insert(session.clone(), tx);
    let first = format!("event: endpoint\ndata: /message?sessionId={session}\n\n");
    let rest = tokio_stream_from(rx).map(|data| format!("event: message\ndata: {data}\n\n"));
    let body = futures::stream::once(async move { first })
        .chain(rest)
        .map(|s| Ok::<_, Infallible>(Bytes::from(s)));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(body))
        .unwrap()
}

fn tokio_stream_from(
    mut rx: mpsc::UnboundedReceiver<String>,
) -> impl futures::Stream<Item = String> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

async fn message(
    State(fake): State<Arc<Fake>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.keys.lock().unwrap().push(("POST", key_of(&headers)));
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let session = uri
        .query()
        .unwrap_or_default()
        .trim_start_matches("sessionId=")
        .to_string();
    let Some(stream) = fake.sessions.lock().unwrap().get(&session).cloned() else {
        return (StatusCode::NOT_FOUND, "unknown session").into_response();
    };
    let msg: Value = serde_json::from_slice(&body).unwrap();
    let method = msg["method"].as_str().unwrap_or("<response>").to_string();
    fake.posts.lock().unwrap().push((session, method.clone()));
    if let Some(id) = msg.get("id").filter(|_| msg.get("method").is_some()) {
        let result = match method.as_str() {
            "initialize" => json!({
                "protocolVersion": "2024-11-05",
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "fake-legacy", "version": "0.0.0"}
            }),
            "tools/list" => json!({"tools": [{
                "name": "echo",
                "inputSchema": {"type": "object"},
                "execution": {"taskSupport": "optional"}
            }]}),
            "tools/call" => {
                // A frame that is not JSON-RPC must be skipped, not kill the connection.
                stream.send("this is not json".into()).unwrap();
                json!({"content": [{"type": "text", "text": "echoed"}]})
            }
            _ => json!({}),
        };
        let answer = json!({"jsonrpc": "2.0", "id": id, "result": result});
        let _ = stream.send(answer.to_string());
    }
    (StatusCode::ACCEPTED, "Accepted").into_response()
}

async fn start(fake: Fake) -> (Arc<Fake>, Url) {
    let fake = Arc::new(fake);
    let app = Router::new()
        .route("/sse", get(sse))
        .route("/message", post(message))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, Url::parse(&format!("http://{addr}/sse")).unwrap())
}

fn config(url: Url) -> SseClientConfig {
    let mut config =
        SseClientConfig::new(url).with_header(KEY.parse().unwrap(), SECRET.parse().unwrap());
    config.connect_timeout = Duration::from_secs(2);
    config.reconnect = ReconnectPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
    };
    config
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn initialize_and_list_tools_round_trip_with_headers_and_raw_tap() {
    let (fake, url) = start(Fake::default()).await;
    let tap = RawTap::default();
    let transport = SseClientTransport::connect(config(url), tap.clone())
        .await
        .unwrap();
    let client = ().serve(transport).await.unwrap();
    assert_eq!(
        client
            .peer_info()
            .unwrap()
            .server_info
            .as_ref()
            .unwrap()
            .name,
        "fake-legacy"
    );

    let tools = client.list_tools(None).await.unwrap();
    assert_eq!(tools.tools.len(), 1);
    assert_eq!(tools.tools[0].name, "echo");
    let raw = tap.take_tools();
    assert_eq!(raw.len(), 1);
    assert_eq!(raw[0]["execution"]["taskSupport"], "optional");

    let called = client
        .call_tool(CallToolRequestParams::new("echo"))
        .await
        .unwrap();
    assert_eq!(called.content[0].as_text().unwrap().text, "echoed");

    let keys = fake.keys.lock().unwrap().clone();
    assert!(keys.iter().any(|(m, _)| *m == "GET") && keys.iter().any(|(m, _)| *m == "POST"));
    assert!(
        keys.iter().all(|(_, k)| k.as_deref() == Some(SECRET)),
        "{keys:?}"
    );

    let closed = tokio::time::timeout(Duration::from_secs(10), client.cancel()).await;
    assert!(
        matches!(closed, Ok(Ok(QuitReason::Cancelled))),
        "{closed:?}"
    );
}

#[tokio::test]
async fn a_dropped_stream_reconnects_and_replays_initialize() {
    let (fake, url) = start(Fake::default()).await;
    let transport = SseClientTransport::connect(config(url), RawTap::default())
        .await
        .unwrap();
    let client = ().serve(transport).await.unwrap();
    client.list_tools(None).await.unwrap();

    fake.drop_streams();
    wait_until("the new session to be initialized", || {
        fake.methods_of("s2")
            .contains(&"notifications/initialized".to_string())
    })
    .await;
    let tools = client.list_tools(None).await.unwrap();
    assert_eq!(tools.tools[0].name, "echo");
    assert_eq!(
        fake.methods_of("s2"),
        ["initialize", "notifications/initialized", "tools/list"]
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn exhausted_reconnects_close_the_client() {
    let (fake, url) = start(Fake::default()).await;
    let transport = SseClientTransport::connect(config(url), RawTap::default())
        .await
        .unwrap();
    let client = ().serve(transport).await.unwrap();
    client.list_tools(None).await.unwrap();

    *fake.refuse.lock().unwrap() = true;
    fake.drop_streams();
    let quit = tokio::time::timeout(Duration::from_secs(10), client.waiting()).await;
    assert!(matches!(quit, Ok(Ok(QuitReason::Closed))), "{quit:?}");
    // One GET for the connection, then three refused attempts.
    let gets = fake
        .keys
        .lock()
        .unwrap()
        .iter()
        .filter(|(m, _)| *m == "GET")
        .count();
    assert_eq!(gets, 4);
}

#[tokio::test]
async fn sends_after_giving_up_fail_with_the_reason() {
    let (fake, url) = start(Fake::default()).await;
    let mut transport = SseClientTransport::connect(config(url), RawTap::default())
        .await
        .unwrap();
    *fake.refuse.lock().unwrap() = true;
    fake.drop_streams();
    let end = tokio::time::timeout(Duration::from_secs(10), transport.receive()).await;
    assert!(matches!(end, Ok(None)));

    let ping: ClientJsonRpcMessage =
        serde_json::from_value(json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).unwrap();
    let error = transport.send(ping).await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, SseTransportError::Closed { .. }), "{text}");
    assert!(
        text.contains("gave up after 3 reconnect attempts"),
        "{text}"
    );
    assert!(text.contains("503"), "{text}");
    transport.close().await.unwrap();
}

#[tokio::test]
async fn unauthorized_first_get_is_a_clear_error() {
    let (_fake, url) = start(Fake {
        require_key: true,
        ..Fake::default()
    })
    .await;
    let config = SseClientConfig::new(url.clone());
    let error = SseClientTransport::connect(config, RawTap::default())
        .await
        .err()
        .unwrap();
    let text = error.to_string();
    assert!(
        matches!(error, SseTransportError::Status { method: "GET", .. }),
        "{text}"
    );
    assert!(text.contains(url.as_str()), "{text}");
    assert!(text.contains("401 Unauthorized"), "{text}");
    assert!(text.contains("missing API key"), "{text}");
    assert!(text.contains("hint:"), "{text}");
}

#[tokio::test]
async fn a_refused_connection_is_a_clear_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = Url::parse(&format!("http://{}/sse", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    let started = std::time::Instant::now();
    let error = SseClientTransport::connect(config(url.clone()), RawTap::default())
        .await
        .err()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let text = error.to_string();
    assert!(
        matches!(error, SseTransportError::Request { method: "GET", .. }),
        "{text}"
    );
    assert!(text.contains(url.as_str()), "{text}");
}
