//! Raw markup read as the HTML tokenizer reads it, without a parser: where a tag, a comment
//! or a text-only element ends, and the text of markup too costly to parse.

use super::cost::{element_kind, lowercased, Element};

/// The text of markup too costly to parse, in one pass: as the tokenizer reads it, its tags,
/// comments and the contents of text-only elements (`script`, `style`…) out (a space in their
/// place), a `<` that starts no tag kept as text. Entities are left as they are.
pub(super) fn without_tags(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len() / 2);
    let (mut at, mut text_from) = (0usize, 0usize);
    while let Some(found) = memchr::memchr(b'<', &bytes[at..]) {
        let open = at + found;
        let closing = bytes.get(open + 1) == Some(&b'/');
        let name_at = open + 1 + usize::from(closing);
        let comment = bytes[open + 1..].starts_with(b"!--");
        let declaration = matches!(bytes.get(open + 1), Some(b'!' | b'?'));
        if !comment && !declaration && !bytes.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            // Text: `x < 3`, `<3`.
            at = open + 1;
            continue;
        }
        out.push_str(&html[text_from..open]);
        out.push(' ');
        let end = if comment {
            comment_end(bytes, open + 4)
        } else if declaration {
            memchr::memchr(b'>', &bytes[open..]).map(|i| open + i + 1)
        } else {
            let name_len = tag_name_len(&bytes[name_at..]);
            let mut lower = [0u8; 10];
            let name = lowercased(&bytes[name_at..name_at + name_len], &mut lower);
            html_tag_end(bytes, name_at + name_len).map(|end| {
                if closing || element_kind(name) != Element::Skipped {
                    return end;
                }
                // Its content is text to the parser, up to its end tag: none of the story's.
                end_tag_of(bytes, end, name).map_or(bytes.len(), |after| {
                    html_tag_end(bytes, after).unwrap_or(bytes.len())
                })
            })
        };
        match end {
            Some(end) => at = end,
            None => at = bytes.len(),
        }
        text_from = at;
    }
    out.push_str(&html[text_from..]);
    out
}

/// [`html_tag_end`], with the number of attributes the tokenizer reads in the tag (all those
/// it reads before the input ends, for a tag that never ends).
pub(super) fn html_tag_end_counting(bytes: &[u8], mut at: usize) -> (Option<usize>, usize) {
    let space = |b: &u8| b.is_ascii_whitespace();
    let mut attributes = 0;
    let end = loop {
        // Before an attribute's name.
        at += bytes
            .get(at..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| space(b) || **b == b'/')
            .count();
        match bytes.get(at) {
            None => break None,
            Some(b'>') => break Some(at + 1),
            // The name, its first character whatever it is.
            Some(_) => {
                attributes += 1;
                at += 1;
                at += bytes[at..]
                    .iter()
                    .take_while(|b| !space(b) && !matches!(b, b'/' | b'>' | b'='))
                    .count();
            }
        }
        at += bytes[at..].iter().take_while(|b| space(b)).count();
        if bytes.get(at) != Some(&b'=') {
            continue;
        }
        at += 1;
        at += bytes[at..].iter().take_while(|b| space(b)).count();
        match bytes.get(at) {
            None => break None,
            Some(&quote @ (b'"' | b'\'')) => match memchr::memchr(quote, &bytes[at + 1..]) {
                Some(len) => at += len + 2,
                None => break None,
            },
            Some(b'>') => break Some(at + 1),
            Some(_) => {
                at += bytes[at..]
                    .iter()
                    .take_while(|b| !space(b) && **b != b'>')
                    .count()
            }
        }
    };
    (end, attributes)
}

/// Just past the end of a comment whose text starts at `from` (after `<!--`): `-->` or
/// `--!>`, or at once for `<!-->` and `<!--->`. `None`: it runs to the end.
pub(super) fn comment_end(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    if rest.starts_with(b">") {
        return Some(from + 1);
    }
    if rest.starts_with(b"->") {
        return Some(from + 2);
    }
    // The first `-->`, unless a `--!>` comes before it (searched up to it alone: linear).
    let dashes = memchr::memmem::find(rest, b"-->");
    let before = &rest[..dashes.unwrap_or(rest.len())];
    match memchr::memmem::find(before, b"--!>") {
        Some(at) => Some(from + at + 4),
        None => dashes.map(|at| from + at + 3),
    }
}

/// The length of the tag name that `bytes` starts with: to a space, `/` or `>`, as the HTML
/// tokenizer reads it.
pub(super) fn tag_name_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|b| !b.is_ascii_whitespace() && !matches!(b, b'/' | b'>'))
        .count()
}

/// Just past `</name` (any case) from `from` on, where a text-only element ends.
pub(super) fn end_tag_of(bytes: &[u8], from: usize, name: &str) -> Option<usize> {
    memchr::memmem::find_iter(&bytes[from..], b"</")
        .map(|i| from + i + 2)
        .find(|&n| {
            bytes
                .get(n..n + name.len())
                .is_some_and(|b| b.eq_ignore_ascii_case(name.as_bytes()))
        })
        .map(|n| n + name.len())
}

/// Just past the `>` that ends an HTML tag whose attributes start at `at`, as the HTML
/// tokenizer reads them: a name (which may start with `=`), then `=` and a value, quoted or
/// not; quotes count only around a value.
fn html_tag_end(bytes: &[u8], at: usize) -> Option<usize> {
    html_tag_end_counting(bytes, at).0
}
