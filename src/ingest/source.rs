//! One source's turn through the pipeline ([`Ingest::source`]): backoff and the host's
//! pause, the slots it waits for, the fetch, and what it records on the source's state before
//! the document goes on to be processed.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::task::JoinError;
use tracing::Instrument as _;
use url::Url;

use super::bookkeeping::{bounded, mark_failure, mark_success};
use super::process::{process, Run};
use super::{ErrorKind, FetchMode, Ingest, Outcome, SourceReport};
use crate::fetch::limit::Permit;
use crate::fetch::{Document, Done, FetchError, Fetched};
use crate::model::{Location, Source, SourceState};
use crate::store::StoreError;

impl Ingest {
    /// Runs the pipeline for one source, as `mode` says (`force` ignores backoff and
    /// `Retry-After`; `reread` reads the feed even if it has not changed).
    ///
    /// Everything it logs is inside a `fetch` span that carries the source id and, once the
    /// pipeline is done, `status` (as in the report), `bytes`, `new_items` and `duration_ms`;
    /// the closing `fetched` (or `fetch failed`) event shows them in both log formats.
    pub async fn source(&self, source: &Source, mode: FetchMode) -> SourceReport {
        let span = fetch_span(source);
        let started = Instant::now();
        // Backoff is counted from here, the source's turn: the next turn a schedule gives it
        // comes as long after this one as the wait, give or take the schedule's drift.
        let begun = Utc::now();
        let mut report = SourceReport::empty(source);
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
            let (host, _inflight) = self.slots(source).await;
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
                kind: ErrorKind::Store,
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
        record_on_span(&span, &report);
        log_outcome(&span, source, &report);
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

    /// The host's slot of `source`, then one of the pass's places: sources queued behind their
    /// host's others (a slow site with many feeds) hold none of the pass's places, which
    /// sources of other hosts take meanwhile. Stopping, neither is waited for (the fetch then
    /// says so).
    async fn slots(&self, source: &Source) -> (Option<Permit>, Option<Permit>) {
        tokio::select! {
            held = async {
                let host = self.fetcher.host_slot(source).await;
                (host, Some(self.inflight.acquire().await))
            } => held,
            () = self.downloads.cancelled() => (None, None),
        }
    }

    /// The fetch of a source that is not backing off, from `state` ([`Ingest::starting_state`]),
    /// holding its host's slot when it has one.
    async fn run(
        &self,
        source: &Source,
        mode: FetchMode,
        mut state: SourceState,
        host: Option<Permit>,
        begun: DateTime<Utc>,
        report: &mut SourceReport,
    ) -> Result<Outcome, StoreError> {
        let Some(done) = self.download(source, mode, &state, host).await else {
            // Stopping: the source's state stays as it was, for the next start.
            return Ok(Outcome::Stopped);
        };
        let fetched = done.result;
        report.queued_millis += done.waited.as_millis();
        note_move(source, &fetched, done.moved, &mut state);
        let now = Utc::now();
        // The attempt dates from its turn, not from when a slow download or a queue behind
        // the host's other sources ended: the schedule, which passes over a source attempted
        // less than half an interval before, takes its next turn.
        state.last_attempt = Some(begun);
        state.host_paused_until = None;
        state.host_paused_by = None;
        let at = Attempt {
            source,
            mode,
            begun,
            now,
        };
        let doc = match fetched {
            Ok(Fetched::NotModified) => {
                mark_success(&mut state, now, "not-modified");
                self.store.put_source_state(&source.id, &state)?;
                return Ok(Outcome::NotModified);
            }
            Ok(Fetched::Document(doc)) => doc,
            Err(e) => return self.fetch_failed(at, &e, &mut state),
        };
        report.bytes = doc.body.len();
        let body_hash = blake3::hash(&doc.body).to_hex()[..32].to_string();
        if !mode.reread && state.body_hash.as_deref() == Some(body_hash.as_str()) {
            state.etag = doc.etag;
            state.last_modified = doc.last_modified;
            mark_success(&mut state, now, "unchanged");
            self.store.put_source_state(&source.id, &state)?;
            return Ok(Outcome::Unchanged);
        }
        self.process_document(at, doc, body_hash, state, report)
            .await
    }

    /// The download of `source` from `state` (a reread without its validators), holding its
    /// host's slot when it has one; `None` when the daemon stops first.
    async fn download(
        &self,
        source: &Source,
        mode: FetchMode,
        state: &SourceState,
        host: Option<Permit>,
    ) -> Option<Done> {
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
            state
        };
        tokio::select! {
            done = self.fetcher.fetch_holding(source, ask, host) => Some(done),
            () = self.downloads.cancelled() => None,
        }
    }

