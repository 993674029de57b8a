//! The HTTP server: republished feeds, OPML, status page, health and metrics.
//!
//! Handlers only look up state: feeds are rendered ahead of time ([`feeds::FeedSet`]) when
//! the store changes, so a request is a map lookup plus an `ETag` comparison. `router` takes
//! its state explicitly, so tests drive it in-process or on a port of their own.

pub mod admin;
mod conn;
pub mod feeds;
pub mod metrics;
mod status;
#[cfg(target_os = "linux")]
pub mod zerocopy;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use tower_http::compression::predicate::{DefaultPredicate, Predicate as _};

use crate::app::source_health_counted;
use crate::config::Config;
use crate::publish::Format;
use crate::store::{Store, StoreError};

use admin::Admin;
use feeds::{FeedSet, LazyFeeds, Rendered, Scope};

/// Feed documents rendered on request kept rendered (per source, per topic and language;
/// each a few hundred KB at most): the busiest feeds stay ready, the long tail is rendered
/// again when asked for.
const LAZY_FEED_CACHE: usize = 256;

/// A lazily rendered feed's turn to be rendered: held while it is.
type Turn = Arc<tokio::sync::Mutex<()>>;
use metrics::Metrics;

pub use conn::Limits;

/// What every handler can see. The config and the rendered feeds are swapped as a whole
/// (on reload, after a fetch that changed the store).
pub struct Shared {
    /// The store (read-only here).
    pub store: Arc<Store>,
    config: RwLock<Arc<Config>>,
    feeds: RwLock<Arc<FeedSet>>,
    lazy_feeds: std::sync::Mutex<LazyFeeds>,
    /// One render at a time per lazily rendered feed ([`lazy_feed`]).
    lazy_turns: std::sync::Mutex<HashMap<(Scope, Format), Turn>>,
    rendering: std::sync::Mutex<()>,
    rendered_at: RwLock<Option<DateTime<Utc>>>,
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
    admin: Option<Admin>,
    /// Since when, and why, the store has failed to take writes; `None` while it takes them.
    store_failure: std::sync::Mutex<Option<(DateTime<Utc>, String)>>,
    /// When the last reload of the config failed, while the daemon runs on the one before.
    reload_failure: std::sync::Mutex<Option<DateTime<Utc>>>,
    /// Reads of stored digests running ([`Shared::read_digests`]).
    digest_reads: Arc<tokio::sync::Semaphore>,
    /// Turns of renders of feeds asked for ([`Shared::blocking`]).
    render_turns: Arc<tokio::sync::Semaphore>,
    /// Turns of status pages and `/sources.json` (apart, so a crawler of feeds does not keep
    /// the status page and `tributary sources` out).
    page_turns: Arc<tokio::sync::Semaphore>,
    /// `[server] request_timeout` as the server started with it (a reload changes it only
    /// after a restart).
    request_timeout: std::time::Duration,
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
    async fn blocking<T: Send + 'static>(
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
    async fn read_digests<T: Send + 'static>(
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
    fn lazy_cached(&self, scope: &Scope, format: Format) -> (Option<Arc<Rendered>>, bool) {
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
    fn health(&self) -> Result<Vec<crate::app::SourceHealth>, StoreError> {
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

/// The application's routes.
///
/// Every response carries `X-Content-Type-Options: nosniff`; the HTML ones (status page,
/// digests) also a restrictive CSP, `X-Frame-Options` and `Referrer-Policy`. No route takes a
/// parameter that makes it do more work than one lookup: feeds are rendered ahead of time with
/// a fixed item count, and a digest is found by key range.
pub fn router(shared: Arc<Shared>) -> Router {
    let request_timeout = shared.request_timeout;
    // Routes that do work per request (render, read the store, encode): bounded in time and
    // in how many run at once.
    let working = Router::new()
        .route("/", get(status_page))
        .route("/feeds/sources/{file}", get(source_feed))
        .route("/feeds/topics/{topic}/{file}", get(topic_language_feed))
        .route("/sources.json", get(sources_json))
        .route("/digests/{name}/{file}", get(digest_file))
        .route("/metrics", get(metrics_text));
    // Without a token the admin routes do not exist, whatever the method (a 405's `Allow`
    // would tell a prober they are there).
    let working = if shared.admin.is_some() {
        working
            .route("/admin/fetch", post(admin::fetch))
            .route("/admin/reload", post(admin::reload))
    } else {
        working
    };
    let working = working
        // Past the limit it is the server that was slow, not the client: 503, which
        // clients do not repeat at once as some do a 408.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            request_timeout,
        ))
        .layer(tower::limit::ConcurrencyLimitLayer::new(1024));
    // Documents rendered ahead of time and answered from memory: nothing to time out, and a
    // timer per request would be most of their cost.
    Router::new()
        .route("/feeds/{file}", get(all_feed))
        .route("/feeds/topics/{file}", get(topic_feed))
        .route("/feeds/languages/{file}", get(language_feed))
        .route("/sources.opml", get(opml))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(working)
        .fallback(not_found)
        // The `Allow` header is axum's; the body says it in words.
        .method_not_allowed_fallback(
            |method: axum::http::Method, uri: axum::http::Uri| async move {
                if method == axum::http::Method::OPTIONS && is_public_document(uri.path()) {
                    return preflight();
                }
                plain(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method not allowed: see the Allow header\n",
                )
            },
        )
        .layer(middleware::from_fn_with_state(shared.clone(), observe))
        .layer(
            tower_http::compression::CompressionLayer::new().compress_when(
                DefaultPredicate::new().and(not_prerendered as fn(_, _, &_, &_) -> bool),
            ),
        )
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        )
        .with_state(shared)
}

