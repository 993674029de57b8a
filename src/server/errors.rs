//! The error answers, in plain text with their status: 404 for what is not configured
//! (naming what is) or a file of no format served, 503 while the first feeds are rendered or while the store takes no
//! writes, and [`plain`], which every other answer in words goes through.

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

/// A short answer in words, with its status.
pub(super) fn plain(status: StatusCode, text: impl Into<Body>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.into(),
    )
        .into_response()
}

/// 404 for a feed file whose extension names no format.
pub(super) fn unknown_format() -> Response {
    plain(
        StatusCode::NOT_FOUND,
        "no such feed format: use .rss, .atom, .json or .html\n",
    )
}

/// 404 for a digest file whose name or extension is not one the digests are served under.
pub(super) fn unknown_digest_file() -> Response {
    plain(
        StatusCode::NOT_FOUND,
        "no such digest file: use latest, a date (YYYY-MM-DD) or an id from index.json, \
         with .html, .txt, .eml or .json; or index.json, index.html\n",
    )
}

/// 503 while the first feed set is being rendered.
pub(super) fn starting() -> Response {
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

/// 404 for a topic, source or language that is not configured, naming those that are (the
/// first 50).
pub(super) fn unknown<'a>(what: &str, known: impl Iterator<Item = &'a str>) -> Response {
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
    plain(StatusCode::NOT_FOUND, msg)
}

/// The store cannot be written: stories fetched now are lost to this process.
pub(super) fn store_unavailable(since: DateTime<Utc>, error: &str) -> Response {
    plain(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "store failing since {}: {error}\n",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    )
}
