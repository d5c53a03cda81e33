//! The files an agent reads first: `README.md` (one line per server) and each server's
//! `__init__.py` (one line per tool, plus the re-exports).

use crate::ToolDocs;
use crate::render::MARKER;
use crate::text::{docstring_block, py_str};

/// How many tool names a README line shows before `…`.
const README_TOOLS: usize = 10;

/// The top-level package marker.
pub(crate) fn top_init() -> String {
    format!(
        "# {MARKER}\n\"\"\"Typed wrappers for MCP tools, one package per server; see README.md.\"\"\"\n"
    )
}

/// A server package's `__init__.py`: a docstring listing its tools, then the re-exports.
pub(crate) fn server_init(server: &str, docs: &[ToolDocs]) -> String {
    let server = py_str(server);
    let mut text = match docs.len() {
        0 => format!("MCP server {server}: no tools."),
        1 => {
            format!("MCP server {server}: 1 tool. Its module holds its full signature and docs.")
        }
        n => format!(
            "MCP server {server}: {n} tools. Each tool's module holds its full signature and docs."
        ),
    };
    if !docs.is_empty() {
        text.push('\n');
        for d in docs {
            text.push('\n');
            text.push_str(&d.listing);
            if !d.summary.is_empty() {
                text.push_str(" — ");
                text.push_str(&d.summary);
            }
        }
        text.push_str("\n\nEach function `f` also has a blocking twin `f_sync`.");
    }
    let mut out = format!("# {MARKER}\n{}\n", docstring_block(&text, ""));
    if !docs.is_empty() {
        out.push('\n');
    }
    for d in docs {
        out.push_str(&format!("from .{f} import {f}, {f}_sync\n", f = d.function));
    }
    out
}

/// `README.md`: how to import and call, then one line per server.
pub(crate) fn readme(package: &str, servers: &[(&str, &str, Vec<ToolDocs>)]) -> String {
    let mut out = format!("<!-- {MARKER} -->\n# MCP tools as Python functions\n\n");
    let example = servers
        .iter()
        .find_map(|(_, module, docs)| docs.first().map(|d| (module, d)));
    if let Some((module, d)) = example {
        let args: Vec<String> = d
            .params
            .iter()
            .filter(|p| p.required)
            .map(|p| format!("{}=...", p.name))
            .collect();
        out.push_str(&format!(
            "`from {package}.{module} import {f}`, then `await {f}({})` (or `{f}_sync(...)` without \
             an event loop).\n",
            args.join(", "),
            f = d.function,
        ));
    }
    out.push_str(
        "Arguments are keyword-only; optional ones left as None are not sent. A tool error raises \
         `runtime.ToolError`.\nEach server's `__init__.py` lists its tools; each tool's module \
         holds its signature and docs.\n\n",
    );
    if servers.is_empty() {
        out.push_str("No servers.\n");
    }
    for (name, module, docs) in servers {
        let label = if *name == *module {
            format!("**{name}**")
        } else {
            format!("**{name}** (`{module}`)")
        };
        let tools = match docs.len() {
            0 => "no tools".to_string(),
            1 => format!("1 tool: {}", docs[0].function),
            n => {
                let mut shown: Vec<&str> = docs
                    .iter()
                    .take(README_TOOLS)
                    .map(|d| d.function.as_str())
                    .collect();
                if n > README_TOOLS {
                    shown.push("…");
                }
                format!("{n} tools: {}", shown.join(", "))
            }
        };
        out.push_str(&format!("- {label} — {tools}\n"));
    }
    out
}
