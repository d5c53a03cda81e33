//! What every command needs: the located, loaded config and a pool over it.

use std::path::PathBuf;

use mcpscript_client::Pool;
use mcpscript_config::{CONFIG_ENV, Config, ConfigSource};

use crate::cli::GlobalArgs;
use crate::output::{Failure, note};

/// Loaded config plus a lazily connecting pool.
pub struct Context {
    /// The config.
    pub config: Config,
    /// The pool over its servers.
    pub pool: Pool,
    /// `--json`.
    pub json: bool,
    /// `--quiet`.
    pub quiet: bool,
    /// No config file was found: the built-in demo config is in use.
    pub builtin: bool,
}

impl Context {
    /// Tells people (not machines) that the built-in config is in use; discovery commands call
    /// this so a user without a config learns why they see one "demo" server.
    pub fn note_builtin(&self) {
        if self.builtin {
            note(
                self.quiet || self.json,
                "no mcp_config.json here: using the built-in demo config (one server, \"demo\"); \
                 pass --config FILE or set MCPSCRIPT_CONFIG to use yours",
            );
        }
    }

    /// Locates and loads the config (flag, `MCPSCRIPT_CONFIG`, `./mcp_config.json`, built-in).
    pub fn load(global: &GlobalArgs) -> Result<Self, Failure> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        // clap already folds MCPSCRIPT_CONFIG into --config; keep both sources distinct for
        // messages.
        let env = std::env::var(CONFIG_ENV).ok();
        let flag = global
            .config
            .as_deref()
            .filter(|p| env.as_deref() != p.to_str());
        let source = ConfigSource::locate(flag, env.as_deref(), &cwd);
        let exe = std::env::current_exe()
            .map_err(|e| anyhow::anyhow!("cannot find mcpscript's own executable: {e}"))?;
        let config = Config::from_source(&source, &exe)?;
        let builtin = source == ConfigSource::BuiltIn;
        let pool = Pool::new(&config);
        Ok(Self {
            config,
            pool,
            json: global.json,
            quiet: global.quiet,
            builtin,
        })
    }
}
