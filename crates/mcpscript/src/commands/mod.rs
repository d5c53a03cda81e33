//! One module per subcommand; each returns an exit code or a [`Failure`].

mod call;
mod demo;
mod run;
mod servers;
mod tools;

use crate::cli::{Cli, Command, ServersAction};
use crate::context::Context;
use crate::output::Failure;

/// Runs the parsed command line.
pub async fn dispatch(cli: Cli) -> Result<u8, Failure> {
    if let Command::DemoServer(args) = &cli.command {
        return demo::run(args).await;
    }
    let ctx = Context::load(&cli.global)?;
    if matches!(cli.command, Command::Servers(_) | Command::Tools(_)) {
        ctx.note_builtin();
    }
    let result = match cli.command {
        Command::Run(args) => run::run(&ctx, &args).await,
        Command::Servers(args) => match args.action {
            None => servers::list(&ctx),
            Some(ServersAction::Check(check)) => servers::check(&ctx, &check.names).await,
        },
        Command::Tools(args) => tools::run(&ctx, args.server.as_deref()).await,
        Command::Call(args) => call::run(&ctx, &args).await,
        Command::DemoServer(_) => Ok(0),
    };
    ctx.pool.shutdown().await;
    result
}
