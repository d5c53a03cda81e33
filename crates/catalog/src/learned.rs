//! Learned result types: JSON Schemas inferred from the results tools actually return.
//!
//! Observations are kept as *shapes*: JSON Schemas (draft 2020-12 keywords `type`, `properties`,
//! `required`, `items`, `additionalProperties`) that accept every value seen so far, plus two
//! bookkeeping keywords on string nodes that validators ignore: `x-seen`, how many strings were
//! observed there, and `x-values`, the distinct values seen while there are at most
//! [`MAX_ENUM_VALUES`] of them and every one is word-like (absent once a data-like value or a
//! ninth distinct value turned up: the string is open). [`infer`] makes a shape from one value;
//! [`merge`] unions two shapes; [`publish`] turns a shape into the schema callers show:
//!
//! - a string node becomes an `enum` only on real evidence of a small closed set: its values are
//!   known, at least [`MIN_ENUM_VALUES`] distinct values were seen, it was observed at least
//!   [`MIN_ENUM_SAMPLES`] times, and fewer distinct values were seen than observations (some
//!   value repeated, so this is a set of codes rather than names that differ each time). A value
//!   that never varied is not evidence of a set (it may be a constant, a user name, a terminal
//!   type): it stays `string`;
//! - the bookkeeping keywords are dropped.
//!
//! *Word-like* means short and made of letters, `_`, `-` and spaces, starting with a letter
//! (`ok`, `in_progress`, `Cloudy`): anything with digits, `@`, `/` or `.` may be an email, id,
//! path or key, and is never written to the store. Object keys get the same test, except that
//! they may start with `_` (`_meta`) and hold up to three digits (`sha256`, `line1`): an
//! object with a key that fails it (`alice@corp.com`, `/home/bob`, `user1234`), or with more than
//! [`MAX_PROPERTIES`] keys, is a *map*, not a record: its shape is
//! `{"type": "object", "additionalProperties": <merge of its values>}`, with no `properties`, so
//! no key is stored. A record merged with a map is a map.
//!
//! Types: `integer` for numbers without a fractional part, `number` otherwise (and for a mix);
//! `null` joins the type list (`["string", "null"]`), so a nullable field stays required when it
//! is always present. `required` is the set of keys present in every object observed. Arrays'
//! `items` is the merge of every element seen.
//!
//! [`LearnedTypes`] keeps one shape per tool in a JSON file (`.mcpscript/schemas.json` beside the
//! config), with a sample count. Identical results observed by one store (one `run`, one
//! `discover`) count once. Saving is a locked read-merge-write, so concurrent processes keep
//! each other's observations. A learned schema never replaces a declared `outputSchema`:
//! [`effective_output_schema`] picks.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::fsutil::{now_unix, write_atomic};

/// The most distinct values a string may take and still become an `enum`.
pub const MAX_ENUM_VALUES: usize = 8;
/// The fewest distinct values a string must take to become an `enum`.
pub const MIN_ENUM_VALUES: usize = 2;
/// The fewest observations of a string before it may become an `enum`.
pub const MIN_ENUM_SAMPLES: u64 = 3;
/// The longest string (in characters) that counts as an enum value.
pub const MAX_ENUM_VALUE_LEN: usize = 24;
/// The longest object key (in characters) that counts as a record's property name.
pub const MAX_KEY_LEN: usize = 40;
/// The most properties an object keeps before it is treated as a map.
pub const MAX_PROPERTIES: usize = 64;
/// How long [`LearnedTypes::save`] waits for the store's lock before it gives up.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(5);
/// The most distinct results per tool a store remembers to count identical results once.
const MAX_REMEMBERED_RESULTS: usize = 64;
/// The learned-types file's format version; a file with another version reads as empty.
pub const LEARNED_VERSION: u32 = 1;

const SEEN: &str = "x-seen";
const VALUES: &str = "x-values";
const TYPE_ORDER: [&str; 7] = [
    "object", "array", "string", "number", "integer", "boolean", "null",
];

/// Whether a string is word-like (see the module docs): at most `max_len` characters of
/// letters, `_`, `-` and spaces, starting with a letter (status words like `ok`, `in_progress`,
/// `Cloudy`; field names like `created_at`). Values that look like data — digits, `@`, `/`, `.`,
/// long tokens — fail: they may be emails, ids, paths or keys, and are never written to the
/// store.
fn word_like(s: &str, max_len: usize) -> bool {
    let n = s.chars().count();
    (1..=max_len).contains(&n)
        && s.chars().next().is_some_and(char::is_alphabetic)
        && s.chars()
            .all(|c| c.is_alphabetic() || c == '_' || c == '-' || c == ' ')
}

/// Whether a string could be an enum member worth remembering.
fn enum_like(s: &str) -> bool {
    word_like(s, MAX_ENUM_VALUE_LEN)
}

/// Whether an object key could be a record's property name rather than data: word-like, but
/// it may also start with `_` (`_meta`, `_id`) and hold a few digits (`sha256`, `line1`,
/// `ipv4`); more than three digits (`user1234`, dates, ids) make it data.
fn key_like(s: &str) -> bool {
    let n = s.chars().count();
    (1..=MAX_KEY_LEN).contains(&n)
        && s.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == ' ')
        && s.chars().filter(char::is_ascii_digit).count() <= 3
        && s.chars().any(char::is_alphabetic)
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
            collapse_map(&mut out);
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
    collapse_map(out);
}

