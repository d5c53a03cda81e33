//! Helpers for `mcpscript discover`: which tools may be called unprompted, and with what.
//!
//! `discover` calls a tool only when [`is_safe`] says so, with the config's samples or else
//! [`minimal_input`]. The minimal input satisfies the schema as far as this module can tell,
//! which is not the same as being meaningful (`{"repo_path": ""}`): samples in the config exist
//! for that. The CLI validates every input against the tool's `inputSchema` before calling (the
//! pool checks arguments on the host anyway), so a schema feature this module does not model
//! yields a refused input, not a bad call.

use serde_json::{Map, Value, json};

/// How deep [`minimal_input`] follows nested objects and `$ref`s before giving up.
const MAX_DEPTH: usize = 16;

/// Whether `server.tool` may be called without asking: the tool is annotated
/// `readOnlyHint: true`, or `allow_list` names it as `"server.tool"` (or the whole server as
/// `"server.*"`).
pub fn is_safe(tool_raw: &Value, allow_list: &[String], server: &str) -> bool {
    let read_only = tool_raw
        .get("annotations")
        .and_then(|a| a.get("readOnlyHint"))
        .and_then(Value::as_bool)
        == Some(true);
    if read_only {
        return true;
    }
    let Some(name) = tool_raw.get("name").and_then(Value::as_str) else {
        return false;
    };
    allow_list.iter().any(|entry| {
        entry
            .split_once('.')
            .is_some_and(|(s, t)| s == server && (t == name || t == "*"))
    })
}

/// A minimal argument object for a tool's `inputSchema`: its required properties only, each
/// with the smallest value the schema allows. `None` when no such value can be produced safely:
/// a required string with `minLength`, `format` or `pattern` (we will not guess a path, a URL or
/// an id), `allOf`, a number range we cannot satisfy, unresolvable `$ref`s, and the like.
///
/// Values, in order of preference: `const`, `default`, the first `enum` value, then by type:
/// `""` for strings, the smallest allowed number (0 when unbounded), `false`, `null`, `[]` (or
/// `minItems` minimal items), and objects built the same way. For a type list or `anyOf`/`oneOf`,
/// `null` is preferred when allowed, else the first alternative that works.
pub fn minimal_input(input_schema: &Value) -> Option<Value> {
    match minimal(input_schema, input_schema, 0)? {
        // A tool's arguments are always an object.
        value @ Value::Object(_) => Some(value),
        // A schema that allows anything (`{}`) allows no arguments.
        Value::Null if input_schema.get("type").is_none() => Some(json!({})),
        _ => None,
    }
}

fn minimal(schema: &Value, root: &Value, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let obj = match schema {
        Value::Bool(true) => return Some(Value::Null),
        Value::Object(o) => o,
        _ => return None,
    };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        return minimal(resolve(r, root)?, root, depth + 1);
    }
    if let Some(c) = obj.get("const") {
        return Some(c.clone());
    }
    if let Some(d) = obj.get("default") {
        return Some(d.clone());
    }
    if let Some(first) = obj
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return Some(first.clone());
    }
    if obj.contains_key("allOf") || obj.contains_key("not") {
        return None;
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alternatives) = obj.get(key).and_then(Value::as_array) {
            let is_null = |s: &Value| s.get("type").and_then(Value::as_str) == Some("null");
            if alternatives.iter().any(is_null) {
                return Some(Value::Null);
            }
            return alternatives
                .iter()
                .find_map(|alt| minimal(alt, root, depth + 1));
        }
    }
    let types: Vec<&str> = match obj.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ if obj.contains_key("properties") || obj.contains_key("required") => vec!["object"],
        // No type and no constraint we know: anything goes.
        _ => return Some(Value::Null),
    };
    if types.contains(&"null") {
        return Some(Value::Null);
    }
    types
        .iter()
        .find_map(|t| minimal_of_type(t, obj, root, depth))
}

