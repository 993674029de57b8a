//! A story's language tag: the one its entry or feed gives, else its source's, written in the
//! canonical case (`sr-Latn-RS`), and for Serbian, which is written in two scripts, with the
//! script its text is in. Feeds say `sr` or `sr-RS` (WordPress writes the site's locale) for
//! both, so the script subtag comes from the text when it is clear, else from the source's
//! configured `lang`.

/// Bytes read to tell a text's script; the title and the start of the summary are enough.
const SAMPLE_BYTES: usize = 320;

/// Letters of one script a text needs, and the share of its letters they must be, before the
/// text is taken to be in that script.
const MIN_LETTERS: usize = 12;
const MIN_SHARE: f32 = 0.8;

/// The tag of a story: `given` (the entry's, else its feed's), else `source`'s; see the
/// module comment. `text` is read for its script only when the language is Serbian.
pub fn story_language(given: Option<&str>, source: Option<&str>, text: &[&str]) -> Option<String> {
    // A feed's language that is no tag (`English`, `en"><x`) says nothing: the source's is
    // taken, as for a feed that gives none.
    let given = given
        .map(canonical)
        .filter(|g| crate::config::valid_lang(g));
    let tag = match given {
        Some(tag) => tag,
        None => canonical(source?),
    };
    if !primary(&tag).eq_ignore_ascii_case("sr") {
        return Some(tag);
    }
    let script = text_script(text).or_else(|| {
        source
            .filter(|s| primary(s).eq_ignore_ascii_case("sr"))
            .and_then(script_of)
    });
    Some(match script {
        Some(script) => with_script(&tag, script),
        None => tag,
    })
}

/// `tag` in the case BCP 47 recommends: the language lowercase, a script Titlecase, a region
/// uppercase, anything after a singleton (`x-…`) lowercase.
pub fn canonical(tag: &str) -> String {
    let mut out = String::with_capacity(tag.len());
    let mut private = false;
    for (i, sub) in tag.trim().split(['-', '_']).enumerate() {
        if i > 0 {
            out.push('-');
        }
        private |= i > 0 && sub.len() == 1;
        let letters = sub.bytes().all(|b| b.is_ascii_alphabetic());
        let script = i > 0 && !private && sub.len() == 4 && letters;
        let region = i > 0 && !private && sub.len() == 2 && letters;
        for (j, c) in sub.chars().enumerate() {
            out.push(if region || (script && j == 0) {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            });
        }
    }
    out
}

fn primary(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or(tag)
}

/// The script subtag of `tag`, if it has one (`Latn` of `sr-Latn-RS`).
fn script_of(tag: &str) -> Option<&'static str> {
    tag.split(['-', '_']).skip(1).find_map(|sub| {
        if sub.eq_ignore_ascii_case("latn") {
            Some("Latn")
        } else if sub.eq_ignore_ascii_case("cyrl") {
            Some("Cyrl")
        } else {
            None
        }
    })
}

/// `tag` (canonical) with `script` as its script subtag, in place of any it had.
fn with_script(tag: &str, script: &str) -> String {
    let (primary, rest) = tag.split_once('-').unwrap_or((tag, ""));
    let rest = match rest.split_once('-') {
        Some((first, after)) if first == "Latn" || first == "Cyrl" => after,
        None if rest == "Latn" || rest == "Cyrl" => "",
        _ => rest,
    };
    let mut out = String::with_capacity(tag.len() + 5);
    out.push_str(primary);
    out.push('-');
    out.push_str(script);
    if !rest.is_empty() {
        out.push('-');
        out.push_str(rest);
    }
    out
}

