//! Discover helpers: safety and minimal inputs, for the real schemas of the test servers and for
//! awkward ones. Every minimal input produced must validate against its schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mcpscript_catalog::{is_safe, minimal_input};
use serde_json::{Value, json};

fn fixtures() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for server in ["demo", "everything", "filesystem", "git", "memory", "time"] {
        let text = std::fs::read_to_string(dir.join(format!("{server}.json"))).unwrap();
        let tools: Vec<Value> = serde_json::from_str(&text).unwrap();
        out.extend(tools.into_iter().map(|t| (server.to_owned(), t)));
    }
    out
}

fn tool<'a>(all: &'a [(String, Value)], server: &str, name: &str) -> &'a Value {
    &all.iter()
        .find(|(s, t)| s == server && t["name"] == name)
        .unwrap()
        .1
}

fn assert_valid(schema: &Value, input: &Value) {
    let validator = jsonschema::validator_for(schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(input)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{input} against {schema}: {errors:?}");
}

#[test]
fn minimal_inputs_for_the_real_schemas() {
    let all = fixtures();
    let min = |server: &str, name: &str| minimal_input(&tool(&all, server, name)["inputSchema"]);
    // Required strings are empty: schema-valid, not meaningful (config samples fix that).
    assert_eq!(min("git", "git_status"), Some(json!({"repo_path": ""})));
    assert_eq!(min("git", "git_log"), Some(json!({"repo_path": ""})));
    assert_eq!(
        min("git", "git_branch"),
        Some(json!({"repo_path": "", "branch_type": ""}))
    );
    assert_eq!(
        min("time", "get_current_time"),
        Some(json!({"timezone": ""}))
    );
    // Optional properties are left out, defaults and enums fill required ones.
    assert_eq!(min("demo", "sleep"), Some(json!({})));
    assert_eq!(min("demo", "add"), Some(json!({"a": 0, "b": 0})));
    assert_eq!(
        min("everything", "get-annotated-message"),
        Some(json!({"messageType": "error"}))
    );
    assert_eq!(
        min("everything", "get-structured-content"),
        Some(json!({"location": "New York"}))
    );
    assert_eq!(min("everything", "get-env"), Some(json!({})));
    // Arrays are empty unless minItems says otherwise; their items are minimal too.
    assert_eq!(min("memory", "open_nodes"), Some(json!({"names": []})));
    assert_eq!(
        min("git", "git_add"),
        Some(json!({"repo_path": "", "files": [""]}))
    );
    assert_eq!(
        min("filesystem", "read_multiple_files"),
        Some(json!({"paths": [""]}))
    );

    // Whatever is produced is valid.
    let mut produced = 0;
    for (_, t) in &all {
        if let Some(input) = minimal_input(&t["inputSchema"]) {
            assert_valid(&t["inputSchema"], &input);
            produced += 1;
        }
    }
    assert_eq!(produced, all.len(), "every real schema is satisfiable");
}

#[test]
fn unsatisfiable_or_unsafe_schemas_give_none() {
    for schema in [
        json!({"type": "object", "properties": {"p": {"type": "string", "minLength": 1}}, "required": ["p"]}),
        json!({"type": "object", "properties": {"u": {"type": "string", "format": "uri"}}, "required": ["u"]}),
        json!({"type": "object", "properties": {"id": {"type": "string", "pattern": "^[a-f0-9]+$"}}, "required": ["id"]}),
        json!({"type": "object", "properties": {"n": {"type": "integer", "minimum": 5, "maximum": 3}}, "required": ["n"]}),
        json!({"type": "object", "properties": {"x": {"allOf": [{"type": "string"}]}}, "required": ["x"]}),
        json!({"type": "object", "properties": {"r": {"$ref": "#/$defs/missing"}}, "required": ["r"]}),
        json!({"type": "object", "properties": {"a": {"type": "array", "minItems": 2, "uniqueItems": true, "items": {"type": "boolean"}}}, "required": ["a"]}),
        json!({"type": "object", "minProperties": 1}),
        json!({"type": "string"}),
    ] {
        assert_eq!(minimal_input(&schema), None, "{schema}");
    }
}

#[test]
fn awkward_but_satisfiable_schemas() {
    let cases = [
        // Nested required objects, recursively.
        (
            json!({"type": "object", "properties": {"o": {"type": "object", "properties": {
                "flag": {"type": "boolean"}, "opt": {"type": "string", "minLength": 3}},
                "required": ["flag"]}}, "required": ["o"]}),
            json!({"o": {"flag": false}}),
        ),
        // $ref into $defs, also recursive ones (optional recursion is not followed).
        (
            json!({"type": "object", "$defs": {"node": {"type": "object", "properties": {
                "name": {"type": "string"}, "child": {"$ref": "#/$defs/node"}}, "required": ["name"]}},
                "properties": {"root": {"$ref": "#/$defs/node"}}, "required": ["root"]}),
            json!({"root": {"name": ""}}),
        ),
        // Nullable via anyOf or a type list: null.
        (
            json!({"type": "object", "properties": {
                "a": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
                "b": {"type": ["integer", "null"]}}, "required": ["a", "b"]}),
            json!({"a": null, "b": null}),
        ),
        // First satisfiable alternative.
        (
            json!({"type": "object", "properties": {"v": {"oneOf": [
                {"type": "string", "pattern": "x"}, {"type": "integer", "minimum": 2}]}},
                "required": ["v"]}),
            json!({"v": 2}),
        ),
        // Number bounds and negative ranges.
        (
            json!({"type": "object", "properties": {
                "i": {"type": "integer", "exclusiveMinimum": 0},
                "k": {"type": "integer", "maximum": -3},
                "x": {"type": "number", "minimum": 0.5},
                "y": {"type": "number", "exclusiveMaximum": -1.5},
                "m": {"type": "integer", "multipleOf": 5}},
                "required": ["i", "k", "x", "y", "m"]}),
            json!({"i": 1, "k": -3, "x": 0.5, "y": -2.5, "m": 0}),
        ),
        // Draft 4's boolean exclusiveMinimum.
        (
            json!({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
                "properties": {"j": {"type": "integer", "minimum": 0, "exclusiveMinimum": true}},
                "required": ["j"]}),
            json!({"j": 1}),
        ),
        // const wins, then default, then enum.
        (
            json!({"type": "object", "properties": {
                "c": {"const": "fixed", "default": "no"},
                "d": {"type": "string", "default": "dflt", "enum": ["e", "dflt"]}},
                "required": ["c", "d"]}),
            json!({"c": "fixed", "d": "dflt"}),
        ),
        // An empty schema accepts no arguments.
        (json!({}), json!({})),
        (json!({"type": "object"}), json!({})),
    ];
    for (schema, expected) in cases {
        let input = minimal_input(&schema);
        assert_eq!(input.as_ref(), Some(&expected), "{schema}");
        assert_valid(&schema, &expected);
    }
}

#[test]
fn safety_is_read_only_or_listed() {
    let all = fixtures();
    let none: &[String] = &[];
    assert!(is_safe(tool(&all, "git", "git_status"), none, "git"));
    assert!(is_safe(
        tool(&all, "time", "get_current_time"),
        none,
        "time"
    ));
    let write = tool(&all, "filesystem", "write_file");
    assert!(!is_safe(write, none, "filesystem"));
    assert!(is_safe(
        write,
        &["filesystem.write_file".to_owned()],
        "filesystem"
    ));
    assert!(is_safe(write, &["filesystem.*".to_owned()], "filesystem"));
    assert!(!is_safe(
        write,
        &["other.write_file".to_owned()],
        "filesystem"
    ));
    assert!(!is_safe(
        write,
        &["filesystem.read_file".to_owned()],
        "filesystem"
    ));
    // Annotated but not read-only, and no annotation at all.
    assert!(!is_safe(
        &json!({"name": "t", "annotations": {"readOnlyHint": false}}),
        none,
        "s"
    ));
    assert!(!is_safe(&json!({"name": "t"}), none, "s"));
    let read_only = all.iter().filter(|(s, t)| is_safe(t, none, s)).count();
    assert!(read_only > 20, "{read_only}");
}
