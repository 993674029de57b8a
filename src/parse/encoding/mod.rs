//! Character set detection: every document is handed to feed-rs as UTF-8.
//!
//! Order of evidence: a byte-order mark; UTF-16/32 patterns without one; bytes that are valid
//! UTF-8 (a windows-1250 page with any non-ASCII letter practically never is); then the
//! HTTP `charset`, then the XML declaration (which wins over a header of ISO-8859-1, the
//! servers' default, naming another encoding); with none, the legacy encoding of the source's
//! configured language (windows-1251 for Serbian Cyrillic, windows-1250 for Serbian Latin and
//! its neighbours, windows-1252 for English and Albanian), else a guess from the bytes as
//! browsers make it (chardetng, told the feed's top-level domain).

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// A document decoded to UTF-8.
#[derive(Debug)]
pub struct Decoded {
    /// The text, with the XML declaration rewritten to say UTF-8 and XML-illegal
    /// control characters removed.
    pub text: String,
    /// The encoding the bytes were read as.
    pub encoding: &'static Encoding,
    /// True when bytes were invalid in that encoding and replaced with U+FFFD.
    pub had_errors: bool,
    /// How the encoding was chosen when the bytes are not UTF-8 and nothing usable declared
    /// theirs: `None` when a BOM, the bytes or a declaration said it.
    pub guessed: Option<Guess>,
    /// With a guess, the charset the document named that could not be used (unknown, or
    /// UTF-8 its bytes are not).
    said: Option<String>,
}

impl Decoded {
    /// What the source should be told of a guessed encoding.
    pub fn guess_warning(&self) -> Option<String> {
        let read = self.encoding.name();
        let why = match self.guessed? {
            Guess::Language => "its source's language",
            Guess::Text => "its text",
            Guess::OverHeader => {
                let label = self.said.as_deref().unwrap_or_default();
                return Some(format!(
                    "the server says the feed's character set is {label:?} but the feed itself says {read}: read as {read}"
                ));
            }
        };
        let never_decoded = |e: &'static Encoding| {
            e == encoding_rs::REPLACEMENT || e == encoding_rs::X_USER_DEFINED
        };
        Some(match &self.said {
            Some(label)
                if Encoding::for_label(label.trim().as_bytes()).is_some_and(never_decoded) =>
            {
                format!(
                    "the feed names a character set that is not decoded ({label:?}): read as {read} (from {why})"
                )
            }
            Some(label) if Encoding::for_label(label.trim().as_bytes()).is_some() => format!(
                "the feed says its character set is {label:?} but its bytes are not: read as {read} (from {why})"
            ),
            Some(label) => format!(
                "the feed names a character set not known here ({label:?}): read as {read} (from {why})"
            ),
            None => format!(
                "the feed does not say its character set and is not UTF-8: read as {read} (from {why})"
            ),
        })
    }
}

/// Why an encoding was chosen without a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    /// From the source's configured language.
    Language,
    /// From the text (and the feed's top-level domain).
    Text,
    /// From the document's own declaration, over the server's default ISO-8859-1.
    OverHeader,
}

/// What [`decode`] may go by besides the bytes and a declaration.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints<'a> {
    /// The HTTP `Content-Type` charset.
    pub http_charset: Option<&'a str>,
    /// The source's configured language (BCP 47).
    pub lang: Option<&'a str>,
    /// The host the feed was fetched from.
    pub host: Option<&'a str>,
}

/// Decodes `bytes` to UTF-8 given the HTTP `Content-Type` charset, if any.
pub fn decode(bytes: &[u8], http_charset: Option<&str>) -> Decoded {
    decode_with(
        bytes,
        &Hints {
            http_charset,
            ..Hints::default()
        },
    )
}

/// [`decode`] with what else is known of the feed.
pub fn decode_with(bytes: &[u8], hints: &Hints<'_>) -> Decoded {
    let (encoding, guessed) = detect_how(bytes, hints);
    let said = guessed.and_then(|_| {
        hints
            .http_charset
            .map(str::to_string)
            .or_else(|| xml_declared_encoding(bytes))
    });
    let (text, _, had_errors) = encoding.decode(bytes);
    // Controls go first: removing them could otherwise join `<?x` and `ml …` into a late
    // declaration after the prolog was made safe.
    // Valid UTF-8 stays borrowed until the declaration is rewritten: one copy of the body.
    let text = rewrite_declaration(&strip_illegal_controls(text));
    Decoded {
        text,
        encoding,
        had_errors,
        guessed,
        said,
    }
}

