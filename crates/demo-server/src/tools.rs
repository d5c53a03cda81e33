//! The demo tool set every user sees: definitions (name, description, schemas, annotations) and
//! behaviour.
//!
//! These tools are what a fresh user meets in the quickstart, so their descriptions read like a
//! real server's. Fault-injection tools live in [`crate::faults`]; this module does not know
//! about them.

use std::{collections::HashMap, sync::Arc, time::Duration};

use rmcp::{
    model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations},
    service::{RequestContext, RoleServer},
};
use serde_json::{Value, json};

use crate::{
    args::{ArgError, Args},
    notes::{Note, NoteStore},
};

/// A 1x1 PNG (one indigo pixel, #4F46E5), base64-encoded.
pub(crate) const TINY_PNG_BASE64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mPwd3sKAAJiAXv/26zdAAAAAElFTkSuQmCC";

/// The longest `sleep` accepted: ten minutes.
const MAX_SLEEP_MS: u64 = 600_000;

/// How many entries `word_stats` reports in `top_words`.
const TOP_WORDS: usize = 5;

/// Turns a `json!` object literal into a schema object (anything else becomes `{}`).
pub(crate) fn schema(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    }
}

/// A successful result carrying `value` as `structuredContent`, plus the same JSON as text, as
/// the MCP spec recommends for clients that do not read structured output.
pub(crate) fn structured(value: Value) -> CallToolResult {
    CallToolResult::structured(value)
}

/// A successful result with one text block.
pub(crate) fn text(text: impl Into<String>) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(text)])
}

/// Annotations for a tool that only reads: read-only, closed world.
fn read_only() -> ToolAnnotations {
    ToolAnnotations::new().read_only(true).open_world(false)
}

/// A tool that echoes its `text` argument, under any name.
pub(crate) fn echo_tool(name: impl Into<String>, description: impl Into<String>) -> Tool {
    Tool::new(
        name.into(),
        description.into(),
        schema(json!({
            "type": "object",
            "properties": {
                "text": {"type": "string", "description": "The text to send back unchanged."}
            },
            "required": ["text"],
            "additionalProperties": false
        })),
    )
    .annotate(read_only())
}

/// The behaviour of every echo-style tool: one text block holding `text`.
pub(crate) fn echo(args: Args<'_>) -> Result<CallToolResult, ArgError> {
    Ok(text(args.string("text")?))
}

