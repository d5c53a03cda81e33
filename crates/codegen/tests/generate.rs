//! Snapshots of the wrapper tree generated from the fixture corpus, and the properties that
//! must hold for any input: determinism, docs agreeing with files, names that are valid.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use mcpscript_codegen::{MARKER, Plan, Tree, generate, summary, tool_docs};

/// The files of one server package (or the top-level files), concatenated for one snapshot.
fn package(tree: &Tree, dir: &str) -> String {
    let mut out = String::new();
    for (path, content) in tree.iter() {
        let top = path.parent().is_none_or(|p| p.as_os_str().is_empty());
        if (dir.is_empty() && top) || path.starts_with(dir) && !dir.is_empty() {
            out.push_str(&format!("=== {} ===\n{content}\n", path.display()));
        }
    }
    out
}

#[test]
fn real_servers_snapshot() {
    let fixtures = common::real();
    let tree = generate(&common::servers(&fixtures));
    insta::assert_snapshot!("real__top", package(&tree, ""));
    for name in common::REAL {
        insta::assert_snapshot!(format!("real__{name}"), package(&tree, name));
    }
}

#[test]
fn pathological_snapshot() {
    let fixtures = common::pathological();
    let plan = Plan::new(&common::servers(&fixtures));
    let tree = plan.tree();
    insta::assert_snapshot!("pathological__top", package(&tree, ""));
    for dir in ["odd_server", "odd_server_2", "class_"] {
        insta::assert_snapshot!(format!("pathological__{dir}"), package(&tree, dir));
    }
    let skipped: Vec<String> = plan.skipped().iter().map(ToString::to_string).collect();
    assert_eq!(
        skipped,
        [r#"server "odd-server", tool #24: the tool has no name"#]
    );
}

#[test]
fn generation_is_deterministic() {
    let fixtures = common::all();
    let servers = common::servers(&fixtures);
    let a = generate(&servers);
    let b = generate(&servers);
    assert_eq!(a, b);
    // Independent of the order of the tools within a server, names and content included.
    let mut reversed: Vec<common::Fixture> = common::all();
    for f in &mut reversed {
        f.tools.reverse();
    }
    let c = generate(&common::servers(&reversed));
    for (path, content) in a.iter() {
        if path
            .file_name()
            .is_some_and(|n| n != "__init__.py" && n != "README.md")
        {
            assert_eq!(c.get(path), Some(content), "{}", path.display());
        }
    }
}

#[test]
fn every_file_carries_the_marker() {
    let fixtures = common::all();
    let tree = generate(&common::servers(&fixtures));
    for (path, content) in tree.iter() {
        let first = content.lines().next().unwrap();
        assert!(
            first == format!("# {MARKER}") || first == format!("<!-- {MARKER} -->"),
            "{}",
            path.display()
        );
        assert!(
            content.ends_with('\n') && !content.ends_with("\n\n"),
            "{}",
            path.display()
        );
    }
}

#[test]
fn docs_agree_with_the_files() {
    let fixtures = common::all();
    let servers = common::servers(&fixtures);
    let plan = Plan::new(&servers);
    let tree = plan.tree();
    let docs = plan.docs();
    assert_eq!(
        docs.len(),
        tree.iter()
            .filter(|(p, _)| p
                .file_name()
                .is_some_and(|n| n != "__init__.py" && n != "README.md"))
            .count()
    );
    for d in &docs {
        let rel = Path::new(
            d.module
                .strip_prefix("servers.")
                .unwrap()
                .replace('.', "/")
                .as_str(),
        )
        .with_extension("py");
        let file = tree
            .get(&rel)
            .unwrap_or_else(|| panic!("{} has no file", d.module));
        assert!(
            file.contains(&d.full),
            "{}: the full docs are not in the file",
            d.module
        );
        assert!(d.full.starts_with("@mcp_tool("), "{}", d.full);
        assert!(d.full.contains(&format!("\n{}\n", d.signature)));
        assert!(
            d.full
                .contains(&format!("{f}_sync = {f}.sync", f = d.function))
        );
        assert!(d.summary.chars().count() <= 120, "{}", d.summary);
        assert!(!d.summary.contains('\n'));
        let init = tree.get(rel.parent().unwrap().join("__init__.py")).unwrap();
        assert!(
            init.contains(&d.listing.replace('\\', "\\\\")),
            "{} not listed",
            d.listing
        );
        // The decorator names the original server and tool.
        assert!(
            d.full
                .starts_with(&format!("@mcp_tool(\"{}\", \"{}\"", d.server, d.tool))
                || format!("{}{}", d.server, d.tool).contains(['"', '\\'])
        );
    }
}

#[test]
fn tool_docs_for_search_and_describe() {
    let fixtures = common::real();
    let servers = common::servers(&fixtures);
    let d = tool_docs(&servers, "git", "git_log").unwrap();
    assert_eq!(d.function, "git_log");
    assert_eq!(d.module, "servers.git.git_log");
    assert_eq!(d.import_line(), "from servers.git import git_log");
    assert_eq!(d.summary, "Shows the commit logs");
    assert_eq!(d.listing, "git_log(repo_path, max_count=10, ...)");
    assert!(
        d.signature.starts_with(
            "async def git_log(\n    *,\n    repo_path: str,\n    max_count: int = 10,"
        )
    );
    assert!(d.docstring.starts_with(
        "Shows the commit logs\n\nArgs:\n    repo_path\n    max_count\n    start_timestamp: Start"
    ));
    let names: Vec<(&str, &str, bool)> = d
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.type_.as_str(), p.required))
        .collect();
    assert_eq!(
        names[..2],
        [("repo_path", "str", true), ("max_count", "int", false)]
    );

    let d = tool_docs(&servers, "demo", "größe").unwrap();
    assert_eq!(
        (d.function.as_str(), d.module.as_str()),
        ("grosse", "servers.demo.grosse")
    );
    let d = tool_docs(&servers, "everything", "get-structured-content").unwrap();
    assert!(
        d.signature.ends_with("-> GetStructuredContentResult:"),
        "{}",
        d.signature
    );
    assert!(tool_docs(&servers, "git", "nope").is_none());

    let plan = Plan::with_package(&servers, "tools");
    assert_eq!(
        plan.tool_docs("git", "git_log").unwrap().import_line(),
        "from tools.git import git_log"
    );
    assert!(
        plan.tree()
            .get("README.md")
            .unwrap()
            .contains("from tools.git import git_status")
    );
}

#[test]
fn summaries() {
    assert_eq!(
        summary("Read a file. Only works within allowed directories."),
        "Read a file."
    );
    let long = "Read the complete contents of a file from the file system as text and handle various text encodings with care, then report detailed errors";
    let s = summary(long);
    assert!(s.chars().count() <= 120 && s.ends_with('…'), "{s}");
}

#[test]
fn names_are_valid_identifiers() {
    let fixtures = common::all();
    let tree = generate(&common::servers(&fixtures));
    for (path, _) in tree.iter() {
        for part in path.iter() {
            let part = part.to_str().unwrap();
            let stem = part.strip_suffix(".py").unwrap_or(part);
            if part == "README.md" || stem == "__init__" {
                continue;
            }
            assert!(
                stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{part}"
            );
            assert!(!stem.starts_with(|c: char| c.is_ascii_digit()), "{part}");
        }
    }
}
