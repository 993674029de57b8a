//! Fetch: bytes and metadata from a source, politely and within limits. No parsing here.
//!
//! Conditional GET with the stored validators, an identifying User-Agent, connect and total
//! timeouts, a body limit enforced while streaming (after decompression), a redirect limit,
//! `Retry-After` on 429/503, and bounded concurrency overall and per host.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::StatusCode;
use tokio::io::AsyncReadExt;
use url::Url;

pub mod guard;
pub mod limit;

use limit::{Limit, Permit};

use crate::config::FetchConfig;
use crate::model::{Location, Source, SourceState};

/// A document as fetched.
#[derive(Debug, Clone)]
pub struct Document {
    /// The body, decompressed.
    pub body: Vec<u8>,
    /// The URL after redirects (None for local files).
    pub final_url: Option<Url>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `ETag` header.
    pub etag: Option<String>,
    /// The `Last-Modified` header.
    pub last_modified: Option<String>,
    /// HTTP status (200 for files).
    pub status: u16,
}

/// What a fetch gave.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// The server answered 304 to our validators: nothing to parse.
    NotModified,
    /// A full document.
    Document(Document),
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// No complete response within the limit.
    #[error("timed out after {}", humantime::format_duration(*.0))]
    Timeout(Duration),
    /// DNS, TCP or TLS failure.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The server's certificate was refused, said in words with the way out.
    #[error("cannot connect: {0}")]
    Certificate(String),
    /// The server answered with an error status.
    #[error("HTTP {status}{}{}", retry_after.map(describe_retry_after).unwrap_or_default(), if *status == 410 { " Gone: the feed was removed (give the source another url, or remove it; it is tried again after backoff_max)" } else { "" })]
    Status {
        /// The status code.
        status: u16,
        /// What the server asked us to wait (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// The body exceeded the configured maximum.
    #[error("the response is larger than fetch.max_body_size ({})", size_text(*limit))]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A public source led to a loopback, private or link-local address.
    #[error("{0}")]
    Refused(String),
    /// More redirects than allowed, or a loop.
    #[error("too many redirects (limit {0})")]
    TooManyRedirects(usize),
    /// A local feed file could not be read.
    #[error("cannot read {path}: {message}")]
    File {
        /// The path.
        path: String,
        /// The IO error.
        message: String,
    },
    /// A local feed file was not read whole within the limit (a FIFO nobody writes, a hung
    /// network mount).
    #[error("timed out reading {path} after {}", humantime::format_duration(*after))]
    FileTimeout {
        /// The path.
        path: String,
        /// The limit (`[fetch] timeout`).
        after: Duration,
    },
    /// A local feed file an earlier read of which outlived its limit and has not ended
    /// (blocked, after a [`FetchError::FileTimeout`]): it is not read again until that read
    /// ends, else each attempt would leave one more thread blocked, up to tokio's cap, past
    /// which nothing else could run on one.
    #[error("cannot read {path}: an earlier read is still blocked (timed out after {}); not read again until it ends", humantime::format_duration(*after))]
    FileBlocked {
        /// The path.
        path: String,
        /// The limit the earlier read was cut at.
        after: Duration,
    },
    /// The feed wants a login (401): none was configured, or it was refused.
    #[error("{}", if *.tried { "HTTP 401: the login was refused (check username and the password in the environment)" } else { "HTTP 401: the feed needs a login (set username and password_env)" })]
    Login {
        /// A login was sent.
        tried: bool,
    },
    /// The source's password is not in the environment.
    #[error("the password of this source is read from ${0}, which is not set")]
    NoPassword(String),
    /// The proxy's password is not in the environment.
    #[error("the proxy's password is read from ${0}, which is not set")]
    NoProxyPassword(String),
    /// A 304 Not Modified to a request that asked nothing of the kind (no validator was
    /// sent): a misconfigured server or cache in front of it, which would otherwise pass for
    /// a healthy feed that never changes.
    #[error("HTTP 304 Not Modified to a request that sent no ETag or date to compare with: the server (or a cache in front of it) is misconfigured")]
    UnaskedNotModified,
    /// Anything else reqwest reports.
    #[error("request failed: {0}")]
    Other(String),
}

/// A configured byte size as it was likely written: `15 MiB`, `16 KiB`, else in bytes.
fn size_text(bytes: u64) -> String {
    [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        .iter()
        .find(|(_, unit)| bytes >= *unit && bytes % unit == 0)
        .map_or_else(
            || format!("{bytes} bytes"),
            |(name, unit)| format!("{} {name}", bytes / unit),
        )
}

/// What a request to a source carries besides its URL and validators.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Extras<'a> {
    /// Replaces `[fetch] user_agent`.
    pub user_agent: Option<&'a str>,
    /// HTTP Basic login.
    pub auth: Option<&'a crate::model::BasicAuth>,
    /// More headers (validated when the config was loaded).
    pub headers: &'a [(String, String)],
    /// The server's certificate is not checked (`accept_invalid_certificates`).
    pub accept_invalid_certificates: bool,
}

impl<'a> Extras<'a> {
    /// A source's.
    pub fn of(source: &'a Source) -> Extras<'a> {
        Extras {
            user_agent: source.user_agent.as_deref(),
            auth: source.auth.as_ref(),
            headers: &source.headers,
            accept_invalid_certificates: source.accept_invalid_certificates,
        }
    }
}

impl FetchError {
    /// The kind of failure, as the `fetch_errors` metric names it (one of
    /// [`crate::ingest::ERROR_KINDS`]): what an alert or a dashboard can group by.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Timeout(_) | FetchError::FileTimeout { .. } => "timeout",
            FetchError::Certificate(_) => "tls",
            FetchError::Connect(_) => "connect",
            FetchError::Status { status: 429, .. } => "http_429",
            FetchError::Status { status, .. } if *status >= 500 => "http_5xx",
            FetchError::Status { .. } | FetchError::UnaskedNotModified => "http_4xx",
            FetchError::Login { .. } => "login",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Refused(_) => "refused",
            FetchError::TooManyRedirects(_) => "redirects",
            FetchError::File { .. } | FetchError::FileBlocked { .. } => "file",
            FetchError::NoPassword(_) | FetchError::NoProxyPassword(_) => "config",
            FetchError::Other(_) => "other",
        }
    }

    /// How long the server asked us to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The server is limiting our rate (429): the host's, which its other sources share.
    pub fn rate_limited(&self) -> bool {
        matches!(self, FetchError::Status { status: 429, .. })
    }

    /// The server said the feed is gone for good (410): it is tried again only after the
    /// longest backoff.
    pub fn gone(&self) -> bool {
        matches!(self, FetchError::Status { status: 410, .. })
    }
}

/// The host whose limits an http(s) source is under (one machine, whatever its ports);
/// `None` for a file.
fn host_of(source: &Source) -> Option<&str> {
    match &source.location {
        Location::Http(url) => Some(url.host_str().unwrap_or("")),
        Location::File(_) => None,
    }
}

