//! Prometheus metrics: fetch outcomes, source health, stored items, HTTP requests, digests.
//!
//! Enough to alert on what ops care about (`deploy/prometheus/alerts.yml` uses only these
//! names, which a test checks): a source failing for a day
//! (`source_last_success_timestamp_seconds`, `source_up`), a digest not built or not sent
//! (`digest_last_scheduled_timestamp_seconds` against `digest_last_period_end_timestamp_seconds`,
//! `digest_consecutive_failures`), and the store growing (`items_stored`, `store_size_bytes`).
//!
//! This file declares [`Metrics`] (every family, with its labels) and keeps up the few the
//! server itself sets (requests, renders, the store, config reloads); `registry` creates
//! and registers them, `sources` and `digests` keep up those families, and `exposition`
//! writes the text a scrape reads.

mod digests;
mod exposition;
mod registry;
mod sources;

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

pub use exposition::classic;

/// Every metric the daemon exposes, registered once.
pub struct Metrics {
    /// The `tributary_` families, each registered once by [`Metrics::new`].
    registry: Registry,
    /// The standard `process_*` metrics, without the `tributary_` prefix.
    process: Registry,
    /// `tributary_fetches`: fetch attempts by source and outcome.
    fetches: Family<FetchLabels, Counter>,
    /// `tributary_fetch_errors`: failed fetches by source and kind.
    fetch_errors: Family<ErrorLabels, Counter>,
    /// `tributary_fetch_duration_seconds`: how long fetches took, by outcome.
    fetch_duration: Family<OutcomeLabels, Histogram>,
    /// `tributary_source_last_fetch_duration_seconds`: each source's last fetch.
    source_fetch_duration: Family<SourceLabels, Gauge<f64, AtomicU64>>,
    /// `tributary_items_new`: stories stored for the first time.
    items_new: Family<SourceLabels, Counter>,
    /// `tributary_items_filtered`: entries dropped by filter rules.
    items_filtered: Family<SourceLabels, Counter>,
    /// `tributary_items_updated`: stories their publisher edited.
    items_updated: Family<SourceLabels, Counter>,
    /// `tributary_items_refreshed`: stories that took a picture's new address.
    items_refreshed: Family<SourceLabels, Counter>,
    /// `tributary_source_up`: whether a source's last fetch succeeded.
    source_up: Family<SourceLabels, Gauge>,
    /// `tributary_source_enabled`: whether a source is fetched on its schedule.
    source_enabled: Family<SourceLabels, Gauge>,
    /// `tributary_source_consecutive_errors`: failed fetches in a row.
    source_errors: Family<SourceLabels, Gauge>,
    /// `tributary_source_last_success_timestamp_seconds`.
    source_last_success: Family<SourceLabels, Gauge<f64, AtomicU64>>,
    /// `tributary_source_failing_since_timestamp_seconds`.
    source_failing_since: Family<SourceLabels, Gauge<f64, AtomicU64>>,
    /// The sources and digests the config in use has (`None` until first told): a write for
    /// one a reload removed, by a fetch or send still running from before it, is dropped
    /// instead of bringing back the series `forget_*` removed.
    known: std::sync::RwLock<Option<Known>>,
    /// `tributary_source_items`: stories each source carries.
    source_items: Family<SourceLabels, Gauge>,
    /// `tributary_items_stored`: stories in the store.
    items_stored: Gauge,
    /// `tributary_store_size_bytes`: the store on disk.
    store_bytes: Gauge,
    /// `tributary_store_writable`: whether the store takes writes.
    store_writable: Gauge,
    /// `tributary_feed_renders`: renders of the feeds rendered ahead of time.
    renders: Counter,
    /// `tributary_lazy_feed_renders`: feeds rendered on request.
    lazy_renders: Counter,
    /// `tributary_feed_last_render_timestamp_seconds`.
    last_render: Gauge<f64, AtomicU64>,
    /// `tributary_http_requests`: requests by route and status.
    requests: Family<RequestLabels, Counter>,
    /// `tributary_http_request_duration_seconds`: request latency by route.
    latency: Family<RouteLabels, Histogram>,
    /// `tributary_digest_last_period_end_timestamp_seconds`.
    digest_last: Family<DigestLabels, Gauge<f64, AtomicU64>>,
    /// `tributary_digest_stories`: stories in the last built digest.
    digest_items: Family<DigestLabels, Gauge>,
    /// `tributary_digest_last_sent_timestamp_seconds`.
    digest_sent: Family<DigestLabels, Gauge<f64, AtomicU64>>,
    /// `tributary_digest_last_scheduled_timestamp_seconds`.
    digest_scheduled: Family<DigestLabels, Gauge<f64, AtomicU64>>,
    /// `tributary_digest_consecutive_failures`.
    digest_failures: Family<DigestLabels, Gauge>,
    /// `tributary_digest_failing_since_timestamp_seconds`.
    digest_failing_since: Family<DigestLabels, Gauge<f64, AtomicU64>>,
    /// `tributary_build_info`: the running version as a label.
    build_info: Family<VersionLabels, Gauge>,
    /// `tributary_config_last_reload_successful`.
    reload_ok: Gauge,
    /// `tributary_config_last_reload_success_timestamp_seconds`.
    reload_ok_at: Gauge<f64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Records a reload of the config: read and in use, or refused (the previous one stays).
    pub fn config_reloaded(&self, ok: bool) {
        self.reload_ok.set(i64::from(ok));
        if ok {
            self.reload_ok_at.set(now_seconds());
        }
    }

