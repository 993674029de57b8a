//! A configured source: where its feed comes from, when it is polled, how it is fetched,
//! and the state Tributary keeps about it between fetches.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::secrets::secret_parameters;

/// Whether a source is one of the organisations we publish for or a partner we follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// One of the organisations Tributary republishes for.
    Organization,
    /// A partner outlet whose news we follow and merge.
    Partner,
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            SourceKind::Organization => "organization",
            SourceKind::Partner => "partner",
        })
    }
}

/// Where a source's feed document comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An `http` or `https` URL, fetched with conditional GET.
    Http(Url),
    /// A local file that a script on this host writes, read from disk.
    File(PathBuf),
}

impl Location {
    /// A short key for the location as configured, credentials included, that gives none of it
    /// away (a hash): a source's state records it to tell when the location changed.
    pub fn key(&self) -> String {
        let text = match self {
            Location::Http(url) => format!("http {url}"),
            Location::File(path) => format!("file {}", path.display()),
        };
        blake3::hash(text.as_bytes()).to_hex()[..16].to_string()
    }
}

impl fmt::Display for Location {
    /// The location as shown and published: credentials in an http(s) URL are left out, and so
    /// are the values of query parameters that carry one ([`secret_parameters`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Http(url) => {
                let secrets = secret_parameters(url);
                if url.username().is_empty() && url.password().is_none() && secrets.is_empty() {
                    return write!(f, "{url}");
                }
                let mut shown = url.clone();
                let _ = shown.set_username("");
                let _ = shown.set_password(None);
                if !secrets.is_empty() {
                    let pairs: Vec<(String, String)> = url
                        .query_pairs()
                        .map(|(k, v)| {
                            let hidden = secrets.iter().any(|s| *s == k);
                            (
                                k.into_owned(),
                                if hidden {
                                    "hidden".into()
                                } else {
                                    v.into_owned()
                                },
                            )
                        })
                        .collect();
                    shown.query_pairs_mut().clear().extend_pairs(pairs);
                }
                write!(f, "{shown}")
            }
            Location::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// When a source is polled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every so often, from the end of the previous poll.
    Interval(Duration),
    /// At the times a cron expression names (validated when the config is loaded).
    Cron(String),
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Interval(d) => write!(f, "every {}", humantime::format_duration(*d)),
            Schedule::Cron(expr) => write!(f, "cron {expr}"),
        }
    }
}

/// A configured feed source, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Stable identifier used in the store, in URLs and on the command line.
    pub id: String,
    /// Human name shown in outputs and status pages.
    pub title: String,
    /// Where the feed is read from.
    pub location: Location,
    /// Organisation or partner.
    pub kind: SourceKind,
    /// Language of the source's items when the feed does not say (BCP 47, e.g. `sr-Cyrl`).
    pub lang: Option<String>,
    /// How often the source is polled.
    pub schedule: Schedule,
    /// Topics every item of this source carries (a source that is all about one topic).
    pub topics: Vec<String>,
    /// `false` (`enabled = false`): never fetched on a schedule or in a pass over every
    /// source, only when named; its stories stay served.
    pub enabled: bool,
    /// The `User-Agent` sent to this source instead of `[fetch] user_agent` (for a site that
    /// turns away anything but a browser).
    pub user_agent: Option<String>,
    /// HTTP Basic authentication for a feed behind a login.
    pub auth: Option<BasicAuth>,
    /// More request headers (an API key, a cookie), in config order.
    pub headers: Vec<(String, String)>,
    /// `accept_invalid_certificates = true`: its server's certificate is not checked (an
    /// expired or self-signed one, or one for another name), and it follows redirects within
    /// its site only.
    pub accept_invalid_certificates: bool,
    /// Time zone of the dates its feed writes without one (`time_zone`, else `[fetch]
    /// time_zone`; `None`: UTC).
    pub time_zone: Option<chrono_tz::Tz>,
}

