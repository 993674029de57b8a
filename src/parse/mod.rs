//! Parse and normalize: feed bytes → items ready to store, plus warnings. Pure: no IO.
//!
//! [`parse`] decodes the bytes to UTF-8 ([`encoding`]), cuts a document holding far more
//! entries (or JSON Feed authors) than are read down to those (`caps`), rewrites Atom 0.3 as
//! 1.0 (`atom03`), repairs what feed-rs would reject outright (`<rss>` without a version),
//! runs feed-rs under `catch_unwind` (once more with bare `&`s read as text when it rejects
//! the document for one: `references`), reads what it leaves out of RSS items
//! (`rss_extras`) and out of any entry (`entry_extras`: FeedBurner's original links, lone
//! thumbnails, RSS enclosures beside Media RSS content, content urls feed-rs took from a
//! player, an RSS item's `atom:link`), and gives each entry its identity and a hash of its raw
//! form.
//! [`normalize`] then does the costly part — sanitizing HTML, plain-text summaries, canonical
//! links, dates — and is only called for entries that are new or changed.

mod atom03;
mod caps;
pub mod dates;
pub mod encoding;
mod entry_extras;
pub mod html;
mod json_mend;
pub mod lang;
mod references;
mod rss_extras;
mod scope;
pub mod urls;

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use chrono::{DateTime, Datelike, Duration as ChronoDuration, Utc};
use feed_rs::model::{Entry, Feed, Link, Text};
use unicode_segmentation::UnicodeSegmentation;
use url::Url;

use crate::model::{Enclosure, Identity, NewItem};

/// Byte offset of the first `needle` in `hay`, found with memchr's vectorized search: the
/// repairs look through whole documents, where `str::find` compares a byte at a time.
fn find_in(hay: &str, needle: &str) -> Option<usize> {
    memchr::memmem::find(hay.as_bytes(), needle.as_bytes())
}

/// Deepest element nesting read. feed-rs walks some elements (Media RSS groups) by recursion
/// on a thread's stack: a document nesting them by the hundred thousand (a megabyte of
/// `<media:group>`) would overflow it and abort the whole process, which no `catch_unwind`
/// stops. Real feeds nest a few dozen levels at most, XHTML content included.
const MAX_DEPTH: usize = 256;

/// Whether the document's elements nest deeper than [`MAX_DEPTH`], as feed-rs's reader
/// (quick-xml) reads them: a tag ends at its first `>` outside quotes, a processing
/// instruction at `?>`, a comment at the first `-->` after its `<!--`, a CDATA section at
/// `]]>`. A scan of the tags alone does that at memchr's speed; a document with a DOCTYPE
/// (whose internal subset has a grammar of its own) or another `<!` is read by quick-xml
/// itself. Where the reader finds the document broken, so does feed-rs, which reads no
/// further.
fn too_deep(text: &str) -> bool {
    match scan_depth(text) {
        Some(deep) => deep,
        None => read_depth(text),
    }
}

/// [`too_deep`] by a scan of the tags; `None` at a declaration the scan does not read.
fn scan_depth(text: &str) -> Option<bool> {
    let bytes = text.as_bytes();
    let (mut depth, mut at) = (0usize, 0usize);
    while let Some(found) = memchr::memchr(b'<', &bytes[at..]) {
        let tag = at + found;
        let rest = &bytes[tag + 1..];
        // Just past `end`, searched from `skip` bytes into the markup.
        let past = |skip: usize, end: &[u8]| {
            memchr::memmem::find(rest.get(skip..)?, end).map(|e| tag + 1 + skip + e + end.len())
        };
        let next = match rest.first() {
            None => return Some(false),
            // An end tag ends as a start tag does, quotes and all (`</a b=">">`).
            Some(b'/') => {
                depth = depth.saturating_sub(1);
                tag_end(bytes, tag + 2)
            }
            Some(b'!') if rest.starts_with(b"![CDATA[") => past(8, b"]]>"),
            Some(b'!') if rest.starts_with(b"!--") => past(3, b"-->"),
            Some(b'!') => return None,
            Some(b'?') => past(1, b"?>"),
            Some(_) => {
                let end = tag_end(bytes, tag + 1);
                // `<a/>` closes itself.
                if end.is_some_and(|end| bytes[end - 2] != b'/') {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Some(true);
                    }
                }
                end
            }
        };
        // Markup that never ends: the reader stops there.
        let Some(next) = next else {
            return Some(false);
        };
        at = next;
    }
    Some(false)
}

/// [`too_deep`] by quick-xml's own reading, configured as feed-rs configures it.
fn read_depth(text: &str) -> bool {
    let mut reader = quick_xml::Reader::from_str(text);
    let config = reader.config_mut();
    config.trim_markup_names_in_closing_tags = true;
    config.trim_text(false);
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            Ok(quick_xml::events::Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(quick_xml::events::Event::Eof) | Err(_) => return false,
            Ok(_) => {}
        }
    }
}

/// Just past the `>` that ends the tag whose name starts at `from`: the first one outside
/// quotes, as quick-xml reads it (`<media:group a="/>">` opens an element).
fn tag_end(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let found = from + memchr::memchr3(b'>', b'"', b'\'', &bytes[from..])?;
        match bytes[found] {
            b'>' => return Some(found + 1),
            quote => {
                from = found + 1 + memchr::memchr(quote, &bytes[found + 1..])? + 1;
            }
        }
    }
}

/// Most entries read from one document: a feed lists its latest stories, not an archive of
/// hundreds of thousands (15 MiB of tiny entries, each a new story at every poll until
/// retention removes them).
const MAX_ENTRIES: usize = 5_000;

/// Longest title kept, in characters.
const MAX_TITLE: usize = 300;
/// Longest plain-text summary kept, in characters.
const MAX_SUMMARY: usize = 600;
/// Dates further ahead than this are treated as missing (a clock or template error).
const FUTURE_SLACK_HOURS: i64 = 24;
/// Dates before this (1990, before the web) are treated as missing: the placeholders of
/// writers that had no date (Go's zero time `0001-01-01`, a CMS's `1970-01-01`), which would
/// list the story below every other and let retention remove it at once.
const EARLIEST_YEAR: i32 = 1990;

