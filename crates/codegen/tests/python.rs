//! The generated tree as Python sees it: every file compiles, every module imports, every
//! annotation resolves, and calls reach `runtime.mcp_client.call_tool` (through the runtime's
//! real `wrappers.mcp_tool`) with the original server name, tool name and argument keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use mcpscript_codegen::{generate, write_tree};
use serde_json::{Value, json};

/// Writes the tree for every fixture to `dir/servers` and returns the `.py` files.
fn write_corpus(dir: &Path) -> Vec<PathBuf> {
    let fixtures = common::all();
    let tree = generate(&common::servers(&fixtures));
    let out = dir.join("servers");
    write_tree(&tree, &out).unwrap();
    tree.iter()
        .filter(|(p, _)| p.extension().is_some_and(|x| x == "py"))
        .map(|(p, _)| out.join(p))
        .collect()
}

fn run_python(dir: &Path, args: &[&str]) -> String {
    run_with(common::python(), dir, args)
}

fn run_with(python: &str, dir: &Path, args: &[&str]) -> String {
    let output = Command::new(python)
        .args(args)
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{python} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

#[test]
fn every_generated_file_compiles() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_corpus(dir.path());
    assert!(files.len() > 90, "{}", files.len());
    let mut args = vec!["-m", "py_compile"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    run_python(dir.path(), &args);
}

const STUB: &str = r#"
calls = []


async def call_tool(server, tool, args=None, *, timeout=None):
    calls.append([server, tool, args])
    return {"ok": True}


def call_tool_sync(server, tool, args=None, *, timeout=None):
    calls.append([server, tool, args])
    return {"ok": True}
"#;

const DRIVER: &str = r#"
import asyncio, importlib, json, pathlib, sys, typing

sys.path.insert(0, ".")
from runtime import mcp_client

# Import every module and resolve every annotation of every function and TypedDict in it
# (annotations use `X | None`, which only Python 3.10+ can evaluate; older ones just import).
resolved = 0
for path in sorted(pathlib.Path("servers").rglob("*.py")):
    name = ".".join(path.with_suffix("").parts)
    if name.endswith(".__init__"):
        name = name[: -len(".__init__")]
    module = importlib.import_module(name)
    for obj in list(vars(module).values()):
        if callable(obj) and getattr(obj, "__module__", None) == module.__name__:
            if sys.version_info >= (3, 10):
                typing.get_type_hints(obj)
            resolved += 1

from servers.git import git_log
from servers.time import convert_time_sync
from servers.everything import get_sum
from servers.filesystem import read_text_file
from servers.memory import create_relations
from servers.demo import class_, big_output_sync, grosse
from servers.odd_server import odd_params, no_schema_sync, nullable, tree_walk
from servers.odd_server_2 import ping

try:
    git_log(".")
    positional = "accepted"
except TypeError:
    positional = "rejected"


async def main():
    await git_log(repo_path=".")
    convert_time_sync(source_timezone="UTC", time="12:00", target_timezone="Asia/Tokyo")
    await get_sum(a=1, b=2.5)
    await read_text_file(path="/tmp/x", head=3)
    await create_relations(relations=[{"from": "a", "to": "b", "relationType": "knows"}])
    await class_(text="hi")
    big_output_sync(bytes_=5)
    await grosse(text="x")
    await odd_params(from_="a", my_param_2="b", class_="c", _2nd=2)
    no_schema_sync(anything=1, **{"odd-key": True})
    await nullable(a=None, c="x")
    await tree_walk(root={"name": "r", "children": [{"name": "c"}]}, max_depth=None)
    return await ping()


result = asyncio.run(main())
print(json.dumps({"calls": mcp_client.calls, "positional": positional, "resolved": resolved, "result": result}))
"#;

/// Interpreters to run the wrappers under: the default one, plus any Python 3.8–3.10 this
/// machine has under pyenv (the runtime supports 3.8+; `typing.NotRequired` is 3.11+).
fn interpreters() -> Vec<String> {
    let mut found = vec![common::python().to_string()];
    let root = std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv/versions"));
    if let Some(Ok(entries)) = root.map(std::fs::read_dir) {
        let mut old: Vec<String> = entries
            .flatten()
            .filter(|e| {
                let v = e.file_name().to_string_lossy().into_owned();
                ["3.8.", "3.9.", "3.10."].iter().any(|p| v.starts_with(p))
            })
            .map(|e| e.path().join("bin/python3"))
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        old.sort();
        found.extend(old);
    }
    found
}

#[test]
fn wrappers_import_and_call_through_the_runtime() {
    for python in interpreters() {
        wrappers_work_under(&python);
    }
}

fn wrappers_work_under(python: &str) {
    let dir = tempfile::tempdir().unwrap();
    write_corpus(dir.path());
    std::fs::create_dir(dir.path().join("runtime")).unwrap();
    std::fs::write(dir.path().join("runtime/__init__.py"), "").unwrap();
    std::fs::write(dir.path().join("runtime/mcp_client.py"), STUB).unwrap();
    // The real decorator the wrappers use, over the stub above.
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../runner/python/runtime/wrappers.py"
        ),
        dir.path().join("runtime/wrappers.py"),
    )
    .unwrap();
    std::fs::write(dir.path().join("driver.py"), DRIVER).unwrap();
    let out: Value = serde_json::from_str(&run_with(python, dir.path(), &["driver.py"])).unwrap();

    assert_eq!(out["positional"], "rejected", "parameters are keyword-only");
    assert!(
        out["resolved"].as_u64().unwrap() > 200,
        "{}",
        out["resolved"]
    );
    assert_eq!(out["result"], json!({"ok": true}));
    let expected = json!([
        // Optional arguments not given are not sent: the server applies its default.
        ["git", "git_log", {"repo_path": "."}],
        ["time", "convert_time", {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}],
        ["everything", "get-sum", {"a": 1, "b": 2.5}],
        ["filesystem", "read_text_file", {"path": "/tmp/x", "head": 3}],
        ["memory", "create_relations", {"relations": [{"from": "a", "to": "b", "relationType": "knows"}]}],
        ["demo", "class", {"text": "hi"}],
        ["demo", "big_output", {"bytes": 5}],
        ["demo", "größe", {"text": "x"}],
        ["odd-server", "odd-params", {"from": "a", "my-param": "b", "class": "c", "2nd": 2}],
        ["odd-server", "no-schema", {"anything": 1, "odd-key": true}],
        ["odd-server", "nullable", {"a": null, "c": "x"}],
        ["odd-server", "tree-walk", {"root": {"name": "r", "children": [{"name": "c"}]}}],
        ["odd.server", "ping", {}],
    ]);
    let calls = out["calls"].as_array().unwrap();
    for (got, want) in calls.iter().zip(expected.as_array().unwrap()) {
        assert_eq!(got, want);
    }
    assert_eq!(calls.len(), expected.as_array().unwrap().len());
}