/// Serves the router until `shutdown` completes, then finishes in-flight requests. The
/// header timeout and connection limit come from `[server]`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let server = shared.config().server.clone();
    let limits = Limits {
        header_timeout: server.header_timeout,
        send_timeout: server.send_timeout,
        max_connections: server.max_connections,
    };
    let fast = shared.clone();
    let fast: conn::Fast = Arc::new(move |req| fast_answer(&fast, req));
    conn::run(listener, router(shared), Some(fast), limits, shutdown).await
}

/// The policy of our pages without pictures (a feed's web page, the status page, a digest's
/// archive): no script, no picture, no frame, no form; their own inline style sheet alone.
const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The headers every HTML page gets: no framing, no referrer, no sniffing, and `csp`.
fn html_headers(h: &mut HeaderMap, csp: &'static str) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// The documents any origin may read (the feeds and the source list): see [`conditional`].
fn is_public_document(path: &str) -> bool {
    path.starts_with("/feeds/") || path == "/sources.opml"
}

/// The answer to a CORS preflight for a public document: a reader running in a browser that
/// keeps validators itself sends `If-None-Match` or `If-Modified-Since`, which are not
/// CORS-safelisted request headers, so the browser asks first.
fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD"),
            (
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "If-None-Match, If-Modified-Since",
            ),
            (header::ACCESS_CONTROL_MAX_AGE, "86400"),
            (header::ALLOW, "GET, HEAD, OPTIONS"),
        ],
    )
        .into_response()
}

/// Every route pattern, as the `route` label of the request metrics.
const ROUTES: &[&str] = &[
    "/",
    "/feeds/{file}",
    "/feeds/topics/{file}",
    "/feeds/languages/{file}",
    "/feeds/sources/{file}",
    "/feeds/topics/{topic}/{file}",
    "/sources.opml",
    "/sources.json",
    "/digests/{name}/{file}",
    "/healthz",
    "/readyz",
    "/metrics",
    "/admin/fetch",
    "/admin/reload",
];

