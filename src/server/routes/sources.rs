//! The sources' routes: the status page (`/`), every source's health with the feeds to
//! subscribe to, and `/sources.json`, the same health for `tributary sources`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::server::errors::Error;
use crate::server::headers::{html_headers, PAGE_CSP};
use crate::server::status;
use crate::server::Shared;

pub(super) async fn status_page(State(s): State<Arc<Shared>>) -> Response {
    let shared = s.clone();
    let page = s.blocking(&s.page_turns, move || {
        let config = shared.config();
        // The sources' states unreadable: said in the banner, not shown as no sources.
        let (health, unreadable) = match shared.health() {
            Ok(health) => (health, None),
            Err(e) => (
                Vec::new(),
                Some(format!("The sources' states cannot be read: {e}.")),
            ),
        };
        let total = shared.story_count();
        let rendered = shared
            .rendered_at
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| "pending".into());
        let failing = shared.store_failure().map(|(since, error)| {
            format!(
                "The store has taken no writes since {}: {error}. Fetched stories are not stored.",
                since.format("%Y-%m-%d %H:%M:%S UTC")
            )
        });
        // Why it failed is in the log: a config's text is not for a public page.
        let reload = shared.reload_failure().map(|at| {
            format!(
                "The config reload of {} failed: the daemon runs on the config it had before (the log says why).",
                at.format("%Y-%m-%d %H:%M:%S UTC")
            )
        });
        let alerts: Vec<String> = [failing, unreadable, reload].into_iter().flatten().collect();
        let alert = (!alerts.is_empty()).then(|| alerts.join(" "));
        let digests = status::digest_rows(&config, &shared.store);
        status::render(
            &config,
            &health,
            total,
            &rendered,
            alert.as_deref(),
            &digests,
        )
    })
    .await
    .unwrap_or_else(|e| format!("<!DOCTYPE html><title>status</title><p>error: {e}"));
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response();
    let h = response.headers_mut();
    html_headers(h, PAGE_CSP);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Every source's health as JSON (what `tributary sources --json` prints; the CLI reads it here
/// while the daemon holds the store).
pub(super) async fn sources_json(State(s): State<Arc<Shared>>) -> Result<Response, Error> {
    let shared = s.clone();
    let unreadable = |error: String| {
        Error::internal(
            "reading the sources' health failed",
            "cannot read source health\n",
            error,
        )
    };
    let health = s
        .blocking(&s.page_turns, move || shared.health())
        .await
        .map_err(unreadable)?
        .map_err(|e| unreadable(e.to_string()))?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&health).unwrap_or_else(|_| "[]".into()),
    )
        .into_response())
}
