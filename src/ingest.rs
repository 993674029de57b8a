//! The ingest pipeline for one source: fetch → parse → (skip unchanged) → normalize →
//! classify → store, and the bookkeeping that makes it polite (validators, body hash,
//! backoff). A failure is recorded on the source and returned as a report, never raised.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::Instrument as _;

use crate::classify::Classifier;
use crate::config::{DedupeConfig, FetchConfig};
use crate::fetch::limit::Limit;
use crate::fetch::{Fetched, Fetcher, MAX_RETRY_AFTER};
use crate::model::{Item, Location, Source, SourceState};
use crate::parse::{self, Context};
use crate::store::{ApplyReport, Staged, Store, StoreError};

/// What happened to one source in one pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    /// A document was parsed and applied.
    Ok(ApplyReport),
    /// The server said 304.
    NotModified,
    /// Same bytes as last time: not parsed.
    Unchanged,
    /// Not fetched: the source is backing off or the server asked us to wait.
    Deferred {
        /// When the next attempt is allowed.
        until: DateTime<Utc>,
        /// Another source of the same host, whose request the host answered with 429 (Too
        /// Many Requests) and a wait: `None` when the source itself is backing off.
        #[serde(skip_serializing_if = "Option::is_none")]
        paused_by: Option<String>,
    },
    /// Fetching or parsing failed.
    Error {
        /// What went wrong.
        message: String,
        /// Its kind, one of [`ERROR_KINDS`].
        kind: &'static str,
    },
}

/// The kinds of a failed fetch ([`Outcome::Error`]'s `kind`, the `fetch_errors` metric's
/// label): the request's ([`crate::fetch::FetchError::kind`]: `http_4xx` includes a 304 to a
/// request without validators), `parse` (no feed could be read from the document), `store`
/// (the store could not read or write), `internal` (a bug, in the log). (A fetch the process's
/// stop cut short is an [`Outcome::Error`] of kind `stopping`: no failure, not counted.)
pub const ERROR_KINDS: [&str; 16] = [
    "timeout",
    "tls",
    "connect",
    "http_429",
    "http_5xx",
    "http_4xx",
    "login",
    "too_large",
    "refused",
    "redirects",
    "file",
    "config",
    "other",
    "parse",
    "store",
    "internal",
];

impl Outcome {
    /// Every [`Outcome::status`].
    pub const STATUSES: [&'static str; 5] =
        ["ok", "not-modified", "unchanged", "deferred", "error"];

    /// The outcome's name, as in the JSON report and the `fetches` metric: `ok`,
    /// `not-modified`, `unchanged`, `deferred` or `error`.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Ok(_) => "ok",
            Outcome::NotModified => "not-modified",
            Outcome::Unchanged => "unchanged",
            Outcome::Deferred { .. } => "deferred",
            Outcome::Error { .. } => "error",
        }
    }

    /// A fetch cut short because the process is stopping: no failure of its source (its
    /// state stays as it was).
    fn stopping() -> Outcome {
        Outcome::Error {
            message: STOPPING.into(),
            kind: "stopping",
        }
    }

    /// Whether this is [`Outcome::stopping`]'s: said at info, not counted a failure.
    pub fn stopped(&self) -> bool {
        matches!(
            self,
            Outcome::Error {
                kind: "stopping",
                ..
            }
        )
    }
}

