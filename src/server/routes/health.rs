//! What monitoring reads: `/healthz` (the store takes writes), `/readyz` (the feeds are
//! rendered) and `/metrics` (Prometheus, in the format the scraper asks for).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::server::errors::{plain, Error};
use crate::server::metrics;
use crate::server::Shared;

pub(super) async fn healthz(State(s): State<Arc<Shared>>) -> Result<Response, Error> {
    if let Some((since, error)) = s.store_failure() {
        return Err(Error::StoreUnavailable { since, error });
    }
    Ok(plain(StatusCode::OK, "ok\n"))
}

pub(super) async fn readyz(State(s): State<Arc<Shared>>) -> Result<Response, Error> {
    // Ready once the feeds are rendered from the store: a partner's server that does not
    // answer must not keep an instance that serves every feed out of its load balancer, nor
    // must a store that takes no writes (the feeds rendered are still served; `/healthz`
    // fails, and the daemon restarts). The body says whether the first fetch cycle is done.
    let failing = s.store_failure().map(|(since, error)| {
        format!(
            "; the store takes no writes since {}: {error}",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    });
    let failing = failing.unwrap_or_default();
    if !s.rendered() {
        return Err(Error::NotReady { failing });
    }
    let said = if s.ready.load(Ordering::Acquire) {
        "ready"
    } else {
        "ready; first fetch cycle running"
    };
    Ok(plain(StatusCode::OK, format!("{said}{failing}\n")))
}

/// prometheus-client writes the OpenMetrics text format (`_total` samples of a counter
/// family, `# EOF`): said so, Prometheus reads the counters as counters. A scraper that does
/// not ask for it (older agents, `curl`) gets Prometheus's classic text format, in which a
/// counter's family goes by its samples' name: read as OpenMetrics, its counters would be
/// untyped.
pub(super) async fn metrics_text(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let open_metrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.to_ascii_lowercase()
                .contains("application/openmetrics-text")
        });
    let text = s.metrics.encode();
    // The body goes by `Accept`: a cache in front must keep the two apart.
    let vary = (header::VARY, "accept");
    if open_metrics {
        (
            [
                (
                    header::CONTENT_TYPE,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
                vary,
            ],
            text,
        )
            .into_response()
    } else {
        (
            [
                (
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                ),
                vary,
            ],
            metrics::classic(&text),
        )
            .into_response()
    }
}
