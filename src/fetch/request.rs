//! The HTTP request of a fetch: the source's headers and login, the conditional GET with its
//! stored validators, the status answered, and the body read within `[fetch] max_body_size`,
//! all within the total timeout.

use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::StatusCode;
use url::Url;

use super::redirect::Turn;
use super::retry::retry_after;
use super::{guard, Document, Extras, FetchError, Fetched, Fetcher, MAX_KEPT_HEADER};
use crate::model::SourceState;

impl Fetcher {
    /// The request itself, within the total timeout, once the caller holds its slots and the
    /// URL's `turn`; with where the URL has moved for good ([`Fetcher::moved`]).
    pub(super) async fn request(
        &self,
        url: &Url,
        state: &SourceState,
        extras: Extras<'_>,
        turn: &Turn<'_>,
    ) -> (Result<Fetched, FetchError>, Option<Url>) {
        let limit = self.config.timeout + Duration::from_secs(1);
        let result = match tokio::time::timeout(limit, self.get(url, state, extras)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout(self.config.timeout)),
        };
        (result, self.moved(turn))
    }

    /// The request, its answer's status read and its body within the limit.
    async fn get(
        &self,
        url: &Url,
        state: &SourceState,
        extras: Extras<'_>,
    ) -> Result<Fetched, FetchError> {
        let headers = request_headers(state, extras);
        let conditional = headers.contains_key(header::IF_NONE_MATCH)
            || headers.contains_key(header::IF_MODIFIED_SINCE);
        let started = Instant::now();
        let private = extras.auth.is_some() || !extras.headers.is_empty();
        let local = guard::is_local(url);
        if let (false, Some(var)) = (local, &self.no_proxy_password) {
            return Err(FetchError::NoProxyPassword(var.clone()));
        }
        let client = self.clients_for(extras)?.pick(local, private);
        let mut request = client.get(url.clone()).headers(headers);
        if let Some(auth) = extras.auth {
            // Read at each fetch, never kept: a rotated password is taken at the next poll.
            let password = std::env::var(&auth.password_env)
                .map_err(|_| FetchError::NoPassword(auth.password_env.clone()))?;
            request = request.basic_auth(&auth.username, Some(password));
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.classify(e, url, started))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return if conditional {
                Ok(Fetched::NotModified)
            } else {
                Err(FetchError::UnaskedNotModified)
            };
        }
        if let Some(refused) = refusal(&response, extras) {
            return Err(refused);
        }
        let limit = self.config.max_body_size;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(FetchError::TooLarge { limit });
        }
        // Kept in the source's state, written at every fetch: a validator longer than any
        // server writes is not kept (the body's hash still spares reading an unchanged feed).
        let header_str = |name: header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| v.len() <= MAX_KEPT_HEADER)
                .map(str::to_string)
        };
        let content_type = header_str(header::CONTENT_TYPE);
        let etag = header_str(header::ETAG);
        let last_modified = header_str(header::LAST_MODIFIED);
        let final_url = response.url().clone();
        let body = self.body(response, url, started).await?;
        Ok(Fetched::Document(Document {
            body,
            final_url: Some(final_url),
            content_type,
            etag,
            last_modified,
            status: status.as_u16(),
        }))
    }

    /// The answer's body, read as it streams in, refused once it passes
    /// `[fetch] max_body_size` (after decompression).
    async fn body(
        &self,
        response: reqwest::Response,
        url: &Url,
        started: Instant,
    ) -> Result<Vec<u8>, FetchError> {
        let limit = self.config.max_body_size;
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.classify(e, url, started))?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The request's headers: the source's own (checked when the config was loaded), its
/// User-Agent, what it accepts (feeds first, unless the source says), and the stored
/// validators.
fn request_headers(state: &SourceState, extras: Extras<'_>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in extras.headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    if let Some(agent) = extras
        .user_agent
        .and_then(|a| HeaderValue::from_str(a).ok())
    {
        headers.insert(header::USER_AGENT, agent);
    }
    if !headers.contains_key(header::ACCEPT) {
        // Feeds first, then anything else a source may serve its feed as.
        const FEEDS: &str = concat!(
            "application/rss+xml, application/atom+xml, application/feed+json, ",
            "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
        );
        headers.insert(header::ACCEPT, HeaderValue::from_static(FEEDS));
    }
    if let Some(etag) = state
        .etag
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        headers.insert(header::IF_NONE_MATCH, etag);
    }
    if let Some(lm) = state
        .last_modified
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        headers.insert(header::IF_MODIFIED_SINCE, lm);
    }
    headers
}

/// Why an answer other than 304 gives no document: a login refused (401), or another status
/// that is no success (with the `Retry-After` of a 429 or 503).
fn refusal(response: &reqwest::Response, extras: Extras<'_>) -> Option<FetchError> {
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        return Some(FetchError::Login {
            tried: extras.auth.is_some()
                || extras
                    .headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("authorization")),
        });
    }
    if status.is_success() {
        return None;
    }
    let retry_after = match status {
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
            retry_after(response.headers(), Utc::now())
        }
        _ => None,
    };
    Some(FetchError::Status {
        status: status.as_u16(),
        retry_after,
    })
}
