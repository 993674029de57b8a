//! The daemon's digests: which are due at each minute's tick, building the one due, writing
//! every digest not yet in the outbox, and sending those still to send (each at most once).

use std::sync::Arc;

use chrono::Utc;

use super::{Daemon, Slot};
use crate::config::{Config, DigestConfig, MailConfig};
use crate::digest::run::{RunError, Sent};
use crate::model::DigestRecord;
use crate::store::Store;

impl Daemon {
    /// Builds every digest whose latest scheduled time has passed since its previous period
    /// ended — at start that catches up schedules missed while the daemon was down; every
    /// minute after, it is the schedule itself. A digest that never ran starts at the first
    /// scheduled time after the daemon started.
    pub(super) async fn due_digests(self: Arc<Self>) {
        let live = self.live();
        let now = Utc::now();
        for d in &live.config.digests {
            // The newest record is read (and decoded) on a blocking thread, as every store read.
            let (this, d2) = (self.clone(), d.clone());
            let due = tokio::task::spawn_blocking(move || {
                this.due_tick(&d2, now).map_err(|e| e.to_string())
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
            match due {
                Ok(Some(tick)) => {
                    tracing::info!(digest = %d.name, %tick, "digest due");
                    self.clone().digest(d.name.clone(), Some(tick)).await;
                }
                // Not due: make sure the newest one was delivered.
                Ok(None) => self.clone().digest(d.name.clone(), None).await,
                Err(e) => {
                    self.shared.metrics.digest_failed(&d.name);
                    tracing::error!(digest = %d.name, error = %e, "cannot tell whether the digest is due")
                }
            }
        }
    }

    /// Records when each digest of `config` was first scheduled: a digest first seen now
    /// starts at its first scheduled time from now on. Called once its schedule runs (at
    /// start, after a reload that took), so a reload refused does not date a digest it named.
    pub(super) fn digests_scheduled(&self, config: &Config) {
        let mut since = self.digest_since.lock().unwrap_or_else(|e| e.into_inner());
        for d in &config.digests {
            since.entry(d.name.clone()).or_insert_with(Utc::now);
        }
    }

    /// The digests being sent now, by name.
    pub(super) fn sending(&self) -> Vec<String> {
        let sending = self.sending.lock().unwrap_or_else(|e| e.into_inner());
        sending.iter().cloned().collect()
    }

    /// The scheduled time `d` is due for at `now`, if any: its latest scheduled time, when that
    /// is after its newest digest's end (or, for a digest that never ran, not before the
    /// daemon started or the digest was added).
    fn due_tick(
        &self,
        d: &crate::config::DigestConfig,
        now: chrono::DateTime<Utc>,
    ) -> Result<Option<chrono::DateTime<Utc>>, crate::digest::run::RunError> {
        let tick = crate::digest::run::last_tick(d, now)?;
        self.shared.metrics.digest_scheduled(&d.name, tick);
        Ok(match self.shared.store.last_digest(&d.name)? {
            Some(last) => (tick > last.end).then_some(tick),
            None => {
                let since = self
                    .digest_since
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&d.name)
                    .copied()
                    .unwrap_or(self.started);
                (tick >= since).then_some(tick)
            }
        })
    }

    /// Builds the digest ending at `at` (when given) and delivers the newest digest of that
    /// name: the outbox file and, when configured, SMTP. Delivery is checked again every minute,
    /// so a failed outbox write or send (or a crash between building and delivering) is retried
    /// rather than lost; both steps are idempotent.
    async fn digest(self: Arc<Self>, name: String, at: Option<chrono::DateTime<Utc>>) {
        let live = self.live();
        let Some(d) = live.config.digest(&name).cloned() else {
            return;
        };
        // One build or delivery of a digest at a time (the minute check and start-up overlap).
        let lock = self.digest_slot(&name);
        let Ok(_one_at_a_time) = lock.lock.try_lock() else {
            return;
        };
        let Some((record, outbox_failed)) = self.build_and_write(&live.config, &d, at).await else {
            return;
        };
        let metrics = &self.shared.metrics;
        if let Some(record) = record {
            metrics.digest_record(&record);
            if at.is_some() {
                tracing::info!(digest = %name, stories = record.count, too_old = record.too_old, end = %record.end, "digest built");
            }
            if d.send
                && !self
                    .send_pending(&live.config.mail, &d, at, record.end, outbox_failed)
                    .await
            {
                return;
            }
        }
        if !outbox_failed {
            metrics.digest_ok(&name);
        }
    }

    /// The slot in [`Daemon::running`] of the digest `name` (`digest:NAME`), made the first
    /// time it is asked for.
    fn digest_slot(&self, name: &str) -> Arc<Slot> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.entry(format!("digest:{name}")).or_default().clone()
    }