/// One source's result in a pass.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    /// The source id.
    pub source: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Body bytes downloaded.
    pub bytes: usize,
    /// Wall time of the whole pipeline for this source (fetch, parse, store), in milliseconds,
    /// without the wait for a fetch slot of its host or of the pass (`queued_millis`).
    pub millis: u128,
    /// How long the fetch waited for a free slot before it began, in milliseconds.
    #[serde(skip_serializing_if = "crate::model::is_zero")]
    pub queued_millis: u128,
    /// Oddities that did not stop the source.
    pub warnings: Vec<String>,
    /// The store could not be read or written (the outcome is an error, and not the
    /// source's own: a full disk, say).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub store_failed: bool,
    /// The source was failing before this fetch, which did not fail: how many fetches in a
    /// row had failed.
    #[serde(skip_serializing_if = "crate::model::is_zero")]
    pub recovered_after: u32,
}

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

    /// Runs the pipeline for one source, as `mode` says (`force` ignores backoff and
    /// `Retry-After`; `reread` reads the feed even if it has not changed).
    ///
    /// Everything it logs is inside a `fetch` span that carries the source id and, once the
    /// pipeline is done, `status` (as in the report), `bytes`, `new_items` and `duration_ms`;
    /// the closing `fetched` (or `fetch failed`) event shows them in both log formats.
    pub async fn source(&self, source: &Source, mode: FetchMode) -> SourceReport {
        let span = tracing::info_span!(
            "fetch",
            source = %source.id,
            status = tracing::field::Empty,
            bytes = tracing::field::Empty,
            new_items = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        // Backoff is counted from here, the source's turn: the next turn a schedule gives it
        // comes as long after this one as the wait, give or take the schedule's drift.
        let begun = Utc::now();
        let mut report = SourceReport {
            source: source.id.clone(),
            outcome: Outcome::Unchanged,
            bytes: 0,
            millis: 0,
            queued_millis: 0,
            warnings: Vec::new(),
            store_failed: false,
            recovered_after: 0,
        };
        let mut failed_before = 0;
        let outcome = async {
            let state = self.starting_state(source)?;
            failed_before = state.consecutive_errors;
            // A source backing off says so at once, without waiting for a slot it would not
            // use.
            if let Some(until) = state
                .retry_at
                .filter(|t| *t > Utc::now() + RETRY_SLACK && !mode.force)
            {
                return Ok(Outcome::Deferred {
                    until,
                    paused_by: None,
                });
            }
            // The host's slot first: sources queued behind their host's others (a slow site
            // with many feeds) hold none of the pass's places, which sources of other hosts
            // take meanwhile. Stopping, neither is waited for (the fetch then says so).
            let (host, _inflight) = tokio::select! {
                held = async {
                    let host = self.fetcher.host_slot(source).await;
                    (host, Some(self.inflight.acquire().await))
                } => held,
                () = self.downloads.cancelled() => (None, None),
            };
            report.queued_millis = started.elapsed().as_millis();
            // Also while this one waited for the host's slot.
            if let Some(deferred) = self.held_back_by_host(source, mode, &state)? {
                return Ok(deferred);
            }
            self.run(source, mode, state, host, begun, &mut report)
                .await
        }
        .instrument(span.clone())
        .await;
        report.outcome = outcome.unwrap_or_else(|e| {
            // The store failing to read or write (a full disk), not one record that does not
            // decode: that is this source's error alone, and the store takes writes.
            report.store_failed = !matches!(e, StoreError::Corrupt { .. });
            Outcome::Error {
                message: e.to_string(),
                kind: "store",
            }
        });
        report.millis = started
            .elapsed()
            .as_millis()
            .saturating_sub(report.queued_millis);
        if matches!(
            report.outcome,
            Outcome::Ok(_) | Outcome::NotModified | Outcome::Unchanged
        ) {
            report.recovered_after = failed_before;
        }
        let new_items = match &report.outcome {
            Outcome::Ok(a) => a.new,
            _ => 0,
        };
        span.record("status", report.outcome.status());
        span.record("bytes", report.bytes as u64);
        span.record("new_items", new_items as u64);
        span.record("duration_ms", report.millis as u64);
        let _entered = span.enter();
        match &report.outcome {
            // A restart is no failure: said, but not among the warnings alerts read.
            outcome if outcome.stopped() => {
                tracing::info!(source = %source.id, "not fetched: stopping")
            }
            // With info spans filtered out (the one-shot commands log warnings only), the
            // line names its source itself.
            Outcome::Error { message, .. } if span.is_disabled() => {
                tracing::warn!(source = %source.id, error = %message, "fetch failed")
            }
            Outcome::Error { message, kind } => {
                tracing::warn!(error = %message, kind, "fetch failed")
            }
            // At each turn of a source that waits (a week, for a `Retry-After` that long): the
            // failure or 429 that began the wait was logged, and `sources` says until when.
            Outcome::Deferred {
                until,
                paused_by: None,
            } => {
                tracing::debug!(%until, "not fetched: backing off after failures or as the server asked")
            }
            Outcome::Deferred {
                until,
                paused_by: Some(by),
            } => {
                tracing::debug!(%until, paused_by = %by, "not fetched: the host answered another source with 429 (Too Many Requests) and asked to be left alone")
            }
            Outcome::Ok(a) if report.warnings.is_empty() => tracing::info!(
                updated = a.updated,
                duplicate = a.duplicate,
                unchanged = a.unchanged,
                refreshed = a.refreshed,
                "fetched"
            ),
            // The warnings' text, for the daemon's log (`fetch` prints them in its report).
            Outcome::Ok(a) => tracing::info!(
                updated = a.updated,
                duplicate = a.duplicate,
                unchanged = a.unchanged,
                refreshed = a.refreshed,
                warnings = %report.warnings.join("; "),
                "fetched"
            ),
            // Nothing new: at debug, so at info a pass over thousands of unchanged sources
            // leaves no line per source (`fetch` still prints its "fetch pass done" summary).
            Outcome::NotModified | Outcome::Unchanged => tracing::debug!("fetched"),
        }
        // A source that was failing and is not: said whatever the fetch found, as its failures
        // were (the log would otherwise show them and never the end of them).
        if report.recovered_after > 0 {
            tracing::info!(
                failed_fetches = report.recovered_after,
                "recovered: fetched again after failures"
            );
        }
        report
    }

    /// The deferral of `source` when its host asked to be left alone, answering another
    /// source with 429 (not one its own answer made: its own `retry_at` says when it goes
    /// again), recorded on the source so `sources` and the status page say why it was not
    /// fetched.
    fn held_back_by_host(
        &self,
        source: &Source,
        mode: FetchMode,
        state: &SourceState,
    ) -> Result<Option<Outcome>, StoreError> {
        let Some(pause) = self
            .fetcher
            .host_paused(source)
            .filter(|p| !mode.force && p.by != source.id && p.until > Utc::now() + RETRY_SLACK)
        else {
            return Ok(None);
        };
        if state.host_paused_until != Some(pause.until)
            || state.host_paused_by.as_deref() != Some(pause.by.as_str())
        {
            let mut state = state.clone();
            state.host_paused_until = Some(pause.until);
            state.host_paused_by = Some(pause.by.clone());
            self.store.put_source_state(&source.id, &state)?;
        }
        Ok(Some(Outcome::Deferred {
            until: pause.until,
            paused_by: Some(pause.by),
        }))
    }

    /// The source's state as a fetch starts from it: given another location (URL or file)
    /// than last time, afresh.
    fn starting_state(&self, source: &Source) -> Result<SourceState, StoreError> {
        let mut state = self.store.source_state(&source.id)?;
        let location = source.location.key();
        if state.location.as_ref().is_some_and(|was| *was != location) {
            // Another URL (or file): the old one's validators, body hash and backoff say
            // nothing about it, and a fixed URL is fetched at once.
            tracing::info!("the source's location changed; fetching it afresh");
            state = SourceState {
                etag: None,
                last_modified: None,
                body_hash: None,
                retry_at: None,
                consecutive_errors: 0,
                failing_since: None,
                moved_to: None,
                ..state
            };
        }
        state.location = Some(location);
        Ok(state)
    }

    /// The fetch of a source that is not backing off, from `state` ([`Ingest::starting_state`]),
    /// holding its host's slot when it has one.
    async fn run(
        &self,
        source: &Source,
        mode: FetchMode,
        mut state: SourceState,
        host: Option<crate::fetch::limit::Permit>,
        begun: DateTime<Utc>,
        report: &mut SourceReport,
    ) -> Result<Outcome, StoreError> {
        // A reread asks for the whole document: no validators.
        let unconditional;
        let ask = if mode.reread {
            unconditional = SourceState {
                etag: None,
                last_modified: None,
                ..state.clone()
            };
            &unconditional
        } else {
            &state
        };
        let (fetched, waited) = tokio::select! {
            done = self.fetcher.fetch_holding(source, ask, host) => done,
            () = self.downloads.cancelled() => {
                // Stopping: the source's state stays as it was, for the next start.
                return Ok(Outcome::stopping());
            }
        };
        report.queued_millis += waited.as_millis();
        if let Location::Http(url) = &source.location {
            // Kept in the state, written at every fetch: an address longer than any site's is
            // not kept (nor said again at every fetch).
            let moved = self
                .fetcher
                .moved(url)
                .map(|to| Location::Http(to).to_string())
                .filter(|to| to.len() <= crate::fetch::MAX_KEPT_HEADER);
            // Only an address that answered: a redirect the client or the guard then refused
            // (another scheme, a private address) is no place to point the source at.
            if fetched.is_ok() {
                if let Some(to) = moved.as_ref().filter(|_| moved != state.moved_to) {
                    if url.scheme() == "https" && to.starts_with("http://") {
                        tracing::warn!(%to, "the feed has moved for good (HTTP 301/308) from https to plain http: check that the new address is the site's own before setting the source's url to it");
                    } else {
                        tracing::warn!(%to, "the feed has moved for good (HTTP 301/308): set the source's url to its new address");
                    }
                }
                state.moved_to = moved;
            }
        }
        let now = Utc::now();
        // The attempt dates from its turn, not from when a slow download or a queue behind
        // the host's other sources ended: the schedule, which passes over a source attempted
        // less than half an interval before, takes its next turn.
        state.last_attempt = Some(begun);
        state.host_paused_until = None;
        state.host_paused_by = None;
        let doc = match fetched {
            Ok(Fetched::NotModified) => {
                self.succeed(&mut state, now, "not-modified");
                self.store.put_source_state(&source.id, &state)?;
                return Ok(Outcome::NotModified);
            }
            Ok(Fetched::Document(doc)) => doc,
            Err(e) => {
                if let Some(wait) = e.retry_after().filter(|_| e.rate_limited()) {
                    self.fetcher.pause_host(source, wait);
                }
                let wait = if e.gone() {
                    Some(self.fetch.backoff_max)
                } else {
                    e.retry_after()
                };
                self.fail(&mut state, now, begun, e.to_string(), wait);
                self.store.put_source_state(&source.id, &state)?;
                return Ok(Outcome::Error {
                    message: bounded(&e.to_string()),
                    kind: e.kind(),
                });
            }
        };
        report.bytes = doc.body.len();
        let body_hash = blake3::hash(&doc.body).to_hex()[..32].to_string();
        if !mode.reread && state.body_hash.as_deref() == Some(body_hash.as_str()) {
            state.etag = doc.etag;
            state.last_modified = doc.last_modified;
            self.succeed(&mut state, now, "unchanged");
            self.store.put_source_state(&source.id, &state)?;
            return Ok(Outcome::Unchanged);
        }

        // Parsing, normalizing and storing are CPU and disk work: off the async threads.
        let store = self.store.clone();
        let dedupe = self.dedupe.clone();
        let classifier = self.classifier.clone();
        let filters = self.filters.clone();
        let sources = self.sources.clone();
        let source_owned = source.clone();
        let backoff = (self.fetch.backoff_base, self.fetch.backoff_max);
        let reread = mode.reread;
        let staged = self
            .staged
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let cpu = self
            .cpu
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        // What the state was, should processing panic: the failure is then recorded on it
        // (backoff, health) instead of the source being read again at every tick.
        let before = state.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let run = Run {
                store: &store,
                classifier: &classifier,
                filters: &filters,
                sources: &sources,
                dedupe: &dedupe,
                backoff,
                begun,
                reread,
            };
            let processed = process(&run, &source_owned, doc, body_hash, state, now, cpu);
            drop(staged);
            processed
        })
        .await;
        match joined {
            Ok(Ok((outcome, warnings))) => {
                report.warnings = warnings;
                Ok(outcome)
            }
            Ok(Err(e)) => Err(e),
            Err(join) => {
                let message = format!("internal error while processing the feed: {join}");
                let mut state = before;
                self.fail(&mut state, now, begun, message.clone(), None);
                self.store.put_source_state(&source.id, &state)?;
                Ok(Outcome::Error {
                    message,
                    kind: "internal",
                })
            }
        }
    }

    fn succeed(&self, state: &mut SourceState, now: DateTime<Utc>, outcome: &str) {
        mark_success(state, now, outcome);
    }

    fn fail(
        &self,
        state: &mut SourceState,
        now: DateTime<Utc>,
        begun: DateTime<Utc>,
        message: String,
        retry_after: Option<Duration>,
    ) {
        mark_failure(
            state,
            (now, begun),
            message,
            retry_after,
            (self.fetch.backoff_base, self.fetch.backoff_max),
        );
    }
}

