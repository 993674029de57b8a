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
//! [`normalize()`] then does the costly part — sanitizing HTML, plain-text summaries,
//! canonical links, dates — and is only called for entries that are new or changed.
//!
//! Where the steps of [`parse`] live: `depth` refuses documents nested too deep, `html_page`
//! answers a web page with the feed it names, `repair` and `xml_base` rewrite what feed-rs
//! would reject or drop (with scans shared in `markup`), `feed_parser` runs feed-rs, `build`
//! turns its model into a [`ParsedFeed`] (with `identity` for what tells entries apart).
//! [`normalize()`] lives in `normalize`, with the plain text of titles, summaries and names in
//! `text`.

mod atom03;
mod build;
mod caps;
pub mod dates;
mod depth;
pub mod encoding;
mod entry_extras;
mod feed_parser;
pub mod html;
mod html_page;
mod identity;
mod json_mend;
pub mod lang;
mod markup;
mod normalize;
mod references;
mod repair;
mod rss_extras;
mod scope;
mod text;
pub mod urls;
mod xml_base;

use chrono::{DateTime, Utc};
use feed_rs::model::Entry;
use url::Url;

use crate::model::Identity;

use build::build_checked;
use depth::{too_deep, MAX_DEPTH};
use feed_parser::unsupported_type;
use html_page::{html_page_hint, is_web_page, named_feed};
use repair::{absolute_enclosures, link_from_about, repair_rss_version, wrap_missing_channel};
use xml_base::{bases, Bases, MAX_BASE};

pub(crate) use feed_parser::run_feed_rs;
pub use feed_parser::{in_feed_parser, panic_text};
pub use normalize::normalize;