/// `Cyrl` or `Latn` when the letters of `text` (read in order, up to [`SAMPLE_BYTES`]) are
/// clearly in one of them. Counted on the UTF-8 bytes: a Cyrillic letter (U+0400–U+052F)
/// starts with a byte 0xD0–0xD4, a Latin one is an ASCII letter or starts with 0xC3–0xC9
/// (U+00C0–U+024F: č, ć, š, ž, đ, ë, ç…). A story is read once, at ingest; this runs for
/// every Serbian one.
fn text_script(text: &[&str]) -> Option<&'static str> {
    let (mut cyrillic, mut latin, mut budget) = (0usize, 0usize, SAMPLE_BYTES);
    for t in text {
        let bytes = &t.as_bytes()[..t.len().min(budget)];
        budget -= bytes.len();
        // Counted in bytes, up to 255 at a time, so that the compiler compares 16 at once.
        for chunk in bytes.chunks(255) {
            let c = chunk
                .iter()
                .fold(0u8, |n, &b| n + u8::from(b.wrapping_sub(0xD0) < 5));
            let l = chunk.iter().fold(0u8, |n, &b| {
                n + u8::from(((b | 0x20).wrapping_sub(b'a') < 26) | (b.wrapping_sub(0xC3) < 7))
            });
            cyrillic += usize::from(c);
            latin += usize::from(l);
        }
        if budget == 0 {
            break;
        }
    }
    let letters = (cyrillic + latin) as f32;
    if cyrillic >= MIN_LETTERS && cyrillic as f32 >= MIN_SHARE * letters {
        Some("Cyrl")
    } else if latin >= MIN_LETTERS && latin as f32 >= MIN_SHARE * letters {
        Some("Latn")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CYRILLIC: &str = "Посланице траже већу заступљеност жена у одборима";
    const LATIN: &str = "Poslanice traže veću zastupljenost žena u odborima";

    #[test]
    fn tags_are_written_in_canonical_case() {
        assert_eq!(canonical("sr-latn"), "sr-Latn");
        assert_eq!(canonical("SR-CYRL-rs"), "sr-Cyrl-RS");
        assert_eq!(canonical("en_us"), "en-US");
        assert_eq!(canonical("sq"), "sq");
        assert_eq!(canonical("es-419"), "es-419");
        assert_eq!(canonical("en-x-Tributary"), "en-x-tributary");
        assert_eq!(canonical("sr-x-ab"), "sr-x-ab");
        assert_eq!(with_script("sr-Latn-RS", "Cyrl"), "sr-Cyrl-RS");
        assert_eq!(with_script("sr-RS", "Latn"), "sr-Latn-RS");
        assert_eq!(with_script("sr", "Cyrl"), "sr-Cyrl");
        assert_eq!(with_script("sr-Cyrl", "Latn"), "sr-Latn");
    }

    #[test]
    fn a_language_that_is_no_tag_gives_way_to_the_sources() {
        assert_eq!(
            story_language(Some("en\"><script>"), Some("sq"), &[]).as_deref(),
            Some("sq")
        );
        assert_eq!(story_language(Some("English"), None, &[]), None);
        assert_eq!(
            story_language(Some("en_us"), Some("sq"), &[]).as_deref(),
            Some("en-US")
        );
    }

    #[test]
    fn serbian_takes_the_script_of_its_text() {
        let lang = |given, source, text: &str| story_language(given, source, &[text]);
        // A bare `sr` or WordPress's `sr-RS`, in either script.
        assert_eq!(lang(Some("sr"), None, CYRILLIC).as_deref(), Some("sr-Cyrl"));
        assert_eq!(
            lang(Some("sr-RS"), None, LATIN).as_deref(),
            Some("sr-Latn-RS")
        );
        // A source's tag that says the other script than its text does.
        assert_eq!(
            lang(None, Some("sr-Latn"), CYRILLIC).as_deref(),
            Some("sr-Cyrl")
        );
        assert_eq!(
            lang(Some("sr-cyrl"), None, LATIN).as_deref(),
            Some("sr-Latn")
        );
        // Too little text to tell: the source's script, else the tag as given.
        assert_eq!(
            lang(Some("sr"), Some("sr-Cyrl"), "NIN 2026").as_deref(),
            Some("sr-Cyrl")
        );
        assert_eq!(
            lang(Some("sr-RS"), Some("sq"), "NIN").as_deref(),
            Some("sr-RS")
        );
        // Mixed text (a Latin title over a Cyrillic summary) is not clearly either.
        assert_eq!(
            story_language(Some("sr"), Some("sr-Latn"), &[LATIN, CYRILLIC]).as_deref(),
            Some("sr-Latn")
        );
        // Other languages keep their tag, whatever their letters.
        assert_eq!(
            lang(Some("EN"), Some("sr-Cyrl"), CYRILLIC).as_deref(),
            Some("en")
        );
        assert_eq!(lang(None, None, CYRILLIC), None);
    }
}