/// Why a document gave no items at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but whitespace.
    #[error("empty document")]
    Empty,
    /// A web page where a feed was expected, with the feed it names (`<link rel="alternate">`)
    /// that is most likely the one meant ([`named_feed`]), as published, and how many others
    /// it names.
    #[error("not a feed: got an HTML page{}", html_page_hint(.feed.as_deref(), *.others))]
    HtmlPage {
        /// The feed to point the source at.
        feed: Option<String>,
        /// The page's other feeds.
        others: usize,
    },
    /// Not RSS, Atom, RDF or JSON Feed, or too broken to read.
    #[error("not a valid feed: {0}")]
    Invalid(String),
    /// The parser crashed on this input; the document is rejected, the daemon goes on.
    #[error("the feed parser failed on this document: {0}")]
    ParserPanic(String),
}

/// What the caller knows about the document.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The URL it was fetched from (after redirects), for resolving relative links.
    pub fetch_url: Option<&'a Url>,
    /// The HTTP `Content-Type`, for its charset.
    pub content_type: Option<&'a str>,
    /// Language to assume when the feed says none.
    pub default_lang: Option<&'a str>,
    /// The time of the fetch: "now" for future-date checks.
    pub now: DateTime<Utc>,
    /// The source's time zone, for dates written without one (`None`: UTC).
    pub time_zone: Option<chrono_tz::Tz>,
}

/// A parsed feed: its entries, identified and hashed but not yet normalized.
#[derive(Debug)]
pub struct ParsedFeed {
    /// Feed title.
    pub title: Option<String>,
    /// The site the feed belongs to (absolute), for resolving relative item links.
    pub site: Option<Url>,
    /// Feed language.
    pub language: Option<String>,
    /// Entries in document order.
    pub entries: Vec<RawEntry>,
    /// Things that were odd but did not stop parsing.
    pub warnings: Vec<String>,
    /// A JSON Feed: its items' `attachments` are among their links.
    pub json: bool,
    /// An Atom feed's own authors, the authors of its entries that name none (RFC 4287,
    /// 4.2.1).
    pub authors: Vec<String>,
}

/// One entry as the source sent it.
#[derive(Debug)]
pub struct RawEntry {
    /// How the source identifies it.
    pub identity: Identity,
    /// Hash of the raw entry; a different hash means the source changed the item.
    pub content_hash: String,
    entry: Entry,
    /// Its link in canonical form, without a fragment: what identifies and matches it.
    link: Option<Url>,
    /// The link's fragment, which the story's published link keeps (`/changelog#v2-3`, a
    /// page of one-paragraph notes; `/#!/news/123`, a site that routes by it).
    fragment: Option<String>,
}

/// Parses a feed document (any supported format and encoding).
pub fn parse(bytes: &[u8], ctx: &Context<'_>) -> Result<ParsedFeed, ParseError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
        return Err(ParseError::Empty);
    }
    let charset = ctx.content_type.and_then(charset_of);
    let decoded = encoding::decode_with(
        bytes,
        &encoding::Hints {
            http_charset: charset.as_deref(),
            lang: ctx.default_lang,
            host: ctx.fetch_url.and_then(Url::host_str),
        },
    );
    let mut warnings = Vec::new();
    warnings.extend(decoded.guess_warning());
    if decoded.had_errors {
        warnings.push(format!(
            "bytes invalid in {} were replaced",
            decoded.encoding.name()
        ));
    }
    let text = decoded.text.trim_start();
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    if looks_like_html(text) {
        let (feed, others) = named_feed(text.as_bytes(), ctx.fetch_url);
        return Err(ParseError::HtmlPage { feed, others });
    }
    if too_deep(text) {
        return Err(ParseError::Invalid(format!(
            "elements nest deeper than {MAX_DEPTH} levels, more than any feed: not read"
        )));
    }
    // Entries (and JSON Feed authors) past what is read, cut before feed-rs builds them all.
    let cut = caps::cut(text)?;
    let text = match &cut {
        Some((cut, said)) => {
            warnings.extend(said.iter().cloned());
            cut.as_str()
        }
        None => text,
    };
    let mut text = wrap_missing_channel(repair_rss_version(text)).into_owned();
    if let Some(atom10) = atom03::to_atom10(&text) {
        text = atom10;
    }
    if let Some(absolute) = absolute_enclosures(&text, ctx.fetch_url) {
        text = absolute;
    }
    if let Some(linked) = link_from_about(&text) {
        text = linked;
    }
    let Bases {
        rewritten,
        relative,
    } = bases(&text);
    if let Some(bounded) = rewritten {
        text = bounded;
        warnings.push(format!(
            "an xml:base that is not a URL, or longer than {MAX_BASE} bytes, was ignored"
        ));
    }
    // A document feed-rs cannot read as XML: its error, with the line and column where
    // quick-xml finds it in the document as sent (as decoded, from its first tag, when that
    // is not UTF-8).
    let invalid = |msg: String| {
        if !msg.starts_with("unable to parse XML") {
            return ParseError::Invalid(msg);
        }
        let doc = std::str::from_utf8(bytes).unwrap_or(&decoded.text);
        // quick-xml skips a byte order mark without counting it in its positions.
        let doc = doc.strip_prefix('\u{feff}').unwrap_or(doc);
        match references::scan(doc).error {
            Some((at, error)) if msg.ends_with(&error) => {
                let (line, column) = references::line_column(doc, at);
                ParseError::Invalid(format!("{msg} at line {line}, column {column}"))
            }
            _ => ParseError::Invalid(msg),
        }
    };
    // feed-rs rejects a whole Atom feed over one text construct of a type it does not know
    // (base64 `application/octet-stream`, `application/xhtml+xml`, an empty type). Salvage the
    // feed: read such constructs as text (or XHTML) and say so. It rejects a whole feed over
    // one bare `&` too (`Trade & investment`, `?a=1&b=2`): those are read as text, once.
    let mut ampersands_read = false;
    let mut json_mended = false;
    let base = ctx.fetch_url.filter(|_| relative);
    for _ in 0..5 {
        match run_feed_rs(text.as_bytes(), ctx.time_zone, base) {
            Err(ParseError::Invalid(msg)) => {
                if let Some(mime) = unsupported_type(&msg) {
                    let with = if mime.contains("xhtml") {
                        "xhtml"
                    } else {
                        "text"
                    };
                    let fixed = text
                        .replace(&format!("type=\"{mime}\""), &format!("type=\"{with}\""))
                        .replace(&format!("type='{mime}'"), &format!("type='{with}'"));
                    if fixed == text {
                        return Err(ParseError::Invalid(msg));
                    }
                    text = fixed;
                    warnings.push(format!("content of type {mime:?} read as {with}"));
                } else if !json_mended && msg.contains("JSON") {
                    // A JSON Feed with a value of another type than the spec's where feed-rs
                    // wants a string (`"id": 123`, a number among the tags, `"title": null`):
                    // read as the string it stands for, or left out.
                    json_mended = true;
                    let Some((fixed, mended)) = json_mend::mended(&text) else {
                        return Err(invalid(msg));
                    };
                    text = fixed;
                    warnings.push(format!(
                        "{mended} JSON Feed values of the wrong type read as text or left out"
                    ));
                } else if !ampersands_read && references::is_reference_error(&msg) {
                    ampersands_read = true;
                    let found = references::scan(&text).ampersands;
                    if found.is_empty() {
                        return Err(invalid(msg));
                    }
                    text = references::escape_at(&text, &found);
                    // An Atom 0.3 feed quick-xml could not read before can be rewritten now.
                    if let Some(atom10) = atom03::to_atom10(&text) {
                        text = atom10;
                    }
                    warnings.push(format!(
                        "{} `&` not starting an entity or character reference read as text (XML wants `&amp;`)",
                        found.len()
                    ));
                } else {
                    return Err(invalid(msg));
                }
            }
            other => return other.map(|feed| build_checked(feed, &text, ctx, warnings)),
        }
    }
    run_feed_rs(text.as_bytes(), ctx.time_zone, base)
        .map(|feed| build_checked(feed, &text, ctx, warnings))
        .map_err(|e| match e {
            ParseError::Invalid(msg) => invalid(msg),
            other => other,
        })
}

