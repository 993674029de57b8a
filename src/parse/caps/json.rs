//! A JSON Feed's items and authors past their bounds cut: what decides that it is read again,
//! and the warnings or the refusal that follow.

use serde_json::Value;

use super::read::read;
use super::scan::feed_people;
use super::{entries_warning, Counts, MAX_AUTHORS, MAX_PERSON};
use crate::parse::build::MAX_ENTRIES;
use crate::parse::ParseError;

/// `{`s in a JSON document past which it is read again for its items and authors. Under it,
/// an item of 2,000 authors costs milliseconds, and the copies of the feed's authors are
/// bounded by [`COPIES`]; a feed of a few hundred items with an author and an attachment
/// each is not read twice.
const JSON_OBJECTS: usize = 2_000;

/// The feed's own authors as written (bytes) times the items they could be copied into, past
/// which a JSON document is read again: some tens of megabytes of copies.
const COPIES: usize = 4 << 20;

/// A JSON Feed's items past the first [`MAX_ENTRIES`], authors past the first
/// [`MAX_AUTHORS`] of the feed or of an item, and the feed's authors' names and addresses past
/// [`MAX_PERSON`] bytes, cut; `None` when it has no more, or is a JSON object of another shape
/// than a feed's (left to feed-rs and `json_mend`).
pub(super) fn cut_json(document: &str) -> Result<Option<(String, Vec<String>)>, ParseError> {
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

/// A document that is not JSON, refused with the words feed-rs refuses it with; `None` for
/// any other error.
fn json_error(error: serde_json::Error) -> Option<ParseError> {
    matches!(
        error.classify(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof
    )
    .then(|| ParseError::Invalid(format!("unable to parse JSON: {error}")))
}
