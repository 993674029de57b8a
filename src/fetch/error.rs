//! Why a fetch failed: [`FetchError`], its kind for the metric, and how a failed request is
//! told apart (timeout, connection, certificate, refused redirect, too many redirects).

use std::time::{Duration, Instant};

use url::Url;

use super::certificate::{certificate_error, certificate_message};
use super::retry::describe_retry_after;
use super::Fetcher;
use crate::model::{ErrorKind, Location};

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

impl FetchError {
    /// The kind of failure, as the `fetch_errors` metric names it: what an alert or a
    /// dashboard can group by.
    pub fn kind(&self) -> ErrorKind {
        match self {
            FetchError::Timeout(_) | FetchError::FileTimeout { .. } => ErrorKind::Timeout,
            FetchError::Certificate(_) => ErrorKind::Tls,
            FetchError::Connect(_) => ErrorKind::Connect,
            FetchError::Status { status: 429, .. } => ErrorKind::Http429,
            FetchError::Status { status, .. } if *status >= 500 => ErrorKind::Http5xx,
            FetchError::Status { .. } | FetchError::UnaskedNotModified => ErrorKind::Http4xx,
            FetchError::Login { .. } => ErrorKind::Login,
            FetchError::TooLarge { .. } => ErrorKind::TooLarge,
            FetchError::Refused(_) => ErrorKind::Refused,
            FetchError::TooManyRedirects(_) => ErrorKind::Redirects,
            FetchError::File { .. } | FetchError::FileBlocked { .. } => ErrorKind::File,
            FetchError::NoPassword(_) | FetchError::NoProxyPassword(_) => ErrorKind::Config,
            FetchError::Other(_) => ErrorKind::Other,
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

impl Fetcher {
    /// What went wrong with the request for `asked`.
    pub(super) fn classify(&self, e: reqwest::Error, asked: &Url, started: Instant) -> FetchError {
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

/// The innermost causes of an error, joined: "error sending request: connection refused".
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
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
        .map(|e| e.kind().as_str())
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
    }
}
