//! The seed's `sandbox` block, typed. Later layers decide what each key does; this layer only
//! checks shapes.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

/// The `sandbox` section of a config (the seed's keys, plus ours beside them).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SandboxConfig {
    /// Run scripts sandboxed by default.
    pub enabled: bool,
    /// `auto`, `native`, `podman` or `docker` (the seed knew `auto`, `podman`, `docker`).
    pub runtime: Option<String>,
    /// Container image for container runtimes.
    pub image: Option<String>,
    /// Memory limit, e.g. `512m`.
    pub memory_limit: Option<String>,
    /// CPU limit, e.g. `"1.0"` or `1`.
    pub cpu_limit: Option<Value>,
    /// Maximum processes.
    pub pids_limit: Option<u64>,
    /// Default run timeout in seconds.
    pub timeout: Option<u64>,
    /// Largest timeout a caller may ask for, in seconds.
    pub max_timeout: Option<u64>,
    /// Container network mode (`none` is the only safe one).
    pub network_mode: Option<String>,
    /// Keys this version does not know, kept for later layers and for warnings.
    #[serde(flatten)]
    pub other: IndexMap<String, Value>,
}

/// The `discover` section: which tools `mcpscript discover` may call beyond those annotated
/// `readOnlyHint: true`, and sample inputs to call them with.
///
/// ```json
/// "discover": {"tools": ["git.git_log"], "samples": {"git.git_log": [{"repo_path": "."}]}}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscoverConfig {
    /// Extra tools, as `server.tool`, that are safe to call.
    pub tools: Vec<String>,
    /// Sample arguments by `server.tool`; used instead of generated minimal inputs.
    pub samples: IndexMap<String, Vec<Value>>,
}
