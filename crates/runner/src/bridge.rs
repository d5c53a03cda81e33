//! The host side of the bridge (docs/bridge.md): newline-delimited JSON requests from the
//! script, served concurrently, answered in any order.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcpscript_client::{PoolError, suggest};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::pipe;
use tokio::sync::mpsc;

use crate::ToolHost;

/// One tool call made by the script, for `--json` and the audit log.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CallRecord {
    /// The server.
    pub server: String,
    /// The tool.
    pub tool: String,
    /// Wall time of the call on the host, in milliseconds.
    pub duration_ms: f64,
    /// `ok`, `tool_error` (the tool answered `isError`), the error type raised in the script, or
    /// `cancelled` (the script stopped waiting, or the run ended first; the duration is then the
    /// time until that moment).
    pub outcome: String,
    /// The error message, when the call failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Result samples kept per tool for learning result types.
pub const SAMPLES_PER_TOOL: usize = 8;
/// Results larger than this (as text) are not kept as samples.
const SAMPLE_MAX_BYTES: usize = 256 * 1024;

/// A successful result's data, observed during a run, for learning the tool's result type.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The server.
    pub server: String,
    /// The tool.
    pub tool: String,
    /// `structuredContent`, or the JSON object/array a single text block held.
    pub value: Value,
}

/// The data a result carries, when it has a shape worth learning: `structuredContent`, or the
/// JSON object or array a single text block holds (up to 256 KiB).
pub fn observed_value(result: &mcpscript_client::CallToolResult) -> Option<Value> {
    if let Some(structured) = &result.structured_content {
        return Some(structured.clone());
    }
    if result.raw().is_some() {
        // A block this version cannot read: never a lone text block.
        return None;
    }
    let [mcpscript_client::ContentBlock::Text(text)] = result.content.as_slice() else {
        return None;
    };
    if text.text.len() > SAMPLE_MAX_BYTES {
        return None;
    }
    let trimmed = text.text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str(trimmed).ok()
}

/// What the bridge shares with the run.
pub(crate) struct RunState {
    pub result: Mutex<Option<Value>>,
    pub calls: Mutex<Vec<CallRecord>>,
    pub observations: Mutex<Vec<Observation>>,
    pub audit: Option<Mutex<std::fs::File>>,
    pub script: String,
    pub ends_at: Instant,
}

#[derive(Deserialize)]
struct Request {
    id: Option<u64>,
    op: String,
    server: Option<String>,
    tool: Option<String>,
    arguments: Option<Value>,
    timeout_ms: Option<u64>,
    value: Option<Value>,
    level: Option<String>,
    message: Option<String>,
    /// For `cancel`: the id of the request the script gave up on.
    target: Option<u64>,
}

/// A request's answer: the result already serialized as JSON, or an error object.
type Reply = Result<Vec<u8>, Value>;

fn ok(value: &impl Serialize) -> Reply {
    serde_json::to_vec(value).map_err(|e| bridge_error(format!("cannot encode the result: {e}")))
}

/// One response line. The result is spliced in as already-serialized JSON, so a large tool
/// result is encoded once.
fn frame(id: u64, reply: Reply) -> Vec<u8> {
    match reply {
        Ok(result) => {
            let mut bytes = Vec::with_capacity(result.len() + 32);
            bytes.extend_from_slice(format!("{{\"id\":{id},\"ok\":true,\"result\":").as_bytes());
            bytes.extend_from_slice(&result);
            bytes.extend_from_slice(b"}\n");
            bytes
        }
        Err(error) => {
            let mut bytes = serde_json::to_vec(&json!({"id": id, "ok": false, "error": error}))
                .unwrap_or_default();
            bytes.push(b'\n');
            bytes
        }
    }
}

fn bridge_error(message: impl Into<String>) -> Value {
    json!({"type": "BridgeError", "message": message.into()})
}

/// The script-side error for a pool error (docs/bridge.md's table).
fn error_value(e: &PoolError, server: &str, tool: &str) -> Value {
    let message = e.to_string();
    let hint = e.hint();
    let mut v = match e {
        PoolError::UnknownServer { known, .. } => json!({
            "type": "ToolNotFoundError", "server": server, "tool": tool,
            "suggestions": suggest(server, known.iter().map(String::as_str)),
        }),
        PoolError::ToolNotFound { suggestions, .. } => json!({
            "type": "ToolNotFoundError", "server": server, "tool": tool, "suggestions": suggestions,
        }),
        PoolError::InvalidArguments { errors, .. } => json!({
            "type": "InvalidArgumentsError", "server": server, "tool": tool,
            "errors": errors.iter().map(|e| json!({"path": e.path, "message": e.message})).collect::<Vec<_>>(),
        }),
        PoolError::CallTimeout { timeout, .. } => json!({
            "type": "ToolTimeoutError", "server": server, "tool": tool,
            "timeout_ms": u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        }),
        PoolError::Denied { .. } => json!({"type": "PolicyError", "server": server, "tool": tool}),
        PoolError::Rpc { .. } | PoolError::Protocol { .. } => {
            json!({"type": "ProtocolError", "server": server, "tool": tool})
        }
        PoolError::ShutDown => json!({"type": "BridgeError"}),
        PoolError::Config(_)
        | PoolError::Disabled { .. }
        | PoolError::Spawn { .. }
        | PoolError::StartupTimeout { .. }
        | PoolError::Initialize { .. }
        | PoolError::ServerDied { .. } => json!({
            "type": "ServerUnavailableError", "server": server, "stderr_tail": e.stderr_tail(),
        }),
    };
    if let Value::Object(map) = &mut v {
        map.insert("message".into(), Value::String(message));
        if let Some(h) = hint {
            map.insert("hint".into(), Value::String(h));
        }
    }
    v
}

