//! Quick scans of a document's markup that the repairs and readers share: a byte search, a
//! count of elements, where the root element starts, an attribute's value.

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

pub(super) fn attr_value<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
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
