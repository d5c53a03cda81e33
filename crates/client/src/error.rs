//! The pool's error type. Every variant names the server; the ones a user can act on carry the
//! server's stderr tail.

use std::time::Duration;

use mcpscript_config::ServerConfigError;

/// What class of failure this is, for exit codes and for the script-side exception type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Bad usage or config: unknown server or tool, policy, invalid arguments.
    Usage,
    /// The server could not be reached, did not start, died, or timed out.
    Unreachable,
    /// The server answered with a JSON-RPC error or something we cannot read.
    Protocol,
}

/// Why a pool operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PoolError {
    /// No such server in the config.
    #[error("no server named \"{server}\" in the config")]
    UnknownServer {
        /// The name asked for.
        server: String,
        /// Names that are configured.
        known: Vec<String>,
    },
    /// The server's config entry is invalid.
    #[error(transparent)]
    Config(#[from] ServerConfigError),
    /// `disabled: true` in the config.
    #[error("server \"{server}\" is disabled in the config")]
    Disabled {
        /// The server.
        server: String,
    },
    /// The process could not be started, or the HTTP endpoint could not be reached.
    #[error("server \"{server}\" could not be started: {message}")]
    Spawn {
        /// The server.
        server: String,
        /// Why.
        message: String,
        /// Last lines the server wrote to stderr.
        stderr_tail: Vec<String>,
    },
    /// `initialize` did not finish in time.
    #[error("server \"{server}\" did not finish initializing within {}", fmt_duration(*timeout))]
    StartupTimeout {
        /// The server.
        server: String,
        /// The startup timeout.
        timeout: Duration,
        /// Last lines the server wrote to stderr.
        stderr_tail: Vec<String>,
    },
    /// `initialize` failed: the server exited, closed the stream or answered nonsense.
    #[error("server \"{server}\" failed to initialize: {message}")]
    Initialize {
        /// The server.
        server: String,
        /// What went wrong, including the exit status when the process ended.
        message: String,
        /// Last lines the server wrote to stderr.
        stderr_tail: Vec<String>,
    },
    /// The server went away while calls were in flight or between calls.
    #[error("server \"{server}\" {status}")]
    ServerDied {
        /// The server.
        server: String,
        /// "exited with status 3", "was killed by signal 9", "closed the connection".
        status: String,
        /// Last lines the server wrote to stderr.
        stderr_tail: Vec<String>,
    },
    /// A call did not answer within its deadline.
    #[error("{server}.{tool} did not answer within {}", fmt_duration(*timeout))]
    CallTimeout {
        /// The server.
        server: String,
        /// The tool.
        tool: String,
        /// The deadline that passed.
        timeout: Duration,
    },
    /// The server has no tool of that name (after policy).
    #[error("server \"{server}\" has no tool \"{tool}\"")]
    ToolNotFound {
        /// The server.
        server: String,
        /// The tool asked for.
        tool: String,
        /// Close matches among the server's tools.
        suggestions: Vec<String>,
    },
    /// The arguments do not match the tool's `inputSchema`.
    #[error("{server}.{tool}: invalid arguments: {}", .errors.iter().map(|e| if e.path.is_empty() { e.message.clone() } else { format!("{}: {}", e.path, e.message) }).collect::<Vec<_>>().join("; "))]
    InvalidArguments {
        /// The server.
        server: String,
        /// The tool.
        tool: String,
        /// Every failing path.
        errors: Vec<crate::validate::ArgumentError>,
    },
    /// The config's allow/deny lists refuse this tool.
    #[error("{server}.{tool} is not allowed by the config's allow/deny lists")]
    Denied {
        /// The server.
        server: String,
        /// The tool.
        tool: String,
    },
    /// The server answered a request with a JSON-RPC error.
    #[error("{server}: {operation} failed: {message} (JSON-RPC error {code})")]
    Rpc {
        /// The server.
        server: String,
        /// `tools/call NAME`, `tools/list`, …
        operation: String,
        /// The JSON-RPC error code.
        code: i32,
        /// The server's message.
        message: String,
    },
    /// The server answered something we cannot use.
    #[error("{server}: {operation}: {message}")]
    Protocol {
        /// The server.
        server: String,
        /// What we were doing.
        operation: String,
        /// What was wrong.
        message: String,
    },
    /// The pool is shut down; no new calls are taken.
    #[error("the connection pool is shut down")]
    ShutDown,
}