fn minimal_of_type(
    ty: &str,
    obj: &Map<String, Value>,
    root: &Value,
    depth: usize,
) -> Option<Value> {
    let num = |k: &str| obj.get(k).and_then(Value::as_f64);
    match ty {
        "string" => {
            let constrained = num("minLength").is_some_and(|n| n > 0.0)
                || obj.contains_key("format")
                || obj.contains_key("pattern");
            (!constrained).then(|| json!(""))
        }
        "integer" | "number" => minimal_number(ty == "integer", obj),
        "boolean" => Some(json!(false)),
        "null" => Some(Value::Null),
        "array" => {
            let min = obj.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            if min == 0 {
                return Some(json!([]));
            }
            let unique = obj.get("uniqueItems").and_then(Value::as_bool) == Some(true);
            if unique && min > 1 {
                return None;
            }
            let item = minimal(
                obj.get("items").unwrap_or(&Value::Bool(true)),
                root,
                depth + 1,
            )?;
            Some(Value::Array(vec![item; usize::try_from(min).ok()?]))
        }
        "object" => {
            let props = obj.get("properties").and_then(Value::as_object);
            let mut out = Map::new();
            for name in obj
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = name.as_str()?;
                let prop = props
                    .and_then(|p| p.get(name))
                    .unwrap_or(&Value::Bool(true));
                out.insert(name.to_owned(), minimal(prop, root, depth + 1)?);
            }
            let min_props = obj
                .get("minProperties")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            if (out.len() as u64) < min_props {
                return None;
            }
            Some(Value::Object(out))
        }
        _ => None,
    }
}

/// The number closest to 0 inside the schema's bounds (draft 4's boolean `exclusiveMinimum` /
/// `exclusiveMaximum` and later drafts' numeric ones), honouring `multipleOf` when 0 or the bound
/// is a multiple.
fn minimal_number(integer: bool, obj: &Map<String, Value>) -> Option<Value> {
    let num = |k: &str| obj.get(k).and_then(Value::as_f64);
    let flag = |k: &str| obj.get(k).and_then(Value::as_bool) == Some(true);
    let bound = |inclusive: &str, exclusive: &str| {
        let mut b = num(inclusive).map(|v| (v, flag(exclusive)));
        if let Some(x) = num(exclusive)
            && b.is_none_or(|(v, _)| x >= v)
        {
            b = Some((x, true));
        }
        b
    };
    let low = bound("minimum", "exclusiveMinimum");
    // For the upper bound, tighter means smaller.
    let high = {
        let mut b = num("maximum").map(|v| (v, flag("exclusiveMaximum")));
        if let Some(x) = num("exclusiveMaximum")
            && b.is_none_or(|(v, _)| x <= v)
        {
            b = Some((x, true));
        }
        b
    };
    let above =
        |b: Option<(f64, bool)>, v: f64| b.is_none_or(|(l, e)| if e { v > l } else { v >= l });
    let below =
        |b: Option<(f64, bool)>, v: f64| b.is_none_or(|(h, e)| if e { v < h } else { v <= h });
    let value = match (low, high) {
        (Some((l, excl)), _) if !above(low, 0.0) => match (integer, excl) {
            (true, true) => l.floor() + 1.0,
            (true, false) => l.ceil(),
            (false, false) => l,
            (false, true) => match high {
                Some((h, _)) if l + 1.0 >= h => (l + h) / 2.0,
                _ => l + 1.0,
            },
        },
        (_, Some((h, excl))) if !below(high, 0.0) => match (integer, excl) {
            (true, true) => h.ceil() - 1.0,
            (true, false) => h.floor(),
            (false, false) => h,
            (false, true) => h - 1.0,
        },
        _ => 0.0,
    };
    let fits_low = above(low, value);
    let fits_high = below(high, value);
    let fits_step = num("multipleOf").is_none_or(|m| m > 0.0 && (value / m).fract() == 0.0);
    if !(fits_low && fits_high && fits_step && value.is_finite()) {
        return None;
    }
    if integer || value.fract() == 0.0 && value.abs() < 9.0e15 {
        Some(json!(value as i64))
    } else {
        serde_json::Number::from_f64(value).map(Value::Number)
    }
}

/// A local reference (`#/$defs/X`, `#/definitions/X`, any JSON pointer into the root).
fn resolve<'a>(reference: &str, root: &'a Value) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.is_empty() {
        return Some(root);
    }
    root.pointer(pointer)
}
