//! Fault-injection tools, listed only with `--faults`.
//!
//! Each tool misbehaves in one precise way (crashes, hangs, floods stderr, corrupts the stdout
//! frame stream, changes the tool list, returns unusual content) so that tests of the client pool
//! can provoke the failure on demand. Odd tool names (`echo-tool`, `class`, `größe`) exercise the
//! script-side name mapping.

use std::io::Write;

use rmcp::{
    model::{CallToolResult, ContentBlock, CustomResult, ServerResult, Tool},
    service::{RequestContext, RoleServer},
};
use serde_json::{Value, json};

use crate::{
    DemoServer,
    args::{ArgError, Args},
    stderr_line,
    tools::{self, TINY_PNG_BASE64, echo_tool, schema, structured, text},
};

/// Default size of `big_output`: 10 MiB.
const DEFAULT_BIG_OUTPUT: u64 = 10 * 1024 * 1024;
/// Largest `big_output` accepted: 1 GiB, so a typo cannot exhaust memory.
const MAX_BIG_OUTPUT: u64 = 1024 * 1024 * 1024;
/// Default number of `stderr_spam` lines.
const DEFAULT_SPAM_LINES: u64 = 1000;
/// Most `stderr_spam` lines accepted in one call.
const MAX_SPAM_LINES: u64 = 100_000_000;
/// The line repeated by `big_output`.
const BIG_OUTPUT_PATTERN: &str = "0123456789abcdef\n";
/// The truncated JSON-RPC frame written by `malformed`.
pub(crate) const MALFORMED_FRAME: &[u8] = b"{\"jsonrpc\":\"2.0\",\"id\":\n";

/// `not_json`'s answer, after its request id: `NaN` is what Python's `json.dumps` writes for a
/// float NaN, and it is not JSON.
const NOT_JSON_RESULT: &str =
    r#","result":{"content":[{"type":"text","text":"x"}],"structuredContent":{"v":NaN}}}"#;

/// The tool whose answer has a content block of a type MCP does not define (yet).
pub(crate) const FUTURE_CONTENT: &str = "future_content";

/// An input schema with no properties.
fn no_args() -> std::sync::Arc<rmcp::model::JsonObject> {
    schema(json!({"type": "object", "properties": {}, "additionalProperties": false}))
}

/// The fault tools, in the order `tools/list` reports them.
pub(crate) fn definitions() -> Vec<Tool> {
    vec![
        echo_tool(
            "echo-tool",
            "Echo the text back. The name contains a hyphen, which is not a Python identifier.",
        ),
        echo_tool("class", "Echo the text back. The name is a Python keyword."),
        echo_tool(
            "größe",
            "Echo the text back. The name contains non-ASCII letters.",
        ),
        Tool::new(
            "crash",
            "Exit the server process immediately with the given code, without answering.",
            schema(json!({
                "type": "object",
                "properties": {
                    "code": {"type": "integer", "description": "The process exit code.", "default": 3}
                },
                "additionalProperties": false
            })),
        ),
        Tool::new(
            "hang",
            "Never answer (until the request is cancelled). For timeout tests.",
            no_args(),
        ),
        Tool::new(
            "big_output",
            "Return one text block of exactly the given size, made of repeated \
             \"0123456789abcdef\\n\" lines.",
            schema(json!({
                "type": "object",
                "properties": {
                    "bytes": {
                        "type": "integer",
                        "description": "Size of the text in bytes (at most 1 GiB).",
                        "minimum": 0,
                        "maximum": MAX_BIG_OUTPUT,
                        "default": DEFAULT_BIG_OUTPUT
                    }
                },
                "additionalProperties": false
            })),
        ),
        Tool::new(
            "stderr_spam",
            "Write the given number of numbered lines to the server's stderr, then return \"ok\".",
            schema(json!({
                "type": "object",
                "properties": {
                    "lines": {
                        "type": "integer",
                        "description": "How many lines to write.",
                        "minimum": 0,
                        "default": DEFAULT_SPAM_LINES
                    }
                },
                "additionalProperties": false
            })),
        ),
        Tool::new(
            "malformed",
            "Write a truncated JSON-RPC frame to the server's stdout, then answer normally.",
            no_args(),
        ),
        Tool::new(
            "not_json",
            "Answer with a line that is not JSON (a NaN, as Python's json.dumps writes it), then \
             wait until cancelled.",
            no_args(),
        ),
        Tool::new(
            "change_tools",
            "Add a new echo tool with the given name and send notifications/tools/list_changed.",
            schema(json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "The new tool's name."}
                },
                "required": ["name"],
                "additionalProperties": false
            })),
        ),
        Tool::new(
            "structured_only",
            "Return structuredContent {\"items\": [1, 2, 3], \"total\": 3} with an empty \
             content list.",
            no_args(),
        )
        .with_raw_output_schema(schema(json!({
            "type": "object",
            "properties": {
                "items": {
                    "type": "array",
                    "description": "Some integers.",
                    "items": {"type": "integer"}
                },
                "total": {"type": "integer", "description": "How many items there are."}
            },
            "required": ["items", "total"]
        }))),
        Tool::new(
            "mixed_content",
            "Return two text blocks, an image block and an embedded text resource \
             (demo://note/1).",
            no_args(),
        ),
        Tool::new(
            FUTURE_CONTENT,
            "Return a text block and a block of a type MCP does not define (yet): \
             {\"type\": \"video\", \"uri\": \"x://v\", \"mimeType\": \"video/mp4\"}, as a server \
             speaking a newer spec might.",
            no_args(),
        ),
    ]
}

