//! Atom 1.0 (RFC 4287) through the `atom_syndication` crate.
//!
//! The feed has its id, `updated`, generator, and `self` and `alternate` links. Each entry has
//! the item's stable id, `published` and `updated` (when our copy last changed), HTML content
//! with a plain-text summary, topics as categories under the Tributary topic scheme followed
//! by the story's own categories (no scheme), an
//! `atom:source` for the first resolvable carrier, and enclosures as `rel="enclosure"` links.
//!
//! RFC 4287 requires an author on every entry unless the feed has one, and on the feed when
//! it has no entries: the feed's author is the feed itself (its title), and an entry's authors
//! are the item's own, else the sources that carried it.

use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Source, Text,
    WriteConfig,
};
use chrono::{DateTime, Utc};

use super::view::{self, ItemView, TOPIC_SCHEME};
use super::{FeedMeta, Format};

/// Renders the feed.
pub fn render(meta: &FeedMeta, items: &[ItemView], updated: DateTime<Utc>) -> Vec<u8> {
    // The feed's `xml:lang` is its stories' language; its own title and subtitle are in the
    // language Tributary names the feed in (English unless `title_lang`), said where the two
    // differ (a source's feed in Albanian is titled in English).
    let own_lang = meta.title_lang.as_deref().unwrap_or("en");
    let own_text = |value: &str| Text {
        lang: meta
            .language
            .as_deref()
            .is_some_and(|l| !l.eq_ignore_ascii_case(own_lang))
            .then(|| own_lang.to_string()),
        ..Text::plain(value.to_string())
    };
    let feed = Feed {
        title: own_text(&meta.title),
        id: meta.id.clone(),
        updated: fixed(updated),
        authors: vec![person(&meta.title)],
        generator: Some(Generator {
            value: meta.generator.clone(),
            uri: None,
            version: None,
        }),
        links: vec![
            link("self", &meta.self_url, Format::Atom.media_type()),
            link("alternate", &meta.page_url, "text/html"),
        ],
        subtitle: (!meta.description.trim().is_empty()).then(|| own_text(&meta.description)),
        lang: meta.language.clone(),
        icon: meta.icon.clone(),
        logo: meta.logo.clone(),
        entries: items.iter().map(|v| entry(v, meta)).collect(),
        ..Feed::default()
    };
    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    view::written(feed.write_with_config(Vec::new(), config))
}

/// One entry; `feed_lang` is the feed's `xml:lang`, which its title and summary inherit
/// unless the story's own language differs.
fn entry(v: &ItemView, meta: &FeedMeta) -> Entry {
    let feed_lang = meta.language.as_deref();
    let lang = v
        .lang
        .clone()
        .filter(|l| !feed_lang.is_some_and(|f| f.eq_ignore_ascii_case(l)));
    let text = |value: &str| Text {
        lang: lang.clone(),
        ..Text::plain(value.to_string())
    };
    // An entry without an alternate link must have content (RFC 4287 §4.1.2): with no HTML
    // body, the summary becomes the text content instead of being said twice.
    let summary_as_content = v.content.is_none() && v.link.is_none();
    let content = match &v.content {
        Some(html) => Some(("html", html)),
        None if summary_as_content => Some(("text", &v.summary)),
        None => None,
    }
    .map(|(kind, value)| Content {
        value: Some(value.clone()),
        content_type: Some(kind.to_string()),
        lang: v.lang.clone(),
        ..Content::default()
    });
    let summary = (!summary_as_content && !v.summary.trim().is_empty()).then(|| text(&v.summary));
    // Atom requires a title: a story that has none is untitled in its own language, else
    // the feed's (RSS and JSON Feed leave it out where they can, and readers say it in
    // theirs), the words marked with their language where it is not the feed's.
    let title = if v.title.is_empty() {
        let (words, tag) = view::untitled(v, feed_lang);
        Text {
            lang: (!feed_lang.is_some_and(|f| f.eq_ignore_ascii_case(tag)))
                .then(|| tag.to_string()),
            ..Text::plain(words.to_string())
        }
    } else {
        text(&v.title)
    };
    Entry {
        title,
        id: v.guid.clone(),
        updated: fixed(v.updated),
        authors: authors(v),
        categories: categories(v, meta),
        links: links(v),
        published: Some(fixed(v.published)),
        source: entry_source(v),
        summary,
        content,
        contributors: contributors(v),
        ..Entry::default()
    }
}

