//! The tool catalog: what tools exist, found quickly, described well.
//!
//! - [`Catalog`]: every enabled server's raw tool list, from a disk cache ([`cache`]) keyed by
//!   each server's config entry, or fetched through the client pool, all servers at once; one
//!   failing server is recorded and skipped.
//! - [`SearchIndex`]: ranked search (BM25F with field weights, light stemming and a small
//!   thesaurus; see [`search`] and [`tokenize`]) over server names, tool names split into words,
//!   titles, descriptions and parameters.
//! - [`LearnedTypes`]: JSON Schemas inferred from results tools really returned ([`learned`]),
//!   stored beside the config, never overriding a declared `outputSchema`.
//! - [`discover`]: which tools `discover` may call unprompted, and a minimal valid input for them.
//!
//! Layer 2: it depends on the config and client crates and knows nothing of scripts, code
//! generation or output formats; rendered documentation, where a caller needs it, is the caller's.

pub mod cache;
mod catalog;
pub mod discover;
mod fsutil;
pub mod learned;
pub mod search;
pub mod tokenize;

pub use cache::{
    CATALOG_FILE_NAME, CacheEntry, CacheFile, CachePath, LEARNED_FILE_NAME, server_key, state_dir,
    tools_hash,
};
pub use catalog::{Catalog, ServerCatalog};
pub use discover::{is_safe, minimal_input};
pub use learned::{
    LearnedTool, LearnedTypes, SchemaSource, effective_output_schema, infer, merge, publish,
};
pub use search::{Entry, Hit, Param, SearchIndex};