/// Chooses the encoding of a document.
pub fn detect(bytes: &[u8], http_charset: Option<&str>) -> &'static Encoding {
    detect_how(
        bytes,
        &Hints {
            http_charset,
            ..Hints::default()
        },
    )
    .0
}

/// [`detect`], and how it was guessed when nothing said it.
fn detect_how(bytes: &[u8], hints: &Hints<'_>) -> (&'static Encoding, Option<Guess>) {
    let http_charset = hints.http_charset;
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return (enc, None);
    }
    // UTF-16 without a byte order mark: its first `<` (after any whitespace) has a zero byte
    // before or after it.
    let space = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let be = bytes
        .chunks_exact(2)
        .position(|pair| !(pair[0] == 0 && space(pair[1])));
    if let Some(at) = be.map(|p| p * 2) {
        if let [0, b'<', 0, _, ..] = bytes[at..] {
            return (UTF_16BE, None);
        }
    }
    let le = bytes
        .chunks_exact(2)
        .position(|pair| !(space(pair[0]) && pair[1] == 0));
    if let Some(at) = le.map(|p| p * 2) {
        if let [b'<', 0, _, 0, ..] = bytes[at..] {
            return (UTF_16LE, None);
        }
    }
    // encoding_rs checks UTF-8 a vector at a time; `str::from_utf8` is several times slower.
    if Encoding::utf8_valid_up_to(bytes) == bytes.len() {
        return (UTF_8, None);
    }
    // UTF-8 with a stray byte or two (a copy-paste, a cut): more valid multi-byte characters
    // than invalid bytes, which a legacy encoding's text practically never has. Read as UTF-8,
    // the stray bytes replaced (and said to be).
    if mostly_utf8(bytes) {
        return (UTF_8, None);
    }
    // Not UTF-8 or UTF-16 (the bytes are neither); nor what the standard maps labels of
    // encodings too dangerous to decode to (ISO-2022-KR and others: one U+FFFD for the whole
    // document) or `x-user-defined` (bytes as private-use characters): guessed instead.
    let declared = |label: Option<&str>| {
        label
            .and_then(|l| Encoding::for_label(l.trim().as_bytes()))
            .filter(|e| {
                ![
                    UTF_8,
                    UTF_16BE,
                    UTF_16LE,
                    encoding_rs::REPLACEMENT,
                    encoding_rs::X_USER_DEFINED,
                ]
                .contains(e)
            })
    };
    let from_document = declared(xml_declared_encoding(bytes).as_deref());
    match (declared(http_charset), from_document) {
        // ISO-8859-1 (windows-1252 to a browser) is what servers say of any text they are not
        // told about (Apache's `AddDefaultCharset`); a document that names another legacy
        // encoding in its declaration was written by what wrote its bytes, and is read as it
        // says (RFC 7303 has the header win: Serbian text would come out as Latin-1
        // mojibake).
        (Some(http), Some(own)) if http == encoding_rs::WINDOWS_1252 && own != http => {
            return (own, Some(Guess::OverHeader));
        }
        (Some(encoding), _) | (None, Some(encoding)) => return (encoding, None),
        (None, None) => {}
    }
    let language = hints.lang.and_then(legacy_of_language);
    // The top-level domain as chardetng takes it: lower-case ASCII, no dot (a name only, not
    // an address).
    let tld = hints
        .host
        .filter(|h| !h.starts_with('[') && h.parse::<std::net::Ipv4Addr>().is_err())
        .and_then(|h| h.trim_end_matches('.').rsplit('.').next())
        .map(str::to_ascii_lowercase)
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = detector.guess(
        tld.as_deref().map(str::as_bytes),
        chardetng::Utf8Detection::Deny,
    );
    match language {
        // The text's guess where it is one of the language's legacy encodings (ISO-8859-2
        // beside windows-1250 for Serbian Latin), else the language's own.
        Some(own) if !same_family(own, guess) => (own, Some(Guess::Language)),
        _ => (guess, Some(Guess::Text)),
    }
}

/// Whether `guess` is one of the legacy encodings sites wrote the languages `own` stands for.
fn same_family(own: &'static Encoding, guess: &'static Encoding) -> bool {
    use encoding_rs::{
        IBM866, ISO_8859_15, ISO_8859_2, ISO_8859_5, KOI8_R, KOI8_U, WINDOWS_1250, WINDOWS_1251,
        WINDOWS_1252,
    };
    let family: &[&'static Encoding] = if own == WINDOWS_1250 {
        &[WINDOWS_1250, ISO_8859_2]
    } else if own == WINDOWS_1251 {
        &[WINDOWS_1251, ISO_8859_5, KOI8_R, KOI8_U, IBM866]
    } else if own == WINDOWS_1252 {
        &[WINDOWS_1252, ISO_8859_15]
    } else {
        &[]
    };
    family.contains(&guess)
}

