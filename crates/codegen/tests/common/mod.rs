//! Fixture loading shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mcpscript_codegen::ServerTools;
use serde_json::Value;

/// The real test servers whose `tools/list` answers are saved in `tests/fixtures/`.
pub const REAL: &[&str] = &["git", "time", "everything", "filesystem", "memory", "demo"];

/// One server's fixture, owned.
pub struct Fixture {
    pub name: String,
    pub tools: Vec<Value>,
    pub learned: BTreeMap<String, Value>,
}

impl Fixture {
    pub fn as_server(&self) -> ServerTools<'_> {
        ServerTools {
            name: &self.name,
            tools: &self.tools,
            learned: &self.learned,
        }
    }
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read_json(name: &str) -> Value {
    let path = fixtures_dir().join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The saved `tools/list` of each real test server.
pub fn real() -> Vec<Fixture> {
    REAL.iter()
        .map(|name| Fixture {
            name: name.to_string(),
            tools: read_json(&format!("{name}.json"))
                .as_array()
                .unwrap()
                .clone(),
            learned: BTreeMap::new(),
        })
        .collect()
}

/// Hand-written schemas that try to break the generator.
pub fn pathological() -> Vec<Fixture> {
    read_json("pathological.json")["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Fixture {
            name: s["name"].as_str().unwrap().to_string(),
            tools: s["tools"].as_array().unwrap().clone(),
            learned: s["learned"]
                .as_object()
                .unwrap()
                .clone()
                .into_iter()
                .collect(),
        })
        .collect()
}

/// Every fixture: the real servers, then the pathological ones.
pub fn all() -> Vec<Fixture> {
    let mut all = real();
    all.extend(pathological());
    all
}

pub fn servers(fixtures: &[Fixture]) -> Vec<ServerTools<'_>> {
    fixtures.iter().map(Fixture::as_server).collect()
}

/// `/usr/bin/python3.11` when present (fast, the target version), else `python3`.
pub fn python() -> &'static str {
    if Path::new("/usr/bin/python3.11").exists() {
        "/usr/bin/python3.11"
    } else {
        "python3"
    }
}
