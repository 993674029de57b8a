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
//!
//! This file keeps the bounds and [`cut`], which tells the format; `xml.rs` cuts an XML
//! document's entries, `json.rs` a JSON Feed's items and authors, with `scan.rs` (the feed's
//! own authors measured from its top level) and `read.rs` (the document read through serde,
//! counted and cut).

mod json;
mod read;
mod scan;
mod xml;

use super::build::MAX_ENTRIES;
use super::ParseError;
use json::cut_json;
use xml::cut_xml;

/// Most authors read for a JSON Feed item, and for the feed itself. feed-rs compares each
/// author of an item with every one before it: an item of 100,000 took 13.6 s.
pub(super) const MAX_AUTHORS: usize = 20;

/// Longest name or address of one of a JSON Feed's own authors, in bytes: feed-rs copies the
/// feed's authors into each item naming none (5,000 authors over 4,000 items took 2.5 GB, one
/// name of a megabyte over 900 items 1.8 GB).
pub(super) const MAX_PERSON: usize = 256;

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
