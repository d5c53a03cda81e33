//! One live connection to one server: opening it over the configured transport, its tool list,
//! and turning rmcp's errors into [`PoolError`]s that name the server and say what happened.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcpscript_config::{HttpSpec, ServerSpec, Transport};
use rmcp::ServiceExt;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CancelledNotification, CancelledNotificationParam,
    ClientRequest, ContentBlock, JsonObject, MetaObject, RequestId, ServerResult,
};
use rmcp::service::{Peer, PeerRequestOptions, RoleClient, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{PoolError, suggest};
use crate::handler::PoolClient;
use crate::tools::ToolList;
use crate::transport::RawTap;
use crate::transport::http_tap::TappedHttpClient;
use crate::transport::sse::{SseClientConfig, SseClientTransport};
use crate::transport::stdio::{self, ProcessHandle};
use crate::validate::Validators;

/// How long to wait for a dead server's exit status before reporting without it.
const EXIT_STATUS_WAIT: Duration = Duration::from_millis(300);

/// Facts about an open connection, for `servers check`.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// Negotiated protocol version.
    pub protocol_version: String,
    /// `serverInfo.name`.
    pub server_name: Option<String>,
    /// `serverInfo.version`.
    pub server_version: Option<String>,
    /// The server's `instructions`.
    pub instructions: Option<String>,
    /// Time from start (spawn or first request) to the end of `initialize`.
    pub init_time: Duration,
    /// The process id of a stdio server.
    pub pid: Option<u32>,
}

/// A live connection.
pub struct Connection {
    server: Arc<str>,
    spec: ServerSpec,
    peer: Peer<RoleClient>,
    service: tokio::sync::Mutex<Option<RunningService<RoleClient, PoolClient>>>,
    tools: Mutex<Option<Arc<ToolList>>>,
    refresh: tokio::sync::Mutex<()>,
    tools_stale: Arc<AtomicBool>,
    validators: Validators,
    tap: RawTap,
    process: Option<ProcessHandle>,
    garbage: Arc<Mutex<Option<String>>>,
    /// What was negotiated.
    pub info: ConnectionInfo,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("server", &self.server)
            .field("info", &self.info)
            .finish()
    }
}

