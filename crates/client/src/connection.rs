//! One live connection to one server: opening it over the configured transport, its tool list,
//! and turning rmcp's errors into [`PoolError`]s that name the server and say what happened.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcpscript_config::{HttpSpec, ServerSpec, Transport};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult, JsonObject};
use rmcp::service::{Peer, RoleClient, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

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
        // Dropping the request on timeout makes rmcp send notifications/cancelled.
        // rmcp's request future is ~5 KB: boxed once here rather than copied each time a
        // caller's future that holds it is moved (into a join, a FuturesUnordered, a task).
        let request = Box::pin(self.peer.call_tool_once(params));
        match tokio::time::timeout(timeout, request).await {
            Ok(Ok(CallToolResponse::Complete(result))) => Ok(result),
            Ok(Ok(_)) => Err(PoolError::Protocol {
                server: self.spec.name.clone(),
                operation: format!("tools/call {tool}"),
                message: "the server answered with a task or input-required result, which mcpscript does not support yet".into(),
            }),
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
