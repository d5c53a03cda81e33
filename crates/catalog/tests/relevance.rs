//! Relevance of the ranked search over the real tool lists of the test servers (captured with
//! `mcpscript tools SERVER --json` into `tests/fixtures/`): for natural queries an agent would
//! type, the intended tool must be in the top 3 for at least 90% of them. Misses are printed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;

use mcpscript_catalog::{Entry, SearchIndex};
use serde_json::Value;

/// `(query, intended server.tool)`.
const QUERIES: &[(&str, &str)] = &[
    // git
    ("show recent commits", "git.git_log"),
    ("commit history", "git.git_log"),
    ("stage changes for commit", "git.git_add"),
    ("create a branch", "git.git_create_branch"),
    ("switch to another branch", "git.git_checkout"),
    ("what files have I changed", "git.git_status"),
    ("working tree status", "git.git_status"),
    ("diff of staged changes", "git.git_diff_staged"),
    (
        "unstaged changes in the working directory",
        "git.git_diff_unstaged",
    ),
    ("compare two branches", "git.git_diff"),
    ("commit my changes with a message", "git.git_commit"),
    ("unstage everything", "git.git_reset"),
    ("list git branches", "git.git_branch"),
    ("show the contents of a commit", "git.git_show"),
    // time
    ("what time is it in Tokyo", "time.get_current_time"),
    ("current time", "time.get_current_time"),
    ("convert time between zones", "time.convert_time"),
    // filesystem
    ("read a text file", "filesystem.read_text_file"),
    ("read a file", "filesystem.read_text_file"),
    ("list files in a folder", "filesystem.list_directory"),
    ("search files by pattern", "filesystem.search_files"),
    ("get file metadata", "filesystem.get_file_info"),
    ("move a file", "filesystem.move_file"),
    ("rename a file", "filesystem.move_file"),
    ("write text to a file", "filesystem.write_file"),
    ("make a new folder", "filesystem.create_directory"),
    (
        "read several files at once",
        "filesystem.read_multiple_files",
    ),
    (
        "directory listing with file sizes",
        "filesystem.list_directory_with_sizes",
    ),
    ("recursive tree of a directory", "filesystem.directory_tree"),
    ("replace lines in a file", "filesystem.edit_file"),
    (
        "which directories am I allowed to access",
        "filesystem.list_allowed_directories",
    ),
    ("view an image file", "filesystem.read_media_file"),
    // memory
    // Only "remember" matches (through the thesaurus, on the server name "memory"), so every
    // memory tool ties and the tie-break by name decides: a lucky hit, kept to stay honest.
    ("remember a fact about a person", "memory.add_observations"),
    ("find nodes in the knowledge graph", "memory.search_nodes"),
    (
        "create entities in the knowledge graph",
        "memory.create_entities",
    ),
    (
        "link two entities with a relation",
        "memory.create_relations",
    ),
    ("delete an entity", "memory.delete_entities"),
    ("read the whole knowledge graph", "memory.read_graph"),
    // demo
    ("add two numbers", "demo.add"),
    ("count words in text", "demo.word_stats"),
    ("tiny image", "demo.tiny_image"),
    ("save a note", "demo.notes_add"),
    ("search my notes", "demo.notes_search"),
    ("wait a few milliseconds", "demo.sleep"),
    // everything
    ("print environment variables", "everything.get-env"),
    ("gzip compress a file", "everything.gzip-file-as-resource"),
    (
        "long running operation with progress",
        "everything.trigger-long-running-operation",
    ),
    ("sum of two numbers", "everything.get-sum"),
    (
        "weather structured content",
        "everything.get-structured-content",
    ),
    ("toggle logging", "everything.toggle-simulated-logging"),
];

fn index() -> SearchIndex {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut entries = Vec::new();
    for server in ["demo", "everything", "filesystem", "git", "memory", "time"] {
        let text = std::fs::read_to_string(dir.join(format!("{server}.json"))).unwrap();
        let tools: Vec<Value> = serde_json::from_str(&text).unwrap();
        for tool in &tools {
            assert_eq!(tool["server"], server);
            entries.push(Entry::from_tool(server, tool).unwrap());
        }
    }
    SearchIndex::build(entries)
}

#[test]
fn intended_tool_is_in_the_top_three() {
    let index = index();
    assert!(index.len() > 50, "{} tools", index.len());
    let mut misses = Vec::new();
    for (query, intended) in QUERIES {
        let top: Vec<String> = index
            .search(query, 3)
            .iter()
            .map(|h| format!("{}.{}", h.server, h.tool))
            .collect();
        if !top.iter().any(|t| t == intended) {
            misses.push(format!("{query:?}: wanted {intended}, got {top:?}"));
        }
    }
    let hit = QUERIES.len() - misses.len();
    let rate = hit as f64 / QUERIES.len() as f64;
    println!(
        "relevance: {hit}/{} queries have the intended tool in the top 3 ({:.0}%)",
        QUERIES.len(),
        rate * 100.0
    );
    for m in &misses {
        println!("  miss {m}");
    }
    assert!(QUERIES.len() >= 30);
    assert!(
        rate >= 0.9,
        "top-3 rate {rate:.2} < 0.90; misses:\n{}",
        misses.join("\n")
    );
}

#[test]
fn first_results_for_the_headline_queries() {
    let index = index();
    let first = |q: &str| {
        let h = &index.search(q, 1)[0];
        format!("{}.{}", h.server, h.tool)
    };
    assert_eq!(first("commit history"), "git.git_log");
    assert_eq!(first("read a text file"), "filesystem.read_text_file");
    assert!(index.search("the and of", 5).is_empty());
}
