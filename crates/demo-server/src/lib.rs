//! The MCP server shipped inside mcpscript.
//!
//! It serves two audiences. A fresh user gets a small, pleasant demo tool set (`echo`, `add`,
//! `word_stats`, `notes_*`, …) through `mcpscript demo-server`, with no Node or Python server to
//! install. Tests of the client pool turn on [`DemoOptions::faults`] for tools that crash, hang,
//! flood stderr or corrupt the stream, and pick a [`StartMode`] that misbehaves before the
//! session starts.
//!
//! This crate knows nothing about command-line parsing: the binary turns its flags into
//! [`DemoOptions`]. Stdout carries only the MCP protocol (apart from the deliberate corruption of
//! the `malformed` tool and [`StartMode::MalformedInit`]); diagnostics go to stderr through
//! `tracing` or, for the fault lines tests look for, written directly.
//!
//! | item | use |
//! |---|---|
//! | [`serve_stdio`] | serve on the process's stdin/stdout until EOF |
//! | [`handler`] | the [`DemoServer`] handler (as a [`DemoService`]), to serve over any rmcp transport (e.g. `tokio::io::duplex`) |

mod args;
mod faults;
mod notes;
mod server;
mod startup;
mod tools;

use std::{fmt, io::Write, str::FromStr};

pub use server::{DemoServer, DemoService};
pub use startup::serve_stdio;

/// How the demo server is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// Also offer the fault-injection tools (`crash`, `hang`, `malformed`, …).
    pub faults: bool,
    /// How the process behaves before serving (only [`serve_stdio`] looks at it).
    pub mode: StartMode,
    /// The server name reported in `serverInfo.name`.
    pub name: String,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            faults: false,
            mode: StartMode::Normal,
            name: "demo".to_owned(),
        }
    }
}

/// How the process behaves before (or instead of) serving MCP, to test client start-up handling.
///
/// Parsed from `normal`, `exit-during-init`, `malformed-init`, `slow-start:MS` and
/// `stderr-spam:N`; [`fmt::Display`] prints the same spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartMode {
    /// Serve at once.
    #[default]
    Normal,
    /// Read the first line (the `initialize` request), say so on stderr and exit with code 2.
    ExitDuringInit,
    /// Read the first line, answer `this is not json`, then read stdin to EOF without answering.
    MalformedInit,
    /// Sleep this long before serving.
    SlowStart {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// Write this many lines to stderr, then serve normally.
    StderrSpam {
        /// Number of lines.
        lines: u32,
    },
}

impl FromStr for StartMode {
    type Err = DemoError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: &str| DemoError::InvalidMode {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let (kind, value) = match input.split_once(':') {
            Some((kind, value)) => (kind, Some(value)),
            None => (input, None),
        };
        match (kind, value) {
            ("normal", None) => Ok(Self::Normal),
            ("exit-during-init", None) => Ok(Self::ExitDuringInit),
            ("malformed-init", None) => Ok(Self::MalformedInit),
            ("slow-start", Some(ms)) => ms
                .parse()
                .map(|ms| Self::SlowStart { ms })
                .map_err(|_| invalid("slow-start takes milliseconds, e.g. slow-start:500")),
            ("stderr-spam", Some(lines)) => lines
                .parse()
                .map(|lines| Self::StderrSpam { lines })
                .map_err(|_| invalid("stderr-spam takes a line count, e.g. stderr-spam:1000")),
            ("normal" | "exit-during-init" | "malformed-init", Some(_)) => {
                Err(invalid("this mode takes no `:value`"))
            }
            ("slow-start" | "stderr-spam", None) => Err(invalid(
                "this mode needs a value, e.g. slow-start:500 or stderr-spam:1000",
            )),
            _ => Err(invalid(
                "expected normal, exit-during-init, malformed-init, slow-start:MS or stderr-spam:N",
            )),
        }
    }
}

impl fmt::Display for StartMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Normal => f.write_str("normal"),
            Self::ExitDuringInit => f.write_str("exit-during-init"),
            Self::MalformedInit => f.write_str("malformed-init"),
            Self::SlowStart { ms } => write!(f, "slow-start:{ms}"),
            Self::StderrSpam { lines } => write!(f, "stderr-spam:{lines}"),
        }
    }
}

/// Everything that can go wrong while parsing options or serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// A `--mode` value that is not one of the [`StartMode`] spellings.
    #[error("invalid demo-server mode `{input}`: {reason}")]
    InvalidMode {
        /// The text that failed to parse.
        input: String,
        /// Why, with an example of a valid value.
        reason: String,
    },
    /// Reading stdin or writing stdout failed outside the MCP session.
    #[error("demo-server {action} failed: {source}")]
    Io {
        /// What was being done, e.g. "reading stdin".
        action: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The MCP session could not start (e.g. stdin closed before `initialize`).
    #[error("demo-server could not start the MCP session: {0}")]
    Initialize(#[source] Box<rmcp::service::ServerInitializeError>),
    /// The MCP session task panicked or was aborted.
    #[error("demo-server's MCP session task failed: {0}")]
    Session(#[from] tokio::task::JoinError),
}

/// The handler for `opts`, ready to serve over any rmcp transport (e.g. `tokio::io::duplex` in
/// tests). The start mode is not applied: it only concerns [`serve_stdio`].
pub fn handler(opts: &DemoOptions) -> DemoService {
    DemoService::new(DemoServer::new(opts))
}

/// Writes one line to stderr, ignoring failure (there is nowhere else to report it).
///
/// Used for the lines tests look for, which must appear whatever the tracing setup.
pub(crate) fn stderr_line(line: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
    let _ = stderr.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_modes_round_trip() {
        for text in [
            "normal",
            "exit-during-init",
            "malformed-init",
            "slow-start:250",
            "stderr-spam:7",
        ] {
            let mode: StartMode = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(mode.to_string(), text);
        }
        assert_eq!(
            "slow-start:250".parse::<StartMode>().ok(),
            Some(StartMode::SlowStart { ms: 250 })
        );
    }

    #[test]
    fn bad_start_modes_explain_themselves() {
        for (text, needle) in [
            ("fast", "expected normal"),
            ("slow-start", "needs a value"),
            ("slow-start:soon", "milliseconds"),
            ("stderr-spam:-1", "line count"),
            ("normal:1", "takes no"),
        ] {
            let message = text
                .parse::<StartMode>()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(message.contains(needle), "{text}: {message}");
            assert!(message.contains(text), "{text}: {message}");
        }
    }

    #[test]
    fn default_options() {
        let opts = DemoOptions::default();
        assert_eq!(opts.name, "demo");
        assert!(!opts.faults);
        assert_eq!(opts.mode, StartMode::Normal);
    }
}
