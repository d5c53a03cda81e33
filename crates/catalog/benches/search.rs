#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Search latency over 10,000 tools.
//!
//! The catalog is synthetic but built from real schemas: the tool lists of the test servers
//! (`tests/fixtures/`, 56 tools) repeated under 180 server names, each copy with its tool name
//! suffixed and two extra words (from a 240-word vocabulary, chosen deterministically) added to
//! its name and description, so the vocabulary and posting lists grow as in a big real catalog.
//! `query/*` time one `search(query, 10)`; `build` times indexing the 10,000 tools.
//!
//! Run with `cargo bench -p mcpscript-catalog --bench search`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use mcpscript_catalog::{Entry, SearchIndex};
use serde_json::Value;

const TOOLS: usize = 10_000;

const WORDS: &str = "account action activity address agent alert analysis api app archive \
    article asset audit backup balance batch bill block board book bookmark bucket budget \
    build bundle cache calendar call campaign card cart case catalog category certificate \
    channel chart chat check client cluster code collection column comment company config \
    connection contact container content contract cost coupon course credential customer \
    dashboard data database dataset deal deployment device document domain draft email \
    employee endpoint event expense experiment export feature feed field filter flag folder \
    form function gateway grant group guest hook host incident index inventory invoice issue \
    item job key label lead ledger license link list location lock log mailbox manifest map \
    market meeting member merge message metric milestone model module monitor namespace \
    network notebook notification order organization package page partner payment permission \
    person photo pipeline plan playlist policy pool port post price printer process product \
    profile project prompt queue quota receipt record region release report repository \
    request reservation resource review role room route rule run sale schedule schema \
    scope screen secret segment sensor server service session setting shipment sheet signal \
    site slide snapshot source space sprint stack stage station stock storage stream \
    subscription supplier survey table tag task team template tenant test thread ticket \
    timeline token topic trace track transaction transfer trigger user variable vault vendor \
    version video view volume warehouse webhook widget wiki window workflow workspace zone";

fn catalog() -> Vec<Entry> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut real = Vec::new();
    for server in ["demo", "everything", "filesystem", "git", "memory", "time"] {
        let text = std::fs::read_to_string(dir.join(format!("{server}.json"))).unwrap();
        let tools: Vec<Value> = serde_json::from_str(&text).unwrap();
        real.extend(tools.into_iter().map(|t| (server, t)));
    }
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..TOOLS)
        .map(|i| {
            let (server, tool) = &real[i % real.len()];
            let mut entry = Entry::from_tool(server, tool).unwrap();
            let copy = i / real.len();
            let a = words[next() as usize % words.len()];
            let b = words[next() as usize % words.len()];
            entry.server = format!("{server}-{}", copy % 180);
            entry.tool = format!("{}_{a}_{copy}", entry.tool);
            entry.description = format!("{} Works on {a} and {b} objects.", entry.description);
            entry
        })
        .collect()
}

const QUERIES: &[(&str, &str)] = &[
    ("common", "read a file"),
    ("rare", "gzip compress"),
    ("natural", "show recent commits in the repository"),
    ("synonyms", "remove a folder"),
    (
        "long",
        "find nodes in the knowledge graph and list every relation between the entities",
    ),
];

fn bench(c: &mut Criterion) {
    let entries = catalog();
    let index = SearchIndex::build(entries.clone());
    assert_eq!(index.len(), TOOLS);
    let mut group = c.benchmark_group("search_10k");
    for (name, query) in QUERIES {
        assert!(!index.search(query, 10).is_empty());
        group.bench_function(format!("query/{name}"), |b| {
            b.iter(|| index.search(black_box(query), 10))
        });
    }
    group.sample_size(10);
    group.bench_function("build", |b| {
        b.iter(|| SearchIndex::build(black_box(entries.clone())))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
