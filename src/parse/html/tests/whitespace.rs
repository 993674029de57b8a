//! Whitespace collapsing: every kind of space, zero-width characters and joiners, whole and
//! a piece at a time.

use crate::parse::html::collapse_whitespace;
use crate::parse::html::whitespace::{is_space, Collapsed, JOINERS, ZERO_WIDTH};

#[test]
fn collapses_all_kinds_of_whitespace() {
    assert_eq!(
        collapse_whitespace("  Women\u{a0}\u{a0}Caucus \t\n meets\u{200b} again  "),
        "Women Caucus meets again"
    );
    assert_eq!(
        collapse_whitespace("\u{200b} a \u{feff} b\u{b}c\u{3000}"),
        "a b c"
    );
    assert_eq!(
        collapse_whitespace("Дијалог\u{2007}Београд\u{202f}"),
        "Дијалог Београд"
    );
    // Joiners are part of a word (an emoji family, Persian), and nothing outside one.
    let family = "\u{1f469}\u{200d}\u{1f469}\u{200d}\u{1f467}";
    assert_eq!(
        collapse_whitespace(&format!(" {family} \u{200d} \u{200c}x ")),
        format!("{family} x")
    );
    assert_eq!(collapse_whitespace("می\u{200c}خواهم"), "می\u{200c}خواهم");
}

#[test]
fn collapsing_matches_splitting_on_every_kind_of_space() {
    let reference = |s: &str| -> String {
        let words: Vec<String> = s
            .split(is_space)
            .map(|w| {
                let w: String = w.chars().filter(|c| !ZERO_WIDTH.contains(c)).collect();
                w.trim_start_matches(JOINERS).to_string()
            })
            .filter(|w: &String| !w.is_empty())
            .collect();
        words.join(" ")
    };
    let samples = [
        "  plain  ascii\ttext\n\r\x0bend ",
        "Ženski\u{a0}kokus\u{202f}Женски\u{2007}клуб\u{3000}x\u{85}y\u{2028}z",
        "ć\u{200b}đ \u{feff} zero\u{200d}width",
        "\u{a0}\u{a0}",
        "",
        "emoji 🙂 and \u{1680}ogham",
    ];
    for sample in samples {
        let mut c = Collapsed::default();
        c.push(sample);
        let text = reference(sample);
        assert_eq!(c.text, text, "{sample:?}");
        assert_eq!(c.chars, text.chars().count(), "{sample:?}");
    }
    // Every character of the Basic Multilingual Plane and a few beyond, between words.
    let all = (0..=0xffffu32)
        .chain([0x1f642, 0x10ffff])
        .filter_map(char::from_u32);
    for ch in all {
        let sample = format!("a{ch}b {ch} c{ch}");
        let mut c = Collapsed::default();
        c.push(&sample);
        let text = reference(&sample);
        assert_eq!(c.text, text, "U+{:04X}", u32::from(ch));
        assert_eq!(c.chars, text.chars().count(), "U+{:04X}", u32::from(ch));
    }
    // Runs of words, single spaces, other spaces and zero-width characters, whole and in
    // pieces that each end at an ASCII whitespace (as the callers push them).
    let fragments = [
        "a",
        "Dijalog",
        "Приштина",
        "ë",
        "«quoted»",
        "€",
        " ",
        "  ",
        "\t",
        "\n ",
        "\u{a0}",
        "\u{200b}",
        "\u{feff}",
        "\u{3000}",
        "\u{2007}",
        "x\u{200b}y",
        "\u{b}",
        ",",
    ];
    for seed in 0..400usize {
        let sample: String = (0..24)
            .map(|i| fragments[(seed * 31 + i * i * 7 + i) % fragments.len()])
            .collect();
        let text = reference(&sample);
        let mut pieces = Collapsed::default();
        let mut rest = sample.as_str();
        while let Some(i) = rest.find(|c: char| c.is_ascii_whitespace()) {
            pieces.push(&rest[..=i]);
            rest = &rest[i + 1..];
        }
        pieces.push(rest);
        assert_eq!(pieces.text, text, "{sample:?}");
        assert_eq!(pieces.chars, text.chars().count(), "{sample:?}");
    }
}
