//! Writing the source states that fetches keep in memory, every few seconds, and watching
//! that the store takes writes: a store that has failed too long stops the daemon so that it
//! can be restarted.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;

use crate::server::Shared;

/// Writes pending source states every few seconds, in one batch each time, until shutdown
/// (which flushes the store itself). Whether that works is the store's health (`/healthz`,
/// `tributary_store_writable`); failing for [`STORE_FAILURE_LIMIT`], it wakes `store_gone`
/// once a new process could open the store.
pub(super) async fn write_states(
    shared: Arc<Shared>,
    cancel: tokio_util::sync::CancellationToken,
    store_gone: Arc<Notify>,
) {
    let mut tick = tokio::time::interval(STATE_WRITE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failures: u32 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = cancel.cancelled() => return,
        }
        let store = shared.store.clone();
        let error = match tokio::task::spawn_blocking(move || store.flush()).await {
            Ok(Ok(())) => {
                shared.store_ok();
                failures = 0;
                continue;
            }
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        let since = shared.store_failed(&error);
        let told = failures % STORE_FAILURE_LOG_EVERY == 0;
        failures = failures.wrapping_add(1);
        if told {
            tracing::error!(%error, %since, "the store takes no writes: fetched stories cannot be stored");
        }
        if Utc::now() - since < STORE_FAILURE_LIMIT {
            continue;
        }
        let store = shared.store.clone();
        match tokio::task::spawn_blocking(move || store.room_to_reopen()).await {
            Ok(Ok(())) => {
                store_gone.notify_one();
                return;
            }
            Ok(Err(e)) if told => {
                tracing::error!(error = %e, "no room to open the store again: the feeds stored are still served; the daemon restarts once its disk has room")
            }
            _ => {}
        }
    }
}

/// How often the daemon writes the source states that fetches keep in memory (see
/// [`Store::put_source_state`](crate::store::Store::put_source_state)).
const STATE_WRITE_EVERY: Duration = Duration::from_secs(5);

/// How long the store may fail to take writes before the daemon stops (exit 1) to be
/// restarted: sled keeps an I/O error (a full disk) for the rest of the process, so the store
/// takes writes again only in a new one. It stops only once there is room for a new process
/// to open the store ([`Store::room_to_reopen`](crate::store::Store::room_to_reopen)): until
/// then it serves the feeds it has.
const STORE_FAILURE_LIMIT: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

/// While the store fails, its error is logged at the first failure and then every this many
/// attempts (a minute), not every five seconds for as long as a disk stays full.
const STORE_FAILURE_LOG_EVERY: u32 = 12;
