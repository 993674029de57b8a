//! A raw entry → the item to store: its HTML sanitized, links absolute, dates checked, a
//! plain-text summary, a title (derived when it has none), categories, authors, attachments,
//! picture and language.

use chrono::{DateTime, Datelike, Duration as ChronoDuration, Utc};
use feed_rs::model::{Entry, Text};
use unicode_segmentation::UnicodeSegmentation;
use url::Url;

use crate::model::{Enclosure, NewItem};

use super::text::{html_prefix, own_title, person_names, text_prefix, MAX_TITLE};
use super::{html, lang, urls};
use super::{Context, ParsedFeed, RawEntry};

/// Turns a raw entry into a stored-item candidate: sanitized, absolute, dated, titled.
pub fn normalize(raw: &RawEntry, feed: &ParsedFeed, ctx: &Context<'_>) -> NewItem {
    let e = &raw.entry;
    let html_base = html_base(raw, feed, ctx);
    let item_host = raw
        .link
        .as_ref()
        .and_then(|l| l.host_str().map(str::to_string));
    let (content, summary_text) =
        content_and_summary(e, feed, html_base.as_ref(), item_host.as_deref());
    let summary = html::truncate_words(&summary_text, MAX_SUMMARY);
    let title = title(raw, &summary_text);
    let (published, updated) = dates(e, ctx.now);
    let categories = categories(e);
    let authors = authors(e, feed);
    let enclosures = enclosures(e, feed, html_base.as_ref());
    let image = image(e, feed, content.as_deref(), html_base.as_ref());
    let lang = lang::story_language(
        e.language.as_deref().or(feed.language.as_deref()),
        ctx.default_lang,
        &[&title, &summary],
    );
    NewItem {
        identity: raw.identity.clone(),
        // Again: the text decoder reads `&#146;` as U+0092, where HTML means `’`.
        title: html::fix_c1_controls(title),
        link: link(raw),
        published,
        updated,
        summary: html::fix_c1_controls(summary),
        content,
        authors,
        categories,
        lang,
        enclosures,
        image,
        content_hash: raw.content_hash.clone(),
    }
}

/// The base the entry's HTML resolves against: its `xml:base`, else its link, the feed's
/// site, the URL fetched.
fn html_base(raw: &RawEntry, feed: &ParsedFeed, ctx: &Context<'_>) -> Option<Url> {
    let xml_base = raw.entry.base.as_deref().and_then(|b| Url::parse(b).ok());
    xml_base
        .or_else(|| raw.link.clone())
        .or_else(|| feed.site.clone())
        .or_else(|| ctx.fetch_url.cloned())
}

/// The entry's body as sanitized HTML (its summary's when it has no body) and its plain-text
/// summary, not yet cut to [`MAX_SUMMARY`].
fn content_and_summary(
    e: &Entry,
    feed: &ParsedFeed,
    html_base: Option<&Url>,
    item_host: Option<&str>,
) -> (Option<String>, String) {
    let summary_apart = summary_apart(e);
    let (body, plain_body) = body(e, feed.json);
    let (body_html, summary_apart) = match body {
        Some(b) => (Some(b), summary_apart),
        None => (
            summary_apart
                .map(|s| as_html(&s.content, s.content_type.essence().to_string().as_str())),
            None,
        ),
    };
    let content = body_html
        .as_deref()
        .map(|h| html::sanitize(h, html_base, item_host))
        .filter(|c| !c.is_empty());
    let summary_text = summary_text(
        summary_apart,
        body_html.as_deref(),
        plain_body,
        content.as_deref(),
        feed.json,
    );
    (content, summary_text)
}

/// The entry's summary apart from its body, if it has one not blank.
fn summary_apart(e: &Entry) -> Option<&Text> {
    // The summary, when the entry has one apart from its body, is read on its own. Without
    // one, a media description stands in (`itunes:summary`, `media:description`: podcasts,
    // video channels).
    let non_blank = |t: &&Text| !t.content.trim().is_empty();
    e.summary.as_ref().filter(non_blank).or_else(|| {
        e.media
            .iter()
            .find_map(|m| m.description.as_ref().filter(non_blank))
    })
}

/// The start of a plain text, its whitespace collapsed.
fn capped_text(text: &str) -> String {
    // JSON Feed's `content_text` and `summary` are plain text by its spec (the HTML goes in
    // `content_html`): what reads like a tag in them is text, in the summary as in the body.
    // (Atom's text constructs are guessed: feeds put HTML in them.) Categories' terms and
    // labels are text in every format too.
    let end = text
        .char_indices()
        .nth(MAX_SUMMARY * 2)
        .map_or(text.len(), |(i, _)| i);
    html::collapse_whitespace(&text[..end])
}