impl Connection {
    /// Opens a connection and completes `initialize` within the spec's startup timeout.
    pub(crate) async fn open(spec: &ServerSpec) -> Result<Connection, PoolError> {
        let server: Arc<str> = Arc::from(spec.name.as_str());
        let tools_stale = Arc::new(AtomicBool::new(false));
        let handler = PoolClient {
            server: server.clone(),
            tools_stale: tools_stale.clone(),
        };
        let tap = RawTap::default();
        let started = Instant::now();
        let name = spec.name.clone();
        let spawn_err = |message: String, stderr_tail| PoolError::Spawn {
            server: name.clone(),
            message,
            stderr_tail,
        };
        let (service, process, garbage) = match &spec.transport {
            Transport::Stdio(stdio_spec) => {
                if let Some(cwd) = stdio_spec.cwd.as_ref().filter(|c| !c.is_dir()) {
                    return Err(spawn_err(
                        format!(
                            "its working directory {} does not exist (\"cwd\" in the config)",
                            cwd.display()
                        ),
                        Vec::new(),
                    ));
                }
                let spawned = stdio::spawn(&spec.name, stdio_spec, tap.clone())
                    .map_err(|e| spawn_err(format!("{}: {e}", stdio_spec.command), Vec::new()))?;
                let garbage = spawned.stdout.garbage();
                let process = spawned.process;
                let init = handler.serve((spawned.stdout, spawned.stdin));
                match tokio::time::timeout(spec.startup_timeout, init).await {
                    Ok(Ok(service)) => (service, Some(process), garbage),
                    Ok(Err(e)) => {
                        let status = process.wait_exit(EXIT_STATUS_WAIT).await;
                        let mut message = match status {
                            Some(status) => format!("the process {status} during initialize"),
                            None => e.to_string(),
                        };
                        append_garbage(&mut message, &garbage);
                        process.terminate(Duration::from_millis(200)).await;
                        let stderr_tail = process.settled_stderr(EXIT_STATUS_WAIT).await;
                        return Err(PoolError::Initialize {
                            server: spec.name.clone(),
                            message,
                            stderr_tail,
                        });
                    }
                    Err(_) => {
                        process.terminate(Duration::from_millis(200)).await;
                        let stderr_tail = process.settled_stderr(EXIT_STATUS_WAIT).await;
                        if let Some(line) = garbage.lock().ok().and_then(|g| g.clone()) {
                            return Err(PoolError::Initialize {
                                server: spec.name.clone(),
                                message: format!(
                                    "no valid answer to initialize within {}; the server wrote non-protocol output to stdout: {line}",
                                    crate::error::fmt_duration(spec.startup_timeout)
                                ),
                                stderr_tail,
                            });
                        }
                        return Err(PoolError::StartupTimeout {
                            server: spec.name.clone(),
                            timeout: spec.startup_timeout,
                            stderr_tail,
                        });
                    }
                }
            }
            Transport::Sse(http) => {
                let config = sse_config(http, spec).map_err(|m| spawn_err(m, Vec::new()))?;
                let init = async {
                    let transport = SseClientTransport::connect(config, tap.clone())
                        .await
                        .map_err(|e| spawn_err(e.to_string(), Vec::new()))?;
                    handler
                        .serve(transport)
                        .await
                        .map_err(|e| init_err(spec, e.to_string()))
                };
                let service = tokio::time::timeout(spec.startup_timeout, init)
                    .await
                    .map_err(|_| startup_timeout(spec))??;
                (service, None, Arc::default())
            }
            Transport::StreamableHttp(http) => {
                let client = reqwest::Client::builder()
                    .connect_timeout(spec.startup_timeout)
                    .build()
                    .map_err(|e| {
                        spawn_err(format!("cannot build the HTTP client: {e}"), Vec::new())
                    })?;
                let mut config = StreamableHttpClientTransportConfig::with_uri(http.url.as_str())
                    .custom_headers(header_map(http).map_err(|m| spawn_err(m, Vec::new()))?);
                config.max_concurrent_requests = spec.max_concurrency;
                let transport = StreamableHttpClientTransport::with_client(
                    TappedHttpClient::new(client, tap.clone()),
                    config,
                );
                let service = tokio::time::timeout(spec.startup_timeout, handler.serve(transport))
                    .await
                    .map_err(|_| startup_timeout(spec))?
                    .map_err(|e| init_err(spec, e.to_string()))?;
                (service, None, Arc::default())
            }
        };
        let init_time = started.elapsed();
        let peer_info = service.peer().peer_info();
        let info = ConnectionInfo {
            protocol_version: peer_info
                .as_ref()
                .map(|i| i.protocol_version.to_string())
                .unwrap_or_default(),
            server_name: peer_info
                .as_ref()
                .and_then(|i| i.server_info.as_ref().map(|s| s.name.clone())),
            server_version: peer_info
                .as_ref()
                .and_then(|i| i.server_info.as_ref().map(|s| s.version.clone())),
            instructions: peer_info.as_ref().and_then(|i| i.instructions.clone()),
            init_time,
            pid: process.as_ref().and_then(ProcessHandle::pid),
        };
        tracing::debug!(server = %spec.name, ?init_time, protocol = %info.protocol_version, "connected");
        Ok(Connection {
            server,
            spec: spec.clone(),
            peer: service.peer().clone(),
            service: tokio::sync::Mutex::new(Some(service)),
            tools: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
            tools_stale,
            validators: Validators::default(),
            tap,
            process,
            garbage,
            info,
        })
    }

    /// Whether the connection can still carry calls.
    pub fn is_alive(&self) -> bool {
        !self.peer.is_transport_closed()
            && self
                .process
                .as_ref()
                .is_none_or(|p| p.exit_status().is_none())
    }

    /// The server's tools (after allow/deny), listed once and refreshed after
    /// `notifications/tools/list_changed`.
    pub async fn tools(&self) -> Result<Arc<ToolList>, PoolError> {
        if let Some(cached) = self.cached_tools() {
            return Ok(cached);
        }
        // Boxed: every call checks its arguments through here, and the listing future is large.
        Box::pin(self.list_tools_now()).await
    }

