//! Fetch: bytes and metadata from a source, politely and within limits. No parsing here.
//!
//! Conditional GET with the stored validators, an identifying User-Agent, connect and total
//! timeouts, a body limit enforced while streaming (after decompression), a redirect limit,
//! `Retry-After` on 429/503, and bounded concurrency overall and per host.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::StatusCode;
use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;
use url::Url;

use crate::config::FetchConfig;
use crate::model::{Location, Source, SourceState};

/// A document as fetched.
#[derive(Debug, Clone)]
pub struct Document {
    /// The body, decompressed.
    pub body: Vec<u8>,
    /// The URL after redirects (None for local files).
    pub final_url: Option<Url>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `ETag` header.
    pub etag: Option<String>,
    /// The `Last-Modified` header.
    pub last_modified: Option<String>,
    /// HTTP status (200 for files).
    pub status: u16,
}

/// What a fetch gave.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// The server answered 304 to our validators: nothing to parse.
    NotModified,
    /// A full document.
    Document(Document),
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// No complete response within the limit.
    #[error("timed out after {}", humantime::format_duration(*.0))]
    Timeout(Duration),
    /// DNS, TCP or TLS failure.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The server answered with an error status.
    #[error("HTTP {status}{}", retry_after.map(|d| format!(" (retry after {})", humantime::format_duration(d))).unwrap_or_default())]
    Status {
        /// The status code.
        status: u16,
        /// What the server asked us to wait (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// The body exceeded the configured maximum.
    #[error("response body exceeds the {limit}-byte limit")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// More redirects than allowed, or a loop.
    #[error("too many redirects (limit {0})")]
    TooManyRedirects(usize),
    /// A local feed file could not be read.
    #[error("cannot read {path}: {message}")]
    File {
        /// The path.
        path: String,
        /// The IO error.
        message: String,
    },
    /// Anything else reqwest reports.
    #[error("request failed: {0}")]
    Other(String),
}

impl FetchError {
    /// How long the server asked us to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The HTTP client with its limits; cheap to share behind an `Arc`.
pub struct Fetcher {
    client: reqwest::Client,
    config: FetchConfig,
    global: Arc<Semaphore>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Fetcher {
    /// Builds the client from the `[fetch]` config.
    pub fn new(config: &FetchConfig) -> Result<Fetcher, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::limited(config.max_redirects))
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| FetchError::Other(error_chain(&e)))?;
        Ok(Fetcher {
            client,
            config: config.clone(),
            global: Arc::new(Semaphore::new(config.concurrency)),
            hosts: Mutex::new(HashMap::new()),
        })
    }

    /// Fetches a source's document, conditionally when validators are known.
    pub async fn fetch(&self, source: &Source, state: &SourceState) -> Result<Fetched, FetchError> {
        let _global = self.global.acquire().await.expect("semaphore never closed");
        match &source.location {
            Location::File(path) => self.read_file(path).await,
            Location::Http(url) => {
                let host = self.host_permit(url);
                let _host = host.acquire().await.expect("semaphore never closed");
                let limit = self.config.timeout + Duration::from_secs(1);
                match tokio::time::timeout(limit, self.get(url, state)).await {
                    Ok(result) => result,
                    Err(_) => Err(FetchError::Timeout(self.config.timeout)),
                }
            }
        }
    }

    fn host_permit(&self, url: &Url) -> Arc<Semaphore> {
        let host = url.host_str().unwrap_or("").to_string();
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(self.config.per_host_concurrency)))
            .clone()
    }

    async fn get(&self, url: &Url, state: &SourceState) -> Result<Fetched, FetchError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
            ),
        );
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
        let started = Instant::now();
        let response = self
            .client
            .get(url.clone())
            .headers(headers)
            .send()
            .await
            .map_err(|e| self.classify(e, started))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            let retry_after = match status {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                    retry_after(response.headers(), Utc::now())
                }
                _ => None,
            };
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after,
            });
        }
        let limit = self.config.max_body_size;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(FetchError::TooLarge { limit });
        }
        let header_str = |name: header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header_str(header::CONTENT_TYPE);
        let etag = header_str(header::ETAG);
        let last_modified = header_str(header::LAST_MODIFIED);
        let final_url = response.url().clone();
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.classify(e, started))?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched::Document(Document {
            body,
            final_url: Some(final_url),
            content_type,
            etag,
            last_modified,
            status: status.as_u16(),
        }))
    }

    async fn read_file(&self, path: &std::path::Path) -> Result<Fetched, FetchError> {
        let file_error = |e: std::io::Error| FetchError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let file = tokio::fs::File::open(path).await.map_err(file_error)?;
        let limit = self.config.max_body_size;
        let mut body = Vec::new();
        file.take(limit + 1)
            .read_to_end(&mut body)
            .await
            .map_err(file_error)?;
        if body.len() as u64 > limit {
            return Err(FetchError::TooLarge { limit });
        }
        Ok(Fetched::Document(Document {
            body,
            final_url: Url::from_file_path(path).ok(),
            content_type: None,
            etag: None,
            last_modified: None,
            status: 200,
        }))
    }

    fn classify(&self, e: reqwest::Error, started: Instant) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout(started.elapsed().min(self.config.timeout))
        } else if e.is_redirect() {
            FetchError::TooManyRedirects(self.config.max_redirects)
        } else if e.is_connect() {
            FetchError::Connect(error_chain(&e))
        } else {
            FetchError::Other(error_chain(&e))
        }
    }
}

/// `Retry-After` as a duration: delay-seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when: DateTime<Utc> = httpdate::parse_http_date(value).ok()?.into();
    (when - now).to_std().ok()
}

/// The innermost causes of an error, joined: "error sending request: connection refused".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = Utc::now();
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        let later = httpdate::fmt_http_date((now + chrono::Duration::seconds(600)).into());
        h.insert(header::RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let d = retry_after(&h, now).unwrap();
        assert!(
            d > Duration::from_secs(590) && d <= Duration::from_secs(600),
            "{d:?}"
        );
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }
}
