//! The ingest pipeline for one source: fetch → parse → (skip unchanged) → normalize →
//! classify → store, and the bookkeeping that makes it polite (validators, body hash,
//! backoff). A failure is recorded on the source and returned as a report, never raised.
//!
//! - `source`: one source's turn ([`Ingest::source`]): backoff, slots, the fetch;
//! - `process`: a fetched document parsed, classified and stored;
//! - `bookkeeping`: success, failure and backoff recorded on the source's state;
//! - `report`: what a pass reports for each source ([`SourceReport`], [`Outcome`]).

mod bookkeeping;
mod process;
mod report;
mod source;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::classify::Classifier;
use crate::config::{DedupeConfig, FetchConfig};
use crate::fetch::limit::Limit;
use crate::fetch::Fetcher;
use crate::model::Source;
use crate::store::Store;

pub use bookkeeping::{bounded, mark_failure};
pub use report::{ErrorKind, Outcome, SourceReport};

/// Everything a pass needs; shared by the CLI and the daemon.
pub struct Ingest {
    /// The store.
    pub store: Arc<Store>,
    /// The HTTP client.
    pub fetcher: Arc<Fetcher>,
    /// Backoff settings.
    pub fetch: FetchConfig,
    /// Matching settings.
    pub dedupe: DedupeConfig,
    /// Compiled topic rules.
    pub classifier: Arc<Classifier>,
    /// Block and keep rules.
    pub filters: Arc<crate::filter::Filters>,
    /// Every configured source (for the default topics of a story's carriers).
    pub sources: Arc<Vec<Source>>,
    /// Sources in flight (fetching, waiting to be parsed, parsing): `fetch.concurrency`. Bounds
    /// the bodies held in memory when thousands of sources are due at once.
    pub inflight: Arc<Limit>,
    /// Feeds being parsed, normalized and classified at once: one per core. Downloads go on
    /// meanwhile, and so does storing (a feed waiting for the writer lock or the disk holds no
    /// permit); more parsing threads than cores would only add contention and memory.
    pub cpu: Arc<tokio::sync::Semaphore>,
    /// Feeds between parsing and stored: one per core and two waiting for the store. The
    /// store takes one feed at a time; without this bound, feeds parsed faster than they are
    /// stored would pile up in memory.
    pub staged: Arc<tokio::sync::Semaphore>,
    /// Cancelled when the daemon stops: downloads still running end at once (nothing of
    /// theirs is stored yet), while feeds already downloaded are stored.
    pub downloads: tokio_util::sync::CancellationToken,
}

/// How one fetch treats what Tributary knows of the source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchMode {
    /// Fetch even while the source is backing off or was told to retry later.
    pub force: bool,
    /// Download and read the feed even if it has not changed (no conditional request, no
    /// same-bytes shortcut), so its stories are read again with the config as it is now (a
    /// new `time_zone`, say): those that come out different are updated.
    pub reread: bool,
}

impl Ingest {
    /// The pipeline for a config over an open store.
    pub fn new(
        config: &crate::config::Config,
        store: Arc<Store>,
    ) -> Result<Ingest, crate::fetch::FetchError> {
        let fetcher = Fetcher::new(&config.fetch)?;
        Ok(Ingest::assemble(config, store, fetcher, None))
    }

    /// The pipeline for a config that replaces `before`'s (a reload): it shares `before`'s
    /// limits, so fetches of both running at once are held to one set of them. Their sizes
    /// stay as they were until [`Ingest::limit_as_configured`].
    pub fn succeeding(
        config: &crate::config::Config,
        store: Arc<Store>,
        before: &Ingest,
    ) -> Result<Ingest, crate::fetch::FetchError> {
        let fetcher = Fetcher::sharing(&config.fetch, before.fetcher.limits().clone())?;
        Ok(Ingest::assemble(config, store, fetcher, Some(before)))
    }

    /// The pipeline for `config` with `fetcher`, under `before`'s limits and stop, or fresh
    /// ones.
    fn assemble(
        config: &crate::config::Config,
        store: Arc<Store>,
        fetcher: Fetcher,
        before: Option<&Ingest>,
    ) -> Ingest {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let semaphore = |n| Arc::new(tokio::sync::Semaphore::new(n));
        Ingest {
            store,
            fetcher: Arc::new(fetcher),
            fetch: config.fetch.clone(),
            dedupe: config.dedupe.clone(),
            classifier: config.classifier.clone(),
            filters: config.filters.clone(),
            sources: Arc::new(config.sources.clone()),
            inflight: before.map_or_else(
                || Limit::new(config.fetch.concurrency),
                |b| b.inflight.clone(),
            ),
            cpu: before.map_or_else(|| semaphore(cores), |b| b.cpu.clone()),
            staged: before.map_or_else(|| semaphore(cores + 2), |b| b.staged.clone()),
            downloads: before.map(|b| b.downloads.clone()).unwrap_or_default(),
        }
    }

    /// Makes the limits this pipeline shares the sizes its config sets (once a reload is
    /// taken).
    pub fn limit_as_configured(&self) {
        self.inflight.resize(self.fetch.concurrency);
        self.fetcher.limits().resize(&self.fetch);
    }
}
