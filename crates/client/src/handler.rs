//! What mcpscript answers as an MCP client: its identity and protocol version, and the
//! notifications it cares about (tool list changes, server log messages).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

// Server logging is deprecated by SEP-2577 but still sent by today's servers; we forward it.
#[allow(deprecated)]
use rmcp::model::{
    ClientCapabilities, ClientConfig, Implementation, LoggingLevel,
    LoggingMessageNotificationParam, ProtocolVersion,
};
use rmcp::service::{NotificationContext, RoleClient};

/// The client side of one connection.
#[derive(Debug, Clone)]
pub(crate) struct PoolClient {
    pub server: Arc<str>,
    /// Set when the server says its tool list changed; the next listing refreshes.
    pub tools_stale: Arc<AtomicBool>,
}

/// The client identity sent in `initialize`.
pub(crate) fn client_config() -> ClientConfig {
    let mut config = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("mcpscript", env!("CARGO_PKG_VERSION")),
    );
    // rmcp 3.11 defaults to 2026-07-28, which current servers and the conformance suite refuse.
    config.protocol_version = ProtocolVersion::LATEST_WITH_INITIALIZE;
    config
}

impl rmcp::ClientHandler for PoolClient {
    fn get_info(&self) -> ClientConfig {
        client_config()
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        tracing::debug!(server = %self.server, "tool list changed");
        self.tools_stale.store(true, Ordering::Release);
    }

    #[allow(deprecated)]
    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let server = &self.server;
        let data = &params.data;
        match params.level {
            LoggingLevel::Debug => tracing::debug!(target: "mcpscript::server_log", %server, %data),
            LoggingLevel::Info | LoggingLevel::Notice => {
                tracing::info!(target: "mcpscript::server_log", %server, %data)
            }
            LoggingLevel::Warning => {
                tracing::warn!(target: "mcpscript::server_log", %server, %data)
            }
            _ => tracing::error!(target: "mcpscript::server_log", %server, %data),
        }
    }
}
