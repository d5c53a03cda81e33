//! The catalog: every enabled server's tools, from the disk cache or fetched through the pool.

use mcpscript_client::{Pool, PoolError};
use mcpscript_config::Config;
use serde_json::Value;

use crate::cache::{CacheEntry, CacheFile, CachePath, server_key, tools_hash};
use crate::fsutil::now_unix;
use crate::search::{Entry, SearchIndex};

/// The tools of every enabled server in a config.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// One per enabled server (configured and not `disabled`), in config order; servers whose
    /// entry is invalid or that failed to answer are here too, with their `error`.
    pub servers: Vec<ServerCatalog>,
}

/// One server's tools, or why there are none.
#[derive(Debug, Clone, Default)]
pub struct ServerCatalog {
    /// The name under `mcpServers`.
    pub name: String,
    /// `serverInfo.name` from `initialize`.
    pub server_name: Option<String>,
    /// `serverInfo.version` from `initialize`.
    pub server_version: Option<String>,
    /// Each tool's raw JSON as the server listed it (after allow/deny policy), in its order.
    pub tools: Vec<Value>,
    /// Why this server has no tools: its config entry is invalid, or it could not be reached or
    /// listed. Callers report it and carry on with the other servers.
    pub error: Option<String>,
    /// The pool's error behind `error`, when there was one (it carries the stderr tail).
    pub failure: Option<PoolError>,
    /// Whether the tools came from the disk cache.
    pub cached: bool,
    /// When the tools were fetched from the server, in seconds since the Unix epoch.
    pub fetched_at: Option<u64>,
}

impl ServerCatalog {
    /// A server that could not be listed.
    pub fn failed(name: impl Into<String>, error: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            error: Some(error.into()),
            ..Self::default()
        }
    }

    /// The tool with this name.
    pub fn tool(&self, name: &str) -> Option<&Value> {
        self.tools
            .iter()
            .find(|t| t.get("name").and_then(Value::as_str) == Some(name))
    }

    /// Whether the tools were listed (`error` is `None`).
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }
}

impl Catalog {
    /// Lists the tools of every enabled server in `config`: from the cache at `cache` when its
    /// entry for the server is still valid (see [`crate::cache`]), otherwise by connecting
    /// through `pool`, all servers at once. `refresh` ignores the cache and connects to every
    /// server. A server that fails is recorded with its error and the others still load. The
    /// cache is rewritten (atomically) when anything in it changed; a server that fails keeps
    /// its previous entry when that entry is still valid for its config. Failing to write the
    /// cache is logged, not returned: the catalog is good either way.
    pub async fn load(pool: &Pool, config: &Config, cache: &CachePath, refresh: bool) -> Catalog {
        Self::load_with_progress(pool, config, cache, refresh, &|_| {}).await
    }

    /// [`Catalog::load`], calling `done(server)` as each enabled server's tools are known (from
    /// the cache at once, else when its listing finishes or fails): for progress bars.
    pub async fn load_with_progress(
        pool: &Pool,
        config: &Config,
        cache: &CachePath,
        refresh: bool,
        done: &(dyn Fn(&str) + Sync),
    ) -> Catalog {
        let old = CacheFile::read(cache.path());
        let mut new = CacheFile::empty();
        let mut slots: Vec<ServerCatalog> = Vec::new();
        let mut fetches = Vec::new();
        for entry in &config.servers {
            let spec = match &entry.spec {
                Ok(spec) if spec.disabled => {
                    // Kept for when it is enabled again.
                    if let Some(e) = old.servers.get(&entry.name) {
                        new.servers.insert(entry.name.clone(), e.clone());
                    }
                    continue;
                }
                Ok(spec) => spec,
                Err(e) => {
                    slots.push(ServerCatalog::failed(&entry.name, e.to_string()));
                    continue;
                }
            };
            let key = server_key(spec);
            let hit = if refresh {
                None
            } else {
                old.get(&entry.name, &key)
            };
            if let Some(hit) = hit {
                tracing::debug!(server = %entry.name, "tools from the catalog cache");
                done(&entry.name);
                new.servers.insert(entry.name.clone(), hit.clone());
                slots.push(ServerCatalog {
                    name: entry.name.clone(),
                    server_name: hit.server_name.clone(),
                    server_version: hit.server_version.clone(),
                    tools: hit.tools.clone(),
                    cached: true,
                    fetched_at: Some(hit.fetched_at),
                    ..ServerCatalog::default()
                });
            } else {
                let index = slots.len();
                slots.push(ServerCatalog::default());
                let name = entry.name.clone();
                fetches.push(async move {
                    let result = fetch(pool, &name).await;
                    done(&name);
                    (index, name, key, result)
                });
            }
        }

        for (index, name, key, result) in futures::future::join_all(fetches).await {
            slots[index] = match result {
                Ok(fetched) => {
                    let entry = CacheEntry {
                        key,
                        server_name: fetched.server_name,
                        server_version: fetched.server_version,
                        tools_hash: tools_hash(&fetched.tools),
                        fetched_at: now_unix(),
                        tools: fetched.tools,
                    };
                    let slot = ServerCatalog {
                        name: name.clone(),
                        server_name: entry.server_name.clone(),
                        server_version: entry.server_version.clone(),
                        tools: entry.tools.clone(),
                        fetched_at: Some(entry.fetched_at),
                        ..ServerCatalog::default()
                    };
                    new.servers.insert(name, entry);
                    slot
                }
                Err(err) => {
                    tracing::debug!(server = %name, error = %err, "could not list tools");
                    if let Some(previous) = old.get(&name, &key) {
                        new.servers.insert(name.clone(), previous.clone());
                    }
                    ServerCatalog {
                        name,
                        error: Some(err.to_string()),
                        failure: Some(err),
                        ..ServerCatalog::default()
                    }
                }
            };
        }

        if new != old
            && let Err(e) = new.write(cache.path())
        {
            tracing::warn!(path = %cache.path().display(), error = %e, "could not write the catalog cache");
        }
        Catalog { servers: slots }
    }

