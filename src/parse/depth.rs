//! The guard against documents nested deeper than any feed: feed-rs reads some elements by
//! recursion, and a document nesting them by the hundred thousand would overflow its stack.

/// Deepest element nesting read. feed-rs walks some elements (Media RSS groups) by recursion
/// on a thread's stack: a document nesting them by the hundred thousand (a megabyte of
/// `<media:group>`) would overflow it and abort the whole process, which no `catch_unwind`
/// stops. Real feeds nest a few dozen levels at most, XHTML content included.
pub(super) const MAX_DEPTH: usize = 256;

/// Whether the document's elements nest deeper than [`MAX_DEPTH`], as feed-rs's reader
/// (quick-xml) reads them: a tag ends at its first `>` outside quotes, a processing
/// instruction at `?>`, a comment at the first `-->` after its `<!--`, a CDATA section at
/// `]]>`. A scan of the tags alone does that at memchr's speed; a document with a DOCTYPE
/// (whose internal subset has a grammar of its own) or another `<!` is read by quick-xml
/// itself. Where the reader finds the document broken, so does feed-rs, which reads no
/// further.
pub(super) fn too_deep(text: &str) -> bool {
    match scan_depth(text) {
        Some(deep) => deep,
        None => read_depth(text),
    }
}

/// [`too_deep`] by a scan of the tags; `None` at a declaration the scan does not read.
pub(super) fn scan_depth(text: &str) -> Option<bool> {
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
pub(super) fn read_depth(text: &str) -> bool {
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
