//! The output contract: data on stdout, people and logs on stderr, exit codes by error class.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use mcpscript_client::{ErrorClass, PoolError};
use mcpscript_config::{ConfigError, ServerConfigError};

/// Exit codes. Documented in `--help` and docs/cli.md.
pub mod exit {
    /// Everything worked.
    pub const OK: u8 = 0;
    /// The tool answered with `isError: true`.
    pub const TOOL_ERROR: u8 = 1;
    /// Bad usage or config.
    pub const USAGE: u8 = 2;
    /// A server could not be reached: did not start, died, or timed out.
    pub const UNREACHABLE: u8 = 3;
    /// A server answered with a JSON-RPC error or something unreadable.
    pub const PROTOCOL: u8 = 4;
    /// mcpscript itself failed.
    pub const INTERNAL: u8 = 70;
}

/// A failure that ends a command: what to print and how to exit.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// The one-line message.
    pub message: String,
    /// A fix, when known.
    pub hint: Option<String>,
    /// Extra lines (a server's stderr tail).
    pub details: Vec<String>,
}

impl Failure {
    /// A usage error.
    pub fn usage(message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            code: exit::USAGE,
            message: message.into(),
            hint,
            details: Vec::new(),
        }
    }
}

impl From<PoolError> for Failure {
    fn from(e: PoolError) -> Self {
        let code = match e.class() {
            ErrorClass::Usage => exit::USAGE,
            ErrorClass::Unreachable => exit::UNREACHABLE,
            ErrorClass::Protocol => exit::PROTOCOL,
        };
        Self {
            code,
            hint: e.hint(),
            details: e.stderr_tail().to_vec(),
            message: e.to_string(),
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Self::usage(e.to_string(), e.hint())
    }
}

impl From<ServerConfigError> for Failure {
    fn from(e: ServerConfigError) -> Self {
        Self::usage(e.to_string(), e.hint())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Self {
            code: exit::INTERNAL,
            message: format!("{e:#}"),
            hint: None,
            details: Vec::new(),
        }
    }
}

/// Whether stderr may carry colour.
pub fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stderr().is_terminal()
}

fn paint(code: &str, text: &str) -> String {
    if color() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// Prints an error (with hint and stderr tail) to stderr.
pub fn report(failure: &Failure) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{} {}", paint("1;31", "error:"), failure.message);
    if !failure.details.is_empty() {
        let _ = writeln!(
            err,
            "  server stderr (last {} lines):",
            failure.details.len()
        );
        for line in &failure.details {
            let _ = writeln!(err, "  | {line}");
        }
    }
    if let Some(hint) = &failure.hint {
        let _ = writeln!(err, "  {} {hint}", paint("1;36", "hint:"));
    }
}

/// A note for people, on stderr, unless `--quiet`.
pub fn note(quiet: bool, text: &str) {
    if !quiet {
        let _ = writeln!(io::stderr().lock(), "{} {text}", paint("1;33", "note:"));
    }
}

/// Writes data to stdout. A closed pipe (`mcpscript tools | head`) is not an error.
pub fn stdout(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow::anyhow!("cannot write to stdout: {e}").into()),
    }
}

/// Writes one JSON value (pretty) and a newline to stdout.
pub fn json(value: &serde_json::Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| anyhow::anyhow!(e))?;
    stdout(&format!("{text}\n"))
}

/// Maps a command result to the process exit code, reporting failures.
pub fn finish(result: Result<u8, Failure>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            report(&failure);
            ExitCode::from(failure.code)
        }
    }
}

/// A progress bar over `len` items on stderr, only on a terminal and without --quiet.
pub fn progress(quiet: bool, len: u64, what: &str) -> Option<indicatif::ProgressBar> {
    if quiet || !io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{bar:30}} {{pos}}/{{len}} {what} {{msg}}"
    )) {
        bar.set_style(style);
    }
    Some(bar)
}