/// What processing a fetched document needs besides the document.
struct Run<'a> {
    store: &'a Store,
    classifier: &'a Classifier,
    filters: &'a crate::filter::Filters,
    sources: &'a [Source],
    dedupe: &'a DedupeConfig,
    backoff: (Duration, Duration),
    /// When the source's turn began (see [`mark_failure`]).
    begun: DateTime<Utc>,
    /// `fetch --reread`: entries as recorded are normalized and compared with their stories
    /// too, so what this version reads otherwise in them is updated.
    reread: bool,
}

fn process(
    run: &Run<'_>,
    source: &Source,
    doc: crate::fetch::Document,
    body_hash: String,
    mut state: SourceState,
    now: DateTime<Utc>,
    cpu: tokio::sync::OwnedSemaphorePermit,
) -> Result<(Outcome, Vec<String>), StoreError> {
    let store = run.store;
    let ctx = Context {
        fetch_url: doc
            .final_url
            .as_ref()
            .filter(|_| matches!(source.location, Location::Http(_))),
        content_type: doc.content_type.as_deref(),
        default_lang: source.lang.as_deref(),
        now,
        time_zone: source.time_zone,
    };
    let feed = match parse::parse(&doc.body, &ctx) {
        Ok(feed) => feed,
        Err(e) => {
            // Validators and body hash stay as they were: the same broken bytes are
            // parsed (and reported) again next time, not mistaken for "unchanged".
            mark_failure(
                &mut state,
                (now, run.begun),
                e.to_string(),
                None,
                run.backoff,
            );
            store.put_source_state(&source.id, &state)?;
            return Ok((
                Outcome::Error {
                    message: bounded(&e.to_string()),
                    kind: "parse",
                },
                Vec::new(),
            ));
        }
    };
    let keys: Vec<(&crate::model::Identity, &str)> = feed
        .entries
        .iter()
        .map(|e| (&e.identity, e.content_hash.as_str()))
        .collect();
    let unchanged = store.unchanged(&source.id, &keys)?;
    // Entries without a GUID of their own are told apart in the store by one another (see
    // `Store::apply`): when one of them is new or changed, the unchanged ones go too, to be
    // found unchanged there first, so that none is taken for another's story.
    let guidless = |raw: &parse::RawEntry| !matches!(raw.identity, crate::model::Identity::Guid(_));
    let relisted = feed
        .entries
        .iter()
        .zip(&unchanged)
        .any(|(raw, same)| !same && guidless(raw));
    let filters = Some(run.filters).filter(|f| f.applies_to(&source.id));
    let (mut filtered, mut skipped) = (0, 0);
    let mut staged: Vec<Staged> = Vec::new();
    for (raw, same) in feed.entries.iter().zip(&unchanged) {
        if *same {
            // Not filtered: the filters decide what is stored, and this is.
            if run.reread || (relisted && guidless(raw)) {
                let item = parse::normalize(raw, &feed, &ctx);
                staged.push(Staged {
                    item,
                    topics: None,
                    reread: run.reread,
                });
            } else {
                skipped += 1;
            }
            continue;
        }
        let item = parse::normalize(raw, &feed, &ctx);
        if let Some(Err(why)) = filters.map(|f| f.check(&source.id, &item)) {
            tracing::debug!(title = %item.title, link = ?item.link, reason = %why, "entry filtered out");
            filtered += 1;
            continue;
        }
        // Classified here, on this thread, not under the store's writer lock.
        let topics = Some(run.classifier.new_story_topics(&item, source));
        staged.push(Staged {
            item,
            topics,
            reread: run.reread,
        });
    }
    state.etag = doc.etag;
    state.last_modified = doc.last_modified;
    state.body_hash = Some(body_hash);
    state.feed_title = feed.title.clone();
    state.site_url = feed
        .site
        .as_ref()
        .map(|u| u.to_string())
        .filter(|u| u.len() <= crate::fetch::MAX_KEPT_HEADER);
    state.last_entry_count = feed.entries.len() as u32;
    mark_success(&mut state, now, "ok");
    // The CPU work is done: waiting for the writer lock and the disk must not keep another
    // feed from being parsed meanwhile.
    drop(cpu);
    let topics_of = |item: &Item| run.classifier.item_topics(item, run.sources);
    let mut report = store.apply_now(&source.id, staged, &state, run.dedupe, &topics_of)?;
    report.unchanged += skipped;
    report.filtered += filtered;
    Ok((Outcome::Ok(report), feed.warnings))
}

