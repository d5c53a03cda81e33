//! `mcpscript servers` and `mcpscript servers check`.

use std::fmt::Write as _;

use futures::future::join_all;
use mcpscript_client::{PoolError, fmt_duration};
use mcpscript_config::ServerEntry;
use serde_json::{Value, json};

use crate::context::Context;
use crate::output::{self, Failure, exit};

fn state(entry: &ServerEntry) -> &'static str {
    match &entry.spec {
        Err(_) => "invalid",
        Ok(spec) if spec.disabled => "disabled",
        Ok(_) => "configured",
    }
}

/// Lists configured servers without connecting.
pub fn list(ctx: &Context) -> Result<u8, Failure> {
    let entries = &ctx.config.servers;
    if ctx.json {
        let rows: Vec<Value> = entries
            .iter()
            .map(|e| match &e.spec {
                Ok(spec) => json!({
                    "name": e.name,
                    "transport": spec.transport.kind(),
                    "target": spec.target,
                    "state": state(e),
                    "timeout_ms": spec.timeout.as_millis(),
                    "max_concurrency": spec.max_concurrency,
                }),
                Err(err) => json!({
                    "name": e.name,
                    "state": "invalid",
                    "error": err.to_string(),
                    "hint": err.hint(),
                }),
            })
            .collect();
        output::json(&Value::Array(rows))?;
        return Ok(exit::OK);
    }
    if entries.is_empty() {
        output::note(ctx.quiet, "the config has no servers under \"mcpServers\"");
        return Ok(exit::OK);
    }
    let width = entries
        .iter()
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = String::new();
    for e in entries {
        match &e.spec {
            Ok(spec) => {
                let _ = writeln!(
                    out,
                    "{:width$}  {:5}  {:10}  {}",
                    e.name,
                    spec.transport.kind(),
                    state(e),
                    spec.target
                );
            }
            Err(err) => {
                let _ = writeln!(out, "{:width$}  {:5}  {:10}  {err}", e.name, "-", "invalid");
            }
        }
    }
    output::stdout(&out)?;
    Ok(exit::OK)
}

struct Checked {
    name: String,
    transport: &'static str,
    outcome: Result<(usize, mcpscript_client::ConnectionInfo), PoolError>,
}

/// Connects to the chosen servers at once and reports each.
pub async fn check(ctx: &Context, names: &[String]) -> Result<u8, Failure> {
    for name in names {
        if ctx.config.server(name).is_none() {
            return Err(PoolError::UnknownServer {
                server: name.clone(),
                known: ctx.config.names().map(str::to_owned).collect(),
            }
            .into());
        }
    }
    let chosen: Vec<&ServerEntry> = ctx
        .config
        .servers
        .iter()
        .filter(|e| {
            if names.is_empty() {
                !matches!(&e.spec, Ok(spec) if spec.disabled)
            } else {
                names.contains(&e.name)
            }
        })
        .collect();
    let checks = chosen.iter().map(|e| async {
        let outcome = async {
            let conn = ctx.pool.connect(&e.name).await?;
            let tools = conn.tools().await?;
            Ok((tools.len(), conn.info.clone()))
        }
        .await;
        Checked {
            name: e.name.clone(),
            transport: e.spec.as_ref().map_or("-", |s| s.transport.kind()),
            outcome,
        }
    });
    let results = join_all(checks).await;

    // The most telling failure decides: unreachable over protocol over config errors.
    let rank = |code: u8| match code {
        exit::UNREACHABLE => 3,
        exit::PROTOCOL => 2,
        exit::OK => 0,
        _ => 1,
    };
    let code = results
        .iter()
        .filter_map(|r| r.outcome.as_ref().err())
        .map(|e| Failure::from(e.clone()).code)
        .max_by_key(|c| rank(*c))
        .unwrap_or(exit::OK);
    if ctx.json {
        let rows: Vec<Value> = results
            .iter()
            .map(|r| match &r.outcome {
                Ok((count, info)) => json!({
                    "name": r.name,
                    "transport": r.transport,
                    "ok": true,
                    "tools": count,
                    "protocol_version": info.protocol_version,
                    "server_name": info.server_name,
                    "server_version": info.server_version,
                    "init_ms": info.init_time.as_secs_f64() * 1000.0,
                }),
                Err(e) => json!({
                    "name": r.name,
                    "transport": r.transport,
                    "ok": false,
                    "error": e.to_string(),
                    "hint": e.hint(),
                    "stderr_tail": e.stderr_tail(),
                }),
            })
            .collect();
        output::json(&Value::Array(rows))?;
        return Ok(code);
    }
    let width = results
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(4);
    let mut out = String::new();
    for r in &results {
        match &r.outcome {
            Ok((count, info)) => {
                let _ = writeln!(
                    out,
                    "ok    {:width$}  {:5}  {:>3} tools  protocol {}  initialized in {}",
                    r.name,
                    r.transport,
                    count,
                    info.protocol_version,
                    fmt_duration(info.init_time),
                );
            }
            Err(e) => {
                let _ = writeln!(out, "FAIL  {:width$}  {:5}  {e}", r.name, r.transport);
                for line in e.stderr_tail().iter().rev().take(10).rev() {
                    let _ = writeln!(out, "      | {line}");
                }
                if let Some(hint) = e.hint() {
                    let _ = writeln!(out, "      hint: {hint}");
                }
            }
        }
    }
    output::stdout(&out)?;
    Ok(code)
}