    async fn list_tools_now(&self) -> Result<Arc<ToolList>, PoolError> {
        let _one_at_a_time = self.refresh.lock().await;
        if let Some(cached) = self.cached_tools() {
            return Ok(cached);
        }
        self.tools_stale.store(false, Ordering::Release);
        self.tap.arm();
        let listed = tokio::time::timeout(self.spec.timeout, self.peer.list_all_tools()).await;
        let raw = self.tap.take_tools();
        let typed = match listed {
            Ok(Ok(typed)) => typed,
            Ok(Err(e)) => return Err(self.classify(e, "tools/list", None).await),
            Err(_) => {
                return Err(PoolError::CallTimeout {
                    server: self.spec.name.clone(),
                    tool: "tools/list".into(),
                    timeout: self.spec.timeout,
                });
            }
        };
        // allow/deny entries are exact names: one that matches nothing is most likely a typo or
        // a pattern, so say so (each listing, which is once per connection unless the server
        // changes its list).
        let names: Vec<&str> = typed.iter().map(|t| t.name.as_ref()).collect();
        for message in self.spec.unmatched_policy_entries(&names) {
            tracing::warn!("{message}");
        }
        let list = Arc::new(ToolList::build(typed, raw, |t| self.spec.permits(t)));
        self.validators.clear();
        if let Ok(mut slot) = self.tools.lock() {
            *slot = Some(list.clone());
        }
        Ok(list)
    }

    fn cached_tools(&self) -> Option<Arc<ToolList>> {
        if self.tools_stale.load(Ordering::Acquire) {
            return None;
        }
        self.tools.lock().ok().and_then(|t| t.clone())
    }

    /// Calls a tool, bounded by `timeout`. An `isError` result is `Ok`: it is the tool's answer.
    pub async fn call(
        &self,
        tool: &str,
        arguments: Option<JsonObject>,
        timeout: Duration,
    ) -> Result<CallToolResult, PoolError> {
        let mut params = CallToolRequestParams::new(tool.to_owned());
        params.arguments = arguments;
        // Dropping the request on timeout sends notifications/cancelled (see `send_call`).
        // rmcp's request future is ~5 KB: boxed once here rather than copied each time a
        // caller's future that holds it is moved (into a join, a FuturesUnordered, a task).
        let request = Box::pin(self.send_call(params));
        match tokio::time::timeout(timeout, request).await {
            Ok(Ok(answer)) => self.tool_result(answer, tool),
            Ok(Err(e)) => {
                let operation = format!("tools/call {tool}");
                Err(Box::pin(self.classify(e, &operation, Some(tool))).await)
            }
            Err(_) => Err(PoolError::CallTimeout {
                server: self.spec.name.clone(),
                tool: tool.to_owned(),
                timeout,
            }),
        }
    }

    /// Sends one `tools/call` and returns the server's answer untyped, as rmcp's untagged
    /// [`ServerResult`] holds it: a result that does not fit rmcp's `CallToolResult` (a content
    /// block of a type it does not know) arrives as `CustomResult` instead of failing the call,
    /// as `Peer::call_tool_once` would. Like `call_tool_once`, dropping the future while the
    /// answer is awaited sends `notifications/cancelled`.
    async fn send_call(&self, params: CallToolRequestParams) -> Result<ServerResult, ServiceError> {
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
        let handle = self
            .peer
            .send_request_with_option(request, PeerRequestOptions::no_options())
            .await?;
        let mut guard = CancelOnDrop {
            peer: &self.peer,
            id: Some(handle.id.clone()),
        };
        let answer = handle.await_response().await;
        guard.id = None;
        answer
    }

    /// The tool's answer from the server's `tools/call` response.
    fn tool_result(&self, answer: ServerResult, tool: &str) -> Result<CallToolResult, PoolError> {
        let protocol = |message: String| PoolError::Protocol {
            server: self.spec.name.clone(),
            operation: format!("tools/call {tool}"),
            message,
        };
        match answer {
            ServerResult::CallToolResult(typed) => Ok(typed.into()),
            ServerResult::InputRequiredResult(_) | ServerResult::CreateTaskResult(_) => Err(protocol(
                "the server answered with a task or input-required result, which mcpscript does not support yet".into(),
            )),
            // What rmcp's `call_tool_once` accepts as a result without content.
            ServerResult::EmptyResult(_) => Ok(contentless(None, None)),
            ServerResult::TaskAckResult(ack) => Ok(contentless(Some(ack.result_type), ack.meta)),
            ServerResult::CustomResult(custom) => {
                CallToolResult::from_untyped(custom.0).map_err(protocol)
            }
            _ => Err(protocol(ServiceError::UnexpectedResponse.to_string())),
        }
    }

