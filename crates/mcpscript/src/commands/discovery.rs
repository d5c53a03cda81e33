//! Progressive discovery: `generate` (the wrapper tree), `search` and `describe`.

use std::fmt::Write as _;
use std::path::Path;

use mcpscript_catalog::{Catalog, ServerCatalog};
use mcpscript_client::{PoolError, suggest};
use mcpscript_codegen::{Plan, is_package_name, package_name, write_tree_keeping};
use serde_json::{Value, json};

use super::catalog_docs::{CatalogDocs, split_tool};
use crate::cli::Detail;
use crate::context::Context;
use crate::output::{self, Failure, exit};

/// Reports servers that could not be listed; returns the exit code they imply.
fn report_failures(catalog: &Catalog) -> u8 {
    let mut code = exit::OK;
    for s in catalog.failures() {
        let failure = match &s.failure {
            Some(e) => Failure::from(e.clone()),
            None => Failure::usage(
                format!(
                    "server \"{}\": {}",
                    s.name,
                    s.error.as_deref().unwrap_or("failed")
                ),
                None,
            ),
        };
        output::report(&Failure {
            message: format!("{} (skipped)", failure.message),
            ..failure
        });
        code = exit::UNREACHABLE;
    }
    code
}

/// The package scripts import the tree written to `out` as: the directory's own name (`.` and
/// `..` are resolved to theirs). A usage error when that is no Python identifier, since every
/// import line in the tree would be invalid (`from my-servers.git import git_log`).
fn package_of(out: &Path) -> Result<String, Failure> {
    let named = out.file_name().is_some();
    let name = match out.file_name() {
        Some(name) => Some(name.to_owned()),
        None => std::fs::canonicalize(out)
            .ok()
            .and_then(|p| p.file_name().map(ToOwned::to_owned)),
    };
    let Some(name) = name else {
        return Err(Failure::usage(
            format!(
                "--out {}: the directory's name is the package scripts import from, and this one has none",
                out.display()
            ),
            Some(format!(
                "use e.g. --out {}",
                mcpscript_codegen::DEFAULT_PACKAGE
            )),
        ));
    };
    let name = name.to_string_lossy();
    if is_package_name(&name) {
        return Ok(name.into_owned());
    }
    let suggestion = if named {
        out.with_file_name(package_name(&name))
    } else {
        Path::new(mcpscript_codegen::DEFAULT_PACKAGE).to_path_buf()
    };
    Err(Failure::usage(
        format!(
            "--out {}: the directory's name, \"{name}\", is the package scripts import from \
             (`from {name}.SERVER import TOOL`), and it is not a valid Python identifier",
            out.display()
        ),
        Some(format!("use e.g. --out {}", suggestion.display())),
    ))
}

/// `mcpscript generate`: writes the typed wrapper tree.
pub async fn generate(ctx: &Context, out: &Path, refresh: bool) -> Result<u8, Failure> {
    let package = package_of(out)?;
    let catalog = ctx.catalog(refresh).await;
    let code = report_failures(&catalog);
    let learned = ctx.learned();
    let docs = CatalogDocs::new(&catalog, &learned);
    let servers = docs.server_tools();
    let plan = Plan::with_package(&servers, &package);
    for skipped in plan.skipped() {
        tracing::warn!("skipped a tool: {skipped:?}");
    }
    let tree = plan.tree();
    // A server that could not be listed this time keeps the package it had: top-level
    // directories the tree does not cover are left alone then (a transient failure must not
    // delete wrappers that scripts import).
    let failed = catalog.failures().next().is_some();
    let keep = |rel: &Path| {
        failed && rel.components().count() == 1 && !tree.files().keys().any(|p| p.starts_with(rel))
    };
    let report = write_tree_keeping(&tree, out, &keep)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    let tools: usize = catalog.available().map(|s| s.tools.len()).sum();
    if ctx.json {
        output::json(&json!({
            "out": out,
            "servers": catalog.available().map(|s| json!({"name": s.name, "tools": s.tools.len(), "cached": s.cached})).collect::<Vec<_>>(),
            "failed": catalog.failures().map(|s| json!({"name": s.name, "error": s.error})).collect::<Vec<_>>(),
            "added": report.added, "updated": report.updated, "removed": report.removed,
            "unchanged": report.unchanged, "conflicts": report.conflicts, "kept": report.kept,
        }))?;
    } else {
        output::note(
            ctx.quiet,
            &format!(
                "{}: {tools} tools from {} servers ({} added, {} updated, {} removed, {} unchanged); start with {}/README.md",
                out.display(),
                catalog.available().count(),
                report.added.len(),
                report.updated.len(),
                report.removed.len(),
                report.unchanged,
                out.display()
            ),
        );
    }
    for kept in &report.kept {
        output::note(
            ctx.quiet,
            &format!(
                "kept {} as it was: a server failed to list, and these may be its wrappers (rerun once it is back)",
                out.join(kept).display()
            ),
        );
    }
    for conflict in &report.conflicts {
        output::report(&Failure::usage(
            format!(
                "{} was not written: it exists and was not generated by mcpscript",
                conflict.display()
            ),
            Some("move it away, or generate into another --out directory".into()),
        ));
    }
    Ok(if report.conflicts.is_empty() {
        code
    } else {
        exit::USAGE
    })
}

