//! `Catalog::load` against a real (tiny) stdio MCP server: cache hits, keys that follow the
//! config, `refresh`, corrupt cache files, failing and disabled servers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use mcpscript_catalog::{CacheFile, CachePath, Catalog};
use mcpscript_client::Pool;
use mcpscript_config::Config;
use serde_json::json;

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }

    /// Starts recorded by the fake server `name`.
    fn starts(&self, name: &str) -> usize {
        std::fs::read_to_string(self.log(name))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    fn cache(&self) -> CachePath {
        CachePath::new(self.dir.path().join(".mcpscript/catalog.json"))
    }

    /// A config with one fake server per `(name, tools, extra)`.
    fn config(&self, servers: &[(&str, &[&str], serde_json::Value)]) -> Config {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake_server.py");
        let mut map = serde_json::Map::new();
        for (name, tools, extra) in servers {
            let mut args = vec![
                json!(script.display().to_string()),
                json!(self.log(name).display().to_string()),
            ];
            args.extend(tools.iter().map(|t| json!(t)));
            let mut entry = json!({"command": "python3", "args": args});
            if let Some(obj) = extra.as_object() {
                for (k, v) in obj {
                    entry[k] = v.clone();
                }
            }
            map.insert((*name).to_owned(), entry);
        }
        let text = serde_json::to_string_pretty(&json!({"mcpServers": map})).unwrap();
        let file = self.dir.path().join("mcp_config.json");
        std::fs::write(&file, &text).unwrap();
        Config::parse(&text, &file, &|_| None).unwrap()
    }

    async fn load(&self, config: &Config, refresh: bool) -> Catalog {
        let pool = Pool::new(config);
        let catalog = Catalog::load(&pool, config, &self.cache(), refresh).await;
        pool.shutdown().await;
        catalog
    }
}

