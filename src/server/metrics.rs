//! Prometheus metrics: fetch outcomes, source health, stored items, HTTP requests, digests.
//!
//! Enough to alert on what ops care about (`deploy/prometheus/alerts.yml` uses only these
//! names, which a test checks): a source failing for a day
//! (`source_last_success_timestamp_seconds`, `source_up`), a digest not built or not sent
//! (`digest_last_scheduled_timestamp_seconds` against `digest_last_period_end_timestamp_seconds`,
//! `digest_consecutive_failures`), and the store growing (`items_stored`, `store_size_bytes`).

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::ingest::{Outcome, SourceReport};
use crate::model::{Source, SourceState};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FetchLabels {
    source: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    source: String,
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

/// The names of the sources and digests the config in use has.
#[derive(Debug, Default)]
struct Known {
    sources: std::collections::HashSet<String>,
    digests: std::collections::HashSet<String>,
}

/// Every metric the daemon exposes, registered once.
pub struct Metrics {
    registry: Registry,
    /// The standard `process_*` metrics, without the `tributary_` prefix.
    process: Registry,
    fetches: Family<FetchLabels, Counter>,
    fetch_errors: Family<ErrorLabels, Counter>,
    fetch_duration: Family<OutcomeLabels, Histogram>,
    source_fetch_duration: Family<SourceLabels, Gauge<f64, AtomicU64>>,
    items_new: Family<SourceLabels, Counter>,
    items_filtered: Family<SourceLabels, Counter>,
    items_updated: Family<SourceLabels, Counter>,
    items_refreshed: Family<SourceLabels, Counter>,
    source_up: Family<SourceLabels, Gauge>,
    source_enabled: Family<SourceLabels, Gauge>,
    source_errors: Family<SourceLabels, Gauge>,
    source_last_success: Family<SourceLabels, Gauge<f64, AtomicU64>>,
    source_failing_since: Family<SourceLabels, Gauge<f64, AtomicU64>>,
    /// The sources and digests the config in use has (`None` until first told): a write for
    /// one a reload removed, by a fetch or send still running from before it, is dropped
    /// instead of bringing back the series `forget_*` removed.
    known: std::sync::RwLock<Option<Known>>,
    source_items: Family<SourceLabels, Gauge>,
    items_stored: Gauge,
    store_bytes: Gauge,
    store_writable: Gauge,
    renders: Counter,
    lazy_renders: Counter,
    last_render: Gauge<f64, AtomicU64>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    digest_last: Family<DigestLabels, Gauge<f64, AtomicU64>>,
    digest_items: Family<DigestLabels, Gauge>,
    digest_sent: Family<DigestLabels, Gauge<f64, AtomicU64>>,
    digest_scheduled: Family<DigestLabels, Gauge<f64, AtomicU64>>,
    digest_failures: Family<DigestLabels, Gauge>,
    digest_failing_since: Family<DigestLabels, Gauge<f64, AtomicU64>>,
    build_info: Family<VersionLabels, Gauge>,
    reload_ok: Gauge,
    reload_ok_at: Gauge<f64, AtomicU64>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DigestLabels {
    digest: String,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Creates and registers the metrics.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("tributary");
        let m = Metrics {
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
        };
        registry.register(
            "fetches",
            "Fetch attempts by source and outcome (ok, not-modified, unchanged, deferred, error)",
            m.fetches.clone(),
        );
        registry.register(
            "fetch_errors",
            format!(
                "Failed fetches by source and kind ({})",
                crate::ingest::ERROR_KINDS.join(", ")
            ),
            m.fetch_errors.clone(),
        );
        registry.register(
            "fetch_duration_seconds",
            "Time from the start of a fetch to its stored result (download, parse, store), by \
             outcome; deferred fetches, which make no request, are not counted",
            m.fetch_duration.clone(),
        );
        registry.register(
            "source_last_fetch_duration_seconds",
            "How long the source's last fetch took (download, parse, store)",
            m.source_fetch_duration.clone(),
        );
        registry.register(
            "items_new",
            "Stories stored for the first time, by source",
            m.items_new.clone(),
        );
        registry.register(
            "items_filtered",
            "Fetched entries dropped by filter rules before they were stored, by source",
            m.items_filtered.clone(),
        );
        registry.register(
            "items_updated",
            "Stored stories a fetch found edited by their publisher (title, text, links, \
             dates…), by source: a source whose every fetch edits its stories shows here",
            m.items_updated.clone(),
        );
        registry.register(
            "items_refreshed",
            "Stored stories a fetch found unchanged but for a picture's signed or versioned \
             address, which they took without being marked edited, by source",
            m.items_refreshed.clone(),
        );
        registry.register(
            "source_up",
"1 when the source's last fetch succeeded, 0 when it failed; absent while the source is disabled or not fetched yet",
            m.source_up.clone(),
        );
        registry.register(
            "source_enabled",
            "1 when the source is fetched on its schedule, 0 when the config disables it",
            m.source_enabled.clone(),
        );
        registry.register(
            "source_consecutive_errors",
            "Failed fetches in a row, by source",
            m.source_errors.clone(),
        );
        registry.register(
            "source_last_success_timestamp_seconds",
            "Unix time of the source's last successful fetch (alert when it is a day old)",
            m.source_last_success.clone(),
        );
        registry.register(
            "source_failing_since_timestamp_seconds",
            "Unix time the source's current run of failed fetches began (kept across restarts); \
             absent while its last fetch succeeded (alert when it is a day old)",
            m.source_failing_since.clone(),
        );
        registry.register(
            "source_items",
            "Stories each source carries in the store",
            m.source_items.clone(),
        );
        registry.register(
            "items_stored",
            "Stories in the store",
            m.items_stored.clone(),
        );
        registry.register(
            "store_size_bytes",
            "Size of the sled store on disk",
            m.store_bytes.clone(),
        );
        registry.register(
            "feed_renders",
            "Times the republished feeds were rendered",
            m.renders.clone(),
        );
        registry.register(
            "lazy_feed_renders",
            "Feeds rendered on request (per source; a topic in one language): at most one per \
             feed and change, however many readers ask at once",
            m.lazy_renders.clone(),
        );
        registry.register(
            "store_writable",
            "1 while the store takes writes, 0 since one failed (a full or failing disk); after two minutes of 0 the daemon exits to be restarted, once its disk has room",
            m.store_writable.clone(),
        );
        registry.register(
            "feed_last_render_timestamp_seconds",
            "Unix time of the last feed render",
            m.last_render.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            m.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            m.latency.clone(),
        );
        registry.register(
            "digest_last_period_end_timestamp_seconds",
            "End of the last built period of each digest (alert when a digest was not built)",
            m.digest_last.clone(),
        );
        registry.register(
            "digest_stories",
            "Stories in the last built digest",
            m.digest_items.clone(),
        );
        registry.register(
            "digest_last_sent_timestamp_seconds",
            "Unix time the newest sent digest of each name was sent",
            m.digest_sent.clone(),
        );
        registry.register(
            "digest_last_scheduled_timestamp_seconds",
            "The latest time each digest's schedule has reached (a built digest's period ends there)",
            m.digest_scheduled.clone(),
        );
        registry.register(
            "digest_consecutive_failures",
            "Failed builds, outbox writes or sends of each digest in a row (retried every minute)",
            m.digest_failures.clone(),
        );
        registry.register(
            "digest_failing_since_timestamp_seconds",
            "Unix time the digest's current run of failed builds, outbox writes or sends began; \
             0 while it is up to date",
            m.digest_failing_since.clone(),
        );
        registry.register(
            "build_info",
            "Always 1; the running version as a label",
            m.build_info.clone(),
        );
        registry.register(
            "config_last_reload_successful",
            "1 if the config in use is the file's (the start or the last reload read it), 0 if the last reload failed",
            m.reload_ok.clone(),
        );
        registry.register(
            "config_last_reload_success_timestamp_seconds",
            "Unix time the config was last read without error (at start or by a reload)",
            m.reload_ok_at.clone(),
        );
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

    /// Records one source's fetch.
    pub fn fetched(&self, report: &SourceReport) {
        if !self.has_source(&report.source) {
            return;
        }
        if let Outcome::Ok(a) = &report.outcome {
            let l = SourceLabels {
                source: report.source.clone(),
            };
            self.items_new.get_or_create(&l).inc_by(a.new as u64);
            for (family, count) in [
                (&self.items_filtered, a.filtered),
                (&self.items_updated, a.updated),
                (&self.items_refreshed, a.refreshed),
            ] {
                if count > 0 {
                    family.get_or_create(&l).inc_by(count as u64);
                }
            }
        }
        let outcome = report.outcome.status();
        if !matches!(report.outcome, Outcome::Deferred { .. }) {
            let seconds = report.millis as f64 / 1000.0;
            self.fetch_duration
                .get_or_create(&OutcomeLabels { outcome })
                .observe(seconds);
            self.source_fetch_duration
                .get_or_create(&SourceLabels {
                    source: report.source.clone(),
                })
                .set(seconds);
        }
        self.fetches
            .get_or_create(&FetchLabels {
                source: report.source.clone(),
                outcome: outcome.to_string(),
            })
            .inc();
        if let Outcome::Error { kind, .. } = &report.outcome {
            if !report.outcome.stopped() {
                self.fetch_errors
                    .get_or_create(&ErrorLabels {
                        source: report.source.clone(),
                        kind,
                    })
                    .inc();
            }
        }
    }

    /// Sets a source's health gauges from its stored state.
    pub fn source_state(&self, source: &Source, state: &SourceState, items: usize) {
        if !self.has_source(&source.id) {
            return;
        }
        let l = SourceLabels {
            source: source.id.clone(),
        };
        self.source_enabled
            .get_or_create(&l)
            .set(i64::from(source.enabled));
        // Only a source that is polled and has been has a last fetch to tell of: a disabled
        // or not yet fetched one at 0 would page whoever alerts on `source_up == 0`.
        if source.enabled && state.last_attempt.is_some() {
            self.source_up
                .get_or_create(&l)
                .set(i64::from(state.healthy()));
        } else {
            self.source_up.remove(&l);
        }
        self.source_errors
            .get_or_create(&l)
            .set(i64::from(state.consecutive_errors));
        if let Some(t) = state.last_success {
            self.source_last_success
                .get_or_create(&l)
                .set(t.timestamp() as f64);
        }
        match state.failing_since.filter(|_| !state.healthy()) {
            Some(t) => {
                self.source_failing_since
                    .get_or_create(&l)
                    .set(t.timestamp() as f64);
            }
            None => {
                self.source_failing_since.remove(&l);
            }
        }
        self.source_items.get_or_create(&l).set(items as i64);
        // Exposed at 0 from the start, so `increase()` sees the first new story.
        drop(self.items_new.get_or_create(&l));
    }

    /// Drops the series of sources no longer configured (removed by a reload): a source that
    /// is gone must not keep an alert firing. `gone` are the ids of the previous config that
    /// the new one does not have.
    pub fn forget_sources(&self, gone: &[&str]) {
        for id in gone {
            let l = SourceLabels {
                source: id.to_string(),
            };
            self.items_new.remove(&l);
            self.items_filtered.remove(&l);
            self.items_updated.remove(&l);
            self.items_refreshed.remove(&l);
            self.source_up.remove(&l);
            self.source_enabled.remove(&l);
            self.source_errors.remove(&l);
            self.source_last_success.remove(&l);
            self.source_failing_since.remove(&l);
            self.source_items.remove(&l);
            self.source_fetch_duration.remove(&l);
            for outcome in crate::ingest::Outcome::STATUSES {
                self.fetches.remove(&FetchLabels {
                    source: id.to_string(),
                    outcome: outcome.to_string(),
                });
            }
            for kind in crate::ingest::ERROR_KINDS {
                self.fetch_errors.remove(&ErrorLabels {
                    source: id.to_string(),
                    kind,
                });
            }
        }
    }

    /// Drops the series of digests no longer configured (removed by a reload), as
    /// [`Metrics::forget_sources`] does for sources.
    pub fn forget_digests(&self, gone: &[&str]) {
        for name in gone {
            let l = DigestLabels {
                digest: name.to_string(),
            };
            self.digest_last.remove(&l);
            self.digest_items.remove(&l);
            self.digest_sent.remove(&l);
            self.digest_scheduled.remove(&l);
            self.digest_failures.remove(&l);
            self.digest_failing_since.remove(&l);
        }
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

    /// Sets a digest's gauges from its newest stored record (at start, after a reload, after
    /// each build or send).
    pub fn digest_record(&self, record: &crate::model::DigestRecord) {
        if !self.has_digest(&record.name) {
            return;
        }
        let l = DigestLabels {
            digest: record.name.clone(),
        };
        self.digest_last
            .get_or_create(&l)
            .set(record.end.timestamp() as f64);
        self.digest_items.get_or_create(&l).set(record.count as i64);
        if let Some(t) = record.sent_at {
            self.digest_sent.get_or_create(&l).set(t.timestamp() as f64);
        }
    }

    /// Records that a digest went out (the newest or one sent again after a failure): the
    /// latest time one was sent.
    pub fn digest_sent(&self, record: &crate::model::DigestRecord) {
        if !self.has_digest(&record.name) {
            return;
        }
        let Some(t) = record.sent_at else {
            return;
        };
        let gauge = self.digest_sent.get_or_create(&DigestLabels {
            digest: record.name.clone(),
        });
        gauge.set(gauge.get().max(t.timestamp() as f64));
    }

    /// Sets the latest time a digest's schedule has reached.
    pub fn digest_scheduled(&self, name: &str, tick: chrono::DateTime<chrono::Utc>) {
        if !self.has_digest(name) {
            return;
        }
        self.digest_scheduled
            .get_or_create(&DigestLabels {
                digest: name.to_string(),
            })
            .set(tick.timestamp() as f64);
    }

    /// Counts a failed build, outbox write or send of a digest.
    pub fn digest_failed(&self, name: &str) {
        if !self.has_digest(name) {
            return;
        }
        let l = DigestLabels {
            digest: name.to_string(),
        };
        self.digest_failures.get_or_create(&l).inc();
        self.digest_failing_from(&l);
    }

    /// Dates the start of a digest's run of failures, unless it is already running.
    fn digest_failing_from(&self, l: &DigestLabels) {
        let since = self.digest_failing_since.get_or_create(l);
        if since.get() == 0.0 {
            since.set(chrono::Utc::now().timestamp() as f64);
        }
    }

    /// A digest's send may or may not have reached the relay (see `digest::run::send`): it
    /// counts as failing until it is settled by hand.
    pub fn digest_unsettled(&self, name: &str) {
        if !self.has_digest(name) {
            return;
        }
        let l = DigestLabels {
            digest: name.to_string(),
        };
        let gauge = self.digest_failures.get_or_create(&l);
        gauge.set(gauge.get().max(1));
        // Not dated as failing: `TributaryDigestUnsettled` says what to do, after two hours.
    }

    /// A digest's build and delivery are up to date: its failure streak ends.
    pub fn digest_ok(&self, name: &str) {
        if !self.has_digest(name) {
            return;
        }
        let l = DigestLabels {
            digest: name.to_string(),
        };
        self.digest_failures.get_or_create(&l).set(0);
        self.digest_failing_since.get_or_create(&l).set(0.0);
    }

    /// The exposition text.
    pub fn encode(&self) -> String {
        use prometheus_client::encoding::text::{encode_eof, encode_registry};
        let mut out = String::new();
        encode_registry(&mut out, &self.registry)
            .and_then(|()| encode_registry(&mut out, &self.process))
            .and_then(|()| encode_eof(&mut out))
            .expect("writing to a String cannot fail");
        out
    }
}

/// `open_metrics` (as [`Metrics::encode`] writes it) in Prometheus's classic text format
/// (0.0.4): a counter's `# HELP` and `# TYPE` name its samples (`tributary_fetches_total`, not
/// the family `tributary_fetches`), and there is no `# EOF` or `# UNIT`. Samples are written
/// alike in both.
pub fn classic(open_metrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = open_metrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open_metrics.len() + 16 * counters.len());
    for line in open_metrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let described = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|kind| Some((kind, line.strip_prefix(kind)?)));
        match described {
            Some((kind, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                out.push_str(kind);
                out.push_str(name);
                if counters.contains(name) {
                    out.push_str("_total");
                }
                if !tail.is_empty() {
                    out.push(' ');
                    out.push_str(tail);
                }
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The process metrics every Prometheus client library exports (CPU time, resident and virtual
/// memory, open and maximum file descriptors, threads, start time), read from the system at
/// each scrape by `metrics-process`.
#[derive(Debug)]
struct ProcessMetrics;

impl prometheus_client::collector::Collector for ProcessMetrics {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeMetric;
        use prometheus_client::metrics::counter::ConstCounter;
        use prometheus_client::metrics::gauge::ConstGauge;
        let m = metrics_process::collector::collect();
        if let Some(cpu) = m.cpu_seconds_total {
            let counter = ConstCounter::new(cpu);
            counter.encode(encoder.encode_descriptor(
                "process_cpu_seconds",
                "Total user and system CPU time spent in seconds",
                None,
                counter.metric_type(),
            )?)?;
        }
        let gauges = [
            (
                "process_open_fds",
                "Number of open file descriptors",
                m.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors",
                m.max_fds,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                m.virtual_memory_bytes,
            ),
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                m.resident_memory_bytes,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since the Unix epoch in seconds",
                m.start_time_seconds,
            ),
            (
                "process_threads",
                "Number of OS threads in the process",
                m.threads,
            ),
        ];
        for (name, help, value) in gauges {
            let Some(value) = value else {
                continue;
            };
            let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

/// Now as Unix seconds.
fn now_seconds() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(source: &str, outcome: Outcome, millis: u128) -> SourceReport {
        SourceReport {
            source: source.into(),
            outcome,
            bytes: 0,
            millis,
            queued_millis: 0,
            warnings: vec![],
            store_failed: false,
            recovered_after: 0,
        }
    }

    #[test]
    fn fetch_durations_are_observed_by_outcome_and_kept_per_source() {
        let m = Metrics::new();
        let failed = || Outcome::Error {
            message: "HTTP 500".into(),
            kind: "http_5xx",
        };
        m.fetched(&report("slow", failed(), 1500));
        m.fetched(&report("slow", failed(), 3000));
        m.fetched(&report("quick", Outcome::NotModified, 20));
        // A deferred fetch made no request: no duration.
        m.fetched(&report(
            "later",
            Outcome::Deferred {
                until: chrono::Utc::now(),
                paused_by: None,
            },
            0,
        ));
        let text = m.encode();
        let line = |prefix: &str| {
            text.lines()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix} in {text}"))
                .to_string()
        };
        assert_eq!(
            line("tributary_fetch_duration_seconds_count{outcome=\"error\"}"),
            "tributary_fetch_duration_seconds_count{outcome=\"error\"} 2"
        );
        // Failures are counted by their kind too.
        assert_eq!(
            line("tributary_fetch_errors_total{source=\"slow\",kind=\"http_5xx\"}"),
            "tributary_fetch_errors_total{source=\"slow\",kind=\"http_5xx\"} 2"
        );
        assert_eq!(
            line("tributary_fetch_duration_seconds_sum{outcome=\"error\"}"),
            "tributary_fetch_duration_seconds_sum{outcome=\"error\"} 4.5"
        );
        // 1.5 s is under the 2.44 s bound, 3 s is not.
        assert!(line(
            "tributary_fetch_duration_seconds_bucket{le=\"2.44140625\",outcome=\"error\"}"
        )
        .ends_with(" 1"));
        assert!(
            line("tributary_fetch_duration_seconds_count{outcome=\"not-modified\"}")
                .ends_with(" 1")
        );
        assert!(
            !text.contains("fetch_duration_seconds_count{outcome=\"deferred\"}"),
            "{text}"
        );
        assert_eq!(
            line("tributary_source_last_fetch_duration_seconds{source=\"slow\"}"),
            "tributary_source_last_fetch_duration_seconds{source=\"slow\"} 3.0"
        );
        assert!(
            !text.contains("last_fetch_duration_seconds{source=\"later\"}"),
            "{text}"
        );
    }

    #[test]
    fn stories_new_edited_and_refreshed_are_counted_by_source() {
        let m = Metrics::new();
        let fetched = |new, updated, refreshed| {
            let a = crate::store::ApplyReport {
                new,
                updated,
                refreshed,
                unchanged: 3,
                ..Default::default()
            };
            m.fetched(&report("churn", Outcome::Ok(a), 10));
        };
        fetched(2, 5, 0);
        fetched(0, 4, 1);
        fetched(0, 0, 0);
        let text = m.encode();
        for line in [
            "tributary_items_new_total{source=\"churn\"} 2",
            "tributary_items_updated_total{source=\"churn\"} 9",
            "tributary_items_refreshed_total{source=\"churn\"} 1",
            "# TYPE tributary_items_updated counter",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in {text}");
        }
        m.forget_sources(&["churn"]);
        assert!(!m.encode().contains("source=\"churn\""));
    }

    #[test]
    fn forgotten_sources_and_digests_leave_no_series() {
        let m = Metrics::new();
        for id in ["kept", "gone"] {
            m.fetched(&SourceReport {
                source: id.into(),
                outcome: Outcome::Error {
                    message: "HTTP 500".into(),
                    kind: "http_5xx",
                },
                bytes: 0,
                millis: 1,
                queued_millis: 0,
                warnings: vec![],
                store_failed: false,
                recovered_after: 0,
            });
        }
        m.digest_failed("daily");
        m.digest_failed("weekly");
        let before = m.encode();
        assert!(before.contains("source=\"gone\"") && before.contains("digest=\"weekly\""));
        m.forget_sources(&["gone"]);
        m.forget_digests(&["weekly"]);
        let after = m.encode();
        assert!(!after.contains("source=\"gone\""), "{after}");
        assert!(!after.contains("digest=\"weekly\""), "{after}");
        assert!(after.contains("source=\"kept\"") && after.contains("digest=\"daily\""));
        // A fetch or a send still running from before the reload ends after it: what it
        // reports for what is gone is dropped, not brought back.
        m.configured(["kept"], ["daily"]);
        m.fetched(&report(
            "gone",
            Outcome::Error {
                message: "HTTP 500".into(),
                kind: "http_5xx",
            },
            1,
        ));
        m.digest_failed("weekly");
        m.digest_failed("daily");
        let later = m.encode();
        assert!(!later.contains("source=\"gone\""), "{later}");
        assert!(!later.contains("digest=\"weekly\""), "{later}");
        assert!(
            later.contains("tributary_digest_consecutive_failures{digest=\"daily\"} 2"),
            "{later}"
        );
    }

    #[test]
    fn a_digests_run_of_failures_is_dated_from_its_first_and_ends_when_it_is_up_to_date() {
        let m = Metrics::new();
        m.configured([], ["daily"]);
        let since = |m: &Metrics| {
            m.encode()
                .lines()
                .find(|l| l.starts_with("tributary_digest_failing_since_timestamp_seconds{"))
                .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        };
        assert_eq!(since(&m), None);
        m.digest_ok("daily");
        assert_eq!(since(&m), Some(0.0));
        let before = chrono::Utc::now().timestamp() as f64;
        m.digest_failed("daily");
        let first = since(&m).unwrap();
        assert!(first >= before, "{first} {before}");
        // Later failures (and a send left unsettled) keep the date of the first.
        m.digest_failing_since
            .get_or_create(&DigestLabels {
                digest: "daily".into(),
            })
            .set(1.0);
        m.digest_failed("daily");
        m.digest_unsettled("daily");
        assert_eq!(since(&m), Some(1.0));
        m.digest_ok("daily");
        assert_eq!(since(&m), Some(0.0));
        // A send left unsettled alone is not failing (it has an alert of its own).
        m.digest_unsettled("daily");
        assert_eq!(since(&m), Some(0.0));
    }
}
