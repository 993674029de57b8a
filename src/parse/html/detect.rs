//! Telling markup from text: whether a title or a summary holds HTML, or angle brackets of
//! its own.

/// Whether a text holds HTML markup rather than angle brackets of its own: an end tag of an
/// HTML element (`</p>`), a void element (`<br>`, `<img src=…>`) or a comment. `Vec<T>`,
/// `<<Gratë në politikë>>`, `a<b` and a lone `<video>` mentioned in a sentence are text.
pub fn looks_like_html(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(at) = s[from..].find('<').map(|i| from + i) {
        from = at + 1;
        let rest = &bytes[at + 1..];
        if rest.starts_with(b"!--") {
            return true;
        }
        let (closing, name_at) = match rest.first() {
            Some(b'/') => (true, 1),
            _ => (false, 0),
        };
        let name_len = rest[name_at..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 {
            continue;
        }
        let name = std::str::from_utf8(&rest[name_at..name_at + name_len])
            .unwrap_or("")
            .to_ascii_lowercase();
        let after = rest.get(name_at + name_len).copied();
        let ends_tag = matches!(after, Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r'));
        if !ends_tag {
            continue;
        }
        if closing && after == Some(b'>') && MARKUP.contains(&name.as_str()) {
            return true;
        }
        if !closing && VOID.contains(&name.as_str()) {
            return true;
        }
        // An opening tag with an attribute (`<svg/onload=…>`, `<a href="…">`): markup, and
        // one a reader treating the text as HTML would run.
        if !closing && has_attribute(&rest[name_at + name_len..]) {
            return true;
        }
    }
    false
}

/// Elements whose end tag (or, for the void ones, whose tag) in a text says it is markup.
const MARKUP: &[&str] = &[
    "a",
    "abbr",
    "address",
    "article",
    "aside",
    "audio",
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "ins",
    "kbd",
    "label",
    "li",
    "main",
    "mark",
    "nav",
    "noscript",
    "object",
    "ol",
    "p",
    "picture",
    "pre",
    "q",
    "s",
    "samp",
    "script",
    "section",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
];
/// Elements that have no end tag.
const VOID: &[&str] = &["br", "hr", "img", "wbr", "embed", "source"];

/// Whether what follows a tag's name, up to its `>`, names an attribute: `name=` after a space
/// or `/`. `<b = c>` (a comparison written out) names none.
fn has_attribute(after_name: &[u8]) -> bool {
    let end = memchr::memchr(b'>', &after_name[..after_name.len().min(512)]);
    let Some(tag) = end.map(|e| &after_name[..e]) else {
        return false;
    };
    let mut seen_gap = false;
    let mut name_len = 0;
    for &b in tag {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b'/' => {
                seen_gap = true;
                name_len = 0;
            }
            b'=' if seen_gap && name_len > 0 => return true,
            b if seen_gap && (b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b':') => {
                name_len += 1;
            }
            _ => name_len = 0,
        }
    }
    false
}