/// The demo tools, in the order `tools/list` reports them.
pub(crate) fn definitions() -> Vec<Tool> {
    let notes_output = schema(json!({
        "type": "object",
        "properties": {
            "notes": {
                "type": "array",
                "description": "Matching notes, oldest first.",
                "items": note_schema()
            },
            "count": {"type": "integer", "description": "How many notes are in `notes`."}
        },
        "required": ["notes", "count"]
    }));
    vec![
        echo_tool(
            "echo",
            "Return the given text unchanged. Handy for checking that the connection works.",
        )
        .with_title("Echo"),
        Tool::new(
            "add",
            "Add two numbers and return their sum. Integers stay integers; anything else is \
             added as a double.",
            schema(json!({
                "type": "object",
                "properties": {
                    "a": {"type": "number", "description": "The first addend."},
                    "b": {"type": "number", "description": "The second addend."}
                },
                "required": ["a", "b"],
                "additionalProperties": false
            })),
        )
        .with_title("Add numbers")
        .with_raw_output_schema(schema(json!({
            "type": "object",
            "properties": {"result": {"type": "number", "description": "The sum a + b."}},
            "required": ["result"]
        })))
        .annotate(read_only()),
        Tool::new(
            "sleep",
            "Wait for the given number of milliseconds, then report how long it slept. Useful \
             for trying out parallel calls and timeouts.",
            schema(json!({
                "type": "object",
                "properties": {
                    "ms": {
                        "type": "integer",
                        "description": "How long to sleep, in milliseconds (at most 600000).",
                        "minimum": 0,
                        "maximum": MAX_SLEEP_MS,
                        "default": 100
                    }
                },
                "additionalProperties": false
            })),
        )
        .with_title("Sleep")
        .annotate(read_only()),
        Tool::new(
            "word_stats",
            "Count the words, lines and characters of a text and list its most frequent words \
             (case-insensitive, punctuation trimmed).",
            schema(json!({
                "type": "object",
                "properties": {
                    "text": {"type": "string", "description": "The text to analyse."}
                },
                "required": ["text"],
                "additionalProperties": false
            })),
        )
        .with_title("Word statistics")
        .with_raw_output_schema(schema(json!({
            "type": "object",
            "properties": {
                "words": {"type": "integer", "description": "Number of words."},
                "lines": {"type": "integer", "description": "Number of lines."},
                "chars": {"type": "integer", "description": "Number of Unicode characters."},
                "top_words": {
                    "type": "array",
                    "description": "The most frequent words, most frequent first.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "word": {"type": "string", "description": "The word, lowercased."},
                            "count": {"type": "integer", "description": "How often it occurs."}
                        },
                        "required": ["word", "count"]
                    }
                }
            },
            "required": ["words", "lines", "chars", "top_words"]
        })))
        .annotate(read_only()),
        Tool::new(
            "tiny_image",
            "Return a tiny 1x1 PNG image with a caption, to show how image results arrive.",
            schema(json!({"type": "object", "properties": {}, "additionalProperties": false})),
        )
        .with_title("Tiny image")
        .annotate(read_only()),
        Tool::new(
            "fail",
            "Always fail with the given message, to show how a tool error (isError) reaches \
             your script.",
            schema(json!({
                "type": "object",
                "properties": {
                    "message": {
                        "type": "string",
                        "description": "The error message to report.",
                        "default": "this tool always fails"
                    }
                },
                "additionalProperties": false
            })),
        )
        .with_title("Fail on purpose")
        .annotate(read_only()),
        Tool::new(
            "notes_add",
            "Save a note in this server's in-memory notebook and return its id. Notes last \
             until the server stops.",
            schema(json!({
                "type": "object",
                "properties": {
                    "title": {"type": "string", "description": "A short title for the note."},
                    "body": {"type": "string", "description": "The note's text."}
                },
                "required": ["title", "body"],
                "additionalProperties": false
            })),
        )
        .with_title("Add a note")
        .with_raw_output_schema(schema(json!({
            "type": "object",
            "properties": {
                "id": {"type": "integer", "description": "The new note's id."},
                "title": {"type": "string", "description": "The note's title."}
            },
            "required": ["id", "title"]
        })))
        .annotate(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(false)
                .idempotent(false)
                .open_world(false),
        ),
        Tool::new(
            "notes_list",
            "List every note in the notebook, oldest first.",
            schema(json!({"type": "object", "properties": {}, "additionalProperties": false})),
        )
        .with_title("List notes")
        .with_raw_output_schema(notes_output.clone())
        .annotate(read_only()),
        Tool::new(
            "notes_search",
            "Find notes whose title or body contains the query (case-insensitive).",
            schema(json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "Text to look for."}
                },
                "required": ["query"],
                "additionalProperties": false
            })),
        )
        .with_title("Search notes")
        .with_raw_output_schema(notes_output)
        .annotate(read_only()),
    ]
}

/// The JSON schema of one note in structured output.
fn note_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer", "description": "The note's id."},
            "title": {"type": "string", "description": "The note's title."},
            "body": {"type": "string", "description": "The note's text."}
        },
        "required": ["id", "title", "body"]
    })
}

/// Runs the demo tool `name`, or returns `None` if `name` is not a demo tool.
pub(crate) async fn call(
    name: &str,
    args: Args<'_>,
    notes: &NoteStore,
    context: &RequestContext<RoleServer>,
) -> Option<Result<CallToolResult, ArgError>> {
    let result = match name {
        "echo" => echo(args),
        "add" => add(args),
        "sleep" => sleep(args, context).await,
        "word_stats" => args.string("text").map(|text| structured(word_stats(text))),
        "tiny_image" => Ok(tiny_image()),
        "fail" => args.opt_string("message").map(|message| {
            CallToolResult::error(vec![ContentBlock::text(
                message.unwrap_or("this tool always fails"),
            )])
        }),
        "notes_add" => notes_add(args, notes),
        "notes_list" => Ok(notes_result(notes.list())),
        "notes_search" => args
            .string("query")
            .map(|query| notes_result(notes.search(query))),
        _ => return None,
    };
    Some(result)
}

