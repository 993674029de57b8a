//! An XML document's entries past the first [`MAX_ENTRIES`] cut: counted by their tags, then
//! found as feed-rs's reader reads them and cut in whole runs.

use std::ops::Range;

use super::entries_warning;
use crate::parse::build::MAX_ENTRIES;

/// An XML document's entries past the first [`MAX_ENTRIES`], cut; `None` when it has no more.
pub(super) fn cut_xml(document: &str) -> Option<(String, Vec<String>)> {
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
/// an entry cut to the end of the last one after it under the same parent with no other
/// element between, so the document left is as well-formed as it was and keeps the feed's
/// own elements. `None` when there is nothing to cut. Read as feed-rs's
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
        // An element of the feed's own among the entries (an Atom feed's `<author>` after
        // them) ends the range cut before it: it stays.
        if !counted && entry.is_none() && open.is_some_and(|(d, ..)| d == depth) {
            close(&mut open, &mut ranges);
        }
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
