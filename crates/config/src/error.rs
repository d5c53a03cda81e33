//! Errors of the config layer: fatal ones for the whole file, and per-server ones that make only
//! that server unusable.

use std::fmt;
use std::path::PathBuf;

/// Where something sits in a config file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The config file, or `<built-in>` for the built-in default.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A problem with the config file as a whole; no server can be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The path that failed.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON.
    #[error("{location}: invalid JSON: {message}")]
    Syntax {
        /// Where the parser stopped.
        location: Location,
        /// The parser's message, without its own position suffix.
        message: String,
    },
    /// The JSON is valid but not shaped like an MCP config.
    #[error("{location}: {message}")]
    Shape {
        /// Where.
        location: Location,
        /// What is wrong.
        message: String,
    },
}

impl ConfigError {
    /// A one-line fix, when there is an obvious one.
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                Some("check the path; without --config or MCPSCRIPT_CONFIG, mcpscript reads ./mcp_config.json".into())
            }
            ConfigError::Shape { .. } => Some(
                r#"an MCP config looks like {"mcpServers": {"name": {"command": "...", "args": [...]}}}"#.into(),
            ),
            _ => None,
        }
    }
}

/// Why one server entry cannot be used. The other servers are unaffected.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{location}: server \"{server}\": {kind}")]
pub struct ServerConfigError {
    /// The server's name as written in the config.
    pub server: String,
    /// Where the entry (or the offending value) is.
    pub location: Location,
    /// What is wrong.
    pub kind: ServerErrorKind,
}

impl ServerConfigError {
    /// A one-line fix, when there is an obvious one.
    pub fn hint(&self) -> Option<String> {
        match &self.kind {
            ServerErrorKind::Expand {
                source: ExpandError::Unset { var },
                ..
            } => Some(format!(
                "export {var}=... before running mcpscript, or write ${{{var}:-default}} in the config"
            )),
            ServerErrorKind::UnknownType(_) => {
                Some(r#"use "type": "stdio", "sse", "http" or "streamable-http""#.into())
            }
            ServerErrorKind::NoCommandOrUrl => Some(
                r#"give "command" (and "args") for a local server, or "url" for a remote one"#
                    .into(),
            ),
            _ => None,
        }
    }
}

/// The ways a server entry can be wrong.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServerErrorKind {
    /// A field has the wrong JSON type.
    #[error("{0}")]
    Invalid(String),
    /// `type` is not one we know.
    #[error("unknown transport type \"{0}\"")]
    UnknownType(String),
    /// Neither `command` nor `url` is given.
    #[error("needs either \"command\" (stdio) or \"url\" (HTTP)")]
    NoCommandOrUrl,
    /// The transport type needs a field that is missing.
    #[error("type \"{transport}\" needs \"{field}\"")]
    Missing {
        /// The transport.
        transport: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// `${VAR}` expansion failed in a field.
    #[error("in {field}: {source}")]
    Expand {
        /// The field, e.g. `args[2]` or `headers.Authorization`.
        field: String,
        /// The expansion error.
        source: ExpandError,
    },
    /// The URL does not parse or is not http(s).
    #[error("invalid url: {0}")]
    BadUrl(String),
    /// A duration or limit is out of range.
    #[error("{field}: {message}")]
    BadValue {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// Why `${…}` expansion failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    /// `${VAR}` with `VAR` unset and no default.
    #[error("environment variable {var} is not set and has no default")]
    Unset {
        /// The variable.
        var: String,
    },
    /// `${` without a closing `}`.
    #[error("unterminated ${{ in a value")]
    Unterminated {
        /// The text (not shown in messages: it may hold a secret).
        text: String,
    },
    /// `${…}` whose name is not a variable name.
    #[error("\"{name}\" is not a variable name")]
    BadName {
        /// The name.
        name: String,
    },
}
