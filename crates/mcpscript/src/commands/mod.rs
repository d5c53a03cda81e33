//! One module per subcommand; each returns an exit code or a [`Failure`].

mod bench;
mod call;
mod catalog_docs;
mod demo;
mod discover;
mod discovery;
mod run;
mod servers;
mod tools;

use crate::cli::{BenchWhat, Cli, Command, ServersAction};
use crate::context::Context;
use crate::output::Failure;

async fn run_command(ctx: &Context, command: Command) -> Result<u8, Failure> {
    match command {
        Command::Run(args) => run::run(ctx, &args).await,
        Command::Servers(args) => match args.action {
            None => servers::list(ctx),
            Some(ServersAction::Check(check)) => servers::check(ctx, &check.names).await,
        },
        Command::Tools(args) => tools::run(ctx, args.server.as_deref()).await,
        Command::Call(args) => call::run(ctx, &args).await,
        Command::Search(args) => {
            let query = args.query.join(" ");
            discovery::search(ctx, &query, args.limit, args.detail, args.catalog.refresh).await
        }
        Command::Describe(args) => {
            discovery::describe(ctx, &args.tools, args.catalog.refresh).await
        }
        Command::Generate(args) => discovery::generate(ctx, &args.out, args.catalog.refresh).await,
        Command::Discover(args) => discover::run(ctx, args.catalog.refresh).await,
        Command::Bench(args) => match args.what {
            BenchWhat::Tokens(t) => {
                bench::tokens(ctx, t.tasks.as_deref(), t.synthetic, t.catalog.refresh).await
            }
        },
        Command::DemoServer(_) => Ok(0),
    }
}

/// Splits `SERVER.TOOL` at the longest of `servers` that prefixes it (server and tool names may
/// both contain dots).
pub fn split_at_server<'a, 'n>(
    servers: impl IntoIterator<Item = &'n str>,
    target: &'a str,
) -> Option<(&'a str, &'a str)> {
    servers
        .into_iter()
        .filter(|name| {
            target.len() > name.len() + 1
                && target.starts_with(name)
                && target.as_bytes()[name.len()] == b'.'
        })
        .max_by_key(|name| name.len())
        .map(|name| (&target[..name.len()], &target[name.len() + 1..]))
}

/// Runs the parsed command line.
pub async fn dispatch(cli: Cli) -> Result<u8, Failure> {
    if let Command::DemoServer(args) = &cli.command {
        return demo::run(args).await;
    }
    let ctx = match Context::load(&cli.global) {
        Ok(ctx) => ctx,
        Err(failure) => {
            // `run --json` answers every failure to start with its JSON object.
            if cli.global.json && matches!(cli.command, Command::Run(_)) {
                run::print_failure(&failure, std::time::Duration::ZERO);
            }
            return Err(failure);
        }
    };
    if matches!(
        cli.command,
        Command::Servers(_)
            | Command::Tools(_)
            | Command::Search(_)
            | Command::Generate(_)
            | Command::Discover(_)
    ) {
        ctx.note_builtin();
    }
    let is_run = matches!(cli.command, Command::Run(_));
    let command = run_command(&ctx, cli.command);
    let result = if is_run {
        // The runner passes signals on to the script and reports them in its exit code.
        command.await
    } else {
        tokio::select! {
            result = command => result,
            signal = mcpscript_runner::signals::next() => Err(Failure {
                code: 128 + signal as u8,
                message: "interrupted; stopping the servers".into(),
                hint: None,
                details: Vec::new(),
            }),
        }
    };
    ctx.pool.shutdown().await;
    result
}
