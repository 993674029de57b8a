//! The daemon's run: binding the listener, opening the store, serving, the first render and
//! fetch cycle, the signal loop (SIGHUP, SIGTERM, SIGINT, admin commands), and a shutdown
//! that waits a while for fetches and sends before it flushes the store.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc::Receiver;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::jobs::Timetable;
use super::render::{refresh, status_line};
use super::states::write_states;
use super::{live, notify, Daemon, Origin};
use crate::config::Config;
use crate::server::admin::{Admin, Command};
use crate::server::{self, Shared};
use crate::store::Store;

/// Runs the daemon until SIGTERM or SIGINT. Prints where it serves once it listens.
pub async fn run(mut origin: Origin, config: Config) -> anyhow::Result<()> {
    raise_open_files_limit();
    // Handlers first: a signal that arrives while the daemon starts is handled, not fatal
    // (systemd may send SIGHUP as soon as READY=1 is out).
    let mut signals = Signals::install()?;
    // The address first: a daemon that cannot listen leaves no new store behind.
    let listener = bind(&config).await?;
    let store = open_store(&config)?;
    let addr = listener.local_addr()?;
    let config = Arc::new(take_given_port(&mut origin, config, addr));
    let (shared, mut commands) = share(&origin, &store, &config);
    let daemon = Arc::new(new_daemon(origin, shared.clone(), &config, &store)?);
    spawn_first_render(shared.clone());
    let server = spawn_server(listener, &shared, &daemon.cancel);
    announce(&config, addr);
    let (mut timetable, store_gone) = daemon.start(&config, addr).await?;
    let store_failed = daemon
        .serve_signals(&mut signals, &mut commands, &mut timetable, &store_gone)
        .await;
    daemon.begin_stop(commands, &mut timetable).await;
    let hurried = daemon.wait_for_tasks(&mut signals).await;
    flush_store(&store, store_failed)?;
    close_connections(server, hurried, &mut signals).await;
    tracing::info!("stopped");
    Ok(())
}

/// The signals the daemon handles.
struct Signals {
    /// SIGTERM: stop.
    term: Signal,
    /// SIGINT: stop.
    int: Signal,
    /// SIGHUP: reload.
    hup: Signal,
}

impl Signals {
    /// Installs the handlers for SIGTERM, SIGINT and SIGHUP.
    fn install() -> std::io::Result<Self> {
        let term = signal(SignalKind::terminate())?;
        let int = signal(SignalKind::interrupt())?;
        let hup = signal(SignalKind::hangup())?;
        Ok(Signals { term, int, hup })
    }
}

/// Binds the listen address.
async fn bind(config: &Config) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (another address with --listen ADDR or TRIBUTARY_LISTEN)",
                config.server.listen
            )
        })
}

/// Opens the store, refused if an import into it was interrupted.
fn open_store(config: &Config) -> anyhow::Result<Arc<Store>> {
    let store = Store::open(&config.store)?;
    crate::app::refuse_if_import_interrupted(&store, config)?;
    Ok(Arc::new(store))
}

/// Takes the address the listener was given as the one to listen on (it differs for port 0):
/// the config with it.
fn take_given_port(origin: &mut Origin, mut config: Config, addr: SocketAddr) -> Config {
    // Port 0 asks the system for a free port: links derived from the address name the one it
    // gave, now and after a reload.
    if addr != config.server.listen {
        origin.listen = Some(addr);
        config.server = config.server.with_listen(addr);
    }
    config
}

/// What the server shares with the daemon, and the admin commands when the admin routes are
/// on.
fn share(
    origin: &Origin,
    store: &Arc<Store>,
    config: &Arc<Config>,
) -> (Arc<Shared>, Option<Receiver<Command>>) {
    let (shared, commands) = match origin.admin_token.clone() {
        Some(token) => {
            let (admin, commands) = Admin::new(token);
            let shared = Shared::new(store.clone(), config.clone()).with_admin(admin);
            (shared, Some(commands))
        }
        None => (Shared::new(store.clone(), config.clone()), None),
    };
    (Arc::new(shared), commands)
}

/// The daemon, with the config in force and its pipeline, nothing running yet.
fn new_daemon(
    origin: Origin,
    shared: Arc<Shared>,
    config: &Arc<Config>,
    store: &Arc<Store>,
) -> anyhow::Result<Daemon> {
    let cancel = CancellationToken::new();
    Ok(Daemon {
        origin,
        shared,
        live: RwLock::new(Arc::new(live(config, store, &cancel)?)),
        running: Mutex::new(HashMap::new()),
        catching_up: Mutex::new(CancellationToken::new()),
        tracker: TaskTracker::new(),
        render: Notify::new(),
        cancel,
        started: Utc::now(),
        digest_since: Mutex::new(HashMap::new()),
        sending: Mutex::new(std::collections::BTreeSet::new()),
    })
}

/// Renders what the store holds in the background, again until it succeeds, then reads its
/// identities, links and titles into memory.
fn spawn_first_render(first: Arc<Shared>) {
    // Serve at once: what the store already holds is rendered in the background (feeds
    // answer 503 with Retry-After until then), so a large store does not delay start-up.
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
}

/// Serves on `listener` until `cancel`.
fn spawn_server(
    listener: tokio::net::TcpListener,
    shared: &Arc<Shared>,
    cancel: &CancellationToken,
) -> JoinHandle<std::io::Result<()>> {
    let cancel = cancel.clone();
    tokio::spawn(server::serve(listener, shared.clone(), async move {
        cancel.cancelled().await
    }))
}