/// The service whose pause (a 429's `Retry-After`) an http(s) source is under: its host, with
/// its port when that is not its scheme's own (`http://x/` and `https://x/` are one site's,
/// `x:8080` another program's, which asked nothing); `None` for a file.
fn service_of(source: &Source) -> Option<String> {
    match &source.location {
        Location::Http(url) => {
            let host = url.host_str().unwrap_or("");
            Some(match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            })
        }
        Location::File(_) => None,
    }
}

/// The HTTP client with its limits; cheap to share behind an `Arc`.
pub struct Fetcher {
    /// The clients that check certificates.
    checked: Clients,
    /// The clients for sources with `accept_invalid_certificates`, built when one is first
    /// fetched.
    unchecked: OnceLock<Clients>,
    /// What the clients resolve public names with, for those built later.
    resolver: Arc<guard::GuardedResolver>,
    /// `[fetch] proxy`, with its login.
    proxy: Option<reqwest::Proxy>,
    config: FetchConfig,
    limits: Arc<Limits>,
    /// Redirects followed, by the URL asked for: whether every hop was permanent (301, 308),
    /// and where the last one led ([`Fetcher::moved`]).
    hops: Hops,
    /// The environment variable that should hold the proxy's password, when it is not set.
    no_proxy_password: Option<String>,
}

/// A fetcher's HTTP clients, one for each kind of request.
struct Clients {
    /// For sources on the public internet: guarded DNS and redirects.
    public: reqwest::Client,
    /// For sources whose configured URL is local on purpose.
    local: reqwest::Client,
    /// The two above for sources with a login or headers: no redirect to another site.
    private_public: reqwest::Client,
    private_local: reqwest::Client,
}

impl Clients {
    fn pick(&self, local: bool, private: bool) -> &reqwest::Client {
        match (local, private) {
            (true, false) => &self.local,
            (false, false) => &self.public,
            (true, true) => &self.private_local,
            (false, true) => &self.private_public,
        }
    }
}

/// How many fetches run at once, in all and to one host: shared by the fetchers a reload
/// replaces one with another (see [`limit`]).
#[derive(Debug)]
pub struct Limits {
    global: Arc<Limit>,
    hosts: Mutex<Hosts>,
    /// Hosts that asked to be left alone until a time (a 429 with `Retry-After`), with the
    /// source whose request was answered so: a rate limit is the host's, not one feed's, so
    /// its other sources wait too. (A 503 is about the page asked for, often one feed of a
    /// site in maintenance: only its source waits.)
    paused: Mutex<HashMap<String, HostPause>>,
}

/// A host's request to be left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPause {
    /// Until when.
    pub until: DateTime<Utc>,
    /// The source whose request it answered with 429.
    pub by: String,
}

#[derive(Debug)]
struct Hosts {
    /// The size of each host's limit.
    each: usize,
    by_name: HashMap<String, Arc<Limit>>,
}

impl Limits {
    /// Limits as `config` sets them.
    pub fn new(config: &FetchConfig) -> Arc<Limits> {
        Arc::new(Limits {
            global: Limit::new(config.concurrency),
            hosts: Mutex::new(Hosts {
                each: config.per_host_concurrency,
                by_name: HashMap::new(),
            }),
            paused: Mutex::default(),
        })
    }

    /// Leaves `host` alone until `until` (or later, if it asked for longer before), as it
    /// answered a request for source `by`.
    pub fn pause(&self, host: &str, until: DateTime<Utc>, by: &str) {
        let mut paused = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        if paused.get(host).is_none_or(|p| p.until < until) {
            paused.insert(
                host.to_string(),
                HostPause {
                    until,
                    by: by.to_string(),
                },
            );
        }
    }

    /// Until when `host` asked to be left alone, if that is after `now`, and why.
    pub fn paused_until(&self, host: &str, now: DateTime<Utc>) -> Option<HostPause> {
        let mut paused = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        paused.retain(|_, p| p.until > now);
        paused.get(host).cloned()
    }

    /// Makes the limits what `config` sets, fetches running or not.
    pub fn resize(&self, config: &FetchConfig) {
        self.global.resize(config.concurrency);
        let mut hosts = self.hosts();
        hosts.each = config.per_host_concurrency;
        // Hosts no fetch is at or waiting for are forgotten (a source gone with the reload
        // leaves none behind); the others keep their holders' places.
        hosts
            .by_name
            .retain(|_, limit| Arc::strong_count(limit) > 1);
        for limit in hosts.by_name.values() {
            limit.resize(config.per_host_concurrency);
        }
    }

    /// The fetches that may run at once in all (the configured number).
    pub fn global(&self) -> &Arc<Limit> {
        &self.global
    }

    /// `host`'s limit.
    pub fn host(&self, host: &str) -> Arc<Limit> {
        let mut hosts = self.hosts();
        let each = hosts.each;
        hosts
            .by_name
            .entry(host.to_string())
            .or_insert_with(|| Limit::new(each))
            .clone()
    }

    fn hosts(&self) -> std::sync::MutexGuard<'_, Hosts> {
        self.hosts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// See [`Fetcher::moved`].
type Hops = Arc<Mutex<HashMap<Url, (bool, Url)>>>;

fn without_fragment(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    url
}

/// Follows at most `max` redirects, recording them in `hops` (see [`Fetcher::moved`]).
/// `guarded`: no redirect to a private address literal; `proxied` (through `[fetch] proxy`,
/// which resolves names itself, past the guard): nor to a name of a private network
/// ([`guard::internal_name`]). `same_site`: no redirect to another
/// scheme, host or port, for a source whose trust is its site's (a login or headers of its
/// own, which the HTTP client would drop only some of there, and never custom ones; a
/// certificate not checked), saying what following it would do.
fn redirect_policy(
    max: usize,
    hops: Hops,
    guarded: bool,
    proxied: bool,
    same_site: Option<&'static str>,
) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        // Recorded only once followed (below), by the URL asked for without its
        // fragment (the client never sends one, and gives none back here).
        let hop = |attempt: &reqwest::redirect::Attempt<'_>| {
            let Some(asked) = attempt.previous().first() else {
                return;
            };
            let permanent = matches!(attempt.status().as_u16(), 301 | 308);
            let mut hops = hops.lock().unwrap_or_else(|e| e.into_inner());
            let hop = hops
                .entry(without_fragment(asked))
                .or_insert_with(|| (true, attempt.url().clone()));
            *hop = (hop.0 && permanent, attempt.url().clone());
        };
        if attempt.previous().len() > max {
            return attempt.error(format!("too many redirects (limit {max})"));
        }
        if guarded {
            if let Some(ip) = guard::forbidden_literal(attempt.url()) {
                return attempt.error(format!(
                    "refused: redirect to {ip} (a loopback, private or link-local address)"
                ));
            }
            // (A source the config names by such a name is fetched as configured, redirects
            // and all; so is a redirect within the host asked.)
            let chosen = |first: &Url| {
                guard::internal_name(first).is_some()
                    || first.host_str() == attempt.url().host_str()
            };
            let internal = proxied && !attempt.previous().first().is_some_and(chosen);
            if let Some(name) = internal
                .then(|| guard::internal_name(attempt.url()))
                .flatten()
            {
                return attempt.error(format!(
                    "refused: redirect to {name}, a name of a private network, through the proxy (set url to it if it is to be fetched)"
                ));
            }
        }
        if let Some(why) = same_site {
            let first = attempt.previous().first().map(Url::origin);
            if first.is_some_and(|o| o != attempt.url().origin()) {
                let to = Location::Http(attempt.url().clone()).to_string();
                return attempt.error(format!(
                    "refused: redirect to {to}, another site, {why} (set url to it if it is to be trusted)"
                ));
            }
        }
        // The client follows http(s) alone, and refuses the rest after this.
        if matches!(attempt.url().scheme(), "http" | "https") {
            hop(&attempt);
        }
        attempt.follow()
    })
}

