//! Markup the sanitizer wrote (html5ever's serialization), read without a second tokenizer:
//! its tags and attributes, and what other stages take from a stored body: its first
//! picture, its web links, and whether two bodies show the same but for the queries of
//! their media addresses.

use std::borrow::Cow;

use super::pixels::is_tiny;
use super::text::{decode_entities, sanitized_text_prefix};
use super::whitespace::collapse_whitespace;
use crate::parse::urls;

/// The `src` of the first picture in sanitized `html` (absolute: the sanitizer made it so),
/// read from the serialization without a parser: a story's picture for JSON Feed's `image`
/// and for digests. An image 0 or 1 pixel wide or high (a spacer, or a pixel from the story's
/// own site, which the sanitizer keeps) is no picture.
pub fn first_image(html: &str) -> Option<String> {
    first_picture(html).map(|(src, _)| src)
}

/// [`first_image`] with its text alternative (`alt`, entities decoded; empty without one).
pub fn first_picture(html: &str) -> Option<(String, String)> {
    serialized_tags(html)
        .filter(|tag| tag.name == "img")
        .filter(|tag| {
            !["width", "height"]
                .iter()
                .any(|side| serialized_attribute(tag.attributes, side).is_some_and(|v| is_tiny(&v)))
        })
        .find_map(|tag| {
            let src = serialized_attribute(tag.attributes, "src")
                .filter(|src| src.starts_with("https://") || src.starts_with("http://"))?;
            let alt = serialized_attribute(tag.attributes, "alt").unwrap_or_default();
            Some((src.into_owned(), collapse_whitespace(&alt)))
        })
}

/// The web links of sanitized `html`, in order: each `<a href="http(s)://…">` with the text
/// inside it (entities decoded, whitespace collapsed, at most about 200 characters), read from
/// the serialization as [`first_image`] reads pictures. A link without text is left out.
pub fn links(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut open: Option<(String, usize)> = None;
    for tag in serialized_tags(html).filter(|tag| tag.name == "a") {
        if html.as_bytes().get(tag.start + 1) == Some(&b'/') {
            if let Some((href, from)) = open.take() {
                let text = sanitized_text_prefix(&html[from..tag.start], 200);
                if !text.is_empty() {
                    out.push((text, href));
                }
            }
        } else {
            open = serialized_attribute(tag.attributes, "href")
                .filter(|h| h.starts_with("https://") || h.starts_with("http://"))
                .map(|h| (h.into_owned(), tag.end));
        }
    }
    out
}

/// Whether two sanitized bodies show the same, though the addresses of their pictures, videos
/// and sounds may differ in their queries and fragments ([`urls::same_but_query`]): a CDN that
/// signs or versions its addresses writes `<img src="…/a.jpg?sig=…">` (or a `<video>`'s
/// `poster`, a `<source>`'s `src`) anew at every fetch of an unchanged story. Read from the
/// serializations as [`first_image`] reads them: the text and every other tag must be written
/// alike, and so must each such tag's other attributes, in the same order; any other
/// difference (a link's query, which often picks the page: `?p=12`; a picture at another path)
/// is one.
pub fn same_but_media_queries(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (mut tags_a, mut tags_b) = (serialized_tags(a), serialized_tags(b));
    let (mut at_a, mut at_b) = (0, 0);
    loop {
        let (x, y) = match (tags_a.next(), tags_b.next()) {
            (None, None) => return a[at_a..] == b[at_b..],
            (Some(x), Some(y)) => (x, y),
            _ => return false,
        };
        if a[at_a..x.start] != b[at_b..y.start] {
            return false;
        }
        let (tag_a, tag_b) = (&a[x.start..x.end], &b[y.start..y.end]);
        if tag_a != tag_b {
            // `<img` (`<video`, `<audio`, `<source`), its attributes and its `>` (a tag cut
            // short at the end of the markup is none).
            let media = |tag: &Tag, whole: &str| {
                matches!(tag.name, "img" | "video" | "audio" | "source")
                    && whole[1..].starts_with(tag.name)
                    && whole[1 + tag.name.len() + tag.attributes.len()..] == *">"
            };
            if x.name != y.name
                || !media(&x, tag_a)
                || !media(&y, tag_b)
                || !same_but_media_query(x.attributes, y.attributes)
            {
                return false;
            }
        }
        (at_a, at_b) = (x.end, y.end);
    }
}

/// One tag of html5ever-serialized markup (see [`serialized_tags`]).
pub(super) struct Tag<'a> {
    /// Where its `<` is.
    pub(super) start: usize,
    /// Where it ends: after its `>`, or the end of the markup.
    pub(super) end: usize,
    /// Its name, without the `/` of an end tag.
    pub(super) name: &'a str,
    /// What follows the name up to the `>`: ` name="value"` for each attribute.
    pub(super) attributes: &'a str,
}

/// The tags of markup serialized by html5ever, as the sanitizer writes it, in order. That is a
/// tree with no comments and no raw-text elements (whose text would be written as it is: the
/// sanitizer removes them with their content), so every `<` opens a tag (a `<` of the text is
/// written `&lt;`), and inside a tag a `>` can only be part of an attribute value, which is
/// always in double quotes (a `"` in it is written `&quot;`; html5ever 0.40 writes `<` and `>`
/// there as entities too, which this does not count on). So a tag ends at the first `>`
/// outside quotes.
pub(super) fn serialized_tags(html: &str) -> impl Iterator<Item = Tag<'_>> {
    let bytes = html.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        let open = at + memchr::memchr(b'<', bytes.get(at..)?)?;
        let name_start = open + 1 + usize::from(bytes.get(open + 1) == Some(&b'/'));
        let name_end = bytes[name_start..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
            .map_or(bytes.len(), |i| name_start + i);
        let mut quoted = false;
        let mut close = name_end;
        while close < bytes.len() {
            match bytes[close] {
                b'"' => quoted = !quoted,
                b'>' if !quoted => break,
                _ => {}
            }
            close += 1;
        }
        at = close + 1;
        Some(Tag {
            start: open,
            end: at.min(bytes.len()),
            name: &html[name_start..name_end],
            attributes: &html[name_end..close],
        })
    })
}

/// The value of attribute `name` in a serialized tag's attributes, its references decoded.
pub(super) fn serialized_attribute<'a>(attributes: &'a str, name: &str) -> Option<Cow<'a, str>> {
    let mut rest = attributes;
    loop {
        let (this, value) = rest.trim_start().split_once("=\"")?;
        let (value, after) = value.split_once('"')?;
        if this == name {
            return Some(decode_entities(value));
        }
        rest = after;
    }
}

/// Whether two media tags' serialized attributes are written alike, in the same order, but
/// for the query and fragment of their `src` and `poster`.
fn same_but_media_query(mut a: &str, mut b: &str) -> bool {
    // The next attribute of a serialized tag: its name, its value as written, and the rest.
    fn next(rest: &str) -> Option<(&str, &str, &str)> {
        let (name, value) = rest.trim_start().split_once("=\"")?;
        let (value, after) = value.split_once('"')?;
        Some((name, value, after))
    }
    loop {
        match (next(a), next(b)) {
            (None, None) => return a.trim() == b.trim(),
            (Some((name_a, value_a, after_a)), Some((name_b, value_b, after_b))) => {
                let same = value_a == value_b
                    || matches!(name_a, "src" | "poster")
                        && urls::same_but_query(
                            &decode_entities(value_a),
                            &decode_entities(value_b),
                        );
                if name_a != name_b || !same {
                    return false;
                }
                (a, b) = (after_a, after_b);
            }
            _ => return false,
        }
    }
}