/// The story's link and its enclosures.
fn links(v: &ItemView) -> Vec<Link> {
    let mut links: Vec<Link> = Vec::new();
    if let Some(href) = &v.link {
        // No type: a story's link may be a PDF or a recording as well as a page.
        links.push(link("alternate", href, ""));
    }
    for e in &v.enclosures {
        links.push(Link {
            href: e.url.clone(),
            rel: "enclosure".to_string(),
            mime_type: e.mime.clone(),
            length: e.length.map(|n| n.to_string()),
            ..Link::default()
        });
    }
    links
}

/// The story's topics (under the topic scheme, labelled), then its own categories.
fn categories(v: &ItemView, meta: &FeedMeta) -> Vec<Category> {
    let topics: Vec<Category> = v
        .topics
        .iter()
        .map(|t| Category {
            term: t.clone(),
            scheme: Some(TOPIC_SCHEME.to_string()),
            // The name people read; the term stays the topic's stable name.
            label: meta
                .topic_labels
                .iter()
                .find(|(name, _)| name == t)
                .map(|(_, label)| label.clone()),
        })
        .collect();
    // The story's own categories, but not one that a topic's label already shows (readers
    // show the label: "Kultura" twice).
    let shown = |c: &str| {
        let c = c.to_lowercase();
        topics
            .iter()
            .any(|t| t.label.as_ref().is_some_and(|l| l.to_lowercase() == c))
    };
    let own: Vec<Category> = v
        .categories
        .iter()
        .filter(|c| !shown(c))
        .map(|c| Category {
            term: c.clone(),
            scheme: None,
            label: None,
        })
        .collect();
    topics.into_iter().chain(own).collect()
}

/// `atom:source`: the feed the story was first carried by, as of our copy of it.
fn entry_source(v: &ItemView) -> Option<Source> {
    v.first_source().map(|s| {
        let mut links = vec![link("self", &s.url, "")];
        if let Some(site) = &s.site_url {
            links.push(link("alternate", site, "text/html"));
        }
        Source {
            title: Text::plain(s.title.clone()),
            id: view::source_urn(&s.id),
            // The source as of our copy of this entry.
            updated: fixed(v.updated),
            links,
            ..Source::default()
        }
    })
}

/// The carriers other than the author (the lead's source, without bylines), or those
/// `atom:source` does not name (with bylines).
fn contributors(v: &ItemView) -> Vec<Person> {
    if v.authors.is_empty() {
        v.carriers
            .iter()
            .skip(1)
            .map(|c| person(c.name()))
            .collect()
    } else {
        super::rss::other_carriers(v)
            .iter()
            .map(|n| person(n))
            .collect()
    }
}

/// The item's own authors, else the sources that carried it (none left: the feed's author).
fn authors(v: &ItemView) -> Vec<Person> {
    if v.authors.is_empty() {
        v.carriers
            .iter()
            .take(1)
            .map(|c| person(c.name()))
            .collect()
    } else {
        v.authors.iter().map(|a| person(a)).collect()
    }
}

fn person(name: &str) -> Person {
    Person {
        name: name.to_string(),
        ..Person::default()
    }
}

/// A link; an empty `mime` leaves the `type` attribute out.
fn link(rel: &str, href: &str, mime: &str) -> Link {
    Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: (!mime.is_empty()).then(|| mime.to_string()),
        ..Link::default()
    }
}

fn fixed(t: DateTime<Utc>) -> FixedDateTime {
    t.fixed_offset()
}
