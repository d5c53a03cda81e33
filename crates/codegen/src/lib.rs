//! MCP tool definitions (JSON Schema) → a tree of typed Python wrappers an agent can browse.
//!
//! Input: each server's name and its tools exactly as `tools/list` sent them, plus optional
//! result schemas learned from observed results. Output: `README.md`, a package per server
//! whose `__init__.py` lists its tools one per line, and a module per tool with an
//! `async def` wrapper (typed keyword parameters, a docstring holding the tool's whole
//! documentation) and its blocking `_sync` twin, both calling `runtime.mcp_client`.
//!
//! This crate is pure: it knows nothing of servers, connections or configs, never fails on a
//! schema (what it cannot express becomes `Any`), and gives byte-identical output for the same
//! input. [`write_tree`] (and [`write_tree_keeping`]) is the only function that touches the disk.
//!
//! | module | owns |
//! |---|---|
//! | `names` | Python identifiers: sanitizing, keywords, collisions |
//! | `types` | JSON Schema → annotations and `TypedDict`s |
//! | `ty` | the type model before rendering |
//! | `schema` | reading JSON Schema keywords, property docs |
//! | `text` | Python literals, docstrings, wrapping, summaries |
//! | `render` | one tool's module and docs |
//! | `index` | `README.md` and the packages' `__init__.py` |
//! | `tree` | the file map and writing it to disk |

mod index;
mod names;
mod render;
mod schema;
mod text;
mod tree;
mod ty;
mod types;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

pub use names::{is_package_name, package_name, sanitize_identifier};
pub use render::MARKER;
pub use text::summary;
pub use tree::{Tree, WriteReport, write_tree, write_tree_keeping};

use names::Namer;

/// The package name used in import hints (`from servers.git import git_log`) unless the caller
/// names the output directory otherwise.
pub const DEFAULT_PACKAGE: &str = "servers";

/// One server's tools, as its `tools/list` answered.
#[derive(Debug, Clone, Copy)]
pub struct ServerTools<'a> {
    /// The server's name in the config; the wrappers call it by this name.
    pub name: &'a str,
    /// Raw MCP tool objects (`name`, `description`, `inputSchema`, `outputSchema`, …).
    pub tools: &'a [Value],
    /// Result schemas learned from observed results, by original tool name; used only for
    /// tools without an `outputSchema`.
    pub learned: &'a BTreeMap<String, Value>,
}

/// One tool's documentation exactly as its generated wrapper holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolDocs {
    /// The server's original name.
    pub server: String,
    /// The tool's original name.
    pub tool: String,
    /// The wrapper's module path, e.g. `servers.git.git_log`.
    pub module: String,
    /// The wrapper function's name, e.g. `git_log`.
    pub function: String,
    /// The `async def …:` line(s).
    pub signature: String,
    /// The docstring's text (unescaped, unindented).
    pub docstring: String,
    /// The first sentence of the description, at most 120 characters.
    pub summary: String,
    /// A short call form, e.g. `git_log(repo_path, max_count=10, ...)`.
    pub listing: String,
    /// The parameters, required ones first.
    pub params: Vec<ParamDocs>,
    /// The signature and the docstring as they appear in the module's source.
    pub full: String,
}

impl ToolDocs {
    /// The import line for the wrapper, e.g. `from servers.git import git_log`.
    pub fn import_line(&self) -> String {
        let package = self
            .module
            .rsplit_once('.')
            .map_or(self.module.as_str(), |(p, _)| p);
        format!("from {package} import {}", self.function)
    }
}

/// One parameter of a wrapper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamDocs {
    /// The Python parameter name.
    pub name: String,
    /// The tool's argument name it is sent as.
    pub key: String,
    /// The rendered Python type.
    pub type_: String,
    /// Whether the tool requires it.
    pub required: bool,
    /// Its description, with notes on big enums, defaults and renaming.
    pub description: String,
}

/// A tool left out of the tree because it cannot be called by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedTool {
    /// The server's name.
    pub server: String,
    /// The tool's position in the server's list.
    pub index: usize,
    /// Why it was skipped.
    pub reason: &'static str,
}

impl std::fmt::Display for SkippedTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "server {:?}, tool #{}: {}",
            self.server, self.index, self.reason
        )
    }
}

/// Every name resolved for a set of servers: what [`Plan::tree`] writes and what
/// [`Plan::docs`] describes agree by construction.
#[derive(Debug)]
pub struct Plan<'a> {
    package: String,
    servers: Vec<ServerPlan<'a>>,
    skipped: Vec<SkippedTool>,
}

#[derive(Debug)]
struct ServerPlan<'a> {
    name: &'a str,
    module: String,
    tools: Vec<ToolPlan<'a>>,
}

#[derive(Debug)]
struct ToolPlan<'a> {
    json: &'a Value,
    name: &'a str,
    function: String,
    learned: Option<&'a Value>,
}

