//! Ampersands XML cannot read, and where a document stops being XML.
//!
//! A `&` must start a reference (`&name;`, `&#123;`, `&#x1F;`); feeds write a bare one in
//! titles (`Trade & investment`) and links (`?a=1&b=2`) all the time, and feed-rs then
//! rejects the whole document. quick-xml could read such an `&` as text
//! (`allow_dangling_amp`), but feed-rs builds its own reader and does not expose the
//! setting. So a document feed-rs rejects for a reference is read once more by quick-xml
//! here, which says where each `&` it cannot read is; those are written `&amp;` and the
//! document is parsed again. quick-xml does not look for references inside CDATA sections,
//! comments, processing instructions or the DOCTYPE, so an `&` there is left as it is.
//!
//! The same reading finds the first other error of a document feed-rs cannot read, and
//! where it is, for the message that says so.
//!
//! Only documents feed-rs has already rejected are read here: a well-formed feed never is.

use quick_xml::errors::IllFormedError;
use quick_xml::events::Event;
use quick_xml::NsReader;

/// What quick-xml finds in a document, read the way feed-rs reads it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Scan {
    /// Byte offsets of the `&`s that start no reference XML can read: a bare `&`, or a
    /// character reference that is no character (`&#X41;`, `&#12a;`, `&#0;`). Only those
    /// before `error` are found.
    pub(super) ampersands: Vec<usize>,
    /// The first other error, and the byte offset where quick-xml saw it.
    pub(super) error: Option<(usize, String)>,
}

/// Reads `text` through to its end or to its first error that is not an ampersand.
pub(super) fn scan(text: &str) -> Scan {
    let mut reader = NsReader::from_str(text);
    // feed-rs's settings: the first error found here is the one it stops at.
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.trim_markup_names_in_closing_tags = true;
    let mut scan = Scan::default();
    loop {
        match reader.read_resolved_event() {
            Ok((_, Event::Eof)) => break,
            Ok((_, Event::GeneralRef(r))) => {
                if r.resolve_char_ref().is_err() {
                    // The event is `&`, the name and `;`, just read.
                    let end = reader.buffer_position() as usize;
                    scan.ampersands.push(end - r.len() - 2);
                }
            }
            Ok(_) => {}
            Err(quick_xml::Error::IllFormed(IllFormedError::UnclosedReference)) => {
                scan.ampersands.push(reader.error_position() as usize);
            }
            Err(e) => {
                scan.error = Some((reader.error_position() as usize, e.to_string()));
                break;
            }
        }
    }
    scan
}

/// `text` with `&amp;` written for the `&` at each of `offsets` (ascending).
pub(super) fn escape_at(text: &str, offsets: &[usize]) -> String {
    let mut out = String::with_capacity(text.len() + 4 * offsets.len());
    let mut copied = 0;
    for &at in offsets {
        debug_assert_eq!(text.as_bytes()[at], b'&');
        out.push_str(&text[copied..=at]);
        out.push_str("amp;");
        copied = at + 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// Whether feed-rs's error is about a reference: one that is never closed (a bare `&`) or a
/// character reference that is no character.
pub(super) fn is_reference_error(msg: &str) -> bool {
    msg.contains("reference not closed") || msg.contains("invalid character reference")
}

/// Line and column (from 1, the column in characters) of byte offset `at` in `text` (an
/// offset past the end or inside a character counts from the character's start).
pub(super) fn line_column(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text.as_bytes()[..at];
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    (line, text[line_start..at].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_inside_a_character_or_past_the_end_do_not_panic() {
        let text = "<a>\nЋирилица</a>";
        assert_eq!(line_column(text, 4), (2, 1));
        assert_eq!(line_column(text, 5), (2, 1), "inside `Ћ`");
        assert_eq!(line_column(text, 6), (2, 2));
        assert_eq!(line_column(text, 1000), (2, 13));
    }

    #[test]
    fn bare_ampersands_are_found_and_escaped() {
        let doc = "<a><b>Q&A & more</b><c x='1&2'>a=1&b=2</c><d>&amp; &lt; &#38; &#x26; &nbsp;</d>\
                   <!-- a & b --><e><![CDATA[x & y]]></e><f>&#X41; &#12a; &#0;</f><g>end &</g></a>";
        let found_in = scan(doc);
        assert_eq!(found_in.error, None);
        let found: Vec<&str> = found_in
            .ampersands
            .iter()
            .map(|&i| &doc[i..doc[i..].find([' ', '<']).map_or(doc.len(), |e| i + e)])
            .collect();
        assert_eq!(
            found,
            ["&A", "&", "&b=2", "&#X41;", "&#12a;", "&#0;", "&"],
            "attributes, comments, CDATA and references left alone"
        );
        let fixed = escape_at(doc, &found_in.ampersands);
        assert!(
            fixed.contains("<b>Q&amp;A &amp; more</b><c x='1&2'>a=1&amp;b=2</c>"),
            "{fixed}"
        );
        assert!(fixed.contains("<d>&amp; &lt; &#38; &#x26; &nbsp;</d>"));
        assert!(fixed.contains("<!-- a & b --><e><![CDATA[x & y]]></e>"));
        assert!(fixed.contains("<f>&amp;#X41; &amp;#12a; &amp;#0;</f><g>end &amp;</g>"));
        assert_eq!(scan(&fixed), Scan::default());
    }

    #[test]
    fn the_first_other_error_stops_the_scan_where_it_is() {
        let doc = "<a>\n  <b>x & y</c>\n & </a>";
        let found_in = scan(doc);
        assert_eq!(found_in.ampersands, [doc.find('&').unwrap()]);
        let (at, msg) = found_in.error.unwrap();
        assert_eq!(at, doc.find("</c>").unwrap());
        assert!(msg.contains("</c>"), "{msg}");
        assert_eq!(line_column(doc, at), (2, 11));
        assert_eq!(line_column("é\nçà<", 7), (2, 3));
        assert_eq!(line_column("<", 0), (1, 1));
    }
}
