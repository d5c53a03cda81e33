//! Legacy HTTP+SSE client transport (MCP protocol 2024-11-05), as a [`Transport<RoleClient>`].
//!
//! rmcp dropped its own legacy SSE client; servers that still speak it open an event stream with
//! `GET`, name a per-session `POST` endpoint in the stream's first `endpoint` event, and answer
//! every `POST` on the stream. [`SseClientTransport`] does exactly that over reqwest:
//!
//! 1. [`SseClientTransport::connect`] sends the `GET` and waits for the `endpoint` event, so a
//!    wrong URL, a refused connection or a `401` is an error before rmcp starts its handshake.
//! 2. Each `message` event is handed to the [`RawTap`] and then parsed as one JSON-RPC message;
//!    frames that do not parse are logged and skipped.
//! 3. [`Transport::send`] `POST`s one message to the endpoint; any 2xx is success.
//! 4. When the stream ends or fails, the transport reconnects per [`ReconnectPolicy`]. The server
//!    sees a brand new session, so the transport replays the client's `initialize` request and
//!    `notifications/initialized` before letting further messages through. Requests in flight
//!    when the stream broke get no answer; callers need their own request timeouts.
//!
//! Header values are secrets as far as this module is concerned: it never logs them, and URLs in
//! errors and logs lose their query string and credentials.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::{StreamExt, stream::BoxStream};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use reqwest::Url;
use rmcp::{
    RoleClient,
    model::{ClientJsonRpcMessage, ClientRequest, JsonRpcMessage, RequestId, ServerJsonRpcMessage},
    transport::Transport,
};
use serde_json::Value;
use sse_stream::{Sse, SseStream};
use tokio::{sync::mpsc, sync::watch, task::JoinHandle, time::Instant};
use tokio_util::sync::CancellationToken;

use super::RawTap;

/// Default bound on the `GET` answering and delivering its `endpoint` event (also bounds how long
/// a message waits for an endpoint while the transport reconnects).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default bound on one `POST`; legacy servers answer `202 Accepted` before doing the work.
pub const DEFAULT_POST_TIMEOUT: Duration = Duration::from_secs(30);
/// A stream that stayed up this long (or delivered a message) resets the reconnect budget, so a
/// server that accepts and immediately drops the stream cannot make us reconnect forever.
const STABLE_STREAM: Duration = Duration::from_secs(10);
/// Messages buffered between the stream reader and rmcp.
const INBOX_CAPACITY: usize = 256;
/// Characters of a bad frame or an error body kept in logs and errors.
const PREVIEW_CHARS: usize = 200;
/// How long we wait for an error response's body before reporting the status alone.
const ERROR_BODY_WAIT: Duration = Duration::from_secs(1);
/// Id of the `initialize` request replayed after a reconnect; its response never reaches rmcp.
const REINIT_ID: &str = "mcpscript-sse-reinitialize";

/// The largest event accepted, as rmcp bounds one Streamable HTTP message: a server that sends
/// more without ending the event breaks the stream (and the transport reconnects) instead of
/// filling memory.
const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

type Events = BoxStream<'static, Result<Sse, sse_stream::Error>>;

/// Why the event stream's body failed.
#[derive(Debug, thiserror::Error)]
enum BodyError {
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    #[error("an event grew past {} MiB without ending", .0 >> 20)]
    EventTooLarge(usize),
}

/// Counts the bytes of the event being received, across chunks: an event ends at a blank line
/// (`\n\n`, `\r\n\r\n` or `\r\r`).
#[derive(Debug, Default)]
struct EventSize {
    /// Bytes since the last event boundary.
    event: usize,
    /// Bytes of the current line.
    line: usize,
    /// The last byte was `\r` (so a `\n` now only completes that line end).
    cr: bool,
}

impl EventSize {
    /// Feeds `chunk`; false once the current event is over `limit` bytes.
    fn feed(&mut self, chunk: &[u8], limit: usize) -> bool {
        for &b in chunk {
            self.event += 1;
            match b {
                // The `\n` of a `\r\n`: the line ended at the `\r`.
                b'\n' if self.cr => {
                    self.cr = false;
                    self.event -= 1;
                }
                b'\n' | b'\r' => {
                    self.cr = b == b'\r';
                    if self.line == 0 {
                        self.event = 0;
                    }
                    self.line = 0;
                }
                _ => {
                    self.cr = false;
                    self.line += 1;
                }
            }
        }
        self.event <= limit
    }
}