impl Fetcher {
    /// Builds the clients from the `[fetch]` config.
    pub fn new(config: &FetchConfig) -> Result<Fetcher, FetchError> {
        Fetcher::sharing(config, Limits::new(config))
    }

    /// [`Fetcher::new`] under `limits`, which other fetchers may share (those of the config
    /// before a reload): their sizes are left as they are.
    pub fn sharing(config: &FetchConfig, limits: Arc<Limits>) -> Result<Fetcher, FetchError> {
        Fetcher::with_resolver(config, guard::GuardedResolver::system(), limits)
    }

    /// Builds the clients with a given resolver for public sources (tests use a fixed table).
    pub fn with_resolver(
        config: &FetchConfig,
        resolver: guard::GuardedResolver,
        limits: Arc<Limits>,
    ) -> Result<Fetcher, FetchError> {
        // Through `[fetch] proxy` when there is one. The proxy resolves the sources' names
        // itself, so the guard's DNS check cannot apply there; redirects to a private address
        // literal are still refused (see `redirect_policy`). Never a proxy from the
        // environment: it would resolve names past the guard, unannounced.
        // Its password is read once, here (at start and at each reload); without it every
        // request to a public source fails, naming the variable.
        let mut no_proxy_password = None;
        let proxy = match &config.proxy {
            Some(p) => {
                let mut proxy = reqwest::Proxy::all(p.url.as_str())
                    .map_err(|e| FetchError::Other(error_chain(&e)))?;
                if let Some(auth) = &p.auth {
                    match std::env::var(&auth.password_env) {
                        Ok(password) => proxy = proxy.basic_auth(&auth.username, &password),
                        Err(_) => no_proxy_password = Some(auth.password_env.clone()),
                    }
                }
                Some(proxy)
            }
            None => None,
        };
        let resolver = Arc::new(resolver);
        let hops = Hops::default();
        Ok(Fetcher {
            checked: Fetcher::clients(config, &resolver, proxy.as_ref(), &hops, false)?,
            unchecked: OnceLock::new(),
            resolver,
            proxy,
            config: config.clone(),
            limits,
            hops,
            no_proxy_password,
        })
    }