/// A source's HTTP Basic login: the password is never in the config, only the name of the
/// environment variable that holds it (read at each fetch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// The user name.
    pub username: String,
    /// The environment variable holding the password.
    pub password_env: String,
}

/// What Tributary remembers about a source between fetches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceState {
    /// `ETag` of the last 200 response, sent back as `If-None-Match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Last-Modified` of the last 200 response, sent back as `If-Modified-Since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Hash of the last body parsed: the same bytes again are not parsed again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_hash: Option<String>,
    /// When the last attempt finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt: Option<DateTime<Utc>>,
    /// When the last attempt that did not fail finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<DateTime<Utc>>,
    /// Outcome of the last attempt (`ok`, `not-modified`, `unchanged`, `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_outcome: Option<String>,
    /// Failures in a row; 0 means healthy.
    #[serde(default)]
    pub consecutive_errors: u32,
    /// The last error, for status pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// No fetch before this time (error backoff or the server's `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<DateTime<Utc>>,
    /// The feed's own title, as last parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_title: Option<String>,
    /// The feed's site link, as last parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    /// Entries in the last parsed document.
    #[serde(default)]
    pub last_entry_count: u32,
    /// Where the source's URL redirects for good (every redirect permanent, 301 or 308), as
    /// shown (credentials left out): its `url` should say that. `None` when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<String>,
    /// Which location the state is about ([`Location::key`]): the validators, body hash and
    /// backoff of one URL say nothing about another. `None` in states recorded before it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// When the failures in a row began (the first failed fetch since the last success, or
    /// since the first attempt for a source that never succeeded); `None` while healthy. Kept
    /// across restarts, so "failing for a day" is measured from the data, not from how long a
    /// process watched it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<DateTime<Utc>>,
    /// Not fetched until then: its host answered another source (`host_paused_by`) with 429
    /// (Too Many Requests) and asked to be left alone. Cleared at the next attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_paused_until: Option<DateTime<Utc>>,
    /// The source whose request its host answered with 429.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_paused_by: Option<String>,
}

impl SourceState {
    /// Healthy means the last attempt did not fail.
    pub fn healthy(&self) -> bool {
        self.consecutive_errors == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_locations_leave_credentials_out() {
        let l = Location::Http(Url::parse("https://user:secret@feeds.example/rss?x=1").unwrap());
        assert_eq!(l.to_string(), "https://feeds.example/rss?x=1");
        let l = Location::Http(
            Url::parse("https://feeds.example/rss?lang=sq&api_key=S3CR3T&access_token=T0K&Sig=x&keyword=dialog")
                .unwrap(),
        );
        assert_eq!(
            l.to_string(),
            "https://feeds.example/rss?lang=sq&api_key=hidden&access_token=hidden&Sig=hidden&keyword=dialog"
        );
        let plain = "https://feeds.example/rss?lang=sq&page=2";
        assert_eq!(
            Location::Http(Url::parse(plain).unwrap()).to_string(),
            plain
        );
    }

    #[test]
    fn shown_locations_hide_every_spelling_of_a_credential() {
        let l = Location::Http(
            Url::parse("http://127.0.0.1:18210/404?accessToken=SECRET1&apitoken=SECRET2&X-Amz-Signature=SECRET3&authkey=SECRET4&private_token=SECRET5&feedtoken=SECRET6&page=2&keyword=monkey")
                .unwrap(),
        );
        let shown = l.to_string();
        assert_eq!(
            shown,
            "http://127.0.0.1:18210/404?accessToken=hidden&apitoken=hidden&X-Amz-Signature=hidden&authkey=hidden&private_token=hidden&feedtoken=hidden&page=2&keyword=monkey"
        );
        let Location::Http(url) = &l else {
            unreachable!()
        };
        assert_eq!(
            secret_parameters(url),
            [
                "accessToken",
                "apitoken",
                "X-Amz-Signature",
                "authkey",
                "private_token",
                "feedtoken"
            ]
        );
    }
}