/// Runs the fault tool `name`, or returns `None` if `name` is not a fault tool.
///
/// `crash` does not return: it exits the process. `hang` returns only when the request is
/// cancelled or the input stream ends.
pub(crate) async fn call(
    name: &str,
    args: Args<'_>,
    server: &DemoServer,
    context: &RequestContext<RoleServer>,
) -> Option<Result<CallToolResult, ArgError>> {
    let result = match name {
        "echo-tool" | "class" | "größe" => tools::echo(args),
        "crash" => crash(args),
        "hang" => {
            // rmcp drops the response of a cancelled request, so the client never sees the first
            // answer. At stdin EOF rmcp waits up to 5 s for in-flight handlers before exiting;
            // answering then lets the process exit at once (nobody is listening any more).
            tokio::select! {
                () = context.ct.cancelled() => {
                    Ok(CallToolResult::error(vec![ContentBlock::text("cancelled")]))
                }
                () = server.input_closed().cancelled() => {
                    Ok(CallToolResult::error(vec![ContentBlock::text("input closed")]))
                }
            }
        }
        "big_output" => args
            .count("bytes", DEFAULT_BIG_OUTPUT, MAX_BIG_OUTPUT)
            .map(|bytes| text(big_text(bytes))),
        "stderr_spam" => stderr_spam(args).await,
        "malformed" => Ok(malformed()),
        "not_json" => {
            // Its only answer is the invalid line; then it waits like `hang` (the client is
            // expected to fail the call at once rather than wait for it).
            write_raw_line(&format!(
                "{{\"jsonrpc\":\"2.0\",\"id\":{}{NOT_JSON_RESULT}",
                serde_json::to_string(&context.id).unwrap_or_default()
            ));
            tokio::select! {
                () = context.ct.cancelled() => {}
                () = server.input_closed().cancelled() => {}
            }
            Ok(CallToolResult::error(vec![ContentBlock::text(
                "not_json ended",
            )]))
        }
        "change_tools" => change_tools(args, server, context).await,
        "structured_only" => {
            let mut result = structured(json!({"items": [1, 2, 3], "total": 3}));
            result.content.clear();
            Ok(result)
        }
        "mixed_content" => Ok(CallToolResult::success(vec![
            ContentBlock::text("first text block"),
            ContentBlock::text("second text block"),
            ContentBlock::image(TINY_PNG_BASE64, "image/png"),
            ContentBlock::embedded_text("demo://note/1", "The first demo note."),
        ])),
        // The video block is added by `with_future_block`: rmcp's typed result cannot hold it.
        FUTURE_CONTENT => Ok(CallToolResult::success(vec![ContentBlock::text("hello")])),
        _ => return None,
    };
    Some(result)
}

/// The block `future_content` adds, of a content type MCP does not define.
pub(crate) fn future_block() -> Value {
    json!({"type": "video", "uri": "x://v", "mimeType": "video/mp4"})
}

/// `future_content`'s answer: its typed result with [`future_block`] appended, sent as a custom
/// result since rmcp's `ContentBlock` has no such type. Errors and other answers pass unchanged.
pub(crate) fn with_future_block(result: ServerResult) -> ServerResult {
    let ServerResult::CallToolResult(typed) = &result else {
        return result;
    };
    if typed.is_error == Some(true) {
        return result;
    }
    let Ok(mut value) = serde_json::to_value(typed) else {
        return result;
    };
    let Some(content) = value.get_mut("content").and_then(Value::as_array_mut) else {
        return result;
    };
    content.push(future_block());
    ServerResult::CustomResult(CustomResult::new(value))
}

