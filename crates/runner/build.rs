//! Embeds the Python runtime package (`python/`, tests excluded) into the binary as a list of
//! `(relative path, contents)` pairs.

use std::fmt::Write as _;
use std::path::Path;

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if name != "tests" && name != "__pycache__" {
                collect(root, &path, out);
            }
        } else if name.ends_with(".py")
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    assert!(
        files.iter().any(|f| f == "bootstrap.py"),
        "crates/runner/python/bootstrap.py is missing"
    );
    let mut code =
        String::from("/// The runtime package's files.\npub const FILES: &[(&str, &str)] = &[\n");
    for rel in &files {
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            root.join(rel).display().to_string()
        );
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("embedded.rs");
    if let Err(e) = std::fs::write(&out, code) {
        println!("cargo:warning=cannot write {}: {e}", out.display());
    }
}
