//! Fetching sources: the first cycle at start-up, a source's scheduled tick, one fetch of a
//! source at a time (a fetch asked for during one follows it), and the catch-up that keeps
//! interval sources on their rhythm across a reload.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::render::refresh;
use super::Daemon;
use crate::config::Config;
use crate::ingest::Outcome;
use crate::model::Schedule;

impl Daemon {
    /// Fetches every source once at start-up, then marks the daemon ready.
    pub(super) async fn first_cycle(self: Arc<Self>) {
        let config = self.live().config.clone();
        // A source polled on an interval that was fetched less than half of it ago (the
        // daemon restarted: a deploy, a crash loop) waits for its interval since that fetch,
        // as after a reload, instead of being fetched at every start.
        let store = self.shared.store.clone();
        let states: HashMap<String, crate::model::SourceState> =
            tokio::task::spawn_blocking(move || store.source_states())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default()
                .into_iter()
                .collect();
        let now = Utc::now();
        // Fetched lately at the address it has now: one whose url changed is fetched at once.
        let lately = |source: &crate::model::Source| match source.schedule {
            Schedule::Interval(every) => states.get(&source.id).is_some_and(|state| {
                state.location.as_deref() == Some(source.location.key().as_str())
                    && fetched_lately(state.last_attempt, now, every)
            }),
            Schedule::Cron(_) => false,
        };
        let (waiting, at_once): (Vec<_>, Vec<_>) = config
            .sources
            .iter()
            .filter(|s| s.enabled)
            .partition(|s| lately(s));
        let ids: Vec<String> = at_once.iter().map(|s| s.id.clone()).collect();
        if !waiting.is_empty() {
            tracing::info!(
                sources = waiting.len(),
                "not fetched at start: fetched less than half their interval ago; each is fetched when its interval since then is up"
            );
            self.catch_up(&config, &ids.iter().cloned().collect());
        }
        let mut handles = Vec::new();
        for id in ids {
            let this = self.clone();
            handles.push(self.tracker.spawn(async move { this.fetch(id).await }));
        }
        for h in handles {
            let _ = h.await;
        }
        // What the cycle fetched is on disk before the daemon says it is ready, not up to
        // [`STATE_WRITE_EVERY`] later: a daemon killed at once (a crash loop, an OOM kill)
        // does not fetch every source again at its next start. (A failure is the states'
        // writer's to report, at its next turn.)
        let store = self.shared.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.flush()).await;
        refresh(&self.shared).await;
        self.shared.ready.store(true, Ordering::Release);
        tracing::info!("first fetch cycle done");
    }

    /// One scheduled fetch of one source: none for a source a reload has disabled meanwhile
    /// (a job of the previous schedule can still fire once).
    async fn fetch(self: Arc<Self>, id: String) {
        let enabled = self.live().config.source(&id).is_some_and(|s| s.enabled);
        if enabled {
            self.fetch_now(id, false, false).await
        }
    }

    /// A source's scheduled tick. One polled on an `interval` that was fetched less than half
    /// an interval ago (by the catch-up after a reload, by an admin) is not fetched again: the
    /// new schedule's first tick comes a whole interval after the reload, and would otherwise
    /// poll it twice in one interval.
    pub(super) async fn tick(self: Arc<Self>, id: String) {
        let every = match self.live().config.source(&id).map(|s| &s.schedule) {
            Some(Schedule::Interval(every)) => Some(*every),
            _ => None,
        };
        if let Some(every) = every {
            let store = self.shared.store.clone();
            let source = id.clone();
            let last = tokio::task::spawn_blocking(move || store.source_state(&source))
                .await
                .ok()
                .and_then(Result::ok)
                .and_then(|s| s.last_attempt);
            if fetched_lately(last, Utc::now(), every) {
                tracing::debug!(source = %id, "fetched less than half an interval ago; skipping this tick");
                return;
            }
        }
        self.fetch(id).await
    }

    /// One fetch of one source; `force` ignores backoff. While the source is being fetched,
    /// a scheduled tick is skipped, and a fetch that `insist`s (a reload that moved the source,
    /// an admin's) runs once that one ends.
    pub(super) async fn fetch_now(self: Arc<Self>, id: String, force: bool, insist: bool) {
        let slot = {
            let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            running.entry(id.clone()).or_default().clone()
        };
        // A fetch that insists is asked for before the slot is tried: whoever holds it then
        // sees the request when its fetch ends, or after it lets the slot go.
        let mut own = if insist {
            slot.again.fetch_max(1 + u8::from(force), Ordering::SeqCst);
            None
        } else {
            Some(force)
        };
        // The fetch asked for by `again` (`Some(force)`), if any, taking the request.
        let asked = || match slot.again.swap(0, Ordering::SeqCst) {
            0 => None,
            wanted => Some(wanted == 2),
        };
        loop {
            let Ok(one_at_a_time) = slot.lock.try_lock() else {
                tracing::debug!(source = %id, insist, "a fetch of this source is running");
                return;
            };
            let mut next = own.take().or_else(asked);
            while let Some(force) = next {
                if self.cancel.is_cancelled() {
                    return;
                }
                self.clone().fetch_once(&id, force).await;
                next = asked();
            }
            drop(one_at_a_time);
            // Asked for between the last look and the release: take the slot again, or
            // leave the request to whoever took it.
            if slot.again.load(Ordering::SeqCst) == 0 {
                return;
            }
        }
    }

    /// [`Daemon::fetch_now`]'s fetch, in the source's slot.
    async fn fetch_once(self: Arc<Self>, id: &str, force: bool) {
        let live = self.live();
        let Some(source) = live.config.source(id).cloned() else {
            return; // removed by a reload
        };
        let mode = crate::ingest::FetchMode {
            force,
            reread: false,
        };
        let report = live.ingest.source(&source, mode).await;
        if report.store_failed {
            if let Outcome::Error { message, .. } = &report.outcome {
                self.shared.store_failed(message);
            }
        }
        let changed =
            matches!(&report.outcome, Outcome::Ok(a) if a.new + a.updated + a.duplicate > 0);
        // A reload that removed the source while it was fetched has dropped its series:
        // they are not made again.
        if self.live().config.source(id).is_some() {
            self.shared.metrics.fetched(&report);
            // Store reads (its state; a scan of its stories when the fetch changed any): off
            // the async threads.
            let shared = self.shared.clone();
            let _ = tokio::task::spawn_blocking(move || shared.fetched(&source, changed)).await;
        }
        // A story that took its picture's new address alone changes no count, but its feeds.
        if matches!(&report.outcome, Outcome::Ok(a) if a.changed_feeds()) {
            self.render.notify_one();
        }
    }

    /// Keeps each interval source on its rhythm across a reload. The new schedule's first tick
    /// for a source comes a whole interval after the reload, so a source fetched some time
    /// before would wait longer than its interval, and reloads more often than an interval
    /// would keep it from being fetched at all. Each one (but those in `skip`, fetched at
    /// once) gets a tick when its interval since its last fetch is up (which passes over it,
    /// as any tick does, if something fetched it meanwhile). Ends the previous reload's
    /// catch-up.
    pub(super) fn catch_up(
        self: &Arc<Self>,
        config: &Config,
        skip: &std::collections::HashSet<String>,
    ) {
        let cancel = self.cancel.child_token();
        std::mem::replace(
            &mut *self.catching_up.lock().unwrap_or_else(|e| e.into_inner()),
            cancel.clone(),
        )
        .cancel();
        let sources: Vec<(String, Duration)> = config
            .sources
            .iter()
            .filter(|s| s.enabled && !skip.contains(&s.id))
            .filter_map(|s| match s.schedule {
                Schedule::Interval(every) => Some((s.id.clone(), every)),
                Schedule::Cron(_) => None,
            })
            .collect();
        if sources.is_empty() {
            return;
        }
        let this = self.clone();
        self.tracker.spawn(async move {
            let store = this.shared.store.clone();
            let Ok(Ok(states)) = tokio::task::spawn_blocking(move || store.source_states()).await
            else {
                return;
            };
            let last: HashMap<String, chrono::DateTime<Utc>> = states
                .into_iter()
                .filter_map(|(id, s)| s.last_attempt.map(|t| (id, t)))
                .collect();
            // (when due, source), soonest first.
            let mut due: Vec<_> = sources
                .into_iter()
                .filter_map(|(id, every)| {
                    let every = chrono::TimeDelta::from_std(every).ok()?;
                    Some((*last.get(&id)? + every, id))
                })
                .collect();
            due.sort();
            for (when, id) in due {
                let wait = (when - Utc::now()).to_std().unwrap_or_default();
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = cancel.cancelled() => return,
                }
                this.tracker.spawn(this.clone().tick(id));
            }
        });
    }
}

/// Whether a source last fetched at `last` was fetched less than half of its interval
/// `every` before `now` (a clock set back counts as just now).
fn fetched_lately(last: Option<DateTime<Utc>>, now: DateTime<Utc>, every: Duration) -> bool {
    last.is_some_and(|t| (now - t).to_std().unwrap_or_default() < every / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_passes_over_a_source_fetched_less_than_half_an_interval_ago() {
        let now = Utc::now();
        let hour = Duration::from_secs(3600);
        let ago = |minutes: i64| Some(now - chrono::Duration::minutes(minutes));
        assert!(!fetched_lately(None, now, hour), "never fetched");
        assert!(fetched_lately(ago(0), now, hour));
        assert!(fetched_lately(ago(29), now, hour));
        assert!(!fetched_lately(ago(30), now, hour));
        assert!(!fetched_lately(ago(90), now, hour));
        // A last fetch "in the future" (the clock was set back) is taken as just now.
        assert!(fetched_lately(ago(-5), now, hour));
    }
}
