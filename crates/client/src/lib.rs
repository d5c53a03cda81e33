//! The client pool: one lazily opened connection per configured MCP server.
//!
//! [`Pool`] owns connections to the servers of a [`mcpscript_config::Config`]: opened on first
//! use (exactly once under racing first calls), bounded per server in calls in flight, with
//! per-call deadlines, and reopened on the next call after a stdio server died. Transports:
//! stdio (our launcher over rmcp's async read/write transport), Streamable HTTP (rmcp's client on
//! reqwest with rustls) and legacy HTTP+SSE ([`transport::sse`], our own). It knows nothing of
//! scripts, catalogs or output formats.

mod connection;
mod error;
mod handler;
mod pool;
mod tools;
pub mod transport;
mod validate;

pub use connection::{CallToolResult, Connection, ConnectionInfo, TypedCallToolResult};
pub use error::{ErrorClass, PoolError, fmt_duration, suggest};
pub use pool::Pool;
pub use tools::{ToolInfo, ToolList};
pub use transport::stdio::{INHERITED_ENV, StderrTail};
pub use validate::ArgumentError;

/// rmcp's content and tool types, re-exported so callers need not depend on rmcp directly.
pub use rmcp::model::{ContentBlock, JsonObject, Tool};
