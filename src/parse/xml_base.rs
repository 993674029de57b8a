//! A document's `xml:base` values: the ones feed-rs would reject the document over, or copy
//! at great cost, emptied, and whether a relative one needs the document's own address.

use super::markup::find_in;

/// Longest `xml:base` read. feed-rs copies the base in scope into every element it reads, so
/// a base of megabytes over a million elements would copy terabytes; no real one is near.
pub(super) const MAX_BASE: usize = 2048;

/// What a document's `xml:base` values call for, read in one pass ([`bases`]).
#[derive(Debug, Default, PartialEq)]
pub(super) struct Bases {
    /// The document with every base longer than [`MAX_BASE`], or that is no URL, absolute or
    /// relative (`http://`, a space in a host), emptied (`xml:base=""`, which changes nothing
    /// in scope); `None` when it has none. feed-rs rejects the whole document over a base it
    /// cannot parse.
    pub(super) rewritten: Option<String>,
    /// Whether a (non-empty) relative base is left (`<feed xml:base="/blog/">`, `<entry
    /// xml:base="/posts/2024/">`), which only the document's own address can resolve when no
    /// absolute base is above it (feed-rs drops it then). feed-rs is given that address only
    /// for such a document: given it, it also resolves against it every relative link outside
    /// any `xml:base`, which are resolved against the feed's site otherwise.
    pub(super) relative: bool,
}

/// The document's `xml:base` values, read once (see [`Bases`]).
pub(super) fn bases(text: &str) -> Bases {
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
