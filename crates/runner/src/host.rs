//! What the bridge needs from wherever the pool lives. Today the pool is in-process
//! ([`PoolHost`]); a pool kept warm in another process (DESIGN.md §3.1b) becomes another
//! implementation, not a redesign.

use std::future::Future;
use std::time::Duration;

use mcpscript_client::{CallToolResult, JsonObject, Pool, PoolError};
use mcpscript_config::Config;
use serde_json::{Value, json};

/// The tool-calling side of a run.
pub trait ToolHost: Send + Sync + 'static {
    /// Calls a tool; `deadline` can only shorten the server's own timeout.
    fn call_tool(
        &self,
        server: &str,
        tool: &str,
        arguments: Option<JsonObject>,
        deadline: Option<Duration>,
    ) -> impl Future<Output = Result<CallToolResult, PoolError>> + Send;

    /// A server's tools, each as the server sent it.
    fn list_tools(
        &self,
        server: &str,
    ) -> impl Future<Output = Result<Vec<Value>, PoolError>> + Send;

    /// Every configured server: `{name, transport, state, error?}`.
    fn list_servers(&self) -> Vec<Value>;
}

/// The in-process pool as a [`ToolHost`].
#[derive(Debug, Clone)]
pub struct PoolHost {
    pool: Pool,
    servers: Vec<Value>,
}

impl PoolHost {
    /// Wraps a pool built from `config`.
    pub fn new(pool: Pool, config: &Config) -> Self {
        let servers = config
            .servers
            .iter()
            .map(|e| match &e.spec {
                Ok(spec) => json!({
                    "name": e.name,
                    "transport": spec.transport.kind(),
                    "state": if spec.disabled { "disabled" } else { "configured" },
                }),
                Err(err) => json!({"name": e.name, "transport": null, "state": "invalid", "error": err.to_string()}),
            })
            .collect();
        Self { pool, servers }
    }

    /// The wrapped pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

impl ToolHost for PoolHost {
    async fn call_tool(
        &self,
        server: &str,
        tool: &str,
        arguments: Option<JsonObject>,
        deadline: Option<Duration>,
    ) -> Result<CallToolResult, PoolError> {
        self.pool.call_tool(server, tool, arguments, deadline).await
    }

    async fn list_tools(&self, server: &str) -> Result<Vec<Value>, PoolError> {
        let list = self.pool.list_tools(server).await?;
        Ok(list.tools.iter().map(|t| t.raw.clone()).collect())
    }

    fn list_servers(&self) -> Vec<Value> {
        self.servers.clone()
    }
}
