//! `[fetch]`, validated: limits, concurrency, backoff and the defaults every source starts
//! from, and the proxy with its login.

use std::time::Duration;

use url::Url;

use super::raw;
use super::validate::Validator;
use crate::model::redact_url_text;

/// Default poll interval (Miniflux polls hourly; partner news moves faster).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30 * 60);

/// `[fetch]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// User-Agent sent with every request.
    pub user_agent: String,
    /// Limit on a whole request, from connect to the last body byte.
    pub timeout: Duration,
    /// Limit on establishing the connection.
    pub connect_timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body_size: u64,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    /// Fetches running at once over all sources.
    pub concurrency: usize,
    /// Fetches running at once against one host.
    pub per_host_concurrency: usize,
    /// Poll interval for sources that set neither `interval` nor `cron`.
    pub default_interval: Duration,
    /// Wait after the first failure; doubled after each further one.
    pub backoff_base: Duration,
    /// Longest wait between attempts on a failing source.
    pub backoff_max: Duration,
    /// Time zone of dates that feeds write without one, for sources that set none
    /// (`None`: UTC).
    pub time_zone: Option<chrono_tz::Tz>,
    /// The HTTP proxy that requests to public sources go through (`None`: straight out; the
    /// environment's `HTTP_PROXY` and `HTTPS_PROXY` are never used).
    pub proxy: Option<ProxyConfig>,
}

/// `[fetch] proxy`, with its login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// `http://host:port` or `https://host:port`.
    pub url: Url,
    /// `proxy_username` and `proxy_password_env`.
    pub auth: Option<crate::model::BasicAuth>,
}

impl FetchConfig {
    /// Whether `[fetch] proxy` is an `https` one, whose own certificate a client that checks
    /// none would not check either.
    pub fn https_proxy(&self) -> bool {
        self.proxy
            .as_ref()
            .is_some_and(|p| p.url.scheme() == "https")
    }

    /// Whether a request to `url` goes through an `https` proxy ([`FetchConfig::https_proxy`]).
    pub fn through_https_proxy(&self, url: &Url) -> bool {
        self.https_proxy() && !crate::fetch::guard::is_local(url)
    }
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: default_user_agent(),
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
            max_body_size: 15 * 1024 * 1024,
            max_redirects: 5,
            concurrency: 16,
            per_host_concurrency: 2,
            default_interval: DEFAULT_INTERVAL,
            backoff_base: Duration::from_secs(5 * 60),
            backoff_max: Duration::from_secs(24 * 3600),
            time_zone: None,
            proxy: None,
        }
    }
}

/// The User-Agent used unless the config sets one.
pub fn default_user_agent() -> String {
    format!(
        "Tributary/{} (feed aggregator; +https://github.com/tributary-feeds/tributary)",
        env!("CARGO_PKG_VERSION")
    )
}

impl Validator<'_> {
    /// `[fetch]`: each setting checked, the default where it is unset or wrong.
    pub(super) fn fetch(&mut self, f: &raw::RawFetch) -> FetchConfig {
        let d = FetchConfig::default();
        FetchConfig {
            user_agent: self
                .user_agent(&f.user_agent, "fetch.user_agent")
                .unwrap_or(d.user_agent),
            timeout: self
                .duration(&f.timeout, "fetch.timeout")
                .unwrap_or(d.timeout),
            connect_timeout: self
                .duration(&f.connect_timeout, "fetch.connect_timeout")
                .unwrap_or(d.connect_timeout),
            max_body_size: self
                .size(&f.max_body_size, "fetch.max_body_size")
                .unwrap_or(d.max_body_size),
            max_redirects: self
                .count(&f.max_redirects, "fetch.max_redirects", 0, 20)
                .unwrap_or(d.max_redirects),
            concurrency: self
                .count(&f.concurrency, "fetch.concurrency", 1, 1024)
                .unwrap_or(d.concurrency),
            per_host_concurrency: self
                .count(&f.per_host_concurrency, "fetch.per_host_concurrency", 1, 64)
                .unwrap_or(d.per_host_concurrency),
            default_interval: self
                .interval(&f.interval, "fetch.interval")
                .unwrap_or(d.default_interval),
            backoff_base: self
                .duration(&f.backoff_base, "fetch.backoff_base")
                .unwrap_or(d.backoff_base),
            backoff_max: self
                .duration(&f.backoff_max, "fetch.backoff_max")
                .unwrap_or(d.backoff_max),
            time_zone: f
                .time_zone
                .as_ref()
                .and_then(|tz| self.time_zone(tz, "fetch.time_zone")),
            proxy: self.proxy(f),
        }
    }

    /// `[fetch] proxy`: an `http(s)://host:port` URL without a login or a path, and its
    /// login from `proxy_username` and `proxy_password_env`.
    fn proxy(&mut self, f: &raw::RawFetch) -> Option<ProxyConfig> {
        let auth = self.login(
            &f.proxy_username,
            &f.proxy_password_env,
            "fetch.proxy_username",
            "fetch.proxy_password_env",
        );
        let Some(text) = &f.proxy else {
            if let Some(user) = &f.proxy_username {
                self.push(
                    user.span().start,
                    "fetch.proxy",
                    "proxy_username is set but proxy is not",
                );
            }
            return None;
        };
        let start = text.span().start;
        let raw = text.get_ref().trim();
        // Quoted masked, as a source's URL (see `location`).
        let quoted = redact_url_text(raw);
        let url = match Url::parse(raw) {
            Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.has_host() => u,
            Ok(u) if u.scheme() != "http" && u.scheme() != "https" => {
                self.push(
                    start,
                    "fetch.proxy",
                    format!(
                        "unsupported proxy scheme {:?}: use http://host:port or https://host:port",
                        u.scheme()
                    ),
                );
                return None;
            }
            _ => {
                self.push(
                    start,
                    "fetch.proxy",
                    format!(
                        "invalid proxy URL {quoted:?}: use http://host:port or https://host:port"
                    ),
                );
                return None;
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            self.push(
                start,
                "fetch.proxy",
                "the proxy URL holds a login: put the user in proxy_username and the password in the environment variable named by proxy_password_env",
            );
            return None;
        }
        if url.path() != "/" || url.query().is_some() {
            self.push(
                start,
                "fetch.proxy",
                format!("a proxy is a host and port, not a path: {quoted:?}"),
            );
            return None;
        }
        Some(ProxyConfig { url, auth })
    }
}