    /// Whether the last reload of the config failed.
    pub fn reload_failed(&self) -> bool {
        self.reload_ok.get() == 0
    }

    /// The sources and digests of the config in use (at start and at each reload, before
    /// [`Metrics::forget_sources`] and [`Metrics::forget_digests`]).
    pub fn configured<'a>(
        &self,
        sources: impl IntoIterator<Item = &'a str>,
        digests: impl IntoIterator<Item = &'a str>,
    ) {
        *self.known.write().unwrap_or_else(|e| e.into_inner()) = Some(Known {
            sources: sources.into_iter().map(str::to_string).collect(),
            digests: digests.into_iter().map(str::to_string).collect(),
        });
    }

    /// Whether the config in use has this source (every one until told, see
    /// [`Metrics::configured`]).
    fn has_source(&self, id: &str) -> bool {
        let known = self.known.read().unwrap_or_else(|e| e.into_inner());
        known.as_ref().is_none_or(|k| k.sources.contains(id))
    }

    /// Whether the config in use has this digest, as [`Metrics::has_source`].
    fn has_digest(&self, name: &str) -> bool {
        let known = self.known.read().unwrap_or_else(|e| e.into_inner());
        known.as_ref().is_none_or(|k| k.digests.contains(name))
    }

    /// Sets the store gauges.
    pub fn store(&self, items: usize, bytes: u64) {
        self.items_stored.set(items as i64);
        self.store_bytes.set(bytes as i64);
    }

    /// Whether the store takes writes.
    pub fn store_writable(&self, writable: bool) {
        self.store_writable.set(i64::from(writable));
    }

    /// Counts a render of one feed rendered on request (a source's, a topic's in one
    /// language).
    pub fn rendered_lazily(&self) {
        self.lazy_renders.inc();
    }

    /// Counts a render of the feeds.
    pub fn rendered(&self, at: chrono::DateTime<chrono::Utc>) {
        self.renders.inc();
        self.last_render.set(at.timestamp() as f64);
    }

    /// Records one HTTP request.
    pub fn request(&self, route: &'static str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels { route, status })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(seconds);
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FetchLabels {
    /// The source's id.
    source: String,
    /// How the fetch ended (`Outcome::status`).
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    /// The source's id.
    source: String,
    /// The kind of failure (`ErrorKind::as_str`).
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    /// How the fetch ended (`Outcome::status`).
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    /// The source's id.
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The route's pattern, or `unmatched`.
    route: &'static str,
    /// The response's status code.
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    /// The route's pattern, or `unmatched`.
    route: &'static str,
}

/// The names of the sources and digests the config in use has.
#[derive(Debug, Default)]
struct Known {
    /// Source ids.
    sources: std::collections::HashSet<String>,
    /// Digest names.
    digests: std::collections::HashSet<String>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    /// The crate's version.
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DigestLabels {
    /// The digest's name.
    digest: String,
}

/// Now as Unix seconds.
fn now_seconds() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}
