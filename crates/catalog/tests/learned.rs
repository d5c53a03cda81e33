//! Learned result types: inference, merging, enum evidence, the store and its file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mcpscript_catalog::learned::{MAX_ENUM_VALUES, MAX_PROPERTIES, MIN_ENUM_SAMPLES};
use mcpscript_catalog::{
    LearnedTypes, SchemaSource, effective_output_schema, infer, merge, publish,
};
use serde_json::{Value, json};

/// A word-like key for `i`: `a`, `b`, …, `z`, `ba`, `bb`, …
fn letters(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(char::from(b'a' + u8::try_from(i % 26).unwrap()));
        i /= 26;
        if i == 0 {
            break;
        }
    }
    out.iter().rev().collect()
}

/// Publishes the merge of the shapes of all values.
fn learn(values: &[Value]) -> Value {
    let shape = values
        .iter()
        .map(infer)
        .reduce(|a, b| merge(&a, &b))
        .unwrap();
    publish(&shape)
}

#[test]
fn scalars() {
    assert_eq!(learn(&[json!(1)]), json!({"type": "integer"}));
    assert_eq!(learn(&[json!(1.5)]), json!({"type": "number"}));
    assert_eq!(learn(&[json!(1), json!(2.5)]), json!({"type": "number"}));
    assert_eq!(learn(&[json!(true)]), json!({"type": "boolean"}));
    assert_eq!(learn(&[json!(null)]), json!({"type": "null"}));
    assert_eq!(learn(&[json!("x")]), json!({"type": "string"}));
    assert_eq!(
        learn(&[json!("x"), json!(null)]),
        json!({"type": ["string", "null"]})
    );
    assert_eq!(
        learn(&[json!(1), json!("x"), json!(false)]),
        json!({"type": ["string", "integer", "boolean"]})
    );
}

#[test]
fn objects_required_is_keys_present_everywhere() {
    let schema = learn(&[
        json!({"id": 1, "name": "a", "tags": ["x"]}),
        json!({"id": 2, "name": null, "extra": 1.5}),
    ]);
    assert_eq!(
        schema,
        json!({
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": ["string", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "extra": {"type": "number"}
            },
            "required": ["id", "name"]
        })
    );
}

#[test]
fn array_items_merge_across_elements() {
    let schema = learn(&[json!([{"a": 1}, {"a": 2, "b": "x"}, {"a": 3.5}])]);
    assert_eq!(
        schema,
        json!({"type": "array", "items": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "string"}},
            "required": ["a"]
        }})
    );
    assert_eq!(learn(&[json!([])]), json!({"type": "array"}));
    assert_eq!(
        learn(&[json!([]), json!([1])]),
        json!({"type": "array", "items": {"type": "integer"}})
    );
}

#[test]
fn enums_need_repeated_short_values() {
    // One observation is no evidence.
    assert_eq!(
        learn(&[json!({"s": "ok"})])["properties"]["s"],
        json!({"type": "string"})
    );
    // Values that repeat across observations are an enum.
    let statuses = learn(&[
        json!({"s": "ok"}),
        json!({"s": "failed"}),
        json!({"s": "ok"}),
    ]);
    assert_eq!(
        statuses["properties"]["s"],
        json!({"type": "string", "enum": ["ok", "failed"]})
    );
    // ...also within one array.
    assert_eq!(
        learn(&[json!(["a", "b", "a"])])["items"],
        json!({"type": "string", "enum": ["a", "b"]})
    );
    // Every value different: names, not codes.
    assert_eq!(
        learn(&[json!("alice"), json!("bob")]),
        json!({"type": "string"})
    );
    // Nullable enums admit null.
    assert_eq!(
        learn(&[json!("on"), json!(null), json!("off"), json!("on")]),
        json!({"type": ["string", "null"], "enum": ["on", "off", null]})
    );
    // Long values never make an enum.
    let long = "x".repeat(41);
    assert_eq!(
        learn(&[json!(long), json!(long)]),
        json!({"type": "string"})
    );
}

