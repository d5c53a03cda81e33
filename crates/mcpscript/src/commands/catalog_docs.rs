//! The catalog as codegen input: every listed server's tools with their learned result types,
//! owned here so `Plan`s can borrow them.

use std::collections::BTreeMap;

use mcpscript_catalog::{Catalog, LearnedTypes};
use mcpscript_codegen::ServerTools;
use serde_json::Value;

/// Owned tools and learned schemas of the servers that listed.
pub struct CatalogDocs {
    servers: Vec<(String, Vec<Value>, BTreeMap<String, Value>)>,
}

impl CatalogDocs {
    /// Collects the available servers of `catalog` with what `learned` knows of their results.
    pub fn new(catalog: &Catalog, learned: &LearnedTypes) -> Self {
        let servers = catalog
            .available()
            .map(|s| {
                let learned_map = s
                    .tools
                    .iter()
                    .filter_map(|t| t.get("name").and_then(Value::as_str))
                    .filter_map(|t| learned.get(&s.name, t).map(|v| (t.to_owned(), v.clone())))
                    .collect();
                (s.name.clone(), s.tools.clone(), learned_map)
            })
            .collect();
        Self { servers }
    }

    /// Codegen's view.
    pub fn server_tools(&self) -> Vec<ServerTools<'_>> {
        self.servers
            .iter()
            .map(|(name, tools, learned)| ServerTools {
                name,
                tools,
                learned,
            })
            .collect()
    }
}

/// Splits `SERVER.TOOL` at the longest server name the catalog knows.
pub fn split_tool<'a>(catalog: &Catalog, target: &'a str) -> Option<(&'a str, &'a str)> {
    super::split_at_server(catalog.servers.iter().map(|s| s.name.as_str()), target)
}
