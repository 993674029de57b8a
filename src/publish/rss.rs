//! RSS 2.0 through the `rss` crate.
//!
//! The channel links to the feed's web page and names itself with `atom:link rel="self"`. Each
//! item has a non-permalink guid, its sanitized HTML (or escaped summary) as `description`,
//! topics as categories in the `tributary:topic` domain followed by the story's own categories
//! (no domain), the first resolvable carrier as
//! `<source url="…">`, the first enclosure, and its authors as `dc:creator`.

use chrono::{DateTime, Utc};
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Enclosure, Guid, Item, Source};

use super::view::{self, ItemView, TOPIC_DOMAIN, UNKNOWN_MIME};
use super::{FeedMeta, Format};

/// Renders the channel.
pub fn render(meta: &FeedMeta, items: &[ItemView], updated: DateTime<Utc>) -> Vec<u8> {
    let channel = Channel {
        title: meta.title.clone(),
        link: meta.page_url.clone(),
        description: meta.description.clone(),
        language: meta.language.clone(),
        last_build_date: Some(updated.to_rfc2822()),
        generator: Some(meta.generator.clone()),
        image: meta
            .logo
            .as_ref()
            .or(meta.icon.as_ref())
            .map(|url| rss::Image {
                url: url.clone(),
                title: meta.title.clone(),
                link: meta.page_url.clone(),
                ..rss::Image::default()
            }),
        atom_ext: Some(AtomExtension {
            links: vec![Link {
                href: meta.self_url.clone(),
                rel: "self".to_string(),
                mime_type: Some(Format::Rss.media_type().to_string()),
                ..Link::default()
            }],
        }),
        items: items
            .iter()
            .map(|v| item(v, meta.language.as_deref()))
            .collect(),
        ..Channel::default()
    };
    view::written(channel.pretty_write_to(Vec::new(), b' ', 2))
}

/// One item; `language` is the channel's.
fn item(v: &ItemView, language: Option<&str>) -> Item {
    // `description` is HTML: the sanitized body, else the plain summary escaped into HTML.
    let description = match &v.content {
        Some(html) => Some(html.clone()),
        None if v.summary.trim().is_empty() => None,
        // `&`, `<` and `>` alone: `&apos;` is not an HTML 4 entity, and readers that decode
        // descriptions with HTML 4 tables would show it as written.
        None => Some(quick_xml::escape::partial_escape(v.summary.as_str()).into_owned()),
    };
    // RSS requires a title or a description: a story with neither is untitled in words, as
    // in Atom; with a description, readers say it in theirs.
    let title = if !v.title.is_empty() {
        Some(v.title.clone())
    } else if description.is_none() {
        Some(view::untitled(v, language).0.to_string())
    } else {
        None
    };
    Item {
        title,
        link: v.link.clone(),
        description,
        categories: v
            .topics
            .iter()
            .map(|t| Category {
                name: t.clone(),
                domain: Some(TOPIC_DOMAIN.to_string()),
            })
            .chain(v.categories.iter().map(|c| Category {
                name: c.clone(),
                domain: None,
            }))
            .collect(),
        enclosure: v.enclosures.first().map(|e| Enclosure {
            url: e.url.clone(),
            // RSS requires a length; 0 is the accepted way to say "unknown".
            length: e.length.unwrap_or(0).to_string(),
            mime_type: e.mime.clone().unwrap_or_else(|| UNKNOWN_MIME.to_string()),
        }),
        guid: Some(Guid {
            value: v.guid.clone(),
            permalink: false,
        }),
        pub_date: Some(v.published.to_rfc2822()),
        source: v.first_source().map(|s| Source {
            url: s.url.clone(),
            title: Some(s.title.clone()),
        }),
        // The item's own bylines, else the source whose copy leads it (the original), as
        // `dc:creator` (what readers show as the author; the Atom and JSON feeds do the same):
        // a partner that republished it is no author of it. The other carriers are its
        // contributors (with bylines, those `<source>` does not name).
        // An item in another language than the channel's (a partner's English story in a
        // Serbian feed) says so with `dc:language`, as RSS items have no language of their own.
        dublin_core_ext: Some({
            let languages: Vec<String> = v
                .lang
                .iter()
                .filter(|l| language.is_none_or(|c| !c.eq_ignore_ascii_case(l)))
                .cloned()
                .collect();
            if v.authors.is_empty() {
                DublinCoreExtension {
                    creators: v
                        .carriers
                        .iter()
                        .take(1)
                        .map(|c| c.name().to_string())
                        .collect(),
                    contributors: v
                        .carriers
                        .iter()
                        .skip(1)
                        .map(|c| c.name().to_string())
                        .collect(),
                    languages,
                    ..DublinCoreExtension::default()
                }
            } else {
                DublinCoreExtension {
                    creators: v.authors.clone(),
                    contributors: other_carriers(v),
                    languages,
                    ..DublinCoreExtension::default()
                }
            }
        })
        .filter(|dc| !dc.creators.is_empty() || !dc.languages.is_empty()),
        ..Item::default()
    }
}

/// The names of the carriers other than the one `<source>` (or `atom:source`) names: the
/// first that is a configured source.
pub(super) fn other_carriers(v: &ItemView) -> Vec<String> {
    let named = v
        .carriers
        .iter()
        .position(|c| c.source.as_ref().is_some_and(|s| s.configured));
    v.carriers
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != named)
        .map(|(_, c)| c.name().to_string())
        .collect()
}