/// `crash`: exits the process with the requested code, or reports a bad argument.
fn crash(args: Args<'_>) -> Result<CallToolResult, ArgError> {
    let code = args.int32("code", 3)?;
    stderr_line("demo-server: crashing on purpose");
    std::process::exit(code)
}

/// `bytes` bytes of the repeated pattern (the last line may be cut short).
pub(crate) fn big_text(bytes: u64) -> String {
    let len = usize::try_from(bytes).unwrap_or(usize::MAX);
    let mut text = BIG_OUTPUT_PATTERN.repeat(len.div_ceil(BIG_OUTPUT_PATTERN.len()));
    // The pattern is ASCII, so any byte length is a char boundary.
    text.truncate(len);
    text
}

async fn stderr_spam(args: Args<'_>) -> Result<CallToolResult, ArgError> {
    let lines = args.count("lines", DEFAULT_SPAM_LINES, MAX_SPAM_LINES)?;
    // A client that does not drain stderr fills the pipe and blocks this write; keep that off
    // the async workers so other requests still progress.
    let written = tokio::task::spawn_blocking(move || spam(lines)).await;
    Ok(match written {
        Ok(Ok(())) => text("ok"),
        Ok(Err(error)) => CallToolResult::error(vec![ContentBlock::text(format!(
            "writing to stderr failed: {error}"
        ))]),
        Err(error) => CallToolResult::error(vec![ContentBlock::text(format!(
            "the stderr writer task failed: {error}"
        ))]),
    })
}

/// Writes `lines` numbered lines to stderr.
pub(crate) fn spam(lines: u64) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stderr().lock());
    for i in 1..=lines {
        writeln!(out, "demo-server: stderr line {i} of {lines}")?;
    }
    out.flush()
}

/// Writes `line` and a newline straight to the process stdout, bypassing the MCP transport.
fn write_raw_line(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(line.as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
}

/// `malformed`: writes [`MALFORMED_FRAME`] straight to the process stdout.
fn malformed() -> CallToolResult {
    // Bypassing the MCP transport is the point: the client must cope with a corrupt frame.
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(MALFORMED_FRAME)
        .and_then(|()| stdout.flush())
    {
        Ok(()) => text("wrote a malformed frame to stdout"),
        Err(error) => CallToolResult::error(vec![ContentBlock::text(format!(
            "writing the malformed frame failed: {error}"
        ))]),
    }
}

async fn change_tools(
    args: Args<'_>,
    server: &DemoServer,
    context: &RequestContext<RoleServer>,
) -> Result<CallToolResult, ArgError> {
    let name = args.string("name")?;
    if name.is_empty() {
        return Err(ArgError {
            name: "name",
            problem: "must not be empty".to_owned(),
        });
    }
    let tool = echo_tool(
        name,
        format!("Echo the text back (added at runtime as `{name}`)."),
    );
    if !server.add_tool(tool) {
        return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
            "a tool named `{name}` already exists"
        ))]));
    }
    if let Err(error) = context.peer.notify_tool_list_changed().await {
        tracing::warn!(%error, "could not send notifications/tools/list_changed");
    }
    Ok(text(format!("added {name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn future_content_appends_a_video_block() {
        let typed = CallToolResult::success(vec![ContentBlock::text("hello")]);
        let ServerResult::CustomResult(custom) =
            with_future_block(ServerResult::CallToolResult(typed))
        else {
            panic!("not a custom result");
        };
        assert_eq!(
            custom.0["content"][0],
            json!({"type": "text", "text": "hello"})
        );
        assert_eq!(custom.0["content"][1], future_block());
        assert_eq!(custom.0["isError"], false);
        let error = ServerResult::CallToolResult(CallToolResult::error(vec![]));
        assert!(matches!(
            with_future_block(error),
            ServerResult::CallToolResult(_)
        ));
    }

    #[test]
    fn big_text_has_exact_size() {
        assert_eq!(big_text(0), "");
        assert_eq!(big_text(5), "01234");
        let text = big_text(40);
        assert_eq!(text.len(), 40);
        assert!(text.starts_with("0123456789abcdef\n0123456789abcdef\n0123"));
    }
}