fn add(args: Args<'_>) -> Result<CallToolResult, ArgError> {
    let a = args.number("a")?;
    let b = args.number("b")?;
    let sum = match (a.as_i64(), b.as_i64()) {
        (Some(a), Some(b)) => a.checked_add(b).map(Value::from),
        _ => None,
    };
    let sum = match sum {
        Some(sum) => sum,
        None => {
            let sum = a.as_f64().unwrap_or(f64::NAN) + b.as_f64().unwrap_or(f64::NAN);
            match serde_json::Number::from_f64(sum) {
                Some(number) => Value::Number(number),
                None => {
                    return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                        "the sum of {a} and {b} is not a finite number"
                    ))]));
                }
            }
        }
    };
    Ok(structured(json!({ "result": sum })))
}

async fn sleep(
    args: Args<'_>,
    context: &RequestContext<RoleServer>,
) -> Result<CallToolResult, ArgError> {
    let ms = args.count("ms", 100, MAX_SLEEP_MS)?;
    tokio::select! {
        () = tokio::time::sleep(Duration::from_millis(ms)) => Ok(text(format!("slept {ms} ms"))),
        // rmcp drops the response of a cancelled request, so this text is never seen; returning
        // frees the task instead of sleeping on.
        () = context.ct.cancelled() => Ok(CallToolResult::error(vec![ContentBlock::text("cancelled")])),
    }
}

/// Word, line and character counts plus the most frequent words of `text`.
pub(crate) fn word_stats(text: &str) -> Value {
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut words = 0u64;
    for raw in text.split_whitespace() {
        let word = raw
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        if word.is_empty() {
            continue;
        }
        words += 1;
        *counts.entry(word).or_default() += 1;
    }
    let mut top: Vec<(String, u64)> = counts.into_iter().collect();
    top.sort_by(|(wa, ca), (wb, cb)| cb.cmp(ca).then_with(|| wa.cmp(wb)));
    top.truncate(TOP_WORDS);
    let top_words: Vec<Value> = top
        .into_iter()
        .map(|(word, count)| json!({"word": word, "count": count}))
        .collect();
    json!({
        "words": words,
        "lines": text.lines().count(),
        "chars": text.chars().count(),
        "top_words": top_words,
    })
}

fn tiny_image() -> CallToolResult {
    CallToolResult::success(vec![
        ContentBlock::image(TINY_PNG_BASE64, "image/png"),
        ContentBlock::text("A 1x1 PNG: a single indigo pixel (#4F46E5)."),
    ])
}

fn notes_add(args: Args<'_>, notes: &NoteStore) -> Result<CallToolResult, ArgError> {
    let title = args.string("title")?;
    let body = args.string("body")?;
    let note = notes.add(title, body);
    Ok(structured(json!({"id": note.id, "title": note.title})))
}

fn notes_result(notes: Vec<Note>) -> CallToolResult {
    let count = notes.len();
    structured(json!({"notes": notes, "count": count}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_stats_counts_and_ranks() {
        let stats = word_stats("The cat saw the dog.\nThe dog ran!\n");
        assert_eq!(stats["words"], 8);
        assert_eq!(stats["lines"], 2);
        assert_eq!(stats["chars"], 34);
        assert_eq!(stats["top_words"][0], json!({"word": "the", "count": 3}));
        assert_eq!(stats["top_words"][1], json!({"word": "dog", "count": 2}));
        assert_eq!(stats["top_words"].as_array().map(Vec::len), Some(5));
    }

    #[test]
    fn word_stats_of_empty_text() {
        let stats = word_stats("");
        assert_eq!(
            stats,
            json!({"words": 0, "lines": 0, "chars": 0, "top_words": []})
        );
    }

    #[test]
    fn every_property_has_a_description() {
        for tool in definitions() {
            let props = tool
                .input_schema
                .get("properties")
                .and_then(Value::as_object);
            for (name, prop) in props.into_iter().flatten() {
                assert!(
                    prop.get("description").is_some(),
                    "{}.{name} has no description",
                    tool.name
                );
            }
            assert!(tool.description.is_some());
        }
    }
}