/// `mcpscript search QUERY`.
pub async fn search(
    ctx: &Context,
    query: &str,
    limit: usize,
    detail: Detail,
    refresh: bool,
) -> Result<u8, Failure> {
    let catalog = ctx.catalog(refresh).await;
    let code = report_failures(&catalog);
    let index = catalog.search_index();
    let hits = index.search(query, limit);
    let learned = ctx.learned();
    let docs = CatalogDocs::new(&catalog, &learned);
    let servers = docs.server_tools();
    let plan = Plan::new(&servers);
    if ctx.json {
        let rows: Vec<Value> = hits
            .iter()
            .map(|h| {
                let d = plan.tool_docs(&h.server, &h.tool);
                let mut row = json!({"server": h.server, "tool": h.tool, "score": h.score});
                if let Some(d) = d {
                    row["summary"] = json!(d.summary);
                    row["import"] = json!(d.import_line());
                    if detail == Detail::Full {
                        row["docs"] = json!(d.full);
                    }
                }
                row
            })
            .collect();
        output::json(&Value::Array(rows))?;
        return Ok(code);
    }
    if hits.is_empty() {
        let stale = if catalog.available().any(|s| s.cached) {
            "; if a server has gained tools since, add --refresh"
        } else {
            ""
        };
        output::note(
            ctx.quiet,
            &format!("no tool matches \"{query}\" (`mcpscript tools` lists them all){stale}"),
        );
        return Ok(code);
    }
    let out = render_hits(&hits, &plan, detail);
    output::stdout(&out)?;
    Ok(code)
}

/// Search results as `search` prints them.
pub fn render_hits(hits: &[mcpscript_catalog::Hit], plan: &Plan<'_>, detail: Detail) -> String {
    let mut out = String::new();
    for h in hits {
        match (detail, plan.tool_docs(&h.server, &h.tool)) {
            (Detail::Name, _) | (_, None) => {
                let _ = writeln!(out, "{}.{}", h.server, h.tool);
            }
            (Detail::Summary, Some(d)) => {
                let _ = writeln!(out, "{}.{} — {}", h.server, h.tool, d.summary);
            }
            (Detail::Full, Some(d)) => out.push_str(&render_docs(&d)),
        }
    }
    out
}

/// One tool's full docs as `describe` prints them.
pub fn render_docs(d: &mcpscript_codegen::ToolDocs) -> String {
    // The decorator line names the server and tool; the import line says where it lives.
    format!("{}\n{}\n\n", d.import_line(), d.full)
}

/// The error for a server that could not be listed.
fn listing_failure(failed: &ServerCatalog) -> Failure {
    match &failed.failure {
        Some(e) => e.clone().into(),
        None => Failure::usage(failed.error.clone().unwrap_or_default(), None),
    }
}

