//! A server's tool list, each tool with its typed form and its raw JSON.

use rmcp::model::Tool;
use serde_json::Value;

/// One tool: rmcp's typed view and the JSON the server sent, unknown fields included.
#[derive(Debug, Clone)]
pub struct ToolInfo {
    /// Typed view.
    pub tool: Tool,
    /// Exactly what the server sent for this tool when the transport let us see it; otherwise
    /// the typed view serialized back (which drops fields rmcp does not know).
    pub raw: Value,
}

impl ToolInfo {
    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.tool.name
    }

    /// The first line of the description, for listings.
    pub fn summary(&self) -> &str {
        self.tool
            .description
            .as_deref()
            .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
            .unwrap_or("")
    }

    /// `readOnlyHint`, when the server gives it.
    pub fn read_only(&self) -> Option<bool> {
        self.tool
            .annotations
            .as_ref()
            .and_then(|a| a.read_only_hint)
    }
}

/// The tools of one server, in the order the server listed them, after allow/deny policy.
#[derive(Debug, Clone, Default)]
pub struct ToolList {
    /// The tools.
    pub tools: Vec<ToolInfo>,
}

impl ToolList {
    /// Pairs typed tools with the raw objects the tap saw (matched by name).
    pub(crate) fn build(
        typed: Vec<Tool>,
        mut raw: Vec<Value>,
        keep: impl Fn(&str) -> bool,
    ) -> Self {
        let tools = typed
            .into_iter()
            .filter(|t| keep(&t.name))
            .map(|tool| {
                let pos = raw
                    .iter()
                    .position(|r| r.get("name").and_then(Value::as_str) == Some(&*tool.name));
                let raw = match pos {
                    Some(i) => raw.swap_remove(i),
                    None => serde_json::to_value(&tool).unwrap_or(Value::Null),
                };
                ToolInfo { tool, raw }
            })
            .collect();
        Self { tools }
    }

    /// The tool with this exact name.
    pub fn get(&self, name: &str) -> Option<&ToolInfo> {
        self.tools.iter().find(|t| t.name() == name)
    }

    /// Number of tools.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}
