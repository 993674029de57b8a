//! Unit tests of `parse::encoding`: BOMs, HTTP charsets, XML declarations and guesses, and
//! the text cleaned after decoding.

use super::*;

#[test]
fn windows_1250_declared_in_xml() {
    let text = "<?xml version=\"1.0\" encoding=\"windows-1250\"?><rss><t>Čačak, Šabac, Đurđevdan, žena</t></rss>";
    let (bytes, _, _) = encoding_rs::WINDOWS_1250.encode(text);
    let d = decode(&bytes, None);
    assert_eq!(d.encoding.name(), "windows-1250");
    assert!(d.text.contains("Čačak, Šabac, Đurđevdan, žena"));
    assert!(d
        .text
        .starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
}

#[test]
fn iso_8859_2_from_http_header() {
    let (bytes, _, _) = encoding_rs::ISO_8859_2.encode("<rss><t>Kosovë — Srbija, Niš</t></rss>");
    let d = decode(&bytes, Some("ISO-8859-2"));
    assert!(d.text.contains("Niš"), "{}", d.text);
}

#[test]
fn valid_utf8_wins_over_a_wrong_declaration() {
    let text = "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss><t>Дијалог</t></rss>";
    let d = decode(text.as_bytes(), Some("iso-8859-1"));
    assert_eq!(d.encoding, UTF_8);
    assert!(d.text.contains("Дијалог"));
}

#[test]
fn utf16_with_and_without_bom() {
    let text =
        "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><t>Приштина</t></rss>";
    let mut be: Vec<u8> = vec![0xFE, 0xFF];
    be.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
    let d = decode(&be, None);
    assert!(d.text.contains("Приштина"));
    assert!(d.text.contains("encoding=\"utf-8\""));
    let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    assert!(decode(&le, None).text.contains("Приштина"));
    // Without a byte order mark and after blank lines: still UTF-16.
    let spaced = format!("\r\n \t{text}");
    let le: Vec<u8> = spaced
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    assert_eq!(detect(&le, None), UTF_16LE);
    assert!(decode(&le, None).text.contains("Приштина"));
    let be: Vec<u8> = spaced
        .encode_utf16()
        .flat_map(|u| u.to_be_bytes())
        .collect();
    assert_eq!(detect(&be, None), UTF_16BE);
    assert!(decode(&be, None).text.contains("Приштина"));
    // UTF-8 that begins with blank lines is not taken for it.
    assert_eq!(detect(b"\n\n<rss/>", None), UTF_8);
}

#[test]
fn declarations_are_replaced_at_the_start_and_removed_later_in_one_pass() {
    // A later declaration goes, its neighbours stay.
    let d = decode(
        b"  <?xml version='1.0' encoding='latin1'?>\n<rss><t>a</t><?xml version='1.0'?><t>b</t></rss>",
        None,
    );
    assert_eq!(
        d.text,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss><t>a</t><t>b</t></rss>"
    );
    // A run of 300,000 declarations ahead of the document (3.6 MB) is one declaration:
    // read once, not again for each of them (which would take minutes).
    let mut doc = "<?xml?>\n".repeat(300_000);
    doc.push_str("<rss><t>c</t></rss>");
    let d = decode(doc.as_bytes(), None);
    assert_eq!(
        d.text,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss><t>c</t></rss>"
    );
}

/// A feed of an old CMS that declares nothing and is not UTF-8 is read as browsers
/// would guess it: Serbian Cyrillic as windows-1251, Serbian Latin as windows-1250,
/// western text as windows-1252, each said to be a guess.
#[test]
fn undeclared_legacy_bytes_are_guessed_from_the_text() {
    for (text, encoding) in [
        (
            "Дијалог Београда и Приштине: жене у преговорима о нормализацији односа",
            encoding_rs::WINDOWS_1251,
        ),
        (
            "Čačak i Đurđevdan: žene u pregovorima, Priština i Beograd, šta je sledeće",
            encoding_rs::WINDOWS_1250,
        ),
        (
            "Café crème à la française, déjà vu au théâtre de l'été",
            encoding_rs::WINDOWS_1252,
        ),
    ] {
        let doc = format!("<rss><t>{text}</t></rss>");
        let (bytes, _, lossy) = encoding.encode(&doc);
        assert!(!lossy, "{text}");
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, encoding, "{text}");
        assert_eq!(d.guessed, Some(Guess::Text));
        assert!(d.text.contains(text), "{}", d.text);
    }
    // Declared, it is read as declared and not a guess.
    let (bytes, _, _) = encoding_rs::WINDOWS_1250.encode("<rss><t>Čačak</t></rss>");
    let d = decode(&bytes, Some("windows-1250"));
    assert!(d.guessed.is_none() && d.text.contains("Čačak"));
}