#[test]
fn enum_union_is_capped() {
    let mut values: Vec<Value> = (0..MAX_ENUM_VALUES)
        .map(|i| json!(format!("v{}", char::from(b'a' + u8::try_from(i).unwrap()))))
        .collect();
    values.push(json!("va"));
    let schema = learn(&values);
    assert_eq!(schema["enum"].as_array().unwrap().len(), MAX_ENUM_VALUES);
    // A ninth distinct value drops the enum, and it does not come back.
    values.push(json!("vz"));
    assert_eq!(learn(&values), json!({"type": "string"}));
    values.extend([json!("va"), json!("va")]);
    assert_eq!(learn(&values), json!({"type": "string"}));
}

#[test]
fn merge_is_symmetric_in_content() {
    let a = infer(&json!({"x": 1, "y": "s"}));
    let b = infer(&json!({"x": null, "z": [true]}));
    let ab = publish(&merge(&a, &b));
    let ba = publish(&merge(&b, &a));
    assert_eq!(ab["type"], ba["type"]);
    assert_eq!(ab["required"], json!(["x"]));
    assert_eq!(ba["required"], json!(["x"]));
    assert_eq!(ab["properties"]["x"], json!({"type": ["integer", "null"]}));
    assert_eq!(ab["properties"]["x"], ba["properties"]["x"]);
    assert_eq!(ab["properties"]["z"], ba["properties"]["z"]);
}

#[test]
fn merge_with_untyped_accepts_anything() {
    assert_eq!(merge(&json!({}), &infer(&json!(1))), json!({}));
}

#[test]
fn object_and_other_types() {
    let schema = learn(&[json!({"a": 1}), json!("text"), json!({"a": 2})]);
    assert_eq!(
        schema,
        json!({"type": ["object", "string"], "properties": {"a": {"type": "integer"}}, "required": ["a"]})
    );
}

#[test]
fn maps_collapse_to_additional_properties() {
    // Word-like keys, but too many of them for a record.
    let big: serde_json::Map<String, Value> = (0..=MAX_PROPERTIES)
        .map(|i| (letters(i), json!(i)))
        .collect();
    let schema = learn(&[Value::Object(big), json!({"other": 1.5})]);
    assert_eq!(
        schema,
        json!({"type": "object", "additionalProperties": {"type": "number"}})
    );
}

#[test]
fn shapes_are_valid_schemas_for_what_they_saw() {
    // The bookkeeping keywords are extensions; the shape itself accepts every observation.
    let shape = infer(&json!({"s": "ok"}));
    assert_eq!(shape["properties"]["s"]["type"], "string");
    assert!(shape["properties"]["s"].get("enum").is_none());
}

#[test]
fn declared_output_schema_wins() {
    let learned = json!({"type": "object"});
    let declared = json!({"name": "t", "outputSchema": {"type": "object", "properties": {}}});
    let (schema, source) = effective_output_schema(&declared, Some(&learned)).unwrap();
    assert_eq!(source, SchemaSource::Declared);
    assert_eq!(schema, &declared["outputSchema"]);

    let undeclared = json!({"name": "t"});
    let (schema, source) = effective_output_schema(&undeclared, Some(&learned)).unwrap();
    assert_eq!(source, SchemaSource::Learned);
    assert_eq!(schema, &learned);
    assert!(effective_output_schema(&undeclared, None).is_none());
}

#[test]
fn store_observes_saves_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".mcpscript/schemas.json");
    let mut store = LearnedTypes::load(&path);
    assert!(store.get("git", "git_log").is_none());
    assert!(!store.is_dirty());
    store.save().unwrap();
    assert!(!path.exists(), "nothing observed, nothing written");

    store.observe("git", "git_log", &json!({"status": "ok", "n": 1}));
    store.observe("git", "git_log", &json!({"status": "failed", "n": 2}));
    store.observe("git", "git_log", &json!({"status": "ok", "n": 3}));
    assert!(store.is_dirty());
    assert_eq!(store.entry("git", "git_log").unwrap().samples, 3);
    assert_eq!(
        store.get("git", "git_log").unwrap()["properties"]["status"],
        json!({"type": "string", "enum": ["ok", "failed"]})
    );
    store.save().unwrap();
    assert!(!store.is_dirty());

    let reloaded = LearnedTypes::load(&path);
    assert_eq!(reloaded.get("git", "git_log"), store.get("git", "git_log"));
    assert_eq!(reloaded.entry("git", "git_log").unwrap().samples, 3);
    let listed: Vec<_> = reloaded
        .iter()
        .map(|(s, t, _)| format!("{s}.{t}"))
        .collect();
    assert_eq!(listed, ["git.git_log"]);
}

