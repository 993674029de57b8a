//! Text folding: one canonical, script-free form for matching rule terms against item text.
//!
//! Folding lowercases, decomposes (NFKD) and drops combining marks (so `ë`→`e`, `ç`→`c`,
//! `č`/`ć`→`c`, `š`→`s`, `ž`→`z`), transliterates Cyrillic to Latin the way Serbian does it
//! (`џ`→`dz`, `љ`→`lj`, `њ`→`nj`, `ђ`→`dj`, `ћ`/`ч`→`c`, `ш`→`s`, `ж`→`z`), writes `đ` as
//! `dj`, and turns every run of characters that are not letters or digits into one space. The
//! result always starts and ends with a space, so `" word "` is a whole-word match and
//! `" stem"` a match at the start of a word.

use std::sync::LazyLock;

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Folds `text` into the canonical matching form: lowercase ASCII-ish words separated by
/// single spaces, with one leading and one trailing space (`" "` when there are no words).
pub fn fold(text: &str) -> String {
    let mut out = String::new();
    fold_into(text, &mut out);
    out
}

/// [`fold`] into `out`, which is cleared first: one buffer serves every field of an item.
pub fn fold_into(text: &str, out: &mut String) {
    out.clear();
    out.reserve(text.len() + 2);
    out.push(' ');
    let table = &*TABLE;
    for c in text.chars() {
        if c.is_ascii() {
            // Most text: a byte in, a byte (or nothing) out.
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if out.as_bytes().last() != Some(&b' ') {
                out.push(' ');
            }
            continue;
        }
        if let Some(folded) = table.get(c as usize - TABLE_START) {
            if folded.word {
                // One or two letters most often: pushed one by one, not copied as a slice.
                folded.text.chars().for_each(|l| out.push(l));
            } else {
                folded.text.chars().for_each(|l| push_folded(out, l));
            }
        } else {
            fold_char(c, &mut |l| push_folded(out, l));
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
}

/// One non-ASCII character folded: what [`fold_char`] gives it, kept for the characters of
/// the region's scripts, which most non-English text consists of.
struct Folded {
    text: Box<str>,
    /// Every character of `text` is a letter or digit: appended as is.
    word: bool,
}

/// First character of [`TABLE`]: Latin-1 and Latin Extended, the combining marks, Greek and
/// Cyrillic (U+0080 to U+052F) are looked up instead of folded one by one.
const TABLE_START: usize = 0x80;
const TABLE_END: usize = 0x530;

static TABLE: LazyLock<Vec<Folded>> = LazyLock::new(|| {
    (TABLE_START..TABLE_END)
        .map(|code| {
            let mut text = String::new();
            if let Some(c) = char::from_u32(code as u32) {
                fold_char(c, &mut |l| text.push(l));
            }
            let word = text.chars().all(char::is_alphanumeric);
            Folded {
                text: text.into(),
                word,
            }
        })
        .collect()
});

/// The characters one non-ASCII character folds to, before word separation: lowercased,
/// transliterated, decomposed, without combining marks.
fn fold_char(c: char, emit: &mut impl FnMut(char)) {
    // Invisible marks inside words (a soft hyphen a CMS puts in for line breaking, zero-width
    // joiners and spaces, a byte order mark): not there at all, not word breaks.
    if matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}') {
        return;
    }
    // Apostrophes that Unicode files as letters (`Womenʼs` typed with U+02BC): a break, as
    // `'` and `’` are.
    if matches!(c, '\u{2bb}' | '\u{2bc}') {
        emit(' ');
        return;
    }
    // Lowercase and transliterate before decomposing: Cyrillic letters like `й` would
    // decompose, and `ђ`/`ћ` have no decomposition at all. Each character is decomposed on
    // its own: the order of combining marks does not matter once they are dropped.
    for lower in c.to_lowercase() {
        if let Some(latin) = cyrillic(lower) {
            latin.chars().for_each(&mut *emit);
            continue;
        }
        decompose_compatible(lower, |d| {
            if is_combining_mark(d) {
                return;
            }
            // Some compatibility forms decompose to capitals (`㎒` → `MHz`).
            for d in d.to_lowercase() {
                match cyrillic(d).or_else(|| latin_special(d)) {
                    Some(s) => s.chars().for_each(&mut *emit),
                    None => emit(d),
                }
            }
        });
    }
}

/// Appends one already-lowercased, decomposed character: letters and digits as they are,
/// anything else as a word separator (never two in a row).
fn push_folded(out: &mut String, c: char) {
    if c.is_alphanumeric() {
        out.push(c);
    } else if out.as_bytes().last() != Some(&b' ') {
        out.push(' ');
    }
}

/// Latin letters that NFKD leaves alone but that are written without diacritics otherwise.
fn latin_special(c: char) -> Option<&'static str> {
    Some(match c {
        'đ' => "dj",
        'ð' => "d",
        'ħ' => "h",
        'ł' => "l",
        'ø' => "o",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'þ' => "th",
        'ı' => "i",
        _ => return None,
    })
}