impl<'a> Plan<'a> {
    /// Names every server package and tool function, in input order, for the `servers` package.
    pub fn new(servers: &[ServerTools<'a>]) -> Self {
        Self::with_package(servers, DEFAULT_PACKAGE)
    }

    /// Like [`Plan::new`] for a tree imported as `package` (the output directory's name).
    pub fn with_package(servers: &[ServerTools<'a>], package: &str) -> Self {
        let server_names: Vec<&str> = servers.iter().map(|s| s.name).collect();
        let modules = Namer::snake(true, "").assign(&server_names, sanitize_identifier);
        let mut skipped = Vec::new();
        let mut plans = Vec::with_capacity(servers.len());
        for (server, module) in servers.iter().zip(modules) {
            let mut named: Vec<(&'a Value, &'a str)> = Vec::with_capacity(server.tools.len());
            for (index, tool) in server.tools.iter().enumerate() {
                match tool.get("name").and_then(Value::as_str) {
                    Some(name) if !name.is_empty() => named.push((tool, name)),
                    _ => skipped.push(SkippedTool {
                        server: server.name.to_string(),
                        index,
                        reason: "the tool has no name",
                    }),
                }
            }
            let names: Vec<&str> = named.iter().map(|(_, n)| *n).collect();
            let functions = Namer::snake(true, "_sync").assign(&names, sanitize_identifier);
            let tools = named
                .into_iter()
                .zip(functions)
                .map(|((json, name), function)| ToolPlan {
                    json,
                    name,
                    function,
                    learned: server.learned.get(name),
                })
                .collect();
            plans.push(ServerPlan {
                name: server.name,
                module,
                tools,
            });
        }
        Self {
            package: package.to_string(),
            servers: plans,
            skipped,
        }
    }

    /// Tools left out because they cannot be called by name.
    pub fn skipped(&self) -> &[SkippedTool] {
        &self.skipped
    }

    /// The whole wrapper tree.
    pub fn tree(&self) -> Tree {
        let mut files = BTreeMap::new();
        let mut index = Vec::with_capacity(self.servers.len());
        for server in &self.servers {
            let mut docs = Vec::with_capacity(server.tools.len());
            for tool in &server.tools {
                let (file, doc) = render::render_tool(&self.input(server, tool));
                files.insert(
                    PathBuf::from(&server.module).join(format!("{}.py", tool.function)),
                    file,
                );
                docs.push(doc);
            }
            files.insert(
                PathBuf::from(&server.module).join("__init__.py"),
                index::server_init(server.name, &docs),
            );
            index.push((server.name, server.module.as_str(), docs));
        }
        files.insert(PathBuf::from("__init__.py"), index::top_init());
        files.insert(
            PathBuf::from("README.md"),
            index::readme(&self.package, &index),
        );
        Tree::from_files(files)
    }

    /// The docs of every tool, servers and tools in input order.
    pub fn docs(&self) -> Vec<ToolDocs> {
        self.servers
            .iter()
            .flat_map(|s| {
                s.tools
                    .iter()
                    .map(move |t| render::render_tool(&self.input(s, t)).1)
            })
            .collect()
    }

    /// The docs of one tool, by original server and tool name.
    pub fn tool_docs(&self, server: &str, tool: &str) -> Option<ToolDocs> {
        let s = self.servers.iter().find(|s| s.name == server)?;
        let t = s.tools.iter().find(|t| t.name == tool)?;
        Some(render::render_tool(&self.input(s, t)).1)
    }

    /// The original name of the tool of `server` whose wrapper function is `function`, or whose
    /// blocking twin is (`get_sum` or `get_sum_sync` → `get-sum`): for people and agents who
    /// name a tool as the generated tree shows it.
    pub fn tool_for_function(&self, server: &str, function: &str) -> Option<&'a str> {
        let s = self.servers.iter().find(|s| s.name == server)?;
        let by = |f: &str| s.tools.iter().find(|t| t.function == f).map(|t| t.name);
        by(function).or_else(|| function.strip_suffix("_sync").and_then(by))
    }

    /// The original names of `server`'s first `n` tools, in its order.
    pub fn tool_names(&self, server: &str, n: usize) -> Vec<&'a str> {
        self.servers
            .iter()
            .find(|s| s.name == server)
            .map(|s| s.tools.iter().take(n).map(|t| t.name).collect())
            .unwrap_or_default()
    }

    fn input<'p>(
        &self,
        server: &'p ServerPlan<'a>,
        tool: &'p ToolPlan<'a>,
    ) -> render::ToolInput<'p> {
        render::ToolInput {
            server: server.name,
            tool: tool.json,
            name: tool.name,
            function: &tool.function,
            module: format!("{}.{}.{}", self.package, server.module, tool.function),
            learned: tool.learned,
        }
    }
}

/// The wrapper tree for `servers` (see [`Plan`] for docs that agree with it).
pub fn generate(servers: &[ServerTools<'_>]) -> Tree {
    Plan::new(servers).tree()
}

/// The docs of one tool as the tree generated from `servers` holds them.
pub fn tool_docs(servers: &[ServerTools<'_>], server: &str, tool: &str) -> Option<ToolDocs> {
    Plan::new(servers).tool_docs(server, tool)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn function_names_map_back_to_tools() {
        let tools = vec![
            json!({"name": "get-sum", "inputSchema": {"type": "object"}}),
            json!({"name": "class", "inputSchema": {"type": "object"}}),
        ];
        let learned = BTreeMap::new();
        let servers = [ServerTools {
            name: "x",
            tools: &tools,
            learned: &learned,
        }];
        let plan = Plan::new(&servers);
        assert_eq!(plan.tool_for_function("x", "get_sum"), Some("get-sum"));
        assert_eq!(plan.tool_for_function("x", "get_sum_sync"), Some("get-sum"));
        assert_eq!(plan.tool_for_function("x", "class_"), Some("class"));
        assert_eq!(plan.tool_for_function("x", "get-sum"), None);
        assert_eq!(plan.tool_for_function("y", "get_sum"), None);
        assert_eq!(plan.tool_names("x", 1), vec!["get-sum"]);
    }
}