#[test]
fn concurrent_stores_keep_each_others_observations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schemas.json");
    let mut one = LearnedTypes::load(&path);
    let mut two = LearnedTypes::load(&path);
    one.observe("s", "t", &json!({"a": 1}));
    two.observe("s", "t", &json!({"b": "x"}));
    two.observe("s", "u", &json!(1));
    one.save().unwrap();
    two.save().unwrap();
    let merged = LearnedTypes::load(&path);
    assert_eq!(merged.entry("s", "t").unwrap().samples, 2);
    let props = merged.get("s", "t").unwrap()["properties"]
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(props.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(merged.entry("s", "u").unwrap().samples, 1);
}

#[test]
fn corrupt_store_reads_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schemas.json");
    std::fs::write(&path, "{\"version\": 1, \"tools\": [").unwrap();
    let mut store = LearnedTypes::load(&path);
    assert_eq!(store.iter().count(), 0);
    store.observe("s", "t", &json!(1));
    store.save().unwrap();
    assert_eq!(
        LearnedTypes::load(&path).get("s", "t"),
        Some(&json!({"type": "integer"}))
    );
    std::fs::write(&path, "{\"version\": 99, \"tools\": {}}").unwrap();
    assert_eq!(LearnedTypes::load(&path).iter().count(), 0);
}

#[test]
fn data_like_strings_never_become_enums() {
    // Emails, ids, paths and keys repeat too, but must not be written to the store.
    for v in [
        "ann@example.com",
        "user-1234",
        "/home/ann",
        "sk_live_ab12",
        "v1.2",
    ] {
        assert_eq!(
            learn(&[json!(v), json!("done"), json!(v), json!("done")]),
            json!({"type": "string"}),
            "{v}"
        );
    }
    assert_eq!(
        learn(&[json!("in_progress"), json!("done"), json!("in_progress")]),
        json!({"type": "string", "enum": ["in_progress", "done"]})
    );
}

#[test]
fn a_value_that_never_varies_is_not_an_enum() {
    // However often it is seen: a constant, a terminal type, a token are not a set of codes.
    let many = vec![json!({"term": "xterm", "token": "sk-abc"}); 10];
    let schema = learn(&many);
    assert_eq!(schema["properties"]["term"], json!({"type": "string"}));
    assert_eq!(schema["properties"]["token"], json!({"type": "string"}));
    // Two distinct values need a repeat, so at least MIN_ENUM_SAMPLES observations.
    assert_eq!(MIN_ENUM_SAMPLES, 3);
    assert_eq!(learn(&[json!("a"), json!("b")]), json!({"type": "string"}));
    assert_eq!(
        learn(&[json!("a"), json!("b"), json!("b")]),
        json!({"type": "string", "enum": ["a", "b"]})
    );
}

#[test]
fn identical_results_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schemas.json");
    let mut store = LearnedTypes::load(&path);
    // The same two calls, each made twice: two results, two names — no evidence of a set.
    for _ in 0..2 {
        store.observe("s", "user", &json!({"name": "alice"}));
        store.observe("s", "user", &json!({"name": "bob"}));
    }
    assert_eq!(store.entry("s", "user").unwrap().samples, 2);
    assert_eq!(
        store.get("s", "user").unwrap()["properties"]["name"],
        json!({"type": "string"})
    );
    // A different result repeating a value is evidence.
    store.observe("s", "user", &json!({"name": "alice", "admin": true}));
    assert_eq!(store.entry("s", "user").unwrap().samples, 3);
    assert_eq!(
        store.get("s", "user").unwrap()["properties"]["name"],
        json!({"type": "string", "enum": ["alice", "bob"]})
    );
    // Per tool: the same result of another tool is a new sample.
    store.observe("s", "other", &json!({"name": "alice"}));
    assert_eq!(store.entry("s", "other").unwrap().samples, 1);
    store.save().unwrap();
    assert_eq!(
        LearnedTypes::load(&path)
            .entry("s", "user")
            .unwrap()
            .samples,
        3
    );
}