    /// Records the tool lists of `servers` that `pool` has already connected to (a live
    /// listing by `tools`, or the servers a `run` called) in the cache at `cache`, so `search`,
    /// `describe` and `generate` see what the servers offer now. Servers it cannot list without
    /// trouble are left as they are; nothing is written when nothing changed (an unchanged list
    /// is only re-stamped once an hour).
    pub async fn remember(pool: &Pool, config: &Config, cache: &CachePath, servers: &[String]) {
        let mut file = CacheFile::read(cache.path());
        let mut changed = false;
        for name in servers {
            let Some(Ok(spec)) = config
                .servers
                .iter()
                .find(|e| &e.name == name)
                .map(|e| e.spec.as_ref())
            else {
                continue;
            };
            // Only servers still up: a server that died is not started again for this.
            if spec.disabled || pool.live(name).is_none() {
                continue;
            }
            let Ok(fetched) = fetch(pool, name).await else {
                continue;
            };
            let key = server_key(spec);
            let hash = tools_hash(&fetched.tools);
            let now = now_unix();
            let fresh = file.servers.get(name).is_some_and(|old| {
                old.key == key
                    && old.tools_hash == hash
                    && now.saturating_sub(old.fetched_at) < 3600
            });
            if fresh {
                continue;
            }
            file.servers.insert(
                name.clone(),
                CacheEntry {
                    key,
                    server_name: fetched.server_name,
                    server_version: fetched.server_version,
                    tools_hash: hash,
                    fetched_at: now,
                    tools: fetched.tools,
                },
            );
            changed = true;
        }
        if changed && let Err(e) = file.write(cache.path()) {
            tracing::warn!(path = %cache.path().display(), error = %e, "could not write the catalog cache");
        }
    }

    /// The server with this config name.
    pub fn server(&self, name: &str) -> Option<&ServerCatalog> {
        self.servers.iter().find(|s| s.name == name)
    }

    /// A tool's raw JSON.
    pub fn tool(&self, server: &str, tool: &str) -> Option<&Value> {
        self.server(server)?.tool(tool)
    }

    /// The servers whose tools were listed.
    pub fn available(&self) -> impl Iterator<Item = &ServerCatalog> {
        self.servers.iter().filter(|s| s.is_ok())
    }

    /// The servers that failed, with their errors.
    pub fn failures(&self) -> impl Iterator<Item = &ServerCatalog> {
        self.servers.iter().filter(|s| !s.is_ok())
    }

    /// Every tool of every listed server, as `(server, raw tool)`.
    pub fn tools(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.available()
            .flat_map(|s| s.tools.iter().map(move |t| (s.name.as_str(), t)))
    }

    /// Number of tools over all listed servers.
    pub fn tool_count(&self) -> usize {
        self.available().map(|s| s.tools.len()).sum()
    }

    /// A search index over every tool of every listed server.
    pub fn search_index(&self) -> SearchIndex {
        SearchIndex::build(self.tools().filter_map(|(s, t)| Entry::from_tool(s, t)))
    }
}

struct Fetched {
    server_name: Option<String>,
    server_version: Option<String>,
    tools: Vec<Value>,
}

async fn fetch(pool: &Pool, server: &str) -> Result<Fetched, PoolError> {
    let conn = pool.connect(server).await?;
    let list = pool.list_tools(server).await?;
    Ok(Fetched {
        server_name: conn.info.server_name.clone(),
        server_version: conn.info.server_version.clone(),
        tools: list.tools.iter().map(|t| t.raw.clone()).collect(),
    })
}
