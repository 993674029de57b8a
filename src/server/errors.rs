//! Where the server's failures become statuses: every handler that fails says how with an
//! [`Error`], and its [`IntoResponse`] is the one place that maps each to its status, headers
//! and words — 404 for what is not there (naming what is configured) or a file of no format
//! served, 400/401/422 for an admin request turned away, 405 for a method no route takes, 503
//! while the first feeds are rendered, while the store takes no writes or while the daemon
//! cannot take a command, and 500 (logged here, once) when the store or a render fails.
//! [`plain`] is the answer in words every one of them, and the successes in words, go through.

use std::fmt;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

/// How many configured names a 404 for an unknown topic, source or language lists.
const LISTED: usize = 50;

/// A short answer in words, with its status.
pub(super) fn plain(status: StatusCode, text: impl Into<Body>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.into(),
    )
        .into_response()
}

/// Why a request gets no document: what a handler fails with, answered by its
/// [`IntoResponse`].
#[derive(Debug, thiserror::Error)]
pub(super) enum Error {
    /// 404 with these words: a path no route serves, a feed, digest or source that is not
    /// there, or the admin routes while they are disabled.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// 404 for a topic, source or language that is not configured, naming those that are.
    #[error("unknown {what}")]
    Unknown {
        /// What was asked for: `topic`, `source` or `language`.
        what: &'static str,
        /// The first [`LISTED`] of those configured.
        known: Vec<String>,
        /// How many more are configured.
        more: usize,
    },
    /// 404 for a feed file whose extension names no format.
    #[error("no such feed format")]
    UnknownFormat,
    /// 404 for a digest file whose name or extension is not one the digests are served under.
    #[error("no such digest file")]
    UnknownDigestFile,
    /// 405 for a method the path's routes do not take (axum adds the `Allow` header).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 503 with `Retry-After: 1` while the first feed set is being rendered.
    #[error("starting: feeds are being rendered")]
    Starting,
    /// 503 on `/readyz` before the feeds are rendered.
    #[error("not ready")]
    NotReady {
        /// What the body adds after it (`; the store takes no writes since …`), or nothing.
        failing: String,
    },
    /// 503: the store cannot be written, so stories fetched now are lost to this process.
    #[error("store failing since {since}: {error}")]
    StoreUnavailable {
        /// When its writes started failing.
        since: DateTime<Utc>,
        /// Why they fail.
        error: String,
    },
    /// 500: reading the store or rendering failed. Logged when answered, with the handler's
    /// words for what failed; the body says only what could not be done.
    #[error("{log}: {error}")]
    Internal {
        /// The log line's message (`reading a digest failed`).
        log: &'static str,
        /// The body (`cannot read the digest\n`).
        answer: &'static str,
        /// The failure, the log line's `error` field.
        error: String,
        /// The digest it was for, the log line's `digest` field.
        digest: Option<String>,
    },
    /// 400 for an admin request whose query does not read, with these words.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// 401 with a bearer challenge: an admin request without the token, or with another.
    #[error("unauthorized")]
    Unauthorized {
        /// A token was presented and it is not the one (`error="invalid_token"`).
        invalid_token: bool,
    },
    /// 422 (JSON) for a config reload the daemon refused: it runs on the config it had.
    #[error("reload failed: {0}")]
    ReloadRefused(String),
    /// 503 with `Retry-After: 5`: earlier admin commands fill the queue.
    #[error("busy: earlier admin commands are still queued")]
    Busy,
    /// 503: the daemon no longer takes commands.
    #[error("the daemon is stopping")]
    Stopping,
}

