//! The on-disk catalog cache: each server's tool list, keyed by what its config entry says.
//!
//! One JSON file holds, per server, the key of the config entry it was fetched for, the server's
//! `serverInfo` name and version, a hash of the tools JSON, when it was fetched and the raw tools.
//! An entry is used only while its key matches the server's current config entry and its tools
//! still hash to the recorded value. The file is written atomically; a missing, corrupt or
//! older-format file reads as empty (logged at debug), so the worst a bad cache does is cost one
//! connection per server.
//!
//! The key is a stable hash (64-bit FNV-1a, the same on every platform and build) of the entry's
//! non-secret parts: the transport kind; the command, arguments and working directory, or the URL
//! without credentials or query values (query parameter *names* are included); the *names* of environment variables
//! and headers, never their values; the allow and deny lists (the cached list is after policy);
//! and the size and modification time of the server's program: the command when it is an absolute
//! path, and each argument that is an absolute path to a script (`.js`, `.py`, …) or an executable
//! file. Upgrading a server binary or script (or mcpscript itself, which serves the built-in demo
//! server) invalidates its entry; a data file the server rewrites on every run does not.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mcpscript_config::{Config, ServerSpec, Transport};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::fsutil::{stable_hash, write_atomic};

/// The cache's file name inside [`state_dir`].
pub const CATALOG_FILE_NAME: &str = "catalog.json";
/// The learned-types file's name inside [`state_dir`] (see [`crate::LearnedTypes`]).
pub const LEARNED_FILE_NAME: &str = "schemas.json";

/// The cache file's format version; a file with another version reads as empty.
pub const CACHE_VERSION: u32 = 1;
/// A cached tool list older than this is asked for again: servers started through `npx -y` or
/// `uvx` upgrade without anything in their config entry changing.
pub const MAX_AGE_SECS: u64 = 24 * 60 * 60;

/// Where the catalog cache lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachePath(PathBuf);

impl CachePath {
    /// A cache at this file.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self(path.into())
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The conventional place for `config`'s cache: [`CATALOG_FILE_NAME`] in [`state_dir`].
    pub fn for_config(config: &Config) -> Option<Self> {
        state_dir(config).map(|d| Self(d.join(CATALOG_FILE_NAME)))
    }
}

/// The directory for a config's derived state (catalog cache, learned schemas): `.mcpscript/`
/// beside the config file, or for the built-in config `mcpscript/` in the user's cache directory
/// (`$XDG_CACHE_HOME`, else `~/Library/Caches` on macOS and `~/.cache` elsewhere). `None` when
/// there is no config file and no home directory.
pub fn state_dir(config: &Config) -> Option<PathBuf> {
    match &config.path {
        Some(file) => {
            let dir = match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            Some(dir.join(".mcpscript"))
        }
        None => user_cache_dir().map(|d| d.join("mcpscript")),
    }
}

fn user_cache_dir() -> Option<PathBuf> {
    let env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(xdg) = env("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        return Some(xdg);
    }
    let home = env("HOME")?;
    if cfg!(target_os = "macos") {
        Some(home.join("Library").join("Caches"))
    } else {
        Some(home.join(".cache"))
    }
}

/// The whole cache file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CacheFile {
    /// [`CACHE_VERSION`].
    pub version: u32,
    /// Entries by server name (the name under `mcpServers`).
    pub servers: BTreeMap<String, CacheEntry>,
}

/// One server's cached tool list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// [`server_key`] of the config entry this was fetched for.
    pub key: String,
    /// `serverInfo.name` from `initialize`.
    pub server_name: Option<String>,
    /// `serverInfo.version` from `initialize`.
    pub server_version: Option<String>,
    /// [`tools_hash`] of `tools`.
    pub tools_hash: String,
    /// When it was fetched, in seconds since the Unix epoch.
    pub fetched_at: u64,
    /// The tools exactly as the server listed them (after allow/deny policy).
    pub tools: Vec<Value>,
}