impl RunState {
    fn observe(&self, server: &str, tool: &str, result: &mcpscript_client::CallToolResult) {
        let Ok(mut seen) = self.observations.lock() else {
            return;
        };
        let kept = seen
            .iter()
            .filter(|o| o.server == server && o.tool == tool)
            .count();
        if kept >= SAMPLES_PER_TOOL {
            return;
        }
        if let Some(value) = observed_value(result) {
            seen.push(Observation {
                server: server.to_owned(),
                tool: tool.to_owned(),
                value,
            });
        }
    }

    fn record(&self, record: CallRecord, arguments: Option<&Value>) {
        if let Some(audit) = &self.audit {
            let ts = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            let line = json!({
                "ts": ts, "script": self.script, "server": record.server, "tool": record.tool,
                "arguments": arguments, "duration_ms": record.duration_ms, "outcome": record.outcome,
                "error": record.error,
            });
            if let Ok(mut file) = audit.lock() {
                use std::io::Write;
                let _ = writeln!(file, "{line}");
            }
        }
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(record);
        }
    }
}

/// A call on its way: records it as `cancelled` when dropped before [`Pending::finish`] (the
/// script gave up on it with a `cancel` frame, or the run ended with it in flight), so every call
/// that was started shows up once in `tool_calls` and the audit log.
struct Pending<'a> {
    state: &'a RunState,
    server: String,
    tool: String,
    arguments: Option<Value>,
    started: Instant,
    /// Says whether the script cancelled the call (else the run ended under it).
    abort: futures::future::AbortHandle,
    finished: bool,
}

impl Pending<'_> {
    fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    fn finish(mut self, outcome: String, error: Option<String>) {
        self.finished = true;
        let duration_ms = self.elapsed_ms();
        self.record(duration_ms, outcome, error);
    }

    fn record(&mut self, duration_ms: f64, outcome: String, error: Option<String>) {
        let (server, tool) = (
            std::mem::take(&mut self.server),
            std::mem::take(&mut self.tool),
        );
        tracing::info!(target: "mcpscript::call", %server, %tool, duration_ms, outcome = %outcome, "tool call");
        self.state.record(
            CallRecord {
                server,
                tool,
                duration_ms,
                outcome,
                error,
            },
            self.arguments.as_ref(),
        );
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let why = if self.abort.is_aborted() {
            "the script stopped waiting for the call"
        } else {
            "the run ended before the call finished"
        };
        let duration_ms = self.elapsed_ms();
        self.record(duration_ms, "cancelled".to_owned(), Some(why.to_owned()));
    }
}

async fn call_tool<H: ToolHost>(
    host: &H,
    state: &RunState,
    req: Request,
    abort: futures::future::AbortHandle,
) -> Reply {
    let (Some(server), Some(tool)) = (req.server, req.tool) else {
        return Err(bridge_error("call_tool needs \"server\" and \"tool\""));
    };
    let arguments = match req.arguments {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map),
        Some(_) => return Err(bridge_error("\"arguments\" must be an object or null")),
    };
    let left = state.ends_at.saturating_duration_since(Instant::now());
    let deadline = req
        .timeout_ms
        .map_or(left, |ms| Duration::from_millis(ms).min(left));
    let pending = Pending {
        state,
        arguments: state.audit.as_ref().map(|_| json!(arguments)),
        server,
        tool,
        started: Instant::now(),
        abort,
        finished: false,
    };
    let outcome = host
        .call_tool(&pending.server, &pending.tool, arguments, Some(deadline))
        .await;
    let (reply, outcome, error) = match outcome {
        Ok(result) => {
            let label = if result.is_error() {
                "tool_error"
            } else {
                "ok"
            };
            if label == "ok" {
                state.observe(&pending.server, &pending.tool, &result);
            }
            // The result as the server sent it when rmcp's types could not hold it all.
            (ok(&result), label.to_owned(), None)
        }
        Err(e) => {
            let v = error_value(&e, &pending.server, &pending.tool);
            let label = v["type"].as_str().unwrap_or("BridgeError").to_owned();
            (Err(v), label, Some(e.to_string()))
        }
    };
    pending.finish(outcome, error);
    reply
}