fn tool_names(catalog: &Catalog, server: &str) -> Vec<String> {
    catalog
        .server(server)
        .unwrap()
        .tools
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn second_load_comes_from_the_cache() {
    let s = Setup::new();
    let config = s.config(&[("a", &["alpha", "beta"], json!({})), ("b", &[], json!({}))]);
    let first = s.load(&config, false).await;
    assert_eq!(s.starts("a"), 1);
    assert_eq!(s.starts("b"), 1);
    let a = first.server("a").unwrap();
    assert!(!a.cached);
    assert_eq!(a.server_name.as_deref(), Some("fake"));
    assert_eq!(a.server_version.as_deref(), Some("1.2.3"));
    assert_eq!(tool_names(&first, "a"), ["alpha", "beta"]);
    // Raw JSON, unknown fields included.
    assert_eq!(a.tools[0]["x-extra"], 1);

    let cache = std::fs::read_to_string(s.cache().path()).unwrap();
    assert!(cache.contains("\"tools_hash\""), "{cache}");
    let modified = std::fs::metadata(s.cache().path())
        .unwrap()
        .modified()
        .unwrap();

    let second = s.load(&config, false).await;
    assert_eq!(s.starts("a"), 1, "no new connection");
    assert_eq!(s.starts("b"), 1);
    let a2 = second.server("a").unwrap();
    assert!(a2.cached);
    assert_eq!(a2.tools, a.tools);
    assert_eq!(a2.server_version.as_deref(), Some("1.2.3"));
    assert_eq!(second.tool_count(), 3);
    assert!(second.tool("a", "beta").is_some());
    // Nothing changed: the file was not rewritten.
    assert_eq!(
        std::fs::metadata(s.cache().path())
            .unwrap()
            .modified()
            .unwrap(),
        modified
    );
    let hits = second.search_index().search("beta tool", 1);
    assert_eq!(hits[0].tool, "beta");
}

#[tokio::test]
async fn changing_a_server_entry_invalidates_only_that_server() {
    let s = Setup::new();
    let before = s.config(&[("a", &["alpha"], json!({})), ("b", &["beta"], json!({}))]);
    s.load(&before, false).await;
    let after = s.config(&[
        ("a", &["alpha", "gamma"], json!({})),
        ("b", &["beta"], json!({})),
    ]);
    let catalog = s.load(&after, false).await;
    assert_eq!(s.starts("a"), 2);
    assert_eq!(s.starts("b"), 1);
    assert_eq!(tool_names(&catalog, "a"), ["alpha", "gamma"]);
    assert!(!catalog.server("a").unwrap().cached);
    assert!(catalog.server("b").unwrap().cached);

    // An env var's name is part of the key, its value is not.
    let named = s.config(&[
        ("a", &["alpha", "gamma"], json!({"env": {"TOKEN": "one"}})),
        ("b", &["beta"], json!({})),
    ]);
    s.load(&named, false).await;
    assert_eq!(s.starts("a"), 3);
    let revalued = s.config(&[
        ("a", &["alpha", "gamma"], json!({"env": {"TOKEN": "two"}})),
        ("b", &["beta"], json!({})),
    ]);
    s.load(&revalued, false).await;
    assert_eq!(s.starts("a"), 3);
    let file = std::fs::read_to_string(s.cache().path()).unwrap();
    assert!(
        !file.contains("one") && !file.contains("two"),
        "no secret values: {file}"
    );
}

#[tokio::test]
async fn refresh_ignores_and_rewrites_the_cache() {
    let s = Setup::new();
    let config = s.config(&[("a", &["alpha"], json!({}))]);
    s.load(&config, false).await;
    let first = CacheFile::read(s.cache().path());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let catalog = s.load(&config, true).await;
    assert_eq!(s.starts("a"), 2);
    assert!(!catalog.server("a").unwrap().cached);
    let second = CacheFile::read(s.cache().path());
    assert!(second.servers["a"].fetched_at > first.servers["a"].fetched_at);
    s.load(&config, false).await;
    assert_eq!(s.starts("a"), 2);
}

#[tokio::test]
async fn corrupt_cache_is_treated_as_empty_and_replaced() {
    let s = Setup::new();
    let config = s.config(&[("a", &["alpha"], json!({}))]);
    std::fs::create_dir_all(s.cache().path().parent().unwrap()).unwrap();
    std::fs::write(s.cache().path(), b"\x00{{{ not json").unwrap();
    let catalog = s.load(&config, false).await;
    assert_eq!(tool_names(&catalog, "a"), ["alpha"]);
    assert_eq!(CacheFile::read(s.cache().path()).servers.len(), 1);
    s.load(&config, false).await;
    assert_eq!(s.starts("a"), 1);
}

#[tokio::test]
async fn failing_and_disabled_servers() {
    let s = Setup::new();
    let config = s.config(&[
        ("good", &["alpha"], json!({})),
        ("bad", &["@fail"], json!({})),
        ("off", &["alpha"], json!({"disabled": true})),
    ]);
    let catalog = s.load(&config, false).await;
    assert_eq!(
        catalog
            .servers
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["good", "bad"]
    );
    let bad = catalog.server("bad").unwrap();
    assert!(bad.error.as_deref().unwrap().contains("bad"), "{bad:?}");
    assert!(bad.failure.is_some());
    assert!(bad.tools.is_empty());
    assert_eq!(catalog.failures().count(), 1);
    assert_eq!(catalog.available().count(), 1);
    assert_eq!(s.starts("off"), 0);
    // Failures are not cached: the next load tries again.
    let cached = CacheFile::read(s.cache().path());
    assert_eq!(cached.servers.keys().collect::<Vec<_>>(), ["good"]);
    s.load(&config, false).await;
    assert_eq!(s.starts("bad"), 2);
    assert_eq!(s.starts("good"), 1);
}

#[tokio::test]
async fn invalid_entries_are_reported() {
    let s = Setup::new();
    let file = s.dir.path().join("mcp_config.json");
    let text = r#"{"mcpServers": {"broken": {"type": "http"}}}"#;
    let config = Config::parse(text, &file, &|_| None).unwrap();
    let catalog = s.load(&config, false).await;
    assert_eq!(catalog.servers.len(), 1);
    assert!(catalog.servers[0].error.is_some());
    assert_eq!(
        CachePath::for_config(&config).unwrap().path(),
        s.dir.path().join(".mcpscript/catalog.json")
    );
}