    /// A fetch that failed, recorded on `state` (backoff, and the host paused when it answered
    /// 429 with a wait), as the source's error.
    fn fetch_failed(
        &self,
        at: Attempt<'_>,
        e: &FetchError,
        state: &mut SourceState,
    ) -> Result<Outcome, StoreError> {
        let Attempt {
            source, begun, now, ..
        } = at;
        if let Some(wait) = e.retry_after().filter(|_| e.rate_limited()) {
            self.fetcher.pause_host(source, wait);
        }
        let wait = if e.gone() {
            Some(self.fetch.backoff_max)
        } else {
            e.retry_after()
        };
        self.fail(state, now, begun, e.to_string(), wait);
        self.store.put_source_state(&source.id, state)?;
        Ok(Outcome::Error {
            message: bounded(&e.to_string()),
            kind: e.kind(),
        })
    }

    /// A new or changed document parsed, normalized and stored off the async threads, once
    /// it has a place among the feeds staged and a core; its warnings go in `report`.
    async fn process_document(
        &self,
        at: Attempt<'_>,
        doc: Document,
        body_hash: String,
        state: SourceState,
        report: &mut SourceReport,
    ) -> Result<Outcome, StoreError> {
        let Attempt {
            source,
            mode,
            begun,
            now,
        } = at;
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
            Err(join) => self.processing_panicked(at, before, &join),
        }
    }

    /// Processing that panicked, recorded on the state from `before` it as the source's
    /// internal error.
    fn processing_panicked(
        &self,
        at: Attempt<'_>,
        before: SourceState,
        join: &JoinError,
    ) -> Result<Outcome, StoreError> {
        let Attempt {
            source, begun, now, ..
        } = at;
        let message = format!("internal error while processing the feed: {join}");
        let mut state = before;
        self.fail(&mut state, now, begun, message.clone(), None);
        self.store.put_source_state(&source.id, &state)?;
        Ok(Outcome::Error {
            message,
            kind: ErrorKind::Internal,
        })
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

/// The span a source's turn is logged in: the source, and what [`record_on_span`] fills in
/// once it is done.
fn fetch_span(source: &Source) -> tracing::Span {
    tracing::info_span!(
        "fetch",
        source = %source.id,
        status = tracing::field::Empty,
        bytes = tracing::field::Empty,
        new_items = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    )
}

/// Records a done turn's status, bytes, new items and duration on its span.
fn record_on_span(span: &tracing::Span, report: &SourceReport) {
    let new_items = match &report.outcome {
        Outcome::Ok(a) => a.new,
        _ => 0,
    };
    span.record("status", report.outcome.status());
    span.record("bytes", report.bytes as u64);
    span.record("new_items", new_items as u64);
    span.record("duration_ms", report.millis as u64);
}

/// Logs a done turn in its span: the closing line its outcome calls for, then its recovery
/// from failures if it was one.
fn log_outcome(span: &tracing::Span, source: &Source, report: &SourceReport) {
    let _entered = span.enter();
    match &report.outcome {
        // A restart is no failure: said, but not among the warnings alerts read.
        Outcome::Stopped => tracing::info!(source = %source.id, "not fetched: stopping"),
        // With info spans filtered out (the one-shot commands log warnings only), the
        // line names its source itself.
        Outcome::Error { message, .. } if span.is_disabled() => {
            tracing::warn!(source = %source.id, error = %message, "fetch failed")
        }
        Outcome::Error { message, kind } => {
            tracing::warn!(error = %message, kind = kind.as_str(), "fetch failed")
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
}

/// Where an http(s) source has moved for good, from its download's redirects, kept in
/// `state` (and said when it is news) when the download answered.
fn note_move(
    source: &Source,
    fetched: &Result<Fetched, FetchError>,
    moved: Option<Url>,
    state: &mut SourceState,
) {
    if let Location::Http(url) = &source.location {
        // Kept in the state, written at every fetch: an address longer than any site's is
        // not kept (nor said again at every fetch).
        let moved = moved
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
}

/// One fetch of a source past its download, as the helpers of [`Ingest::run`] record it.
#[derive(Clone, Copy)]
struct Attempt<'a> {
    /// The source fetched.
    source: &'a Source,
    /// How the fetch treats what is known of the source (a reread is processed whatever its
    /// body hash).
    mode: FetchMode,
    /// The source's turn, from which the attempt and its backoff are counted.
    begun: DateTime<Utc>,
    /// When the download ended: the time the source's state records.
    now: DateTime<Utc>,
}

/// How early a turn may come for a source backing off: a schedule's turns drift by a few
/// milliseconds either way, and one a moment before the end of the wait would otherwise pass
/// the source over for a whole interval.
const RETRY_SLACK: chrono::TimeDelta = chrono::TimeDelta::seconds(1);