/// The entry's body as HTML, if not blank, and, in a JSON Feed, the body itself when it is
/// plain text.
fn body(e: &Entry, json: bool) -> (Option<String>, Option<&str>) {
    let mut plain_body = None;
    let body = e.content.as_ref().and_then(|c| {
        let body = c.body.as_deref()?.trim();
        let media_type = c.content_type.essence().to_string();
        if json && !is_markup(&media_type) && !body.is_empty() {
            plain_body = Some(body);
        }
        (!body.is_empty()).then(|| as_html(body, &media_type))
    });
    (body, plain_body)
}

/// The plain-text summary: the start of the summary apart, else of the body.
fn summary_text(
    summary_apart: Option<&Text>,
    body_html: Option<&str>,
    plain_body: Option<&str>,
    content: Option<&str>,
    json: bool,
) -> String {
    // Only the start of the text is kept (summary, derived title): only the start is read,
    // and the body's only when the entry has no summary apart.
    summary_apart
        .map(|t| {
            if json && !t.content_type.subty().as_str().contains("html") {
                capped_text(&t.content)
            } else {
                text_prefix(t, MAX_SUMMARY)
            }
        })
        .filter(|s| !s.is_empty())
        .or_else(|| {
            let h = body_html?;
            if let Some(body) = plain_body {
                return Some(capped_text(body));
            }
            // Read from the sanitized body: its markup is simple enough to skip without a
            // second tokenizer. A body whose text the sanitizer took out with its markup
            // (MathML, SVG) is read as it came, so the story keeps what text it has.
            let text = content
                .map(|c| html::sanitized_text_prefix(c, MAX_SUMMARY))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| html::to_text_prefix(h, MAX_SUMMARY));
            // Escaped markup decodes to tags: the body is read again the careful way.
            Some(if html::looks_like_html(&text) {
                html_prefix(h, MAX_SUMMARY)
            } else {
                text
            })
        })
        .unwrap_or_default()
}

/// The entry's own title, else one derived from its summary text or link.
fn title(raw: &RawEntry, summary_text: &str) -> String {
    own_title(&raw.entry).unwrap_or_else(|| {
        html::truncate_words(&derive_title(summary_text, raw.link.as_ref()), MAX_TITLE)
    })
}

/// The entry's publication and update dates, each only if usable.
fn dates(e: &Entry, now: DateTime<Utc>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let latest_ok = now + ChronoDuration::hours(FUTURE_SLACK_HOURS);
    let usable = |d: &DateTime<Utc>| *d <= latest_ok && d.year() >= EARLIEST_YEAR;
    // A publication date that cannot be used gives way to a usable `updated` (a post
    // scheduled ahead, then touched now).
    let published = e.published.filter(usable).or(e.updated.filter(usable));
    let updated = e.updated.filter(usable);
    (published, updated)
}

/// The entry's categories, at most [`MAX_CATEGORIES`].
fn categories(e: &Entry) -> Vec<String> {
    // The first 20 distinct ones (letter case aside): an item may carry thousands, read no
    // further. A category is named by its label, else its term (a blank label names
    // nothing); one of over 100 characters is a list of keywords, not a category.
    let mut categories: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for c in &e.categories {
        if categories.len() == MAX_CATEGORIES {
            break;
        }
        let label = c
            .label
            .as_deref()
            .map(capped_text)
            .filter(|l| !l.is_empty());
        let name = label.unwrap_or_else(|| capped_text(&c.term));
        let folded = name.to_lowercase();
        if !name.is_empty() && name.chars().count() <= 100 && !seen.contains(&folded) {
            seen.push(folded);
            categories.push(name);
        }
    }
    categories
}

/// The entry's authors, else the feed's.
fn authors(e: &Entry, feed: &ParsedFeed) -> Vec<String> {
    let mut authors = person_names(&e.authors);
    if authors.is_empty() {
        authors.clone_from(&feed.authors);
    }
    authors
}

/// The entry's attachments, absolute, at most [`MAX_ENCLOSURES`].
fn enclosures(e: &Entry, feed: &ParsedFeed, html_base: Option<&Url>) -> Vec<Enclosure> {
    // RSS `<enclosure>` and Media RSS come as media (an item's enclosures first:
    // `entry_extras`); Atom `rel="enclosure"` links and JSON Feed attachments as links. The
    // same file named twice is one enclosure.
    let from_media = e
        .media
        .iter()
        .flat_map(|m| m.content.iter())
        .filter_map(|c| {
            Some((
                c.url.as_ref()?.to_string(),
                c.content_type.as_ref().map(|t| t.to_string()),
                c.size,
            ))
        });
    let from_links = e
        .links
        .iter()
        .filter(|l| match l.rel.as_deref() {
            Some(rel) => rel.eq_ignore_ascii_case("enclosure"),
            None => feed.json && l.media_type.is_some(),
        })
        .map(|l| (l.href.clone(), l.media_type.clone(), l.length));
    let mut enclosures: Vec<Enclosure> = Vec::new();
    // The first ones named (an entry may name tens of thousands, each to resolve).
    for (href, mime, length) in from_media.chain(from_links).take(4 * MAX_ENCLOSURES) {
        if enclosures.len() == MAX_ENCLOSURES {
            break;
        }
        let Some(url) = urls::resolve(&href, &[html_base]) else {
            continue;
        };
        let url = url.to_string();
        if !enclosures.iter().any(|x| x.url == url) {
            enclosures.push(Enclosure {
                url,
                mime: mime.filter(|m| !m.trim().is_empty()),
                length,
            });
        }
    }
    enclosures
}

