//! Writing the tree: idempotent, removes only its own stale files, never touches others'.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::PathBuf;

use mcpscript_codegen::{MARKER, generate, write_tree};

#[test]
fn a_second_write_changes_nothing() {
    let fixtures = common::real();
    let tree = generate(&common::servers(&fixtures));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("servers");

    let first = write_tree(&tree, &out).unwrap();
    assert_eq!(first.added.len(), tree.len());
    assert!(first.updated.is_empty() && first.removed.is_empty() && first.conflicts.is_empty());
    for (path, content) in tree.iter() {
        assert_eq!(fs::read_to_string(out.join(path)).unwrap(), content);
    }

    let second = write_tree(&tree, &out).unwrap();
    assert!(second.is_unchanged(), "{second:?}");
    assert_eq!(second.unchanged, tree.len());
    assert!(second.conflicts.is_empty());
}

#[test]
fn stale_generated_files_go_and_other_files_stay() {
    let fixtures = common::real();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("servers");
    write_tree(&generate(&common::servers(&fixtures)), &out).unwrap();

    // The user's own files, and compiled copies Python left behind.
    fs::write(out.join("git/notes.py"), "# mine\n").unwrap();
    fs::write(out.join("time/helper.py"), "x = 1\n").unwrap();
    fs::create_dir(out.join("memory/__pycache__")).unwrap();
    fs::write(
        out.join("memory/__pycache__/read_graph.cpython-311.pyc"),
        b"\0",
    )
    .unwrap();
    fs::create_dir(out.join("mine")).unwrap();
    fs::write(out.join("mine/README.md"), "# My notes\n").unwrap();
    // A generated file edited by hand is still ours: it is rewritten.
    fs::write(out.join("git/git_log.py"), format!("# {MARKER}\nedited\n")).unwrap();

    // git and memory disappear; time loses a tool.
    let mut fewer: Vec<common::Fixture> = common::real()
        .into_iter()
        .filter(|f| f.name != "git" && f.name != "memory")
        .collect();
    let time = fewer.iter_mut().find(|f| f.name == "time").unwrap();
    time.tools.retain(|t| t["name"] != "convert_time");
    let tree = generate(&common::servers(&fewer));
    let report = write_tree(&tree, &out).unwrap();

    let removed: Vec<PathBuf> = report.removed.clone();
    assert!(removed.contains(&PathBuf::from("git/git_status.py")));
    assert!(removed.contains(&PathBuf::from("git/git_log.py")));
    assert!(removed.contains(&PathBuf::from("git/__init__.py")));
    assert!(removed.contains(&PathBuf::from("memory/read_graph.py")));
    assert!(removed.contains(&PathBuf::from("time/convert_time.py")));
    assert_eq!(removed.len(), 12 + 1 + 9 + 1 + 1);
    assert_eq!(
        report.updated,
        [
            PathBuf::from("README.md"),
            PathBuf::from("time/__init__.py")
        ]
    );
    assert!(report.added.is_empty());

    assert!(out.join("git/notes.py").exists(), "not ours: kept");
    assert!(out.join("time/helper.py").exists());
    assert!(out.join("mine/README.md").exists());
    assert!(
        !out.join("memory").exists(),
        "emptied by the removal, __pycache__ included"
    );
    assert!(out.join("time/get_current_time.py").exists());

    assert!(write_tree(&tree, &out).unwrap().is_unchanged());
}

#[test]
fn files_without_the_marker_are_never_overwritten() {
    let fixtures = common::real();
    let tree = generate(&common::servers(&fixtures));
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("git")).unwrap();
    fs::write(dir.path().join("git/git_log.py"), "# hand-written\n").unwrap();
    fs::write(dir.path().join("README.md"), "# My tree\n").unwrap();

    let report = write_tree(&tree, dir.path()).unwrap();
    assert_eq!(
        report.conflicts,
        [PathBuf::from("README.md"), PathBuf::from("git/git_log.py")]
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("git/git_log.py")).unwrap(),
        "# hand-written\n"
    );
    assert_eq!(report.added.len(), tree.len() - 2);
}

#[test]
fn errors_name_the_path() {
    let fixtures = common::real();
    let tree = generate(&common::servers(&fixtures));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    fs::write(&file, "").unwrap();
    let err = write_tree(&tree, &file).unwrap_err();
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}
