//! The daemon: per-source schedules (tokio-cron-scheduler), the first fetch cycle, re-rendering
//! after changes, SIGHUP reloads and graceful shutdown.
//!
//! Each source gets a job on its own `interval` or `cron`; a job never starts a second fetch of
//! a source whose previous fetch still runs, waits a small per-source offset so sources with
//! equal schedules do not fire together, and leaves backoff to the ingest pipeline (a failing
//! source reports "deferred" until its retry time). Fetches run on a task tracker so shutdown
//! can wait for them (bounded), then the store is flushed.
//!
//! Under systemd (`Type=notify`) the daemon reports `READY=1` once it listens, serves and
//! handles signals — not after the first fetch cycle, which `/readyz` reports — and
//! `RELOADING=1`/`READY=1`, `STOPPING=1`, `STATUS=` and watchdog pings ([`notify`]).
//!
//! - `run.rs`: the daemon's run: start-up, the signal loop and shutdown.
//! - `fetch.rs`: the first fetch cycle, scheduled ticks, one fetch of a source at a time, and
//!   the catch-up that keeps interval sources on their rhythm across a reload.
//! - `jobs.rs`: the scheduler and its jobs (sources, retention, digest ticks).
//! - `digests.rs`: which digests are due, building and delivering them.
//! - `reload.rs`: SIGHUP and the admin routes' commands.
//! - `render.rs`: re-rendering the feeds and the status line.
//! - `states.rs`: writing source states and watching that the store takes writes.

pub mod notify;

mod digests;
mod fetch;
mod jobs;
mod reload;
mod render;
mod run;
mod states;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use chrono::Utc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::ingest::Ingest;
use crate::server::admin::AdminToken;
use crate::server::Shared;
use crate::store::Store;

pub use run::run;

/// Where the daemon's settings come from, so SIGHUP can read them again.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The config file.
    pub config_path: PathBuf,
    /// `--data-dir`, if given.
    pub data_dir: Option<PathBuf>,
    /// `--listen`, if given.
    pub listen: Option<SocketAddr>,
    /// `TRIBUTARY_ADMIN_TOKEN`, which enables the admin routes.
    pub admin_token: Option<AdminToken>,
}

impl Origin {
    /// Loads and validates the config with the command-line overrides applied.
    pub fn load(&self) -> Result<Config, crate::config::ConfigError> {
        let mut config = Config::load(&self.config_path)?.with_data_dir(self.data_dir.clone());
        if let Some(listen) = self.listen {
            config.server = config.server.with_listen(listen);
        }
        Ok(config)
    }
}

/// The config in force and the pipeline built for it.
struct Live {
    /// The validated config.
    config: Arc<Config>,
    /// Fetch, parse and store for this config's sources.
    ingest: Arc<Ingest>,
}

/// The running daemon: what its jobs, tasks and reloads share.
struct Daemon {
    /// Where the config is read again at a reload.
    origin: Origin,
    /// What the server shares with the daemon: the store, the config, the rendered feeds,
    /// the metrics.
    shared: Arc<Shared>,
    /// The config in force and its pipeline; a reload replaces both at once.
    live: RwLock<Arc<Live>>,
    /// A slot per source id (and per `digest:NAME`): one fetch of a source, one run of a
    /// digest, at a time.
    running: Mutex<HashMap<String, Arc<Slot>>>,
    /// Ends the catch-up of the previous reload ([`Daemon::catch_up`]).
    catching_up: Mutex<CancellationToken>,
    /// The daemon's tasks (fetches, digest runs, retention, catch-ups), which a stop waits
    /// for (for a while).
    tracker: TaskTracker,
    /// Woken when the feeds need rendering again (a fetch, retention or a reload changed
    /// them).
    render: Notify,
    /// The daemon's stop: ends its jobs, downloads, sends and the server.
    cancel: CancellationToken,
    /// When the daemon started (a digest that never ran waits for its first tick after this).
    started: chrono::DateTime<Utc>,
    /// When each digest was first scheduled by this daemon (digests added by a reload).
    digest_since: Mutex<HashMap<String, chrono::DateTime<Utc>>>,
    /// The digests being sent now, by name: what a stop waits for besides fetches.
    sending: Mutex<std::collections::BTreeSet<String>>,
}

/// A source's fetch slot: one fetch at a time. A fetch asked for while one runs (by a reload
/// that moved the source, by an admin) runs right after it instead of being dropped.
#[derive(Default)]
struct Slot {
    /// Held for as long as a fetch (or a digest's run) goes.
    lock: tokio::sync::Mutex<()>,
    /// Another fetch is wanted once the running one ends: 0 none, 1 one, 2 one that ignores
    /// backoff.
    again: std::sync::atomic::AtomicU8,
}

/// The config and its pipeline; `stop` (the daemon's shutdown) ends its running downloads.
fn live(
    config: &Arc<Config>,
    store: &Arc<Store>,
    stop: &CancellationToken,
) -> anyhow::Result<Live> {
    let mut ingest = Ingest::new(config, store.clone())?;
    ingest.downloads = stop.clone();
    Ok(Live {
        config: config.clone(),
        ingest: Arc::new(ingest),
    })
}

impl Daemon {
    /// The config in force and its pipeline, as they are now.
    fn live(&self) -> Arc<Live> {
        self.live.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
