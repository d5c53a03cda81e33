//! `mcpscript discover`: learn the result types of tools that are safe to call.

use std::fmt::Write as _;

use futures::future::join_all;
use mcpscript_catalog::{is_safe, minimal_input};
use mcpscript_config::DiscoverConfig;
use serde_json::{Value, json};

use crate::context::Context;
use crate::output::{self, Failure, exit};

/// What happened to one tool.
enum Outcome {
    Learned(usize),
    Skipped(String),
    Failed(String),
}

/// Calls every safe tool without a declared `outputSchema` with sample or minimal inputs and
/// merges what comes back into the learned types store.
pub async fn run(ctx: &Context, refresh: bool) -> Result<u8, Failure> {
    let discover: DiscoverConfig = match &ctx.config.discover {
        Ok(d) => d.clone(),
        Err(e) => return Err(Failure::usage(e.to_string(), e.hint())),
    };
    let catalog = ctx.catalog(refresh).await;
    let mut code = exit::OK;
    for s in catalog.failures() {
        output::report(&Failure::usage(
            format!(
                "server \"{}\" skipped: {}",
                s.name,
                s.error.as_deref().unwrap_or("failed")
            ),
            None,
        ));
        code = exit::UNREACHABLE;
    }
    // Entries naming no listed tool would be ignored silently: say so (a typo, or a tool
    // renamed). Servers that failed to list are not judged.
    let listed = |key: &str| {
        catalog.available().any(|s| {
            key.strip_prefix(s.name.as_str())
                .and_then(|t| t.strip_prefix('.'))
                .is_some_and(|t| s.tool(t).is_some())
        })
    };
    let failed = |key: &str| {
        catalog
            .failures()
            .any(|s| key.starts_with(&format!("{}.", s.name)))
    };
    let named = discover
        .tools
        .iter()
        .map(|k| ("tools", k))
        .chain(discover.samples.keys().map(|k| ("samples", k)));
    for (section, key) in named {
        if !listed(key) && !failed(key) {
            output::note(
                ctx.quiet,
                &format!(
                    "discover.{section} names \"{key}\", which is no listed tool, so it is ignored (entries are SERVER.TOOL, as `mcpscript tools` prints them)"
                ),
            );
        }
    }
    let mut jobs = Vec::new();
    for server in catalog.available() {
        for tool in &server.tools {
            let Some(name) = tool.get("name").and_then(Value::as_str) else {
                continue;
            };
            jobs.push((server.name.clone(), name.to_owned(), tool.clone()));
        }
    }
    let bar = output::progress(ctx.quiet || ctx.json, jobs.len() as u64, "tools");
    let results = join_all(jobs.into_iter().map(|(server, tool, raw)| {
        let discover = &discover;
        let bar = bar.clone();
        async move {
            let outcome = probe(ctx, discover, &server, &tool, &raw).await;
            if let Some(b) = &bar {
                b.inc(1);
            }
            (server, tool, outcome)
        }
    }))
    .await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    let mut learned = ctx.learned();
    let mut out = String::new();
    let mut rows = Vec::new();
    for (server, tool, (outcome, samples)) in results {
        for sample in &samples {
            learned.observe(&server, &tool, sample);
        }
        let (state, detail) = match &outcome {
            Outcome::Learned(n) => ("learned", format!("{n} sample(s)")),
            Outcome::Skipped(why) => ("skipped", why.clone()),
            Outcome::Failed(why) => ("failed", why.clone()),
        };
        rows.push(json!({"server": server, "tool": tool, "state": state, "detail": detail}));
        let _ = writeln!(out, "{state:8} {server}.{tool}  {detail}");
    }
    if learned.is_dirty() {
        learned.save().map_err(|e| {
            anyhow::anyhow!(
                "cannot save learned types to {}: {e}",
                learned.path().display()
            )
        })?;
    }
    if ctx.json {
        output::json(&json!({"store": learned.path(), "tools": rows}))?;
    } else {
        output::stdout(&out)?;
        output::note(
            ctx.quiet,
            &format!(
                "learned types are in {}; `mcpscript generate` uses them",
                learned.path().display()
            ),
        );
    }
    Ok(code)
}

async fn probe(
    ctx: &Context,
    discover: &DiscoverConfig,
    server: &str,
    tool: &str,
    raw: &Value,
) -> (Outcome, Vec<Value>) {
    if raw.get("outputSchema").is_some_and(Value::is_object) {
        return (
            Outcome::Skipped("declares an outputSchema".into()),
            Vec::new(),
        );
    }
    if !is_safe(raw, &discover.tools, server) {
        return (
            Outcome::Skipped(
                "not read-only (add it to the config's discover.tools to allow)".into(),
            ),
            Vec::new(),
        );
    }
    let key = format!("{server}.{tool}");
    let inputs: Vec<Value> = match discover.samples.get(&key) {
        Some(samples) => samples.clone(),
        None => match raw.get("inputSchema").and_then(minimal_input) {
            Some(input) => vec![input],
            None => {
                return (
                    Outcome::Skipped(format!(
                        "no safe input; add samples under discover.samples.\"{key}\""
                    )),
                    Vec::new(),
                );
            }
        },
    };
    let mut samples = Vec::new();
    let mut last_error = None;
    for input in inputs {
        let args = input.as_object().cloned();
        match ctx.pool.call_tool(server, tool, args, None).await {
            Ok(result) if result.is_error == Some(true) => {
                last_error = Some("the tool answered with an error for this input".to_owned());
            }
            Ok(result) => match mcpscript_runner::observed_value(&result) {
                Some(value) => samples.push(value),
                None => last_error = Some("the result has no JSON data to learn from".to_owned()),
            },
            Err(e) => last_error = Some(e.to_string()),
        }
    }
    if samples.is_empty() {
        let why = last_error.unwrap_or_else(|| "no sample".into());
        let outcome = if why.contains("no JSON data") {
            Outcome::Skipped(why)
        } else {
            Outcome::Failed(why)
        };
        return (outcome, samples);
    }
    (Outcome::Learned(samples.len()), samples)
}