async fn handle<H: ToolHost>(
    host: &H,
    state: &RunState,
    req: Request,
    abort: futures::future::AbortHandle,
) -> Reply {
    match req.op.as_str() {
        "call_tool" => call_tool(host, state, req, abort).await,
        "list_tools" => {
            let Some(server) = req.server else {
                return Err(bridge_error("list_tools needs \"server\""));
            };
            match host.list_tools(&server).await {
                Ok(tools) => ok(&tools),
                Err(e) => Err(error_value(&e, &server, "")),
            }
        }
        "list_servers" => ok(&host.list_servers()),
        "set_result" => {
            if let Ok(mut r) = state.result.lock() {
                *r = req.value;
            }
            Ok(b"null".to_vec())
        }
        other => Err(bridge_error(format!("unknown op \"{other}\""))),
    }
}

fn log(req: &Request) {
    let message = req.message.as_deref().unwrap_or_default();
    match req.level.as_deref() {
        Some("debug") => tracing::debug!(target: "mcpscript::script", "{message}"),
        Some("warning") => tracing::warn!(target: "mcpscript::script", "{message}"),
        Some("error") => tracing::error!(target: "mcpscript::script", "{message}"),
        _ => tracing::info!(target: "mcpscript::script", "{message}"),
    }
}

/// Serves the bridge until the script closes its end. Dropping the future cancels every call in
/// flight (rmcp then sends `notifications/cancelled`) and records each as `cancelled`.
pub(crate) async fn serve<H: ToolHost>(
    host: Arc<H>,
    state: Arc<RunState>,
    from_child: pipe::Receiver,
    mut to_child: pipe::Sender,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = async move {
        // Answers that are ready together leave in one write (16 calls in flight finish in
        // bursts); a large answer is written on its own.
        let mut batch = Vec::new();
        while let Some(first) = rx.recv().await {
            batch.clear();
            batch.extend_from_slice(&first);
            while batch.len() < 256 * 1024 {
                match rx.try_recv() {
                    Ok(more) => batch.extend_from_slice(&more),
                    Err(_) => break,
                }
            }
            if to_child.write_all(&batch).await.is_err() {
                break;
            }
        }
    };
    let reader = async move {
        let mut lines = BufReader::with_capacity(64 * 1024, from_child);
        let mut line = Vec::new();
        let mut in_flight = futures::stream::FuturesUnordered::new();
        // Abort handles of requests in flight, by id; finished ones report back on `done`.
        let mut aborts: std::collections::HashMap<u64, futures::future::AbortHandle> =
            std::collections::HashMap::new();
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<u64>();
        loop {
            use futures::StreamExt;
            // `read_until` keeps partial input in `line` when the other branch wins, so the
            // buffer is cleared only once a whole line has been taken.
            tokio::select! {
                read = lines.read_until(b'\n', &mut line) => {
                    if !matches!(read, Ok(n) if n > 0) {
                        break;
                    }
                }
                Some(()) = in_flight.next(), if !in_flight.is_empty() => {
                    while let Ok(id) = done_rx.try_recv() {
                        aborts.remove(&id);
                    }
                    continue;
                }
            }
            let parsed = serde_json::from_slice::<Request>(&line);
            let raw_id = || {
                serde_json::from_slice::<Value>(&line)
                    .ok()
                    .and_then(|v| v.get("id").and_then(Value::as_u64))
            };
            let req: Request = match parsed {
                Ok(r) => r,
                Err(e) => {
                    let id = raw_id();
                    line.clear();
                    tracing::warn!("malformed bridge frame: {e}");
                    if let Some(id) = id {
                        let _ = tx.send(frame(
                            id,
                            Err(bridge_error(format!("malformed request: {e}"))),
                        ));
                    }
                    continue;
                }
            };
            line.clear();
            let Some(id) = req.id else {
                match req.op.as_str() {
                    "log" => log(&req),
                    // The script stopped waiting (asyncio cancellation): drop the call, which
                    // frees its concurrency permit and tells the server (notifications/cancelled).
                    "cancel" => {
                        if let Some(abort) = req.target.and_then(|t| aborts.remove(&t)) {
                            abort.abort();
                        }
                    }
                    _ => {}
                }
                continue;
            };
            let (host, state, tx) = (host.clone(), state.clone(), tx.clone());
            let (abort, registration) = futures::future::AbortHandle::new_pair();
            aborts.insert(id, abort.clone());
            let done_tx = done_tx.clone();
            in_flight.push(async move {
                let call = futures::future::Abortable::new(
                    handle(&*host, &state, req, abort),
                    registration,
                );
                if let Ok(reply) = call.await {
                    let _ = tx.send(frame(id, reply));
                }
                let _ = done_tx.send(id);
            });
        }
        // The script closed its end: let calls already in flight finish and answer.
        use futures::StreamExt;
        while in_flight.next().await.is_some() {}
    };
    tokio::join!(reader, writer);
}
