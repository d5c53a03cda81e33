//! placeholder for the legacy SSE transport
