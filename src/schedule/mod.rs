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

pub mod notify;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Notify;
use tokio_cron_scheduler::{Job, JobScheduler};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::ingest::{Ingest, Outcome};
use crate::model::Schedule;
use crate::server::admin::{Admin, AdminToken, Command, ReloadOutcome, Reloaded};
use crate::server::{self, Shared};
use crate::store::Store;

/// How long shutdown waits for running fetches before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);
/// The largest offset a job waits before fetching, to spread sources with equal schedules.
const MAX_JITTER: Duration = Duration::from_secs(60);

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

struct Live {
    config: Arc<Config>,
    ingest: Arc<Ingest>,
}

struct Daemon {
    origin: Origin,
    shared: Arc<Shared>,
    live: RwLock<Arc<Live>>,
    running: Mutex<HashMap<String, Arc<Slot>>>,
    /// Ends the catch-up of the previous reload ([`Daemon::catch_up`]).
    catching_up: Mutex<CancellationToken>,
    tracker: TaskTracker,
    render: Notify,
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
    lock: tokio::sync::Mutex<()>,
    /// Another fetch is wanted once the running one ends: 0 none, 1 one, 2 one that ignores
    /// backoff.
    again: std::sync::atomic::AtomicU8,
}

/// Raises the soft limit on open files to the hard one, as Go programs do when they start.
/// The server's connections (`max_connections`, 1024 by default), sled's files and the
/// fetches' sockets share it, and a service's soft limit is often 1024 (systemd's default):
/// a flood of connections left no descriptor for the store.
#[cfg(target_os = "linux")]
fn raise_open_files_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_some() && limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => {
                tracing::debug!(from = ?limit.current, to = ?limit.maximum, "open-files limit raised")
            }
            Err(e) => tracing::warn!(error = %e, "could not raise the open-files limit"),
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn raise_open_files_limit() {}

