//! What every command needs: the located, loaded config and a pool over it.

use std::path::PathBuf;

use mcpscript_catalog::{CachePath, Catalog, LEARNED_FILE_NAME, LearnedTypes, state_dir};
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

    /// The directory for derived state (catalog cache, learned types): `.mcpscript/` beside the
    /// config, or the user cache dir for the built-in config.
    pub fn state_dir(&self) -> PathBuf {
        state_dir(&self.config).unwrap_or_else(|| std::env::temp_dir().join("mcpscript"))
    }

    /// Every enabled server's tools, from the disk cache where still valid (`refresh` skips it).
    /// A spinner shows on a terminal while servers are contacted.
    pub async fn catalog(&self, refresh: bool) -> Catalog {
        let cache = self.cache_path();
        let enabled = self
            .config
            .servers
            .iter()
            .filter(|e| e.spec.as_ref().is_ok_and(|s| !s.disabled))
            .count();
        let bar =
            crate::output::progress(self.quiet || self.json, enabled as u64, "servers listed");
        let done = |server: &str| {
            if let Some(b) = &bar {
                b.set_message(server.to_owned());
                b.inc(1);
            }
        };
        let catalog =
            Catalog::load_with_progress(&self.pool, &self.config, &cache, refresh, &done).await;
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        catalog
    }

    fn cache_path(&self) -> CachePath {
        CachePath::new(self.state_dir().join(mcpscript_catalog::CATALOG_FILE_NAME))
    }

    /// Puts the live tool lists of `servers` (already connected) into the catalog cache, so
    /// `search`, `describe` and `generate` follow what `tools` and runs have just seen.
    pub async fn remember_lists(&self, servers: &[String]) {
        if !servers.is_empty() {
            Catalog::remember(&self.pool, &self.config, &self.cache_path(), servers).await;
        }
    }

    /// The learned result types store.
    pub fn learned(&self) -> LearnedTypes {
        LearnedTypes::load(self.state_dir().join(LEARNED_FILE_NAME))
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