    /// Builds `d`'s digest ending at `at` (without one, reads its newest) and writes every
    /// digest of `d` not in the outbox yet, on a blocking thread. Gives the record (`None`:
    /// `d` has none yet) and whether the outbox write failed, or `None` when the build failed;
    /// each failure is logged and counted.
    async fn build_and_write(
        &self,
        config: &Arc<Config>,
        d: &DigestConfig,
        at: Option<chrono::DateTime<Utc>>,
    ) -> Option<(Option<DigestRecord>, bool)> {
        let config = config.clone();
        let store = self.shared.store.clone();
        let d2 = d.clone();
        let ready = tokio::task::spawn_blocking(move || {
            let record = match at {
                Some(end) => Some(crate::digest::run::build(
                    &config, &store, &d2, end, d2.send,
                )?),
                None => store.last_digest(&d2.name)?,
            };
            let mut record = record;
            // Every digest not written yet, oldest first: one whose write failed (the outbox
            // was not mounted) is written once it can be, even after newer ones were built.
            // A write that fails does not hold back sending: they are two ways out.
            let written = write_outbox_pending(&config.mail, &store, &d2, &mut record);
            Ok::<_, RunError>((record, written.err()))
        })
        .await;
        let metrics = &self.shared.metrics;
        let name = &d.name;
        let built = ready
            .map_err(|e| e.to_string())
            .and_then(|built| built.map_err(|e| e.to_string()));
        let (record, outbox_error) = match built {
            Ok(built) => built,
            Err(e) => {
                metrics.digest_failed(name);
                tracing::error!(digest = %name, error = %e, "building the digest failed; retrying in a minute");
                return None;
            }
        };
        if let Some(e) = &outbox_error {
            metrics.digest_failed(name);
            tracing::error!(digest = %name, error = %e, "writing the digest to the outbox failed; retrying in a minute");
        }
        Some((record, outbox_error.is_some()))
    }

    /// Sends every digest of `d` built to be sent and not sent yet, oldest first, for the run
    /// of schedule time `at`; `newest` is the end of `d`'s newest digest and `outbox_failed`
    /// whether this run's outbox write failed (counted already). Whether the run may still
    /// count as a success: false once it was counted as a failure or as unsettled.
    async fn send_pending(
        &self,
        mail: &MailConfig,
        d: &DigestConfig,
        at: Option<chrono::DateTime<Utc>>,
        newest: chrono::DateTime<Utc>,
        outbox_failed: bool,
    ) -> bool {
        let metrics = &self.shared.metrics;
        let name = &d.name;
        // Every digest built to be sent and not sent yet, oldest first: one that fails
        // does not hold back the others (each failure is kept and tried again next minute).
        let Some((pending, unsettled)) = self.sends_due(d, at).await else {
            return false;
        };
        let mut failed = false;
        for record in pending {
            // Stopping: the others wait for the next start.
            if self.cancel.is_cancelled() {
                break;
            }
            let end = record.end;
            let _sending = Sending::new(self, name);
            let sent = self.send_one(mail, d, record).await;
            if !self.log_send(d, end, newest, sent) {
                failed = true;
            }
        }
        // Counted once a run, however many ways out failed.
        if failed {
            if !outbox_failed {
                metrics.digest_failed(name);
            }
            return false;
        }
        // One the relay may have taken stays a failure until it is settled by hand.
        if !unsettled.is_empty() {
            metrics.digest_unsettled(name);
            return false;
        }
        true
    }