#[test]
fn objects_keyed_by_data_are_maps() {
    let result = json!({
        "alice@corp.com": {"uid": 1, "shell": "bash"},
        "/home/bob/.ssh/id_rsa": {"uid": 2, "shell": "zsh"}
    });
    let shape = infer(&result);
    let schema = publish(&shape);
    assert_eq!(
        schema,
        json!({"type": "object", "additionalProperties": {
            "type": "object",
            "properties": {"uid": {"type": "integer"}, "shell": {"type": "string"}},
            "required": ["uid", "shell"]
        }})
    );
    for text in [shape.to_string(), schema.to_string()] {
        assert!(!text.contains("alice"), "{text}");
        assert!(!text.contains("id_rsa"), "{text}");
    }
    // One data-like key is enough; so is a digit (dates, ids).
    for key in ["2024-01-01", "user-1234", "example.com", "a b/c"] {
        let schema = learn(&[json!({"name": "x", key: 1})]);
        assert_eq!(
            schema,
            json!({"type": "object", "additionalProperties": {"type": ["string", "integer"]}}),
            "{key}"
        );
    }
    // Nested: a record holding a map stays a record.
    let schema = learn(&[json!({"count": 1, "users": {"ann@x.io": "admin"}})]);
    assert_eq!(schema["required"], json!(["count", "users"]));
    assert_eq!(
        schema["properties"]["users"],
        json!({"type": "object", "additionalProperties": {"type": "string"}})
    );
    // A record merged with a map is a map: the record's keys go too.
    let schema = learn(&[json!({"carol": 1}), json!({"dave@x.io": 2})]);
    assert_eq!(
        schema,
        json!({"type": "object", "additionalProperties": {"type": "integer"}})
    );
}

#[test]
fn word_like_keys_stay_records() {
    let record = json!({
        "id": 1,
        "created_at": "x",
        "web_commit_signoff_required": false,
        "Content-Type": "text/plain",
        "camelCaseName": null
    });
    let schema = learn(&[record]);
    let keys: Vec<_> = schema["properties"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "id",
            "created_at",
            "web_commit_signoff_required",
            "Content-Type",
            "camelCaseName"
        ]
    );
    assert!(schema.get("additionalProperties").is_none());
}

#[test]
fn data_keys_never_reach_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schemas.json");
    let mut store = LearnedTypes::load(&path);
    store.observe(
        "fs",
        "stat",
        &json!({"alice@corp.com": {"size": 1}, "/home/bob/.ssh/id_rsa": {"size": 2}}),
    );
    store.save().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("alice"), "{text}");
    assert!(!text.contains("id_rsa"), "{text}");
}

#[test]
fn stores_written_under_older_rules_are_cleaned_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schemas.json");
    // A record keyed by emails and a one-value enum from two identical samples, as older
    // versions wrote them.
    let old = json!({"version": 1, "tools": {"s": {"t": {
        "samples": 2,
        "updated_at": 1,
        "schema": {
            "type": "object",
            "properties": {
                "alice@corp.com": {"type": "integer"},
                "term": {"type": "string", "enum": ["xterm"]}
            },
            "required": ["alice@corp.com", "term"]
        },
        "shape": {"type": "object", "properties": {
            "users": {
                "type": "object",
                "properties": {"alice@corp.com": {"type": "integer"}},
                "required": ["alice@corp.com"]
            },
            "term": {"type": "string", "x-seen": 2, "x-values": ["xterm"]}
        }, "required": ["users", "term"]}
    }}}});
    std::fs::write(&path, old.to_string()).unwrap();
    let mut store = LearnedTypes::load(&path);
    let schema = store.get("s", "t").unwrap().clone();
    assert_eq!(
        schema,
        json!({"type": "object", "properties": {
            "users": {"type": "object", "additionalProperties": {"type": "integer"}},
            "term": {"type": "string"}
        }, "required": ["users", "term"]})
    );
    store.observe("s", "u", &json!(1));
    store.save().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("alice"), "{text}");
}

#[test]
fn field_names_with_a_few_digits_or_a_leading_underscore_stay_records() {
    let record = serde_json::json!({"sha256": "x", "line1": "a", "_meta": {}, "ipv4": "b"});
    let schema = publish(&infer(&record));
    assert!(schema["properties"]["sha256"].is_object(), "{schema}");
    assert!(schema["properties"]["_meta"].is_object(), "{schema}");
    let map = serde_json::json!({"user1234": 1, "user5678": 2});
    let schema = publish(&infer(&map));
    assert!(schema.get("properties").is_none(), "{schema}");
}