/// [`build`], with a warning when the document holds more `<item>`/`<entry>` elements than
/// entries were read from it (a format feed-rs does not read, such as RSS 0.90,
/// or items it could not make out): a source that silently yields nothing is noticed.
fn build_checked(
    mut feed: Feed,
    text: &str,
    ctx: &Context<'_>,
    warnings: Vec<String>,
) -> ParsedFeed {
    rss_extras::fill(&mut feed, text, ctx.time_zone);
    entry_extras::fill(&mut feed, text);
    if feed.feed_type == feed_rs::model::FeedType::JSON {
        json_mend::fill_images(&mut feed, text);
    }
    scope::fill(&mut feed, text, ctx.fetch_url);
    let read = feed.entries.len();
    let mut warnings = warnings;
    if read > MAX_ENTRIES {
        // The first ones, which feeds list newest first.
        feed.entries.truncate(MAX_ENTRIES);
        warnings.push(caps::entries_warning(read));
    }
    let mut parsed = build(feed, ctx, warnings);
    let written = element_count(text, &["item", "entry"]);
    if written > read {
        parsed.warnings.push(format!(
            "{} of {written} entries in the document could not be read (an old format such as RSS 0.90, or entries missing what the parser needs)",
            written - read
        ));
    }
    parsed
}

/// How many elements with one of `names` (any namespace prefix) a document has: `<item>` and
/// `<item …>`, not `<items>`, and none inside a comment or a CDATA section.
fn element_count(text: &str, names: &[&str]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while let Some(off) = text[i..].find('<') {
        let at = i + off;
        let rest = &text[at..];
        let skip_to = |open: &str, close: &str| {
            rest.strip_prefix(open).map(|body| {
                at + open.len() + body.find(close).map_or(body.len(), |e| e + close.len())
            })
        };
        if let Some(end) = skip_to("<!--", "-->").or_else(|| skip_to("<![CDATA[", "]]>")) {
            i = end;
            continue;
        }
        let tag: &str = rest[1..]
            .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '.')))
            .next()
            .unwrap_or("");
        let local = tag.rsplit(':').next().unwrap_or("");
        let after = rest[1 + tag.len()..].chars().next();
        if names.contains(&local) && matches!(after, Some('>' | ' ' | '/' | '\t' | '\n' | '\r')) {
            n += 1;
        }
        i = at + 1;
    }
    n
}

/// The MIME type named by feed-rs's "unsupported content type X at position N".
fn unsupported_type(msg: &str) -> Option<String> {
    let rest = msg.split("unsupported content type ").nth(1)?;
    let mime = rest.rsplit_once(" at position")?.0;
    Some(mime.to_string())
}

