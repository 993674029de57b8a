//! The digest families: each digest's last period, stories and sending, how far its schedule
//! has reached, its run of failures, and the series dropped when a reload removes a digest.

use super::{DigestLabels, Metrics};

impl Metrics {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
