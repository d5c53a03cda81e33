//! The command-line surface. Raw flags become richer types in `main` and the commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Run agent-written Python scripts whose tool calls are bridged to real MCP servers, and
/// discover those tools without loading every schema into a model's context.
#[derive(Debug, Parser)]
#[command(
    name = "mcpscript",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "Exit codes: 0 ok, 1 the tool returned an error, 2 bad usage or config, \
3 a server could not be reached (did not start, died, timed out), 4 a server answered with a \
protocol error, 70 mcpscript itself failed."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file (mcpServers format: mcp_config.json, .mcp.json, claude_desktop_config.json).
    /// Default: ./mcp_config.json, else the built-in demo config.
    #[arg(long, global = true, env = "MCPSCRIPT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// More log output on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a Python script with MCP tools available; everything after `--` goes to the script.
    Run(RunArgs),
    /// List configured servers, or check that they answer.
    Servers(ServersArgs),
    /// List the tools of one server, or of all servers.
    Tools(ToolsArgs),
    /// Call one tool from the shell and print its result.
    Call(CallArgs),
    /// Ranked search over every server's tools: names, descriptions, parameters.
    Search(SearchArgs),
    /// The full docs of chosen tools: import line, signature, parameters, result type.
    Describe(DescribeArgs),
    /// Write the typed Python wrapper tree (servers/<server>/<tool>.py) for scripts to import.
    Generate(GenerateArgs),
    /// Learn the result types of read-only tools by calling them with safe inputs.
    Discover(DiscoverArgs),
    /// Measurements: `bench tokens` counts what an agent reads to use the tools.
    Bench(BenchArgs),
    /// Serve mcpscript's built-in demo MCP server on stdio (used by the built-in config).
    DemoServer(DemoServerArgs),
}

/// `mcpscript run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The Python script, or `-` to read it from standard input.
    pub script: std::path::PathBuf,
    /// Arguments for the script (after `--`), passed verbatim as `sys.argv[1:]`.
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
    /// Seconds the whole run may take; then the script and everything it started are killed
    /// (exit code 124).
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0)]
    pub timeout: f64,
    /// Bytes of stdout and of stderr kept for --json (the middle of longer output is dropped,
    /// with a marker).
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub output_limit: usize,
    /// Append one JSON line per tool call (server, tool, arguments, duration, outcome) to FILE.
    #[arg(long, value_name = "FILE")]
    pub audit: Option<std::path::PathBuf>,
}

/// How much `search` shows of each hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Detail {
    /// `server.tool`.
    Name,
    /// `server.tool — first sentence of the description`.
    Summary,
    /// The import line, signature and docstring, as the wrapper holds them.
    Full,
}

/// Catalog flags shared by discovery commands.
#[derive(Debug, Args)]
pub struct RefreshArg {
    /// Ignore the cached tool lists (`.mcpscript/catalog.json`) and ask every server again.
    #[arg(long)]
    pub refresh: bool,
}

/// `mcpscript search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What you want to do, in words ("show recent commits").
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// How many tools to show (at least 1).
    #[arg(long, default_value_t = 5, value_parser = at_least_one, value_name = "N")]
    pub limit: usize,
    /// How much to show of each.
    #[arg(long, value_enum, default_value_t = Detail::Summary)]
    pub detail: Detail,
    #[command(flatten)]
    pub catalog: RefreshArg,
}

/// A count that must be 1 or more (`--limit 0` would ask for nothing).
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// `mcpscript describe`.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// Tools as SERVER.TOOL.
    #[arg(required = true, value_name = "SERVER.TOOL")]
    pub tools: Vec<String>,
    #[command(flatten)]
    pub catalog: RefreshArg,
}

/// `mcpscript generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory to write (its name is the package scripts import from).
    #[arg(long, default_value = "servers", value_name = "DIR")]
    pub out: std::path::PathBuf,
    #[command(flatten)]
    pub catalog: RefreshArg,
}

/// `mcpscript discover`.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    #[command(flatten)]
    pub catalog: RefreshArg,
}

/// `mcpscript bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchWhat,
}

/// What to measure.
#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Tokens an agent reads: all schemas up front vs the wrapper tree vs search + describe.
    Tokens(TokensArgs),
}

/// `mcpscript bench tokens`.
#[derive(Debug, Args)]
pub struct TokensArgs {
    /// Task file: [{"query": "...", "tools": ["server.tool", …]}, …] (default: tasks for the
    /// built-in demo server).
    #[arg(long, value_name = "FILE")]
    pub tasks: Option<std::path::PathBuf>,
    /// Pad the catalog with renamed copies of its real tools up to N tools (said in the output).
    #[arg(long, value_name = "N")]
    pub synthetic: Option<usize>,
    #[command(flatten)]
    pub catalog: RefreshArg,
}

/// `mcpscript servers`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServersArgs {
    #[command(subcommand)]
    pub action: Option<ServersAction>,
}

/// `mcpscript servers …`.
#[derive(Debug, Subcommand)]
pub enum ServersAction {
    /// Connect to servers and report tool count, protocol version and start time, or the error
    /// with the server's stderr.
    Check(CheckArgs),
}

/// `mcpscript servers check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Servers to check (default: every enabled server).
    pub names: Vec<String>,
}

/// `mcpscript tools`.
#[derive(Debug, Args)]
pub struct ToolsArgs {
    /// Only this server's tools.
    pub server: Option<String>,
}

/// `mcpscript call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The tool, as SERVER.TOOL (e.g. `git.git_status`).
    #[arg(value_name = "SERVER.TOOL")]
    pub target: String,
    /// Arguments as a JSON object; `-` reads them from stdin. Default: `{}`.
    #[arg(value_name = "JSON")]
    pub arguments: Option<String>,
    /// Seconds to wait for the answer (default: the server's `timeout`, 60 s unless configured).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
}

/// `mcpscript demo-server`.
#[derive(Debug, Args)]
pub struct DemoServerArgs {
    /// Also offer the fault-injection tools used by mcpscript's tests (crash, hang, …).
    #[arg(long)]
    pub faults: bool,
    /// Start-up behaviour: normal, exit-during-init, malformed-init, slow-start:MS,
    /// stderr-spam:LINES.
    #[arg(long, default_value = "normal", value_name = "MODE")]
    pub mode: String,
    /// The name reported in serverInfo.
    #[arg(long, default_value = "demo")]
    pub name: String,
}
