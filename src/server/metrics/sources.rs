//! The fetch and source families: each fetch's outcome, duration and stories, each source's
//! health from its stored state, and the series dropped when a reload removes a source.

use crate::ingest::{Outcome, SourceReport};
use crate::model::{Source, SourceState};

use super::{ErrorLabels, FetchLabels, Metrics, OutcomeLabels, SourceLabels};

impl Metrics {
    /// Records one source's fetch.
    pub fn fetched(&self, report: &SourceReport) {
        // A fetch the process's stop cut short is no fetch of its source's.
        if !self.has_source(&report.source) || report.outcome == Outcome::Stopped {
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
            self.fetch_errors
                .get_or_create(&ErrorLabels {
                    source: report.source.clone(),
                    kind: kind.as_str(),
                })
                .inc();
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
            for kind in crate::ingest::ErrorKind::all() {
                self.fetch_errors.remove(&ErrorLabels {
                    source: id.to_string(),
                    kind: kind.as_str(),
                });
            }
        }
    }
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
            kind: crate::ingest::ErrorKind::Http5xx,
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
        // A fetch the process's stop cut short is no fetch of the source's, and no failure.
        m.fetched(&report("slow", Outcome::Stopped, 700));
        let text = m.encode();
        assert!(!text.contains("stopped"), "{text}");
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
                    kind: crate::ingest::ErrorKind::Http5xx,
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
                kind: crate::ingest::ErrorKind::Http5xx,
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
}