/// Why a document gave no items at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but whitespace.
    #[error("empty document")]
    Empty,
    /// A web page where a feed was expected, with the feed it names (`<link rel="alternate">`)
    /// that is most likely the one meant (`named_feed`), as published, and how many others
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
    /// The entry as feed-rs read it, with what it left out filled in: what
    /// [`normalize()`] reads.
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
    let decoded = decode(bytes, ctx);
    let mut warnings = decoding_warnings(&decoded);
    let text = decoded.text.trim_start();
    check_readable(text, ctx)?;
    // Entries (and JSON Feed authors) past what is read, cut before feed-rs builds them all.
    let cut = caps::cut(text)?;
    let text = match &cut {
        Some((cut, said)) => {
            warnings.extend(said.iter().cloned());
            cut.as_str()
        }
        None => text,
    };
    let (mut text, relative) = repaired(text, ctx.fetch_url, &mut warnings);
    let invalid = |msg: String| located(msg, bytes, &decoded.text);
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
                    if !retype(&mut text, &mut warnings, &mime) {
                        return Err(ParseError::Invalid(msg));
                    }
                } else if !json_mended && msg.contains("JSON") {
                    json_mended = true;
                    if !mend_json(&mut text, &mut warnings) {
                        return Err(invalid(msg));
                    }
                } else if !ampersands_read && references::is_reference_error(&msg) {
                    ampersands_read = true;
                    if !escape_ampersands(&mut text, &mut warnings) {
                        return Err(invalid(msg));
                    }
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

/// The document decoded to UTF-8, with the HTTP charset, the source's language and the
/// fetch URL's host as hints.
fn decode(bytes: &[u8], ctx: &Context<'_>) -> encoding::Decoded {
    let charset = ctx.content_type.and_then(charset_of);
    encoding::decode_with(
        bytes,
        &encoding::Hints {
            http_charset: charset.as_deref(),
            lang: ctx.default_lang,
            host: ctx.fetch_url.and_then(Url::host_str),
        },
    )
}

/// The warnings decoding gives: a guessed encoding, bytes invalid in it.
fn decoding_warnings(decoded: &encoding::Decoded) -> Vec<String> {
    let mut warnings = Vec::new();
    warnings.extend(decoded.guess_warning());
    if decoded.had_errors {
        warnings.push(format!(
            "bytes invalid in {} were replaced",
            decoded.encoding.name()
        ));
    }
    warnings
}

/// Refuses a decoded document that is empty, a web page (with the feed it names) or nested
/// too deep.
fn check_readable(text: &str, ctx: &Context<'_>) -> Result<(), ParseError> {
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    if is_web_page(text) {
        let (feed, others) = named_feed(text.as_bytes(), ctx.fetch_url);
        return Err(ParseError::HtmlPage { feed, others });
    }
    if too_deep(text) {
        return Err(ParseError::Invalid(format!(
            "elements nest deeper than {MAX_DEPTH} levels, more than any feed: not read"
        )));
    }
    Ok(())
}

/// The document with what feed-rs would reject or drop rewritten (`repair`, `atom03`,
/// `xml_base`), an `xml:base` ignored said in `warnings`; with whether a relative
/// `xml:base` is left ([`Bases::relative`]).
fn repaired(text: &str, fetch_url: Option<&Url>, warnings: &mut Vec<String>) -> (String, bool) {
    let mut text = wrap_missing_channel(repair_rss_version(text)).into_owned();
    if let Some(atom10) = atom03::to_atom10(&text) {
        text = atom10;
    }
    if let Some(absolute) = absolute_enclosures(&text, fetch_url) {
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
    (text, relative)
}

/// A document feed-rs cannot read as XML: its error, with the line and column where
/// quick-xml finds it in the document as sent (as `decoded`, from its first tag, when that
/// is not UTF-8).
fn located(msg: String, bytes: &[u8], decoded: &str) -> ParseError {
    if !msg.starts_with("unable to parse XML") {
        return ParseError::Invalid(msg);
    }
    let doc = std::str::from_utf8(bytes).unwrap_or(decoded);
    // quick-xml skips a byte order mark without counting it in its positions.
    let doc = doc.strip_prefix('\u{feff}').unwrap_or(doc);
    match references::scan(doc).error {
        Some((at, error)) if msg.ends_with(&error) => {
            let (line, column) = references::line_column(doc, at);
            ParseError::Invalid(format!("{msg} at line {line}, column {column}"))
        }
        _ => ParseError::Invalid(msg),
    }
}

/// Text constructs of a type feed-rs does not know (`mime`) read as text (or XHTML), said in
/// `warnings`; false when the document has none written as feed-rs named it.
fn retype(text: &mut String, warnings: &mut Vec<String>, mime: &str) -> bool {
    let with = if mime.contains("xhtml") {
        "xhtml"
    } else {
        "text"
    };
    let fixed = text
        .replace(&format!("type=\"{mime}\""), &format!("type=\"{with}\""))
        .replace(&format!("type='{mime}'"), &format!("type='{with}'"));
    if fixed == *text {
        return false;
    }
    *text = fixed;
    warnings.push(format!("content of type {mime:?} read as {with}"));
    true
}

/// A JSON Feed with a value of another type than the spec's where feed-rs wants a string
/// (`"id": 123`, a number among the tags, `"title": null`): read as the string it stands for,
/// or left out, said in `warnings`; false when there is none to mend.
fn mend_json(text: &mut String, warnings: &mut Vec<String>) -> bool {
    let Some((fixed, mended)) = json_mend::mended(text) else {
        return false;
    };
    *text = fixed;
    warnings.push(format!(
        "{mended} JSON Feed values of the wrong type read as text or left out"
    ));
    true
}

/// Bare `&`s (not starting an entity or character reference) read as text, said in
/// `warnings`; false when there are none.
fn escape_ampersands(text: &mut String, warnings: &mut Vec<String>) -> bool {
    let found = references::scan(text).ampersands;
    if found.is_empty() {
        return false;
    }
    *text = references::escape_at(text, &found);
    // An Atom 0.3 feed quick-xml could not read before can be rewritten now.
    if let Some(atom10) = atom03::to_atom10(text) {
        *text = atom10;
    }
    warnings.push(format!(
        "{} `&` not starting an entity or character reference read as text (XML wants `&amp;`)",
        found.len()
    ));
    true
}

fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

#[cfg(test)]
mod tests;