fn mark_success(state: &mut SourceState, now: DateTime<Utc>, outcome: &str) {
    state.last_success = Some(now);
    state.last_outcome = Some(outcome.to_string());
    state.consecutive_errors = 0;
    state.last_error = None;
    state.retry_at = None;
    state.failing_since = None;
}

/// The message of [`Outcome::stopping`].
const STOPPING: &str = "not fetched: stopping";

/// Longest error message kept for a source, in characters.
const MAX_ERROR: usize = 500;

/// How early a turn may come for a source backing off: a schedule's turns drift by a few
/// milliseconds either way, and one a moment before the end of the wait would otherwise pass
/// the source over for a whole interval.
const RETRY_SLACK: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

/// An error message as it is kept, shown and logged: a feed's own text can be in it (an
/// unsupported version or content type, a server's reason), so control characters (a line
/// break that would forge a log line) become spaces and it is cut at [`MAX_ERROR`] characters.
pub fn bounded(message: &str) -> String {
    let mut out: String = message
        .chars()
        .take(MAX_ERROR)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if message.chars().nth(MAX_ERROR).is_some() {
        out.push('…');
    }
    out
}

/// Records a failure (at `now`, in the turn `begun`) and schedules the next attempt
/// `base × 2^(failures−1)` (capped) after `begun` but no sooner than half of it after `now`,
/// and no sooner than the server's `Retry-After` after `now`.
pub fn mark_failure(
    state: &mut SourceState,
    (now, begun): (DateTime<Utc>, DateTime<Utc>),
    message: String,
    retry_after: Option<Duration>,
    (base, max): (Duration, Duration),
) {
    state.consecutive_errors = state.consecutive_errors.saturating_add(1);
    state.failing_since.get_or_insert(now);
    let message = bounded(&message);
    state.last_outcome = Some("error".into());
    state.last_error = Some(message);
    let exp = state.consecutive_errors.saturating_sub(1).min(30);
    let backoff = base.saturating_mul(1u32 << exp).min(max);
    let after = |from: DateTime<Utc>, wait: Duration| {
        chrono::Duration::from_std(wait)
            .ok()
            .and_then(|d| from.checked_add_signed(d))
    };
    // The backoff from the source's turn, not from when its download or parse ended: a wait
    // as long as the schedule's interval ends by the next turn (a whole interval later
    // otherwise). At least half of it from now, though: a turn that queued long behind its
    // host's other sources is not retried at once.
    let own = after(begun.min(now), backoff).max(after(now, backoff / 2));
    // A server's wait from its answer: it may ask for any; a week is the most we honour.
    let asked = retry_after.and_then(|r| after(now, r.min(MAX_RETRY_AFTER)));
    state.retry_at = own.max(asked);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_honours_retry_after() {
        let now = Utc::now();
        let limits = (Duration::from_secs(60), Duration::from_secs(600));
        let mut s = SourceState::default();
        let mut waits = Vec::new();
        for i in 0..6 {
            let at = now + chrono::TimeDelta::hours(i);
            mark_failure(&mut s, (at, at), "x".into(), None, limits);
            waits.push((s.retry_at.unwrap() - now - chrono::TimeDelta::hours(i)).num_seconds());
        }
        assert_eq!(waits, vec![60, 120, 240, 480, 600, 600]);
        assert_eq!(s.consecutive_errors, 6);
        // The run of failures is dated from its first.
        assert_eq!(s.failing_since, Some(now));
        mark_failure(
            &mut s,
            (now, now),
            "429".into(),
            Some(Duration::from_secs(3600)),
            limits,
        );
        assert_eq!((s.retry_at.unwrap() - now).num_seconds(), 3600);
        mark_success(&mut s, now, "ok");
        assert!(s.healthy() && s.retry_at.is_none() && s.last_error.is_none());
        // A feed's own text in an error (a version of megabytes, a line break that would forge
        // a log line) is kept short and on one line.
        let forged = format!("unsupported version: {}\nINFO fake line", "9".repeat(5000));
        mark_failure(&mut s, (now, now), forged, None, limits);
        let kept = s.last_error.clone().unwrap();
        assert!(!kept.contains('\n'), "{kept}");
        assert_eq!(kept.chars().count(), 501, "{kept}");
        mark_success(&mut s, now, "ok");
        assert_eq!(s.failing_since, None);
        let later = now + chrono::TimeDelta::days(2);
        mark_failure(&mut s, (later, later), "x".into(), None, limits);
        assert_eq!(s.failing_since, Some(later));
    }

    /// The wait is counted from the source's turn, not from the end of a slow download: a
    /// wait as long as the schedule's interval is over by the next turn.
    #[test]
    fn backoff_counts_from_the_turn() {
        let limits = (Duration::from_secs(600), Duration::from_secs(3600));
        let begun = Utc::now() - chrono::TimeDelta::seconds(600);
        let mut s = SourceState::default();
        // The download took 20 seconds to fail.
        let failed = begun + chrono::TimeDelta::seconds(20);
        mark_failure(&mut s, (failed, begun), "timeout".into(), None, limits);
        assert_eq!(s.retry_at, Some(begun + chrono::TimeDelta::seconds(600)));
        assert_eq!(s.failing_since, Some(failed));
        // A turn that queued behind its host's others for most of the wait: half of the
        // wait from the failure at least.
        let mut s = SourceState::default();
        let late = begun + chrono::TimeDelta::seconds(550);
        mark_failure(&mut s, (late, begun), "timeout".into(), None, limits);
        assert_eq!(s.retry_at, Some(late + chrono::TimeDelta::seconds(300)));
        // A server's wait counts from its answer, whatever the queue before.
        let mut s = SourceState::default();
        let answered = begun + chrono::TimeDelta::seconds(6);
        mark_failure(
            &mut s,
            (answered, begun),
            "503".into(),
            Some(Duration::from_secs(4000)),
            limits,
        );
        assert_eq!(
            s.retry_at,
            Some(answered + chrono::TimeDelta::seconds(4000))
        );
    }

    fn config(dir: &std::path::Path, fetch: &str) -> crate::config::Config {
        crate::config::Config::from_str(
            &format!("[fetch]\n{fetch}\n\n[[sources]]\nid = \"a\"\ntitle = \"A\"\nurl = \"https://a.example/feed.xml\"\nkind = \"partner\"\n"),
            &dir.join("t.toml"),
        )
        .unwrap()
        .with_data_dir(Some(dir.join("data")))
    }

    #[tokio::test]
    async fn a_source_waiting_for_its_host_holds_none_of_the_passs_places() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "concurrency = 1\nper_host_concurrency = 1");
        let store = Arc::new(Store::open(&c.store).unwrap());
        let ingest = Arc::new(Ingest::new(&c, store).unwrap());
        // Another fetch of the host is running.
        let busy = ingest.fetcher.limits().host("a.example").acquire().await;
        let waiting = tokio::spawn({
            let ingest = ingest.clone();
            let source = c.sources[0].clone();
            async move { ingest.source(&source, FetchMode::default()).await }
        });
        // The test runtime has one thread: once this task yields, the source runs until it
        // waits.
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        // It waits for its host with the pass's only place free, for a source of another host.
        assert_eq!(ingest.inflight.available(), 1);
        waiting.abort();
        drop(busy);
    }

    /// A turn that comes a moment before the source's wait ends (a schedule's drift) is taken:
    /// the source goes on to wait for its host instead of being passed over for an interval.
    #[tokio::test]
    async fn a_turn_a_moment_before_the_wait_ends_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "concurrency = 1\nper_host_concurrency = 1");
        let store = Arc::new(Store::open(&c.store).unwrap());
        let source = c.sources[0].clone();
        let state = SourceState {
            location: Some(source.location.key()),
            retry_at: Some(Utc::now() + chrono::Duration::milliseconds(300)),
            consecutive_errors: 1,
            ..SourceState::default()
        };
        store.put_source_state(&source.id, &state).unwrap();
        let ingest = Arc::new(Ingest::new(&c, store).unwrap());
        let busy = ingest.fetcher.limits().host("a.example").acquire().await;
        let turn = tokio::spawn({
            let ingest = ingest.clone();
            async move { ingest.source(&source, FetchMode::default()).await }
        });
        tokio::task::yield_now().await;
        assert!(!turn.is_finished(), "passed over as backing off");
        turn.abort();
        drop(busy);
    }

    /// A fetcher with one source on this host where nothing listens: its request is refused
    /// at once, without leaving the host.
    fn refused_at_once(dir: &std::path::Path) -> (Arc<Ingest>, Source) {
        let c = crate::config::Config::from_str(
            "[[sources]]\nid = \"a\"\ntitle = \"A\"\nurl = \"http://127.0.0.1:9/feed.xml\"\nkind = \"partner\"\n",
            &dir.join("t.toml"),
        )
        .unwrap()
        .with_data_dir(Some(dir.join("data")));
        let store = Arc::new(Store::open(&c.store).unwrap());
        (
            Arc::new(Ingest::new(&c, store).unwrap()),
            c.sources[0].clone(),
        )
    }

    /// A host's pause that a source's own 429 made holds back the host's other sources, not
    /// that source: its own wait says when it goes again.
    #[tokio::test]
    async fn a_source_is_not_held_back_by_its_own_429() {
        let dir = tempfile::tempdir().unwrap();
        let (ingest, source) = refused_at_once(dir.path());
        ingest
            .fetcher
            .pause_host(&source, Duration::from_secs(3600));
        let busy = ingest.fetcher.limits().host("127.0.0.1").acquire().await;
        let turn = tokio::spawn({
            let ingest = ingest.clone();
            let source = source.clone();
            async move { ingest.source(&source, FetchMode::default()).await }
        });
        tokio::task::yield_now().await;
        let released = Utc::now();
        drop(busy);
        // Given its host's slot, it is not deferred by a pause of its own making: it goes on
        // to its request (refused: an error).
        let report = turn.await.unwrap();
        assert!(
            !matches!(report.outcome, Outcome::Deferred { .. }),
            "{:?}",
            report.outcome
        );
        // The attempt dates from its turn, before it waited for its host.
        let state = ingest.store.source_state(&source.id).unwrap();
        assert!(state.last_attempt.unwrap() <= released, "{state:?}");
    }

    /// Another source's 429 pause that ends a moment after a turn comes (a schedule's drift)
    /// does not pass the source over for a whole interval.
    #[tokio::test]
    async fn a_hosts_pause_ending_a_moment_after_the_turn_does_not_hold_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let (ingest, source) = refused_at_once(dir.path());
        let mut other = source.clone();
        other.id = "b".into();
        ingest
            .fetcher
            .pause_host(&other, Duration::from_millis(300));
        // It goes on to its request (refused: an error), not deferred.
        let report = ingest.source(&source, FetchMode::default()).await;
        assert!(
            !matches!(report.outcome, Outcome::Deferred { .. }),
            "{:?}",
            report.outcome
        );
    }

    #[tokio::test]
    async fn a_source_backing_off_says_so_without_waiting_for_its_host() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "concurrency = 1\nper_host_concurrency = 1");
        let store = Arc::new(Store::open(&c.store).unwrap());
        let source = c.sources[0].clone();
        let until = Utc::now() + chrono::Duration::hours(1);
        let state = SourceState {
            location: Some(source.location.key()),
            retry_at: Some(until),
            consecutive_errors: 3,
            ..SourceState::default()
        };
        store.put_source_state(&source.id, &state).unwrap();
        let ingest = Arc::new(Ingest::new(&c, store).unwrap());
        // Another fetch of the host is running and the pass has no place free.
        let _busy = ingest.fetcher.limits().host("a.example").acquire().await;
        let _full = ingest.inflight.acquire().await;
        let deferred = tokio::spawn({
            let ingest = ingest.clone();
            async move { ingest.source(&source, FetchMode::default()).await }
        });
        tokio::task::yield_now().await;
        assert!(deferred.is_finished(), "it waited for a slot");
        let report = deferred.await.unwrap();
        assert!(
            matches!(report.outcome, Outcome::Deferred { until: u, paused_by: None } if u == until),
            "{:?}",
            report.outcome
        );
    }

    #[tokio::test]
    async fn a_reloaded_pipeline_is_held_to_the_limits_of_the_fetches_still_running() {
        let dir = tempfile::tempdir().unwrap();
        let before = config(dir.path(), "concurrency = 2\nper_host_concurrency = 1");
        let store = Arc::new(Store::open(&before.store).unwrap());
        let old = Ingest::new(&before, store.clone()).unwrap();
        // Fetches of the old config hold every place, in all and at the host.
        let _running = (old.inflight.acquire().await, old.inflight.acquire().await);
        let _at_host = old.fetcher.limits().host("a.example").acquire().await;

        let after = config(dir.path(), "concurrency = 3\nper_host_concurrency = 2");
        let new = Ingest::succeeding(&after, store, &old).unwrap();
        // Until the reload is taken, nothing changes: no place is free for the new one.
        assert_eq!(new.inflight.available(), 0);
        assert_eq!(new.fetcher.limits().host("a.example").available(), 0);
        new.limit_as_configured();
        // Then one more in all and at the host, counting the old fetches still running.
        assert_eq!(new.inflight.available(), 1);
        assert_eq!(new.fetcher.limits().host("a.example").available(), 1);
        assert_eq!(new.fetcher.limits().global().size(), 3);
        assert_eq!(new.fetcher.limits().host("b.example").size(), 2);
        assert!(Arc::ptr_eq(&new.cpu, &old.cpu) && Arc::ptr_eq(&new.staged, &old.staged));
    }
}