/// Serbian Cyrillic (and the few other Cyrillic letters seen in the region's feeds) in Latin.
fn cyrillic(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'ђ' => "dj",
        'е' => "e",
        'ж' => "z",
        'з' => "z",
        'и' => "i",
        'ј' => "j",
        'к' => "k",
        'л' => "l",
        'љ' => "lj",
        'м' => "m",
        'н' => "n",
        'њ' => "nj",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'ћ' => "c",
        'у' => "u",
        'ф' => "f",
        'х' => "h",
        'ц' => "c",
        'ч' => "c",
        'џ' => "dz",
        'ш' => "s",
        // Macedonian, Russian, Ukrainian, Bulgarian.
        'ѓ' => "gj",
        'ќ' => "kj",
        'ѕ' => "dz",
        'й' => "j",
        'ё' => "e",
        'ы' => "y",
        'э' => "e",
        'ю' => "ju",
        'я' => "ja",
        'щ' => "sc",
        'ъ' | 'ь' => "",
        'і' | 'ї' => "i",
        'є' => "e",
        'ґ' => "g",
        'ў' => "u",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn english_is_lowercased_and_punctuation_becomes_single_spaces() {
        assert_eq!(
            fold("Belgrade–Pristina dialogue: \"Brussels\"  talks!"),
            " belgrade pristina dialogue brussels talks "
        );
        assert_eq!(fold("Women's Caucus"), " women s caucus ");
        assert_eq!(fold("Women’s Caucus"), " women s caucus ");
    }

    #[test]
    fn albanian_with_and_without_diacritics_fold_alike() {
        assert_eq!(
            fold("Marrëveshja e Brukselit"),
            fold("Marreveshja e Brukselit")
        );
        assert_eq!(
            fold("Çështja e targave në Prishtinë"),
            " ceshtja e targave ne prishtine "
        );
    }

    #[test]
    fn serbian_latin_with_and_without_diacritics_fold_alike() {
        assert_eq!(
            fold("Zajednica srpskih opština"),
            fold("Zajednica srpskih opstina")
        );
        assert_eq!(
            fold("Građani, čuvajte ćirilicu, žene!"),
            " gradjani cuvajte cirilicu zene "
        );
        assert_eq!(fold("ĐORĐE"), " djordje ");
    }

    #[test]
    fn serbian_cyrillic_folds_to_the_latin_form() {
        assert_eq!(
            fold("Заједница српских општина"),
            fold("Zajednica srpskih opština")
        );
        assert_eq!(fold("дијалогу"), " dijalogu ");
        assert_eq!(
            fold("ЏЕП, ЉУБАВ, ЊЕГОШ, ЂАК, ЋЕРКА, ЧАС, ШУМА, ЖЕНА"),
            { " dzep ljubav njegos djak cerka cas suma zena " }
        );
        assert_eq!(fold("Београд–Приштина"), " beograd pristina ");
    }

    #[test]
    fn apostrophes_filed_as_letters_break_words_as_apostrophes_do() {
        assert_eq!(fold("Women\u{2bc}s Caucus"), fold("Women's Caucus"));
        assert_eq!(fold("Women\u{2bc}s Caucus"), fold("Women’s Caucus"));
    }

    #[test]
    fn invisible_marks_inside_words_are_not_word_breaks() {
        assert_eq!(
            fold("Dija\u{ad}log Beo\u{ad}grada i Pri\u{ad}štine"),
            " dijalog beograda i pristine "
        );
        assert_eq!(fold("Ko\u{200b}sovo\u{feff}"), " kosovo ");
        assert_eq!(fold("Дија\u{ad}лог"), " dijalog ");
    }

    #[test]
    fn compatibility_forms_and_digits_are_kept_as_words() {
        assert_eq!(fold("ﬁlm festival 2024"), " film festival 2024 ");
        assert_eq!(fold("Ｋｏｓｏｖｏ"), " kosovo ");
        assert_eq!(fold("100㎒"), " 100mhz ");
    }

    /// [`fold`] without the lookup table: every non-ASCII character folded on its own.
    fn fold_each(text: &str) -> String {
        let mut out = String::from(" ");
        for c in text.chars() {
            if c.is_ascii() {
                super::push_folded(&mut out, c.to_ascii_lowercase());
            } else {
                super::fold_char(c, &mut |l| super::push_folded(&mut out, l));
            }
        }
        if !out.ends_with(' ') {
            out.push(' ');
        }
        out
    }

    #[test]
    fn the_lookup_table_folds_as_folding_each_character_does() {
        for code in 0x80..0x600 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            for text in [format!("{c}"), format!("a{c}b"), format!("{c}{c} {c}.")] {
                assert_eq!(fold(&text), fold_each(&text), "U+{code:04X} in {text:?}");
            }
        }
        let mixed = "Дијалог – Marrëveshja, ΑΘΉΝΑ; Ǆep ĳ ǅ ﬁ 100㎒ Đorđe";
        assert_eq!(fold(mixed), fold_each(mixed));
    }

    #[test]
    fn generated_text_folds_as_folding_each_character_does() {
        // Pieces that meet in every order: ASCII words in any case, digits, punctuation and
        // spaces, letters with diacritics, Cyrillic, a combining mark, characters outside
        // the table.
        const PIECES: &[&str] = &[
            "Kosovo",
            "DIJALOG",
            "mIxEd",
            "2024",
            "a",
            "Z9",
            " ",
            "  ",
            ", ",
            "-",
            ".",
            "\t",
            "\n",
            "ë",
            "Ç",
            "š",
            "Đ",
            "đ",
            "Дијалог",
            "Ж",
            "\u{301}",
            "ﬁ",
            "㎒",
            "→",
            "😀",
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..3_000 {
            let text: String = (0..rng.usize(0..12))
                .map(|_| PIECES[rng.usize(..PIECES.len())])
                .collect();
            assert_eq!(fold(&text), fold_each(&text), "{text:?}");
        }
    }

    #[test]
    fn text_without_words_folds_to_one_space() {
        assert_eq!(fold(""), " ");
        assert_eq!(fold(" — !? "), " ");
    }
}