    /// Turns an rmcp error into ours: a dead transport becomes `ServerDied` with the exit status
    /// and stderr tail; an unknown tool becomes `ToolNotFound` with suggestions.
    async fn classify(&self, e: ServiceError, operation: &str, tool: Option<&str>) -> PoolError {
        let server = self.spec.name.clone();
        match e {
            ServiceError::McpError(err) => {
                if let Some(tool) = tool
                    && let Some(not_found) = Box::pin(self.not_found(tool)).await
                {
                    return not_found;
                }
                PoolError::Rpc {
                    server,
                    operation: operation.to_owned(),
                    code: err.code.0,
                    message: err.message.to_string(),
                }
            }
            ServiceError::Timeout { timeout } => PoolError::CallTimeout {
                server,
                tool: tool.unwrap_or(operation).to_owned(),
                timeout,
            },
            ServiceError::TransportClosed
            | ServiceError::TransportSend(_)
            | ServiceError::Cancelled { .. } => {
                let mut status = match &self.process {
                    Some(p) => match p.wait_exit(EXIT_STATUS_WAIT).await {
                        Some(s) => s,
                        None => "closed the connection".to_owned(),
                    },
                    None => format!("closed the connection ({e})"),
                };
                append_garbage(&mut status, &self.garbage);
                let stderr_tail = match &self.process {
                    Some(p) => p.settled_stderr(EXIT_STATUS_WAIT).await,
                    None => Vec::new(),
                };
                PoolError::ServerDied {
                    server,
                    status,
                    stderr_tail,
                }
            }
            other => PoolError::Protocol {
                server,
                operation: operation.to_owned(),
                message: other.to_string(),
            },
        }
    }

    /// Checks that the tool exists and that `arguments` satisfy its `inputSchema`; lists the
    /// tools first if they are not cached yet.
    pub async fn check_arguments(
        &self,
        tool: &str,
        arguments: &serde_json::Value,
    ) -> Result<(), PoolError> {
        let list = self.tools().await?;
        let Some(info) = list.get(tool) else {
            return Err(PoolError::ToolNotFound {
                server: self.spec.name.clone(),
                tool: tool.to_owned(),
                suggestions: suggest(tool, list.tools.iter().map(|t| t.name())),
            });
        };
        let schema = || serde_json::Value::Object((*info.tool.input_schema).clone());
        let errors = self.validators.check(tool, schema, arguments);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(PoolError::InvalidArguments {
                server: self.spec.name.clone(),
                tool: tool.to_owned(),
                errors,
            })
        }
    }

    async fn not_found(&self, tool: &str) -> Option<PoolError> {
        let list = self.tools().await.ok()?;
        if list.get(tool).is_some() {
            return None;
        }
        Some(PoolError::ToolNotFound {
            server: self.spec.name.clone(),
            tool: tool.to_owned(),
            suggestions: suggest(tool, list.tools.iter().map(|t| t.name())),
        })
    }

    /// The server's last stderr lines (stdio only).
    pub fn stderr_tail(&self) -> Vec<String> {
        self.process
            .as_ref()
            .map(|p| p.stderr.snapshot())
            .unwrap_or_default()
    }

    /// Closes the session and ends the server's process group.
    pub async fn close(&self) {
        if let Some(mut service) = self.service.lock().await.take() {
            let _ = service.close_with_timeout(Duration::from_millis(500)).await;
        }
        if let Some(process) = &self.process {
            process.terminate(Duration::from_millis(1000)).await;
        }
    }
}

/// rmcp's typed tool result.
pub type TypedCallToolResult = rmcp::model::CallToolResult;

/// A tool's answer (`tools/call` result).
///
/// Usually rmcp's typed [`TypedCallToolResult`], which it derefs to. A result rmcp's types cannot
/// hold — a content block of a type added to MCP after this version, or a malformed block — is
/// kept as the server sent it ([`CallToolResult::raw`]): it serializes to that JSON, so every block
/// reaches the script, and its typed view holds only the blocks rmcp can read (with
/// `structuredContent`, `isError` and `_meta` as sent). A typed result keeps only what rmcp's types
/// know: unknown fields of known block types are not kept.
#[derive(Debug, Clone, PartialEq)]
pub struct CallToolResult {
    typed: TypedCallToolResult,
    raw: Option<Value>,
}