/// A source's configured language says which legacy encoding its site wrote, where a
/// short text leaves the guess open: "£5,000" of an English source is windows-1252's £,
/// not windows-1250's Ł. A language whose script it does not tell leaves it to the text.
#[test]
fn the_sources_language_decides_an_undeclared_legacy_encoding() {
    let hints = |lang| Hints {
        lang: Some(lang),
        ..Hints::default()
    };
    let (pound, _, _) = encoding_rs::WINDOWS_1252.encode("<rss><t>The fund gives £5,000</t></rss>");
    let d = decode_with(&pound, &hints("en"));
    assert_eq!(d.guessed, Some(Guess::Language));
    assert!(d.text.contains("£5,000"), "{}", d.text);
    let (cyrillic, _, _) = encoding_rs::WINDOWS_1251.encode("<rss><t>Жене у политици</t></rss>");
    assert!(decode_with(&cyrillic, &hints("sr-Cyrl"))
        .text
        .contains("Жене у политици"));
    let (latin, _, _) = encoding_rs::WINDOWS_1250.encode("<rss><t>Žene u politici</t></rss>");
    assert!(decode_with(&latin, &hints("sr-Latn"))
        .text
        .contains("Žene u politici"));
    assert_eq!(decode_with(&latin, &hints("sr")).guessed, Some(Guess::Text));
    // ISO-8859-2, the other legacy encoding of Serbian Latin, as the text shows it.
    let (iso, _, _) =
        encoding_rs::ISO_8859_2.encode("<rss><t>Izložba u Nišu i Šapcu: žene i šuma</t></rss>");
    let d = decode_with(&iso, &hints("sr-Latn"));
    assert!(d.text.contains("Izložba u Nišu i Šapcu"), "{}", d.text);
    // The feed's own declaration still comes first.
    let d = decode_with(
        &latin,
        &Hints {
            http_charset: Some("windows-1250"),
            lang: Some("en"),
            host: None,
        },
    );
    assert!(d.guessed.is_none() && d.text.contains("Žene"));
}

/// A server's default `charset=iso-8859-1` (or `us-ascii`) gives way to the document's own
/// declaration of another encoding, and the source is told; any other header charset is
/// read as it says, as RFC 7303 has it.
#[test]
fn the_documents_declaration_beats_a_servers_default_charset() {
    let doc = "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss><t>Влада Србије о споразуму</t></rss>";
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(doc);
    for header in ["iso-8859-1", "ISO-8859-1", "us-ascii", "windows-1252"] {
        let d = decode(&bytes, Some(header));
        assert_eq!(d.encoding, encoding_rs::WINDOWS_1251, "{header}");
        assert!(d.text.contains("Влада Србије"), "{}", d.text);
        let warning = d.guess_warning().expect("the disagreement is told");
        assert!(
            warning.contains(header) && warning.contains("windows-1251"),
            "{warning}"
        );
    }
    // A header that names something else than the default is what the server was told.
    let d = decode(&bytes, Some("koi8-r"));
    assert_eq!(d.encoding, encoding_rs::KOI8_R);
    assert!(d.guess_warning().is_none());
    // A declaration of an encoding never decoded (ISO-2022-KR: one U+FFFD for the whole
    // document) is no declaration: the header is read as it says.
    let (korean, _, _) = encoding_rs::WINDOWS_1252
        .encode("<?xml version=\"1.0\" encoding=\"ISO-2022-KR\"?><rss><t>Café</t></rss>");
    for header in [Some("iso-8859-1"), None] {
        let d = decode(&korean, header);
        assert!(d.text.contains("Café"), "{header:?}: {}", d.text);
    }
    let warning = decode(&korean, None).guess_warning().unwrap();
    assert!(
        warning.contains("names a character set that is not decoded (\"ISO-2022-KR\")"),
        "{warning}"
    );
    // The two agreeing, or only the header: no warning.
    let (latin, _, _) = encoding_rs::WINDOWS_1252
        .encode("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss><t>Café</t></rss>");
    let d = decode(&latin, Some("iso-8859-1"));
    assert!(d.text.contains("Café") && d.guess_warning().is_none());
    let (bare, _, _) = encoding_rs::WINDOWS_1252.encode("<rss><t>Café</t></rss>");
    assert!(decode(&bare, Some("iso-8859-1")).guess_warning().is_none());
}

/// UTF-8 with a stray byte is read as UTF-8, the byte replaced and said to be, whatever
/// it declares or its source's language: not as a legacy encoding (all of it garbled).
#[test]
fn utf8_with_a_stray_byte_stays_utf8() {
    let mut bytes = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><t>Дијалог Београда и Приштине"
        .as_bytes()
        .to_vec();
    bytes.push(0xA0);
    bytes.extend_from_slice("</t></rss>".as_bytes());
    for lang in [Some("sr-Cyrl"), Some("sr"), Some("en"), None] {
        let d = decode_with(
            &bytes,
            &Hints {
                lang,
                ..Hints::default()
            },
        );
        assert_eq!(d.encoding, UTF_8, "{lang:?}");
        assert!(d.had_errors && d.guessed.is_none(), "{lang:?}");
        assert!(
            d.text.contains("Дијалог Београда и Приштине\u{fffd}"),
            "{}",
            d.text
        );
    }
}

#[test]
fn control_characters_are_removed() {
    let d = decode(b"<rss><t>a\x00b\x1bc\td</t></rss>", None);
    assert!(d.text.contains("abc\td"));
    // U+FFFE and U+FFFF go; other characters whose UTF-8 starts with 0xEF stay.
    let d = decode(
        "<rss><t>x\u{fffe}y\u{ffff}z ｷ\u{ff5e}</t></rss>".as_bytes(),
        None,
    );
    assert!(d.text.contains("xyz ｷ\u{ff5e}"), "{}", d.text);
}

#[test]
fn leading_junk_and_late_declarations_are_removed() {
    let d = decode(
        b"Warning: something\n<?xml version='1.0' encoding='iso-8859-1'?><rss/>",
        None,
    );
    assert_eq!(d.text, "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss/>");
    let d = decode(
        b"<rss>a<?xml version=\"1.0\" encoding=\"windows-1250\"?>b</rss>",
        None,
    );
    assert_eq!(d.text, "<rss>ab</rss>");
    let d = decode(b"  {\"version\": \"x\"}", None);
    assert!(d.text.trim_start().starts_with('{'));
}

#[test]
fn reads_declared_encoding() {
    assert_eq!(
        xml_declared_encoding(b"<?xml version='1.0' encoding='ISO-8859-2' ?><a/>").as_deref(),
        Some("ISO-8859-2")
    );
    assert_eq!(xml_declared_encoding(b"<rss/>"), None);
}
