//! Configuration: the TOML file (`raw`) validated into a [`Config`] whose fields are already
//! URLs, durations and sizes. Every error names the file, line and key.
//!
//! `load` reads the file and gathers its problems; `validate` walks the raw tables into a
//! [`Config`], section by section: `store` (with `[dedupe]`), `fetch`, `server`, `sources`,
//! `rules` (topics and filters) and `mail` (with `[[digests]]`). Checks of single values are
//! in `values`, of intervals and cron expressions in `schedule`.

mod digests;
mod error;
mod fetch;
mod load;
mod mail;
mod raw;
mod rules;
mod schedule;
mod server;
mod sources;
mod store;
mod validate;
mod values;

use std::path::PathBuf;
use std::sync::Arc;

pub use digests::DigestConfig;
pub use error::{ConfigError, Problem};
pub use fetch::{default_user_agent, FetchConfig, ProxyConfig, DEFAULT_INTERVAL};
pub use mail::{MailConfig, SmtpConfig, SmtpSecurity};
pub use schedule::normalize_cron;
pub(crate) use schedule::parse_cron;
pub use server::ServerConfig;
pub(crate) use sources::{valid_id, valid_lang};
pub use store::{DedupeConfig, StoreConfig};

use crate::classify::Classifier;
use crate::filter::Filters;
use crate::model::Source;

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from (relative paths inside it are resolved against its folder).
    pub file: PathBuf,
    /// Where and how the store is kept.
    pub store: StoreConfig,
    /// How feeds are fetched.
    pub fetch: FetchConfig,
    /// How stories are matched across sources.
    pub dedupe: DedupeConfig,
    /// The HTTP server of the daemon.
    pub server: ServerConfig,
    /// The sources, in file order.
    pub sources: Vec<Source>,
    /// The topic rules, compiled once.
    pub classifier: Arc<Classifier>,
    /// Which fetched entries are never stored: `[filter]` and each source's own.
    pub filters: Arc<Filters>,
    /// Outbox and SMTP for digests.
    pub mail: MailConfig,
    /// The digests, in file order.
    pub digests: Vec<DigestConfig>,
}

impl Config {
    /// Replaces the store directory (the `--data-dir` flag and `TRIBUTARY_DATA_DIR`).
    pub fn with_data_dir(mut self, dir: Option<PathBuf>) -> Config {
        if let Some(dir) = dir {
            self.store.path = dir;
        }
        self
    }

    /// Looks a digest up by name.
    pub fn digest(&self, name: &str) -> Option<&DigestConfig> {
        self.digests.iter().find(|d| d.name == name)
    }

    /// Looks a source up by id.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The languages that get feeds of their own: each language the sources' `lang` names
    /// (`sr` for `sr-Latn`), and each full tag that names more than a language (`sr-Latn`,
    /// `sr-Cyrl`), sorted; tags as the config writes them, a language in lowercase.
    pub fn languages(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for tag in self.sources.iter().filter_map(|s| s.lang.as_deref()) {
            let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
            for t in [primary, tag.to_string()] {
                if !out.iter().any(|o| o.eq_ignore_ascii_case(&t)) {
                    out.push(t);
                }
            }
        }
        out.sort_by_key(|t| t.to_ascii_lowercase());
        out
    }

    /// The language feed tag `tag` names, as [`Config::languages`] spells it.
    pub fn language(&self, tag: &str) -> Option<String> {
        self.languages()
            .into_iter()
            .find(|t| t.eq_ignore_ascii_case(tag))
    }
}

#[cfg(test)]
mod tests;
