//! `tributary discover URL`: the feeds a web page offers, as `[[sources]]` tables to paste
//! into the config (Miniflux's subscription discovery).
//!
//! The URL itself may be a feed. Otherwise the page's `<link rel="alternate">` feeds are
//! read, and when it names none the usual places (`/feed/`, `/rss.xml`…) are tried. Every
//! candidate is fetched with the config's `[fetch]` settings and kept only if it parses.
//!
//! `tributary discover --opml FILE` does the same for the subscriptions another reader
//! exported (Miniflux, FreshRSS, TT-RSS): every `<outline xmlUrl>` becomes a source with the
//! reader's title for it (the feed's when the list gives none) and the feed's language when it
//! can be fetched.
//!
//! Addresses on this host or a private network are fetched only when the operator typed one
//! or passed `--allow-local`: a public page naming `http://169.254.169.254/…` or
//! `http://127.0.0.1:8080/` gets no request, and such a feed in a list is printed commented out,
//! to be added only on purpose (a configured local address is trusted: see
//! [`crate::fetch::guard`]).
//!
//! This file keeps what both share: the feed found (`Found`), the fetch, a document read as a
//! feed and the ids of sources; `page.rs` discovers from a URL, `opml.rs` from a subscription
//! list, whose outlines `outlines.rs` reads.

mod opml;
mod outlines;
mod page;

use serde::Serialize;
use url::Url;

use crate::config::{valid_id, valid_lang};
use crate::fetch::{Document, Fetched, Fetcher};
use crate::model::{SourceKind, SourceState};
use crate::parse::{self, Context};

pub use opml::from_opml;
pub use page::discover;

/// A feed found, as it goes in the config.
#[derive(Debug, Serialize)]
struct Found {
    id: String,
    title: String,
    url: String,
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    lang: Option<String>,
    /// From the reader's folders, when they name a defined topic.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    topics: Vec<String>,
    /// Found with `--accept-invalid-certificates` (over https).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    accept_invalid_certificates: bool,
}

/// One feed of an OPML subscription list.
#[derive(Debug, PartialEq)]
struct Outline {
    url: Url,
    /// The outline's `title` or `text`.
    title: Option<String>,
    /// The folders it is in (outlines holding outlines) and its `category` attribute's
    /// names, outermost first.
    categories: Vec<String>,
}

async fn get(
    fetcher: &Fetcher,
    url: &Url,
    unchecked: bool,
) -> Result<Document, crate::fetch::FetchError> {
    let extras = crate::fetch::Extras {
        accept_invalid_certificates: unchecked,
        ..Default::default()
    };
    match fetcher
        .fetch_url(url, &SourceState::default(), extras)
        .await?
    {
        Fetched::Document(doc) => Ok(doc),
        // No validators were sent: a 304 is the server's mistake, and holds no feed.
        Fetched::NotModified => Err(crate::fetch::FetchError::Status {
            status: 304,
            retry_after: None,
        }),
    }
}

/// The document as a source, if it is a feed.
fn as_feed(doc: &Document, url: &Url) -> Option<Found> {
    let ctx = Context {
        fetch_url: Some(url),
        content_type: doc.content_type.as_deref(),
        default_lang: None,
        now: chrono::Utc::now(),
        time_zone: None,
    };
    let feed = parse::parse(&doc.body, &ctx).ok()?;
    let host = url.host_str().unwrap_or("feed");
    Some(Found {
        id: id_from_host(host),
        title: feed.title.clone().unwrap_or_else(|| host.to_string()),
        url: url.to_string(),
        kind: SourceKind::Partner.to_string(),
        lang: feed.language.filter(|l| valid_lang(l)),
        topics: Vec::new(),
        accept_invalid_certificates: false,
    })
}

/// A source id from a host name: `www.kossev.info` → `kossev`, `news.kwn.example.org` →
/// `news-kwn`.
fn id_from_host(host: &str) -> String {
    let host = host.strip_prefix("www.").unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    // An address keeps all of itself (`127-0-0-1`); a name loses its top-level domain.
    let is_address = host
        .trim_matches(['[', ']'])
        .parse::<std::net::IpAddr>()
        .is_ok();
    let name = if labels.len() > 1 && !is_address {
        labels[..labels.len() - 1].join("-")
    } else {
        host.to_string()
    };
    let id: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let id = id.trim_matches('-').chars().take(48).collect::<String>();
    if valid_id(&id) {
        id
    } else {
        "feed".into()
    }
}

/// `id`, or `id-2`, `id-3`… when the config (or an earlier find) has it.
fn unique_id(id: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == id) {
        return id.to_string();
    }
    (2..)
        .map(|n| format!("{id}-{n}"))
        .find(|c| !taken.contains(c))
        .expect("some suffix is free")
}

#[cfg(test)]
mod tests;
