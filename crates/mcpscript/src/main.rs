//! `mcpscript`: run agent scripts against MCP servers, and discover their tools cheaply.

mod cli;
mod commands;
mod context;
mod logging;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init(cli.global.verbose, cli.global.quiet);
    // One thread: mcpscript waits on pipes and sockets, and on a small VM every hand-off between
    // worker threads costs a cross-CPU wake-up per message (measured in docs/benchmarks.md).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return output::finish(Err(
                anyhow::anyhow!("cannot start the async runtime: {e}").into()
            ));
        }
    };
    let result = runtime.block_on(commands::dispatch(cli));
    // Server processes are ended by the commands; do not wait on stray blocking tasks.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    output::finish(result)
}