/// The entry's picture apart from its text, absolute.
fn image(
    e: &Entry,
    feed: &ParsedFeed,
    content: Option<&str>,
    html_base: Option<&Url>,
) -> Option<String> {
    // The picture the feed names apart from the text: JSON Feed's `image` (put first of the
    // media when parsed), else a Media RSS thumbnail when the text shows no picture (a
    // thumbnail is small; the text's picture is the story's own, in full).
    e.media
        .iter()
        .flat_map(|m| &m.thumbnails)
        .map(|t| t.image.uri.trim())
        .find(|u| !u.is_empty())
        .filter(|_| feed.json || content.and_then(html::first_image).is_none())
        .and_then(|u| urls::resolve(u, &[html_base]))
        .map(|u| u.to_string())
}

/// The entry's link, with its fragment.
fn link(raw: &RawEntry) -> Option<String> {
    raw.link.as_ref().map(|link| {
        let mut link = link.clone();
        link.set_fragment(raw.fragment.as_deref());
        link.to_string()
    })
}

/// Longest plain-text summary kept, in characters.
const MAX_SUMMARY: usize = 600;

/// Dates further ahead than this are treated as missing (a clock or template error).
const FUTURE_SLACK_HOURS: i64 = 24;

/// Dates before this (1990, before the web) are treated as missing: the placeholders of
/// writers that had no date (Go's zero time `0001-01-01`, a CMS's `1970-01-01`), which would
/// list the story below every other and let retention remove it at once.
const EARLIEST_YEAR: i32 = 1990;

/// Categories an item keeps.
const MAX_CATEGORIES: usize = 20;

/// Most attachments a story keeps.
pub(super) const MAX_ENCLOSURES: usize = 10;

/// Fewest words a derived title takes: a sentence boundary after fewer (`Dr. Ana…`, where an
/// abbreviation ends in a full stop before a capital) is read past.
const MIN_TITLE_WORDS: usize = 3;

/// A title for an item that has none: the first sentence of its text if it is short enough,
/// else its first words; its link when it has no text; else none (empty), which each output
/// says in its readers' language ("(pa titull)" in an Albanian Atom feed, a reader's own
/// word where RSS and JSON Feed leave the title out).
pub(super) fn derive_title(text: &str, link: Option<&Url>) -> String {
    if !text.is_empty() {
        // A title is at most 100 characters: its first 1,000 are all a sentence needs, and
        // segmenting no more bounds what a text of 15 MB of punctuation can cost (the
        // segmenter looks ahead to the end of its text after some of it).
        let text = match text.char_indices().nth(1000) {
            Some((cut, _)) => &text[..cut],
            None => text,
        };
        // Sentences as Unicode segments them: a full stop before a small letter or a digit
        // (`15. marta`, `RSS 2.0`) ends none. Words counted once each, sentence by sentence.
        let mut end = text.len();
        let mut words = 0;
        for (at, sentence) in text.split_sentence_bound_indices() {
            words += sentence.unicode_words().count();
            if words >= MIN_TITLE_WORDS {
                end = at + sentence.len();
                break;
            }
        }
        let first = text[..end].trim();
        let first = first.strip_suffix('.').unwrap_or(first);
        return html::truncate_words(first, 100);
    }
    match link {
        Some(l) => l.to_string(),
        None => String::new(),
    }
}

/// Whether a body of `media_type` is markup (HTML, XHTML), not plain text.
fn is_markup(media_type: &str) -> bool {
    media_type.ends_with("html") || media_type.ends_with("xml")
}

/// A media object of one thumbnail at `uri`: the picture a feed names apart from an entry's
/// text where feed-rs leaves it out (JSON Feed's `image`, a `media:thumbnail` alone in an
/// item), read by [`normalize`] as it reads feed-rs's own.
pub(super) fn thumbnail(uri: String) -> feed_rs::model::MediaObject {
    let mut media = feed_rs::model::MediaObject::default();
    media.thumbnails.push(feed_rs::model::MediaThumbnail {
        image: feed_rs::model::Image {
            uri,
            title: None,
            link: None,
            width: None,
            height: None,
            description: None,
        },
        time: None,
    });
    media
}

/// The HTML form of a text construct body.
fn as_html(body: &str, media_type: &str) -> String {
    if is_markup(media_type) {
        body.to_string()
    } else {
        // Plain text: escape it and keep paragraphs.
        body.split("\n\n")
            .map(|p| format!("<p>{}</p>", escape(p.trim())))
            .collect()
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
