//! Fetch: bytes and metadata from a source, politely and within limits. No parsing here.
//!
//! Conditional GET with the stored validators, an identifying User-Agent, connect and total
//! timeouts, a body limit enforced while streaming (after decompression), a redirect limit,
//! `Retry-After` on 429/503, and bounded concurrency overall and per host.
//!
//! This file has what a fetch gives and the [`Fetcher`]'s entry points; the clients are built
//! in `client`, requests made in `request` (local files read in `file`), redirects followed in
//! `redirect`, slots and hosts' pauses kept in `politeness`, and failures said in `error`,
//! `certificate` and `retry`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use url::Url;

mod certificate;
mod client;
mod error;
mod file;
pub mod guard;
pub mod limit;
mod politeness;
mod redirect;
mod request;
mod retry;

pub use error::FetchError;
pub use politeness::{HostPause, Limits};
pub use retry::{retry_after, MAX_RETRY_AFTER};

use client::Clients;
use limit::Permit;
use redirect::{Hops, Turns};

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

/// What a request to a source carries besides its URL and validators.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Extras<'a> {
    /// Replaces `[fetch] user_agent`.
    pub user_agent: Option<&'a str>,
    /// HTTP Basic login.
    pub auth: Option<&'a crate::model::BasicAuth>,
    /// More headers (validated when the config was loaded).
    pub headers: &'a [(String, String)],
    /// The server's certificate is not checked (`accept_invalid_certificates`).
    pub accept_invalid_certificates: bool,
}

impl<'a> Extras<'a> {
    /// A source's.
    pub fn of(source: &'a Source) -> Extras<'a> {
        Extras {
            user_agent: source.user_agent.as_deref(),
            auth: source.auth.as_ref(),
            headers: &source.headers,
            accept_invalid_certificates: source.accept_invalid_certificates,
        }
    }
}

/// The longest `ETag`, `Last-Modified`, site address or redirect target kept for a source, in
/// bytes.
pub const MAX_KEPT_HEADER: usize = 2048;

/// The HTTP client with its limits; cheap to share behind an `Arc`.
pub struct Fetcher {
    /// The clients that check certificates.
    checked: Clients,
    /// The clients for sources with `accept_invalid_certificates`, built when one is first
    /// fetched.
    unchecked: OnceLock<Clients>,
    /// What the clients resolve public names with, for those built later.
    resolver: Arc<guard::GuardedResolver>,
    /// `[fetch] proxy`, with its login.
    proxy: Option<reqwest::Proxy>,
    /// `[fetch]` as configured: what the clients are built with, and the timeout and body limit
    /// each fetch reads.
    config: FetchConfig,
    /// The slots its fetches take, shared with the fetchers before and after a reload.
    limits: Arc<Limits>,
    /// Redirects followed, by the URL asked for: whether every hop was permanent (301, 308),
    /// and where the last one led ([`Fetcher::moved`]).
    hops: Hops,
    /// The URLs being requested: one request per URL at a time, so that `hops` holds that
    /// request's redirects alone.
    turns: Turns,
    /// The environment variable that should hold the proxy's password, when it is not set.
    no_proxy_password: Option<String>,
}

impl Fetcher {
    /// Fetches a source's document, conditionally when validators are known.
    pub async fn fetch(&self, source: &Source, state: &SourceState) -> Result<Fetched, FetchError> {
        self.fetch_waiting(source, state).await.0
    }

    /// [`Fetcher::fetch`], also saying how long the fetch waited for a free slot (its host's,
    /// then the pass's) before it began: a quick answer queued behind a slow host's other
    /// sources did not take that long itself.
    pub async fn fetch_waiting(
        &self,
        source: &Source,
        state: &SourceState,
    ) -> (Result<Fetched, FetchError>, Duration) {
        let done = self.fetch_holding(source, state, None).await;
        (done.result, done.waited)
    }

    /// [`Fetcher::fetch_waiting`] with the host's slot already held (from
    /// [`Fetcher::host_slot`]), or taken here when `None`, and where the source has moved.
    pub async fn fetch_holding(
        &self,
        source: &Source,
        state: &SourceState,
        host: Option<Permit>,
    ) -> Done {
        let queued = std::time::Instant::now();
        match &source.location {
            Location::File(path) => {
                let _global = self.limits.global().acquire().await;
                let waited = queued.elapsed();
                Done {
                    result: self.read_file(path).await,
                    waited,
                    moved: None,
                }
            }
            Location::Http(url) => {
                let slots = self.slots(url, host).await;
                let waited = queued.elapsed();
                let (result, moved) = self
                    .request(url, state, Extras::of(source), &slots.turn)
                    .await;
                Done {
                    result,
                    waited,
                    moved,
                }
            }
        }
    }

    /// Fetches an http(s) URL with every limit a source's fetch has (politeness per host,
    /// the total timeout), with what `extras` adds to the request.
    pub async fn fetch_url(
        &self,
        url: &Url,
        state: &SourceState,
        extras: Extras<'_>,
    ) -> Result<Fetched, FetchError> {
        let slots = self.slots(url, None).await;
        self.request(url, state, extras, &slots.turn).await.0
    }
}

/// A source's fetch, done: what it gave, and what the fetch learnt on the way.
#[derive(Debug)]
pub struct Done {
    /// The document, or why there is none.
    pub result: Result<Fetched, FetchError>,
    /// How long the fetch waited for its slots before it began.
    pub waited: Duration,
    /// Where the source's URL has moved for good: where its redirects led when every one was
    /// permanent (301, 308), so its `url` should say it. Also beside a failure (the redirect
    /// then refused, or the address that did not answer).
    pub moved: Option<Url>,
}

#[cfg(test)]
mod tests;
