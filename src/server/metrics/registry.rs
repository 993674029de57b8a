//! [`Metrics::new`]: every family created and registered under the `tributary_` prefix, with
//! the help text a scrape shows, and the process metrics in a registry of their own.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use super::exposition::ProcessMetrics;
use super::{now_seconds, Metrics, VersionLabels};

impl Metrics {
    /// Creates and registers the metrics.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("tributary");
        let m = Metrics::unregistered();
        m.register_fetches(&mut registry);
        m.register_sources(&mut registry);
        m.register_store(&mut registry);
        m.register_http(&mut registry);
        m.register_digests(&mut registry);
        m.register_build_and_config(&mut registry);
        m.reload_ok.set(1);
        m.reload_ok_at.set(now_seconds());
        m.build_info
            .get_or_create(&VersionLabels {
                version: env!("CARGO_PKG_VERSION").to_string(),
            })
            .set(1);
        let mut process = Registry::default();
        process.register_collector(Box::new(ProcessMetrics));
        Metrics {
            registry,
            process,
            ..m
        }
    }

    /// Every family, empty and registered nowhere yet.
    fn unregistered() -> Metrics {
        Metrics {
            fetches: Family::default(),
            fetch_errors: Family::default(),
            // 10 ms to ~40 s: a feed from a nearby cache to one at the edge of `timeout`.
            fetch_duration: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.01, 2.5, 10))
            }),
            source_fetch_duration: Family::default(),
            items_new: Family::default(),
            items_filtered: Family::default(),
            items_updated: Family::default(),
            items_refreshed: Family::default(),
            source_up: Family::default(),
            source_enabled: Family::default(),
            source_errors: Family::default(),
            source_last_success: Family::default(),
            source_failing_since: Family::default(),
            known: std::sync::RwLock::new(None),
            source_items: Family::default(),
            items_stored: Gauge::default(),
            store_bytes: Gauge::default(),
            store_writable: Gauge::default(),
            renders: Counter::default(),
            lazy_renders: Counter::default(),
            last_render: Gauge::default(),
            requests: Family::default(),
            latency: Family::new_with_constructor(|| {
                // 0.1 ms to ~52 s in doublings: a 250 ms or 1 s objective falls near a bound.
                Histogram::new(exponential_buckets(0.0001, 2.0, 20))
            }),
            digest_last: Family::default(),
            digest_items: Family::default(),
            digest_sent: Family::default(),
            digest_scheduled: Family::default(),
            digest_failures: Family::default(),
            digest_failing_since: Family::default(),
            build_info: Family::default(),
            reload_ok: Gauge::default(),
            reload_ok_at: Gauge::default(),
            registry: Registry::default(),
            process: Registry::default(),
        }
    }

    /// Registers the fetch families: attempts, errors, durations and what fetches did to stories.
    fn register_fetches(&self, registry: &mut Registry) {
        registry.register(
            "fetches",
            "Fetch attempts by source and outcome (ok, not-modified, unchanged, deferred, error)",
            self.fetches.clone(),
        );
        registry.register(
            "fetch_errors",
            format!(
                "Failed fetches by source and kind ({})",
                crate::ingest::ErrorKind::all()
                    .map(crate::ingest::ErrorKind::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            self.fetch_errors.clone(),
        );
        registry.register(
            "fetch_duration_seconds",
            "Time from the start of a fetch to its stored result (download, parse, store), by \
             outcome; deferred fetches, which make no request, are not counted",
            self.fetch_duration.clone(),
        );
        registry.register(
            "source_last_fetch_duration_seconds",
            "How long the source's last fetch took (download, parse, store)",
            self.source_fetch_duration.clone(),
        );
        registry.register(
            "items_new",
            "Stories stored for the first time, by source",
            self.items_new.clone(),
        );
        registry.register(
            "items_filtered",
            "Fetched entries dropped by filter rules before they were stored, by source",
            self.items_filtered.clone(),
        );
        registry.register(
            "items_updated",
            "Stored stories a fetch found edited by their publisher (title, text, links, \
             dates…), by source: a source whose every fetch edits its stories shows here",
            self.items_updated.clone(),
        );
        registry.register(
            "items_refreshed",
            "Stored stories a fetch found unchanged but for a picture's signed or versioned \
             address, which they took without being marked edited, by source",
            self.items_refreshed.clone(),
        );
    }

    /// Registers each source's health: up, enabled, failures, last success and stories held.
    fn register_sources(&self, registry: &mut Registry) {
        registry.register(
            "source_up",
"1 when the source's last fetch succeeded, 0 when it failed; absent while the source is disabled or not fetched yet",
            self.source_up.clone(),
        );
        registry.register(
            "source_enabled",
            "1 when the source is fetched on its schedule, 0 when the config disables it",
            self.source_enabled.clone(),
        );
        registry.register(
            "source_consecutive_errors",
            "Failed fetches in a row, by source",
            self.source_errors.clone(),
        );
        registry.register(
            "source_last_success_timestamp_seconds",
            "Unix time of the source's last successful fetch (alert when it is a day old)",
            self.source_last_success.clone(),
        );
        registry.register(
            "source_failing_since_timestamp_seconds",
            "Unix time the source's current run of failed fetches began (kept across restarts); \
             absent while its last fetch succeeded (alert when it is a day old)",
            self.source_failing_since.clone(),
        );
        registry.register(
            "source_items",
            "Stories each source carries in the store",
            self.source_items.clone(),
        );
    }

    /// Registers the store's gauges and the feed renders, in the order a scrape shows them.
    fn register_store(&self, registry: &mut Registry) {
        registry.register(
            "items_stored",
            "Stories in the store",
            self.items_stored.clone(),
        );
        registry.register(
            "store_size_bytes",
            "Size of the sled store on disk",
            self.store_bytes.clone(),
        );
        registry.register(
            "feed_renders",
            "Times the republished feeds were rendered",
            self.renders.clone(),
        );
        registry.register(
            "lazy_feed_renders",
            "Feeds rendered on request (per source; a topic in one language): at most one per \
             feed and change, however many readers ask at once",
            self.lazy_renders.clone(),
        );
        registry.register(
            "store_writable",
            "1 while the store takes writes, 0 since one failed (a full or failing disk); after two minutes of 0 the daemon exits to be restarted, once its disk has room",
            self.store_writable.clone(),
        );
        registry.register(
            "feed_last_render_timestamp_seconds",
            "Unix time of the last feed render",
            self.last_render.clone(),
        );
    }

    /// Registers the HTTP request counts and latencies.
    fn register_http(&self, registry: &mut Registry) {
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            self.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            self.latency.clone(),
        );
    }

    /// Registers each digest's period, stories, sends, schedule and failures.
    fn register_digests(&self, registry: &mut Registry) {
        registry.register(
            "digest_last_period_end_timestamp_seconds",
            "End of the last built period of each digest (alert when a digest was not built)",
            self.digest_last.clone(),
        );
        registry.register(
            "digest_stories",
            "Stories in the last built digest",
            self.digest_items.clone(),
        );
        registry.register(
            "digest_last_sent_timestamp_seconds",
            "Unix time the newest sent digest of each name was sent",
            self.digest_sent.clone(),
        );
        registry.register(
            "digest_last_scheduled_timestamp_seconds",
            "The latest time each digest's schedule has reached (a built digest's period ends there)",
            self.digest_scheduled.clone(),
        );
        registry.register(
            "digest_consecutive_failures",
            "Failed builds, outbox writes or sends of each digest in a row (retried every minute)",
            self.digest_failures.clone(),
        );
        registry.register(
            "digest_failing_since_timestamp_seconds",
            "Unix time the digest's current run of failed builds, outbox writes or sends began; \
             0 while it is up to date",
            self.digest_failing_since.clone(),
        );
    }

    /// Registers the running version and the config reloads.
    fn register_build_and_config(&self, registry: &mut Registry) {
        registry.register(
            "build_info",
            "Always 1; the running version as a label",
            self.build_info.clone(),
        );
        registry.register(
            "config_last_reload_successful",
            "1 if the config in use is the file's (the start or the last reload read it), 0 if the last reload failed",
            self.reload_ok.clone(),
        );
        registry.register(
            "config_last_reload_success_timestamp_seconds",
            "Unix time the config was last read without error (at start or by a reload)",
            self.reload_ok_at.clone(),
        );
    }
}