/// Runs the daemon until SIGTERM or SIGINT. Prints where it serves once it listens.
pub async fn run(mut origin: Origin, mut config: Config) -> anyhow::Result<()> {
    raise_open_files_limit();
    // Handlers first: a signal that arrives while the daemon starts is handled, not fatal
    // (systemd may send SIGHUP as soon as READY=1 is out).
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    // The address first: a daemon that cannot listen leaves no new store behind.
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (another address with --listen ADDR or TRIBUTARY_LISTEN)",
                config.server.listen
            )
        })?;
    let store = Store::open(&config.store)?;
    crate::app::refuse_if_import_interrupted(&store, &config)?;
    let store = Arc::new(store);
    let addr = listener.local_addr()?;
    // Port 0 asks the system for a free port: links derived from the address name the one it
    // gave, now and after a reload.
    if addr != config.server.listen {
        origin.listen = Some(addr);
        config.server = config.server.with_listen(addr);
    }
    let config = Arc::new(config);
    let (shared, mut commands) = match origin.admin_token.clone() {
        Some(token) => {
            let (admin, commands) = Admin::new(token);
            let shared = Shared::new(store.clone(), config.clone()).with_admin(admin);
            (shared, Some(commands))
        }
        None => (Shared::new(store.clone(), config.clone()), None),
    };
    let shared = Arc::new(shared);
    let cancel = CancellationToken::new();
    let daemon = Arc::new(Daemon {
        origin,
        shared: shared.clone(),
        live: RwLock::new(Arc::new(live(&config, &store, &cancel)?)),
        running: Mutex::new(HashMap::new()),
        catching_up: Mutex::new(CancellationToken::new()),
        tracker: TaskTracker::new(),
        render: Notify::new(),
        cancel,
        started: Utc::now(),
        digest_since: Mutex::new(HashMap::new()),
        sending: Mutex::new(std::collections::BTreeSet::new()),
    });

    // Serve at once: what the store already holds is rendered in the background (feeds
    // answer 503 with Retry-After until then), so a large store does not delay start-up.
    let first = shared.clone();
    tokio::spawn(async move {
        // Until it succeeds: feeds and /readyz answer 503 until the first render.
        let mut wait = Duration::from_secs(1);
        loop {
            refresh(&first).await;
            if first.rendered() {
                let store = first.store.clone();
                let loaded = tokio::task::spawn_blocking(move || store.load_matching()).await;
                if let Ok(Err(e)) = loaded {
                    tracing::warn!(error = %e, "reading the store's identities, links and titles into memory failed; the first fetch with something new tries again");
                }
                break;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(60));
        }
    });
    let cancel = daemon.cancel.clone();
    let server = tokio::spawn(server::serve(listener, shared.clone(), async move {
        cancel.cancelled().await
    }));
    outln!(
        "tributary {} serving on http://{addr}/ — subscribe to {} (status page: {})",
        env!("CARGO_PKG_VERSION"),
        config.server.url("feeds/all.rss"),
        config.server.url("/")
    );
    tracing::info!(%addr, sources = config.sources.len(), "daemon started");
    if !config.server.base_url_configured && addr.ip().is_unspecified() {
        tracing::warn!(
            base_url = %config.server.base_url,
            "the feeds' self links and web page links name the listen address, which no reader can reach: set [server] base_url to the address readers use"
        );
    }

    tokio::spawn(daemon.clone().render_loop());
    let mut timetable = daemon.timetable(&daemon.live()).await?;
    daemon.digests_scheduled(&config);
    notify::ready(&format!(
        "listening on http://{addr}/; first fetch cycle of {} sources running",
        config.sources.len()
    ));
    if let Some(every) = notify::watchdog_interval() {
        tokio::spawn(watchdog(every));
    }
    tokio::spawn(daemon.clone().first_cycle());
    daemon.tracker.spawn(daemon.clone().due_digests());
    let store_gone = Arc::new(Notify::new());
    tokio::spawn(write_states(
        shared.clone(),
        daemon.cancel.clone(),
        store_gone.clone(),
    ));

    let mut store_failed = None;
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = store_gone.notified() => {
                store_failed = shared.store_failure();
                break;
            }
            _ = hup.recv() => {
                notify::reloading();
                let _ = daemon.reload(&mut timetable).await;
                notify::ready(&status_line(&shared).await);
            }
            Some(command) = next_command(&mut commands) => daemon.command(command, &mut timetable).await,
        }
    }

    // No more admin commands: a request queued from here on is told the daemon is stopping,
    // and one waiting for its reload's outcome is told so at once.
    drop(commands);
    notify::stopping();
    tracing::info!(
        "stopping: no new fetches; running downloads end, feeds already downloaded are stored"
    );
    daemon.cancel.cancel();
    let _ = timetable.scheduler.shutdown().await;
    daemon.tracker.close();
    // A send ends at once too, unless the relay is taking its message: then the relay's
    // answer settles whether the list has it, and is worth a moment.
    for name in daemon.sending() {
        tracing::info!(digest = %name, "stopping: waiting for the send of digest {name} (it ends now, or within {} if the relay is taking its message)", humantime::format_duration(crate::digest::run::STOP_GRACE));
    }
    // A second SIGTERM or SIGINT (Ctrl-C again) stops waiting at once, for fetches and for
    // the server's open connections alike.
    let hurried = tokio::select! {
        finished = tokio::time::timeout(SHUTDOWN_GRACE, daemon.tracker.wait()) => {
            if finished.is_err() {
                tracing::warn!("still running after {SHUTDOWN_GRACE:?}: {}; stopping anyway (a feed being applied is either fully stored or not at all; a digest whose message was under way is one the relay may have taken)", daemon.busy());
            }
            false
        }
        signal = second_signal(&mut term, &mut int) => {
            tracing::warn!("second {signal}: stopping without waiting for what still runs: {} (a feed being applied is either fully stored or not at all; a digest whose message was under way is one the relay may have taken)", daemon.busy());
            true
        }
    };
    if let Some((since, error)) = store_failed {
        // Exit 1: the service manager restarts the daemon (systemd's Restart=on-failure, a
        // container's restart policy), and a new process opens the store afresh.
        let _ = store.flush();
        anyhow::bail!(
            "stopped to open the store afresh: it has taken no writes since {} ({error}), and \
             its disk has room again; a restart takes writes (nothing stored is lost)",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
    store.flush()?;
    // Open connections finish their requests (up to the server's drain time), unless a
    // second signal came or comes meanwhile.
    if hurried {
        server.abort();
    } else {
        let abort = server.abort_handle();
        tokio::select! {
            _ = server => {}
            signal = second_signal(&mut term, &mut int) => {
                tracing::warn!("second {signal}: closing open connections now");
                abort.abort();
            }
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// How often the daemon writes the source states that fetches keep in memory (see
/// [`Store::put_source_state`]).
const STATE_WRITE_EVERY: Duration = Duration::from_secs(5);

/// How long the store may fail to take writes before the daemon stops (exit 1) to be
/// restarted: sled keeps an I/O error (a full disk) for the rest of the process, so the store
/// takes writes again only in a new one. It stops only once there is room for a new process
/// to open the store ([`Store::room_to_reopen`]): until then it serves the feeds it has.
const STORE_FAILURE_LIMIT: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

/// While the store fails, its error is logged at the first failure and then every this many
/// attempts (a minute), not every five seconds for as long as a disk stays full.
const STORE_FAILURE_LOG_EVERY: u32 = 12;

/// Writes pending source states every few seconds, in one batch each time, until shutdown
/// (which flushes the store itself). Whether that works is the store's health (`/healthz`,
/// `tributary_store_writable`); failing for [`STORE_FAILURE_LIMIT`], it wakes `store_gone`
/// once a new process could open the store.
async fn write_states(
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

/// The next admin command; never, when the admin routes are off.
async fn next_command(
    commands: &mut Option<tokio::sync::mpsc::Receiver<Command>>,
) -> Option<Command> {
    match commands {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
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

/// A reloaded `config` with the settings that take a restart as they are in `old`, with a
/// warning for each that changed: the store's path, and the listen address (with the feeds'
/// own address derived from it when `base_url` is not set: links must name where the daemon
/// answers).
fn kept_until_restart(mut config: Config, old: &Config) -> Config {
    if config.store.path != old.store.path {
        tracing::warn!(
            new = %config.store.path.display(),
            "the store path changed; that takes a restart (the store in use stays)"
        );
        config.store.path.clone_from(&old.store.path);
    }
    if config.server.listen != old.server.listen {
        tracing::warn!(
            new = %config.server.listen,
            "the listen address changed; that takes a restart (the daemon still listens on {})",
            old.server.listen
        );
        config.server = config.server.with_listen(old.server.listen);
    }
    config
}

/// The config a reload read and its pipeline, under the limits of `before`'s (see
/// [`Ingest::succeeding`]).
fn live_after(config: &Arc<Config>, before: &Live) -> anyhow::Result<Live> {
    let ingest = Ingest::succeeding(config, before.ingest.store.clone(), &before.ingest)?;
    Ok(Live {
        config: config.clone(),
        ingest: Arc::new(ingest),
    })
}

/// The next SIGTERM or SIGINT, by name.
async fn second_signal(
    term: &mut tokio::signal::unix::Signal,
    int: &mut tokio::signal::unix::Signal,
) -> &'static str {
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}

/// Whether a source last fetched at `last` was fetched less than half of its interval
/// `every` before `now` (a clock set back counts as just now).
fn fetched_lately(last: Option<DateTime<Utc>>, now: DateTime<Utc>, every: Duration) -> bool {
    last.is_some_and(|t| (now - t).to_std().unwrap_or_default() < every / 2)
}

/// Re-renders the feeds, then tells systemd what is served now.
async fn refresh(shared: &Arc<Shared>) {
    let s = shared.clone();
    match tokio::task::spawn_blocking(move || s.refresh()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "rendering the feeds failed"),
        Err(e) => tracing::error!(error = %e, "rendering the feeds failed"),
    }
    notify::status(&status_line(shared).await);
}

/// "serving N sources, M stories; K failing", read from the store (blocking work).
async fn status_line(shared: &Arc<Shared>) -> String {
    let s = shared.clone();
    tokio::task::spawn_blocking(move || {
        let config = s.config();
        let failing = config
            .sources
            .iter()
            .filter(|src| {
                src.enabled
                    && s.store
                        .source_state(&src.id)
                        .is_ok_and(|st| st.last_attempt.is_some() && !st.healthy())
            })
            .count();
        let enabled = config.sources.iter().filter(|src| src.enabled).count();
        let mut line = notify::status_line(enabled, failing, s.story_count());
        if s.metrics.reload_failed() {
            line.push_str(
                "; the last config reload failed (see the log): running on the previous config",
            );
        }
        line
    })
    .await
    .unwrap_or_else(|e| format!("status unavailable: {e}"))
}

/// Pings the systemd watchdog (`WatchdogSec=`) for as long as the runtime turns: a wedged
/// runtime stops the pings and systemd restarts the service.
async fn watchdog(every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        notify::watchdog();
    }
}

impl Daemon {
    fn live(&self) -> Arc<Live> {
        self.live.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The digests being sent now, by name.
    fn sending(&self) -> Vec<String> {
        let sending = self.sending.lock().unwrap_or_else(|e| e.into_inner());
        sending.iter().cloned().collect()
    }

    /// What the daemon's tasks are doing, for a stop that waits for them: "2 fetches, the send
    /// of digest daily". A fetch or a digest's run holds its slot while it runs.
    fn busy(&self) -> String {
        let sending = self.sending();
        let mut fetches = 0;
        let mut digests = Vec::new();
        for (key, slot) in self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            if slot.lock.try_lock().is_ok() {
                continue;
            }
            match key.strip_prefix("digest:") {
                Some(name) if sending.iter().any(|s| s == name) => {}
                Some(name) => digests.push(format!("the run of digest {name}")),
                None => fetches += 1,
            }
        }
        let mut busy = Vec::new();
        match fetches {
            0 => {}
            1 => busy.push("1 fetch".to_string()),
            n => busy.push(format!("{n} fetches")),
        }
        busy.extend(
            sending
                .iter()
                .map(|name| format!("the send of digest {name}")),
        );
        busy.extend(digests);
        if busy.is_empty() {
            "retention, or a task about to end".into()
        } else {
            busy.join(", ")
        }
    }

    /// Fetches every source once at start-up, then marks the daemon ready.
    async fn first_cycle(self: Arc<Self>) {
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
    async fn tick(self: Arc<Self>, id: String) {
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
    async fn fetch_now(self: Arc<Self>, id: String, force: bool, insist: bool) {
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

    /// Records when each digest of `config` was first scheduled: a digest first seen now
    /// starts at its first scheduled time from now on. Called once its schedule runs (at
    /// start, after a reload that took), so a reload refused does not date a digest it named.
    fn digests_scheduled(&self, config: &Config) {
        let mut since = self.digest_since.lock().unwrap_or_else(|e| e.into_inner());
        for d in &config.digests {
            since.entry(d.name.clone()).or_insert_with(Utc::now);
        }
    }

    /// Keeps each interval source on its rhythm across a reload. The new schedule's first tick
    /// for a source comes a whole interval after the reload, so a source fetched some time
    /// before would wait longer than its interval, and reloads more often than an interval
    /// would keep it from being fetched at all. Each one (but those in `skip`, fetched at
    /// once) gets a tick when its interval since its last fetch is up (which passes over it,
    /// as any tick does, if something fetched it meanwhile). Ends the previous reload's
    /// catch-up.
    fn catch_up(self: &Arc<Self>, config: &Config, skip: &std::collections::HashSet<String>) {
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

    /// Re-renders the feeds whenever a fetch changed the store (notifications coalesce; a
    /// render waits for the clock's next second, see [`crate::server::Shared::refresh`]).
    async fn render_loop(self: Arc<Self>) {
        loop {
            tokio::select! {
                _ = self.render.notified() => refresh(&self.shared).await,
                _ = self.cancel.cancelled() => return,
            }
        }
    }

    /// A started scheduler with a job per source of `live`'s config (and the retention and
    /// digest jobs). Its channels are sized for that config: see [`scheduler_channel_size`].
    async fn timetable(self: &Arc<Self>, live: &Live) -> anyhow::Result<Timetable> {
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
    async fn retime(
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

    /// Builds every digest whose latest scheduled time has passed since its previous period
    /// ended — at start that catches up schedules missed while the daemon was down; every
    /// minute after, it is the schedule itself. A digest that never ran starts at the first
    /// scheduled time after the daemon started.
    async fn due_digests(self: Arc<Self>) {
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

    /// A command from the admin routes: fetches go through [`Daemon::fetch`] like scheduled
    /// ones (one at a time per source), a reload is a SIGHUP.
    async fn command(self: &Arc<Self>, command: Command, timetable: &mut Timetable) {
        match command {
            Command::Fetch { sources, force } => {
                tracing::info!(sources = sources.len(), force, "fetch requested over HTTP");
                for id in sources {
                    let this = self.clone();
                    self.tracker
                        .spawn(async move { this.fetch_now(id, force, true).await });
                }
            }
            Command::Reload(reply) => {
                tracing::info!("reload requested over HTTP");
                reply.send(self.reload(timetable).await);
            }
        }
    }

    /// SIGHUP: re-read the config; on error keep running on the old one (the
    /// `config_last_reload_successful` gauge and the `STATUS=` line say so) and say why.
    async fn reload(self: &Arc<Self>, timetable: &mut Timetable) -> ReloadOutcome {
        let old = self.live();
        let config = match self.origin.load() {
            Ok(c) => Arc::new(kept_until_restart(c, &old.config)),
            Err(e) => {
                self.shared.config_reloaded(false);
                tracing::error!("config reload failed; still running on the previous config:\n{e}");
                return Err(e.to_string());
            }
        };
        let new_live = match live_after(&config, &old) {
            Ok(l) => Arc::new(l),
            Err(e) => {
                self.shared.config_reloaded(false);
                tracing::error!(error = %e, "config reload failed; still running on the previous config");
                return Err(format!("{e:#}"));
            }
        };
        // The new schedule is made before anything changes: if it cannot be, the daemon
        // stays on the previous config and schedule, as with a config that does not read.
        if let Err(e) = self.retime(timetable, &new_live).await {
            self.shared.config_reloaded(false);
            tracing::error!(error = %e, "config reload failed: cannot schedule it; still running on the previous config");
            return Err(format!("cannot schedule the config: {e:#}"));
        }
        self.digests_scheduled(&config);
        self.shared.config_reloaded(true);
        // Fetches of both configs running now count against one set of limits, sized
        // from here on as the new config says.
        new_live.ingest.limit_as_configured();
        *self.live.write().unwrap_or_else(|e| e.into_inner()) = new_live;
        self.shared.set_config(config.clone());
        // Sources may have come and gone: their counts and gauges are taken afresh, and those
        // gone take their series with them.
        let gone: Vec<&str> = old
            .config
            .sources
            .iter()
            .filter(|s| config.source(&s.id).is_none())
            .map(|s| s.id.as_str())
            .collect();
        self.shared.metrics.forget_sources(&gone);
        let gone: Vec<&str> = old
            .config
            .digests
            .iter()
            .filter(|d| config.digest(&d.name).is_none())
            .map(|d| d.name.as_str())
            .collect();
        self.shared.metrics.forget_digests(&gone);
        self.shared.recount();
        // Sources added (or enabled) by the reload, moved to another location, or asked for
        // another way (user agent, headers, login, certificate checks) are fetched now, not
        // one interval from now; if one is being fetched, right after. A backoff earned
        // before says nothing about them: one moved starts afresh (see `Ingest::source`), and
        // the others are fetched regardless of it, as an operator who paused a failing source
        // or mended its request expects.
        let mut now = std::collections::HashSet::new();
        for s in config.sources.iter().filter(|s| s.enabled) {
            let force = match old.config.source(&s.id) {
                None => false,
                Some(was) if !was.enabled => true,
                Some(was) if was.location != s.location => false,
                Some(was) if crate::fetch::Extras::of(was) != crate::fetch::Extras::of(s) => true,
                Some(_) => continue,
            };
            now.insert(s.id.clone());
            let this = self.clone();
            let id = s.id.clone();
            self.tracker
                .spawn(async move { this.fetch_now(id, force, true).await });
        }
        self.catch_up(&config, &now);
        self.render.notify_one();
        tracing::info!(sources = config.sources.len(), "config reloaded");
        Ok(Reloaded {
            sources: config.sources.len(),
            digests: config.digests.len(),
        })
    }
}

/// A digest's name in [`Daemon::sending`] for as long as it lives.
struct Sending<'a> {
    daemon: &'a Daemon,
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

/// The daemon's schedule: one scheduler, kept from one config to the next (tokio-cron-scheduler
/// 0.15 keeps a scheduler's tasks, channels and jobs alive after its `shutdown`: a scheduler
/// made anew at every reload kept about 7 MB per reload of 2,000 sources), the jobs of the
/// config it runs on, and the size of its channels.
struct Timetable {
    scheduler: JobScheduler,
    jobs: Vec<uuid::Uuid>,
    channels: usize,
}

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

    #[test]
    fn a_reload_keeps_the_listen_address_and_store_path_until_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.toml");
        let config = |listen: &str, store: &str| {
            Config::from_str(
                &format!("[store]\npath = \"{store}\"\n[server]\nlisten = \"{listen}\"\n"),
                &file,
            )
            .unwrap()
        };
        let old = config("127.0.0.1:18100", "a");
        let kept = kept_until_restart(config("127.0.0.1:18101", "b"), &old);
        assert_eq!(kept.server.listen, old.server.listen);
        assert_eq!(kept.server.base_url.as_str(), "http://127.0.0.1:18100/");
        assert_eq!(kept.store.path, old.store.path);
        // A configured base_url is the readers' address, whatever the listen address.
        let text =
            "[server]\nlisten = \"127.0.0.1:18101\"\nbase_url = \"https://feeds.example/\"\n";
        let kept = kept_until_restart(Config::from_str(text, &file).unwrap(), &old);
        assert_eq!(kept.server.base_url.as_str(), "https://feeds.example/");
        assert_eq!(kept.server.listen, old.server.listen);
    }

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
