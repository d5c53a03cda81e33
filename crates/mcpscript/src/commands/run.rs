//! `mcpscript run SCRIPT [-- ARGS…]`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mcpscript_runner::{PoolHost, RunError, RunOutcome, RunSpec};
use serde_json::{Value, json};

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
/// end and the script's stderr still streams to ours; a run that cannot start prints one too
/// ([`print_failure`]), and its message still goes to stderr.
pub async fn run(ctx: &Context, args: &RunArgs) -> Result<u8, Failure> {
    let started = Instant::now();
    let (spec, outcome) = match start(ctx, args).await {
        Ok(ran) => ran,
        Err(failure) => {
            if ctx.json {
                print_failure(&failure, started.elapsed());
            }
            return Err(failure);
        }
    };
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
    // The servers the script reached have just listed their tools: keep the catalog current.
    let mut reached: Vec<String> = outcome
        .tool_calls
        .iter()
        .filter(|c| c.outcome == "ok" || c.outcome == "tool_error")
        .map(|c| c.server.clone())
        .collect();
    reached.sort();
    reached.dedup();
    ctx.remember_lists(&reached).await;
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
            "result": bounded_result(outcome.result, spec.output_limit),
            "stdout": captured(&outcome.stdout),
            "stderr": captured(&outcome.stderr),
            "tool_calls": outcome.tool_calls,
            "timed_out": outcome.timed_out,
            "duration_ms": outcome.duration.as_secs_f64() * 1000.0,
            "error": null,
            "hint": null,
        }))?;
    }
    Ok(u8::try_from(outcome.exit_code.clamp(0, 255)).unwrap_or(1))
}

/// Checks the arguments and runs the script; `Err` when it could not start.
async fn start(ctx: &Context, args: &RunArgs) -> Result<(RunSpec, RunOutcome), Failure> {
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
    Ok((spec, outcome))
}

/// The `--json` object of a run that could not start: the keys of a finished run's object, empty,
/// plus the error and its hint. The message goes to stderr as well, as usual.
pub fn print_failure(failure: &Failure, duration: Duration) {
    let _ = output::json(&json!({
        "exit_code": failure.code,
        "result": null,
        "stdout": null,
        "stderr": null,
        "tool_calls": [],
        "timed_out": false,
        "duration_ms": duration.as_secs_f64() * 1000.0,
        "error": failure.message,
        "hint": failure.hint,
    }));
}

/// The result as `--json` shows it: as is when its JSON text fits in `limit` bytes, else a marker
/// object with the size and the first `limit` bytes of that text.
fn bounded_result(result: Option<Value>, limit: usize) -> Value {
    let Some(value) = result else {
        return Value::Null;
    };
    let Ok(text) = serde_json::to_string(&value) else {
        return value;
    };
    if text.len() <= limit {
        return value;
    }
    let mut cut = limit;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    json!({"truncated": true, "bytes": text.len(), "preview": &text[..cut]})
}
