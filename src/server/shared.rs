//! [`Shared`], the state every handler sees: the store, the config and the rendered feeds
//! (each swapped as a whole), the story counts, the metrics, the store's and the reload's
//! failures, and the turns that bound work done on the blocking threads.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::app::source_health_counted;
use crate::config::Config;
use crate::publish::Format;
use crate::store::{Store, StoreError};

use super::admin::Admin;
use super::feeds::{FeedSet, LazyFeeds, Rendered, Scope};
use super::metrics::Metrics;

/// What every handler can see. The config and the rendered feeds are swapped as a whole
/// (on reload, after a fetch that changed the store).
pub struct Shared {
    /// The store (read-only here).
    pub store: Arc<Store>,
    /// The config in use, swapped whole on reload ([`Shared::set_config`]).
    config: RwLock<Arc<Config>>,
    /// The feeds rendered ahead of time, swapped whole by each render ([`Shared::refresh`]).
    feeds: RwLock<Arc<FeedSet>>,
    /// The feeds rendered on request, each with the render generation it was made in.
    pub(super) lazy_feeds: std::sync::Mutex<LazyFeeds>,
    /// One render at a time per lazily rendered feed (`lazy_feed`, in `routes/feeds.rs`).
    pub(super) lazy_turns: std::sync::Mutex<HashMap<(Scope, Format), Turn>>,
    /// Held by a render, so that one runs at a time and an older never replaces a newer.
    rendering: std::sync::Mutex<()>,
    /// When the feeds were last rendered; `None` until the first render.
    pub(super) rendered_at: RwLock<Option<DateTime<Utc>>>,
    /// Stories in the store and per source, so requests never scan a tree: counted in full at
    /// the first render and after anything that removes stories ([`Shared::recount`]), and
    /// kept up by each fetch meanwhile ([`Shared::fetched`]).
    counts: RwLock<Arc<Counts>>,
    /// The next render counts every source's stories again.
    recount: AtomicBool,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Set once the first fetch cycle has finished (`/readyz` says so).
    pub ready: AtomicBool,
    /// The admin routes' token and queue to the daemon; `None` disables them.
    pub(super) admin: Option<Admin>,
    /// Since when, and why, the store has failed to take writes; `None` while it takes them.
    store_failure: std::sync::Mutex<Option<(DateTime<Utc>, String)>>,
    /// When the last reload of the config failed, while the daemon runs on the one before.
    reload_failure: std::sync::Mutex<Option<DateTime<Utc>>>,
    /// Reads of stored digests running ([`Shared::read_digests`]).
    digest_reads: Arc<tokio::sync::Semaphore>,
    /// Turns of renders of feeds asked for ([`Shared::blocking`]).
    pub(super) render_turns: Arc<tokio::sync::Semaphore>,
    /// Turns of status pages and `/sources.json` (apart, so a crawler of feeds does not keep
    /// the status page and `tributary sources` out).
    pub(super) page_turns: Arc<tokio::sync::Semaphore>,
    /// `[server] request_timeout` as the server started with it (a reload changes it only
    /// after a restart).
    pub(super) request_timeout: std::time::Duration,
}

/// Reads of stored digests at once: the archive page decodes up to a thousand records, the
/// index a hundred.
const DIGEST_READS: usize = 4;

/// Renders of feeds asked for (a source's, a topic's in one language) made at once, and
/// status pages and `/sources.json`: a client (a crawler going through every source's feed)
/// asking for more waits its turn, within the request timeout, rather than piling work on the
/// blocking threads, which goes on after a request times out.
const RENDERS_AT_ONCE: usize = 4;
const PAGES_AT_ONCE: usize = 2;