async fn observe(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    // A static label: no allocation per request, and a bounded label set by construction.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| ROUTES.iter().find(|r| **r == p.as_str()))
        .copied()
        .unwrap_or("unmatched");
    let started = Instant::now();
    let response = next.run(req).await;
    shared.metrics.request(
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

fn split_file(file: &str) -> Option<(&str, Format)> {
    let (stem, ext) = file.rsplit_once('.')?;
    Some((stem, ext.parse().ok()?))
}

async fn all_feed(
    State(s): State<Arc<Shared>>,
    Path(file): Path<String>,
    req: Request,
) -> Response {
    match split_file(&file) {
        Some(("all", format)) => feed(&s, &Scope::All, format, req.headers()),
        _ => plain(
            StatusCode::NOT_FOUND,
            "no such feed: try /feeds/all.rss, .atom, .json or .html\n",
        ),
    }
}

async fn topic_feed(
    State(s): State<Arc<Shared>>,
    Path(file): Path<String>,
    req: Request,
) -> Response {
    match split_file(&file) {
        Some((topic, format)) => feed(&s, &Scope::Topic(topic.to_string()), format, req.headers()),
        None => plain(
            StatusCode::NOT_FOUND,
            "no such feed format: use .rss, .atom, .json or .html\n",
        ),
    }
}

async fn language_feed(
    State(s): State<Arc<Shared>>,
    Path(file): Path<String>,
    req: Request,
) -> Response {
    match split_file(&file) {
        // Tags match in any case (`sr-latn` is `sr-Latn`), as language tags do.
        Some((tag, format)) => {
            let tag = s.config().language(tag).unwrap_or_else(|| tag.to_string());
            feed(&s, &Scope::Language(tag), format, req.headers())
        }
        None => plain(
            StatusCode::NOT_FOUND,
            "no such feed format: use .rss, .atom, .json or .html\n",
        ),
    }
}

async fn source_feed(
    State(s): State<Arc<Shared>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    match split_file(&file) {
        Some((id, format)) => {
            let config = s.config();
            if config.source(id).is_none() {
                return unknown("source", config.sources.iter().map(|s| s.id.as_str()));
            }
            lazy_feed(s, Scope::Source(id.to_string()), format, &headers).await
        }
        None => plain(
            StatusCode::NOT_FOUND,
            "no such feed format: use .rss, .atom, .json or .html\n",
        ),
    }
}

/// A topic's stories in one language: `/feeds/topics/dialogue/sq.rss`.
async fn topic_language_feed(
    State(s): State<Arc<Shared>>,
    Path((topic, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some((tag, format)) = split_file(&file) else {
        return plain(
            StatusCode::NOT_FOUND,
            "no such feed format: use .rss, .atom, .json or .html\n",
        );
    };
    let config = s.config();
    if config.classifier.title(&topic).is_none() {
        return unknown("topic", config.classifier.topics());
    }
    // Tags match in any case, as on `/feeds/languages/`.
    let Some(tag) = config.language(tag) else {
        return unknown("language", config.languages().iter().map(String::as_str));
    };
    lazy_feed(s, Scope::TopicLanguage(topic, tag), format, &headers).await
}

/// A feed that is not rendered ahead of time: from the cache when rendered since the last
/// change, else rendered now (once per change, not per request) and cached. Requests for a
/// feed that is being rendered wait for that render and take its result, so a burst of
/// readers after a change costs one render, not one each.
async fn lazy_feed(
    shared: Arc<Shared>,
    scope: Scope,
    format: Format,
    headers: &HeaderMap,
) -> Response {
    if !shared.rendered() {
        return starting();
    }
    if let (Some(doc), true) = shared.lazy_cached(&scope, format) {
        return conditional(&doc, headers);
    }
    let key = (scope.clone(), format);
    let turn = shared
        .lazy_turns
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key.clone())
        .or_default()
        .clone();
    let response = {
        let held = turn.clone().lock_owned().await;
        render_lazy(&shared, scope, format, headers, held).await
    };
    let mut turns = shared.lazy_turns.lock().unwrap_or_else(|e| e.into_inner());
    // Nobody else holds it (the map and this request do): forget it.
    if Arc::strong_count(&turn) == 2 {
        turns.remove(&key);
    }
    response
}

/// [`lazy_feed`]'s render, on its turn: a request that waited finds the feed rendered.
async fn render_lazy(
    shared: &Arc<Shared>,
    scope: Scope,
    format: Format,
    headers: &HeaderMap,
    turn: tokio::sync::OwnedMutexGuard<()>,
) -> Response {
    let set = shared.feeds();
    let generation = set.generation;
    let cached = match shared.lazy_cached(&scope, format) {
        (Some(doc), true) => return conditional(&doc, headers),
        (stale, _) => stale,
    };
    let s = shared.clone();
    // Kept by the render itself once it has its turn: a request that goes away (or times
    // out) meanwhile does not throw it away, nor let the next request start the same render
    // (the turn goes with it).
    let rendered = shared
        .blocking(&shared.render_turns, move || {
            let _turn = turn;
            let before = cached.as_deref();
            let doc = set.render_lazy(&s.store, &s.config(), &scope, format, before)?;
            Ok::<_, StoreError>(doc.map(|doc| {
                let doc = Arc::new(doc);
                s.metrics.rendered_lazily();
                s.lazy_feeds.lock().unwrap_or_else(|e| e.into_inner()).put(
                    scope,
                    format,
                    generation,
                    doc.clone(),
                );
                doc
            }))
        })
        .await;
    match rendered {
        Ok(Ok(Some(doc))) => conditional(&doc, headers),
        // The config changed between the check and the render.
        Ok(Ok(None)) => plain(StatusCode::NOT_FOUND, "unknown feed\n"),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "rendering a feed failed");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "could not read the store\n",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "rendering a feed failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
        }
    }
}

/// 503 while the first feed set is being rendered.
fn starting() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::RETRY_AFTER, "1"),
        ],
        "starting: feeds are being rendered\n",
    )
        .into_response()
}