/// The response body as SSE events, each bounded by `limit` bytes.
fn events(response: reqwest::Response, limit: usize) -> Events {
    let mut size = EventSize::default();
    let mut over = false;
    let body = response.bytes_stream().map(move |chunk| {
        let chunk = chunk?;
        if over || !size.feed(&chunk, limit) {
            over = true;
            return Err(BodyError::EventTooLarge(limit));
        }
        Ok(chunk)
    });
    // After the error the body is not polled again: sse_stream ends the stream on it.
    SseStream::from_bytes_stream(body).boxed()
}

/// How the transport retries after the event stream ends or fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// Consecutive failed reconnect attempts before the transport gives up (0: never reconnect).
    pub max_attempts: u32,
    /// Delay before the first attempt; it doubles with each further attempt.
    pub initial_backoff: Duration,
    /// Upper bound of the delay between attempts.
    pub max_backoff: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl ReconnectPolicy {
    /// The delay before reconnect attempt `attempt` (counted from 1).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Where and how to reach a legacy SSE server.
#[derive(Clone)]
pub struct SseClientConfig {
    /// The event stream URL (`GET`), e.g. `http://127.0.0.1:3001/sse`.
    pub url: Url,
    /// Headers sent with the `GET` and with every `POST` (e.g. `Authorization`); never logged.
    pub headers: HeaderMap,
    /// Bound on connecting and receiving the `endpoint` event; see [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
    /// Bound on one `POST`; see [`DEFAULT_POST_TIMEOUT`].
    pub post_timeout: Duration,
    /// What to do when the event stream breaks.
    pub reconnect: ReconnectPolicy,
}

impl SseClientConfig {
    /// A config for `url` with no extra headers and default timeouts and reconnect policy.
    pub fn new(url: Url) -> Self {
        Self {
            url,
            headers: HeaderMap::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            post_timeout: DEFAULT_POST_TIMEOUT,
            reconnect: ReconnectPolicy::default(),
        }
    }

    /// Adds a header to every request; the value is marked sensitive so it never shows in `Debug`.
    pub fn with_header(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        value.set_sensitive(true);
        self.headers.append(name, value);
        self
    }
}

impl std::fmt::Debug for SseClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseClientConfig")
            .field("url", &shown(&self.url))
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("connect_timeout", &self.connect_timeout)
            .field("post_timeout", &self.post_timeout)
            .field("reconnect", &self.reconnect)
            .finish()
    }
}

/// Why the legacy SSE transport could not connect or deliver a message.
///
/// URLs are shown without query string or credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SseTransportError {
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {}", chain(.0))]
    Client(reqwest::Error),
    /// A request failed before any response (refused, reset, timed out).
    #[error("{method} {url} failed: {}", chain(.error))]
    Request {
        /// `GET` (the event stream) or `POST` (a message).
        method: &'static str,
        /// The URL requested.
        url: String,
        /// The underlying error, without the URL (its causes are part of this error's message).
        error: reqwest::Error,
    },
    /// A request answered with a non-2xx status.
    #[error("{method} {url} answered HTTP {status}{}: {body}", auth_hint(*.status))]
    Status {
        /// `GET` (the event stream) or `POST` (a message).
        method: &'static str,
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: StatusCode,
        /// The start of the response body.
        body: String,
    },
    /// The stream did not deliver what was expected in time (its `endpoint`, or the answer to
    /// a replayed `initialize`).
    #[error("{url} sent no {what} within {timeout:?}")]
    Timeout {
        /// The event stream URL.
        url: String,
        /// What was awaited.
        what: &'static str,
        /// The bound that expired.
        timeout: Duration,
    },
    /// The stream broke the protocol: it ended early, sent a bad `endpoint`, or rejected the
    /// replayed `initialize`.
    #[error("{url}: {reason}")]
    Protocol {
        /// The event stream URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A message could not be serialized.
    #[error("cannot serialize a message: {0}")]
    Serialize(#[source] serde_json::Error),
    /// The transport was closed, or gave up reconnecting.
    #[error("the SSE connection to {url} is closed: {reason}")]
    Closed {
        /// The event stream URL.
        url: String,
        /// Why it closed.
        reason: String,
    },
}

fn auth_hint(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            " (hint: check the headers configured for this server, e.g. Authorization)"
        }
        _ => "",
    }
}