impl Error {
    /// [`Error::Unknown`], naming the first of those `known`.
    pub(super) fn unknown<'a>(what: &'static str, known: impl Iterator<Item = &'a str>) -> Error {
        let mut known = known;
        let listed = known.by_ref().take(LISTED).map(str::to_string).collect();
        Error::Unknown {
            what,
            known: listed,
            more: known.count(),
        }
    }

    /// [`Error::Internal`]: `log` for the log line, `answer` for the body.
    pub(super) fn internal(
        log: &'static str,
        answer: &'static str,
        error: impl fmt::Display,
    ) -> Error {
        Error::Internal {
            log,
            answer,
            error: error.to_string(),
            digest: None,
        }
    }

    /// The same failure, logged with the digest it was for.
    pub(super) fn for_digest(self, name: impl Into<String>) -> Error {
        match self {
            Error::Internal {
                log, answer, error, ..
            } => Error::Internal {
                log,
                answer,
                error,
                digest: Some(name.into()),
            },
            other => other,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::NotFound(text) => plain(StatusCode::NOT_FOUND, text),
            Error::Unknown { what, known, more } => {
                let mut msg = if known.is_empty() {
                    format!("unknown {what}; none is configured")
                } else {
                    format!("unknown {what}; configured: {}", known.join(", "))
                };
                if more > 0 {
                    msg.push_str(&format!(" and {more} more"));
                }
                msg.push('\n');
                plain(StatusCode::NOT_FOUND, msg)
            }
            Error::UnknownFormat => plain(
                StatusCode::NOT_FOUND,
                "no such feed format: use .rss, .atom, .json or .html\n",
            ),
            Error::UnknownDigestFile => plain(
                StatusCode::NOT_FOUND,
                "no such digest file: use latest, a date (YYYY-MM-DD) or an id from index.json, \
                 with .html, .txt, .eml or .json; or index.json, index.html\n",
            ),
            Error::MethodNotAllowed => plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed: see the Allow header\n",
            ),
            Error::Starting => with_header(
                plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "starting: feeds are being rendered\n",
                ),
                header::RETRY_AFTER,
                "1",
            ),
            Error::NotReady { failing } => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("starting: the feeds are not rendered yet{failing}\n"),
            ),
            Error::StoreUnavailable { since, error } => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "store failing since {}: {error}\n",
                    since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            ),
            Error::Internal {
                log,
                answer,
                error,
                digest,
            } => {
                match digest {
                    Some(digest) => tracing::error!(%error, %digest, "{log}"),
                    None => tracing::error!(%error, "{log}"),
                }
                plain(StatusCode::INTERNAL_SERVER_ERROR, answer)
            }
            Error::BadRequest(text) => plain(StatusCode::BAD_REQUEST, text),
            Error::Unauthorized { invalid_token } => with_header(
                plain(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized: send Authorization: Bearer <TRIBUTARY_ADMIN_TOKEN>\n",
                ),
                header::WWW_AUTHENTICATE,
                if invalid_token {
                    r#"Bearer realm="tributary admin", error="invalid_token""#
                } else {
                    r#"Bearer realm="tributary admin""#
                },
            ),
            Error::ReloadRefused(why) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::json!({ "reloaded": false, "error": why }).to_string(),
            )
                .into_response(),
            Error::Busy => with_header(
                plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy: earlier admin commands are still queued\n",
                ),
                header::RETRY_AFTER,
                "5",
            ),
            Error::Stopping => plain(StatusCode::SERVICE_UNAVAILABLE, "the daemon is stopping\n"),
        }
    }
}

/// `response` with one more header.
fn with_header(mut response: Response, name: header::HeaderName, value: &'static str) -> Response {
    response
        .headers_mut()
        .insert(name, HeaderValue::from_static(value));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The status, the headers other than the content type, and the body of `error`'s answer.
    async fn answer(error: Error) -> (u16, Vec<(String, String)>, String) {
        let response = error.into_response();
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter(|(name, _)| *name != header::CONTENT_TYPE)
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
            .collect();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn unknown_names_the_first_fifty_configured() {
        let none = answer(Error::unknown("topic", std::iter::empty())).await;
        assert_eq!(none.0, 404);
        assert_eq!(none.2, "unknown topic; none is configured\n");
        let two = answer(Error::unknown("source", ["a", "b"].into_iter())).await;
        assert_eq!(two.2, "unknown source; configured: a, b\n");
        let names: Vec<String> = (0..52).map(|i| format!("l{i}")).collect();
        let many = answer(Error::unknown("language", names.iter().map(String::as_str))).await;
        let listed: Vec<&str> = names[..50].iter().map(String::as_str).collect();
        assert_eq!(
            many.2,
            format!(
                "unknown language; configured: {} and 2 more\n",
                listed.join(", ")
            )
        );
    }

    #[tokio::test]
    async fn unavailable_answers_say_when_to_come_back() {
        let starting = answer(Error::Starting).await;
        assert_eq!(starting.0, 503);
        assert_eq!(starting.1, [("retry-after".into(), "1".into())]);
        assert_eq!(starting.2, "starting: feeds are being rendered\n");
        let busy = answer(Error::Busy).await;
        assert_eq!(
            (busy.0, &busy.1[..]),
            (503, &[("retry-after".into(), "5".into())][..])
        );
        let stopping = answer(Error::Stopping).await;
        assert_eq!((stopping.0, stopping.1.len()), (503, 0));
    }

    #[tokio::test]
    async fn admin_refusals_keep_their_challenge_and_json() {
        let wrong = answer(Error::Unauthorized {
            invalid_token: true,
        })
        .await;
        assert_eq!(wrong.0, 401);
        assert_eq!(
            wrong.1,
            [(
                "www-authenticate".into(),
                r#"Bearer realm="tributary admin", error="invalid_token""#.into()
            )]
        );
        let refused = Error::ReloadRefused("bad \"toml\"".into()).into_response();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.headers()[header::CONTENT_TYPE], "application/json");
        let internal = answer(
            Error::internal("reading a digest failed", "cannot read the digest\n", "io")
                .for_digest("daily"),
        )
        .await;
        assert_eq!(
            (internal.0, internal.2.as_str()),
            (500, "cannot read the digest\n")
        );
    }
}