fn feed(shared: &Shared, scope: &Scope, format: Format, headers: &HeaderMap) -> Response {
    match shared.feeds().get(scope, format) {
        Some(doc) => conditional(&doc, headers),
        // The daemon serves at once and renders its first set in the background.
        None if !shared.rendered() => starting(),
        None => {
            let config = shared.config();
            match scope {
                Scope::All | Scope::TopicLanguage(..) => {
                    plain(StatusCode::NOT_FOUND, "unknown feed\n")
                }
                Scope::Topic(_) => unknown("topic", config.classifier.topics()),
                Scope::Source(_) => unknown("source", config.sources.iter().map(|s| s.id.as_str())),
                Scope::Language(_) => {
                    unknown("language", config.languages().iter().map(String::as_str))
                }
            }
        }
    }
}

/// 404 for a topic, source or language that is not configured, naming those that are (the
/// first 50).
fn unknown<'a>(what: &str, known: impl Iterator<Item = &'a str>) -> Response {
    let known: Vec<&str> = known.collect();
    let mut msg = format!("unknown {what}; configured: ");
    msg.push_str(
        &known
            .iter()
            .take(50)
            .copied()
            .collect::<Vec<_>>()
            .join(", "),
    );
    if known.len() > 50 {
        msg.push_str(&format!(" and {} more", known.len() - 50));
    }
    if known.is_empty() {
        msg = format!("unknown {what}; none is configured");
    }
    msg.push('\n');
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        msg,
    )
        .into_response()
}

async fn opml(State(s): State<Arc<Shared>>, req: Request) -> Response {
    match s.feeds().opml() {
        Some(doc) => conditional(&doc, req.headers()),
        None => plain(StatusCode::SERVICE_UNAVAILABLE, "not rendered yet\n"),
    }
}

/// A ready document, or 304 when the client's validators still match. Gzipped (made at
/// render time) when the client accepts gzip.
fn conditional(doc: &Rendered, headers: &HeaderMap) -> Response {
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(inm) => inm.split(',').any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == doc.etag.trim_start_matches("W/")
        }),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| DateTime::<Utc>::from(since) >= doc.last_modified),
    };
    let mut response = Response::new(Body::empty());
    let h = response.headers_mut();
    h.insert(header::ETAG, doc.etag_header.clone());
    h.insert(header::LAST_MODIFIED, doc.last_modified_http.clone());
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Public documents, read without credentials: readers that run in a browser may fetch
    // them from another origin.
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    // Not a CORS-safelisted response header: such a reader could not read it otherwise.
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("ETag"),
    );
    if not_modified {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return response;
    }
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(doc.content_type),
    );
    if doc.content_type == Format::Html.content_type() {
        // A feed's web page: text and links, its own inline style, nothing else.
        html_headers(h, PAGE_CSP);
    }
    match doc.gzip.as_ref().filter(|_| accepts_gzip(headers)) {
        Some(packed) => {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            *response.body_mut() = Body::from(packed.clone());
        }
        None => *response.body_mut() = Body::from(doc.body.clone()),
    }
    response
}

/// Whether a response may be compressed on the way out: not a rendered document (it carries
/// an `ETag`), which is sent gzipped as made at render time, or as it is — the same bytes
/// whether the router or [`fast_answer`] serves it.
fn not_prerendered(
    _: StatusCode,
    _: axum::http::Version,
    headers: &HeaderMap,
    _: &axum::http::Extensions,
) -> bool {
    !headers.contains_key(header::ETAG)
}