impl CacheFile {
    /// Reads the cache; anything unreadable is an empty cache.
    pub fn read(path: &Path) -> CacheFile {
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!(path = %path.display(), error = %e, "no catalog cache");
                return CacheFile::empty();
            }
        };
        match serde_json::from_slice::<CacheFile>(&text) {
            Ok(file) if file.version == CACHE_VERSION => file,
            Ok(file) => {
                tracing::debug!(path = %path.display(), version = file.version, "ignoring catalog cache of another version");
                CacheFile::empty()
            }
            Err(e) => {
                tracing::debug!(path = %path.display(), error = %e, "ignoring unreadable catalog cache");
                CacheFile::empty()
            }
        }
    }

    /// An empty cache of the current version.
    pub fn empty() -> CacheFile {
        CacheFile {
            version: CACHE_VERSION,
            servers: BTreeMap::new(),
        }
    }

    /// Writes the cache atomically, creating its directory.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        write_atomic(path, &bytes)
    }

    /// The entry for `server` when it was fetched for `key` and is intact.
    pub fn get(&self, server: &str, key: &str) -> Option<&CacheEntry> {
        let entry = self.servers.get(server)?;
        if entry.key != key {
            tracing::debug!(server, "catalog cache entry is for another config entry");
            return None;
        }
        if entry.tools_hash != tools_hash(&entry.tools) {
            tracing::debug!(server, "catalog cache entry does not match its hash");
            return None;
        }
        if crate::fsutil::now_unix().saturating_sub(entry.fetched_at) > MAX_AGE_SECS {
            tracing::debug!(server, "catalog cache entry is over a day old");
            return None;
        }
        Some(entry)
    }
}

/// The stable hash of a tool list's JSON.
pub fn tools_hash(tools: &[Value]) -> String {
    stable_hash(&serde_json::to_vec(tools).unwrap_or_default())
}

