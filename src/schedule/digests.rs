//! The daemon's digests: which are due at each minute's tick, building the one due, writing
//! every digest not yet in the outbox, and sending those still to send (each at most once).

use std::sync::Arc;

use chrono::Utc;

use super::Daemon;
use crate::config::Config;

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
        let lock = {
            let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            running.entry(format!("digest:{name}")).or_default().clone()
        };
        let Ok(_one_at_a_time) = lock.lock.try_lock() else {
            return;
        };
        let config = live.config.clone();
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
            let written = (|| {
                for mut due in crate::digest::run::outbox_pending(&store, &d2)? {
                    crate::digest::run::deliver_to_outbox(&config.mail, &store, &mut due)?;
                    if record.as_ref().is_some_and(|r| r.end == due.end) {
                        record = Some(due);
                    }
                }
                Ok::<_, crate::digest::run::RunError>(())
            })();
            Ok::<_, crate::digest::run::RunError>((record, written.err()))
        })
        .await;
        let metrics = &self.shared.metrics;
        let built = ready
            .map_err(|e| e.to_string())
            .and_then(|built| built.map_err(|e| e.to_string()));
        let (record, outbox_error) = match built {
            Ok(built) => built,
            Err(e) => {
                metrics.digest_failed(&name);
                tracing::error!(digest = %name, error = %e, "building the digest failed; retrying in a minute");
                return;
            }
        };
        if let Some(e) = &outbox_error {
            metrics.digest_failed(&name);
            tracing::error!(digest = %name, error = %e, "writing the digest to the outbox failed; retrying in a minute");
        }
        let outbox_failed = outbox_error.is_some();
        let Some(record) = record else {
            if !outbox_failed {
                metrics.digest_ok(&name);
            }
            return;
        };
        metrics.digest_record(&record);
        if at.is_some() {
            tracing::info!(digest = %name, stories = record.count, too_old = record.too_old, end = %record.end, "digest built");
        }
        if d.send {
            // Every digest built to be sent and not sent yet, oldest first: one that fails
            // does not hold back the others (each failure is kept and tried again next minute).
            let store = self.shared.store.clone();
            let d2 = d.clone();
            // The schedule time this run is for (a retry's: the latest one reached).
            let tick = at.or_else(|| crate::digest::run::last_tick(&d, Utc::now()).ok());
            let pending = tokio::task::spawn_blocking(move || {
                crate::digest::run::automatic_sends(&store, &d2, tick).map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|read| read);
            let (pending, unsettled) = match pending {
                Ok(found) => found,
                Err(e) => {
                    metrics.digest_failed(&name);
                    tracing::error!(digest = %name, error = %e, "cannot read the digests to send; retrying in a minute");
                    return;
                }
            };
            let mut failed = false;
            let newest = record.end;
            for record in pending {
                // Stopping: the others wait for the next start.
                if self.cancel.is_cancelled() {
                    break;
                }
                let end = record.end;
                // On a blocking thread: the send records its marks in the store, each synced
                // to the disk, which a worker of the runtime must not wait for. The SMTP
                // conversation is driven there on a runtime of its own, which lives as long as
                // the send: the daemon's shuts down as the process ends, and a send still
                // waiting on its timers then would panic. The daemon's stop ends the send.
                let (mail, d2, store, stop) = (
                    live.config.mail.clone(),
                    d.clone(),
                    self.shared.store.clone(),
                    self.cancel.clone(),
                );
                let _sending = Sending::new(&self, &name);
                let sent = tokio::task::spawn_blocking(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| crate::digest::run::RunError::Send {
                            name: d2.name.clone(),
                            message: format!("cannot start the send: {e}"),
                            again: true,
                            stopped: false,
                        })?;
                    runtime.block_on(crate::digest::run::send(&mail, &d2, &store, record, &stop))
                })
                .await
                .unwrap_or_else(|e| {
                    Err(crate::digest::run::RunError::Send {
                        name: name.clone(),
                        message: format!("the send stopped: {e}"),
                        again: false,
                        stopped: false,
                    })
                });
                match sent {
                    Ok(sent) => {
                        // Those the relay refused are in the warning it gave.
                        let to = sent.accepted(&d).join(", ");
                        let sent = sent.record;
                        tracing::info!(digest = %name, %end, stories = sent.count, %to, "digest sent");
                        // The period gauges follow the newest digest; the sent one, any.
                        if sent.end == newest {
                            metrics.digest_record(&sent);
                        }
                        metrics.digest_sent(&sent);
                    }
                    Err(crate::digest::run::RunError::Send { stopped: true, .. }) => {
                        failed = true;
                        tracing::info!(digest = %name, %end, "the digest's send was stopped before the relay had the message; it is sent when the daemon runs again");
                    }
                    // Refused for good, or perhaps taken: left for ops (its error says how
                    // to send it), so no retry is announced.
                    Err(e @ crate::digest::run::RunError::Send { again: false, .. }) => {
                        failed = true;
                        tracing::error!(digest = %name, %end, error = %e, "sending the digest failed; it is not sent again by itself");
                    }
                    Err(e) => {
                        failed = true;
                        tracing::error!(digest = %name, %end, error = %e, "sending the digest failed; retrying in a minute");
                    }
                }
            }
            // Counted once a run, however many ways out failed.
            if failed {
                if !outbox_failed {
                    metrics.digest_failed(&name);
                }
                return;
            }
            // One the relay may have taken stays a failure until it is settled by hand.
            if !unsettled.is_empty() {
                metrics.digest_unsettled(&name);
                return;
            }
        }
        if !outbox_failed {
            metrics.digest_ok(&name);
        }
    }
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
