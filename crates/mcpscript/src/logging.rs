//! Logs go to stderr only: `-v` info, `-vv` debug, `-vvv` trace; `RUST_LOG` overrides;
//! `NO_COLOR` and non-terminals get no colour.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber.
pub fn init(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| {
        // Dependencies stay quieter than our own crates until -vvv.
        let deps = if verbose >= 3 { level } else { "warn" };
        EnvFilter::new(format!("{deps},mcpscript={level},mcpscript_client={level},mcpscript_config={level},mcpscript_demo_server={level}"))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(crate::output::color())
        .with_target(verbose >= 2)
        .without_time()
        .try_init();
}
