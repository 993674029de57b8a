//! The plain text of feed text constructs, titles and people's names, markup and entities read
//! whatever the declared type.

use feed_rs::model::{Entry, Text};

use super::html;

/// Longest title kept, in characters.
pub(super) const MAX_TITLE: usize = 300;

/// The entry's own title as the item takes it (before C1 controls are read as
/// windows-1252); `None` when it has none, and the item's title is derived from its text.
pub(super) fn own_title(e: &Entry) -> Option<String> {
    e.title
        .as_ref()
        .map(text_of)
        .filter(|t| !t.is_empty())
        .map(|t| html::truncate_words(&t, MAX_TITLE))
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
pub(super) fn text_prefix(t: &Text, max_chars: usize) -> String {
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
pub(super) fn plain_prefix(s: &str, max_chars: usize) -> String {
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
pub(super) fn html_prefix(s: &str, max_chars: usize) -> String {
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

/// An author's name as shown, without an address written beside it: `Ana Jović
/// (ana@example.com)`, `Ana Jović <ana@example.com>`, and `ana@example.com (Ana Jović)`, which
/// leaves feed-rs with `(Ana Jović)`, are all `Ana Jović`.
pub(super) fn author_name(raw: &str) -> String {
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

/// The names of up to ten people, as stored.
pub(super) fn person_names(people: &[feed_rs::model::Person]) -> Vec<String> {
    people
        .iter()
        .filter_map(|p| p.name.as_deref().map(author_name))
        .filter(|n| !n.is_empty())
        .take(10)
        .collect()
}
