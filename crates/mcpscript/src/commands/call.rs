//! `mcpscript call SERVER.TOOL '{json}'`.

use std::io::Read;
use std::time::Duration;

use mcpscript_client::{CallToolResult, ContentBlock, JsonObject};
use rmcp::model::ResourceContents;
use serde::Deserialize;
use serde_json::Value;

use crate::cli::CallArgs;
use crate::context::Context;
use crate::output::{self, Failure, exit};

/// Splits `SERVER.TOOL`, preferring the longest configured server name (server and tool names
/// may both contain dots).
fn split_target<'a>(ctx: &Context, target: &'a str) -> Result<(&'a str, &'a str), Failure> {
    if let Some(split) = super::split_at_server(ctx.config.names(), target) {
        return Ok(split);
    }
    match target.split_once('.') {
        Some((server, tool)) if !server.is_empty() && !tool.is_empty() => Ok((server, tool)),
        _ => Err(Failure::usage(
            format!("\"{target}\" is not SERVER.TOOL"),
            Some("name the tool with its server, e.g. `mcpscript call demo.echo '{\"text\": \"hi\"}'`".into()),
        )),
    }
}

fn parse_arguments(raw: Option<&str>) -> Result<Option<JsonObject>, Failure> {
    let text = match raw {
        None => return Ok(None),
        Some("-") => {
            let mut buf = String::new();
            std::io::stdin().read_to_string(&mut buf).map_err(|e| {
                Failure::usage(format!("cannot read arguments from stdin: {e}"), None)
            })?;
            buf
        }
        Some(text) => text.to_owned(),
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(other) => Err(Failure::usage(
            format!("arguments must be a JSON object, not {}", kind(&other)),
            Some(r#"wrap them in an object: '{"name": value}'"#.into()),
        )),
        Err(e) => Err(Failure::usage(
            format!(
                "arguments are not valid JSON (line {}, column {}): {}",
                e.line(),
                e.column(),
                e.to_string().split(" at line ").next().unwrap_or_default()
            ),
            Some(
                "quote the JSON for your shell: mcpscript call demo.echo '{\"text\": \"hi\"}'"
                    .into(),
            ),
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `tool`, or the tool whose generated wrapper function is called `tool` (`get_sum` or
/// `get_sum_sync` for `get-sum`) when the server has no tool of that exact name: agents name
/// tools as they saw them in `servers/`. Listing failures are left to the call to report.
async fn tool_by_any_name(ctx: &Context, server: &str, tool: &str) -> String {
    let Ok(list) = ctx.pool.list_tools(server).await else {
        return tool.to_owned();
    };
    if list.get(tool).is_some() {
        return tool.to_owned();
    }
    let raw: Vec<Value> = list.tools.iter().map(|t| t.raw.clone()).collect();
    let learned = std::collections::BTreeMap::new();
    let servers = [mcpscript_codegen::ServerTools {
        name: server,
        tools: &raw,
        learned: &learned,
    }];
    let plan = mcpscript_codegen::Plan::new(&servers);
    match plan.tool_for_function(server, tool) {
        Some(original) => {
            output::note(
                ctx.quiet,
                &format!("calling {server}.{original} (its wrapper function is {tool})"),
            );
            original.to_owned()
        }
        None => tool.to_owned(),
    }
}

/// Human rendering: text as text, structured content as JSON, other blocks as one-line markers.
fn render(result: &CallToolResult) -> String {
    let mut out = String::new();
    let mut has_text = false;
    match result.raw().and_then(|raw| raw.get("content")?.as_array()) {
        // Some block is of a type this version does not know: go through the blocks as sent.
        Some(blocks) => {
            for block in blocks {
                match ContentBlock::deserialize(block) {
                    Ok(block) => render_block(&block, &mut out, &mut has_text),
                    Err(_) => {
                        let kind = block.get("type").and_then(Value::as_str).unwrap_or("?");
                        out.push_str(&format!(
                            "[{kind} content this version cannot show; use --json]\n"
                        ));
                    }
                }
            }
        }
        None => {
            for block in &result.content {
                render_block(block, &mut out, &mut has_text);
            }
        }
    }
    if !has_text && let Some(structured) = &result.structured_content {
        out.push_str(&serde_json::to_string_pretty(structured).unwrap_or_default());
        out.push('\n');
    }
    out
}

fn render_block(block: &ContentBlock, out: &mut String, has_text: &mut bool) {
    match block {
        ContentBlock::Text(t) => {
            *has_text = true;
            out.push_str(&t.text);
            if !t.text.ends_with('\n') {
                out.push('\n');
            }
        }
        ContentBlock::Image(i) => {
            out.push_str(&format!(
                "[image {}, {} bytes base64]\n",
                i.mime_type,
                i.data.len()
            ));
        }
        ContentBlock::Audio(a) => {
            out.push_str(&format!(
                "[audio {}, {} bytes base64]\n",
                a.mime_type,
                a.data.len()
            ));
        }
        ContentBlock::Resource(r) => match &r.resource {
            ResourceContents::TextResourceContents { uri, text, .. } => {
                *has_text = true;
                out.push_str(&format!("[resource {uri}]\n{text}\n"));
            }
            ResourceContents::BlobResourceContents { uri, blob, .. } => {
                out.push_str(&format!("[resource {uri}, {} bytes base64]\n", blob.len()));
            }
            _ => out.push_str("[resource]\n"),
        },
        ContentBlock::ResourceLink(l) => {
            out.push_str(&format!("[resource link {} ({})]\n", l.uri, l.name));
        }
        _ => out.push_str("[content of a kind this version cannot show; use --json]\n"),
    }
}

/// Calls the tool; prints its text (or the whole result with `--json`).
pub async fn run(ctx: &Context, args: &CallArgs) -> Result<u8, Failure> {
    let (server, tool) = split_target(ctx, &args.target)?;
    let arguments = parse_arguments(args.arguments.as_deref())?;
    let deadline = match args.timeout {
        Some(s) if s.is_finite() && s > 0.0 => {
            Some(Duration::from_secs_f64(s.min(365.0 * 86_400.0)))
        }
        Some(s) => {
            return Err(Failure::usage(
                format!("--timeout {s} must be a positive number of seconds"),
                None,
            ));
        }
        None => None,
    };
    let tool = tool_by_any_name(ctx, server, tool).await;
    let result = ctx
        .pool
        .call_tool(server, &tool, arguments, deadline)
        .await?;
    let is_error = result.is_error();
    if ctx.json {
        // As the server sent it when rmcp's types could not hold it all.
        let value = result.to_value();
        output::json(&value)?;
    } else if is_error {
        let text = render(&result);
        output::report(&Failure {
            code: exit::TOOL_ERROR,
            message: format!("{server}.{tool} returned an error: {}", text.trim_end()),
            hint: None,
            details: Vec::new(),
        });
    } else {
        output::stdout(&render(&result))?;
    }
    Ok(if is_error { exit::TOOL_ERROR } else { exit::OK })
}
