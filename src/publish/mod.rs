//! Pure renderers from stored items to feed documents: RSS 2.0, Atom 1.0, JSON Feed 1.1, the
//! feed's web page, and an OPML 2.0 list of the sources.
//!
//! The server decides which items, in which order (newest first) and how many; this module
//! only turns them into bytes. It does no IO and cannot fail: every function returns a
//! document, whatever strings it is given.
//!
//! - `view.rs`: one cleaned, resolved view of an item that every renderer reads
//!   (ids, dates, carriers, topics), and the single helper that strips XML-illegal characters.
//! - `rss.rs`, `atom.rs`, `json_feed.rs`: one file per format, each a mapping from that view
//!   onto its crate's types.
//! - `page.rs` (+ `page.html`): the same stories as a web page, for people who read in a
//!   browser, with links to subscribe.
//! - `opml.rs`: the source list for feed readers to import.
//!
//! Output is deterministic: the same items and metadata give the same bytes. Nothing reads
//! the clock; the feed-level update time is the newest `last_changed` among the items.

mod atom;
mod json_feed;
mod opml;
mod page;
mod rss;
mod view;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use std::fmt;
use std::str::FromStr;

use crate::model::Item;

/// A format the daemon serves a feed in: three syndication formats and a web page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// RSS 2.0 with an `atom:link rel="self"`.
    Rss,
    /// Atom 1.0 (RFC 4287).
    Atom,
    /// JSON Feed 1.1.
    Json,
    /// The feed as a web page (HTML).
    Html,
}

impl Format {
    /// Every format, in the order status pages list them.
    pub const ALL: [Format; 4] = [Format::Rss, Format::Atom, Format::Json, Format::Html];

    /// The syndication formats: those a feed reader subscribes to.
    pub const FEEDS: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    /// Whether a feed reader subscribes to it (all but the web page).
    pub fn is_feed(&self) -> bool {
        *self != Format::Html
    }

    /// Its name for people: "RSS", "Atom", "JSON Feed", "Web page".
    pub fn label(&self) -> &'static str {
        match self {
            Format::Rss => "RSS",
            Format::Atom => "Atom",
            Format::Json => "JSON Feed",
            Format::Html => "Web page",
        }
    }

    /// The `Content-Type` header for a response carrying this format.
    pub fn content_type(&self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }

    /// The bare media type, for `type` attributes of links that point at a feed.
    pub fn media_type(&self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml",
            Format::Atom => "application/atom+xml",
            Format::Json => "application/feed+json",
            Format::Html => "text/html",
        }
    }

    /// The file extension used in feed URLs; it parses back with `FromStr`.
    pub fn extension(&self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
            Format::Html => "html",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.extension())
    }
}

/// A format name that is not `rss`, `atom`, `json` or `html`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown feed format {0:?} (expected rss, atom, json or html)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        Format::ALL
            .into_iter()
            .find(|f| f.extension().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// What a rendered feed says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedMeta {
    /// Stable id of the feed, e.g. `tag:tributary,2026:feeds/all`; the caller decides.
    pub id: String,
    /// Feed title shown by readers.
    pub title: String,
    /// One-line description (RSS `description`, Atom `subtitle`, JSON `description`).
    pub description: String,
    /// Absolute URL this feed is served at (`atom:link rel="self"`, JSON `feed_url`).
    pub self_url: String,
    /// Absolute URL of the status page, which lists every feed (the web pages link to it, and
    /// build the addresses of the other pages from it).
    pub site_url: String,
    /// Absolute URL of this feed's web page: the HTML version of the feed (RSS `link`, Atom
    /// alternate, JSON `home_page_url`), where a reader's "open the site" leads.
    pub page_url: String,
    /// Language of the feed as a whole (BCP 47), when there is one.
    pub language: Option<String>,
    /// Name and version of the software, e.g. `Tributary 0.1.0`.
    pub generator: String,
    /// Each topic's name and the name people read (`women-caucus`, "Women's Caucus and women
    /// in politics"): Atom categories carry the second as their label.
    pub topic_labels: Vec<(String, String)>,
    /// Every other name a topic goes by (its titles in each language), by topic name: a feed
    /// category that is one of them (letter case and punctuation aside) is the topic, and is
    /// said once, as the topic.
    pub topic_aliases: Vec<(String, String)>,
    /// The feed's date when it has no items (the newest story anywhere, say): an empty feed
    /// is otherwise dated 1970, which validators and readers take for an error.
    pub updated_when_empty: Option<DateTime<Utc>>,
    /// The language the title and description are written in when it is not English (a
    /// feed narrowed to Albanian names itself in Albanian). The web page then speaks it too
    /// (its words, dates and `lang`, when [`crate::locale::Locale`] has it), else English.
    /// The feed's `language` is its stories'.
    pub title_lang: Option<String>,
    /// The language of the topic pages the web page's topics link to (`/feeds/topics/T/L.html`):
    /// a page of stories in one language sends its readers on to the topic in that language,
    /// not to one of every language. `None`: the topics' own pages.
    pub topic_pages_in: Option<String>,
    /// A small square image of the feed, absolute (Atom `icon`, JSON Feed `favicon`; RSS
    /// `image` when there is no logo).
    pub icon: Option<String>,
    /// A larger image of the feed, absolute (Atom `logo`, RSS `image`).
    pub logo: Option<String>,
    /// The zone the web page tells days and times in.
    pub time_zone: chrono_tz::Tz,
}

