//! `mcpscript demo-server`: the built-in MCP server on stdio.

use mcpscript_demo_server::{DemoOptions, StartMode};

use crate::cli::DemoServerArgs;
use crate::output::{Failure, exit};

/// Serves until stdin closes.
pub async fn run(args: &DemoServerArgs) -> Result<u8, Failure> {
    let mode: StartMode = args.mode.parse().map_err(|e| {
        Failure::usage(
            format!("invalid --mode \"{}\": {e}", args.mode),
            Some(
                "use normal, exit-during-init, malformed-init, slow-start:MS or stderr-spam:LINES"
                    .into(),
            ),
        )
    })?;
    let options = DemoOptions {
        faults: args.faults,
        mode,
        name: args.name.clone(),
    };
    mcpscript_demo_server::serve_stdio(options)
        .await
        .map_err(|e| anyhow::anyhow!("demo server: {e}"))?;
    Ok(exit::OK)
}
