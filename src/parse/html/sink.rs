//! The text sink that [`to_text_prefix`](super::to_text_prefix) feeds from lol_html's
//! events: text with the content of raw-text elements left out and a space at block
//! boundaries, decoded and collapsed a piece at a time, so that the tokenizer stops once the
//! caller has its characters.

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::EndTag;
use lol_html::EndTagHandler;

use super::text::decode_entities;
use super::whitespace::Collapsed;

/// Raw-text elements: their content is not text a reader sees, and the tokenizer always sees
/// their end tag (an element closed implicitly gets no end-tag handler, so only these may
/// switch the text off).
const HIDDEN: &[&str] = &["script", "style", "iframe", "noembed", "noframes", "xmp"];
/// Elements that start a new line when rendered: words on either side must not run together.
pub(super) const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "hr",
    "li",
    "dt",
    "dd",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "section",
    "article",
    "header",
    "footer",
    "table",
    "ul",
    "ol",
    "dl",
    "address",
    "aside",
    "nav",
    "main",
];

/// Text of a document as the tokenizer reads it, with the content of raw-text elements left
/// out and a space at block boundaries; decoded and collapsed a piece at a time, so that the
/// tokenizer stops as soon as the caller has its characters.
pub(super) struct TextSink {
    /// What has been read, shared with the end-tag handlers the sink adds.
    state: Rc<RefCell<TextState>>,
}

impl TextSink {
    pub(super) fn new(max_chars: usize) -> TextSink {
        TextSink {
            state: Rc::new(RefCell::new(TextState::new(max_chars))),
        }
    }

    pub(super) fn element(&self, el: &mut lol_html::html_content::Element<'_, '_>) {
        let name = el.tag_name();
        if HIDDEN.contains(&name.as_str()) {
            let state = self.state.clone();
            let leave: EndTagHandler<'static> = Box::new(move |_: &mut EndTag<'_>| {
                let mut state = state.borrow_mut();
                state.hidden = state.hidden.saturating_sub(1);
                Ok(())
            });
            if let Some(handlers) = el.end_tag_handlers() {
                handlers.push(leave);
                self.state.borrow_mut().hidden += 1;
            }
        } else if BLOCKS.contains(&name.as_str()) {
            self.state.borrow_mut().push(" ");
            if let Some(handlers) = el.end_tag_handlers() {
                let state = self.state.clone();
                let close: EndTagHandler<'static> = Box::new(move |_: &mut EndTag<'_>| {
                    state.borrow_mut().push(" ");
                    Ok(())
                });
                handlers.push(close);
            }
        }
    }

    pub(super) fn push(&self, chunk: &str) {
        let mut state = self.state.borrow_mut();
        if state.hidden == 0 {
            state.push(chunk);
        }
    }

    /// An error that stops the tokenizer once the caller has its characters.
    pub(super) fn enough(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if self.state.borrow().full() {
            return Err("enough text".into());
        }
        Ok(())
    }

    /// The text with entities decoded and whitespace collapsed: all of it, or whole words
    /// past `max_chars` characters when it is longer.
    pub(super) fn finish(self) -> String {
        self.state.borrow_mut().finish()
    }
}

/// The text a [`TextSink`] (or a scan of sanitized markup) has read so far.
pub(super) struct TextState {
    /// Raw text (entities not yet decoded) since the last piece was taken.
    raw: String,
    /// How much of `raw` is known to hold no ASCII whitespace: only the rest is searched.
    scanned: usize,
    /// The pieces taken so far, decoded and collapsed.
    text: Collapsed,
    /// Open raw-text elements; text counts only when none is open.
    hidden: u32,
    /// Characters of text the caller keeps at most.
    max_chars: usize,
}

impl TextState {
    pub(super) fn new(max_chars: usize) -> TextState {
        TextState {
            raw: String::with_capacity(TEXT_PIECE * 2),
            scanned: 0,
            text: Collapsed::default(),
            hidden: 0,
            max_chars,
        }
    }

    /// The text read so far, the rest of it decoded and collapsed unless there is enough.
    pub(super) fn finish(&mut self) -> String {
        if !self.full() {
            self.take(true);
        }
        std::mem::take(&mut self.text.text)
    }

    pub(super) fn push(&mut self, chunk: &str) {
        // A run of block boundaries (`<br>` after `<br>`) is one space.
        if chunk == " " && self.raw.ends_with(' ') {
            return;
        }
        self.raw.push_str(chunk);
        if self.raw.len() >= TEXT_PIECE {
            self.take(false);
        }
    }

    /// Decodes and collapses the raw text up to its last whitespace (`all`: all of it).
    fn take(&mut self, all: bool) {
        let end = if all {
            self.raw.len()
        } else {
            match self.raw[self.scanned..].rfind(|c: char| c.is_ascii_whitespace()) {
                Some(i) => self.scanned + i + 1,
                None if self.raw.len() >= TEXT_UNBROKEN => entity_safe_end(&self.raw),
                None => {
                    self.scanned = self.raw.len();
                    return;
                }
            }
        };
        self.text.push(&decode_entities(&self.raw[..end]));
        self.raw.drain(..end);
        // What is left follows the last whitespace (or is the start of an entity).
        self.scanned = self.raw.len();
    }

    pub(super) fn full(&self) -> bool {
        self.text.chars > self.max_chars
    }
}

/// Raw text is decoded and collapsed in pieces of about this many bytes, each ending at an
/// ASCII whitespace (so no entity and no word spans two pieces).
const TEXT_PIECE: usize = 256;
/// Raw text without any ASCII whitespace (Chinese, Japanese) is taken once it is this long.
const TEXT_UNBROKEN: usize = 4096;

/// Where text without whitespace can be cut without cutting an entity in two.
fn entity_safe_end(raw: &str) -> usize {
    match raw.rfind('&') {
        Some(i) if raw.len() - i < 32 && !raw[i..].contains(';') => i,
        _ => raw.len(),
    }
}
