//! `mcpscript run SCRIPT [-- ARGS…]`.

use std::sync::Arc;
use std::time::Duration;

use mcpscript_runner::{PoolHost, RunError, RunSpec};
use serde_json::json;

use crate::cli::RunArgs;
use crate::context::Context;
use crate::output::{self, Failure, exit};

impl From<RunError> for Failure {
    fn from(e: RunError) -> Self {
        let code = match e {
            RunError::ScriptNotFound { .. }
            | RunError::NotAScript { .. }
            | RunError::PythonNotFound { .. }
            | RunError::Audit { .. } => exit::USAGE,
            RunError::Runtime { .. } | RunError::Spawn { .. } => exit::INTERNAL,
        };
        Self {
            code,
            hint: e.hint(),
            message: e.to_string(),
            details: Vec::new(),
        }
    }
}

/// Runs the script; its exit code becomes ours. With `--json`, stdout carries one object at the
/// end and the script's stderr still streams to ours.
pub async fn run(ctx: &Context, args: &RunArgs) -> Result<u8, Failure> {
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Err(Failure::usage(
            format!(
                "--timeout {} must be a positive number of seconds",
                args.timeout
            ),
            None,
        ));
    }
    let mut spec = RunSpec::new(&args.script, args.args.clone());
    // Capped at a year: larger values are as good as no limit, and cannot overflow a clock.
    spec.timeout = Duration::from_secs_f64(args.timeout.min(365.0 * 86_400.0));
    spec.capture = ctx.json;
    spec.output_limit = args.output_limit;
    spec.audit = args.audit.clone();
    let host = Arc::new(PoolHost::new(ctx.pool.clone(), &ctx.config));
    let outcome = mcpscript_runner::run(host, &spec).await?;
    if !outcome.observations.is_empty() {
        // Every run teaches the result types of the tools it used (`mcpscript generate` uses
        // them where a tool declares no outputSchema).
        let mut learned = ctx.learned();
        for o in &outcome.observations {
            learned.observe(&o.server, &o.tool, &o.value);
        }
        if let Err(e) = learned.save() {
            tracing::warn!(
                "cannot save learned result types to {}: {e}",
                learned.path().display()
            );
        }
    }
    if outcome.timed_out {
        output::report(&Failure {
            code: exit::OK,
            message: format!(
                "the run was stopped after {} (--timeout)",
                mcpscript_client::fmt_duration(spec.timeout)
            ),
            hint: Some("pass a larger --timeout if the script needs more time".into()),
            details: Vec::new(),
        });
    }
    if ctx.json {
        let captured = |c: &Option<mcpscript_runner::Captured>| {
            c.as_ref().map_or(
                json!(null),
                |c| json!({"text": c.text, "bytes": c.total_bytes, "truncated": c.truncated}),
            )
        };
        output::json(&json!({
            "exit_code": outcome.exit_code,
            "result": outcome.result,
            "stdout": captured(&outcome.stdout),
            "stderr": captured(&outcome.stderr),
            "tool_calls": outcome.tool_calls,
            "timed_out": outcome.timed_out,
            "duration_ms": outcome.duration.as_secs_f64() * 1000.0,
        }))?;
    }
    Ok(u8::try_from(outcome.exit_code.clamp(0, 255)).unwrap_or(1))
}