impl CallToolResult {
    /// The result from its JSON: the typed form when rmcp's types hold it, else the JSON as is,
    /// when it is still a tool result (an object with a `content` array).
    ///
    /// # Errors
    ///
    /// Says why the value is not a tool result.
    pub fn from_value(value: Value) -> Result<Self, String> {
        match TypedCallToolResult::deserialize(&value) {
            Ok(typed) => Ok(typed.into()),
            Err(_) => Self::from_untyped(value),
        }
    }

    /// A result that did not parse as rmcp's `CallToolResult`: kept raw when it has a `content`
    /// array; a bare `_meta` is an empty result, as rmcp reads it.
    fn from_untyped(value: Value) -> Result<Self, String> {
        let Value::Object(map) = &value else {
            return Err(format!("the answer is not a tool result: {value}"));
        };
        let blocks = match map.get("content") {
            Some(Value::Array(blocks)) => blocks,
            Some(_) => return Err("the answer's \"content\" is not an array".into()),
            None if map.keys().all(|k| k == "_meta") => {
                let meta = match map.get("_meta") {
                    Some(meta) => Some(
                        MetaObject::deserialize(meta)
                            .map_err(|e| format!("the answer's \"_meta\" is invalid: {e}"))?,
                    ),
                    None => None,
                };
                return Ok(contentless(None, meta));
            }
            None => return Err("the answer is not a tool result: it has no \"content\"".into()),
        };
        for (i, block) in blocks.iter().enumerate() {
            if block.get("type").and_then(Value::as_str).is_none() {
                return Err(format!(
                    "the answer's content[{i}] is not a content block (no \"type\")"
                ));
            }
        }
        // The typed view: everything but the content as rmcp reads it, then the blocks it can read.
        let mut rest: JsonObject = map
            .iter()
            .filter(|(k, _)| *k != "content")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        rest.insert("content".into(), Value::Array(Vec::new()));
        let mut typed = TypedCallToolResult::deserialize(&Value::Object(rest))
            .map_err(|e| format!("the answer is not a tool result: {e}"))?;
        typed.content = blocks
            .iter()
            .filter_map(|b| ContentBlock::deserialize(b).ok())
            .collect();
        Ok(Self {
            typed,
            raw: Some(value),
        })
    }

    /// The typed result (without the blocks rmcp cannot read, when [`Self::raw`] is set).
    pub fn typed(&self) -> &TypedCallToolResult {
        &self.typed
    }

    /// The result exactly as the server sent it, when rmcp's types could not hold it all.
    pub fn raw(&self) -> Option<&Value> {
        self.raw.as_ref()
    }

    /// Whether the tool answered `isError: true`.
    pub fn is_error(&self) -> bool {
        self.typed.is_error == Some(true)
    }

    /// The result as JSON: as sent when kept raw, else the typed result serialized.
    pub fn to_value(&self) -> Value {
        match &self.raw {
            Some(raw) => raw.clone(),
            None => serde_json::to_value(&self.typed).unwrap_or(Value::Null),
        }
    }
}

impl From<TypedCallToolResult> for CallToolResult {
    fn from(typed: TypedCallToolResult) -> Self {
        Self { typed, raw: None }
    }
}

impl std::ops::Deref for CallToolResult {
    type Target = TypedCallToolResult;

    fn deref(&self) -> &TypedCallToolResult {
        &self.typed
    }
}

impl Serialize for CallToolResult {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.raw {
            Some(raw) => raw.serialize(serializer),
            None => self.typed.serialize(serializer),
        }
    }
}

/// A result without content, as rmcp's `call_tool_once` makes one from an empty answer.
fn contentless(
    result_type: Option<rmcp::model::ResultType>,
    meta: Option<MetaObject>,
) -> CallToolResult {
    let mut typed = TypedCallToolResult::default();
    typed.result_type = result_type;
    typed.meta = meta;
    typed.into()
}

/// Sends `notifications/cancelled` for a `tools/call` whose caller stopped waiting (its future
/// was dropped: a timeout, a lost `select!`, a call the script gave up on), as rmcp's own
/// `call_tool_once` does, so the server does not keep working on an answer nobody will read.
struct CancelOnDrop<'a> {
    peer: &'a Peer<RoleClient>,
    /// Cleared once the answer arrived.
    id: Option<RequestId>,
}