thread_local! {
    /// Set while feed-rs runs on this thread (see [`in_feed_parser`]).
    static IN_FEED_PARSER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether feed-rs is running on this thread, under `catch_unwind`: a panic now is caught, and
/// the document is rejected with it as its error (the panic hook says so as a warning, not as
/// a crash).
pub fn in_feed_parser() -> bool {
    IN_FEED_PARSER.with(std::cell::Cell::get)
}

/// feed-rs over `bytes`. `base`: the document's own address, given when it has an
/// `xml:base`, so that a relative one (`xml:base="/blog/"`) is resolved against it rather
/// than dropped (links under it would resolve against the site's root instead).
pub(crate) fn run_feed_rs(
    bytes: &[u8],
    zone: Option<chrono_tz::Tz>,
    base: Option<&Url>,
) -> Result<Feed, ParseError> {
    IN_FEED_PARSER.with(|c| c.set(true));
    let result = catch_unwind(AssertUnwindSafe(|| {
        feed_rs::parser::Builder::new()
            .base_uri(base.map(Url::as_str))
            .sanitize_content(false)
            .id_generator(|_, _, _| String::new())
            .timestamp_parser(move |s| dates::parse_date_in(s, zone))
            .build()
            .parse(bytes)
    }));
    IN_FEED_PARSER.with(|c| c.set(false));
    match result {
        Ok(Ok(feed)) => Ok(feed),
        Ok(Err(e)) => Err(ParseError::Invalid(e.to_string())),
        Err(panic) => Err(ParseError::ParserPanic(panic_text(panic.as_ref()))),
    }
}

/// A panic's message, as `panic!` wrote it (its payload is a `&str` or a `String`).
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// The feed a web page at `page` names that the source most likely meant, to say where to point
/// it (never fetched: a page may name any address), as published (no login, no secret
/// parameters), and how many others the page names. Its own section's feed first: a category
/// page (`/category/news/`) names the whole site's feed before its own. A feed of stories before
/// one of comments (a WordPress post's page names its comments' feed under its own path), and
/// one of a specific type before plain `application/json` (WordPress links every page to its
/// REST API so). Not the page itself.
fn named_feed(html: &[u8], page: Option<&Url>) -> (Option<String>, usize) {
    let mut links: Vec<html::FeedLink> = Vec::new();
    for link in html::typed_feed_links(html, page) {
        if Some(&link.url) != page
            && link.url.as_str().len() <= urls::MAX_URL
            && !links.iter().any(|l| l.url == link.url)
        {
            links.push(link);
        }
    }
    let section = page
        .map(|p| p.path().trim_end_matches('/'))
        .filter(|p| !p.is_empty());
    let rank = |link: &html::FeedLink| {
        let url = &link.url;
        let own = section.is_some_and(|s| {
            url.host_str() == page.and_then(Url::host_str)
                && url
                    .path()
                    .strip_prefix(s)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        (link.is_comments(), !own, link.kind == "application/json")
    };
    let best = links.iter().min_by_key(|l| rank(l));
    let feed = best.map(|l| crate::model::Location::Http(l.url.clone()).to_string());
    (feed, links.len().saturating_sub(1))
}

/// What [`ParseError::HtmlPage`] adds to its message: the feed the page names, or a question.
fn html_page_hint(feed: Option<&str>, others: usize) -> String {
    match (feed, others) {
        (Some(url), 0) => format!(", which names its feed at {url}: set the source's url to that"),
        (Some(url), n) => format!(
            ", which names its feed at {url} and {n} other{}: set the source's url to the one meant (`tributary discover` lists them)",
            if n == 1 { "" } else { "s" }
        ),
        (None, _) => " (does the URL point at the site instead of its feed?)".into(),
    }
}

fn build(feed: Feed, ctx: &Context<'_>, mut warnings: Vec<String>) -> ParsedFeed {
    let site = pick_link(&feed.links).and_then(|l| urls::resolve(&l.href, &[ctx.fetch_url]));
    // A GUID several entries share identifies none of them: those entries are told apart by
    // link (else content) in every fetch, whatever their order in the document.
    let mut guid_uses: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for e in &feed.entries {
        let g = e.id.trim();
        if !g.is_empty() {
            *guid_uses.entry(g).or_default() += 1;
        }
    }
    let shared: HashSet<String> = guid_uses
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(g, _)| g.to_string())
        .collect();
    let (links, fragments): (Vec<Option<Url>>, Vec<Option<String>>) = feed
        .entries
        .iter()
        .map(|e| match entry_link(e, site.as_ref(), ctx.fetch_url) {
            Some(mut url) => {
                let fragment = url.fragment().map(str::to_owned);
                url.set_fragment(None);
                (Some(url), fragment)
            }
            None => (None, None),
        })
        .unzip();
    // Likewise a link that several entries without a GUID of their own share (a section page)
    // names none of them alone: each is told by the link and its title, whatever the order.
    let mut link_uses: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (e, link) in feed.entries.iter().zip(&links) {
        let g = e.id.trim();
        if let Some(l) = link.as_ref().filter(|_| g.is_empty() || shared.contains(g)) {
            *link_uses.entry(l.as_str()).or_default() += 1;
        }
    }
    let shared_links: HashSet<String> = link_uses
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(l, _)| l.to_string())
        .collect();
    let mut duplicate_ids = 0;
    // What each entry is told by (`None`: its content).
    let mut told = Vec::with_capacity(feed.entries.len());
    let mut cut = 0;
    for ((mut entry, link), fragment) in feed.entries.into_iter().zip(links).zip(fragments) {
        let content_hash = raw_hash(&entry);
        if cut_long_bodies(&mut entry) {
            cut += 1;
        }
        fix_c1_text(&mut entry);
        let guid = entry.id.trim();
        let reused = shared.contains(guid);
        if reused {
            duplicate_ids += 1;
        }
        let identity = if !guid.is_empty() && !reused {
            Some(Identity::Guid(guid_key(guid)))
        } else if let Some(l) = link.as_ref() {
            if shared_links.contains(l.as_str()) {
                // As `normalize` titles the item: the store finds the other form of an
                // identity (`Identity::alternate`) from the stored title.
                own_title(&entry).map(|title| Identity::Titled {
                    link: l.to_string(),
                    title: html::fix_c1_controls(title),
                })
            } else {
                Some(Identity::Link(l.to_string()))
            }
        } else {
            None
        };
        told.push((identity, content_hash, entry, link, fragment));
    }
    // A link and title that several entries share, like a shared link without titles, tells
    // none of them: those are told by their content, whatever their order.
    let mut titled_uses: std::collections::HashMap<String, usize> =
        std::collections::HashMap::new();
    for (identity, ..) in &told {
        if let Some(i @ Identity::Titled { .. }) = identity {
            *titled_uses.entry(i.key()).or_default() += 1;
        }
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut entries = Vec::with_capacity(told.len());
    for (identity, content_hash, entry, link, fragment) in told {
        let mut identity = match identity {
            Some(i @ Identity::Titled { .. }) if titled_uses.get(&i.key()) != Some(&1) => {
                Identity::Hash(content_hash.clone())
            }
            Some(i) => i,
            None => Identity::Hash(content_hash.clone()),
        };
        if !seen.insert(identity.key()) {
            // The very same entry twice: stored once.
            identity = Identity::Hash(content_hash.clone());
            if !seen.insert(identity.key()) {
                continue;
            }
        }
        entries.push(RawEntry {
            identity,
            content_hash,
            entry,
            link,
            fragment,
        });
    }
    if cut > 0 {
        warnings.push(format!(
            "{cut} {} longer than {} KiB cut to that length",
            if cut == 1 {
                "entry's text was"
            } else {
                "entries' texts were"
            },
            MAX_ENTRY_TEXT / 1024
        ));
    }
    if duplicate_ids > 0 {
        let ids = shared.len();
        warnings.push(format!(
            "{duplicate_ids} entries share {ids} {} (each told by its link or text instead)",
            if ids == 1 { "id" } else { "ids" }
        ));
    }
    let authors = if feed.feed_type == feed_rs::model::FeedType::Atom {
        person_names(&feed.authors)
    } else {
        Vec::new()
    };
    ParsedFeed {
        json: feed.feed_type == feed_rs::model::FeedType::JSON,
        authors,
        // As a story's title is: a feed's is kept in its source's state, written at every
        // fetch (ten megabytes of title grew the states' database by as much each time).
        title: feed
            .title
            .map(|t| html::truncate_words(&text_prefix(&t, MAX_TITLE), MAX_TITLE))
            .filter(|t| !t.is_empty()),
        site,
        language: feed.language,
        entries,
        warnings,
    }
}

/// The names of up to ten people, as stored.
fn person_names(people: &[feed_rs::model::Person]) -> Vec<String> {
    people
        .iter()
        .filter_map(|p| p.name.as_deref().map(author_name))
        .filter(|n| !n.is_empty())
        .take(10)
        .collect()
}

/// Turns a raw entry into a stored-item candidate: sanitized, absolute, dated, titled.
pub fn normalize(raw: &RawEntry, feed: &ParsedFeed, ctx: &Context<'_>) -> NewItem {
    let e = &raw.entry;
    let xml_base = e.base.as_deref().and_then(|b| Url::parse(b).ok());
    let html_base = xml_base
        .clone()
        .or_else(|| raw.link.clone())
        .or_else(|| feed.site.clone())
        .or_else(|| ctx.fetch_url.cloned());
    let item_host = raw
        .link
        .as_ref()
        .and_then(|l| l.host_str().map(str::to_string));

    // The summary, when the entry has one apart from its body, is read on its own. Without
    // one, a media description stands in (`itunes:summary`, `media:description`: podcasts,
    // video channels).
    let non_blank = |t: &&Text| !t.content.trim().is_empty();
    let summary_apart = e.summary.as_ref().filter(non_blank).or_else(|| {
        e.media
            .iter()
            .find_map(|m| m.description.as_ref().filter(non_blank))
    });
    // JSON Feed's `content_text` and `summary` are plain text by its spec (the HTML goes in
    // `content_html`): what reads like a tag in them is text, in the summary as in the body.
    // (Atom's text constructs are guessed: feeds put HTML in them.)
    let plain = |text: &str| {
        let end = text
            .char_indices()
            .nth(MAX_SUMMARY * 2)
            .map_or(text.len(), |(i, _)| i);
        html::collapse_whitespace(&text[..end])
    };
    let mut plain_body = None;
    let body = e.content.as_ref().and_then(|c| {
        let body = c.body.as_deref()?.trim();
        let media_type = c.content_type.essence().to_string();
        if feed.json && !is_markup(&media_type) && !body.is_empty() {
            plain_body = Some(body);
        }
        (!body.is_empty()).then(|| as_html(body, &media_type))
    });
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
        .map(|h| html::sanitize(h, html_base.as_ref(), item_host.as_deref()))
        .filter(|c| !c.is_empty());

    // Only the start of the text is kept (summary, derived title): only the start is read,
    // and the body's only when the entry has no summary apart.
    let summary_text = summary_apart
        .map(|t| {
            if feed.json && !t.content_type.subty().as_str().contains("html") {
                plain(&t.content)
            } else {
                text_prefix(t, MAX_SUMMARY)
            }
        })
        .filter(|s| !s.is_empty())
        .or_else(|| {
            let h = body_html.as_deref()?;
            if let Some(body) = plain_body {
                return Some(plain(body));
            }
            // Read from the sanitized body: its markup is simple enough to skip without a
            // second tokenizer. A body whose text the sanitizer took out with its markup
            // (MathML, SVG) is read as it came, so the story keeps what text it has.
            let text = content
                .as_deref()
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
        .unwrap_or_default();
    let summary = html::truncate_words(&summary_text, MAX_SUMMARY);

    let title = own_title(e).unwrap_or_else(|| {
        html::truncate_words(&derive_title(&summary_text, raw.link.as_ref()), MAX_TITLE)
    });

    let latest_ok = ctx.now + ChronoDuration::hours(FUTURE_SLACK_HOURS);
    let usable = |d: &DateTime<Utc>| *d <= latest_ok && d.year() >= EARLIEST_YEAR;
    // A publication date that cannot be used gives way to a usable `updated` (a post
    // scheduled ahead, then touched now).
    let published = e.published.filter(usable).or(e.updated.filter(usable));
    let updated = e.updated.filter(usable);

    // The first 20 distinct ones (letter case aside): an item may carry thousands, read no
    // further. A category is named by its label, else its term (a blank label names
    // nothing); one of over 100 characters is a list of keywords, not a category.
    let mut categories: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for c in &e.categories {
        if categories.len() == MAX_CATEGORIES {
            break;
        }
        let label = c.label.as_deref().map(plain).filter(|l| !l.is_empty());
        let name = label.unwrap_or_else(|| plain(&c.term));
        let folded = name.to_lowercase();
        if !name.is_empty() && name.chars().count() <= 100 && !seen.contains(&folded) {
            seen.push(folded);
            categories.push(name);
        }
    }

    let mut authors = person_names(&e.authors);
    if authors.is_empty() {
        authors.clone_from(&feed.authors);
    }

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
        let Some(url) = urls::resolve(&href, &[html_base.as_ref()]) else {
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

    // The picture the feed names apart from the text: JSON Feed's `image` (put first of the
    // media when parsed), else a Media RSS thumbnail when the text shows no picture (a
    // thumbnail is small; the text's picture is the story's own, in full).
    let image = e
        .media
        .iter()
        .flat_map(|m| &m.thumbnails)
        .map(|t| t.image.uri.trim())
        .find(|u| !u.is_empty())
        .filter(|_| feed.json || content.as_deref().and_then(html::first_image).is_none())
        .and_then(|u| urls::resolve(u, &[html_base.as_ref()]))
        .map(|u| u.to_string());

    let lang = lang::story_language(
        e.language.as_deref().or(feed.language.as_deref()),
        ctx.default_lang,
        &[&title, &summary],
    );
    NewItem {
        identity: raw.identity.clone(),
        // Again: the text decoder reads `&#146;` as U+0092, where HTML means `’`.
        title: html::fix_c1_controls(title),
        link: raw.link.as_ref().map(|link| {
            let mut link = link.clone();
            link.set_fragment(raw.fragment.as_deref());
            link.to_string()
        }),
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

/// The entry's own title as the item takes it (before C1 controls are read as
/// windows-1252); `None` when it has none, and the item's title is derived from its text.
fn own_title(e: &Entry) -> Option<String> {
    e.title
        .as_ref()
        .map(text_of)
        .filter(|t| !t.is_empty())
        .map(|t| html::truncate_words(&t, MAX_TITLE))
}

/// Categories an item keeps.
const MAX_CATEGORIES: usize = 20;

/// Fewest words a derived title takes: a sentence boundary after fewer (`Dr. Ana…`, where an
/// abbreviation ends in a full stop before a capital) is read past.
const MIN_TITLE_WORDS: usize = 3;

/// A title for an item that has none: the first sentence of its text if it is short enough,
/// else its first words; its link when it has no text; else none (empty), which each output
/// says in its readers' language ("(pa titull)" in an Albanian Atom feed, a reader's own
/// word where RSS and JSON Feed leave the title out).
fn derive_title(text: &str, link: Option<&Url>) -> String {
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
fn thumbnail(uri: String) -> feed_rs::model::MediaObject {
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

/// Plain text of a feed text construct. Markup is removed whatever the declared type (feeds
/// routinely put, even doubly escaped, HTML in "text" titles), but only what looks like
/// markup: `Vec<T>`, `<<Gratë në politikë>>` or `<under 30>` are text.
fn text_of(t: &Text) -> String {
    text_prefix(t, usize::MAX)
}

/// [`text_of`] for callers that keep at most `max_chars` characters: a construct declared as
/// HTML is read as HTML (`<p>Teaser cut off` is a paragraph), any other is guessed
/// ([`plain_prefix`]).
fn text_prefix(t: &Text, max_chars: usize) -> String {
    if t.content_type.subty().as_str().contains("html") {
        html_prefix(&t.content, max_chars)
    } else {
        plain_prefix(&t.content, max_chars)
    }
}

/// Plain text of a string that may carry markup or entities.
fn plain(s: &str) -> String {
    plain_prefix(s, usize::MAX)
}

/// [`plain`] for callers that keep at most `max_chars` characters of the text: long markup is
/// cut short before it is read (see [`html::to_text_prefix`]).
fn plain_prefix(s: &str, max_chars: usize) -> String {
    if html::looks_like_html(s) {
        return html_prefix(s, max_chars);
    }
    // Text: its entities decoded (a title written `R&amp;D` in escaped HTML), its angle
    // brackets kept; if decoding shows markup after all (doubly escaped), read that.
    let decoded = html::decode_entities(s);
    if html::looks_like_html(&decoded) {
        return html_prefix(&decoded, max_chars);
    }
    html::collapse_whitespace(&decoded)
}

/// Plain text of HTML: tags out, entities decoded, and markup that was doubly escaped taken
/// out too.
fn html_prefix(s: &str, max_chars: usize) -> String {
    let mut text = html::to_text_prefix(s, max_chars);
    // Doubly escaped markup decodes to tags on the first pass: take them out too. Read more
    // of it first, so that what is left once they are out is still long enough.
    if html::looks_like_html(&text) && max_chars != usize::MAX {
        text = html::to_text_prefix(s, max_chars.saturating_mul(8));
    }
    for _ in 0..2 {
        if !html::looks_like_html(&text) {
            break;
        }
        text = html::to_text(&text);
    }
    text
}

/// Longest summary or body of an entry read, in bytes. The HTML parser under the sanitizer
/// (and the tokenizer of the summaries) spends time that grows with the square of some
/// markup's length (ten thousands of stray end tags, a megabyte of `&`, a tag with a hundred
/// thousand attributes: minutes of a core from a few kilobytes of gzip); a story's text is
/// tens of kilobytes.
const MAX_ENTRY_TEXT: usize = 256 * 1024;

/// Most attachments a story keeps.
const MAX_ENCLOSURES: usize = 10;

/// Cuts an entry's summary, body and media descriptions to [`MAX_ENTRY_TEXT`] bytes (the
/// HTML parser drops a tag the cut leaves unfinished, and the sanitizer closes the elements
/// left open). Whether it cut any.
fn cut_long_bodies(e: &mut Entry) -> bool {
    let cut = |text: &mut String| {
        if text.len() <= MAX_ENTRY_TEXT {
            return false;
        }
        // (`str::floor_char_boundary` is newer than the crate's rust-version.)
        let mut at = MAX_ENTRY_TEXT;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
        true
    };
    let summary = e.summary.as_mut().is_some_and(|t| cut(&mut t.content));
    let body = e
        .content
        .as_mut()
        .and_then(|c| c.body.as_mut())
        .is_some_and(cut);
    // A media description stands in for a summary the entry lacks.
    let mut media = false;
    for m in &mut e.media {
        if let Some(d) = m.description.as_mut() {
            media |= cut(&mut d.content);
        }
    }
    summary | body | media
}

/// The entry's title, summary and body with C1 controls read as windows-1252
/// ([`html::fix_c1_controls`]), before any of them is read as text (`U+0085`, `…` in
/// windows-1252, is whitespace to Rust).
fn fix_c1_text(e: &mut Entry) {
    let texts = [e.title.as_mut(), e.summary.as_mut()];
    for t in texts.into_iter().flatten() {
        t.content = html::fix_c1_controls(std::mem::take(&mut t.content));
    }
    if let Some(body) = e.content.as_mut().and_then(|c| c.body.as_mut()) {
        *body = html::fix_c1_controls(std::mem::take(body));
    }
}

/// An author's name as shown, without an address written beside it: `Ana Jović
/// (ana@example.com)`, `Ana Jović <ana@example.com>`, and `ana@example.com (Ana Jović)`, which
/// leaves feed-rs with `(Ana Jović)`, are all `Ana Jović`.
fn author_name(raw: &str) -> String {
    let name = plain(raw);
    let s = name.trim();
    let address = |t: &str| t.contains('@') && !t.trim().contains(char::is_whitespace);
    let split = [('(', ')'), ('<', '>'), ('[', ']')]
        .iter()
        .find_map(|(open, close)| {
            let body = s.strip_suffix(*close)?;
            let at = body.rfind(*open)?;
            Some((body[..at].trim(), body[at + 1..].trim()))
        });
    match split {
        Some(("", inner)) => inner.to_string(),
        Some((outer, inner)) if address(inner) => outer.to_string(),
        Some((outer, inner)) if address(outer) => inner.to_string(),
        _ => s.to_string(),
    }
}

fn has_tag(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

/// The identity key of a GUID: kept as written when short and harmless, else hashed (a
/// 1 MB GUID must not become a store key, a `javascript:` GUID must not be stored as text).
fn guid_key(guid: &str) -> String {
    let scheme = guid.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    let risky = matches!(
        scheme.as_deref(),
        Some("javascript" | "vbscript" | "data" | "file")
    );
    if guid.len() > 256 || risky || has_tag(guid) {
        format!("#{}", &blake3::hash(guid.as_bytes()).to_hex()[..32])
    } else {
        guid.to_string()
    }
}

/// The link that points at the item's page.
fn pick_link(links: &[Link]) -> Option<&Link> {
    // feed-rs gives RSS `<comments>` and `wfw:commentRss` as links without a `rel`, told
    // apart only by their target: the page of a story's comments (or their feed) is not the
    // story's, even where it comes first or alone (feedparser gives such an item no link).
    let usable = |l: &&Link| !l.href.trim().is_empty() && l.target.is_none();
    links
        .iter()
        .filter(usable)
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| {
            links.iter().filter(usable).find(|l| {
                !matches!(
                    l.rel.as_deref(),
                    Some("self" | "enclosure" | "replies" | "edit" | "hub" | "next" | "previous")
                )
            })
        })
}

/// An entry's link, canonical but for its fragment, which it keeps.
fn entry_link(entry: &Entry, site: Option<&Url>, fetch_url: Option<&Url>) -> Option<Url> {
    let from_links =
        pick_link(&entry.links).and_then(|l| urls::resolve_in_text(&l.href, &[site, fetch_url]));
    // An RSS guid that is itself a URL is the permalink when no <link> is given.
    from_links.or_else(|| {
        let id = entry.id.trim();
        (id.starts_with("http://") || id.starts_with("https://"))
            .then(|| urls::resolve_in_text(id, &[]))
            .flatten()
    })
}

fn raw_hash(e: &Entry) -> String {
    // The fields, each followed by a zero byte, are gathered and hashed at once: the same
    // hash as hashing them one by one (BLAKE3 is a stream), without the cost of a dozen
    // small updates.
    let body = e.content.as_ref().and_then(|c| c.body.as_deref());
    let mut bytes = Vec::with_capacity(256 + body.map_or(0, str::len));
    let mut field = |s: &str| {
        bytes.extend_from_slice(s.as_bytes());
        bytes.push(0);
    };
    field(e.title.as_ref().map(|t| t.content.as_str()).unwrap_or(""));
    for l in &e.links {
        field(&l.href);
    }
    field(e.summary.as_ref().map(|t| t.content.as_str()).unwrap_or(""));
    field(body.unwrap_or(""));
    field(&e.published.map(|d| d.to_rfc3339()).unwrap_or_default());
    field(&e.updated.map(|d| d.to_rfc3339()).unwrap_or_default());
    // The terms only, as stories stored before were hashed (a category's label, which is
    // what is stored, changing alone is not seen as an edit: hashing it would make every
    // labelled Atom story count as edited once at its feed's next change).
    for c in &e.categories {
        field(&c.term);
    }
    // The pictures named apart from the text (a story's `image`): one added or changed
    // alone is an edit. Nothing is added for an entry without them, so its hash is as
    // before.
    for m in &e.media {
        for t in &m.thumbnails {
            field(&t.image.uri);
        }
    }
    blake3::hash(&bytes).to_hex()[..32].to_string()
}

fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    let head = head.trim_start();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// feed-rs only accepts `<rss version="2.0|0.91|0.92|">`; real feeds also say 0.93, 0.94,
/// 2.01 or nothing. Those are all RSS 2.0 for our purposes.
fn repair_rss_version(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = find_root_rss(text) else {
        return text.into();
    };
    let Some(len) = text[start..].find('>') else {
        return text.into();
    };
    let tag = &text[start..start + len];
    let version = attr_value(tag, "version");
    match version {
        Some("2.0" | "0.91" | "0.92" | "") => text.into(),
        Some(v) => {
            let fixed = tag.replacen(&format!("\"{v}\""), "\"2.0\"", 1).replacen(
                &format!("'{v}'"),
                "'2.0'",
                1,
            );
            format!("{}{}{}", &text[..start], fixed, &text[start + len..]).into()
        }
        None => format!(
            "{}<rss version=\"2.0\"{}",
            &text[..start],
            &text[start + 4..]
        )
        .into(),
    }
}

/// An RSS document with its relative `<enclosure url>`s made absolute (`None` when it has
/// none): feed-rs drops an enclosure whose URL is relative. They are resolved as item links
/// are: against the item's `<link>`, else the channel's, else the fetch URL.
fn absolute_enclosures(text: &str, fetch_url: Option<&Url>) -> Option<String> {
    if !text.contains("<enclosure") {
        return None;
    }
    let link_in = |part: &str, bases: &[Option<&Url>]| {
        let start = part.find("<link>")? + "<link>".len();
        let end = part[start..].find("</link>")?;
        urls::resolve(&part[start..start + end], bases)
    };
    let first_item = text.find("<item").unwrap_or(text.len());
    let channel_link = link_in(&text[..first_item], &[fetch_url]);
    let mut out = String::new();
    let mut copied = 0;
    let mut from = 0;
    // The item the last enclosure was in: where it starts, and its link. Each part of the
    // document is searched once, however many enclosures or items it has.
    let mut scanned = 0;
    let mut item_start = 0;
    let mut item: Option<(usize, Option<Url>)> = None;
    while let Some(at) = text[from..].find("<enclosure").map(|i| from + i) {
        from = at + 1;
        // The tag ends at the first `>`; a `<` first means it never does.
        let Some(tag_len) = text[at + 1..].find(['>', '<']).map(|i| i + 1) else {
            break;
        };
        if text.as_bytes()[at + tag_len] == b'<' {
            continue;
        }
        let tag = &text[at..at + tag_len];
        let Some(attr) = tag.find("url=") else {
            continue;
        };
        let Some(quote) = tag[attr + 4..]
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
        else {
            continue;
        };
        let value_start = attr + 5;
        let Some(value_len) = tag[value_start..].find(quote) else {
            continue;
        };
        let value = tag[value_start..value_start + value_len].replace("&amp;", "&");
        let value_start = at + value_start;
        if !matches!(
            Url::parse(value.trim()),
            Err(url::ParseError::RelativeUrlWithoutBase)
        ) {
            continue;
        }
        while let Some(off) = text[scanned..at].find("<item") {
            item_start = scanned + off;
            scanned = item_start + 1;
        }
        scanned = scanned.max(at);
        if item.as_ref().is_none_or(|(start, _)| *start != item_start) {
            // The item ends at its `</item>`, or where the next one starts.
            let next = text[at..].find("<item").map_or(text.len(), |e| at + e);
            let end = text[at..next].find("</item>").map_or(next, |e| at + e);
            // The item's link, itself relative now and then, is resolved first.
            let link = link_in(&text[item_start..end], &[channel_link.as_ref(), fetch_url]);
            item = Some((item_start, link));
        }
        let item_link = item.as_ref().and_then(|(_, link)| link.clone());
        let bases = [item_link.as_ref(), channel_link.as_ref(), fetch_url];
        let Some(absolute) = urls::resolve(&value, &bases) else {
            continue;
        };
        out.push_str(&text[copied..value_start]);
        out.push_str(&absolute.as_str().replace('&', "&amp;"));
        copied = value_start + value_len;
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// Longest `xml:base` read. feed-rs copies the base in scope into every element it reads, so
/// a base of megabytes over a million elements would copy terabytes; no real one is near.
pub(super) const MAX_BASE: usize = 2048;

/// What a document's `xml:base` values call for, read in one pass ([`bases`]).
#[derive(Debug, Default, PartialEq)]
struct Bases {
    /// The document with every base longer than [`MAX_BASE`], or that is no URL, absolute or
    /// relative (`http://`, a space in a host), emptied (`xml:base=""`, which changes nothing
    /// in scope); `None` when it has none. feed-rs rejects the whole document over a base it
    /// cannot parse.
    rewritten: Option<String>,
    /// Whether a (non-empty) relative base is left (`<feed xml:base="/blog/">`, `<entry
    /// xml:base="/posts/2024/">`), which only the document's own address can resolve when no
    /// absolute base is above it (feed-rs drops it then). feed-rs is given that address only
    /// for such a document: given it, it also resolves against it every relative link outside
    /// any `xml:base`, which are resolved against the feed's site otherwise.
    relative: bool,
}

/// The document's `xml:base` values, read once (see [`Bases`]).
fn bases(text: &str) -> Bases {
    let mut out = String::new();
    let mut relative = false;
    let mut copied = 0;
    let mut from = 0;
    while let Some(at) = find_in(&text[from..], "xml:base").map(|i| from + i) {
        from = at + "xml:base".len();
        let rest = text[from..].trim_start_matches([' ', '\t', '\r', '\n']);
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let value_start = text.len() - rest.len() + 1;
        // Only as far as the limit (in bytes: the quote is ASCII): a longer value is emptied
        // whether or not it ends.
        let window = &text.as_bytes()[value_start..text.len().min(value_start + MAX_BASE + 1)];
        if let Some(len) = memchr::memchr(quote as u8, window) {
            let value = &text[value_start..value_start + len];
            match url::Url::parse(value) {
                Ok(_) => continue,
                Err(url::ParseError::RelativeUrlWithoutBase) => {
                    relative |= !value.trim().is_empty();
                    continue;
                }
                Err(_) => {}
            }
        }
        let Some(len) = text[value_start..].find(quote) else {
            break;
        };
        out.push_str(&text[copied..value_start]);
        copied = value_start + len;
        from = copied;
    }
    let rewritten = (copied > 0).then(|| {
        out.push_str(&text[copied..]);
        out
    });
    Bases {
        rewritten,
        relative,
    }
}

/// An RSS 1.0 document whose items without a `<link>` get one from their `rdf:about` (the
/// item's URI, which RSS 1.0 has be its link); `None` when there is none to add. feed-rs
/// drops an RSS 1.0 item that has no link.
fn link_from_about(text: &str) -> Option<String> {
    if !text.contains("RDF") || !text.contains("rdf:about") {
        return None;
    }
    let mut out = String::new();
    let mut copied = 0;
    let mut from = 0;
    while let Some(at) = text[from..].find("<item").map(|i| from + i) {
        // The tag ends at the first `>`; a `<` first means it never does. Either way the
        // next search starts there, so no byte is scanned twice (`<item<item<item…` would
        // otherwise cost the square of its length).
        let Some(tag_len) = text[at + 1..].find(['>', '<']).map(|i| i + 1) else {
            break;
        };
        from = at + tag_len;
        if text.as_bytes()[at + tag_len] == b'<' {
            continue;
        }
        let tag = &text[at..at + tag_len];
        if !tag[5..].starts_with(char::is_whitespace) || tag.ends_with('/') {
            continue;
        }
        let Some(about) = attr_value(tag, "rdf:about").filter(|a| !a.trim().is_empty()) else {
            continue;
        };
        let body_start = at + tag_len + 1;
        // The item ends at its `</item>`, or at the next `<item` when that is missing: each
        // byte is looked at once however broken the document.
        let next_item = text[body_start..]
            .find("<item")
            .map_or(text.len(), |e| body_start + e);
        let body_end = text[body_start..next_item]
            .find("</item>")
            .map_or(next_item, |e| body_start + e);
        if text[body_start..body_end].contains("<link") {
            continue;
        }
        out.push_str(&text[copied..body_start]);
        out.push_str("<link>");
        out.push_str(about.trim());
        out.push_str("</link>");
        copied = body_start;
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// `<rss>` whose items sit directly under the root, without `<channel>`: wrap them in one.
fn wrap_missing_channel(text: std::borrow::Cow<'_, str>) -> std::borrow::Cow<'_, str> {
    let Some(start) = find_root_rss(&text) else {
        return text;
    };
    if text.contains("<channel") {
        return text;
    }
    let open_end = text[start..].find('>').map(|i| start + i + 1);
    let (Some(open_end), Some(close)) = (open_end, text.rfind("</rss")) else {
        return text;
    };
    if text[..open_end].ends_with("/>") || close < open_end {
        return text;
    }
    let wrapped = format!(
        "{}<channel>{}</channel>{}",
        &text[..open_end],
        &text[open_end..close],
        &text[close..]
    );
    wrapped.into()
}

fn find_root_rss(text: &str) -> Option<usize> {
    let at = root_start(text)?;
    let after = &text[at..];
    let is_rss = after.starts_with("<rss")
        && after[4..].starts_with(|c: char| c.is_whitespace() || c == '>');
    is_rss.then_some(at)
}

/// Where the root element's start tag begins: the first tag that is not a declaration,
/// comment or processing instruction.
fn root_start(text: &str) -> Option<usize> {
    let mut rest = 0;
    loop {
        let at = rest + text[rest..].find('<')?;
        let after = &text[at..];
        if after.starts_with("<?") {
            rest = at + after.find("?>")? + 2;
        } else if after.starts_with("<!--") {
            rest = at + after.find("-->")? + 3;
        } else if after.starts_with("<!") {
            rest = at + skip_doctype(after)?;
        } else {
            return Some(at);
        }
    }
}

fn skip_doctype(s: &str) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '>' if depth <= 0 => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn attr_value<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let mut search = 0;
    while let Some(pos) = tag[search..].find(name) {
        let at = search + pos;
        let before_ok = tag[..at].ends_with(|c: char| c.is_whitespace());
        let rest = tag[at + name.len()..].trim_start();
        if before_ok {
            if let Some(rest) = rest.strip_prefix('=') {
                let rest = rest.trim_start();
                let quote = rest.chars().next()?;
                if quote == '"' || quote == '\'' {
                    let v = &rest[1..];
                    return Some(&v[..v.find(quote)?]);
                }
            }
        }
        search = at + name.len();
    }
    None
}

#[cfg(test)]
mod tests;