    /// The digests of `d` to send by themselves and those left to settle by hand
    /// ([`automatic_sends`](crate::digest::run::automatic_sends)), read on a blocking thread;
    /// `None` (logged and counted) when they cannot be read.
    async fn sends_due(
        &self,
        d: &DigestConfig,
        at: Option<chrono::DateTime<Utc>>,
    ) -> Option<(Vec<DigestRecord>, Vec<DigestRecord>)> {
        let store = self.shared.store.clone();
        let d2 = d.clone();
        // The schedule time this run is for (a retry's: the latest one reached).
        let tick = at.or_else(|| crate::digest::run::last_tick(d, Utc::now()).ok());
        let pending = tokio::task::spawn_blocking(move || {
            crate::digest::run::automatic_sends(&store, &d2, tick).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|read| read);
        match pending {
            Ok(found) => Some(found),
            Err(e) => {
                self.shared.metrics.digest_failed(&d.name);
                tracing::error!(digest = %d.name, error = %e, "cannot read the digests to send; retrying in a minute");
                None
            }
        }
    }

    /// Sends `record`, a digest of `d`, over SMTP as `mail` configures it; the daemon's stop
    /// ends the send.
    async fn send_one(
        &self,
        mail: &MailConfig,
        d: &DigestConfig,
        record: DigestRecord,
    ) -> Result<Sent, RunError> {
        // On a blocking thread: the send records its marks in the store, each synced
        // to the disk, which a worker of the runtime must not wait for. The SMTP
        // conversation is driven there on a runtime of its own, which lives as long as
        // the send: the daemon's shuts down as the process ends, and a send still
        // waiting on its timers then would panic. The daemon's stop ends the send.
        let (mail, d2, store, stop) = (
            mail.clone(),
            d.clone(),
            self.shared.store.clone(),
            self.cancel.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| RunError::Send {
                    name: d2.name.clone(),
                    message: format!("cannot start the send: {e}"),
                    again: true,
                    stopped: false,
                })?;
            runtime.block_on(crate::digest::run::send(&mail, &d2, &store, record, &stop))
        })
        .await
        .unwrap_or_else(|e| {
            Err(RunError::Send {
                name: d.name.clone(),
                message: format!("the send stopped: {e}"),
                again: false,
                stopped: false,
            })
        })
    }

    /// Logs how the send of `d`'s digest ending at `end` went and counts one sent (`newest`:
    /// the end of `d`'s newest digest, which the period gauges follow). Whether it was sent.
    fn log_send(
        &self,
        d: &DigestConfig,
        end: chrono::DateTime<Utc>,
        newest: chrono::DateTime<Utc>,
        sent: Result<Sent, RunError>,
    ) -> bool {
        let metrics = &self.shared.metrics;
        let name = &d.name;
        match sent {
            Ok(sent) => {
                // Those the relay refused are in the warning it gave.
                let to = sent.accepted(d).join(", ");
                let sent = sent.record;
                tracing::info!(digest = %name, %end, stories = sent.count, %to, "digest sent");
                // The period gauges follow the newest digest; the sent one, any.
                if sent.end == newest {
                    metrics.digest_record(&sent);
                }
                metrics.digest_sent(&sent);
                true
            }
            Err(RunError::Send { stopped: true, .. }) => {
                tracing::info!(digest = %name, %end, "the digest's send was stopped before the relay had the message; it is sent when the daemon runs again");
                false
            }
            // Refused for good, or perhaps taken: left for ops (its error says how
            // to send it), so no retry is announced.
            Err(e @ RunError::Send { again: false, .. }) => {
                tracing::error!(digest = %name, %end, error = %e, "sending the digest failed; it is not sent again by itself");
                false
            }
            Err(e) => {
                tracing::error!(digest = %name, %end, error = %e, "sending the digest failed; retrying in a minute");
                false
            }
        }
    }
}

/// Writes every digest of `d` not in the outbox yet, oldest first, stopping at the first
/// write that fails; `record`, when one of them, becomes its copy as written.
fn write_outbox_pending(
    mail: &MailConfig,
    store: &Store,
    d: &DigestConfig,
    record: &mut Option<DigestRecord>,
) -> Result<(), RunError> {
    for mut due in crate::digest::run::outbox_pending(store, d)? {
        crate::digest::run::deliver_to_outbox(mail, store, &mut due)?;
        if record.as_ref().is_some_and(|r| r.end == due.end) {
            *record = Some(due);
        }
    }
    Ok(())
}

/// A digest's name in [`Daemon::sending`] for as long as it lives.
struct Sending<'a> {
    /// The daemon whose list holds the name.
    daemon: &'a Daemon,
    /// The digest's name.
    name: String,
}

impl<'a> Sending<'a> {
    fn new(daemon: &'a Daemon, name: &str) -> Sending<'a> {
        let mut sending = daemon.sending.lock().unwrap_or_else(|e| e.into_inner());
        sending.insert(name.to_string());
        Sending {
            daemon,
            name: name.to_string(),
        }
    }
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        let mut sending = self
            .daemon
            .sending
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        sending.remove(&self.name);
    }
}
