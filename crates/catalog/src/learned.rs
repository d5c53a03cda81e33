//! Learned result types: JSON Schemas inferred from the results tools actually return.
//!
//! Observations are kept as *shapes*: JSON Schemas (draft 2020-12 keywords `type`, `properties`,
//! `required`, `items`, `additionalProperties`) that accept every value seen so far, plus two
//! bookkeeping keywords on string nodes that validators ignore: `x-seen`, how many strings were
//! observed there, and `x-values`, the distinct values seen while there are at most
//! [`MAX_ENUM_VALUES`] of them, each at most [`MAX_ENUM_VALUE_LEN`] characters (absent once a
//! long value or a ninth distinct value turned up: the string is open). [`infer`] makes a shape
//! from one value; [`merge`] unions two shapes; [`publish`] turns a shape into the schema callers
//! show:
//!
//! - a string node becomes an `enum` when its values are known, it was observed at least twice
//!   and fewer distinct values were seen than observations (some value repeated, so this is a
//!   small set of codes rather than names that happen to differ each time);
//! - the bookkeeping keywords are dropped.
//!
//! Types: `integer` for numbers without a fractional part, `number` otherwise (and for a mix);
//! `null` joins the type list (`["string", "null"]`), so a nullable field stays required when it
//! is always present. `required` is the set of keys present in every object observed. Arrays'
//! `items` is the merge of every element seen. An object that grows past [`MAX_PROPERTIES`]
//! distinct keys is a map, not a record: its properties collapse into one `additionalProperties`
//! schema.
//!
//! [`LearnedTypes`] keeps one shape per tool in a JSON file (`.mcpscript/schemas.json` beside the
//! config), with a sample count. A learned schema never replaces a declared `outputSchema`:
//! [`effective_output_schema`] picks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::fsutil::{now_unix, write_atomic};

/// The most distinct values a string may take and still become an `enum`.
pub const MAX_ENUM_VALUES: usize = 8;
/// The longest string (in characters) that counts as an enum value.
pub const MAX_ENUM_VALUE_LEN: usize = 40;
/// The most properties an object keeps before it is treated as a map.
pub const MAX_PROPERTIES: usize = 64;
/// The learned-types file's format version; a file with another version reads as empty.
pub const LEARNED_VERSION: u32 = 1;

const SEEN: &str = "x-seen";
const VALUES: &str = "x-values";
const TYPE_ORDER: [&str; 7] = [
    "object", "array", "string", "number", "integer", "boolean", "null",
];

/// Whether a string could be an enum member worth remembering: short, a word or two of letters
/// (status words like `ok`, `in_progress`, `Cloudy`). Values that look like data — digits,
/// `@`, `/`, `.`, long tokens — are never written to the store: they may be emails, ids or keys.
fn enum_like(s: &str) -> bool {
    let n = s.chars().count();
    (1..=MAX_ENUM_VALUE_LEN.min(24)).contains(&n)
        && s.chars().next().is_some_and(char::is_alphabetic)
        && s.chars()
            .all(|c| c.is_alphabetic() || c == '_' || c == '-' || c == ' ')
}

/// The shape of one value (see the module docs).
pub fn infer(value: &Value) -> Value {
    match value {
        Value::Null => json!({"type": "null"}),
        Value::Bool(_) => json!({"type": "boolean"}),
        Value::Number(n) if n.is_i64() || n.is_u64() => json!({"type": "integer"}),
        Value::Number(_) => json!({"type": "number"}),
        Value::String(s) => {
            let mut out = json!({"type": "string", SEEN: 1});
            if enum_like(s) {
                out[VALUES] = json!([s]);
            }
            out
        }
        Value::Array(items) => {
            let mut out = Map::new();
            out.insert("type".into(), json!("array"));
            if let Some(items) = items.iter().map(infer).reduce(|a, b| merge(&a, &b)) {
                out.insert("items".into(), items);
            }
            Value::Object(out)
        }
        Value::Object(map) => {
            let mut out = Map::new();
            out.insert("type".into(), json!("object"));
            let props: Map<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), infer(v))).collect();
            let required: Vec<Value> = map.keys().map(|k| json!(k)).collect();
            out.insert("properties".into(), Value::Object(props));
            out.insert("required".into(), Value::Array(required));
            cap_properties(&mut out);
            Value::Object(out)
        }
    }
}

