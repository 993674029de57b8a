//! Quick scans of a document's markup that the repairs and readers share: a byte search, a
//! count of elements, where the root element starts, a tag's attributes and one's value.

/// Byte offset of the first `needle` in `hay`, found with memchr's vectorized search: the
/// repairs look through whole documents, where `str::find` compares a byte at a time.
pub(super) fn find_in(hay: &str, needle: &str) -> Option<usize> {
    memchr::memmem::find(hay.as_bytes(), needle.as_bytes())
}

/// How many elements with one of `names` (any namespace prefix) a document has: `<item>` and
/// `<item …>`, not `<items>`, and none inside a comment or a CDATA section.
pub(super) fn element_count(text: &str, names: &[&str]) -> usize {
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

/// Where the root element's start tag begins: the first tag that is not a declaration,
/// comment or processing instruction.
pub(super) fn root_start(text: &str) -> Option<usize> {
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

/// The value of attribute `name` (its exact name, as XML writes it) in a start tag (`<rss
/// version="2.0">`), read as [`attributes`] reads them.
pub(super) fn attr_value<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let after_lt = tag.strip_prefix('<').unwrap_or(tag).as_bytes();
    let name_end = after_lt
        .iter()
        .position(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
        .unwrap_or(after_lt.len());
    attributes(&after_lt[name_end..])
        .find(|(n, _)| *n == name.as_bytes())
        .and_then(|(_, value)| std::str::from_utf8(value?).ok())
}

/// A tag's attributes, from the bytes after its name: a name runs to whitespace, `=`, `/` or
/// `>`; a value quoted runs to its closing quote (so that `src=` written inside another
/// attribute's value, as in `alt="set src=x"`, is no attribute), one unquoted to whitespace
/// or `>`. A value cut off by the end of `tag` runs to that end.
pub(super) fn attributes(tag: &[u8]) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
    let mut rest = tag;
    std::iter::from_fn(move || {
        loop {
            rest = rest.trim_ascii_start();
            match rest.first() {
                None | Some(b'>') => return None,
                Some(b'/') => rest = &rest[1..],
                Some(_) => break,
            }
        }
        // A name may start with `=` (`=src` is one name, as the HTML tokenizer reads it).
        let name_len = 1 + rest[1..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || matches!(b, b'=' | b'/' | b'>'))
            .unwrap_or(rest.len() - 1);
        let name = &rest[..name_len];
        let after = rest[name_len..].trim_ascii_start();
        let Some(value) = after.strip_prefix(b"=") else {
            rest = after;
            return Some((name, None));
        };
        let value = value.trim_ascii_start();
        let (inner, next) = match value.first() {
            Some(&q @ (b'"' | b'\'')) => {
                let inner = &value[1..];
                let len = memchr::memchr(q, inner).unwrap_or(inner.len());
                (&inner[..len], inner.get(len + 1..).unwrap_or_default())
            }
            _ => {
                let len = value
                    .iter()
                    .position(|b| b.is_ascii_whitespace() || *b == b'>')
                    .unwrap_or(value.len());
                (&value[..len], &value[len..])
            }
        };
        rest = next;
        Some((name, Some(inner)))
    })
}