/// Prints where the daemon serves and logs its start, warning when its links name an address
/// no reader can reach.
fn announce(config: &Config, addr: SocketAddr) {
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
}

/// Flushes the store; after a store that took no more writes, fails (exit 1) to have the
/// daemon restarted.
fn flush_store(store: &Store, store_failed: Option<(DateTime<Utc>, String)>) -> anyhow::Result<()> {
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
    Ok(())
}

/// Waits for the server's open connections, or aborts them when `hurried` or at a second
/// signal.
async fn close_connections(
    server: JoinHandle<std::io::Result<()>>,
    hurried: bool,
    signals: &mut Signals,
) {
    // Open connections finish their requests (up to the server's drain time), unless a
    // second signal came or comes meanwhile.
    if hurried {
        server.abort();
    } else {
        let abort = server.abort_handle();
        tokio::select! {
            _ = server => {}
            signal = second_signal(&mut signals.term, &mut signals.int) => {
                tracing::warn!("second {signal}: closing open connections now");
                abort.abort();
            }
        }
    }
}

impl Daemon {
    /// Starts the daemon's tasks: rendering, the schedule, the first fetch cycle, the due
    /// digests, the states' writes; tells systemd it is ready. The timetable, and what the
    /// states' writes notify when the store takes no more writes.
    async fn start(
        self: &Arc<Self>,
        config: &Config,
        addr: SocketAddr,
    ) -> anyhow::Result<(Timetable, Arc<Notify>)> {
        tokio::spawn(self.clone().render_loop());
        let timetable = self.timetable(&self.live()).await?;
        self.digests_scheduled(config);
        notify::ready(&format!(
            "listening on http://{addr}/; first fetch cycle of {} sources running",
            config.sources.len()
        ));
        if let Some(every) = notify::watchdog_interval() {
            tokio::spawn(watchdog(every));
        }
        tokio::spawn(self.clone().first_cycle());
        self.tracker.spawn(self.clone().due_digests());
        let store_gone = Arc::new(Notify::new());
        tokio::spawn(write_states(
            self.shared.clone(),
            self.cancel.clone(),
            store_gone.clone(),
        ));
        Ok((timetable, store_gone))
    }

    /// Reloads at SIGHUP and runs admin commands until SIGTERM, SIGINT or a store that takes
    /// no more writes: then, that store's failure.
    async fn serve_signals(
        self: &Arc<Self>,
        signals: &mut Signals,
        commands: &mut Option<Receiver<Command>>,
        timetable: &mut Timetable,
        store_gone: &Notify,
    ) -> Option<(DateTime<Utc>, String)> {
        let mut store_failed = None;
        loop {
            tokio::select! {
                _ = signals.term.recv() => break,
                _ = signals.int.recv() => break,
                _ = store_gone.notified() => {
                    store_failed = self.shared.store_failure();
                    break;
                }
                _ = signals.hup.recv() => {
                    notify::reloading();
                    let _ = self.reload(timetable).await;
                    notify::ready(&status_line(&self.shared).await);
                }
                Some(command) = next_command(commands) => self.command(command, timetable).await,
            }
        }
        store_failed
    }

    /// Stops taking admin commands and new work: tells systemd, ends the jobs, downloads
    /// and sends.
    async fn begin_stop(&self, commands: Option<Receiver<Command>>, timetable: &mut Timetable) {
        // No more admin commands: a request queued from here on is told the daemon is stopping,
        // and one waiting for its reload's outcome is told so at once.
        drop(commands);
        notify::stopping();
        tracing::info!(
            "stopping: no new fetches; running downloads end, feeds already downloaded are stored"
        );
        self.cancel.cancel();
        let _ = timetable.scheduler.shutdown().await;
        self.tracker.close();
    }

    /// Waits a while for the daemon's tasks to end, unless a second signal comes: whether it
    /// did (the stop is hurried).
    async fn wait_for_tasks(&self, signals: &mut Signals) -> bool {
        // A send ends at once too, unless the relay is taking its message: then the relay's
        // answer settles whether the list has it, and is worth a moment.
        for name in self.sending() {
            tracing::info!(digest = %name, "stopping: waiting for the send of digest {name} (it ends now, or within {} if the relay is taking its message)", humantime::format_duration(crate::digest::run::STOP_GRACE));
        }
        // A second SIGTERM or SIGINT (Ctrl-C again) stops waiting at once, for fetches and for
        // the server's open connections alike.
        tokio::select! {
            finished = tokio::time::timeout(SHUTDOWN_GRACE, self.tracker.wait()) => {
                if finished.is_err() {
                    tracing::warn!("still running after {SHUTDOWN_GRACE:?}: {}; stopping anyway (a feed being applied is either fully stored or not at all; a digest whose message was under way is one the relay may have taken)", self.busy());
                }
                false
            }
            signal = second_signal(&mut signals.term, &mut signals.int) => {
                tracing::warn!("second {signal}: stopping without waiting for what still runs: {} (a feed being applied is either fully stored or not at all; a digest whose message was under way is one the relay may have taken)", self.busy());
                true
            }
        }
    }
}

/// How long shutdown waits for running fetches before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);

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

/// The next admin command; never, when the admin routes are off.
async fn next_command(
    commands: &mut Option<tokio::sync::mpsc::Receiver<Command>>,
) -> Option<Command> {
    match commands {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
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
}