/// What the renderers need to know about a source that carried an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// The configured source id.
    pub id: String,
    /// Human name of the source.
    pub title: String,
    /// The source's feed URL (or its site URL when it has no public feed).
    pub url: String,
    /// The source's web site, when known.
    pub site_url: Option<String>,
    /// Whether the source is configured now. One removed from the config is known by the
    /// title its feed last had (and its site): it is named, but has no feed or page of ours to
    /// point to (`url` is its site's, or empty).
    pub configured: bool,
}

/// Renders `items` (newest first, already limited by the caller) as one feed document.
///
/// `sources` resolves a carrier's source id to what the feed says about that source; a
/// source it does not know is still listed by id where a format has room for that.
pub fn render(
    format: Format,
    meta: &FeedMeta,
    items: &[Item],
    sources: &dyn Fn(&str) -> Option<SourceInfo>,
) -> Vec<u8> {
    let mut meta = view::clean_meta(meta);
    let updated = view::feed_updated(items)
        .or(meta.updated_when_empty.map(view::whole_seconds))
        .unwrap_or(DateTime::UNIX_EPOCH);
    let views: Vec<view::ItemView> = items
        .iter()
        .map(|item| view::ItemView::new(item, sources, &meta.topic_aliases))
        .collect();
    // A feed whose caller names no language (a source without `lang`, the merged feeds) is in
    // its stories' language when they all share one: an Albanian partner's feed says `sq`, as
    // its own did. Stories of several languages, or one of none, leave it unsaid.
    if meta.language.is_none() {
        meta.language = view::common_language(&views);
    }
    match format {
        Format::Rss => rss::render(&meta, &views, updated),
        Format::Atom => atom::render(&meta, &views, updated),
        Format::Json => json_feed::render(&meta, &views, updated),
        Format::Html => page::render(&meta, &views, updated),
    }
}

/// Renders an OPML 2.0 subscription list with one `outline` per source, in the given order.
pub fn render_opml(title: &str, sources: &[SourceInfo]) -> Vec<u8> {
    opml::render(title, sources)
}

/// One HTML template of ours, parsed: escaped by [`html_formatter`], and a name it does not
/// define is an error (the tests catch a misspelled one) rather than empty text.
pub fn html_template(name: &'static str, source: &'static str) -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_formatter(html_formatter);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template(name, source)
        .unwrap_or_else(|e| panic!("the template {name} is valid: {e}"));
    env
}

/// A minijinja formatter for the HTML we generate (status page, digests): escapes what HTML
/// needs and nothing more (minijinja's default also escapes `/`, which makes every link
/// unreadable in the source), prints `none` and undefined values as nothing, and leaves
/// non-HTML templates unescaped.
pub fn html_formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    use std::fmt::Write as _;
    if value.is_undefined() || value.is_none() {
        return Ok(());
    }
    let text = value.to_string();
    if value.is_safe() || !matches!(state.auto_escape(), minijinja::AutoEscape::Html) {
        out.write_str(&text)?;
        return Ok(());
    }
    for c in text.chars() {
        match c {
            '&' => out.write_str("&amp;")?,
            '<' => out.write_str("&lt;")?,
            '>' => out.write_str("&gt;")?,
            '"' => out.write_str("&quot;")?,
            '\'' => out.write_str("&#39;")?,
            c => out.write_char(c)?,
        }
    }
    Ok(())
}
