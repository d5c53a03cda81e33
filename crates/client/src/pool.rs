//! The pool: one slot per configured server, a connection opened on first use — exactly once,
//! however many first calls race — reopened on the next use after the server died, and a
//! per-server limit on calls in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mcpscript_config::{Config, ServerConfigError, ServerSpec};
use rmcp::model::JsonObject;
use tokio::sync::Semaphore;

use crate::connection::{CallToolResult, Connection};
use crate::error::PoolError;
use crate::tools::ToolList;

/// A handle on the pool; cheap to clone, shared by every caller.
#[derive(Clone, Debug)]
pub struct Pool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    slots: Vec<Slot>,
    closed: AtomicBool,
}

#[derive(Debug)]
struct Slot {
    name: String,
    spec: Result<ServerSpec, ServerConfigError>,
    state: tokio::sync::Mutex<SlotState>,
    /// Failed connection attempts so far: a caller shares a failure that completed after it
    /// arrived instead of starting another attempt.
    failures: AtomicU64,
    permits: Arc<Semaphore>,
}

#[derive(Debug, Default)]
struct SlotState {
    conn: Option<Arc<Connection>>,
    /// The last failure's sequence number and error.
    failure: Option<(u64, PoolError)>,
}

impl Pool {
    /// A pool over every server in the config. Nothing is started until used.
    pub fn new(config: &Config) -> Self {
        let slots = config
            .servers
            .iter()
            .map(|entry| Slot {
                name: entry.name.clone(),
                permits: Arc::new(Semaphore::new(
                    entry.spec.as_ref().map_or(1, |s| s.max_concurrency),
                )),
                spec: entry.spec.clone(),
                state: tokio::sync::Mutex::default(),
                failures: AtomicU64::new(0),
            })
            .collect();
        Self {
            inner: Arc::new(Inner {
                slots,
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// Configured server names, in config order.
    pub fn server_names(&self) -> impl Iterator<Item = &str> {
        self.inner.slots.iter().map(|s| s.name.as_str())
    }

    fn slot(&self, server: &str) -> Result<&Slot, PoolError> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(PoolError::ShutDown);
        }
        self.inner
            .slots
            .iter()
            .find(|s| s.name == server)
            .ok_or_else(|| PoolError::UnknownServer {
                server: server.to_owned(),
                known: self.server_names().map(str::to_owned).collect(),
            })
    }

    /// The server's usable spec, or why it cannot be used.
    pub fn spec(&self, server: &str) -> Result<&ServerSpec, PoolError> {
        let slot = self.slot(server)?;
        let spec = slot
            .spec
            .as_ref()
            .map_err(|e| PoolError::Config(e.clone()))?;
        if spec.disabled {
            return Err(PoolError::Disabled {
                server: server.to_owned(),
            });
        }
        Ok(spec)
    }

    /// The live connection to `server`, opening it if needed. Concurrent first callers wait for
    /// one attempt and share its outcome.
    pub async fn connect(&self, server: &str) -> Result<Arc<Connection>, PoolError> {
        // The common case, a live connection nobody is busy with, without building the (large)
        // future of the slow path below: every call goes through here.
        if let Some(conn) = self.live(server) {
            return Ok(conn);
        }
        Box::pin(self.open_or_wait(server)).await
    }

    /// The connection to `server` if it is open and alive now; never starts anything.
    pub fn live(&self, server: &str) -> Option<Arc<Connection>> {
        let slot = self.slot(server).ok()?;
        let state = slot.state.try_lock().ok()?;
        state.conn.as_ref().filter(|c| c.is_alive()).cloned()
    }

    /// [`Pool::connect`]'s slow path: restart a dead connection, wait for a start in progress,
    /// or start the server.
    async fn open_or_wait(&self, server: &str) -> Result<Arc<Connection>, PoolError> {
        let spec = self.spec(server)?;
        let slot = self.slot(server)?;
        let seen = slot.failures.load(Ordering::Acquire);
        let mut state = slot.state.lock().await;
        if let Some(conn) = &state.conn {
            if conn.is_alive() {
                return Ok(conn.clone());
            }
            tracing::info!(server, "server is gone; restarting it");
            if let Some(dead) = state.conn.take() {
                tokio::spawn(async move { dead.close().await });
            }
        }
        if let Some((failure, err)) = &state.failure
            && *failure > seen
        {
            // Another caller tried while we waited; its failure is ours.
            return Err(err.clone());
        }
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(PoolError::ShutDown);
        }
        match Connection::open(spec).await {
            Ok(conn) => {
                let conn = Arc::new(conn);
                state.conn = Some(conn.clone());
                state.failure = None;
                Ok(conn)
            }
            Err(err) => {
                let failure = slot.failures.fetch_add(1, Ordering::AcqRel) + 1;
                state.failure = Some((failure, err.clone()));
                Err(err)
            }
        }
    }

    /// The server's tools, after allow/deny policy.
    pub async fn list_tools(&self, server: &str) -> Result<Arc<ToolList>, PoolError> {
        self.connect(server).await?.tools().await
    }

    /// Calls `server.tool` with `arguments`, bounded by the server's timeout (or `deadline` when
    /// it is sooner) and its concurrency limit. An `isError` result is `Ok`. A result with content
    /// blocks rmcp's types do not know is `Ok` too, kept as sent ([`CallToolResult::raw`]).
    pub async fn call_tool(
        &self,
        server: &str,
        tool: &str,
        arguments: Option<JsonObject>,
        deadline: Option<Duration>,
    ) -> Result<CallToolResult, PoolError> {
        let spec = self.spec(server)?;
        if !spec.permits(tool) {
            return Err(PoolError::Denied {
                server: server.to_owned(),
                tool: tool.to_owned(),
            });
        }
        let timeout = deadline.map_or(spec.timeout, |d| d.min(spec.timeout));
        // Start-up has its own bound (`startup_timeout`): the call's clock starts once the
        // server is up, so a slow first start does not eat the tool's time.
        let conn = self.connect(server).await?;
        let started = Instant::now();
        let slot = self.slot(server)?;
        let timed_out = || PoolError::CallTimeout {
            server: server.to_owned(),
            tool: tool.to_owned(),
            timeout,
        };
        let _permit = tokio::time::timeout(timeout, slot.permits.acquire())
            .await
            .map_err(|_| timed_out())?
            .map_err(|_| PoolError::ShutDown)?;
        // Check the arguments on the host: every failing path at once, before the server sees
        // them. Absent arguments are checked as `{}`.
        let arguments = serde_json::Value::Object(arguments.unwrap_or_default());
        conn.check_arguments(tool, &arguments).await?;
        let arguments = match arguments {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        };
        let remaining = timeout.saturating_sub(started.elapsed());
        if remaining.is_zero() {
            return Err(timed_out());
        }
        conn.call(tool, arguments, remaining)
            .await
            .map_err(|e| match e {
                // Report the deadline the caller knows, not what was left of it.
                PoolError::CallTimeout { .. } => timed_out(),
                other => other,
            })
    }

    /// Closes every connection and ends every server process group. Later calls fail with
    /// [`PoolError::ShutDown`].
    pub async fn shutdown(&self) {
        self.inner.closed.store(true, Ordering::Release);
        let mut closing = Vec::new();
        for slot in &self.inner.slots {
            slot.permits.close();
            let conn = slot.state.lock().await.conn.take();
            if let Some(conn) = conn {
                closing.push(async move { conn.close().await });
            }
        }
        futures::future::join_all(closing).await;
    }
}