impl PoolError {
    /// The failure class, for exit codes and exception types.
    pub fn class(&self) -> ErrorClass {
        match self {
            PoolError::UnknownServer { .. }
            | PoolError::Config(_)
            | PoolError::Disabled { .. }
            | PoolError::ToolNotFound { .. }
            | PoolError::InvalidArguments { .. }
            | PoolError::Denied { .. } => ErrorClass::Usage,
            PoolError::Rpc { .. } | PoolError::Protocol { .. } => ErrorClass::Protocol,
            PoolError::Spawn { .. }
            | PoolError::StartupTimeout { .. }
            | PoolError::Initialize { .. }
            | PoolError::ServerDied { .. }
            | PoolError::CallTimeout { .. }
            | PoolError::ShutDown => ErrorClass::Unreachable,
        }
    }

    /// The server's last stderr lines, when the error has them.
    pub fn stderr_tail(&self) -> &[String] {
        match self {
            PoolError::Spawn { stderr_tail, .. }
            | PoolError::StartupTimeout { stderr_tail, .. }
            | PoolError::Initialize { stderr_tail, .. }
            | PoolError::ServerDied { stderr_tail, .. } => stderr_tail,
            _ => &[],
        }
    }

    /// A one-line fix, when there is an obvious one.
    pub fn hint(&self) -> Option<String> {
        match self {
            PoolError::UnknownServer { known, .. } if known.is_empty() => {
                Some("the config has no servers; add one under \"mcpServers\"".into())
            }
            PoolError::UnknownServer { known, .. } => {
                Some(format!("configured servers: {}", known.join(", ")))
            }
            PoolError::Config(e) => e.hint(),
            PoolError::Disabled { .. } => Some("remove \"disabled\": true from its entry".into()),
            PoolError::ToolNotFound {
                suggestions,
                server,
                ..
            } if !suggestions.is_empty() => Some(format!(
                "did you mean {}? (`mcpscript tools {server}` lists them)",
                suggestions.join(", ")
            )),
            PoolError::ToolNotFound { server, .. } => {
                Some(format!("`mcpscript tools {server}` lists its tools"))
            }
            PoolError::Spawn { message, .. } if message.contains("No such file") => {
                Some("is the command installed and on PATH? Check \"command\" in the config".into())
            }
            PoolError::StartupTimeout { .. } => {
                Some("raise \"startup_timeout\" for this server if it is just slow to start".into())
            }
            PoolError::CallTimeout { .. } => {
                Some("raise \"timeout\" for this server if the tool is just slow".into())
            }
            _ => None,
        }
    }
}

/// `1.5s`, `250ms`, `2m 5s`: short and exact enough for messages.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        let s = d.as_secs_f64();
        if (s - s.round()).abs() < 1e-9 {
            format!("{}s", s.round())
        } else {
            format!("{s:.1}s")
        }
    } else {
        format!("{}m {}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// Names among `candidates` close to `wanted` (edit distance or shared substring), best first.
pub fn suggest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let wanted_l = wanted.to_lowercase();
    let norm = |s: &str| s.to_lowercase().replace(['-', '_'], "");
    let wanted_n = norm(wanted);
    let mut scored: Vec<(usize, String)> = candidates
        .into_iter()
        .filter_map(|c| {
            let cl = c.to_lowercase();
            let d = levenshtein(&wanted_l, &cl);
            let close = d <= (wanted.chars().count() / 3).max(2)
                || norm(c) == wanted_n
                || (wanted_l.len() >= 3 && (cl.contains(&wanted_l) || wanted_l.contains(&cl)));
            close.then(|| (d, c.to_owned()))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_typos_and_separators() {
        let tools = ["git_status", "git_log", "git_diff", "read_file"];
        assert_eq!(suggest("git_stauts", tools), ["git_status"]);
        assert_eq!(suggest("git-log", tools), ["git_log"]);
        assert_eq!(suggest("status", tools), ["git_status"]);
        assert!(suggest("zzz", tools).is_empty());
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(fmt_duration(Duration::from_secs(60)), "1m 0s");
        assert_eq!(fmt_duration(Duration::from_secs(30)), "30s");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5s");
    }
}