    /// The four clients (public or local, with or without a login or headers), checking the
    /// servers' certificates or not (`unchecked`, for `accept_invalid_certificates`).
    fn clients(
        config: &FetchConfig,
        resolver: &Arc<guard::GuardedResolver>,
        proxy: Option<&reqwest::Proxy>,
        hops: &Hops,
        unchecked: bool,
    ) -> Result<Clients, FetchError> {
        let build = |guarded: bool, same_site: Option<&'static str>| {
            let proxied = guarded && proxy.is_some();
            reqwest::Client::builder()
                .user_agent(config.user_agent.clone())
                .connect_timeout(config.connect_timeout)
                .timeout(config.timeout)
                .gzip(true)
                .brotli(true)
                .deflate(true)
                .pool_idle_timeout(Duration::from_secs(30))
                .redirect(redirect_policy(
                    config.max_redirects,
                    hops.clone(),
                    guarded,
                    proxied,
                    same_site,
                ))
                // Every check but the certificate's (its authority, dates and names) stays:
                // the guard, the proxy, the limits, the redirect policy.
                .danger_accept_invalid_certs(unchecked)
        };
        let public = |same_site| {
            let builder = build(true, same_site).no_proxy();
            match proxy {
                Some(proxy) => builder.proxy(proxy.clone()),
                None => builder.dns_resolver(resolver.clone()),
            }
            .build()
            .map_err(|e| FetchError::Other(error_chain(&e)))
        };
        // A source on this host or network on purpose is fetched directly.
        let local = |same_site| {
            build(false, same_site)
                .no_proxy()
                .build()
                .map_err(|e| FetchError::Other(error_chain(&e)))
        };
        // A source with a login or headers, or whose certificate is not checked, keeps to its
        // site: the trust it was given is that site's.
        const PRIVATE: &str = "which would get this source's login or headers";
        const UNCHECKED: &str = "whose certificate would not be checked either";
        const BOTH: &str = "which would get this source's login or headers, and whose certificate would not be checked either";
        let (plain, private) = if unchecked {
            (Some(UNCHECKED), Some(BOTH))
        } else {
            (None, Some(PRIVATE))
        };
        Ok(Clients {
            public: public(plain)?,
            local: local(plain)?,
            private_public: public(private)?,
            private_local: local(private)?,
        })
    }

    /// The clients for a request as `extras` asks: those that do not check certificates are
    /// built at the first fetch of a source that sets `accept_invalid_certificates`.
    fn clients_for(&self, extras: Extras<'_>) -> Result<&Clients, FetchError> {
        if !extras.accept_invalid_certificates {
            return Ok(&self.checked);
        }
        if let Some(clients) = self.unchecked.get() {
            return Ok(clients);
        }
        let built = Fetcher::clients(
            &self.config,
            &self.resolver,
            self.proxy.as_ref(),
            &self.hops,
            true,
        )?;
        // Two first fetches at once: either's clients serve both.
        Ok(self.unchecked.get_or_init(|| built))
    }

    /// Where the last fetch of `url` was sent for good: the address its redirects led to when
    /// every one of them was permanent (301 or 308), so the source's `url` should say it.
    /// Forgets the redirects of that fetch either way.
    pub fn moved(&self, url: &Url) -> Option<Url> {
        let asked = without_fragment(url);
        let hop = self
            .hops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&asked);
        hop.filter(|(permanent, to)| *permanent && *to != asked)
            .map(|(_, to)| to)
    }

    /// Fetches a source's document, conditionally when validators are known.
    pub async fn fetch(&self, source: &Source, state: &SourceState) -> Result<Fetched, FetchError> {
        self.fetch_waiting(source, state).await.0
    }

    /// [`Fetcher::fetch`], also saying how long the fetch waited for a free slot (its host's,
    /// then the pass's) before it began: a quick answer queued behind a slow host's other
    /// sources did not take that long itself.
    pub async fn fetch_waiting(
        &self,
        source: &Source,
        state: &SourceState,
    ) -> (Result<Fetched, FetchError>, Duration) {
        self.fetch_holding(source, state, None).await
    }

    /// A slot of the source's host (`None` for a file), for a caller that takes it before
    /// anything else it waits for: a source queued behind its host's others then holds no
    /// other place meanwhile. Passed on to [`Fetcher::fetch_holding`].
    pub async fn host_slot(&self, source: &Source) -> Option<Permit> {
        match host_of(source) {
            Some(host) => Some(self.host_permit(host).await),
            None => None,
        }
    }

    /// Until when the host of `source` (on its port, [`service_of`]) asked to be left alone,
    /// and by answering which source (see [`Limits::pause`]).
    pub fn host_paused(&self, source: &Source) -> Option<HostPause> {
        service_of(source).and_then(|host| self.limits.paused_until(&host, Utc::now()))
    }

    /// Leaves the host of `source` alone for `wait`, as its answer to `source` asked (a week at
    /// most, as for the source itself).
    pub fn pause_host(&self, source: &Source, wait: Duration) {
        let wait = chrono::TimeDelta::from_std(wait.min(MAX_RETRY_AFTER)).unwrap_or_default();
        if let (Some(host), Some(until)) = (service_of(source), Utc::now().checked_add_signed(wait))
        {
            self.limits.pause(&host, until, &source.id);
        }
    }

    async fn host_permit(&self, host: &str) -> Permit {
        self.limits.host(host).acquire().await
    }

    /// [`Fetcher::fetch_waiting`] with the host's slot already held (from
    /// [`Fetcher::host_slot`]), or taken here when `None`.
    pub async fn fetch_holding(
        &self,
        source: &Source,
        state: &SourceState,
        host: Option<Permit>,
    ) -> (Result<Fetched, FetchError>, Duration) {
        let queued = std::time::Instant::now();
        match &source.location {
            Location::File(path) => {
                let _global = self.limits.global.acquire().await;
                let waited = queued.elapsed();
                (self.read_file(path).await, waited)
            }
            Location::Http(url) => {
                let _slots = match host {
                    Some(host) => (host, self.limits.global.acquire().await),
                    None => self.slots(url).await,
                };
                let waited = queued.elapsed();
                (self.request(url, state, Extras::of(source)).await, waited)
            }
        }
    }

    /// Fetches an http(s) URL with every limit a source's fetch has (politeness per host,
    /// the total timeout), with what `extras` adds to the request.
    pub async fn fetch_url(
        &self,
        url: &Url,
        state: &SourceState,
        extras: Extras<'_>,
    ) -> Result<Fetched, FetchError> {
        let _slots = self.slots(url).await;
        self.request(url, state, extras).await
    }

    /// A slot of `url`'s host, then one of the pass: the host's first, so a busy host never
    /// holds global slots idle.
    async fn slots(&self, url: &Url) -> (Permit, Permit) {
        let host = self.host_permit(url.host_str().unwrap_or("")).await;
        let global = self.limits.global.acquire().await;
        (host, global)
    }

    /// The limits this fetcher's fetches are under.
    pub fn limits(&self) -> &Arc<Limits> {
        &self.limits
    }

    /// The request itself, within the total timeout, once the caller holds its slots.
    async fn request(
        &self,
        url: &Url,
        state: &SourceState,
        extras: Extras<'_>,
    ) -> Result<Fetched, FetchError> {
        let limit = self.config.timeout + Duration::from_secs(1);
        match tokio::time::timeout(limit, self.get(url, state, extras)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout(self.config.timeout)),
        }
    }

    async fn get(
        &self,
        url: &Url,
        state: &SourceState,
        extras: Extras<'_>,
    ) -> Result<Fetched, FetchError> {
        let mut headers = HeaderMap::new();
        // Checked when the config was loaded.
        for (name, value) in extras.headers {
            if let (Ok(name), Ok(value)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
        if let Some(agent) = extras
            .user_agent
            .and_then(|a| HeaderValue::from_str(a).ok())
        {
            headers.insert(header::USER_AGENT, agent);
        }
        if !headers.contains_key(header::ACCEPT) {
            headers.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
            ),
        );
        }
        if let Some(etag) = state
            .etag
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = state
            .last_modified
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(header::IF_MODIFIED_SINCE, lm);
        }
        let conditional = headers.contains_key(header::IF_NONE_MATCH)
            || headers.contains_key(header::IF_MODIFIED_SINCE);
        let started = Instant::now();
        let private = extras.auth.is_some() || !extras.headers.is_empty();
        let local = guard::is_local(url);
        if let (false, Some(var)) = (local, &self.no_proxy_password) {
            return Err(FetchError::NoProxyPassword(var.clone()));
        }
        let client = self.clients_for(extras)?.pick(local, private);
        let mut request = client.get(url.clone()).headers(headers);
        if let Some(auth) = extras.auth {
            // Read at each fetch, never kept: a rotated password is taken at the next poll.
            let password = std::env::var(&auth.password_env)
                .map_err(|_| FetchError::NoPassword(auth.password_env.clone()))?;
            request = request.basic_auth(&auth.username, Some(password));
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.classify(e, url, started))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return if conditional {
                Ok(Fetched::NotModified)
            } else {
                Err(FetchError::UnaskedNotModified)
            };
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(FetchError::Login {
                tried: extras.auth.is_some()
                    || extras
                        .headers
                        .iter()
                        .any(|(n, _)| n.eq_ignore_ascii_case("authorization")),
            });
        }
        if !status.is_success() {
            let retry_after = match status {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                    retry_after(response.headers(), Utc::now())
                }
                _ => None,
            };
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after,
            });
        }
        let limit = self.config.max_body_size;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(FetchError::TooLarge { limit });
        }
        // Kept in the source's state, written at every fetch: a validator longer than any
        // server writes is not kept (the body's hash still spares reading an unchanged feed).
        let header_str = |name: header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| v.len() <= MAX_KEPT_HEADER)
                .map(str::to_string)
        };
        let content_type = header_str(header::CONTENT_TYPE);
        let etag = header_str(header::ETAG);
        let last_modified = header_str(header::LAST_MODIFIED);
        let final_url = response.url().clone();
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.classify(e, url, started))?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched::Document(Document {
            body,
            final_url: Some(final_url),
            content_type,
            etag,
            last_modified,
            status: status.as_u16(),
        }))
    }

    /// Reads a local feed file within `[fetch] timeout`, as a request is bounded: a read that
    /// blocks (a FIFO nobody writes, a hung network mount) fails the source like a server that
    /// never answers, and the pass (or the daemon's first cycle) goes on. The blocking thread
    /// doing the read may stay blocked; nothing waits for it, but the file is not read again
    /// until that read ends ([`FetchError::FileBlocked`]): each attempt would block one more.
    async fn read_file(&self, path: &Path) -> Result<Fetched, FetchError> {
        let limit = self.config.timeout;
        let (reading, timed_out) = {
            let mut reading = READING
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // Two sources of one file read it side by side; only a read that has outlived its
            // limit keeps others from starting.
            let entry = reading
                .entry(path.to_path_buf())
                .or_insert_with(|| (0, Arc::new(OnceLock::new())));
            if let Some(&after) = entry.1.get() {
                return Err(FetchError::FileBlocked {
                    path: path.display().to_string(),
                    after,
                });
            }
            entry.0 += 1;
            let timed_out = entry.1.clone();
            (Reading(path.to_path_buf()), timed_out)
        };
        let max_body_size = self.config.max_body_size;
        // A task of its own, which keeps `reading` until the read ends, however long after the
        // timeout (or a stop) that is.
        let read = tokio::spawn(async move {
            let reading = reading;
            read_whole_file(&reading.0, max_body_size).await
        });
        match tokio::time::timeout(limit, read).await {
            Ok(Ok(read)) => read,
            Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Ok(Err(e)) => Err(FetchError::File {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
            Err(_) => {
                let _ = timed_out.set(limit);
                Err(FetchError::FileTimeout {
                    path: path.display().to_string(),
                    after: limit,
                })
            }
        }
    }

    /// Where the redirects of the request for `asked` led, as the policy recorded them (the
    /// last one followed); `None` when it followed none.
    fn redirected(&self, asked: &Url) -> Option<Url> {
        let asked = without_fragment(asked);
        self.hops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&asked)
            .map(|(_, to)| to.clone())
            .filter(|to| *to != asked)
    }

    /// What went wrong with the request for `asked`.
    fn classify(&self, e: reqwest::Error, asked: &Url, started: Instant) -> FetchError {
        // A certificate refused, said in words; where, only when it is not the source's own
        // site (a redirect led elsewhere): the source's URL is shown beside its error.
        if let Some(problem) = certificate_error(&e) {
            // The error names the URL asked for: where the request that failed went is the
            // last redirect followed, recorded by the policy.
            let elsewhere = self
                .redirected(asked)
                .filter(|to| to.origin() != asked.origin())
                .map(|to| Location::Http(to).to_string());
            // Through an https proxy the refused certificate may be the proxy's own.
            let proxied = self.proxy.is_some() && self.config.through_https_proxy(asked);
            return FetchError::Certificate(certificate_message(
                problem,
                elsewhere.as_deref(),
                proxied,
            ));
        }
        // reqwest names the URL in its message ("… for url (https://…?api_key=…)"); the
        // message is shown on the status page and in `/sources.json`, so a URL goes in only as
        // published (no login, no secret parameters). It names the URL asked for, also when a
        // redirect led to the one that failed: that one is named, as the redirect's.
        let url = match self.redirected(asked) {
            Some(to) => Some(format!("{}, where a redirect led", Location::Http(to))),
            None => e.url().map(|u| Location::Http(u.clone()).to_string()),
        };
        let e = e.without_url();
        let mut chain = error_chain(&e);
        if let Some(url) = url {
            chain = chain.replacen(
                "error sending request",
                &format!("error sending request for url ({url})"),
                1,
            );
        }
        if let Some(at) = chain.find("refused: ") {
            return FetchError::Refused(chain[at..].to_string());
        }
        if e.is_timeout() {
            FetchError::Timeout(started.elapsed().min(self.config.timeout))
        } else if e.is_redirect() {
            FetchError::TooManyRedirects(self.config.max_redirects)
        } else if e.is_connect() {
            FetchError::Connect(chain)
        } else {
            FetchError::Other(chain)
        }
    }
}