impl CancelOnDrop<'_> {
    const REASON: &'static str = "request abandoned by the caller";
}

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else {
            return;
        };
        // Best effort, like rmcp's: without a runtime (process exit) there is nobody to tell.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let peer = self.peer.clone();
        let notification = CancelledNotification::new(CancelledNotificationParam::new(
            Some(id),
            Some(Self::REASON.to_owned()),
        ));
        runtime.spawn(async move {
            let _ = peer.send_notification(notification.into()).await;
        });
    }
}

fn append_garbage(message: &mut String, garbage: &Mutex<Option<String>>) {
    if let Some(line) = garbage.lock().ok().and_then(|g| g.clone()) {
        message.push_str("; it wrote non-protocol output to stdout: ");
        message.push_str(&line);
    }
}

fn startup_timeout(spec: &ServerSpec) -> PoolError {
    PoolError::StartupTimeout {
        server: spec.name.clone(),
        timeout: spec.startup_timeout,
        stderr_tail: Vec::new(),
    }
}

fn init_err(spec: &ServerSpec, message: String) -> PoolError {
    PoolError::Initialize {
        server: spec.name.clone(),
        message,
        stderr_tail: Vec::new(),
    }
}

fn header_map(http: &HttpSpec) -> Result<HashMap<http::HeaderName, http::HeaderValue>, String> {
    http.headers
        .iter()
        .map(|(k, v)| {
            let name = http::HeaderName::try_from(k.as_str())
                .map_err(|_| format!("\"{k}\" is not a valid HTTP header name"))?;
            let mut value = http::HeaderValue::try_from(v.expose())
                .map_err(|_| format!("the value of header \"{k}\" is not valid in HTTP"))?;
            value.set_sensitive(true);
            Ok((name, value))
        })
        .collect()
}

fn sse_config(http: &HttpSpec, spec: &ServerSpec) -> Result<SseClientConfig, String> {
    let url = reqwest::Url::parse(&http.url).map_err(|e| {
        format!(
            "invalid url {}: {e}",
            mcpscript_config::redact_url(&http.url)
        )
    })?;
    let mut config = SseClientConfig::new(url);
    config.connect_timeout = spec.startup_timeout;
    for (name, value) in header_map(http)? {
        config = config.with_header(name, value);
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use serde_json::json;

    use super::*;

    #[test]
    fn typed_results_stay_typed() {
        let r = CallToolResult::from_value(json!({"content": [{"type": "text", "text": "a"}]}))
            .unwrap();
        assert!(r.raw().is_none());
        assert_eq!(r.content.len(), 1);
        assert_eq!(
            r.to_value(),
            json!({"content": [{"type": "text", "text": "a"}]})
        );
    }

    #[test]
    fn unknown_block_types_are_kept_raw() {
        let sent = json!({
            "content": [{"type": "text", "text": "a"}, {"type": "video", "uri": "x://v"}],
            "structuredContent": {"k": 1},
            "isError": true,
            "_meta": {"m": 2},
        });
        let r = CallToolResult::from_value(sent.clone()).unwrap();
        assert_eq!(r.raw(), Some(&sent));
        assert_eq!(serde_json::to_value(&r).unwrap(), sent);
        assert!(r.is_error());
        assert_eq!(r.content.len(), 1);
        assert_eq!(r.structured_content, Some(json!({"k": 1})));
        assert!(r.meta.is_some());
        // A malformed block of a known type is kept as sent too.
        let r = CallToolResult::from_value(json!({"content": [{"type": "text"}]})).unwrap();
        assert!(r.raw().is_some() && r.content.is_empty());
    }

    #[test]
    fn what_is_not_a_tool_result_says_why() {
        for (value, why) in [
            (json!([1]), "not a tool result"),
            (json!({"content": "x"}), "not an array"),
            (json!({"other": 1}), "no \"content\""),
            (json!({"content": [{"uri": "x"}]}), "content[0]"),
            (
                json!({"content": [{"type": "video"}], "isError": "yes"}),
                "not a tool result",
            ),
            (
                json!({"content": [{"type": "video"}], "resultType": "task"}),
                "not a tool result",
            ),
        ] {
            let err = CallToolResult::from_value(value.clone()).unwrap_err();
            assert!(err.contains(why), "{value}: {err}");
        }
    }

    #[test]
    fn a_bare_meta_is_an_empty_result() {
        let r = CallToolResult::from_value(json!({"_meta": {"a": 1}})).unwrap();
        assert!(r.raw().is_none() && r.content.is_empty() && r.meta.is_some());
    }
}