/// A client connection to a legacy HTTP+SSE MCP server; hand it to rmcp's `serve`.
pub struct SseClientTransport {
    inbox: mpsc::Receiver<ServerJsonRpcMessage>,
    link: Arc<Link>,
    reader: Option<JoinHandle<()>>,
}

/// What both the stream reader and the `send` futures need.
struct Link {
    http: reqwest::Client,
    config: SseClientConfig,
    endpoint: watch::Sender<Endpoint>,
    /// The client's last `initialize` request, replayed on a new session.
    initialize: Mutex<Option<Value>>,
    cancel: CancellationToken,
}

#[derive(Clone, Debug)]
enum Endpoint {
    /// Reconnecting; messages wait.
    Pending,
    Ready(Url),
    Closed(Arc<str>),
}

impl SseClientTransport {
    /// Opens the event stream and waits for its `endpoint` event, bounded by the connect timeout.
    pub async fn connect(config: SseClientConfig, tap: RawTap) -> Result<Self, SseTransportError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(SseTransportError::Client)?;
        let (events, endpoint) = open(&http, &config).await?;
        tracing::debug!(url = %shown(&config.url), endpoint = %shown(&endpoint), "SSE stream open");
        let link = Arc::new(Link {
            http,
            config,
            endpoint: watch::Sender::new(Endpoint::Ready(endpoint)),
            initialize: Mutex::new(None),
            cancel: CancellationToken::new(),
        });
        let (tx, inbox) = mpsc::channel(INBOX_CAPACITY);
        let reader = tokio::spawn({
            let link = link.clone();
            async move {
                tokio::select! {
                    () = link.cancel.cancelled() => {}
                    () = read_forever(&link, events, tx, tap) => {}
                }
            }
        });
        Ok(Self {
            inbox,
            link,
            reader: Some(reader),
        })
    }
}

impl Transport<RoleClient> for SseClientTransport {
    type Error = SseTransportError;

    fn send(
        &mut self,
        item: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let link = self.link.clone();
        let is_initialize = matches!(
            &item,
            JsonRpcMessage::Request(r) if matches!(r.request, ClientRequest::InitializeRequest(_))
        );
        let body = serde_json::to_value(&item);
        async move {
            let body = body.map_err(SseTransportError::Serialize)?;
            if is_initialize && let Ok(mut kept) = link.initialize.lock() {
                *kept = Some(body.clone());
            }
            let endpoint = link.endpoint().await?;
            link.post(&endpoint, &body).await
        }
    }

    async fn receive(&mut self) -> Option<ServerJsonRpcMessage> {
        self.inbox.recv().await
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.link.shut("closed by the client".into());
        if let Some(reader) = self.reader.take() {
            // The reader only ever returns; a join error would mean it panicked, already reported.
            let _ = reader.await;
        }
        self.inbox.close();
        Ok(())
    }
}

impl Drop for SseClientTransport {
    fn drop(&mut self) {
        self.link.shut("the transport was dropped".into());
    }
}

impl Link {
    fn url(&self) -> String {
        shown(&self.config.url)
    }

    fn shut(&self, reason: Arc<str>) {
        self.cancel.cancel();
        self.endpoint.send_replace(Endpoint::Closed(reason));
    }

