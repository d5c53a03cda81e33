//! Transports the pool speaks, beside rmcp's own.
//!
//! | transport | where | notes |
//! |---|---|---|
//! | stdio | [`stdio`] on rmcp's async read/write transport | explicit env, process group, stderr into tracing |
//! | Streamable HTTP | rmcp's `StreamableHttpClientTransport` on [`http_tap`]'s reqwest client | headers, https via rustls, raw frames to the tap |
//! | legacy HTTP+SSE (2024-11-05) | [`sse`], our own `Transport<RoleClient>` | `GET` stream, `endpoint` event, `POST`, reconnect |

pub mod http_tap;
mod raw_tap;
pub mod sse;
pub mod stdio;

pub use raw_tap::RawTap;