/// Whether `Accept-Encoding` allows gzip (RFC 9110, 12.5.3): as `gzip` or `x-gzip` says when
/// either is listed (`q=0` refuses it), else as `*` says, else not.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut named: Option<bool> = None;
    let mut any: Option<bool> = None;
    for part in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut params = part.split(';');
        let coding = params.next().unwrap_or("").trim();
        let wanted = params
            .filter_map(|p| {
                let (name, value) = p.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| value.trim().parse::<f32>().ok())
                    .flatten()
            })
            .next_back()
            .is_none_or(|q| q > 0.0);
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            named = Some(named.unwrap_or(false) || wanted);
        } else if coding == "*" {
            any = Some(any.unwrap_or(false) || wanted);
        }
    }
    named.or(any).unwrap_or(false)
}

/// Answers a request for a merged, topic or language feed straight from the rendered set, before the
/// router and its layers (the hot path of a feed server: most requests are readers polling
/// these few documents). `None` for anything else, and for a feed not rendered: the router
/// answers those (404, 503 while starting).
pub fn fast_answer<B>(shared: &Shared, req: &axum::http::Request<B>) -> Option<Response> {
    if req.method() != axum::http::Method::GET && req.method() != axum::http::Method::HEAD {
        return None;
    }
    let started = Instant::now();
    let path = req.uri().path();
    let rest = path.strip_prefix("/feeds/")?;
    let (route, file, kind) = if let Some(file) = rest.strip_prefix("topics/") {
        ("/feeds/topics/{file}", file, Some(false))
    } else if let Some(file) = rest.strip_prefix("languages/") {
        ("/feeds/languages/{file}", file, Some(true))
    } else {
        ("/feeds/{file}", rest, None)
    };
    if file.contains('/') {
        return None;
    }
    let (stem, format) = split_file(file)?;
    let scope = match (kind, stem) {
        (Some(false), topic) => Scope::Topic(topic.to_string()),
        (Some(true), tag) => Scope::Language(tag.to_string()),
        (None, "all") => Scope::All,
        _ => return None,
    };
    let doc = shared.feeds().get(&scope, format)?;
    let response = conditional(&doc, req.headers());
    shared.metrics.request(
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    Some(response)
}

/// Anything no route serves: a GET or HEAD of a document's path with one trailing slash is
/// sent to the one without it (`/feeds/all.rss/`, `/metrics/`; not a folder's, such as
/// `/feeds/topics/dialogue/`, which would lead to a 404), and `/feeds` and `/index.html` to
/// the status page that lists every feed; the rest is 404. The Location is relative (a proxy's path prefix holds,
/// and it never names another host) and keeps the query.
async fn not_found(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    let path = uri.path();
    let readable = method == axum::http::Method::GET || method == axum::http::Method::HEAD;
    let location = match path {
        _ if !readable => None,
        "/feeds" | "/index.html" => Some("./".to_string()),
        "/feeds/" => Some("../".to_string()),
        _ => path
            .strip_suffix('/')
            .filter(|p| !p.ends_with('/'))
            .and_then(|p| p.rsplit_once('/'))
            .filter(|(_, last)| {
                last.contains('.') || matches!(*last, "healthz" | "readyz" | "metrics")
            })
            .map(|(_, last)| format!("../{last}")),
    };
    match location {
        Some(mut location) => {
            if let Some(query) = uri.query() {
                location.push('?');
                location.push_str(query);
            }
            (
                StatusCode::PERMANENT_REDIRECT,
                [(header::LOCATION, location)],
                "moved\n",
            )
                .into_response()
        }
        None => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// The store cannot be written: stories fetched now are lost to this process.
fn store_unavailable(since: DateTime<Utc>, error: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "store failing since {}: {error}\n",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    )
        .into_response()
}

async fn healthz(State(s): State<Arc<Shared>>) -> Response {
    match s.store_failure() {
        Some((since, error)) => store_unavailable(since, &error),
        None => plain(StatusCode::OK, "ok\n"),
    }
}

async fn readyz(State(s): State<Arc<Shared>>) -> Response {
    // Ready once the feeds are rendered from the store: a partner's server that does not
    // answer must not keep an instance that serves every feed out of its load balancer, nor
    // must a store that takes no writes (the feeds rendered are still served; `/healthz`
    // fails, and the daemon restarts). The body says whether the first fetch cycle is done.
    let failing = s.store_failure().map(|(since, error)| {
        format!(
            "; the store takes no writes since {}: {error}",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    });
    let failing = failing.as_deref().unwrap_or("");
    let (status, said) = if !s.rendered() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "starting: the feeds are not rendered yet",
        )
    } else if s.ready.load(Ordering::Acquire) {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::OK, "ready; first fetch cycle running")
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{said}{failing}\n"),
    )
        .into_response()
}

