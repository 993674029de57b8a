//! Plain text from HTML, for summaries and titles: read by lol_html's tokenizer, or, for a
//! sanitized body, from its serialization; entities decoded, whitespace collapsed, and no
//! more read than the caller keeps. Also text cut at a word boundary, and C1 control
//! characters read as the windows-1252 characters they stand for.

use std::borrow::Cow;

use lol_html::{doc_text, element, HtmlRewriter, Settings};

use super::cost::{too_costly, DEEP_SUSPECT};
use super::raw_tags::without_tags;
use super::serialized::serialized_tags;
use super::sink::{TextSink, TextState, BLOCKS};
use super::whitespace::{collapse_whitespace, Collapsed};

/// Plain text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed.
/// One streaming pass (lol_html's tokenizer, no DOM): summaries of every new item need it.
pub fn to_text(html: &str) -> String {
    to_text_prefix(html, usize::MAX)
}

/// The start of [`to_text`] of `html`: all of it when it has at most `max_chars` characters,
/// else whole words past that many. The text is decoded and collapsed as it is read, and the
/// tokenizer stops once it has more than `max_chars` characters: a summary of a long article
/// reads only its start (a body of nothing but spaces is read to its end).
pub fn to_text_prefix(html: &str, max_chars: usize) -> String {
    if !html.contains(['<', '&']) {
        return collapsed_prefix(html, max_chars, false);
    }
    // Markup nested too deep costs lol_html's selectors a search of their stack at each end
    // tag that closes nothing: read without them (only worth looking for in long markup).
    if html.len() > DEEP_SUSPECT && too_costly(html) {
        return collapsed_prefix(&without_tags(html), max_chars, true);
    }
    let sink = TextSink::new(max_chars);
    let settings = Settings {
        element_content_handlers: vec![element!("*", |el| {
            sink.element(el);
            sink.enough()
        })],
        document_content_handlers: vec![doc_text!(|chunk| {
            sink.push(chunk.as_str());
            sink.enough()
        })],
        // Not strict: markup lol_html cannot rewrite unambiguously is still read for its text.
        strict: false,
        ..Settings::new()
    };
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    let read = match rewriter.write(html.as_bytes()) {
        Ok(()) => rewriter.end(),
        Err(e) => {
            drop(rewriter);
            Err(e)
        }
    };
    match read {
        Ok(()) => sink.finish(),
        Err(_) if sink.enough().is_err() => sink.finish(),
        // Only a memory limit stops the tokenizer now: fall back to ammonia with no tags
        // allowed, which keeps the text and never the markup.
        Err(_) => collapse_whitespace(&html_escape::decode_html_entities(
            &ammonia::Builder::empty().clean(html).to_string(),
        )),
    }
}

/// [`to_text_prefix`] of HTML that [`sanitize`](super::sanitize) wrote, read without a
/// tokenizer: the text is what lies between its tags (`serialized_tags`). Tokenizing the
/// body a second time for its first 600 characters cost as much as a tenth of a story's
/// ingest (docs/BENCHMARKS.md, session 14).
pub fn sanitized_text_prefix(html: &str, max_chars: usize) -> String {
    let mut state = TextState::new(max_chars);
    let mut at = 0;
    for tag in serialized_tags(html) {
        if state.full() {
            return state.finish();
        }
        if tag.start > at {
            state.push(&html[at..tag.start]);
        }
        if BLOCKS.contains(&tag.name) {
            state.push(" ");
        }
        at = tag.end;
    }
    if at < html.len() && !state.full() {
        state.push(&html[at..]);
    }
    state.finish()
}

/// Shortens text to at most `max` characters at a word boundary, adding an ellipsis.
pub fn truncate_words(text: &str, max: usize) -> String {
    // `Chars` skips characters by counting the bytes that start them, a word at a time.
    let mut rest = text.chars();
    let Some(first_cut) = rest.nth(max) else {
        return text.to_string();
    };
    let end = text.len() - rest.as_str().len() - first_cut.len_utf8();
    let cut = &text[..end];
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => cut,
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ', '-']))
}

/// `s` with its C1 control characters (U+0080 to U+009F) read as the windows-1252 characters
/// they almost always are: windows-1252 text labelled ISO-8859-1, or `&#146;` written for `’`
/// (which HTML reads as `’` but XML as a control character). No reader means a C1 control.
pub fn fix_c1_controls(s: String) -> String {
    // In UTF-8 they are 0xC2 followed by 0x80 to 0x9F; 0xC2 itself is rare enough to look
    // for with memchr.
    let bytes = s.as_bytes();
    let has_c1 = memchr::memchr_iter(0xC2, bytes)
        .any(|i| bytes.get(i + 1).is_some_and(|b| (0x80..=0x9F).contains(b)));
    if !has_c1 {
        return s;
    }
    s.chars()
        .map(|c| match u8::try_from(u32::from(c)) {
            Ok(b @ 0x80..=0x9F) => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&[b])
                .0
                .chars()
                .next()
                .unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Text with its character references decoded, as `html_escape::decode_html_entities` does;
/// text without an `&` (most pieces of a story's text) is found so by one vectorized search
/// rather than the decoder's walk over every byte.
pub(crate) fn decode_entities(s: &str) -> Cow<'_, str> {
    if s.as_bytes().contains(&b'&') {
        html_escape::decode_html_entities(s)
    } else {
        Cow::Borrowed(s)
    }
}

/// `text` with whitespace collapsed (and entities decoded when `decode`), as far as it takes
/// to have more than `max_chars` characters: a piece at a time, each ending at an ASCII
/// whitespace, so no entity and no word spans two pieces.
pub(super) fn collapsed_prefix(text: &str, max_chars: usize, decode: bool) -> String {
    const PIECE: usize = 2048;
    let mut out = Collapsed::default();
    let mut rest = text;
    while !rest.is_empty() && out.chars <= max_chars {
        let end = if rest.len() <= PIECE {
            rest.len()
        } else {
            rest.as_bytes()[PIECE..]
                .iter()
                .position(u8::is_ascii_whitespace)
                .map_or(rest.len(), |i| PIECE + i + 1)
        };
        if decode {
            out.push(&decode_entities(&rest[..end]));
        } else {
            out.push(&rest[..end]);
        }
        rest = &rest[end..];
    }
    out.text
}
