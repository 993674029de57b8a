//! Headers beyond a response's content: the security headers of every HTML page (a
//! restrictive CSP, no framing, no referrer) and the CORS preflight of public documents.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The policy of our pages without pictures (a feed's web page, the status page, a digest's
/// archive): no script, no picture, no frame, no form; their own inline style sheet alone.
pub(super) const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The headers every HTML page gets: no framing, no referrer, no sniffing, and `csp`.
pub(super) fn html_headers(h: &mut HeaderMap, csp: &'static str) {
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

/// The documents any origin may read (the feeds and the source list): see
/// [`conditional`](super::conditional::conditional).
pub(super) fn is_public_document(path: &str) -> bool {
    path.starts_with("/feeds/") || path == "/sources.opml"
}

/// The answer to a CORS preflight for a public document: a reader running in a browser that
/// keeps validators itself sends `If-None-Match` or `If-Modified-Since`, which are not
/// CORS-safelisted request headers, so the browser asks first.
pub(super) fn preflight() -> Response {
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