/// A local feed file's bytes, `limit` at most.
async fn read_whole_file(path: &Path, limit: u64) -> Result<Fetched, FetchError> {
    let file_error = |e: std::io::Error| FetchError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let file = tokio::fs::File::open(path).await.map_err(file_error)?;
    let mut body = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut body)
        .await
        .map_err(file_error)?;
    if body.len() as u64 > limit {
        return Err(FetchError::TooLarge { limit });
    }
    Ok(Fetched::Document(Document {
        body,
        final_url: Url::from_file_path(path).ok(),
        content_type: None,
        etag: None,
        last_modified: None,
        status: 200,
    }))
}

/// The local feed files being read: how many reads of each, and the limit one was cut at once
/// it was. For the whole process, not a fetcher's: a reload replaces the fetcher, and a read
/// blocked under the old one still holds its thread.
#[allow(clippy::type_complexity)]
static READING: Mutex<BTreeMap<PathBuf, (usize, Arc<OnceLock<Duration>>)>> =
    Mutex::new(BTreeMap::new());

/// A read of a path in [`READING`], counted out when dropped: it is moved into the task doing
/// the read, so it is dropped when the read ends, not when the timeout gives up on it. The
/// path leaves with its last read.
struct Reading(PathBuf);

impl Drop for Reading {
    fn drop(&mut self) {
        let mut reading = READING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = reading.get_mut(&self.0) {
            entry.0 = entry.0.saturating_sub(1);
            if entry.0 == 0 {
                reading.remove(&self.0);
            }
        }
    }
}

/// The longest `ETag`, `Last-Modified`, site address or redirect target kept for a source, in
/// bytes.
pub const MAX_KEPT_HEADER: usize = 2048;

/// The longest `Retry-After` honoured: a server may ask for any wait.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// ` (retry after 2h)`, to the second, saying when the wait asked for is more than is honoured.
fn describe_retry_after(asked: Duration) -> String {
    let secs = |d: Duration| humantime::format_duration(Duration::from_secs(d.as_secs()));
    if asked > MAX_RETRY_AFTER {
        format!(
            " (retry after {}; waiting {} at most)",
            secs(asked),
            secs(MAX_RETRY_AFTER)
        )
    } else {
        format!(" (retry after {})", secs(asked))
    }
}

/// `Retry-After` as a duration: delay-seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when: DateTime<Utc> = httpdate::parse_http_date(value).ok()?.into();
    (when - now).to_std().ok()
}

