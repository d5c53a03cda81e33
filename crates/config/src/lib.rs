//! mcpscript's configuration: the `mcpServers` map users already have (mcpscript's
//! `mcp_config.json`, Claude Code's `.mcp.json`, Claude Desktop's `claude_desktop_config.json`),
//! parsed, `${VAR}`-expanded and validated.
//!
//! It owns file discovery, positions in error messages and the typed server description. It
//! knows nothing of connections: a [`ServerSpec`] says how to reach a server, never whether it
//! can be reached. One bad server entry becomes that entry's [`ServerConfigError`]; the others
//! still load.

mod error;
mod expand;
mod parse;
mod sandbox;
mod spec;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use error::{ConfigError, ExpandError, Location, ServerConfigError, ServerErrorKind};
pub use expand::expand;
pub use sandbox::{DiscoverConfig, SandboxConfig};
pub use spec::{
    DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_CONCURRENCY, DEFAULT_STARTUP_TIMEOUT, HttpSpec, Secret,
    ServerSpec, StdioSpec, Transport, redact_url,
};

/// The config file name looked for in the working directory.
pub const DEFAULT_FILE_NAME: &str = "mcp_config.json";
/// The environment variable naming a config file.
pub const CONFIG_ENV: &str = "MCPSCRIPT_CONFIG";
/// The name of the server in the built-in default config.
pub const DEMO_SERVER_NAME: &str = "demo";

/// A loaded configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from; `None` for the built-in default.
    pub path: Option<PathBuf>,
    /// Every entry under `mcpServers`, in file order, usable or not.
    pub servers: Vec<ServerEntry>,
    /// The `sandbox` section (default when absent), or why it is invalid.
    pub sandbox: Result<SandboxConfig, Arc<ConfigError>>,
    /// The `discover` section (default when absent), or why it is invalid.
    pub discover: Result<DiscoverConfig, Arc<ConfigError>>,
}

/// One entry under `mcpServers`.
#[derive(Debug, Clone)]
pub struct ServerEntry {
    /// The name as written.
    pub name: String,
    /// The usable description, or why this server cannot be used.
    pub spec: Result<ServerSpec, ServerConfigError>,
}

/// Where the config comes from, in order of precedence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// `--config FILE`.
    Flag(PathBuf),
    /// `MCPSCRIPT_CONFIG`.
    Env(PathBuf),
    /// `mcp_config.json` in the working directory.
    WorkingDir(PathBuf),
    /// Nothing found: the built-in demo config.
    BuiltIn,
}

impl ConfigSource {
    /// Picks the source: the flag, else the environment variable, else `./mcp_config.json` when
    /// it exists, else the built-in default.
    pub fn locate(flag: Option<&Path>, env: Option<&str>, cwd: &Path) -> ConfigSource {
        if let Some(f) = flag {
            return ConfigSource::Flag(f.to_path_buf());
        }
        if let Some(e) = env.filter(|e| !e.is_empty()) {
            return ConfigSource::Env(PathBuf::from(e));
        }
        let local = cwd.join(DEFAULT_FILE_NAME);
        if local.is_file() {
            return ConfigSource::WorkingDir(local);
        }
        ConfigSource::BuiltIn
    }

    /// The file, unless built in.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ConfigSource::Flag(p) | ConfigSource::Env(p) | ConfigSource::WorkingDir(p) => Some(p),
            ConfigSource::BuiltIn => None,
        }
    }
}

impl Config {
    /// Parses config text. `file` is used for positions and to resolve relative `cwd`s;
    /// `lookup` resolves `${VAR}`.
    pub fn parse(
        src: &str,
        file: &Path,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        parse::parse(src, file, lookup)
    }

    /// Reads and parses a file, expanding from the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let src = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&src, path, &|name| std::env::var(name).ok())
    }

    /// Loads from a located source; `demo_command` is the program that serves the built-in demo
    /// server (normally mcpscript itself).
    pub fn from_source(source: &ConfigSource, demo_command: &Path) -> Result<Config, ConfigError> {
        match source.path() {
            Some(p) => Self::load(p),
            None => Ok(Self::builtin(demo_command)),
        }
    }

    /// The built-in default: one stdio server, mcpscript's own demo server.
    pub fn builtin(demo_command: &Path) -> Config {
        let location = Location {
            file: PathBuf::from("<built-in>"),
            line: 1,
            column: 1,
        };
        let spec = ServerSpec {
            name: DEMO_SERVER_NAME.to_owned(),
            transport: Transport::Stdio(StdioSpec {
                command: demo_command.display().to_string(),
                args: vec!["demo-server".to_owned()],
                env: Vec::new(),
                cwd: None,
            }),
            disabled: false,
            timeout: DEFAULT_CALL_TIMEOUT,
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            allow: None,
            deny: Vec::new(),
            location,
            target: format!("{} demo-server", demo_command.display()),
        };
        Config {
            path: None,
            servers: vec![ServerEntry {
                name: spec.name.clone(),
                spec: Ok(spec),
            }],
            sandbox: Ok(SandboxConfig::default()),
            discover: Ok(DiscoverConfig::default()),
        }
    }

    /// The entry with this name.
    pub fn server(&self, name: &str) -> Option<&ServerEntry> {
        self.servers.iter().find(|s| s.name == name)
    }

    /// Names of all entries, in file order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.servers.iter().map(|s| s.name.as_str())
    }
}