impl Shared {
    /// Runs `work` on a blocking thread, as many at a time as `turns` has; the turn goes with
    /// the work, so a request that times out or goes away holds it until its work has ended
    /// (one that does so while it waits for a turn leaves the work undone).
    pub(super) async fn blocking<T: Send + 'static>(
        &self,
        turns: &Arc<tokio::sync::Semaphore>,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let turn = turns
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            work()
        })
        .await
        .map_err(|e| e.to_string())
    }

    /// Runs `read` on a blocking thread, [`DIGEST_READS`] at a time, the others waiting their
    /// turn (within the request timeout): a client asking over and over cannot take every
    /// blocking thread. The turn goes with the read, so a request that times out or goes away
    /// holds it until its read has ended.
    pub(super) async fn read_digests<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, String> {
        let store = self.store.clone();
        self.blocking(&self.digest_reads, move || read(&store))
            .await?
            .map_err(|e| e.to_string())
    }

    /// State with no feeds rendered yet.
    pub fn new(store: Arc<Store>, config: Arc<Config>) -> Shared {
        let request_timeout = config.server.request_timeout;
        let shared = Shared {
            store,
            config: RwLock::new(config),
            feeds: RwLock::new(Arc::new(FeedSet::default())),
            lazy_feeds: std::sync::Mutex::new(LazyFeeds::new(LAZY_FEED_CACHE)),
            lazy_turns: std::sync::Mutex::default(),
            rendering: std::sync::Mutex::new(()),
            rendered_at: RwLock::new(None),
            counts: RwLock::new(Arc::default()),
            recount: AtomicBool::new(true),
            metrics: Metrics::new(),
            ready: AtomicBool::new(false),
            admin: None,
            store_failure: std::sync::Mutex::new(None),
            reload_failure: std::sync::Mutex::new(None),
            digest_reads: Arc::new(tokio::sync::Semaphore::new(DIGEST_READS)),
            render_turns: Arc::new(tokio::sync::Semaphore::new(RENDERS_AT_ONCE)),
            page_turns: Arc::new(tokio::sync::Semaphore::new(PAGES_AT_ONCE)),
            request_timeout,
        };
        shared.metrics.store_writable(true);
        let config = shared.config();
        shared.metrics.configured(
            config.sources.iter().map(|s| s.id.as_str()),
            config.digests.iter().map(|d| d.name.as_str()),
        );
        shared
    }

    /// A lazily rendered feed's cached document, and whether it was rendered since the last
    /// change (else it is stale, kept for its `Last-Modified` should the bytes not change).
    pub(super) fn lazy_cached(
        &self,
        scope: &Scope,
        format: Format,
    ) -> (Option<Arc<Rendered>>, bool) {
        let generation = self.feeds().generation;
        match self
            .lazy_feeds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(scope, format)
        {
            Some((g, doc)) => (Some(doc), g == generation),
            None => (None, false),
        }
    }

    /// Records that the store failed to take a write: the first failure's time is kept.
    /// Returns since when it has been failing.
    pub fn store_failed(&self, error: &str) -> DateTime<Utc> {
        let mut failure = self.store_failure.lock().unwrap_or_else(|e| e.into_inner());
        let since = failure.get_or_insert_with(|| (Utc::now(), String::new()));
        since.1 = error.to_string();
        self.metrics.store_writable(false);
        since.0
    }

    /// Records that the store took a write.
    pub fn store_ok(&self) {
        *self.store_failure.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.metrics.store_writable(true);
    }

    /// Since when, and why, the store has failed to take writes.
    pub fn store_failure(&self) -> Option<(DateTime<Utc>, String)> {
        self.store_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Records how a reload of the config went (the gauge, and the status page's banner).
    pub fn config_reloaded(&self, ok: bool) {
        self.metrics.config_reloaded(ok);
        *self
            .reload_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = (!ok).then(Utc::now);
    }

    /// When the last reload failed, if the daemon still runs on the config before it.
    pub fn reload_failure(&self) -> Option<DateTime<Utc>> {
        *self
            .reload_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Enables the admin routes.
    pub fn with_admin(mut self, admin: Admin) -> Shared {
        self.admin = Some(admin);
        self
    }

    /// The current config.
    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the config (SIGHUP).
    pub fn set_config(&self, config: Arc<Config>) {
        self.metrics.configured(
            config.sources.iter().map(|s| s.id.as_str()),
            config.digests.iter().map(|d| d.name.as_str()),
        );
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = config;
    }

    /// The current rendered feeds.
    pub fn feeds(&self) -> Arc<FeedSet> {
        self.feeds.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Has the next render count every source's stories again: after retention removed
    /// stories, or a reload changed the sources.
    pub fn recount(&self) {
        self.recount.store(true, Ordering::Release);
    }

    /// Keeps the source's count and gauges up after one fetch of `source`: a scan of that
    /// source's own index entries, not of the store, and none when the fetch `changed` no
    /// story and the source's count is known (a 304, the same body, a failure). Blocking
    /// (reads the store).
    pub fn fetched(&self, source: &crate::model::Source, changed: bool) -> Result<(), StoreError> {
        // Counted with the counts locked: a full count running meanwhile cannot publish an
        // older figure over this one.
        let mut counts = self.counts.write().unwrap_or_else(|e| e.into_inner());
        let state = self.store.source_state(&source.id)?;
        let known = counts
            .by_source
            .get(&source.id)
            .copied()
            .filter(|_| !changed);
        let items = known.unwrap_or_else(|| self.store.count_for_source(&source.id));
        self.metrics.source_state(source, &state, items);
        // In place unless a request is reading the counts this moment (then copied once).
        Arc::make_mut(&mut counts)
            .by_source
            .insert(source.id.clone(), items);
        Ok(())
    }

    /// Counts every story and each source's (the config's sources as they are now), and sets
    /// the sources' gauges.
    fn count_all(&self) -> Result<(), StoreError> {
        // Taken before the counts are locked: it waits for the store's writer (a long prune).
        let (all, net_at_count) = self.store.counted_stories()?;
        let config = self.config();
        let mut counts = self.counts.write().unwrap_or_else(|e| e.into_inner());
        let mut next = Counts {
            all,
            net_at_count,
            by_source: HashMap::new(),
        };
        for s in &config.sources {
            let state = self.store.source_state(&s.id).unwrap_or_default();
            let items = self.store.count_for_source(&s.id);
            self.metrics.source_state(s, &state, items);
            next.by_source.insert(s.id.clone(), items);
        }
        *counts = Arc::new(next);
        Ok(())
    }

    /// The stories in the store: the last full count plus what was stored and removed since.
    pub fn story_count(&self) -> usize {
        let counts = self
            .counts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let since = self.store.net_stories() - counts.net_at_count;
        usize::try_from(counts.all as i64 + since).unwrap_or(0)
    }

    /// Re-renders every feed from the store and refreshes the store gauges; on the first
    /// render and after [`Shared::recount`], counts every source's stories and sets their
    /// gauges. Blocking (reads the store, and may wait for the clock's next second): call
    /// from a blocking task.
    ///
    /// Renders fall in different seconds of the clock: a document's `Last-Modified` has
    /// one-second precision and one whose bytes changed within the second of the one it
    /// replaces is dated a second on (so `If-Modified-Since` does not hide the change), so
    /// renders in quick succession (a first fetch cycle) would date documents ahead of the
    /// clock, which HTTP forbids (RFC 9110, 8.8.2.1).
    pub fn refresh(&self) -> Result<(), StoreError> {
        // One render at a time, so an older render can never replace a newer one.
        let _one_render = self.rendering.lock().unwrap_or_else(|e| e.into_inner());
        let last = *self.rendered_at.read().unwrap_or_else(|e| e.into_inner());
        if let Some(last) = last {
            // A second at most: a clock set back must not hold renders up for as long.
            let wait = ((last.timestamp() + 1) * 1000 - Utc::now().timestamp_millis()).min(1000);
            if wait > 0 {
                std::thread::sleep(std::time::Duration::from_millis(wait.unsigned_abs()));
            }
        }
        let started = Instant::now();
        let config = self.config();
        let previous = self.feeds();
        let set = FeedSet::build(&self.store, &config, Some(&previous))?;
        let rendered_in = started.elapsed();
        *self.feeds.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(set);
        let now = Utc::now();
        *self.rendered_at.write().unwrap_or_else(|e| e.into_inner()) = Some(now);
        self.metrics.rendered(now);
        if self.recount.swap(false, Ordering::AcqRel) {
            // Asked again if it fails, so a figure is never left unmade.
            let counted = self.count_all();
            if counted.is_err() {
                self.recount();
            }
            counted?;
        }
        self.metrics
            .store(self.story_count(), self.store.size_on_disk());
        tracing::debug!(
            render_ms = rendered_in.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "rendered the feeds"
        );
        Ok(())
    }

    /// Whether the feeds have been rendered since the daemon started.
    pub fn rendered(&self) -> bool {
        self.rendered_at
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Every source's health, with the item counts of the last render. Blocking.
    pub(super) fn health(&self) -> Result<Vec<crate::app::SourceHealth>, StoreError> {
        let counts = self
            .counts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let items = |id: &str| counts.by_source.get(id).copied().unwrap_or(0);
        source_health_counted(&self.store, &self.config(), &items)
    }
}

/// Story counts, so that requests never scan a tree.
#[derive(Debug, Default, Clone)]
struct Counts {
    /// Stories in the store at the last full count.
    all: usize,
    /// [`Store::net_stories`] at that count.
    net_at_count: i64,
    /// Stories each source carries (a source's figure is taken again after each of its
    /// fetches).
    by_source: HashMap<String, usize>,
}

/// Feed documents rendered on request kept rendered (per source, per topic and language;
/// each a few hundred KB at most): the busiest feeds stay ready, the long tail is rendered
/// again when asked for.
const LAZY_FEED_CACHE: usize = 256;

/// A lazily rendered feed's turn to be rendered: held while it is.
type Turn = Arc<tokio::sync::Mutex<()>>;
