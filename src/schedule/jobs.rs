//! The daemon's scheduler (tokio-cron-scheduler) and its jobs: one per source, on its
//! interval or cron with a stable offset, retention on the hour, and the digests' minute
//! tick. One scheduler lives as long as the daemon; a reload swaps its jobs.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use tokio_cron_scheduler::{Job, JobScheduler};

use super::{Daemon, Live};
use crate::model::Schedule;

/// The daemon's schedule: one scheduler, kept from one config to the next (tokio-cron-scheduler
/// 0.15 keeps a scheduler's tasks, channels and jobs alive after its `shutdown`: a scheduler
/// made anew at every reload kept about 7 MB per reload of 2,000 sources), the jobs of the
/// config it runs on, and the size of its channels.
pub(super) struct Timetable {
    /// The scheduler the jobs run on.
    pub(super) scheduler: JobScheduler,
    /// The ids of the jobs of the config in force.
    jobs: Vec<uuid::Uuid>,
    /// How many messages its channels hold (see [`scheduler_channel_size`]).
    channels: usize,
}

impl Daemon {
    /// A started scheduler with a job per source of `live`'s config (and the retention and
    /// digest jobs). Its channels are sized for that config: see [`scheduler_channel_size`].
    pub(super) async fn timetable(self: &Arc<Self>, live: &Live) -> anyhow::Result<Timetable> {
        let channels = scheduler_channel_size(live.config.sources.len() + 2);
        let mut scheduler = JobScheduler::new_with_channel_size(channels)
            .await
            .context("cannot start the scheduler")?;
        let mut jobs = Vec::new();
        if let Err(e) = self.add_jobs(&scheduler, live, &mut jobs).await {
            let _ = scheduler.shutdown().await;
            return Err(e);
        }
        scheduler
            .start()
            .await
            .context("cannot start the scheduler")?;
        Ok(Timetable {
            scheduler,
            jobs,
            channels,
        })
    }

    /// Puts `timetable` on `live`'s config: its jobs are added to the running scheduler, and
    /// then the previous config's removed (a source due in both meanwhile is fetched once:
    /// `fetch` never runs a source twice at once). Only a config with more jobs than its
    /// channels were sized for gets a scheduler of its own. If the jobs cannot all be added,
    /// those that were are removed and the timetable is as it was.
    pub(super) async fn retime(
        self: &Arc<Self>,
        timetable: &mut Timetable,
        live: &Live,
    ) -> anyhow::Result<()> {
        let channels = scheduler_channel_size(live.config.sources.len() + 2);
        if channels > timetable.channels {
            let fresh = self.timetable(live).await?;
            // tokio-cron-scheduler 0.15 keeps a scheduler's tasks and jobs after its
            // `shutdown`: its jobs are removed first, so only the scheduler itself is left.
            for job in std::mem::take(&mut timetable.jobs) {
                let _ = timetable.scheduler.remove(&job).await;
            }
            let _ = std::mem::replace(timetable, fresh)
                .scheduler
                .shutdown()
                .await;
            return Ok(());
        }
        let mut added = Vec::new();
        if let Err(e) = self.add_jobs(&timetable.scheduler, live, &mut added).await {
            for job in added {
                let _ = timetable.scheduler.remove(&job).await;
            }
            return Err(e);
        }
        for job in std::mem::replace(&mut timetable.jobs, added) {
            if let Err(e) = timetable.scheduler.remove(&job).await {
                tracing::warn!(error = %e, "a job of the previous config could not be removed");
            }
        }
        Ok(())
    }

