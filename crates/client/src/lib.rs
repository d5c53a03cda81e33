//! The client pool: one lazily opened connection per configured MCP server.

pub mod transport;