/// rustls's verdict on the server's certificate, if that is why `e` happened: rustls's error
/// is among its causes, as the TLS stream reports it (in an IO error, which the HTTPS
/// connector wraps in another).
fn certificate_error<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::CertificateError> {
    let mut cur = Some(e);
    while let Some(e) = cur {
        if let Some(rustls::Error::InvalidCertificate(problem)) = e.downcast_ref() {
            return Some(problem);
        }
        // An IO error's `source` is that of the error it carries, which it skips.
        cur = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// The message of a fetch refused for the server's certificate: what is wrong with it and
/// what can be done. `elsewhere`: the address (as published) a redirect led to, when its
/// site is not the source's. `proxied`: the fetch went through an https proxy, whose own
/// certificate may be the one refused (and which `accept_invalid_certificates` cannot go
/// through).
fn certificate_message(
    problem: &rustls::CertificateError,
    elsewhere: Option<&str>,
    proxied: bool,
) -> String {
    let what = describe_certificate(problem);
    if proxied {
        let what = what.replacen("the server's", "the server's (or the https proxy's)", 1);
        return format!(
            "{what}; when every source through the proxy fails alike, it is the proxy's: fix its certificate or trust its authority (update-ca-certificates, SSL_CERT_FILE)"
        );
    }
    match elsewhere {
        None => format!(
            "{what}; if you trust this source anyway, set accept_invalid_certificates = true on it"
        ),
        Some(to) => format!(
            "{to}, where the url redirects: {what}; if you trust that site anyway, set url to it and accept_invalid_certificates = true"
        ),
    }
}

/// What is wrong with a server's certificate, in words (rustls's names only for what has no
/// plainer ones).
fn describe_certificate(problem: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    const UNTRUSTED: &str = "the server's certificate is not signed by an authority this host trusts (self-signed, or the server does not send its intermediate certificate";
    let day = |t: &rustls::pki_types::UnixTime| {
        i64::try_from(t.as_secs())
            .ok()
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .map(|d| d.format("%Y-%m-%d").to_string())
    };
    match problem {
        C::Expired => "the server's certificate has expired".into(),
        C::ExpiredContext { not_after, .. } => match day(not_after) {
            Some(day) => format!("the server's certificate expired on {day}"),
            None => describe_certificate(&C::Expired),
        },
        C::NotValidYet => {
            "the server's certificate is not valid yet (if it should be, this host's clock is wrong)".into()
        }
        C::NotValidYetContext { not_before, .. } => match day(not_before) {
            Some(day) => format!(
                "the server's certificate is not valid until {day} (if that day has come, this host's clock is wrong)"
            ),
            None => describe_certificate(&C::NotValidYet),
        },
        C::NotValidForNameContext { presented, .. } if !presented.is_empty() => {
            // The names as webpki writes them: `DnsName("example.org")`, `IpAddress(192.0.2.1)`.
            let name = |n: &String| {
                let bare = n
                    .strip_prefix("DnsName(\"")
                    .and_then(|n| n.strip_suffix("\")"))
                    .or_else(|| {
                        n.strip_prefix("IpAddress(")
                            .and_then(|n| n.strip_suffix(')'))
                    })
                    .unwrap_or(n);
                bare.chars().take(100).collect::<String>()
            };
            let mut names: Vec<String> = presented.iter().take(3).map(name).collect();
            if presented.len() > 3 {
                names.push(format!("{} more", presented.len() - 3));
            }
            format!(
                "the server's certificate is issued for another name ({})",
                names.join(", ")
            )
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "the server's certificate is issued for another name".into()
        }
        // Where the trust comes from: an internal authority is added there.
        C::UnknownIssuer => format!(
            "{UNTRUSTED}; an internal authority is added with update-ca-certificates or named in SSL_CERT_FILE, then a restart)"
        ),
        // An authority's certificate presented as the server's own: a self-signed one made
        // with the settings of an authority's (webpki's error, under rustls's `Other`).
        C::Other(other) if other.to_string() == "CaUsedAsEndEntity" => format!("{UNTRUSTED})"),
        C::Revoked => "the server's certificate has been revoked by its authority".into(),
        C::Other(other) => format!("the server's certificate is not valid ({other})"),
        other => format!("the server's certificate is not valid ({other})"),
    }
}

/// The innermost causes of an error, joined: "error sending request: connection refused".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Schedule, SourceKind};
    use std::net::SocketAddr;

    fn source(url: &str) -> Source {
        Source {
            id: "s".into(),
            title: "S".into(),
            location: Location::Http(Url::parse(url).unwrap()),
            kind: SourceKind::Partner,
            lang: None,
            schedule: Schedule::Interval(Duration::from_secs(60)),
            topics: vec![],
            enabled: true,
            user_agent: None,
            auth: None,
            headers: vec![],
            accept_invalid_certificates: false,
            time_zone: None,
        }
    }

    #[tokio::test]
    async fn a_public_host_resolving_to_loopback_is_refused_and_a_local_source_is_not() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = axum::Router::new().route(
            "/feed.xml",
            axum::routing::get(|| async {
                "<rss version=\"2.0\"><channel><title>t</title></channel></rss>"
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        // "feeds.example" answers with the loopback address, as a rebinding attacker's DNS would.
        let resolver = guard::GuardedResolver::with(|_host| {
            Box::pin(async { Ok(vec![SocketAddr::from(([127, 0, 0, 1], 0))]) })
        });
        let config = FetchConfig::default();
        let fetcher = Fetcher::with_resolver(&config, resolver, Limits::new(&config)).unwrap();
        let public = source(&format!("http://feeds.example:{port}/feed.xml"));
        let err = fetcher
            .fetch(&public, &SourceState::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, FetchError::Refused(m) if m.contains("feeds.example resolves to a loopback") && !m.contains("127.0.0.1")),
            "{err:?}"
        );
        let local = source(&format!("http://127.0.0.1:{port}/feed.xml"));
        assert!(matches!(
            fetcher.fetch(&local, &SourceState::default()).await,
            Ok(Fetched::Document(_))
        ));
    }

    #[tokio::test]
    async fn a_fetch_queued_behind_its_hosts_other_source_says_how_long_it_waited() {
        use std::sync::Arc;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        // `/slow` answers when the test lets it, and says when its request has arrived.
        let (arrived_tx, arrived) = tokio::sync::oneshot::channel::<()>();
        let arrived_tx = Arc::new(std::sync::Mutex::new(Some(arrived_tx)));
        let release = Arc::new(tokio::sync::Notify::new());
        let feed = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";
        let app = axum::Router::new()
            .route(
                "/slow",
                axum::routing::get({
                    let release = release.clone();
                    move || async move {
                        if let Some(tx) = arrived_tx.lock().unwrap().take() {
                            let _ = tx.send(());
                        }
                        release.notified().await;
                        feed
                    }
                }),
            )
            .route("/quick", axum::routing::get(move || async move { feed }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let config = FetchConfig {
            per_host_concurrency: 1,
            ..FetchConfig::default()
        };
        let fetcher = Arc::new(Fetcher::new(&config).unwrap());
        let slow = tokio::spawn({
            let fetcher = fetcher.clone();
            async move {
                let s = source(&format!("http://127.0.0.1:{port}/slow"));
                fetcher.fetch_waiting(&s, &SourceState::default()).await
            }
        });
        arrived.await.unwrap();
        // `/slow` holds the host's only slot: `/quick` waits for it. (The test runtime has one
        // thread: once this task yields, `/quick` runs until it waits for the slot.)
        let quick = tokio::spawn({
            let fetcher = fetcher.clone();
            async move {
                let s = source(&format!("http://127.0.0.1:{port}/quick"));
                fetcher.fetch_waiting(&s, &SourceState::default()).await
            }
        });
        tokio::task::yield_now().await;
        assert!(!quick.is_finished());
        // Some time passes, an exchange with the server outside the fetcher's slots.
        let asked = std::time::Instant::now();
        let direct = reqwest::get(format!("http://127.0.0.1:{port}/quick"))
            .await
            .unwrap();
        assert!(direct.status().is_success());
        let released = std::time::Instant::now();
        release.notify_one();
        let (slow_result, _) = slow.await.unwrap();
        let (quick_result, quick_waited) = quick.await.unwrap();
        assert!(matches!(slow_result, Ok(Fetched::Document(_))));
        assert!(matches!(quick_result, Ok(Fetched::Document(_))));
        // It began waiting before `asked` and got the slot after `released`.
        assert!(
            quick_waited >= released - asked,
            "{quick_waited:?} < {:?}",
            released - asked
        );
    }

    /// Each certificate problem rustls reports is said in words, with what can be done; the
    /// date of an expired certificate is given when rustls has it.
    #[test]
    fn errors_have_kinds_for_the_metric() {
        let status = |status| FetchError::Status {
            status,
            retry_after: None,
        };
        let kinds: Vec<&str> = [
            FetchError::Timeout(Duration::from_secs(5)),
            FetchError::Certificate("the certificate expired on 2026-01-01".into()),
            FetchError::Connect("tcp connect error: Connection refused".into()),
            status(429),
            status(503),
            status(404),
            FetchError::UnaskedNotModified,
            FetchError::TooLarge { limit: 1 },
            FetchError::Login { tried: false },
        ]
        .iter()
        .map(FetchError::kind)
        .collect();
        assert_eq!(
            kinds,
            [
                "timeout",
                "tls",
                "connect",
                "http_429",
                "http_5xx",
                "http_4xx",
                "http_4xx",
                "too_large",
                "login"
            ]
        );
        for kind in kinds {
            assert!(crate::ingest::ERROR_KINDS.contains(&kind), "{kind}");
        }
    }

    #[test]
    fn a_refused_certificate_is_said_in_words_with_the_way_out() {
        use rustls::pki_types::{ServerName, UnixTime};
        use rustls::CertificateError as C;
        /// As webpki's `Error::CaUsedAsEndEntity` writes itself.
        #[derive(Debug)]
        struct CaUsedAsEndEntity;
        impl std::fmt::Display for CaUsedAsEndEntity {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("CaUsedAsEndEntity")
            }
        }
        impl std::error::Error for CaUsedAsEndEntity {}
        let at = |secs: u64| UnixTime::since_unix_epoch(Duration::from_secs(secs));
        let hint =
            "; if you trust this source anyway, set accept_invalid_certificates = true on it";
        let untrusted = "the server's certificate is not signed by an authority this host trusts (self-signed, or the server does not send its intermediate certificate";
        let cases = [
            (C::Expired, "the server's certificate has expired".to_string()),
            (
                C::ExpiredContext {
                    time: at(1_700_000_000),
                    not_after: at(1_609_459_199),
                },
                "the server's certificate expired on 2020-12-31".into(),
            ),
            (
                C::NotValidYet,
                "the server's certificate is not valid yet (if it should be, this host's clock is wrong)".into(),
            ),
            (
                C::NotValidYetContext {
                    time: at(1_700_000_000),
                    not_before: at(1_893_456_000),
                },
                "the server's certificate is not valid until 2030-01-01 (if that day has come, this host's clock is wrong)".into(),
            ),
            (
                C::NotValidForName,
                "the server's certificate is issued for another name".into(),
            ),
            (
                C::NotValidForNameContext {
                    expected: ServerName::try_from("feeds.example").unwrap().to_owned(),
                    presented: vec![
                        "DnsName(\"www.partner.example\")".into(),
                        "IpAddress(192.0.2.1)".into(),
                        "DnsName(\"a.example\")".into(),
                        "DnsName(\"b.example\")".into(),
                        "DnsName(\"c.example\")".into(),
                    ],
                },
                "the server's certificate is issued for another name (www.partner.example, 192.0.2.1, a.example, 2 more)".into(),
            ),
            (
                C::UnknownIssuer,
                format!("{untrusted}; an internal authority is added with update-ca-certificates or named in SSL_CERT_FILE, then a restart)"),
            ),
            (
                C::Other(rustls::OtherError(Arc::new(CaUsedAsEndEntity))),
                format!("{untrusted})"),
            ),
            (
                C::Revoked,
                "the server's certificate has been revoked by its authority".into(),
            ),
            (
                C::BadSignature,
                "the server's certificate is not valid (BadSignature)".into(),
            ),
        ];
        for (problem, said) in cases {
            assert_eq!(describe_certificate(&problem), said, "{problem:?}");
            assert_eq!(
                certificate_message(&problem, None, false),
                format!("{said}{hint}")
            );
        }
        assert_eq!(
            certificate_message(
                &C::Revoked,
                Some("https://www.partner.example/feed.xml"),
                false
            ),
            "https://www.partner.example/feed.xml, where the url redirects: the server's certificate has been revoked by its authority; if you trust that site anyway, set url to it and accept_invalid_certificates = true"
        );
        // Through an https proxy: maybe the proxy's, and no way round it that would leave the
        // proxy's certificate unchecked.
        let through = certificate_message(&C::UnknownIssuer, None, true);
        assert!(
            through.starts_with("the server's (or the https proxy's) certificate is not signed")
                && through.ends_with("when every source through the proxy fails alike, it is the proxy's: fix its certificate or trust its authority (update-ca-certificates, SSL_CERT_FILE)")
                && !through.contains("accept_invalid_certificates"),
            "{through}"
        );
    }

    /// rustls's error is found among an error's causes, also inside the IO errors the TLS
    /// stream and the HTTPS connector wrap it in (whose own `source` skips it).
    #[test]
    fn a_certificate_problem_is_found_under_the_errors_that_carry_it() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("client error (Connect)")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let e = Outer(std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            tls,
        )));
        assert!(matches!(
            certificate_error(&e),
            Some(rustls::CertificateError::UnknownIssuer)
        ));
        let e = Outer(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::DecryptError,
        ));
        assert!(certificate_error(&e).is_none());
        assert!(certificate_error(&std::io::Error::other("refused")).is_none());
    }

    #[test]
    fn retry_after_is_described_to_the_second_and_with_its_cap() {
        let status = |secs: f64| {
            FetchError::Status {
                status: 503,
                retry_after: Some(Duration::from_secs_f64(secs)),
            }
            .to_string()
        };
        assert_eq!(status(7200.25), "HTTP 503 (retry after 2h)");
        assert_eq!(
            status(3e9),
            "HTTP 503 (retry after 95years 23days 11h 20m; waiting 7days at most)"
        );
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = Utc::now();
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        let later = httpdate::fmt_http_date((now + chrono::Duration::seconds(600)).into());
        h.insert(header::RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let d = retry_after(&h, now).unwrap();
        assert!(
            d > Duration::from_secs(590) && d <= Duration::from_secs(600),
            "{d:?}"
        );
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }

    /// A local file whose read blocks is not read again (each attempt would leave one more
    /// thread blocked) until that read ends; then it is.
    #[test]
    fn a_local_file_is_not_read_again_while_its_read_is_blocked() {
        // Not waited for at the end: when the test fails, reads may still be blocked.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(a_local_file_is_not_read_again_while_its_read_is_blocked_in())
        }));
        rt.shutdown_background();
        if let Err(panic) = run {
            std::panic::resume_unwind(panic);
        }
    }

    async fn a_local_file_is_not_read_again_while_its_read_is_blocked_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stuck.xml");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        let config = FetchConfig {
            timeout: Duration::from_millis(100),
            ..FetchConfig::default()
        };
        let fetcher = Fetcher::new(&config).unwrap();
        let mut s = source("http://unused.example/");
        s.location = Location::File(path.clone());
        let state = SourceState::default();
        let fetch = || fetcher.fetch(&s, &state);
        // Nobody has the FIFO open for writing: the read blocks in its open.
        assert_eq!(
            fetch().await.unwrap_err(),
            FetchError::FileTimeout {
                path: path.display().to_string(),
                after: Duration::from_millis(100),
            }
        );
        for _ in 0..5 {
            let e = fetch().await.unwrap_err();
            assert_eq!(
                e,
                FetchError::FileBlocked {
                    path: path.display().to_string(),
                    after: Duration::from_millis(100),
                }
            );
            assert_eq!(
                e.to_string(),
                format!(
                    "cannot read {}: an earlier read is still blocked (timed out after 100ms); not read again until it ends",
                    path.display()
                )
            );
        }
        // A writer that opens, writes and closes the FIFO: the blocked read, which has it
        // open, ends.
        let feed = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";
        let write = |path: PathBuf| {
            tokio::task::spawn_blocking(move || std::fs::write(path, feed).unwrap())
        };
        write(path.clone()).await.unwrap();
        // Its task ends once it runs again, after this one yields.
        while READING.lock().unwrap().contains_key(&path) {
            tokio::task::yield_now().await;
        }
        // The FIFO is read again: the next writer opens it once that read has.
        let later = write(path.clone());
        let read = fetch().await;
        let Ok(Fetched::Document(document)) = read else {
            panic!("{read:?}");
        };
        assert_eq!(document.body, feed.as_bytes());
        later.await.unwrap();
    }

    /// Two sources of one local file read it side by side: only a read that outlived its limit
    /// keeps others from starting. (The read under way is stood for by its entry: two real
    /// reads of one FIFO cannot be made to overlap without racing its writer.)
    #[tokio::test]
    async fn a_read_under_way_lets_another_read_of_its_file_start_a_blocked_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.xml");
        std::fs::write(&path, "<rss version=\"2.0\"><channel/></rss>").unwrap();
        let fetcher = Fetcher::new(&FetchConfig::default()).unwrap();
        let mut s = source("http://unused.example/");
        s.location = Location::File(path.clone());
        let state = SourceState::default();
        let under_way = Arc::new(OnceLock::new());
        READING
            .lock()
            .unwrap()
            .insert(path.clone(), (1, under_way.clone()));
        let read = fetcher.fetch(&s, &state).await;
        assert!(matches!(read, Ok(Fetched::Document(_))), "{read:?}");
        // The other read's entry is still counted; its time runs out.
        assert_eq!(READING.lock().unwrap().get(&path).map(|e| e.0), Some(1));
        under_way.set(Duration::from_secs(20)).unwrap();
        assert_eq!(
            fetcher.fetch(&s, &state).await.unwrap_err(),
            FetchError::FileBlocked {
                path: path.display().to_string(),
                after: Duration::from_secs(20),
            }
        );
        // Once it ends, the file is read again.
        drop(Reading(path.clone()));
        assert!(!READING.lock().unwrap().contains_key(&path));
        assert!(fetcher.fetch(&s, &state).await.is_ok());
    }

    /// A host's pause is held to a week, as a source's own wait is, and a wait past what a
    /// date can hold neither panics nor pauses for ever.
    #[test]
    fn a_hosts_pause_is_capped() {
        let fetcher = Fetcher::new(&FetchConfig::default()).unwrap();
        let s = source("http://partner.example/feed.xml");
        fetcher.pause_host(&s, Duration::from_secs(365 * 24 * 3600));
        let until = fetcher.host_paused(&s).unwrap().until;
        let week = chrono::TimeDelta::from_std(MAX_RETRY_AFTER).unwrap();
        assert!(until <= Utc::now() + week, "{until}");
        assert!(
            until > Utc::now() + week - chrono::TimeDelta::minutes(1),
            "{until}"
        );
        fetcher.pause_host(&s, Duration::from_secs(u64::MAX / 4));
        assert!(fetcher.host_paused(&s).unwrap().until <= Utc::now() + week);
        // Another host is not paused; a file source has none.
        assert!(fetcher
            .host_paused(&source("http://other.example/feed.xml"))
            .is_none());
    }

    /// A pause is the service's that asked for it: the same host over https or on its
    /// scheme's own port written out is paused with it; another port of it is not.
    #[test]
    fn a_hosts_pause_is_its_services() {
        let fetcher = Fetcher::new(&FetchConfig::default()).unwrap();
        fetcher.pause_host(
            &source("http://partner.example/feed.xml"),
            Duration::from_secs(60),
        );
        for same in [
            "https://partner.example/other.xml",
            "http://partner.example:80/x.xml",
            "https://PARTNER.example:443/x.xml",
        ] {
            assert!(fetcher.host_paused(&source(same)).is_some(), "{same}");
        }
        let other_port = source("http://partner.example:8080/feed.xml");
        assert!(fetcher.host_paused(&other_port).is_none());
        fetcher.pause_host(&other_port, Duration::from_secs(60));
        assert!(fetcher.host_paused(&other_port).is_some());
        assert!(fetcher
            .host_paused(&source("http://partner.example:8081/feed.xml"))
            .is_none());
    }
}
