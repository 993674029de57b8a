//! Wiring: opens the store, builds the fetcher, and runs passes over the configured sources.

use std::sync::Arc;

use serde::Serialize;
use tokio::task::JoinSet;

use crate::config::Config;
use crate::ingest::{Ingest, SourceReport};
use crate::model::{SourceKind, SourceState};
use crate::store::Store;

/// A configured, opened Tributary.
pub struct App {
    /// The validated config.
    pub config: Config,
    /// The open store.
    pub store: Arc<Store>,
    /// The pipeline.
    pub ingest: Arc<Ingest>,
}

/// A source's health, for `tributary sources` and status pages.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SourceHealth {
    /// Source id.
    pub id: String,
    /// Source title.
    pub title: String,
    /// Organisation or partner.
    pub kind: SourceKind,
    /// Where it is fetched from.
    pub url: String,
    /// `ok`, `failing (N)`, `never fetched` or `disabled`.
    pub health: String,
    /// Fetched on its schedule (`enabled = false` in the config turns that off).
    pub enabled: bool,
    /// Items the source carries in the store.
    pub items: usize,
    /// Its server's certificate is not checked (`accept_invalid_certificates = true`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub certificate_unchecked: bool,
    /// Stored fetch state.
    pub state: SourceState,
}

impl SourceHealth {
    /// What ops should know beyond the health, for the status page and `tributary sources`:
    /// the last error and when the source is tried again, a host's request to wait, a
    /// permanent redirect, and a certificate not checked.
    pub fn notes(&self) -> String {
        let mut notes = Vec::new();
        if !self.state.healthy() {
            if let Some(error) = &self.state.last_error {
                notes.push(error.clone());
            }
            if let Some(at) = self.state.retry_at {
                notes.push(format!("next try {}", at.format("%Y-%m-%d %H:%M UTC")));
            }
        }
        if let (Some(until), Some(by)) = (self.state.host_paused_until, &self.state.host_paused_by)
        {
            if until > chrono::Utc::now() {
                notes.push(format!(
                    "not fetched until {}: its host answered source {by} with 429 (Too Many Requests)",
                    until.format("%Y-%m-%d %H:%M UTC")
                ));
            }
        }
        if let Some(to) = &self.state.moved_to {
            notes.push(format!("moved for good to {to}: set url to it"));
        }
        if self.certificate_unchecked {
            notes.push("its certificate is not checked (accept_invalid_certificates)".into());
        }
        notes.join("; ")
    }
}

impl App {
    /// Opens the store and builds the fetcher.
    pub fn open(config: Config) -> anyhow::Result<App> {
        let store = Store::open(&config.store)?;
        App::with_store(config, store)
    }

    /// [`App::open`] for a command that reads what is stored: a store folder that is not
    /// there is an error (a mistyped `--data-dir` would otherwise make an empty store and
    /// report "nothing stored").
    pub fn open_existing(config: Config) -> anyhow::Result<App> {
        ensure_store_exists(&config)?;
        App::open(config)
    }

    /// [`App::open`] for a fetch: the stories' database is opened only once a source has
    /// something to store ([`Store::open_lazy`]). sled reads a page table proportional to the
    /// whole store when it opens it, which on a store of half a million stories takes as long
    /// as the pass over 10,000 unchanged sources itself. A store that cannot be opened
    /// (damaged, newer schema) fails every source that has something to store, naming the
    /// folder; a pass with nothing new leaves it untouched.
    pub fn open_for_fetch(config: Config) -> anyhow::Result<App> {
        let store = Store::open_lazy(&config.store)?;
        refuse_if_import_interrupted(&store, &config)?;
        App::with_store(config, store)
    }

    fn with_store(config: Config, store: Store) -> anyhow::Result<App> {
        warn_if_import_interrupted(&store);
        let store = Arc::new(store);
        let ingest = Arc::new(Ingest::new(&config, store.clone())?);
        Ok(App {
            config,
            store,
            ingest,
        })
    }