/// The cache key of a server's config entry; see the module docs for what goes in.
pub fn server_key(spec: &ServerSpec) -> String {
    let sorted_names = |pairs: &[(String, mcpscript_config::Secret)]| {
        let mut names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let target = match &spec.transport {
        // The command line as written (`${VAR}` unexpanded): expanded arguments may hold keys.
        Transport::Stdio(s) => json!({
            "command_line": spec.target,
            "cwd": s.cwd.as_ref().map(|p| p.display().to_string()),
            "env": sorted_names(&s.env),
            "files": std::iter::once(&s.command)
                .chain(s.args.iter().filter(|a| is_program(a)))
                .filter_map(|p| file_stamp(p))
                .collect::<Vec<_>>(),
        }),
        Transport::Sse(h) | Transport::StreamableHttp(h) => json!({
            "url": spec.target,
            "query": query_names(&h.url),
            "headers": sorted_names(&h.headers),
        }),
    };
    let key = json!({
        "version": CACHE_VERSION,
        "transport": spec.transport.kind(),
        "target": target,
        "allow": spec.allow,
        "deny": spec.deny,
    });
    stable_hash(key.to_string().as_bytes())
}

/// Extensions of files an interpreter runs as a server (`node server.js`, `python3 server.py`).
const SCRIPT_EXTENSIONS: &[&str] = &["js", "mjs", "cjs", "ts", "py", "jar", "rb", "pl", "php"];

/// Whether an argument names the server's program (a script or an executable), as opposed to
/// data the server may rewrite on every run (whose stamp would defeat the cache).
fn is_program(arg: &str) -> bool {
    let path = Path::new(arg);
    if !path.is_absolute() {
        return false;
    }
    let script = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SCRIPT_EXTENSIONS.contains(&e));
    script || is_executable(path)
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

/// `[path, size, mtime]` of an absolute path to a regular file.
fn file_stamp(path: &str) -> Option<Value> {
    let p = Path::new(path);
    if !p.is_absolute() {
        return None;
    }
    let meta = std::fs::metadata(p).ok().filter(|m| m.is_file())?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Some(json!([path, meta.len(), mtime.to_string()]))
}

/// The sorted names of a URL's query parameters.
fn query_names(url: &str) -> Vec<String> {
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    let query = query.split('#').next().unwrap_or_default();
    let mut names: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split('=').next().unwrap_or_default().to_owned())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use mcpscript_config::{HttpSpec, Location, Secret, StdioSpec, redact_url};
    use std::time::Duration;

    fn spec(transport: Transport) -> ServerSpec {
        let target = match &transport {
            Transport::Stdio(s) => std::iter::once(s.command.clone())
                .chain(s.args.iter().cloned())
                .collect::<Vec<_>>()
                .join(" "),
            Transport::Sse(h) | Transport::StreamableHttp(h) => redact_url(&h.url),
        };
        ServerSpec {
            target,
            name: "s".into(),
            transport,
            disabled: false,
            timeout: Duration::from_secs(1),
            startup_timeout: Duration::from_secs(1),
            max_concurrency: 1,
            allow: None,
            deny: Vec::new(),
            location: Location {
                file: PathBuf::from("x"),
                line: 1,
                column: 1,
            },
        }
    }

    fn stdio(args: &[&str], env: &[(&str, &str)]) -> ServerSpec {
        spec(Transport::Stdio(StdioSpec {
            command: "node".into(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Secret::new(*v)))
                .collect(),
            cwd: None,
        }))
    }

    fn http(url: &str, headers: &[(&str, &str)]) -> ServerSpec {
        spec(Transport::StreamableHttp(HttpSpec {
            url: url.into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Secret::new(*v)))
                .collect(),
        }))
    }

    #[test]
    fn key_follows_the_entry_but_not_secret_values() {
        let base = server_key(&stdio(&["a.js"], &[("TOKEN", "one")]));
        assert_eq!(base, server_key(&stdio(&["a.js"], &[("TOKEN", "two")])));
        assert_ne!(base, server_key(&stdio(&["b.js"], &[("TOKEN", "one")])));
        assert_ne!(base, server_key(&stdio(&["a.js"], &[("OTHER", "one")])));
        assert_ne!(base, server_key(&stdio(&["a.js"], &[])));
        let mut denied = stdio(&["a.js"], &[("TOKEN", "one")]);
        denied.deny = vec!["x".into()];
        assert_ne!(base, server_key(&denied));

        let h = server_key(&http("https://h/mcp?key=1", &[("Authorization", "a")]));
        assert_eq!(
            h,
            server_key(&http("https://h/mcp?key=2", &[("Authorization", "b")]))
        );
        assert_ne!(
            h,
            server_key(&http("https://h/mcp?token=1", &[("Authorization", "a")]))
        );
        assert_ne!(h, server_key(&http("https://h/mcp?key=1", &[])));
        assert_ne!(
            h,
            server_key(&http("https://h/other?key=1", &[("Authorization", "a")]))
        );
    }

    #[test]
    fn key_changes_when_a_server_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("server.js");
        std::fs::write(&script, "one").unwrap();
        let path = script.display().to_string();
        let before = server_key(&stdio(&[&path], &[]));
        assert_eq!(before, server_key(&stdio(&[&path], &[])));
        std::fs::write(&script, "longer").unwrap();
        assert_ne!(before, server_key(&stdio(&[&path], &[])));
    }

    #[test]
    fn corrupt_old_and_missing_files_read_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.json");
        assert_eq!(CacheFile::read(&path), CacheFile::empty());
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(CacheFile::read(&path), CacheFile::empty());
        std::fs::write(&path, r#"{"version": 0, "servers": {}}"#).unwrap();
        assert_eq!(CacheFile::read(&path), CacheFile::empty());
        std::fs::write(&path, r#"[1, 2]"#).unwrap();
        assert_eq!(CacheFile::read(&path), CacheFile::empty());
    }

    #[test]
    fn round_trip_and_integrity() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/catalog.json");
        let tools = vec![json!({"name": "t", "inputSchema": {"type": "object"}})];
        let mut file = CacheFile::empty();
        file.servers.insert(
            "s".into(),
            CacheEntry {
                key: "k".into(),
                server_name: Some("srv".into()),
                server_version: None,
                tools_hash: tools_hash(&tools),
                fetched_at: crate::fsutil::now_unix() - 60,
                tools,
            },
        );
        file.write(&path).unwrap();
        let read = CacheFile::read(&path);
        assert_eq!(read, file);
        assert!(read.get("s", "k").is_some());
        assert!(read.get("s", "other").is_none());
        assert!(read.get("t", "k").is_none());
        let mut tampered = read.clone();
        if let Some(e) = tampered.servers.get_mut("s") {
            e.tools.push(json!({"name": "extra"}));
        }
        assert!(tampered.get("s", "k").is_none());
        // Over a day old: asked again.
        let mut old = read.clone();
        if let Some(e) = old.servers.get_mut("s") {
            e.fetched_at -= MAX_AGE_SECS;
        }
        assert!(old.get("s", "k").is_none());
    }

    #[test]
    fn query_names_are_sorted_and_valueless() {
        assert_eq!(query_names("https://h/p?b=2&a=1&b=3#x"), ["a", "b"]);
        assert!(query_names("https://h/p").is_empty());
    }
}