    /// The current endpoint, waiting (bounded) while the transport reconnects.
    async fn endpoint(&self) -> Result<Url, SseTransportError> {
        let mut rx = self.endpoint.subscribe();
        let timeout = self.config.connect_timeout;
        let ready = rx.wait_for(|state| !matches!(state, Endpoint::Pending));
        let closed = |reason: &str| SseTransportError::Closed {
            url: self.url(),
            reason: reason.to_string(),
        };
        match tokio::time::timeout(timeout, ready).await {
            Ok(Ok(state)) => match &*state {
                Endpoint::Ready(url) => Ok(url.clone()),
                Endpoint::Closed(reason) => Err(closed(reason)),
                Endpoint::Pending => Err(closed("the transport is gone")),
            },
            // The sender lives in `self`, so it cannot be gone.
            Ok(Err(_)) => Err(closed("the transport is gone")),
            Err(_) => Err(SseTransportError::Timeout {
                url: self.url(),
                what: "`endpoint` while reconnecting",
                timeout,
            }),
        }
    }

    async fn post(&self, endpoint: &Url, body: &Value) -> Result<(), SseTransportError> {
        let request = self
            .http
            .post(endpoint.clone())
            .timeout(self.config.post_timeout)
            .headers(self.config.headers.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .json(body);
        exchange("POST", endpoint, request).await.map(drop)
    }
}

/// Sends a request; a failure or a non-2xx status becomes an error naming the URL.
async fn exchange(
    method: &'static str,
    url: &Url,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, SseTransportError> {
    let response = request
        .send()
        .await
        .map_err(|e| SseTransportError::Request {
            method,
            url: shown(url),
            error: e.without_url(),
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let (url, body) = (shown(url), body_preview(response).await);
    Err(SseTransportError::Status {
        method,
        url,
        status,
        body,
    })
}

/// `GET`s the event stream and reads up to its `endpoint` event.
async fn open(
    http: &reqwest::Client,
    config: &SseClientConfig,
) -> Result<(Events, Url), SseTransportError> {
    let url = &config.url;
    let broken = |reason: String| SseTransportError::Protocol {
        url: shown(url),
        reason: format!("the event stream broke before its `endpoint` event: {reason}"),
    };
    let opening = async {
        let request = http
            .get(url.clone())
            .header(header::ACCEPT, "text/event-stream")
            .headers(config.headers.clone());
        let response = exchange("GET", url, request).await?;
        let mut events = events(response, MAX_EVENT_BYTES);
        while let Some(event) = events.next().await {
            let event = event.map_err(|e| broken(chain(&e)))?;
            if event.event.as_deref() == Some("endpoint") {
                let endpoint = resolve_endpoint(url, event.data.as_deref())?;
                return Ok((events, endpoint));
            }
            tracing::debug!(url = %shown(url), event = ?event.event, "ignoring an event before `endpoint`");
        }
        Err(broken("the stream ended".into()))
    };
    within(config, "`endpoint` event", opening).await
}

/// Bounds `work` by the connect timeout.
async fn within<T>(
    config: &SseClientConfig,
    what: &'static str,
    work: impl Future<Output = Result<T, SseTransportError>>,
) -> Result<T, SseTransportError> {
    let timeout = config.connect_timeout;
    let url = shown(&config.url);
    let timed_out = SseTransportError::Timeout { url, what, timeout };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or(Err(timed_out))
}

/// Resolves an `endpoint` event against the stream URL; refuses other origins, because every
/// `POST` carries the configured (secret) headers.
fn resolve_endpoint(base: &Url, data: Option<&str>) -> Result<Url, SseTransportError> {
    let bad = |reason: String| SseTransportError::Protocol {
        url: shown(base),
        reason: format!("bad `endpoint` event: {reason}"),
    };
    let data = data.map(str::trim).filter(|d| !d.is_empty());
    let data = data.ok_or_else(|| bad("no data".into()))?;
    let endpoint = base.join(data).map_err(|e| bad(format!("`{data}`: {e}")))?;
    if endpoint.origin() != base.origin() {
        let endpoint = shown(&endpoint);
        return Err(bad(format!("`{endpoint}` is not on the stream's origin")));
    }
    Ok(endpoint)
}

/// Relays messages to rmcp and reconnects when the stream breaks, until the budget runs out.
async fn read_forever(
    link: &Link,
    mut events: Events,
    tx: mpsc::Sender<ServerJsonRpcMessage>,
    tap: RawTap,
) {
    let policy = link.config.reconnect;
    let mut failures = 0u32;
    loop {
        let opened = Instant::now();
        let mut delivered = false;
        let mut last_error = loop {
            match next_message(link, &mut events, &tap).await {
                Ok(message) => {
                    if tx.send(message).await.is_err() {
                        return; // rmcp is gone
                    }
                    delivered = true;
                }
                Err(reason) => break reason,
            }
        };
        if delivered || opened.elapsed() >= STABLE_STREAM {
            failures = 0;
        }
        link.endpoint.send_replace(Endpoint::Pending);
        tracing::warn!(url = %link.url(), reason = %last_error, "SSE stream lost; reconnecting");
        events = loop {
            if failures >= policy.max_attempts {
                let reason = format!(
                    "gave up after {failures} reconnect attempts; last error: {last_error}"
                );
                tracing::warn!(url = %link.url(), "{reason}");
                link.endpoint.send_replace(Endpoint::Closed(reason.into()));
                return; // dropping `tx` makes `receive` return None
            }
            failures += 1;
            tokio::time::sleep(policy.backoff(failures)).await;
            match reconnect(link, &tx, &tap).await {
                Ok(fresh) => break fresh,
                Err(error) => {
                    let (attempt, max_attempts) = (failures, policy.max_attempts);
                    tracing::warn!(url = %link.url(), attempt, max_attempts, %error, "SSE reconnect failed");
                    last_error = error.to_string();
                }
            }
        };
    }
}

/// Opens a new session and, if the client had initialized, replays its handshake on it.
async fn reconnect(
    link: &Link,
    tx: &mpsc::Sender<ServerJsonRpcMessage>,
    tap: &RawTap,
) -> Result<Events, SseTransportError> {
    let (mut events, endpoint) = open(&link.http, &link.config).await?;
    let initialize = link.initialize.lock().ok().and_then(|kept| kept.clone());
    if let Some(mut initialize) = initialize {
        initialize["id"] = Value::from(REINIT_ID);
        link.post(&endpoint, &initialize).await?;
        let reinit = RequestId::String(REINIT_ID.into());
        let protocol = |reason: String| SseTransportError::Protocol {
            url: link.url(),
            reason,
        };
        let answered = async {
            loop {
                match next_message(link, &mut events, tap)
                    .await
                    .map_err(protocol)?
                {
                    JsonRpcMessage::Response(r) if r.id == reinit => return Ok(()),
                    JsonRpcMessage::Error(e) if e.id.as_ref() == Some(&reinit) => {
                        let message = e.error.message;
                        return Err(protocol(format!(
                            "the replayed `initialize` failed: {message}"
                        )));
                    }
                    // Best effort: if rmcp is gone the reader stops at its next message.
                    other => drop(tx.send(other).await),
                }
            }
        };
        within(
            &link.config,
            "answer to the replayed `initialize`",
            answered,
        )
        .await?;
        let initialized =
            serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        link.post(&endpoint, &initialized).await?;
    }
    tracing::warn!(url = %link.url(), endpoint = %shown(&endpoint), "SSE stream reconnected with a new session");
    link.endpoint.send_replace(Endpoint::Ready(endpoint));
    Ok(events)
}

/// The next JSON-RPC message on the stream, or why the stream ended.
async fn next_message(
    link: &Link,
    events: &mut Events,
    tap: &RawTap,
) -> Result<ServerJsonRpcMessage, String> {
    loop {
        let event = match events.next().await {
            Some(Ok(event)) => event,
            Some(Err(error)) => return Err(chain(&error)),
            None => return Err("the server ended the stream".into()),
        };
        if !matches!(event.event.as_deref(), None | Some("message")) {
            tracing::debug!(url = %link.url(), event = ?event.event, "ignoring an SSE event");
            continue;
        }
        let Some(data) = event.data else { continue };
        tap.observe_str(&data);
        match serde_json::from_str(&data) {
            Ok(message) => return Ok(message),
            Err(error) => {
                let frame = preview(&data);
                tracing::warn!(url = %link.url(), %error, %frame, "skipping an SSE message that is not JSON-RPC");
            }
        }
    }
}

/// The start of an error response's body, without waiting long for a slow one.
async fn body_preview(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    let reading = async {
        while body.len() < 4 * PREVIEW_CHARS {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(ERROR_BODY_WAIT, reading).await;
    match preview(&String::from_utf8_lossy(&body)) {
        text if text.is_empty() => "<empty body>".into(),
        text => text,
    }
}

fn preview(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(PREVIEW_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// An error and its causes on one line: reqwest's own message ("error sending request") hides
/// the useful part ("Connection refused") in its sources.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text = format!("{text}: {inner_text}");
        }
        cause = inner.source();
    }
    text
}

/// A URL fit for logs and errors: no credentials, query or fragment.
fn shown(url: &Url) -> String {
    let mut url = url.clone();
    // Both fail only for URLs that cannot carry credentials, which then have none to hide.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = ReconnectPolicy::default();
        let delays: Vec<_> = (1..=7).map(|a| policy.backoff(a).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 2000, 2000]);
        assert_eq!(policy.backoff(200), Duration::from_secs(2));
    }

    #[test]
    fn endpoint_resolves_relative_and_absolute_on_the_same_origin_only() {
        let base = Url::parse("http://127.0.0.1:3001/sse?token=s3cret").unwrap();
        let resolve = |data| resolve_endpoint(&base, Some(data)).map(String::from);
        let relative = resolve("/message?sessionId=a b").unwrap();
        assert_eq!(relative, "http://127.0.0.1:3001/message?sessionId=a%20b");
        let absolute = resolve("http://127.0.0.1:3001/m?s=1").unwrap();
        assert_eq!(absolute, "http://127.0.0.1:3001/m?s=1");
        let foreign = resolve("http://evil.example/m").unwrap_err().to_string();
        assert!(foreign.contains("not on the stream's origin") && !foreign.contains("s3cret"));
        assert!(resolve_endpoint(&base, None).is_err());
    }

    #[test]
    fn event_size_resets_at_blank_lines_across_chunks() {
        let mut size = EventSize::default();
        // 8-byte limit; the blank line is split over chunks each time.
        assert!(size.feed(b"data: 1\n", 8));
        assert!(size.feed(b"\n", 8));
        assert!(size.feed(b"data: 2\r\n\r", 8));
        assert!(size.feed(b"\n", 8));
        assert_eq!(size.event, 0);
        assert!(size.feed(b"data\r\rdata\r\r", 8));
        // A long event without a blank line, over a few chunks.
        assert!(size.feed(b"data: 12\n", 16));
        assert!(!size.feed(b"data: 34567\n", 16));
        // Lines end, but no blank line: still one event.
        let mut size = EventSize::default();
        for _ in 0..10 {
            size.feed(b"data: x\n", 1000);
        }
        assert_eq!(size.event, 80);
    }

    #[tokio::test]
    async fn an_endless_event_breaks_the_stream() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await.unwrap();
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n";
            socket.write_all(head.as_bytes()).await.unwrap();
            socket
                .write_all(b"event: ping\ndata: ok\n\ndata: ")
                .await
                .unwrap();
            let line = vec![b'x'; 4096];
            // Until the client hangs up.
            while socket.write_all(&line).await.is_ok() {}
        });
        let response = reqwest::get(format!("http://{addr}/sse")).await.unwrap();
        let mut stream = events(response, 64 * 1024);
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first.data.as_deref(), Some("ok"));
        let error = stream.next().await.unwrap().unwrap_err();
        assert!(chain(&error).contains("grew past"), "{}", chain(&error));
        drop(stream);
        server.await.unwrap();
    }

    #[test]
    fn secrets_stay_out_of_logs_and_previews_stay_short() {
        let url = Url::parse("https://user:pw@host.example/sse?key=s3cret#x").unwrap();
        assert_eq!(shown(&url), "https://host.example/sse");
        let auth = HeaderValue::from_static("Bearer s3cret");
        let config = SseClientConfig::new(url).with_header(header::AUTHORIZATION, auth);
        let debug = format!("{config:?}");
        assert!(
            debug.contains("authorization") && !debug.contains("s3cret"),
            "{debug}"
        );
        assert_eq!(preview(&"é".repeat(300)).chars().count(), PREVIEW_CHARS + 1);
        assert_eq!(preview("  short \n"), "short");
    }
}
