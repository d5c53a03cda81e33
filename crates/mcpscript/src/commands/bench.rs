//! `mcpscript bench tokens`: how many tokens an agent reads to use the configured tools, three
//! ways, counted with real tokenizers (tiktoken's cl100k and o200k).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mcpscript_catalog::{Catalog, ServerCatalog};
use mcpscript_codegen::Plan;
use serde::Deserialize;
use serde_json::{Value, json};

use super::catalog_docs::CatalogDocs;
use super::discovery::{render_docs, render_hits};
use crate::cli::Detail;
use crate::context::Context;
use crate::output::{self, Failure, exit};

/// Tasks for the built-in demo config, used when no `--tasks` file is given.
const DEMO_TASKS: &str = r#"[
  {"query": "count the words in a text", "tools": ["demo.word_stats"]},
  {"query": "save a note, then find notes about a topic", "tools": ["demo.notes_add", "demo.notes_search"]},
  {"query": "add two numbers", "tools": ["demo.add"]}
]"#;

/// How many search results the search path reads.
const SEARCH_LIMIT: usize = 5;

#[derive(Debug, Deserialize)]
struct Task {
    query: String,
    tools: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TaskFile {
    List(Vec<Task>),
    Wrapped { tasks: Vec<Task> },
}

struct Counter {
    name: &'static str,
    bpe: &'static tiktoken_rs::CoreBPE,
}

impl Counter {
    fn count(&self, text: &str) -> usize {
        self.bpe.encode_with_special_tokens(text).len()
    }
}

/// Copies real servers under new names until the catalog holds at least `target` tools.
fn pad(catalog: &mut Catalog, target: usize) -> usize {
    let real: Vec<ServerCatalog> = catalog.available().cloned().collect();
    let mut added = 0;
    let mut round = 1;
    while catalog.tool_count() < target && !real.is_empty() {
        for s in &real {
            if catalog.tool_count() >= target {
                break;
            }
            let mut copy = s.clone();
            copy.name = format!("{}-copy{round}", s.name);
            added += copy.tools.len();
            catalog.servers.push(copy);
        }
        round += 1;
    }
    added
}

/// The tool list as a client puts it in the model's context: every tool's name, description and
/// input schema, as the JSON the model API receives (`mcp__server__tool` names, as Claude Code).
fn upfront_text(catalog: &Catalog) -> String {
    let tools: Vec<Value> = catalog
        .available()
        .flat_map(|s| {
            s.tools.iter().map(move |t| {
                json!({
                    "name": format!("mcp__{}__{}", s.name, t.get("name").and_then(Value::as_str).unwrap_or_default()),
                    "description": t.get("description").cloned().unwrap_or(Value::Null),
                    "input_schema": t.get("inputSchema").cloned().unwrap_or(json!({})),
                })
            })
        })
        .collect();
    serde_json::to_string(&tools).unwrap_or_default()
}

/// `servers.git.git_log` → `git/git_log.py`; the server package's `__init__.py` beside it.
fn module_files(module: &str) -> (PathBuf, PathBuf) {
    let rel: Vec<&str> = module.split('.').skip(1).collect();
    let file = PathBuf::from(format!("{}.py", rel.join("/")));
    let init = file
        .parent()
        .map_or_else(|| PathBuf::from("__init__.py"), |p| p.join("__init__.py"));
    (file, init)
}

/// Runs the token benchmark.
pub async fn tokens(
    ctx: &Context,
    tasks: Option<&Path>,
    synthetic: Option<usize>,
    refresh: bool,
) -> Result<u8, Failure> {
    let text = match tasks {
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", p.display()), None))?,
        None => DEMO_TASKS.to_owned(),
    };
    let tasks = match serde_json::from_str::<TaskFile>(&text) {
        Ok(TaskFile::List(t) | TaskFile::Wrapped { tasks: t }) => t,
        Err(e) => {
            return Err(Failure::usage(
                format!("invalid task file: {e}"),
                Some(
                    r#"a task file is [{"query": "...", "tools": ["server.tool", ...]}, ...]"#
                        .into(),
                ),
            ));
        }
    };
    let mut catalog = ctx.catalog(refresh).await;
    let real_tools = catalog.tool_count();
    let padded = synthetic.map_or(0, |n| pad(&mut catalog, n));
    let learned = ctx.learned();
    let docs = CatalogDocs::new(&catalog, &learned);
    let servers = docs.server_tools();
    let plan = Plan::new(&servers);
    let tree = plan.tree();
    let index = catalog.search_index();
    let counters = [
        Counter {
            name: "cl100k",
            bpe: tiktoken_rs::cl100k_base_singleton(),
        },
        Counter {
            name: "o200k",
            bpe: tiktoken_rs::o200k_base_singleton(),
        },
    ];
    let upfront = upfront_text(&catalog);

    let mut rows = Vec::new();
    for task in &tasks {
        let mut tree_text = tree
            .get(Path::new("README.md"))
            .unwrap_or_default()
            .to_owned();
        let mut describe_text = String::new();
        let mut seen_inits = Vec::new();
        let mut missing = Vec::new();
        for target in &task.tools {
            let found = super::catalog_docs::split_tool(&catalog, target)
                .and_then(|(s, t)| plan.tool_docs(s, t));
            let Some(d) = found else {
                missing.push(target.clone());
                continue;
            };
            let (file, init) = module_files(&d.module);
            if !seen_inits.contains(&init) {
                tree_text.push_str(tree.get(&init).unwrap_or_default());
                seen_inits.push(init);
            }
            tree_text.push_str(tree.get(&file).unwrap_or_default());
            describe_text.push_str(&render_docs(&d));
        }
        if !missing.is_empty() {
            return Err(Failure::usage(
                format!(
                    "task \"{}\" needs tools the catalog does not have: {}",
                    task.query,
                    missing.join(", ")
                ),
                Some("check the names with `mcpscript tools`".into()),
            ));
        }
        let hits = index.search(&task.query, SEARCH_LIMIT);
        let found = task.tools.iter().all(|t| {
            hits.iter()
                .any(|h| format!("{}.{}", h.server, h.tool) == *t)
        });
        let search_text = render_hits(&hits, &plan, Detail::Summary) + &describe_text;
        let counts: Vec<Value> = counters
            .iter()
            .map(|c| {
                json!({
                    "encoding": c.name,
                    "upfront": c.count(&upfront),
                    "tree": c.count(&tree_text),
                    "search": c.count(&search_text),
                })
            })
            .collect();
        rows.push(json!({"query": task.query, "tools": task.tools, "search_found_all": found, "tokens": counts}));
    }

    let median = |enc: usize, key: &str| -> f64 {
        let mut r: Vec<f64> = rows
            .iter()
            .map(|row| {
                let t = &row["tokens"][enc];
                1.0 - t[key].as_f64().unwrap_or(0.0) / t["upfront"].as_f64().unwrap_or(1.0).max(1.0)
            })
            .collect();
        r.sort_by(f64::total_cmp);
        if r.is_empty() {
            0.0
        } else if r.len() % 2 == 1 {
            r[r.len() / 2]
        } else {
            (r[r.len() / 2 - 1] + r[r.len() / 2]) / 2.0
        }
    };
    let summary: Vec<Value> = counters
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({"encoding": c.name, "median_reduction_tree": median(i, "tree"), "median_reduction_search": median(i, "search")})
        })
        .collect();
    if ctx.json {
        output::json(&json!({
            "catalog_tools": catalog.tool_count(), "real_tools": real_tools, "synthetic_tools": padded,
            "tasks": rows, "summary": summary,
        }))?;
        return Ok(exit::OK);
    }
    let mut out = format!(
        "catalog: {} tools ({} real{})\n\n| task | encoding | all schemas | wrapper tree | search + describe | search found the tools |\n|---|---|---|---|---|---|\n",
        catalog.tool_count(),
        real_tools,
        if padded > 0 {
            format!(", {padded} synthetic copies of real tools")
        } else {
            String::new()
        },
    );
    for row in &rows {
        for t in row["tokens"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                row["query"].as_str().unwrap_or_default(),
                t["encoding"].as_str().unwrap_or_default(),
                t["upfront"],
                t["tree"],
                t["search"],
                if row["search_found_all"] == true {
                    "yes"
                } else {
                    "no"
                },
            );
        }
    }
    out.push('\n');
    for s in &summary {
        let _ = writeln!(
            out,
            "median reduction ({}): wrapper tree {:.1}%, search + describe {:.1}%",
            s["encoding"].as_str().unwrap_or_default(),
            s["median_reduction_tree"].as_f64().unwrap_or(0.0) * 100.0,
            s["median_reduction_search"].as_f64().unwrap_or(0.0) * 100.0,
        );
    }
    output::stdout(&out)?;
    Ok(exit::OK)
}
