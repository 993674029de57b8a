//! JSON Feed 1.1 through `serde_json`.
//!
//! JSON Feed has no element for "the source this came from": an item without a byline names
//! the source whose copy leads it as its author, and every carrier's id and the topics are in
//! a `_tributary` extension object (the spec reserves keys starting with `_` for extensions;
//! readers ignore them). Its `tags` are the topics, then the story's own categories. The feed's own
//! id, generator and update time, which JSON Feed has no fields for, go in a top-level
//! `_tributary` object the same way. Struct field order is the output order, so the bytes are
//! deterministic.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::view::{self, ItemView, UNKNOWN_MIME};
use super::FeedMeta;

const VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    icon: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    favicon: Option<&'a str>,
    #[serde(rename = "_tributary")]
    tributary: FeedExtension<'a>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct FeedExtension<'a> {
    id: &'a str,
    generator: &'a str,
    updated: String,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    /// Required when there is no `content_html`: the spec wants one of the two.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    summary: &'a str,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
    #[serde(rename = "_tributary")]
    tributary: ItemExtension<'a>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct Attachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
}

#[derive(Serialize)]
struct ItemExtension<'a> {
    sources: Vec<&'a str>,
    topics: Vec<&'a str>,
}

/// Renders the feed.
pub fn render(meta: &FeedMeta, items: &[ItemView], updated: DateTime<Utc>) -> Vec<u8> {
    let feed = JsonFeed {
        version: VERSION,
        title: &meta.title,
        home_page_url: &meta.page_url,
        feed_url: &meta.self_url,
        description: &meta.description,
        language: meta.language.as_deref(),
        // JSON Feed's `icon` is a large square image, which neither a favicon nor a 2:1 logo
        // is: the favicon alone.
        icon: None,
        favicon: meta.icon.as_deref(),
        tributary: FeedExtension {
            id: &meta.id,
            generator: &meta.generator,
            updated: rfc3339(updated),
        },
        items: items.iter().map(item).collect(),
    };
    let mut bytes = view::written(serde_json::to_vec_pretty(&feed));
    bytes.push(b'\n');
    bytes
}

fn item(v: &ItemView) -> JsonItem<'_> {
    JsonItem {
        id: &v.guid,
        url: v.link.as_deref(),
        // Optional in JSON Feed: a story without one leaves it out (readers say "untitled"
        // in their own words).
        title: &v.title,
        content_html: v.content.as_deref(),
        content_text: v.content.is_none().then_some(v.summary.as_str()),
        summary: if v.content.is_some() { &v.summary } else { "" },
        date_published: rfc3339(v.published),
        date_modified: rfc3339(v.updated),
        // The item's own bylines, else the source whose copy leads it, the original (every
        // carrier is in `_tributary.sources` either way).
        authors: if v.authors.is_empty() {
            v.carriers
                .iter()
                .take(1)
                .map(|c| Author {
                    name: c.name(),
                    // A site the author owns (JSON Feed 1.1), never the feed's own address.
                    url: c.source.as_ref().and_then(|s| s.site_url.as_deref()),
                })
                .collect()
        } else {
            v.authors
                .iter()
                .map(|a| Author { name: a, url: None })
                .collect()
        },
        image: v.image.as_deref(),
        tags: tags(v),
        language: v.lang.as_deref(),
        attachments: v
            .enclosures
            .iter()
            .map(|e| Attachment {
                url: &e.url,
                mime_type: e.mime.as_deref().unwrap_or(UNKNOWN_MIME),
                size_in_bytes: e.length,
            })
            .collect(),
        tributary: ItemExtension {
            sources: v.carriers.iter().map(|c| c.id.as_str()).collect(),
            topics: v.topics.iter().map(String::as_str).collect(),
        },
    }
}

/// The topics, then the story's own categories (which name no topic: see
/// [`ItemView::categories`]).
fn tags(v: &ItemView) -> Vec<&str> {
    v.topics
        .iter()
        .chain(&v.categories)
        .map(String::as_str)
        .collect()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
