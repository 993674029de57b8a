//! feed-rs run under `catch_unwind`, so that a panic in it rejects one document and the
//! daemon goes on; and what its errors say.

use std::panic::{catch_unwind, AssertUnwindSafe};

use feed_rs::model::Feed;
use url::Url;

use super::{dates, ParseError};

/// Whether feed-rs is running on this thread, under `catch_unwind`: a panic now is caught, and
/// the document is rejected with it as its error (the panic hook says so as a warning, not as
/// a crash).
pub fn in_feed_parser() -> bool {
    IN_FEED_PARSER.with(std::cell::Cell::get)
}

/// feed-rs over `bytes`. `base`: the document's own address, given when it has an
/// `xml:base`, so that a relative one (`xml:base="/blog/"`) is resolved against it rather
/// than dropped (links under it would resolve against the site's root instead).
pub(crate) fn run_feed_rs(
    bytes: &[u8],
    zone: Option<chrono_tz::Tz>,
    base: Option<&Url>,
) -> Result<Feed, ParseError> {
    IN_FEED_PARSER.with(|c| c.set(true));
    let result = catch_unwind(AssertUnwindSafe(|| {
        feed_rs::parser::Builder::new()
            .base_uri(base.map(Url::as_str))
            .sanitize_content(false)
            .id_generator(|_, _, _| String::new())
            .timestamp_parser(move |s| dates::parse_date_in(s, zone))
            .build()
            .parse(bytes)
    }));
    IN_FEED_PARSER.with(|c| c.set(false));
    match result {
        Ok(Ok(feed)) => Ok(feed),
        Ok(Err(e)) => Err(ParseError::Invalid(e.to_string())),
        Err(panic) => Err(ParseError::ParserPanic(panic_text(panic.as_ref()))),
    }
}

/// A panic's message, as `panic!` wrote it (its payload is a `&str` or a `String`).
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

thread_local! {
    /// Set while feed-rs runs on this thread (see [`in_feed_parser`]).
    static IN_FEED_PARSER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The MIME type named by feed-rs's "unsupported content type X at position N".
pub(super) fn unsupported_type(msg: &str) -> Option<String> {
    let rest = msg.split("unsupported content type ").nth(1)?;
    let mime = rest.rsplit_once(" at position")?.0;
    Some(mime.to_string())
}