/// Whether `bytes`, not valid UTF-8, have more valid multi-byte UTF-8 characters than invalid
/// sequences.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut multi, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        multi += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    multi > invalid
}

/// The legacy (pre-UTF-8) encoding sites in a language wrote: windows-1251 for Serbian
/// Cyrillic (and Macedonian, Bulgarian, Russian, Ukrainian), windows-1250 for Serbian Latin,
/// Bosnian, Croatian, Montenegrin, Slovenian and the other central European languages,
/// windows-1252 for English and Albanian (whose ë and ç it has); `None` for a language whose
/// script it does not tell (`sr` alone) or that these do not cover.
fn legacy_of_language(tag: &str) -> Option<&'static Encoding> {
    let tag = tag.to_ascii_lowercase();
    let mut parts = tag.split(['-', '_']);
    let language = parts.next()?;
    let script = parts.find(|p| p.len() == 4);
    match (language, script) {
        (_, Some("cyrl")) | ("mk" | "bg" | "ru" | "uk" | "be", None) => {
            Some(encoding_rs::WINDOWS_1251)
        }
        ("sr" | "bs" | "hr" | "cnr" | "sl" | "cs" | "sk" | "pl" | "hu" | "ro", Some("latn"))
        | ("bs" | "hr" | "cnr" | "sl" | "cs" | "sk" | "pl" | "hu" | "ro", None) => {
            Some(encoding_rs::WINDOWS_1250)
        }
        ("en" | "sq" | "de" | "fr" | "it" | "es" | "pt" | "nl", _) => {
            Some(encoding_rs::WINDOWS_1252)
        }
        _ => None,
    }
}

/// The `encoding` pseudo-attribute of an XML declaration, read from the ASCII-compatible prefix.
pub fn xml_declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(512)];
    let head = String::from_utf8_lossy(head);
    let head = head.trim_start_matches('\u{feff}').trim_start();
    let decl = head.strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// Makes the prolog safe for a UTF-8 parser: junk before the first tag (a PHP warning, a
/// BOM decoded to text) is dropped, the XML declaration at the start is replaced with one that
/// says UTF-8, and any later declaration is removed (the parser would try to switch encodings
/// mid-document). JSON is left alone.
fn rewrite_declaration(text: &str) -> String {
    let body = text.trim_start_matches('\u{feff}');
    if body.trim_start().starts_with('{') {
        return body.to_string();
    }
    let body = &body[body.find('<').unwrap_or(0)..];
    let mut out = String::with_capacity(body.len() + 40);
    let mut rest = body;
    // Whether nothing but whitespace and declarations came so far: then this declaration is
    // the document's own. Kept as a flag: trimming `out` for each of a run of declarations
    // would read it again each time.
    let mut leading = true;
    while let Some(at) = super::markup::find_in(rest, "<?xml") {
        let after = &rest[at + 5..];
        if !after.starts_with(|c: char| c.is_whitespace() || c == '?') {
            out.push_str(&rest[..at + 5]);
            leading = false;
            rest = after;
            continue;
        }
        let Some(end) = super::markup::find_in(after, "?>") else {
            break;
        };
        leading &= rest[..at].trim().is_empty();
        if leading {
            out.clear();
            out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        } else {
            out.push_str(&rest[..at]);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Removes characters XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE/U+FFFF).
fn strip_illegal_controls(text: Cow<'_, str>) -> Cow<'_, str> {
    let illegal = |c: char| {
        (c < ' ' && c != '\t' && c != '\n' && c != '\r') || c == '\u{fffe}' || c == '\u{ffff}'
    };
    // Bytes first, 64 at a time without an early exit (a loop the compiler vectorizes): in
    // UTF-8 a C0 control is its own byte, and U+FFFE/U+FFFF start with 0xEF, as do many other
    // characters, which are checked as characters only then.
    let suspect = text.as_bytes().chunks(64).any(|chunk| {
        chunk.iter().fold(false, |found, &b| {
            found | ((b < b' ' && b != b'\t' && b != b'\n' && b != b'\r') || b == 0xEF)
        })
    });
    if suspect && text.contains(illegal) {
        Cow::Owned(text.replace(illegal, ""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests;
