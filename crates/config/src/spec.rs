//! The typed, expanded description of one server: what the pool needs to connect.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::Location;

/// Default per-call timeout.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time allowed to start a server and finish `initialize`.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of calls in flight per server.
pub const DEFAULT_MAX_CONCURRENCY: usize = 16;

/// A value that must not appear in logs or error messages (header and env values).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The real value, for handing to the transport only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How to reach a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// A local process speaking JSON-RPC on stdin/stdout.
    Stdio(StdioSpec),
    /// Legacy HTTP+SSE (protocol 2024-11-05): `GET` an event stream, `POST` to its endpoint.
    Sse(HttpSpec),
    /// Streamable HTTP (protocol 2025-03-26 and later).
    StreamableHttp(HttpSpec),
}

impl Transport {
    /// The short name used in listings: `stdio`, `sse` or `http`.
    pub fn kind(&self) -> &'static str {
        match self {
            Transport::Stdio(_) => "stdio",
            Transport::Sse(_) => "sse",
            Transport::StreamableHttp(_) => "http",
        }
    }
}

/// Strips userinfo and the query string, which often carry keys.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let rest = match rest.split_once('/') {
        Some((authority, path)) => {
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{host}/{path}")
        }
        None => rest.rsplit_once('@').map_or(rest, |(_, h)| h).to_owned(),
    };
    let suffix = if url.contains('?') { "?…" } else { "" };
    if scheme.is_empty() {
        format!("{rest}{suffix}")
    } else {
        format!("{scheme}://{rest}{suffix}")
    }
}

/// A stdio server: the process to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StdioSpec {
    /// Program to run (looked up on `PATH` when it has no slash).
    pub command: String,
    /// Arguments, expanded.
    pub args: Vec<String>,
    /// Extra environment, expanded; added to a small inherited base (see the client crate).
    pub env: Vec<(String, Secret)>,
    /// Working directory; relative paths are resolved against the config file's directory.
    pub cwd: Option<PathBuf>,
}

/// An HTTP server (SSE or Streamable HTTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSpec {
    /// The endpoint URL, expanded.
    pub url: String,
    /// Request headers, expanded.
    pub headers: Vec<(String, Secret)>,
}

/// One usable server entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// The name under `mcpServers`.
    pub name: String,
    /// How to reach it.
    pub transport: Transport,
    /// `disabled: true` in the config: listed, never started.
    pub disabled: bool,
    /// Per-call timeout.
    pub timeout: Duration,
    /// Time allowed for start-up and `initialize`.
    pub startup_timeout: Duration,
    /// Calls in flight at once.
    pub max_concurrency: usize,
    /// When set, only these tools are visible and callable.
    pub allow: Option<Vec<String>>,
    /// Tools hidden and refused.
    pub deny: Vec<String>,
    /// Where the entry is in the config file.
    pub location: Location,
    /// The command line or URL as written in the config, before `${VAR}` expansion and with the
    /// URL's query and credentials removed: safe to print and to hash (it holds variable names,
    /// never their values).
    pub target: String,
}

impl ServerSpec {
    /// Whether the allow/deny policy lets this tool through.
    pub fn permits(&self, tool: &str) -> bool {
        let allowed = self
            .allow
            .as_ref()
            .is_none_or(|list| list.iter().any(|t| t == tool));
        allowed && !self.deny.iter().any(|t| t == tool)
    }

    /// One warning per `allow` or `deny` entry that names none of `tools` (the server's whole
    /// list, before policy), e.g. `server "x": allow entry "*" matches no tool (entries are
    /// exact tool names)`. Entries are exact names, so a typo, a renamed tool or a pattern
    /// silently matches nothing; whoever lists a server's tools should log these.
    pub fn unmatched_policy_entries(&self, tools: &[&str]) -> Vec<String> {
        let allow = self.allow.iter().flatten().map(|e| ("allow", e));
        let deny = self.deny.iter().map(|e| ("deny", e));
        let mut seen = Vec::new();
        allow
            .chain(deny)
            .filter(|(_, entry)| !tools.contains(&entry.as_str()))
            .filter(|key| {
                let new = !seen.contains(key);
                if new {
                    seen.push(*key);
                }
                new
            })
            .map(|(list, entry)| {
                format!(
                    "server \"{}\": {list} entry \"{entry}\" matches no tool (entries are exact tool names)",
                    self.name
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_entries_that_match_nothing_are_named_once() {
        let spec = ServerSpec {
            name: "x".into(),
            transport: Transport::Stdio(StdioSpec {
                command: "x".into(),
                args: Vec::new(),
                env: Vec::new(),
                cwd: None,
            }),
            disabled: false,
            timeout: DEFAULT_CALL_TIMEOUT,
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            allow: Some(vec!["*".into(), "echo".into(), "*".into()]),
            deny: vec!["add".into(), "ad".into()],
            location: Location {
                file: PathBuf::from("c.json"),
                line: 1,
                column: 1,
            },
            target: "x".into(),
        };
        assert_eq!(
            spec.unmatched_policy_entries(&["echo", "add"]),
            vec![
                "server \"x\": allow entry \"*\" matches no tool (entries are exact tool names)",
                "server \"x\": deny entry \"ad\" matches no tool (entries are exact tool names)",
            ]
        );
        let open = ServerSpec {
            allow: None,
            deny: Vec::new(),
            ..spec
        };
        assert!(open.unmatched_policy_entries(&[]).is_empty());
    }
}