/// prometheus-client writes the OpenMetrics text format (`_total` samples of a counter
/// family, `# EOF`): said so, Prometheus reads the counters as counters. A scraper that does
/// not ask for it (older agents, `curl`) gets Prometheus's classic text format, in which a
/// counter's family goes by its samples' name: read as OpenMetrics, its counters would be
/// untyped.
async fn metrics_text(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let open_metrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.to_ascii_lowercase()
                .contains("application/openmetrics-text")
        });
    let text = s.metrics.encode();
    // The body goes by `Accept`: a cache in front must keep the two apart.
    let vary = (header::VARY, "accept");
    if open_metrics {
        (
            [
                (
                    header::CONTENT_TYPE,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
                vary,
            ],
            text,
        )
            .into_response()
    } else {
        (
            [
                (
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                ),
                vary,
            ],
            metrics::classic(&text),
        )
            .into_response()
    }
}

async fn status_page(State(s): State<Arc<Shared>>) -> Response {
    let shared = s.clone();
    let page = s.blocking(&s.page_turns, move || {
        let config = shared.config();
        // The sources' states unreadable: said in the banner, not shown as no sources.
        let (health, unreadable) = match shared.health() {
            Ok(health) => (health, None),
            Err(e) => (
                Vec::new(),
                Some(format!("The sources' states cannot be read: {e}.")),
            ),
        };
        let total = shared.story_count();
        let rendered = shared
            .rendered_at
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| "pending".into());
        let failing = shared.store_failure().map(|(since, error)| {
            format!(
                "The store has taken no writes since {}: {error}. Fetched stories are not stored.",
                since.format("%Y-%m-%d %H:%M:%S UTC")
            )
        });
        // Why it failed is in the log: a config's text is not for a public page.
        let reload = shared.reload_failure().map(|at| {
            format!(
                "The config reload of {} failed: the daemon runs on the config it had before (the log says why).",
                at.format("%Y-%m-%d %H:%M:%S UTC")
            )
        });
        let alerts: Vec<String> = [failing, unreadable, reload].into_iter().flatten().collect();
        let alert = (!alerts.is_empty()).then(|| alerts.join(" "));
        let digests = status::digest_rows(&config, &shared.store);
        status::render(
            &config,
            &health,
            total,
            &rendered,
            alert.as_deref(),
            &digests,
        )
    })
    .await
    .unwrap_or_else(|e| format!("<!DOCTYPE html><title>status</title><p>error: {e}"));
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response();
    let h = response.headers_mut();
    html_headers(h, PAGE_CSP);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `/digests/{name}/latest.{html,txt,eml,json}`, `/digests/{name}/{YYYY-MM-DD}.{…}` (the
/// newest digest whose period ends on that day in the digest's time zone),
/// `/digests/{name}/{id}.{…}` (the one whose period ends at that instant, as the index names
/// it) and `/digests/{name}/index.json`.
async fn digest_file(
    State(s): State<Arc<Shared>>,
    Path((name, file)): Path<(String, String)>,
) -> Response {
    let Some((which, ext)) = file.rsplit_once('.') else {
        return plain(
            StatusCode::NOT_FOUND,
            "no such digest file: use .html, .txt, .eml or .json\n",
        );
    };
    let content_type = match ext {
        "html" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "eml" => "message/rfc822",
        "json" => "application/json",
        _ => {
            return plain(
                StatusCode::NOT_FOUND,
                "no such digest file: use .html, .txt, .eml or .json\n",
            )
        }
    };
    let config = s.config();
    let Some(d) = config.digest(&name).cloned() else {
        return plain(StatusCode::NOT_FOUND, "unknown digest\n");
    };
    if which == "index" && ext == "json" {
        return digest_index(&s, d.name).await;
    }
    if which == "index" && ext == "html" {
        return digest_archive(&s, d).await;
    }
    // The newest, the newest ending within that local day (one that found nothing to send
    // only when no other is there), or the one ending at that instant.
    enum Which {
        Show(Option<(DateTime<Utc>, DateTime<Utc>)>),
        Exact(DateTime<Utc>),
    }
    let which = match which {
        "latest" => Which::Show(None),
        other => match (
            chrono::NaiveDate::parse_from_str(other, "%Y-%m-%d"),
            crate::digest::run::parse_time_stamp(other),
        ) {
            // A digest is named by the local date of its last whole second, a second before
            // its end (`Period::label`): one ending at midnight is the day before's, so the
            // day holds the ends a second after its start to a second after the next day's.
            (Ok(date), _) => {
                let (start, next) = local_day(&d.time_zone, date);
                let second = chrono::Duration::seconds(1);
                Which::Show(Some((start + second, next + second)))
            }
            (_, Some(end)) => Which::Exact(end),
            _ => return plain(StatusCode::NOT_FOUND, "no such digest yet\n"),
        },
    };
    let name = d.name.clone();
    let found = s
        .read_digests(move |store| match which {
            Which::Show(day) => {
                let (from, until) = day.unzip();
                store.digest_to_show(&d.name, from, until, !d.send_empty)
            }
            // The id names its end to the second or to the millisecond (a digest by hand; one
            // stored before ends were cut to milliseconds may have a finer end).
            Which::Exact(end) => store.digest_to_show(
                &d.name,
                Some(end),
                Some(if end.timestamp_subsec_millis() == 0 {
                    end + chrono::Duration::seconds(1)
                } else {
                    end + chrono::Duration::milliseconds(1)
                }),
                false,
            ),
        })
        .await;
    let record = match found {
        Ok(Some(record)) => record,
        Ok(None) => return plain(StatusCode::NOT_FOUND, "no such digest yet\n"),
        Err(error) => {
            tracing::error!(%error, digest = %name, "reading a digest failed");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read the digest\n",
            );
        }
    };
    let body = match ext {
        "html" => record.html,
        "txt" => record.text,
        "eml" => record.eml,
        _ => serde_json::to_string_pretty(&record.json).unwrap_or_default(),
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if ext == "html" {
        // Digests may show the stories' images (`images = true`), from wherever they are.
        html_headers(h, "default-src 'none'; style-src 'unsafe-inline'; img-src https: http:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    }
    response
}

/// How many digests `/digests/{name}/index.json` lists, newest first.
const DIGEST_INDEX_MAX: usize = 100;

/// How many of a digest's newest periods `/digests/{name}/index.json` reads for its issues.
const DIGEST_INDEX_SCAN: usize = 2_000;

/// `/digests/{name}/index.json`: the newest digests of a name, each with its period, count,
/// subject, sending state and the URLs of its files, for a pipeline that wants every one
/// rather than the latest.
async fn digest_index(s: &Arc<Shared>, name: String) -> Response {
    let digest = name.clone();
    let listed = s
        .read_digests(move |store| -> Result<Vec<serde_json::Value>, StoreError> {
            let mut out = Vec::new();
            // An empty period that was neither written nor sent (without `send_empty`) is no
            // issue: it only marks where the next starts. Looked for among the newest
            // DIGEST_INDEX_SCAN periods (three months of an hourly digest): a request reads no
            // more, however long the digest has run quiet.
            let issues = store
                .digests_newest_first(&name)?
                .take(DIGEST_INDEX_SCAN)
                .filter(|r| r.as_ref().map_or(true, crate::digest::run::is_issue));
            for record in issues.take(DIGEST_INDEX_MAX) {
                let r = record?;
                let id = crate::digest::run::time_stamp(r.end);
                let file = |ext: &str| format!("/digests/{}/{id}.{ext}", r.name);
                out.push(serde_json::json!({
                    "id": id,
                    // Times as the digest's data writes them (chrono's RFC 3339, `…Z`).
                    "start": r.start,
                    "end": r.end,
                    "count": r.count,
                    "subject": r.subject,
                    "message_id": r.message_id,
                    "sent_at": r.sent_at,
                    "send_error": r.send_error,
                    "send_uncertain": r.send_uncertain,
                    "send_refused": r.send_refused,
                    "outboxed_at": r.outboxed_at,
                    "html": file("html"),
                    "txt": file("txt"),
                    "eml": file("eml"),
                    "json": file("json"),
                }));
            }
            Ok(out)
        })
        .await;
    match listed {
        Ok(list) => {
            let mut response = (
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::to_string_pretty(&list).unwrap_or_default(),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Err(error) => {
            tracing::error!(%error, %digest, "reading the digests for the index failed");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read the digests\n",
            )
        }
    }
}

/// `/digests/{name}/index.html`: the newest issues of a digest (those with stories, every
/// one with `send_empty`) as a page for people, in the digest's language, each linked to its
/// HTML.
async fn digest_archive(s: &Arc<Shared>, d: crate::config::DigestConfig) -> Response {
    #[derive(serde::Serialize)]
    struct Issue {
        href: String,
        period: String,
        count: String,
    }
    let (name, send_empty, locale) = (d.name.clone(), d.send_empty, d.locale);
    let listed = s
        .read_digests(move |store| -> Result<Vec<Issue>, StoreError> {
            let mut out = Vec::new();
            // Bounded twice: the issues shown, and the records read to find them (an hourly
            // digest of a quiet topic has many empty ones).
            for record in store.digests_newest_first(&name)?.take(DIGEST_ARCHIVE_READ) {
                let r = record?;
                if r.count == 0 && !send_empty {
                    continue;
                }
                let said =
                    |key: &str, or: String| r.json[key].as_str().map(str::to_string).unwrap_or(or);
                out.push(Issue {
                    href: format!("{}.html", crate::digest::run::time_stamp(r.end)),
                    period: said("period_label", r.subject.clone()),
                    count: said("count_label", locale.count(r.count)),
                });
                if out.len() == DIGEST_INDEX_MAX {
                    break;
                }
            }
            Ok(out)
        })
        .await;
    let issues = match listed {
        Ok(issues) => issues,
        Err(error) => {
            tracing::error!(%error, digest = %d.name, "reading the digests for the archive failed");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read the digests\n",
            );
        }
    };
    let labels = locale.page_labels();
    let page = ARCHIVE.get_template("archive.html").and_then(|t| {
        t.render(minijinja::context! {
            lang => locale.tag(),
            title => &d.title,
            archive => labels.archive,
            no_issues => labels.no_issues,
            issues => issues,
        })
    });
    match page {
        Ok(html) => {
            let mut response =
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
            let h = response.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            html_headers(h, PAGE_CSP);
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "rendering a digest archive failed");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot render the archive\n",
            )
        }
    }
}

/// How many digest records the archive page reads at most to find the issues it shows.
const DIGEST_ARCHIVE_READ: usize = 1_000;

/// The digest archive page's template, parsed once.
static ARCHIVE: std::sync::LazyLock<minijinja::Environment<'static>> =
    std::sync::LazyLock::new(|| crate::publish::html_template("archive.html", ARCHIVE_TEMPLATE));

/// The digest archive page's template.
const ARCHIVE_TEMPLATE: &str = include_str!("archive.html");

/// The instants a calendar day in `tz` spans, `[start, start of the next day)`. A day whose
/// midnight falls in a daylight-saving gap starts at its first existing hour.
fn local_day(tz: &chrono_tz::Tz, date: chrono::NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    use chrono::TimeZone as _;
    let start = |d: chrono::NaiveDate| {
        (0..24)
            .find_map(|h| tz.from_local_datetime(&d.and_hms_opt(h, 0, 0)?).earliest())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
    };
    let next = date.succ_opt().unwrap_or(date);
    (start(date), start(next))
}

/// Every source's health as JSON (what `tributary sources --json` prints; the CLI reads it here
/// while the daemon holds the store).
async fn sources_json(State(s): State<Arc<Shared>>) -> Response {
    let shared = s.clone();
    let health = s.blocking(&s.page_turns, move || shared.health()).await;
    match health {
        Ok(Ok(h)) => (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&h).unwrap_or_else(|_| "[]".into()),
        )
            .into_response(),
        _ => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot read source health\n",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip_for(values: &[&str]) -> bool {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::ACCEPT_ENCODING, v.parse().unwrap());
        }
        accepts_gzip(&headers)
    }

    #[test]
    fn gzip_is_sent_as_accept_encoding_says() {
        for yes in [
            &["gzip"][..],
            &["deflate, gzip;q=0.5"],
            &["x-gzip"],
            &["*"],
            &["br", "GZIP ; Q=1"],
            &["gzip;q=0, x-gzip"],
        ] {
            assert!(gzip_for(yes), "{yes:?}");
        }
        for no in [
            &[][..],
            &["identity"],
            &["deflate, gzip;q=0"],
            // Named and refused: `*` speaks only for codings not listed.
            &["gzip;q=0, *"],
            &["*, gzip;q=0"],
            &["gzip;Q=0"],
            &["gzip; q=0.000"],
            &["*;q=0"],
        ] {
            assert!(!gzip_for(no), "{no:?}");
        }
    }
}
