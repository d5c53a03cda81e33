//! Generating the wrapper tree for 100 tools (real schemas from the fixture corpus, renamed and
//! repeated to 100, over five servers). Target: ≤ 100 ms; no server I/O is involved.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use mcpscript_codegen::{Plan, ServerTools, generate};
use serde_json::Value;

const TOOLS: usize = 100;
const SERVERS: usize = 5;

/// Every real tool of the fixture corpus, cycled and renamed until there are `TOOLS`.
fn corpus() -> Vec<Vec<Value>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut real = Vec::new();
    for name in ["git", "time", "everything", "filesystem", "memory", "demo"] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        let tools: Vec<Value> = serde_json::from_str(&text).unwrap();
        real.extend(tools);
    }
    let mut servers = vec![Vec::new(); SERVERS];
    for i in 0..TOOLS {
        let mut tool = real[i % real.len()].clone();
        let name = format!("{}_{i}", tool["name"].as_str().unwrap());
        tool["name"] = Value::from(name);
        servers[i % SERVERS].push(tool);
    }
    servers
}

fn bench(c: &mut Criterion) {
    let tools = corpus();
    let learned = BTreeMap::new();
    let names: Vec<String> = (0..SERVERS).map(|i| format!("server-{i}")).collect();
    let servers: Vec<ServerTools<'_>> = names
        .iter()
        .zip(&tools)
        .map(|(name, tools)| ServerTools {
            name,
            tools,
            learned: &learned,
        })
        .collect();
    assert_eq!(servers.iter().map(|s| s.tools.len()).sum::<usize>(), TOOLS);
    c.bench_function("generate_100_tools", |b| {
        b.iter(|| generate(black_box(&servers)))
    });
    c.bench_function("docs_100_tools", |b| {
        b.iter(|| Plan::new(black_box(&servers)).docs())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