/// The names of `server`'s tools in the catalog.
fn tool_names(catalog: &Catalog, server: &str) -> Vec<String> {
    catalog
        .server(server)
        .map(|s| {
            s.tools
                .iter()
                .filter_map(|t| t.get("name").and_then(Value::as_str))
                .map(ToOwned::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Resolves a `describe` target to a server and the tool's name as the server lists it. The
/// tool may also be named by its wrapper function (`everything.get_sum` → `get-sum`), as the
/// generated tree shows it.
fn resolve(catalog: &Catalog, plan: &Plan<'_>, target: &str) -> Result<(String, String), Failure> {
    let split = split_tool(catalog, target);
    if let Some((server, tool)) = split {
        if let Some(failed) = catalog.server(server).filter(|s| !s.is_ok()) {
            return Err(listing_failure(failed));
        }
        if plan.tool_docs(server, tool).is_some() {
            return Ok((server.to_owned(), tool.to_owned()));
        }
        if let Some(original) = plan.tool_for_function(server, tool) {
            return Ok((server.to_owned(), original.to_owned()));
        }
    }
    let bare = target.strip_suffix('.').unwrap_or(target);
    if catalog.server(bare).is_some() {
        return Err(server_without_tool(plan, bare));
    }
    match split {
        Some((server, tool)) => Err(tool_not_found(catalog, server, tool)),
        None if !target.contains('.') => Err(not_a_target(catalog, plan, target)),
        None => Err(PoolError::UnknownServer {
            server: target.split('.').next().unwrap_or(target).to_owned(),
            known: catalog.servers.iter().map(|s| s.name.clone()).collect(),
        }
        .into()),
    }
}

/// `describe git`: a server where a tool is needed.
fn server_without_tool(plan: &Plan<'_>, server: &str) -> Failure {
    let tools = plan.tool_names(server, 4);
    let message = match tools.first() {
        Some(first) => {
            format!("\"{server}\" is a server; describe takes SERVER.TOOL, e.g. {server}.{first}")
        }
        None => format!("\"{server}\" is a server; describe takes SERVER.TOOL"),
    };
    let hint = if tools.is_empty() {
        format!("`mcpscript tools {server}` lists its tools")
    } else {
        let shown = tools.iter().take(3).copied().collect::<Vec<_>>().join(", ");
        let more = if tools.len() > 3 { ", …" } else { "" };
        format!("its tools include {shown}{more}; `mcpscript tools {server}` lists them all")
    };
    Failure::usage(message, Some(hint))
}

/// `describe echo`: no server named, as `call` says it.
fn not_a_target(catalog: &Catalog, plan: &Plan<'_>, target: &str) -> Failure {
    let found: Vec<String> = catalog
        .available()
        .filter(|s| s.tool(target).is_some() || plan.tool_for_function(&s.name, target).is_some())
        .map(|s| format!("{}.{target}", s.name))
        .collect();
    let hint = if found.is_empty() {
        let example = catalog
            .available()
            .find_map(|s| {
                plan.tool_names(&s.name, 1)
                    .first()
                    .map(|t| format!("{}.{t}", s.name))
            })
            .unwrap_or_else(|| "git.git_status".into());
        format!(
            "name the tool with its server, e.g. `mcpscript describe {example}`; `mcpscript search WORDS` finds tools"
        )
    } else {
        format!("did you mean {}?", found.join(", "))
    };
    Failure::usage(format!("\"{target}\" is not SERVER.TOOL"), Some(hint))
}

/// `describe demo.nope`, with a hint to ask the server again when its list came from the cache.
fn tool_not_found(catalog: &Catalog, server: &str, tool: &str) -> Failure {
    let names = tool_names(catalog, server);
    let mut failure = Failure::from(PoolError::ToolNotFound {
        server: server.to_owned(),
        tool: tool.to_owned(),
        suggestions: suggest(tool, names.iter().map(String::as_str)),
    });
    if catalog.server(server).is_some_and(|s| s.cached) {
        let stale = "if the server has gained tools since, add --refresh";
        failure.hint = Some(match failure.hint.take() {
            Some(hint) => format!("{hint}; {stale}"),
            None => stale.to_owned(),
        });
    }
    failure
}

/// `mcpscript describe SERVER.TOOL…`.
pub async fn describe(ctx: &Context, targets: &[String], refresh: bool) -> Result<u8, Failure> {
    let catalog = ctx.catalog(refresh).await;
    let learned = ctx.learned();
    let docs = CatalogDocs::new(&catalog, &learned);
    let servers = docs.server_tools();
    let plan = Plan::new(&servers);
    let mut out = String::new();
    let mut rows = Vec::new();
    for target in targets {
        let (server, tool) = resolve(&catalog, &plan, target)?;
        let Some(d) = plan.tool_docs(&server, &tool) else {
            return Err(tool_not_found(&catalog, &server, &tool));
        };
        if ctx.json {
            rows.push(json!({"server": server, "tool": tool, "import": d.import_line(), "signature": d.signature, "docs": d.full}));
        } else {
            out.push_str(&render_docs(&d));
        }
    }
    if ctx.json {
        output::json(&Value::Array(rows))?;
    } else {
        output::stdout(&out)?;
    }
    Ok(exit::OK)
}