    /// Fetches the given sources (every enabled one when empty) concurrently — the fetcher
    /// bounds how many run at once — calling `each` as every source finishes. A disabled
    /// source is fetched only when named.
    pub async fn fetch_pass(
        &self,
        only: &[String],
        mode: crate::ingest::FetchMode,
        mut each: impl FnMut(&SourceReport),
    ) -> Vec<SourceReport> {
        let started = std::time::Instant::now();
        let mut tasks = JoinSet::new();
        for source in &self.config.sources {
            let wanted = if only.is_empty() {
                source.enabled
            } else {
                only.contains(&source.id)
            };
            if !wanted {
                continue;
            }
            let ingest = self.ingest.clone();
            let source = source.clone();
            tasks.spawn(async move {
                let run = std::panic::AssertUnwindSafe(ingest.source(&source, mode));
                match futures_util::FutureExt::catch_unwind(run).await {
                    Ok(report) => report,
                    // A bug must not hide a source from the summary or the exit code.
                    Err(_) => SourceReport {
                        outcome: crate::ingest::Outcome::Error {
                            message: "internal error while fetching this source (see the log)"
                                .into(),
                            kind: crate::ingest::ErrorKind::Internal,
                        },
                        ..SourceReport::empty(&source)
                    },
                }
            });
        }
        let mut reports = Vec::new();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(report) => {
                    each(&report);
                    reports.push(report);
                }
                Err(e) => tracing::error!(error = %e, "a fetch task failed"),
            }
        }
        // Source states of unchanged and failed sources are written without a flush each.
        if let Err(e) = self.store.flush() {
            tracing::error!(error = %e, "could not flush the store");
        }
        tracing::info!(
            sources = reports.len(),
            duration_ms = started.elapsed().as_millis() as u64,
            "fetch pass done"
        );
        reports
    }

    /// Health of every configured source, in config order.
    pub fn source_health(&self) -> anyhow::Result<Vec<SourceHealth>> {
        Ok(source_health(&self.store, &self.config)?)
    }
}

/// Health of every configured source, in config order.
pub fn source_health(
    store: &Store,
    config: &Config,
) -> Result<Vec<SourceHealth>, crate::store::StoreError> {
    source_health_counted(store, config, &|id| store.count_for_source(id))
}

/// [`source_health`] with item counts from `items` (the server passes the counts it took at
/// the last render, so a request reads one state record per source and scans no index).
pub fn source_health_counted(
    store: &Store,
    config: &Config,
    items: &dyn Fn(&str) -> usize,
) -> Result<Vec<SourceHealth>, crate::store::StoreError> {
    let mut out = Vec::new();
    for s in &config.sources {
        let state = store.source_state(&s.id)?;
        let health = if !s.enabled {
            "disabled".to_string()
        } else if state.last_attempt.is_none() {
            "never fetched".to_string()
        } else if state.healthy() {
            "ok".to_string()
        } else {
            format!("failing ({})", state.consecutive_errors)
        };
        out.push(SourceHealth {
            id: s.id.clone(),
            title: s.title.clone(),
            kind: s.kind,
            url: s.location.to_string(),
            health,
            enabled: s.enabled,
            items: items(&s.id),
            certificate_unchecked: s.accept_invalid_certificates
                && matches!(&s.location, crate::model::Location::Http(u) if u.scheme() == "https"),
            state,
        });
    }
    Ok(out)
}

/// Fails, naming the folder, when the configured store has not been created.
pub fn ensure_store_exists(config: &Config) -> anyhow::Result<()> {
    let path = &config.store.path;
    // Only a folder known not to be there: one that cannot be looked at (systemd's private
    // state directory) is for opening to judge.
    if let Ok(false) = path.try_exists() {
        anyhow::bail!(
            "no store at {}: nothing was fetched into it yet (check --data-dir or [store] path; `tributary fetch` or `tributary run` creates it)",
            path.display()
        );
    }
    Ok(())
}

/// What to do about a store whose import was cut short: it holds part of an export.
const IMPORT_CUT_SHORT: &str = "an import into this store did not finish: it holds only part of the export; run `tributary import FILE` again (it starts over), or move the folder aside to start with an empty store";

/// Says so when an import into `store` was cut short (commands that read it, and `import`).
pub fn warn_if_import_interrupted(store: &Store) {
    if store.import_interrupted().unwrap_or(false) {
        tracing::warn!("{IMPORT_CUT_SHORT}");
    }
}

/// Refuses to store new stories (`fetch`, the daemon) in a store whose import was cut short:
/// running the import again starts over from an empty store, which would drop them.
pub fn refuse_if_import_interrupted(store: &Store, config: &Config) -> anyhow::Result<()> {
    if store.import_interrupted()? {
        anyhow::bail!("{}: {IMPORT_CUT_SHORT}", config.store.path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_fetched_into_a_store_whose_import_was_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_str(
            "[[sources]]\nid = \"a\"\ntitle = \"A\"\nurl = \"feed.xml\"\nkind = \"partner\"\n",
            &dir.path().join("t.toml"),
        )
        .unwrap()
        .with_data_dir(Some(dir.path().join("data")));
        {
            let store = Store::open(&config.store).unwrap();
            // As a kill during `import` leaves it.
            store.mark_import(true).unwrap();
        }
        let refused = App::open_for_fetch(config.clone()).err().unwrap();
        assert!(
            refused
                .to_string()
                .contains("an import into this store did not finish"),
            "{refused}"
        );
        // Reading it is allowed (with a warning), and so is the import that starts over.
        assert!(App::open(config).is_ok());
    }
}
