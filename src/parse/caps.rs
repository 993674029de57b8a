//! A document holding far more entries than are read from it, cut before feed-rs reads it:
//! feed-rs builds every entry of a document before [`super::MAX_ENTRIES`] keeps the first
//! ones (15 MiB of `<item/>` took 3.2 GB and 8 s).
//!
//! The check starts with a count in one memchr pass that is never under the entries the
//! document holds (`<item`s and `<entry`s); only a document over it is read again, to be cut
//! where needed. A document within bounds is read as sent.

use std::ops::Range;

use super::MAX_ENTRIES;

/// `document` with its entries past the bounds cut, and what was cut as warnings; `None`
/// when it is within them.
pub(super) fn cut(document: &str) -> Option<(String, Vec<String>)> {
    let bytes = document.as_bytes();
    // The format, as feed-rs tells it: by the first `<` or `{`.
    match memchr::memchr2(b'<', b'{', bytes).map(|at| bytes[at]) {
        Some(b'<') => cut_xml(document),
        _ => None,
    }
}

/// Entries read past the first [`MAX_ENTRIES`] as a warning, as [`super::build_checked`] says
/// it.
fn entries_warning(written: usize) -> String {
    format!("the document has {written} entries: the first {MAX_ENTRIES} were read")
}

/// An XML document's entries past the first [`MAX_ENTRIES`], cut; `None` when it has no more.
fn cut_xml(document: &str) -> Option<(String, Vec<String>)> {
    if entry_tags(document.as_bytes()) <= MAX_ENTRIES {
        return None;
    }
    let (ranges, written) = entries_past(document, MAX_ENTRIES)?;
    let mut out = String::with_capacity(document.len());
    let mut copied = 0;
    for range in ranges {
        out.push_str(&document[copied..range.start]);
        copied = range.end;
    }
    out.push_str(&document[copied..]);
    Some((out, vec![entries_warning(written)]))
}

/// How many tags the document has named `item` or `entry` (any namespace prefix), counted up
/// to one past [`MAX_ENTRIES`]: its entries' start tags, and any in comments or CDATA sections
/// too, so never fewer than it has entries. A name ends where quick-xml ends it, or earlier.
fn entry_tags(bytes: &[u8]) -> usize {
    let mut n = 0;
    for at in memchr::memchr_iter(b'<', bytes) {
        let name = &bytes[at + 1..];
        let end = name
            .iter()
            .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>' | b'<'))
            .unwrap_or(name.len());
        let local = name[..end]
            .rsplit(|b| *b == b':')
            .next()
            .unwrap_or_default();
        if matches!(local, b"item" | b"entry") {
            n += 1;
            if n > MAX_ENTRIES {
                break;
            }
        }
    }
    n
}

/// Where an XML document's entries past the first `keep` are, and how many it has: the
/// `<item>`s and `<entry>`s (any namespace prefix) under the root or one of its children,
/// as feed-rs reads them (RSS's channel, RSS 1.0's root, Atom's feed). Each range runs from
/// the first entry cut to the end of the last one under the same parent, so the document
/// left is as well-formed as it was. `None` when there is nothing to cut. Read as feed-rs's
/// reader (quick-xml) reads it; past a point where the reader finds it broken, where feed-rs
/// stops too, nothing more is cut.
fn entries_past(document: &str, keep: usize) -> Option<(Vec<Range<usize>>, usize)> {
    use quick_xml::events::Event;
    let bytes = document.as_bytes();
    let mut reader = quick_xml::Reader::from_str(document);
    let config = reader.config_mut();
    config.trim_markup_names_in_closing_tags = true;
    config.trim_text(false);
    let is_entry = |name: &str| matches!(name, "item" | "entry");
    let mut ranges = Vec::new();
    let mut written = 0;
    let mut depth = 0usize;
    // The entry being read: its depth, and whether it is cut.
    let mut entry: Option<(usize, bool)> = None;
    // The range being cut: the depth of its entries, where it starts and where the last
    // entry in it ended.
    let mut open: Option<(usize, usize, Option<usize>)> = None;
    let close = |open: &mut Option<(usize, usize, Option<usize>)>, ranges: &mut Vec<_>| {
        if let Some((_, start, Some(end))) = open.take() {
            ranges.push(start..end);
        }
    };
    loop {
        let event = reader.read_event();
        let at = usize::try_from(reader.buffer_position()).ok()?;
        let (start, empty) = match &event {
            Ok(Event::Start(tag)) => (at.checked_sub(tag.len() + 2), false),
            Ok(Event::Empty(tag)) => (at.checked_sub(tag.len() + 3), true),
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                if let Some((_, cut)) = entry.filter(|(d, _)| *d == depth) {
                    entry = None;
                    if let Some((_, _, end)) = open.as_mut().filter(|_| cut) {
                        *end = Some(at);
                    }
                }
                // The parent of the entries cut is closed.
                if open.is_some_and(|(d, ..)| d > depth) {
                    close(&mut open, &mut ranges);
                }
                continue;
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => continue,
        };
        let Ok(Event::Start(tag) | Event::Empty(tag)) = &event else {
            continue;
        };
        let counted =
            entry.is_none() && matches!(depth, 1 | 2) && is_entry(tag.local_name().into_inner());
        if counted {
            written += 1;
            let cut = written > keep;
            if cut {
                // Where the tag starts (its `<`), from where it ends.
                let start = start.filter(|&s| bytes.get(s) == Some(&b'<'))?;
                if open.is_some_and(|(d, ..)| d != depth) {
                    close(&mut open, &mut ranges);
                }
                if open.is_none() {
                    open = Some((depth, start, None));
                }
                if empty {
                    if let Some((_, _, end)) = open.as_mut() {
                        *end = Some(at);
                    }
                }
            }
            if !empty {
                entry = Some((depth, cut));
            }
        }
        if !empty {
            depth += 1;
        }
    }
    close(&mut open, &mut ranges);
    (!ranges.is_empty()).then_some((ranges, written))
}
