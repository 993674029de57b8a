//! The router: every route, the layers around them (timeouts, concurrency, compression,
//! `nosniff`, the request metrics) and the answers for paths and methods no route serves.
//! The handlers live in one file per family of routes.

mod digests;
mod feeds;
mod health;
mod sources;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::compression::predicate::{DefaultPredicate, Predicate as _};

use super::admin;
use super::conditional::not_prerendered;
use super::errors::Error;
use super::headers::{is_public_document, preflight};
use super::Shared;

use digests::digest_file;
use feeds::{all_feed, language_feed, opml, source_feed, topic_feed, topic_language_feed};
use health::{healthz, metrics_text, readyz};
use sources::{sources_json, status_page};

pub use feeds::fast_answer;

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
                Error::MethodNotAllowed.into_response()
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

/// Anything no route serves: a GET or HEAD of a document's path with one trailing slash is
/// sent to the one without it (`/feeds/all.rss/`, `/metrics/`; not a folder's, such as
/// `/feeds/topics/dialogue/`, which would lead to a 404), and `/feeds` and `/index.html` to
/// the status page that lists every feed; the rest is 404. The Location is relative (a proxy's path prefix holds,
/// and it never names another host) and keeps the query.
async fn not_found(method: axum::http::Method, uri: axum::http::Uri) -> Result<Response, Error> {
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
    let mut location = location.ok_or(Error::NotFound("not found\n"))?;
    if let Some(query) = uri.query() {
        location.push('?');
        location.push_str(query);
    }
    Ok((
        StatusCode::PERMANENT_REDIRECT,
        [(header::LOCATION, location)],
        "moved\n",
    )
        .into_response())
}
