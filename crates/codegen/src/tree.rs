//! The generated files as a map, and writing that map to a directory without surprises.
//!
//! Writing is idempotent: unchanged files are not touched, stale generated files are removed,
//! and nothing without the generated-file marker on its first line is ever overwritten or
//! deleted.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::render::MARKER;

/// Relative path → file content, in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    files: BTreeMap<PathBuf, String>,
}

impl Tree {
    pub(crate) fn from_files(files: BTreeMap<PathBuf, String>) -> Self {
        Self { files }
    }

    /// Every file, in path order.
    pub fn files(&self) -> &BTreeMap<PathBuf, String> {
        &self.files
    }

    /// The content of the file at `path` (relative, e.g. `git/git_log.py`).
    pub fn get(&self, path: impl AsRef<Path>) -> Option<&str> {
        self.files.get(path.as_ref()).map(String::as_str)
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are no files (never the case for a generated tree).
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// `(path, content)` pairs in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.files.iter().map(|(p, c)| (p.as_path(), c.as_str()))
    }
}

/// What [`write_tree`] did, with paths relative to the directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files that did not exist.
    pub added: Vec<PathBuf>,
    /// Generated files whose content changed.
    pub updated: Vec<PathBuf>,
    /// Stale generated files deleted.
    pub removed: Vec<PathBuf>,
    /// Directories left alone although nothing in the tree is under them (see
    /// [`write_tree_keeping`]).
    pub kept: Vec<PathBuf>,
    /// Files already up to date.
    pub unchanged: usize,
    /// Files in the way that were not generated (no marker): left alone, not written.
    pub conflicts: Vec<PathBuf>,
}

impl WriteReport {
    /// Whether the directory already held exactly the tree.
    pub fn is_unchanged(&self) -> bool {
        self.added.is_empty() && self.updated.is_empty() && self.removed.is_empty()
    }
}

/// Whether `content` starts with the generated-file marker.
pub(crate) fn is_generated(content: &str) -> bool {
    let first = content.lines().next().unwrap_or("");
    first == format!("# {MARKER}") || first == format!("<!-- {MARKER} -->")
}

/// Writes `tree` under `dir` (created if missing): only changed files are written, generated
/// `.py` and `README.md` files not in the tree are removed, and directories left empty by
/// that are removed too. Errors name the path they concern.
pub fn write_tree(tree: &Tree, dir: &Path) -> io::Result<WriteReport> {
    write_tree_keeping(tree, dir, &|_| false)
}

/// [`write_tree`], leaving alone every directory (relative to `dir`) for which `keep` is true:
/// e.g. the packages of servers that could not be listed this time, so that a transient failure
/// does not delete wrappers scripts import.
pub fn write_tree_keeping(
    tree: &Tree,
    dir: &Path,
    keep: &dyn Fn(&Path) -> bool,
) -> io::Result<WriteReport> {
    let mut report = WriteReport::default();
    fs::create_dir_all(dir).map_err(|e| at(dir, e))?;
    for (rel, content) in tree.iter() {
        let path = dir.join(rel);
        match fs::read(&path) {
            Ok(existing) if existing == content.as_bytes() => {
                report.unchanged += 1;
                continue;
            }
            Ok(existing) if !is_generated(&String::from_utf8_lossy(&existing)) => {
                report.conflicts.push(rel.to_path_buf());
                continue;
            }
            Ok(_) => report.updated.push(rel.to_path_buf()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => report.added.push(rel.to_path_buf()),
            Err(e) => return Err(at(&path, e)),
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| at(parent, e))?;
        }
        write_atomically(&path, content)?;
    }
    remove_stale(tree, dir, Path::new(""), keep, &mut report)?;
    report.removed.sort();
    Ok(report)
}

/// Writes through a temporary sibling and a rename, so a reader never sees half a file.
fn write_atomically(path: &Path, content: &str) -> io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.mcpscript-tmp"));
    fs::write(&tmp, content).map_err(|e| at(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        at(path, e)
    })
}

/// Removes stale generated files under `dir/rel`; returns whether the directory is now empty
/// because of removals (so the caller may remove it).
fn remove_stale(
    tree: &Tree,
    dir: &Path,
    rel: &Path,
    keep: &dyn Fn(&Path) -> bool,
    report: &mut WriteReport,
) -> io::Result<bool> {
    let here = dir.join(rel);
    let mut entries: Vec<_> = fs::read_dir(&here)
        .map_err(|e| at(&here, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| at(&here, e))?;
    entries.sort_by_key(|e| e.file_name());
    let mut removed_any = false;
    let mut remaining = 0usize;
    let mut pycache = None;
    for entry in entries {
        let name = entry.file_name();
        let child_rel = rel.join(&name);
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| at(&path, e))?;
        if kind.is_dir() {
            if name == "__pycache__" {
                pycache = Some(path);
                continue;
            }
            if keep(&child_rel) {
                report.kept.push(child_rel);
                remaining += 1;
                continue;
            }
            if remove_stale(tree, dir, &child_rel, keep, report)? {
                fs::remove_dir(&path).map_err(|e| at(&path, e))?;
                removed_any = true;
            } else {
                remaining += 1;
            }
            continue;
        }
        let ours = kind.is_file()
            && tree.get(&child_rel).is_none()
            && (name == "README.md" || Path::new(&name).extension().is_some_and(|x| x == "py"))
            && fs::read(&path).is_ok_and(|c| is_generated(&String::from_utf8_lossy(&c)));
        if ours {
            fs::remove_file(&path).map_err(|e| at(&path, e))?;
            report.removed.push(child_rel);
            removed_any = true;
        } else {
            remaining += 1;
        }
    }
    if remaining > 0 || !removed_any || rel.as_os_str().is_empty() {
        return Ok(false);
    }
    // Only compiled copies of the removed modules are left.
    if let Some(cache) = pycache {
        let compiled_only = fs::read_dir(&cache)
            .map_err(|e| at(&cache, e))?
            .all(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "pyc")));
        if !compiled_only {
            return Ok(false);
        }
        fs::remove_dir_all(&cache).map_err(|e| at(&cache, e))?;
    }
    Ok(true)
}

fn at(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
