//! Whitespace collapsed: every run of spaces (Unicode ones too) made one space, zero-width
//! characters dropped but for joiners within a word, in one pass over the bytes and a piece
//! at a time.

/// Collapses every run of whitespace (including no-break and other Unicode spaces) to one
/// space and trims the ends; zero-width characters are removed, but for joiners within a word.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = Collapsed::default();
    out.push(s);
    out.text
}

/// Text collapsed as [`collapse_whitespace`] does, built from pieces that each end at a
/// whitespace.
#[derive(Default)]
pub(super) struct Collapsed {
    /// The collapsed text so far.
    pub(super) text: String,
    /// Characters in `text`.
    pub(super) chars: usize,
    /// The last piece ended inside a word: the next one continues it.
    open: bool,
}

impl Collapsed {
    /// Appends `s` collapsed, in one pass over its bytes: text is copied a run at a time,
    /// between zero-width characters and whitespace other than one space. Every space and
    /// zero-width character is ASCII or starts with one of five lead bytes; only those
    /// characters are decoded, and the bytes of a word are passed over by a table lookup each.
    pub(super) fn push(&mut self, s: &str) {
        self.text.reserve(s.len());
        let bytes = s.as_bytes();
        let mut in_word = self.open;
        // Start of the part of the current word not copied yet.
        let mut run = 0;
        let mut i = 0;
        while i < bytes.len() {
            let (class, len) = match BYTE_KINDS[usize::from(bytes[i])] {
                ByteKind::Word => {
                    if !in_word {
                        self.start_word();
                        in_word = true;
                        run = i;
                    }
                    // The rest of the word's plain bytes; a character is counted at the
                    // byte that starts it.
                    let mut j = i;
                    while let Some(&b) = bytes.get(j) {
                        if BYTE_KINDS[usize::from(b)] != ByteKind::Word {
                            break;
                        }
                        self.chars += usize::from(b & 0xc0 != 0x80);
                        j += 1;
                    }
                    i = j;
                    continue;
                }
                // One space between two words is what collapsing writes there: the run of
                // the word goes on through it and the next word, to be copied with them.
                ByteKind::Space
                    if in_word
                        && bytes[i] == b' '
                        && bytes
                            .get(i + 1)
                            .is_some_and(|&b| BYTE_KINDS[usize::from(b)] == ByteKind::Word) =>
                {
                    self.chars += 1;
                    i += 1;
                    continue;
                }
                ByteKind::Space => (Class::Space, 1),
                ByteKind::Decode => {
                    let c = s[i..].chars().next().unwrap_or(' ');
                    let class = if ZERO_WIDTH.contains(&c) {
                        Class::Nothing
                    } else if JOINERS.contains(&c) && !in_word {
                        // A joiner joins nothing outside a word.
                        Class::Nothing
                    } else if is_space(c) {
                        Class::Space
                    } else {
                        Class::Word
                    };
                    (class, c.len_utf8())
                }
            };
            match class {
                Class::Space => {
                    if in_word {
                        self.text.push_str(&s[run..i]);
                        in_word = false;
                    }
                }
                Class::Nothing => {
                    if in_word {
                        self.text.push_str(&s[run..i]);
                    }
                    run = i + len;
                }
                Class::Word => {
                    if !in_word {
                        self.start_word();
                        in_word = true;
                        run = i;
                    }
                    self.chars += 1;
                }
            }
            i += len;
        }
        if in_word {
            self.text.push_str(&s[run..]);
        }
        self.open = in_word;
    }

    /// A word begins: a space before it unless it is the first.
    fn start_word(&mut self) {
        if !self.text.is_empty() {
            self.text.push(' ');
            self.chars += 1;
        }
    }
}

/// Characters removed from text: they only steer line breaking.
pub(super) const ZERO_WIDTH: [char; 4] = ['\u{200b}', '\u{2060}', '\u{feff}', '\u{ad}'];

/// Zero-width joiner and non-joiner: kept within a word, where they are part of how it is
/// written (an emoji family 👩‍👩‍👧, the Persian می‌خواهم), removed outside one.
pub(super) const JOINERS: [char; 2] = ['\u{200c}', '\u{200d}'];

pub(super) fn is_space(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_whitespace() || c == '\u{b}'
    } else {
        c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}' || c == '\u{2007}'
    }
}

/// How [`Collapsed::push`] takes a byte.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ByteKind {
    /// Part of a word, whatever follows: ASCII other than whitespace, a byte continuing a
    /// character, or the first byte of a character that is never a space or zero-width.
    Word,
    /// ASCII whitespace.
    Space,
    /// The first byte of a character that may be a space or zero-width: decoded.
    Decode,
}

static BYTE_KINDS: [ByteKind; 256] = {
    let mut kinds = [ByteKind::Word; 256];
    let mut b = 0;
    while b < 256 {
        kinds[b] = match b as u8 {
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' => ByteKind::Space,
            0xc2 | 0xe1 | 0xe2 | 0xe3 | 0xef => ByteKind::Decode,
            _ => ByteKind::Word,
        };
        b += 1;
    }
    kinds
};

/// How [`Collapsed::push`] reads a character.
enum Class {
    Space,
    /// Zero-width: dropped, and no word boundary.
    Nothing,
    Word,
}
