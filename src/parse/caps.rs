//! A document holding far more than is read from it, cut before feed-rs reads it: feed-rs
//! builds every entry of a document (and every author of a JSON Feed item, and a copy of the
//! feed's authors for each item naming none) before [`super::build::MAX_ENTRIES`] keeps the
//! first ones. 15 MiB of `{}` items took 7.6 GB and 23 s; of `<item/>`, 3.2 GB and 8 s.
//!
//! Each check starts with a count in one memchr pass that is never under what the document
//! holds (`<item`s and `<entry`s in XML, `{`s for JSON Feed items and authors); only a
//! document over it is read again, to be cut where needed. A JSON Feed's own authors are
//! measured by a scan of its top level (strings skipped with memchr) when the document is
//! large enough for their copies to matter. A document within bounds is read as sent.

use std::ops::Range;

use serde::de::{DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::build::MAX_ENTRIES;
use super::ParseError;

/// Most authors read for a JSON Feed item, and for the feed itself. feed-rs compares each
/// author of an item with every one before it: an item of 100,000 took 13.6 s.
pub(super) const MAX_AUTHORS: usize = 20;

/// Longest name or address of one of a JSON Feed's own authors, in bytes: feed-rs copies the
/// feed's authors into each item naming none (5,000 authors over 4,000 items took 2.5 GB, one
/// name of a megabyte over 900 items 1.8 GB).
pub(super) const MAX_PERSON: usize = 256;

/// `{`s in a JSON document past which it is read again for its items and authors. Under it,
/// an item of 2,000 authors costs milliseconds, and the copies of the feed's authors are
/// bounded by [`COPIES`]; a feed of a few hundred items with an author and an attachment
/// each is not read twice.
const JSON_OBJECTS: usize = 2_000;

/// The feed's own authors as written (bytes) times the items they could be copied into, past
/// which a JSON document is read again: some tens of megabytes of copies.
const COPIES: usize = 4 << 20;

/// `document` with what is past the bounds cut, and what was cut as warnings; `None` when it
/// is within them. A JSON document that is not JSON is refused at once, as feed-rs would,
/// without building the items before its error.
pub(super) fn cut(document: &str) -> Result<Option<(String, Vec<String>)>, ParseError> {
    let bytes = document.as_bytes();
    // The format, as feed-rs tells it: by the first `<` or `{`.
    match memchr::memchr2(b'<', b'{', bytes).map(|at| bytes[at]) {
        Some(b'{') => cut_json(document),
        Some(_) => Ok(cut_xml(document)),
        None => Ok(None),
    }
}

/// Entries read past the first [`MAX_ENTRIES`] as a warning (here and where feed-rs read
/// them all, [`super::build::build_checked`]).
pub(super) fn entries_warning(written: usize) -> String {
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

/// A JSON Feed's items past the first [`MAX_ENTRIES`], authors past the first
/// [`MAX_AUTHORS`] of the feed or of an item, and the feed's authors' names and addresses past
/// [`MAX_PERSON`] bytes, cut; `None` when it has no more, or is a JSON object of another shape
/// than a feed's (left to feed-rs and `json_mend`).
fn cut_json(document: &str) -> Result<Option<(String, Vec<String>)>, ParseError> {
    let bytes = document.as_bytes();
    // Items and authors: one `{` each at least (an item that is no object is none).
    let objects = memchr::memchr_iter(b'{', bytes).count();
    // The feed's authors are copied into no more items than there are objects.
    let copies = |written: usize| written.saturating_mul(objects) > COPIES;
    if objects <= JSON_OBJECTS && !(copies(bytes.len()) && feed_people(bytes).is_none_or(copies)) {
        return Ok(None);
    }
    // Counted first, building nothing: most documents read here are within bounds.
    let mut counts = Counts::default();
    if let Err(error) = read(document, &mut counts, false) {
        return json_error(error).map_or(Ok(None), Err);
    }
    if counts.items <= MAX_ENTRIES && counts.authors_cut == 0 && counts.people_cut == 0 {
        return Ok(None);
    }
    // A value kept whole that serde_json reads only when it skips it (a number out of range,
    // a lone surrogate) leaves a document over the bounds that cannot be rewritten: it is
    // refused, as handing it to feed-rs as sent would build all of it.
    let feed = match read(document, &mut Counts::default(), true) {
        Ok(Some(feed @ Value::Object(_))) => feed,
        Ok(_) => return Ok(None),
        Err(error) => {
            return Err(ParseError::Invalid(format!(
                "a JSON Feed of {} items and {} authors past the first {MAX_AUTHORS} holds a value \
                 that cannot be read ({error}): not read",
                counts.items, counts.authors_cut
            )))
        }
    };
    let mut warnings = Vec::new();
    if counts.items > MAX_ENTRIES {
        warnings.push(entries_warning(counts.items));
    }
    if counts.authors_cut > 0 {
        warnings.push(format!(
            "{} authors past the first {MAX_AUTHORS} of the feed or of an item were left out",
            counts.authors_cut
        ));
    }
    if counts.people_cut > 0 {
        warnings.push(format!(
            "{} names or addresses of the feed's authors longer than {MAX_PERSON} bytes were cut",
            counts.people_cut
        ));
    }
    Ok(Some((feed.to_string(), warnings)))
}

/// Bytes of a JSON document's own `author` and `authors` members (their values as written),
/// by a scan of its top level that skips strings with memchr. `None` when the scan cannot
/// tell: not an object, a member name with an escape, or not JSON where it looks.
fn feed_people(doc: &[u8]) -> Option<usize> {
    let mut at = skip_blank(doc, 0);
    if doc.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    let mut people = 0;
    loop {
        at = skip_blank(doc, at);
        match doc.get(at)? {
            b'}' => return Some(people),
            b',' => {
                at += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let end = string_end(doc, at)?;
        let name = &doc[at + 1..end - 1];
        if name.contains(&b'\\') {
            return None;
        }
        at = skip_blank(doc, end);
        if doc.get(at) != Some(&b':') {
            return None;
        }
        let start = skip_blank(doc, at + 1);
        at = value_end(doc, start)?;
        if matches!(name, b"author" | b"authors") {
            people += at - start;
        }
    }
}

fn skip_blank(doc: &[u8], from: usize) -> usize {
    from + doc[from.min(doc.len())..]
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .count()
}

/// Just past the string starting at `at` (its `"`).
fn string_end(doc: &[u8], at: usize) -> Option<usize> {
    let mut from = at + 1;
    loop {
        let found = from + memchr::memchr2(b'"', b'\\', doc.get(from..)?)?;
        if doc[found] == b'"' {
            return Some(found + 1);
        }
        // An escape: the next byte is the escaped one.
        from = found + 2;
    }
}

/// Just past the value starting at `at`.
fn value_end(doc: &[u8], at: usize) -> Option<usize> {
    match doc.get(at)? {
        b'"' => string_end(doc, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match doc.get(i)? {
                    b'"' => {
                        i = string_end(doc, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        // A number, `true`, `false` or `null`.
        _ => doc[at..]
            .iter()
            .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'))
            .map(|len| at + len),
    }
}

/// The whole of a JSON `document` read as a feed (see [`Node`]): nothing but whitespace may
/// follow its value, as feed-rs reads it.
fn read(
    document: &str,
    counts: &mut Counts,
    build: bool,
) -> Result<Option<Value>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(document);
    let feed = Node {
        at: Place::Feed,
        counts,
        build,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(feed)
}

/// A document that is not JSON, refused with the words feed-rs refuses it with; `None` for
/// any other error.
fn json_error(error: serde_json::Error) -> Option<ParseError> {
    matches!(
        error.classify(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof
    )
    .then(|| ParseError::Invalid(format!("unable to parse JSON: {error}")))
}

/// What a JSON Feed holds past its bounds.
#[derive(Debug, Default)]
struct Counts {
    /// Items in the document.
    items: usize,
    /// Authors past the first [`MAX_AUTHORS`], the feed's and the items' together.
    authors_cut: usize,
    /// Names and addresses of the feed's authors longer than [`MAX_PERSON`].
    people_cut: usize,
}

/// Where a JSON value is in a JSON Feed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    /// The document.
    Feed,
    /// The feed's `items`.
    Items,
    /// One of them.
    Item,
    /// The feed's `authors` (`true`) or an item's.
    Authors(bool),
    /// One of the feed's authors.
    FeedPerson,
    /// Its name or address.
    PersonText,
    /// Anywhere else: read whole.
    Other,
}

/// A JSON value at `at`, read as a [`Value`] with what is past the bounds left out when
/// `build` (else nothing is kept: `None`), and counted in `counts`. A value of another type
/// than the spec's is read as it is.
struct Node<'a> {
    at: Place,
    counts: &'a mut Counts,
    build: bool,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        match (self.at, self.build) {
            (Place::Other, true) => Value::deserialize(d).map(Some),
            (Place::Other, false) => IgnoredAny::deserialize(d).map(|_| None),
            _ => d.deserialize_any(self),
        }
    }
}

impl Node<'_> {
    /// A scalar, kept when building.
    fn keep<E>(&self, v: impl FnOnce() -> Value) -> Result<Option<Value>, E> {
        Ok(self.build.then(v))
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: Error>(self, v: bool) -> Result<Self::Value, E> {
        self.keep(|| Value::Bool(v))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
        self.keep(|| Value::from(v))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
        self.keep(|| Value::from(v))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
        self.keep(|| Value::from(v))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        let mut v = v;
        // A name alone is an author of that name (see `json_mend`).
        if matches!(self.at, Place::PersonText | Place::FeedPerson) && v.len() > MAX_PERSON {
            self.counts.people_cut += 1;
            let end = (0..=MAX_PERSON).rev().find(|&i| v.is_char_boundary(i));
            v = &v[..end.unwrap_or(0)];
        }
        self.keep(|| Value::String(v.to_owned()))
    }

    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        self.keep(|| Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Items and authors past their bounds are counted and left out; anything else in a
        // list is read whole.
        let (element, bound) = match self.at {
            Place::Items => (Place::Item, MAX_ENTRIES),
            Place::Authors(true) => (Place::FeedPerson, MAX_AUTHORS),
            Place::Authors(false) => (Place::Other, MAX_AUTHORS),
            _ => (Place::Other, usize::MAX),
        };
        let mut kept = Vec::new();
        let mut n = 0;
        loop {
            let more = if n < bound {
                let node = Node {
                    at: element,
                    counts: &mut *self.counts,
                    build: self.build,
                };
                seq.next_element_seed(node)?.map(|v| kept.extend(v))
            } else {
                seq.next_element::<IgnoredAny>()?.map(|_| ())
            };
            if more.is_none() {
                break;
            }
            n += 1;
        }
        match self.at {
            Place::Items => self.counts.items += n,
            Place::Authors(_) => self.counts.authors_cut += n.saturating_sub(MAX_AUTHORS),
            _ => {}
        }
        Ok(self.build.then_some(Value::Array(kept)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kept = Map::new();
        let key = Key {
            at: self.at,
            build: self.build,
        };
        while let Some((at, name)) = map.next_key_seed(key)? {
            let node = Node {
                at,
                counts: &mut *self.counts,
                build: self.build,
            };
            if let (Some(value), Some(name)) = (map.next_value_seed(node)?, name) {
                kept.insert(name, value);
            }
        }
        Ok(self.build.then_some(Value::Object(kept)))
    }
}

/// A member's name in an object at `at`: where its value is, and the name itself when
/// building (counting reads it without a copy).
#[derive(Clone, Copy)]
struct Key {
    at: Place,
    build: bool,
}

impl<'de> DeserializeSeed<'de> for Key {
    type Value = (Place, Option<String>);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = (Place, Option<String>);

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a member's name")
    }

    fn visit_str<E: Error>(self, name: &str) -> Result<Self::Value, E> {
        let at = match (self.at, name) {
            (Place::Feed, "items") => Place::Items,
            (Place::Feed, "authors") => Place::Authors(true),
            (Place::Feed, "author") => Place::FeedPerson,
            (Place::Item, "authors") => Place::Authors(false),
            (Place::FeedPerson, "name" | "url") => Place::PersonText,
            _ => Place::Other,
        };
        Ok((at, self.build.then(|| name.to_owned())))
    }
}
