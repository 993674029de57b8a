//! The web page of a feed: the same stories as its RSS, Atom and JSON Feed documents, as
//! Planet aggregators publish them, for people who read in a browser rather than a feed
//! reader. Grouped by day (in `[server] time_zone`), each story with its sources and topics linked to their own
//! pages, its plain-text summary, and links to subscribe to the feed.
//!
//! Text only: a story's title and summary are escaped text, never its HTML body, and no
//! picture is loaded from the partners' servers (a reader's visit reaches no third party), so
//! the page can be served under a policy that allows nothing but its own inline style.

use std::sync::LazyLock;

use chrono::{DateTime, SecondsFormat, Utc};
use minijinja::{context, Environment};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;

use super::view::ItemView;
use super::{FeedMeta, Format};
use crate::locale::Locale;
use crate::model::http_url;

const TEMPLATE: &str = include_str!("page.html");

/// The template, parsed once.
static ENV: LazyLock<Environment<'static>> =
    LazyLock::new(|| super::html_template("page.html", TEMPLATE));

/// What a path segment keeps verbatim (ids and topic names are short ASCII words).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

#[derive(Serialize)]
struct FeedLink {
    url: String,
    media_type: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct Day {
    date: String,
    label: String,
    stories: Vec<Story>,
}

#[derive(Serialize)]
struct Story {
    title: String,
    link: Option<String>,
    lang: Option<String>,
    published: String,
    time: String,
    summary: String,
    carriers: Vec<Carrier>,
    topics: Vec<Topic>,
    attachments: Vec<Attachment>,
}

#[derive(Serialize)]
struct Attachment {
    url: String,
    mime: Option<String>,
}

#[derive(Serialize)]
struct Carrier {
    name: String,
    url: Option<String>,
}

#[derive(Serialize)]
struct Topic {
    label: String,
    url: Option<String>,
}

/// Renders the page.
pub fn render(meta: &FeedMeta, items: &[ItemView], updated: DateTime<Utc>) -> Vec<u8> {
    // A feed that names itself in Albanian or Serbian speaks it around its stories too.
    let locale = meta
        .title_lang
        .as_deref()
        .and_then(Locale::parse)
        .unwrap_or_default();
    let labels = locale.page_labels();
    let feeds = feed_links(meta);
    // By their own dates: the feeds list a story that arrived late where it arrived (see
    // `model::listed_at`), but a page of days shows it on its day.
    let mut by_date: Vec<&ItemView> = items.iter().collect();
    by_date.sort_by_key(|v| std::cmp::Reverse(v.published));
    let tz = meta.time_zone;
    // "UTC", "CET", "CEST": what the zone is called at that time.
    let zone_at = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Z").to_string();
    let mut days: Vec<Day> = Vec::new();
    for v in by_date {
        let local = v.published.with_timezone(&tz);
        let date = local.format("%Y-%m-%d").to_string();
        let time = format!("{} {}", local.format("%H:%M"), zone_at(v.published));
        let story = story(v, meta, labels.untitled, time);
        match days.last_mut() {
            Some(day) if day.date == date => day.stories.push(story),
            _ => days.push(Day {
                label: locale.date(local.date_naive()),
                date,
                stories: vec![story],
            }),
        }
    }
    let html = ENV.get_template("page.html").and_then(|t| {
        t.render(context! {
            title => &meta.title,
            description => &meta.description,
            title_lang => &meta.title_lang,
            generator => &meta.generator,
            site_url => &meta.site_url,
            feeds => feeds,
            days => days,
            updated => updated.to_rfc3339_opts(SecondsFormat::Secs, true),
            updated_label => format!("{} {}", locale.date_time(updated, tz), zone_at(updated)),
            page_lang => locale.tag(),
            labels => labels,
        })
    });
    match html {
        Ok(mut html) => {
            html.push('\n');
            html.into_bytes()
        }
        Err(e) => {
            debug_assert!(false, "rendering a page failed: {e}");
            format!(
                "<!DOCTYPE html><title>{}</title><p>This page could not be rendered.</p>\n",
                super::view::clean(&meta.title).replace(['<', '&'], "")
            )
            .into_bytes()
        }
    }
}

/// The same scope's feeds: this page's address with their extension.
fn feed_links(meta: &FeedMeta) -> Vec<FeedLink> {
    meta.self_url
        .strip_suffix(".html")
        .map(|stem| {
            Format::FEEDS
                .iter()
                .map(|f| FeedLink {
                    url: format!("{stem}.{}", f.extension()),
                    media_type: f.media_type(),
                    label: f.label(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The address of another page of the site: `feeds/{path}/{name}.html`.
fn page_url(meta: &FeedMeta, path: &str, name: &str) -> String {
    format!(
        "{}/feeds/{path}/{}.html",
        meta.site_url.trim_end_matches('/'),
        utf8_percent_encode(name, SEGMENT)
    )
}

/// A story as the page shows it (`time`: its local time and zone), `untitled` when it has no
/// title.
fn story(v: &ItemView, meta: &FeedMeta, untitled: &str, time: String) -> Story {
    Story {
        title: if v.title.trim().is_empty() {
            untitled.to_string()
        } else {
            v.title.clone()
        },
        // A page links to the web alone (an import can hold any link).
        link: v.link.as_deref().and_then(http_url),
        lang: v.lang.clone(),
        published: v.published.to_rfc3339_opts(SecondsFormat::Secs, true),
        time,
        summary: v.summary.clone(),
        carriers: v
            .carriers
            .iter()
            .map(|c| Carrier {
                name: c.name().to_string(),
                // A source no longer configured has no page here.
                url: c
                    .source
                    .as_ref()
                    .filter(|s| s.configured)
                    .map(|s| page_url(meta, "sources", &s.id)),
            })
            .collect(),
        topics: v
            .topics
            .iter()
            .map(|t| {
                // A topic the rules no longer have (until `reclassify`) has no page.
                let configured = meta.topic_labels.iter().find(|(name, _)| name == t);
                Topic {
                    label: configured.map_or_else(|| t.clone(), |(_, label)| label.clone()),
                    url: configured.map(|_| match &meta.topic_pages_in {
                        Some(tag) => {
                            let topic = utf8_percent_encode(t, SEGMENT);
                            page_url(meta, &format!("topics/{topic}"), tag)
                        }
                        None => page_url(meta, "topics", t),
                    }),
                }
            })
            .collect(),
        attachments: v
            .enclosures
            .iter()
            .filter_map(|e| {
                Some(Attachment {
                    url: http_url(&e.url)?,
                    mime: e.mime.clone(),
                })
            })
            .collect(),
    }
}
