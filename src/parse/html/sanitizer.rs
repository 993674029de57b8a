//! [`sanitize`]: a feed body made safe to show. Plain text is escaped without a parser;
//! markup too costly to parse keeps its text alone; any other goes through the pass before
//! the sanitizer ([`embeds_and_lazy_images`]), then ammonia, then the scan for tracking
//! pixels when the sanitizer saw an image that may be one.

use std::borrow::Cow;
use std::sync::OnceLock;

use url::Url;

use super::cost::too_costly;
use super::embeds::embeds_and_lazy_images;
use super::pixels::drop_tracking_pixels;
use super::policy::{clean_with, sanitizer, sanitizer_without_frames, PIXEL_SUSPECT};
use super::raw_tags::without_tags;
use super::serialized::serialized_tags;
use super::text::decode_entities;
use super::whitespace::collapse_whitespace;

/// Sanitized HTML for a feed body. `base` resolves relative URLs; `item_host` is the host of
/// the item's own link (a 1×1 image from any other host is a tracking pixel).
pub fn sanitize(html: &str, base: Option<&Url>, item_host: Option<&str>) -> String {
    if is_plain_text(html) {
        return trimmed(escape_plain_text(html));
    }
    sanitize_markup(html, base, item_host)
}

/// [`sanitize`] through ammonia.
pub(super) fn sanitize_markup(html: &str, base: Option<&Url>, item_host: Option<&str>) -> String {
    if too_costly(html) {
        // Its text alone, escaped: nothing of such markup is worth seconds or minutes of a
        // core. Not read by a tokenizer that keeps a stack of elements either (lol_html's
        // selectors search theirs at each end tag that closes nothing).
        return text_alone(html);
    }
    let html = &*unclosed_noscripts_opened(html);
    // Fails closed: a body the pass could not read, or that still has an iframe with content
    // once sanitized (html5ever writes that content unescaped), is sanitized without frames.
    let cleaned = match embeds_and_lazy_images(html, base) {
        Some(prepared) => {
            let cleaned = clean_with(sanitizer(), &prepared, base);
            if iframes_are_empty(&cleaned) {
                cleaned
            } else {
                clean_with(sanitizer_without_frames(), html, base)
            }
        }
        None => clean_with(sanitizer_without_frames(), html, base),
    };
    if cleaned.len() > MAX_SANITIZED {
        // Tens of thousands of relative URLs, each made absolute: its text is the story.
        return text_alone(html);
    }
    trimmed(if PIXEL_SUSPECT.get() {
        drop_tracking_pixels(cleaned, item_host)
    } else {
        cleaned
    })
}

/// Text the HTML parser reads as one text node, unchanged: no markup, no character
/// references, no carriage returns (made line feeds), no NULs (dropped) and no byte order
/// mark (dropped at the start). Many feeds' descriptions are such text; they need no parser.
pub(super) fn is_plain_text(html: &str) -> bool {
    !html.bytes().any(|b| matches!(b, b'<' | b'&' | b'\r' | 0)) && !html.contains('\u{feff}')
}

/// `html` without the start tags of the `<noscript>`s it never closes. The sanitizer drops a
/// `<noscript>` with its content, which the parser reads as raw text up to `</noscript`: one
/// left open would take the rest of the story with it. Its content is read as markup instead.
pub(super) fn unclosed_noscripts_opened(html: &str) -> Cow<'_, str> {
    static TAGS: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["<noscript", "</noscript"])
            .expect("two fixed patterns")
    });
    // Where the `<noscript>` open at the end began: an open inside another's raw text is
    // text, and a close ends the one open.
    let mut open = None;
    for found in tags.find_iter(html) {
        match found.pattern().as_usize() {
            0 => {
                open.get_or_insert(found.start());
            }
            _ => open = None,
        }
    }
    let Some(from) = open else {
        return Cow::Borrowed(html);
    };
    // From there on no `<noscript>` is closed: each start tag goes, what follows it stays.
    let mut out = String::with_capacity(html.len());
    out.push_str(&html[..from]);
    let mut rest = &html[from..];
    while let Some(found) = tags.find(rest) {
        out.push_str(&rest[..found.start()]);
        let after = &rest[found.start()..];
        rest = after.find('>').map_or("", |end| &after[end + 1..]);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Whether every iframe in sanitized `html` is empty (`<iframe …></iframe>`).
pub(super) fn iframes_are_empty(html: &str) -> bool {
    let mut rest = html;
    while let Some(at) = memchr::memmem::find(rest.as_bytes(), b"<iframe") {
        let from = &rest[at..];
        let Some(tag) = serialized_tags(from).next() else {
            return false;
        };
        let Some(after) = from[tag.end..].strip_prefix("</iframe>") else {
            return false;
        };
        rest = after;
    }
    true
}

/// What html5ever's serializer writes for [`is_plain_text`] text: `>` and U+00A0 as
/// references, everything else as it is.
fn escape_plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(i) = rest.find(['>', '\u{a0}']) {
        out.push_str(&rest[..i]);
        let c = rest[i..].chars().next().unwrap_or('>');
        out.push_str(if c == '>' { "&gt;" } else { "&nbsp;" });
        rest = &rest[i + c.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// `s` without leading and trailing whitespace, in place.
fn trimmed(mut s: String) -> String {
    let end = s.trim_end().len();
    s.truncate(end);
    let start = s.len() - s.trim_start().len();
    s.drain(..start);
    s
}

/// Longest sanitized body kept as markup: four times the longest body read (each relative URL
/// made absolute makes a body longer, links by a few dozen bytes each).
const MAX_SANITIZED: usize = 1024 * 1024;

/// The text of markup, escaped, for a body whose markup is not worth keeping.
fn text_alone(html: &str) -> String {
    let text = collapse_whitespace(&decode_entities(&without_tags(html)));
    trimmed(html_escape::encode_text(&text).into_owned())
}