/// Collapses a record shape that is really a map — a key that is not word-like, or more than
/// [`MAX_PROPERTIES`] keys — into `additionalProperties`: the merge of its property shapes. No
/// key survives.
fn collapse_map(out: &mut Map<String, Value>) {
    let is_map = out
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.len() > MAX_PROPERTIES || !p.keys().all(|k| key_like(k)));
    if !is_map {
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

/// Brings a shape read from a file written under older rules up to the current ones: records
/// whose keys are data become maps (bottom-up), so such keys are dropped from the store at the
/// next save.
fn sanitize(shape: &mut Value) {
    let Value::Object(map) = shape else {
        return;
    };
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.values_mut().for_each(sanitize);
    }
    for k in ["items", "additionalProperties"] {
        if let Some(v) = map.get_mut(k) {
            sanitize(v);
        }
    }
    if let Some(Value::Array(values)) = map.get(VALUES)
        && !values.iter().all(|v| v.as_str().is_some_and(enum_like))
    {
        map.remove(VALUES);
    }
    collapse_map(map);
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
        && (MIN_ENUM_VALUES..=MAX_ENUM_VALUES).contains(&values.len())
        && seen >= MIN_ENUM_SAMPLES
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
    /// How many results were observed (identical results observed by one store count once).
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
    /// The distinct results this store observed, per tool (at most
    /// [`MAX_REMEMBERED_RESULTS`]), so an identical result counts once. Kept in memory only.
    observed: BTreeMap<(String, String), Vec<Value>>,
    /// How long `save` waits for the lock.
    lock_timeout: Duration,
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
            observed: BTreeMap::new(),
            lock_timeout: LOCK_TIMEOUT,
        }
    }

    /// Sets how long [`save`](Self::save) waits for the store's lock ([`LOCK_TIMEOUT`] by
    /// default).
    #[must_use]
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The file behind the store.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Merges one result of `server.tool` into what is known about it. A result identical to
    /// one this store already observed for the tool is ignored: repeating a call is no new
    /// evidence (it would otherwise make every value it holds look like a repeated code).
    pub fn observe(&mut self, server: &str, tool: &str, result: &Value) {
        let key = (server.to_owned(), tool.to_owned());
        let seen = self.observed.entry(key.clone()).or_default();
        if seen.contains(result) {
            return;
        }
        if seen.len() < MAX_REMEMBERED_RESULTS {
            seen.push(result.clone());
        }
        let shape = infer(result);
        apply(&mut self.tools, server, tool, &shape, 1);
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

    /// Adds the observations made since the last load or save to the file. A no-op when nothing
    /// was observed.
    ///
    /// Concurrent processes (parallel `mcpscript run`s) keep each other's observations: under an
    /// exclusive lock on a sibling file (`schemas.json.lock`), the file is read again, this
    /// store's new observations are merged into it, and the result is written to a temporary
    /// file and renamed over it. When the lock cannot be taken within the lock timeout
    /// ([`LOCK_TIMEOUT`] unless [`with_lock_timeout`](Self::with_lock_timeout) set another),
    /// nothing is written: a warning is logged, `Ok` is returned and the observations stay
    /// pending ([`is_dirty`](Self::is_dirty)) for a later `save`. On a platform without file
    /// locks the file is written unlocked.
    pub fn save(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let Some(lock) = lock_store(&self.path, self.lock_timeout)? else {
            tracing::warn!(
                path = %self.path.display(),
                timeout = ?self.lock_timeout,
                "learned result types not saved: another process holds the store's lock"
            );
            return Ok(());
        };
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
        drop(lock);
        self.tools = file.tools;
        self.pending.clear();
        Ok(())
    }
}

/// The lock file of the store at `path`: its name plus `.lock`, in the same directory.
fn lock_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map_or_else(|| "schemas.json".into(), ToOwned::to_owned);
    name.push(".lock");
    path.with_file_name(name)
}

/// Takes the exclusive lock of the store at `path`, polling until `timeout`: `Ok(None)` when
/// another holder kept it that long. The lock is released when the returned file is dropped (or
/// its process ends). The lock file is left in place: removing it would let two processes lock
/// two different files.
fn lock_store(path: &Path, timeout: Duration) -> std::io::Result<Option<File>> {
    let lock = lock_path(path);
    if let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)?;
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
                tracing::debug!(path = %lock.display(), error = %e, "no file locks here; saving unlocked");
                return Ok(Some(file));
            }
            Err(TryLockError::Error(e)) => return Err(e),
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(25));
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
        Ok(mut f) if f.version == LEARNED_VERSION => {
            // Files written under older rules may hold data-like keys or weakly evidenced enums.
            for entry in f.tools.values_mut().flat_map(BTreeMap::values_mut) {
                sanitize(&mut entry.shape);
                entry.schema = publish(&entry.shape);
            }
            f.tools
        }
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
