//! Conditional GET of ready documents: 304 when the client's `ETag` or date still matches,
//! the caching and CORS headers every document carries, and the gzipped body (made at render
//! time) for a client that accepts gzip.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};

use crate::publish::Format;

use super::feeds::Rendered;
use super::headers::{html_headers, PAGE_CSP};

/// A ready document, or 304 when the client's validators still match. Gzipped (made at
/// render time) when the client accepts gzip.
pub(super) fn conditional(doc: &Rendered, headers: &HeaderMap) -> Response {
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
/// whether the router or [`fast_answer`](super::fast_answer) serves it.
pub(super) fn not_prerendered(
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