    /// Adds a job per source of `live`'s config (and the retention and digest jobs) to
    /// `scheduler`, each added job's id to `added`.
    async fn add_jobs(
        self: &Arc<Self>,
        scheduler: &JobScheduler,
        live: &Live,
        added: &mut Vec<uuid::Uuid>,
    ) -> anyhow::Result<()> {
        for source in live.config.sources.iter().filter(|s| s.enabled) {
            let this = self.clone();
            let id = source.id.clone();
            let jitter = jitter(&id, &source.schedule);
            let run = move |_uuid, _lock| {
                let this = this.clone();
                let id = id.clone();
                Box::pin(async move {
                    let cancel = this.cancel.clone();
                    let tracker = this.tracker.clone();
                    tracker.spawn(async move {
                        tokio::select! {
                            _ = tokio::time::sleep(jitter) => this.tick(id).await,
                            _ = cancel.cancelled() => {}
                        }
                    });
                })
                    as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
            };
            let job = match &source.schedule {
                Schedule::Interval(every) => Job::new_repeated_async(*every, run),
                Schedule::Cron(expr) => Job::new_async(expr.as_str(), run),
            }
            .with_context(|| format!("cannot schedule source {}", source.id))?;
            added.push(scheduler.add(job).await?);
        }
        if live.config.store.max_age.is_some() || live.config.store.max_items_per_source.is_some() {
            // Retention, hourly, on the hour: a repeating job would start its hour again at
            // each reload, and reloads less than an hour apart would never let it run.
            let this = self.clone();
            let run = move |_uuid, _lock| {
                let this = this.clone();
                Box::pin(async move {
                    let tracker = this.tracker.clone();
                    tracker.spawn(this.prune());
                })
                    as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
            };
            let job = Job::new_async("0 0 * * * *", run).context("cannot schedule retention")?;
            added.push(scheduler.add(job).await?);
        }
        if !live.config.digests.is_empty() {
            // Digest schedules are evaluated in their time zone at the start of every minute
            // (croner with chrono-tz), so daylight-saving changes never shift them and a
            // digest scheduled on a minute is built at that minute.
            let this = self.clone();
            let run = move |_uuid, _lock| {
                let this = this.clone();
                Box::pin(async move {
                    let tracker = this.tracker.clone();
                    tracker.spawn(this.due_digests());
                })
                    as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
            };
            let job = Job::new_async("0 * * * * *", run).context("cannot schedule the digests")?;
            added.push(scheduler.add(job).await?);
        }
        Ok(())
    }

    /// Retention: prunes the store and re-renders the feeds if anything went.
    async fn prune(self: Arc<Self>) {
        let config = self.live().config.clone();
        let store = self.shared.store.clone();
        let ids: Vec<String> = config.sources.iter().map(|s| s.id.clone()).collect();
        let pruned = tokio::task::spawn_blocking(move || {
            store.prune(
                config.store.max_age,
                config.store.max_items_per_source,
                &ids,
                Utc::now(),
            )
        })
        .await;
        match pruned {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => {
                tracing::info!(stories = n, "retention pruned the store");
                // Every carrier of a pruned story has fewer now.
                self.shared.recount();
                self.render.notify_one();
            }
            Ok(Err(e)) => tracing::error!(error = %e, "retention failed"),
            Err(e) => tracing::error!(error = %e, "retention failed"),
        }
    }
}

/// The largest offset a job waits before fetching, to spread sources with equal schedules.
const MAX_JITTER: Duration = Duration::from_secs(60);

/// The size of the scheduler's channels for `jobs` jobs. tokio-cron-scheduler hands every
/// due job to its runner over broadcast channels (200 messages by default), and a runner
/// that falls behind skips what it missed: with 1,000 sources on one interval, a third of
/// them went unfetched in a round. Each due job sends three messages on the busiest channel
/// (scheduled, started, done), so every job can fall due on the same tick. With 1,000
/// sources the larger channels made no measurable difference to the daemon's RSS.
fn scheduler_channel_size(jobs: usize) -> usize {
    (3 * jobs + 64).next_power_of_two().max(256)
}

/// A stable per-source offset within a tenth of the interval (at most a minute), so sources
/// on the same schedule spread out instead of firing together.
fn jitter(id: &str, schedule: &Schedule) -> Duration {
    let span = match schedule {
        Schedule::Interval(every) => (*every / 10).min(MAX_JITTER),
        Schedule::Cron(_) => MAX_JITTER / 2,
    };
    let h = blake3::hash(id.as_bytes());
    let fraction =
        u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes")) as f64 / u64::MAX as f64;
    span.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_channels_hold_three_messages_per_job() {
        assert_eq!(scheduler_channel_size(0), 256);
        for jobs in [1, 66, 602, 1002, 10_002] {
            let size = scheduler_channel_size(jobs);
            assert!(
                size >= 3 * jobs && size.is_power_of_two(),
                "{jobs} → {size}"
            );
        }
    }

    #[test]
    fn jitter_is_stable_bounded_and_spread() {
        let every = Schedule::Interval(Duration::from_secs(1800));
        let a = jitter("bprg", &every);
        assert_eq!(a, jitter("bprg", &every));
        assert!(a <= MAX_JITTER);
        let offsets: std::collections::HashSet<u128> = (0..20)
            .map(|i| jitter(&format!("s{i}"), &every).as_millis())
            .collect();
        assert!(offsets.len() > 15, "{offsets:?}");
        let short = Schedule::Interval(Duration::from_secs(30));
        assert!(jitter("bprg", &short) <= Duration::from_secs(3));
    }
}