/// The type names of a schema; `None` when it has no `type` (it accepts anything).
fn types(schema: &Value) -> Option<Vec<&str>> {
    match schema.get("type")? {
        Value::String(t) => Some(vec![t.as_str()]),
        Value::Array(ts) => Some(ts.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn has_type(schema: &Value, t: &str) -> bool {
    types(schema).is_some_and(|ts| ts.contains(&t))
}

/// The union of two shapes (see the module docs). A side without `type` accepts anything, and
/// so does the result.
pub fn merge(a: &Value, b: &Value) -> Value {
    let (Some(ta), Some(tb)) = (types(a), types(b)) else {
        return json!({});
    };
    let mut set: Vec<&str> = TYPE_ORDER
        .iter()
        .copied()
        .filter(|t| ta.contains(t) || tb.contains(t))
        .collect();
    if set.contains(&"number") {
        set.retain(|t| *t != "integer");
    }
    let mut out = Map::new();
    out.insert(
        "type".into(),
        match set.as_slice() {
            [one] => json!(one),
            many => json!(many),
        },
    );
    let side = |t: &str| (has_type(a, t), has_type(b, t));
    match side("object") {
        (true, true) => merge_objects(a, b, &mut out),
        (true, false) => copy_keys(
            a,
            &["properties", "required", "additionalProperties"],
            &mut out,
        ),
        (false, true) => copy_keys(
            b,
            &["properties", "required", "additionalProperties"],
            &mut out,
        ),
        (false, false) => {}
    }
    match (side("array"), a.get("items"), b.get("items")) {
        ((true, true), Some(x), Some(y)) => {
            out.insert("items".into(), merge(x, y));
        }
        ((true, _), Some(x), _) | ((_, true), _, Some(x)) => {
            out.insert("items".into(), x.clone());
        }
        _ => {}
    }
    match side("string") {
        (true, true) => {
            let seen = |s: &Value| s.get(SEEN).and_then(Value::as_u64).unwrap_or(0);
            out.insert(SEEN.into(), json!(seen(a) + seen(b)));
            if let (Some(Value::Array(x)), Some(Value::Array(y))) = (a.get(VALUES), b.get(VALUES)) {
                let mut values = x.clone();
                for v in y {
                    if !values.contains(v) {
                        values.push(v.clone());
                    }
                }
                if values.len() <= MAX_ENUM_VALUES {
                    out.insert(VALUES.into(), Value::Array(values));
                }
            }
        }
        (true, false) => copy_keys(a, &[SEEN, VALUES], &mut out),
        (false, true) => copy_keys(b, &[SEEN, VALUES], &mut out),
        (false, false) => {}
    }
    Value::Object(out)
}

fn copy_keys(from: &Value, keys: &[&str], out: &mut Map<String, Value>) {
    for k in keys {
        if let Some(v) = from.get(*k) {
            out.insert((*k).to_owned(), v.clone());
        }
    }
}

fn merge_objects(a: &Value, b: &Value, out: &mut Map<String, Value>) {
    let empty = Map::new();
    let props = |s: &Value| s.get("properties").and_then(Value::as_object).cloned();
    let (pa, pb) = (props(a), props(b));
    if a.get("additionalProperties").is_some() || b.get("additionalProperties").is_some() {
        // At least one side is already a map: so is the union.
        let values = [a, b].into_iter().flat_map(|s| {
            let p = s
                .get("properties")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            p.values()
                .chain(s.get("additionalProperties").filter(|v| v.is_object()))
        });
        if let Some(merged) = values.cloned().reduce(|x, y| merge(&x, &y)) {
            out.insert("additionalProperties".into(), merged);
        }
        return;
    }
    let (pa, pb) = (pa.unwrap_or_default(), pb.unwrap_or_default());
    let mut merged = Map::new();
    for (k, v) in &pa {
        let m = match pb.get(k) {
            Some(w) => merge(v, w),
            None => v.clone(),
        };
        merged.insert(k.clone(), m);
    }
    for (k, w) in &pb {
        if !merged.contains_key(k) {
            merged.insert(k.clone(), w.clone());
        }
    }
    let required = |s: &Value| -> Vec<Value> {
        s.get("required")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let rb = required(b);
    let both: Vec<Value> = required(a).into_iter().filter(|k| rb.contains(k)).collect();
    out.insert("properties".into(), Value::Object(merged));
    out.insert("required".into(), Value::Array(both));
    cap_properties(out);
}

/// Collapses an object shape with too many properties into an `additionalProperties` map.
fn cap_properties(out: &mut Map<String, Value>) {
    let too_many = out
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.len() > MAX_PROPERTIES);
    if !too_many {
        return;
    }
    let Some(Value::Object(props)) = out.remove("properties") else {
        return;
    };
    out.remove("required");
    if let Some(merged) = props.into_values().reduce(|x, y| merge(&x, &y)) {
        out.insert("additionalProperties".into(), merged);
    }
}

/// The schema to show for a shape: `enum`s where the evidence supports them, bookkeeping gone.
pub fn publish(shape: &Value) -> Value {
    let Value::Object(map) = shape else {
        return shape.clone();
    };
    let mut out = Map::new();
    for (k, v) in map {
        match k.as_str() {
            SEEN | VALUES => {}
            "properties" => {
                let props = v.as_object().map(|p| {
                    p.iter()
                        .map(|(name, s)| (name.clone(), publish(s)))
                        .collect::<Map<_, _>>()
                });
                out.insert(k.clone(), props.map_or_else(|| v.clone(), Value::Object));
            }
            "items" | "additionalProperties" => {
                out.insert(k.clone(), publish(v));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    let seen = shape.get(SEEN).and_then(Value::as_u64).unwrap_or(0);
    let only_strings = types(shape).is_some_and(|ts| {
        ts.contains(&"string") && ts.iter().all(|t| matches!(*t, "string" | "null"))
    });
    if let Some(Value::Array(values)) = shape.get(VALUES)
        && only_strings
        && seen >= 2
        && values.len() <= MAX_ENUM_VALUES
        && (values.len() as u64) < seen
    {
        let mut values = values.clone();
        if has_type(shape, "null") {
            values.push(Value::Null);
        }
        out.insert("enum".into(), Value::Array(values));
    }
    Value::Object(out)
}

/// Where an output schema came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaSource {
    /// The tool's own `outputSchema`.
    Declared,
    /// Learned from results ([`LearnedTypes`]).
    Learned,
}

/// The output schema to use for a tool: its declared `outputSchema` when it has one (a JSON
/// object), else the learned schema, else `None`.
pub fn effective_output_schema<'a>(
    tool_raw: &'a Value,
    learned: Option<&'a Value>,
) -> Option<(&'a Value, SchemaSource)> {
    match tool_raw.get("outputSchema").filter(|s| s.is_object()) {
        Some(declared) => Some((declared, SchemaSource::Declared)),
        None => learned.map(|l| (l, SchemaSource::Learned)),
    }
}

/// What is known about one tool's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnedTool {
    /// How many results were observed.
    pub samples: u64,
    /// Last observation, in seconds since the Unix epoch.
    pub updated_at: u64,
    /// The published schema ([`publish`] of `shape`).
    pub schema: Value,
    /// The merged shape of every observation.
    pub shape: Value,
}

type ToolMap = BTreeMap<String, BTreeMap<String, LearnedTool>>;

#[derive(Debug, Default, Serialize, Deserialize)]
struct LearnedFile {
    version: u32,
    /// Server name → tool name → what was learned.
    tools: ToolMap,
}

/// The learned-types store: one [`LearnedTool`] per `(server, tool)`, backed by a JSON file.
#[derive(Debug, Clone)]
pub struct LearnedTypes {
    path: PathBuf,
    tools: ToolMap,
    /// Observations since the last load or save, merged per tool: what `save` adds to the file.
    pending: BTreeMap<(String, String), (Value, u64)>,
}

impl LearnedTypes {
    /// Reads the store at `path`; a missing, corrupt or other-version file is an empty store
    /// (logged at debug).
    pub fn load(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let tools = read_file(&path);
        Self {
            path,
            tools,
            pending: BTreeMap::new(),
        }
    }

    /// The file behind the store.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Merges one result of `server.tool` into what is known about it.
    pub fn observe(&mut self, server: &str, tool: &str, result: &Value) {
        let shape = infer(result);
        apply(&mut self.tools, server, tool, &shape, 1);
        let key = (server.to_owned(), tool.to_owned());
        let merged = match self.pending.remove(&key) {
            Some((old, n)) => (merge(&old, &shape), n + 1),
            None => (shape, 1),
        };
        self.pending.insert(key, merged);
    }

    /// The learned schema of `server.tool`.
    pub fn get(&self, server: &str, tool: &str) -> Option<&Value> {
        self.entry(server, tool).map(|e| &e.schema)
    }

    /// Everything known about `server.tool`.
    pub fn entry(&self, server: &str, tool: &str) -> Option<&LearnedTool> {
        self.tools.get(server)?.get(tool)
    }

    /// Every learned tool, as `(server, tool, entry)`, sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, &LearnedTool)> {
        self.tools
            .iter()
            .flat_map(|(s, tools)| tools.iter().map(move |(t, e)| (s.as_str(), t.as_str(), e)))
    }

    /// Whether there are observations not yet saved.
    pub fn is_dirty(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Adds the observations made since the last load or save to the file, atomically. The file
    /// is read again first, so observations another process saved meanwhile are kept (the window
    /// between that read and the rename is the only race, and it loses, never corrupts). A no-op
    /// when nothing was observed.
    pub fn save(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut tools = read_file(&self.path);
        for ((server, tool), (shape, n)) in &self.pending {
            apply(&mut tools, server, tool, shape, *n);
        }
        let file = LearnedFile {
            version: LEARNED_VERSION,
            tools,
        };
        let mut bytes = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        write_atomic(&self.path, &bytes)?;
        self.tools = file.tools;
        self.pending.clear();
        Ok(())
    }
}

fn apply(tools: &mut ToolMap, server: &str, tool: &str, shape: &Value, samples: u64) {
    let slot = tools
        .entry(server.to_owned())
        .or_default()
        .entry(tool.to_owned());
    let entry = slot.or_insert_with(|| LearnedTool {
        samples: 0,
        updated_at: 0,
        schema: Value::Null,
        shape: Value::Null,
    });
    entry.shape = if entry.samples == 0 {
        shape.clone()
    } else {
        merge(&entry.shape, shape)
    };
    entry.samples += samples;
    entry.updated_at = now_unix();
    entry.schema = publish(&entry.shape);
}

fn read_file(path: &Path) -> ToolMap {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            tracing::debug!(path = %path.display(), error = %e, "no learned types");
            return ToolMap::new();
        }
    };
    match serde_json::from_slice::<LearnedFile>(&bytes) {
        Ok(f) if f.version == LEARNED_VERSION => f.tools,
        Ok(f) => {
            tracing::debug!(path = %path.display(), version = f.version, "ignoring learned types of another version");
            ToolMap::new()
        }
        Err(e) => {
            tracing::debug!(path = %path.display(), error = %e, "ignoring unreadable learned types");
            ToolMap::new()
        }
    }
}
