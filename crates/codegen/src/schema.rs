//! Reading JSON Schema keywords: declared types, required keys, `allOf` merging, `$ref`
//! pointers, union variant names, and the prose a property contributes to the docs.
//!
//! Everything here is a plain function of the schema text; [`crate::types`] does the walking.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::names::singular;
use crate::text::{collapse, literal_member, py_literal};
use crate::types::ENUM_CAP;

/// The doc line of a property: its description (or a title that says more than the key), the
/// size of a capped enum, and its default.
pub(crate) fn field_doc(key: &str, schema: &Value) -> String {
    param_doc(key, schema, false)
}

/// [`field_doc`] for a parameter: without the default when the signature shows it.
pub(crate) fn param_doc(key: &str, schema: &Value, default_shown: bool) -> String {
    let mut doc = describe(key, schema);
    if let Some(note) = enum_note(schema) {
        push_sentence(&mut doc, &note);
    }
    if let Some(default) = schema
        .get("default")
        .filter(|d| !d.is_null() && !default_shown)
    {
        push_sentence(&mut doc, &format!("Defaults to {}.", doc_value(default)));
    }
    doc
}

/// A property's description, or its title when that is more than the key prettified.
pub(crate) fn describe(key: &str, schema: &Value) -> String {
    let text = |k: &str| {
        schema
            .get(k)
            .and_then(Value::as_str)
            .map(collapse)
            .filter(|s| !s.is_empty())
    };
    if let Some(d) = text("description") {
        return d;
    }
    let squash = |s: &str| {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase()
    };
    match text("title") {
        Some(t) if squash(&t) != squash(key) => t,
        _ => String::new(),
    }
}

/// "One of 120 values, e.g. …" for enums too big to spell as a `Literal`.
pub(crate) fn enum_note(schema: &Value) -> Option<String> {
    let values = schema
        .get("enum")
        .or_else(|| schema.get("items").and_then(|i| i.get("enum")))?
        .as_array()?;
    if values.len() > ENUM_CAP {
        let examples: Vec<String> = values.iter().take(3).map(doc_value).collect();
        return Some(format!(
            "One of {} values, e.g. {}.",
            values.len(),
            examples.join(", ")
        ));
    }
    // Values a `Literal` cannot hold (floats, objects) are spelled out instead.
    if values
        .iter()
        .all(|v| v.is_null() || literal_member(v).is_some())
    {
        return None;
    }
    let all: Vec<String> = values.iter().map(doc_value).collect();
    Some(format!("One of {}.", all.join(", ")))
}

/// A schema value as shown in docs: a Python literal when it is one, else compact JSON.
pub(crate) fn doc_value(value: &Value) -> String {
    py_literal(value).unwrap_or_else(|| value.to_string())
}

pub(crate) fn push_sentence(doc: &mut String, sentence: &str) {
    if !doc.is_empty() {
        if !doc.ends_with(['.', '!', '?', ':']) {
            doc.push('.');
        }
        doc.push(' ');
    }
    doc.push_str(sentence);
}

pub(crate) fn doc_of(obj: &Map<String, Value>) -> String {
    obj.get("description")
        .and_then(Value::as_str)
        .map(collapse)
        .unwrap_or_default()
}

pub(crate) fn declared_types(obj: &Map<String, Value>) -> Option<Vec<&str>> {
    match obj.get("type")? {
        Value::String(t) => Some(vec![t.as_str()]),
        Value::Array(ts) => Some(ts.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

pub(crate) fn has_type_info(obj: &Map<String, Value>) -> bool {
    [
        "type",
        "properties",
        "items",
        "enum",
        "const",
        "$ref",
        "allOf",
        "anyOf",
        "oneOf",
        "additionalProperties",
    ]
    .iter()
    .any(|k| obj.contains_key(*k))
}

pub(crate) fn is_object_schema(obj: &Map<String, Value>) -> bool {
    obj.get("properties").is_some_and(Value::is_object)
        || declared_types(obj).is_some_and(|t| t == ["object"])
}

pub(crate) fn required_set(obj: &Map<String, Value>) -> HashSet<&str> {
    obj.get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Adds `part`'s properties (the first definition of a key wins) and required keys to `into`.
pub(crate) fn merge_object(into: &mut Map<String, Value>, part: &Map<String, Value>) {
    if let Some(Value::Object(props)) = part.get("properties") {
        let target = into
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(target) = target {
            for (k, v) in props {
                target.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    if let Some(Value::Array(req)) = part.get("required") {
        let target = into
            .entry("required")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(target) = target {
            for r in req {
                if !target.contains(r) {
                    target.push(r.clone());
                }
            }
        }
    }
    if !into.contains_key("type") && part.contains_key("type") {
        into.insert("type".into(), Value::from("object"));
    }
    if !into.contains_key("description")
        && let Some(d) = part.get("description")
    {
        into.insert("description".into(), d.clone());
    }
}

/// The path for array items or map values: the last part made singular.
pub(crate) fn singular_path(path: &[String]) -> Vec<String> {
    let mut out = path.to_vec();
    match out.last_mut() {
        Some(last) => *last = singular(last),
        None => out.push("Item".into()),
    }
    out
}

/// The path naming the `i`-th object variant of a union: its title, else the value of a
/// constant discriminator (`{"type": {"const": "resource"}}` → `…Resource`), else its number.
pub(crate) fn variant_path(path: &[String], variant: &Map<String, Value>, i: usize) -> Vec<String> {
    let mut out = path.to_vec();
    if let Some(title) = variant.get("title").and_then(Value::as_str) {
        out = vec![title.to_string()];
        return out;
    }
    // A property holding one constant (or a few enum strings) tells the variants apart.
    let discriminator = variant
        .get("properties")
        .and_then(Value::as_object)
        .and_then(|props| {
            props.values().find_map(|p| {
                match (p.get("const"), p.get("enum").and_then(Value::as_array)) {
                    (Some(Value::String(c)), _) => Some(c.clone()),
                    (_, Some(e)) if (1..=3).contains(&e.len()) => {
                        let words: Option<Vec<&str>> = e.iter().map(Value::as_str).collect();
                        words.map(|w| w.join("_or_"))
                    }
                    _ => None,
                }
            })
        });
    let suffix = discriminator.unwrap_or_else(|| (i + 1).to_string());
    match out.last_mut() {
        Some(last) => {
            // `contentItem` (array items) + `resource` reads better as `ContentResource`.
            if let Some(stem) = last.strip_suffix("Item").filter(|s| !s.is_empty()) {
                *last = stem.to_string();
            }
            last.push_str(&format!("_{suffix}"));
        }
        None => out.push(suffix),
    }
    out
}

pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
