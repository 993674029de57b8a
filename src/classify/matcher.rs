//! Phrase matching over folded text: one Aho-Corasick pass finds every rule word, then
//! phrases are assembled from words at consecutive positions.
//!
//! A phrase is a sequence of words, each either exact (`agreement`) or a stem (`dijalog*`,
//! any word that starts with it). Words are compiled as padded patterns over folded text —
//! `" agreement "` or `" dijalog"` — so matches always fall on word boundaries. Words with
//! `dj` (Serbian `đ`) also match the spelling with a plain `d`, the other way `đ` is typed
//! without diacritics (`građani` → `gradjani` or `gradani`).

use std::collections::HashMap;

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};

use super::fold::fold;

/// Fewest letters a one-word stem may have before its `*`: shorter ones match too much. In a
/// phrase the other words narrow it down, so `"women mp*"` is fine.
pub const MIN_STEM: usize = 3;

/// One word of a phrase, already folded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Word {
    /// The whole word.
    Exact(String),
    /// Any word starting with this.
    Stem(String),
}

/// Parses a rule term or exclusion as written in the rules (any script, `*` ending a word)
/// into folded words; the error says what is wrong with it.
pub fn parse_phrase(raw: &str) -> Result<Vec<Word>, &'static str> {
    let mut words = Vec::new();
    for chunk in raw.split_whitespace() {
        let body = chunk.strip_suffix('*');
        let stem = body.is_some();
        let body = body.unwrap_or(chunk);
        if body.contains('*') {
            return Err("`*` may only appear once, at the end of a word");
        }
        let folded = fold(body);
        let mut parts: Vec<&str> = folded.split_whitespace().collect();
        let Some(last) = parts.pop() else {
            if stem {
                return Err("`*` must follow a word");
            }
            continue;
        };
        words.extend(parts.into_iter().map(|w| Word::Exact(w.to_string())));
        words.push(if stem {
            Word::Stem(last.to_string())
        } else {
            Word::Exact(last.to_string())
        });
    }
    match words.as_slice() {
        [] => Err("it has no letters or digits"),
        [Word::Stem(w)] if w.chars().count() < MIN_STEM => {
            Err("a one-word stem needs at least 3 letters before `*`")
        }
        _ => Ok(words),
    }
}

/// Where a phrase matched: its index and the half-open range of word positions it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// Index of the phrase in the list the matcher was built from.
    pub phrase: usize,
    /// Position of the first word.
    pub start: u32,
    /// Position after the last word.
    pub end: u32,
}

/// Every phrase of every topic, compiled into one automaton.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// Every distinct padded word spelling, walked a byte at a time by [`Matcher::find`].
    dfa: DFA,
    /// Automaton pattern → the distinct words (slots) it spells.
    pattern_slots: Vec<Vec<u32>>,
    /// Phrase → its words as slot ids.
    phrases: Vec<Vec<u32>>,
    /// Slot → phrases that start with it.
    starting: Vec<Vec<usize>>,
}

impl Matcher {
    /// Compiles the phrases; [`Found::phrase`] indexes this slice.
    pub fn new(phrases: &[Vec<Word>]) -> Result<Matcher, aho_corasick::BuildError> {
        let mut slot_ids: HashMap<&Word, u32> = HashMap::new();
        let mut pattern_ids: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_slots: Vec<Vec<u32>> = Vec::new();
        let mut compiled = Vec::with_capacity(phrases.len());
        for phrase in phrases {
            let mut slots = Vec::with_capacity(phrase.len());
            for word in phrase {
                let next = slot_ids.len() as u32;
                let slot = *slot_ids.entry(word).or_insert(next);
                if slot == next {
                    for pattern in spellings(word) {
                        let id = *pattern_ids.entry(pattern.clone()).or_insert_with(|| {
                            patterns.push(pattern);
                            pattern_slots.push(Vec::new());
                            patterns.len() - 1
                        });
                        pattern_slots[id].push(slot);
                    }
                }
                slots.push(slot);
            }
            compiled.push(slots);
        }
        let mut starting = vec![Vec::new(); slot_ids.len()];
        for (i, slots) in compiled.iter().enumerate() {
            starting[slots[0] as usize].push(i);
        }
        // A DFA: the biggest automaton, the fastest search; rule sets are small. Every
        // pattern starts with a space, which is every few bytes of any text: a prefilter
        // looking for where a match may start would only add work, and `words` has none.
        let dfa = DFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&patterns)?;
        Ok(Matcher {
            dfa,
            pattern_slots,
            phrases: compiled,
            starting,
        })
    }

    /// Every rule word found in `folded`: `(word position, slot)`, sorted, each once.
    ///
    /// The automaton is walked a byte at a time, with the spaces counted on the way. Every
    /// pattern is one word with the space before it (`spellings`), so a match starts at the
    /// last space before its end, or at the one before that when it ends on the word's closing
    /// space; the k-th space starts word position k. Matches thus come in order of position.
    fn words(&self, folded: &str) -> Vec<(u32, u32)> {
        let dfa = &self.dfa;
        let mut hits: Vec<(u32, u32)> = Vec::new();
        // An unanchored automaton always has an unanchored start.
        let Ok(mut sid) = dfa.start_state(Anchored::No) else {
            return hits;
        };
        let mut spaces = 0u32;
        for &b in folded.as_bytes() {
            let closing = b == b' ';
            spaces += u32::from(closing);
            sid = dfa.next_state(Anchored::No, sid, b);
            if !dfa.is_special(sid) {
                continue;
            }
            if dfa.is_dead(sid) {
                break;
            }
            if !dfa.is_match(sid) {
                continue;
            }
            let position = spaces.saturating_sub(1 + u32::from(closing));
            for i in 0..dfa.match_len(sid) {
                let pattern = dfa.match_pattern(sid, i);
                for &slot in &self.pattern_slots[pattern.as_usize()] {
                    // Placed in (position, slot) order by an insertion step: a position has a
                    // few hits at most.
                    let hit = (position, slot);
                    let at = hits.len() - hits.iter().rev().take_while(|&&h| h > hit).count();
                    if at == 0 || hits[at - 1] != hit {
                        hits.insert(at, hit);
                    }
                }
            }
        }
        hits
    }

    /// Appends every phrase match in `folded` (the output of [`fold`]) to `out`.
    pub fn find(&self, folded: &str, out: &mut Vec<Found>) {
        let hits = self.words(folded);
        // Most fields match nothing.
        if hits.is_empty() {
            return;
        }
        // Where each word position's hits begin in `hits`: the few slots found at a
        // position are a short run. Positions past the last hit hold no word of any phrase.
        let words = hits[hits.len() - 1].0 as usize + 1;
        let mut first_at = vec![0u32; words + 1];
        for &(position, _) in &hits {
            first_at[position as usize + 1] += 1;
        }
        for i in 1..first_at.len() {
            first_at[i] += first_at[i - 1];
        }
        let found_at = |at: u32, slot: u32| {
            let at = at as usize;
            at < words
                && hits[first_at[at] as usize..first_at[at + 1] as usize]
                    .iter()
                    .any(|&(_, s)| s == slot)
        };
        for &(position, slot) in &hits {
            for &phrase in &self.starting[slot as usize] {
                let words = &self.phrases[phrase];
                let rest_found = words[1..]
                    .iter()
                    .zip(position + 1..)
                    .all(|(&slot, at)| found_at(at, slot));
                if rest_found {
                    out.push(Found {
                        phrase,
                        start: position,
                        end: position + words.len() as u32,
                    });
                }
            }
        }
    }
}

/// The padded automaton patterns for one word: itself, and with `dj` written `d`.
fn spellings(word: &Word) -> Vec<String> {
    let (text, tail) = match word {
        Word::Exact(w) => (w, " "),
        Word::Stem(w) => (w, ""),
    };
    let mut out = vec![format!(" {text}{tail}")];
    if text.contains("dj") {
        out.push(format!(" {}{tail}", text.replace("dj", "d")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases(raw: &[&str]) -> Vec<Vec<Word>> {
        raw.iter().map(|r| parse_phrase(r).unwrap()).collect()
    }

    fn find(m: &Matcher, text: &str) -> Vec<(usize, u32, u32)> {
        let mut out = Vec::new();
        m.find(&fold(text), &mut out);
        out.iter().map(|f| (f.phrase, f.start, f.end)).collect()
    }

    #[test]
    fn terms_are_folded_and_stars_make_stems() {
        assert_eq!(
            parse_phrase("Zajednic* srpskih OPŠTINA").unwrap(),
            [
                Word::Stem("zajednic".into()),
                Word::Exact("srpskih".into()),
                Word::Exact("opstina".into())
            ]
        );
        assert_eq!(
            parse_phrase("Belgrade–Pristina").unwrap(),
            [
                Word::Exact("belgrade".into()),
                Word::Exact("pristina".into())
            ]
        );
    }

    #[test]
    fn bad_terms_are_explained() {
        assert!(parse_phrase(" – ").unwrap_err().contains("no letters"));
        assert!(parse_phrase("di*log")
            .unwrap_err()
            .contains("end of a word"));
        assert!(parse_phrase("dialog**")
            .unwrap_err()
            .contains("end of a word"));
        assert!(parse_phrase("ab*").unwrap_err().contains("3 letters"));
        assert!(parse_phrase("women mp*").is_ok());
        assert!(parse_phrase("women *")
            .unwrap_err()
            .contains("follow a word"));
    }

    #[test]
    fn words_match_whole_and_stems_match_word_starts() {
        let m = Matcher::new(&phrases(&["dijalog*", "plates", "ZSO"])).unwrap();
        assert_eq!(find(&m, "Дијалога о таблицама"), [(0, 0, 1)]);
        assert_eq!(find(&m, "Licence plates"), [(1, 1, 2)]);
        assert_eq!(find(&m, "templates, nondijalog, zsoa"), []);
        assert_eq!(find(&m, "ZSO-a"), [(2, 0, 1)]);
    }

    #[test]
    fn phrases_need_their_words_in_a_row() {
        let m = Matcher::new(&phrases(&["zajednic* srpsk* opstin*", "srpsk*"])).unwrap();
        assert_eq!(
            find(&m, "o Zajednici srpskih opština"),
            [(0, 1, 4), (1, 2, 3)]
        );
        assert_eq!(find(&m, "zajednici opstina srpskih"), [(1, 2, 3)]);
    }

    #[test]
    fn dj_also_matches_a_plain_d() {
        let m = Matcher::new(&phrases(&["građan*"])).unwrap();
        for text in ["građanima", "gradjanima", "gradanima", "ГРАЂАНИ"] {
            assert_eq!(find(&m, text), [(0, 0, 1)], "{text}");
        }
    }

    #[test]
    fn a_repeated_word_is_found_each_time() {
        let m = Matcher::new(&phrases(&["a b"])).unwrap();
        assert_eq!(find(&m, "a b a b"), [(0, 0, 2), (0, 2, 4)]);
    }

    /// What `Matcher::words` finds, worked out word by word without an automaton: at each
    /// word of the folded text, every distinct rule word (numbered in order of first use, as
    /// `Matcher::new` numbers them) that it is, or starts with for a stem, in either spelling.
    fn words_one_by_one(phrases: &[Vec<Word>], folded: &str) -> Vec<(u32, u32)> {
        let mut slots: Vec<&Word> = Vec::new();
        for word in phrases.iter().flatten() {
            if !slots.contains(&word) {
                slots.push(word);
            }
        }
        let mut hits = Vec::new();
        for (position, text) in folded.split(' ').skip(1).enumerate() {
            if text.is_empty() {
                continue;
            }
            for (slot, word) in slots.iter().enumerate() {
                let (rule, stem) = match word {
                    Word::Exact(w) => (w, false),
                    Word::Stem(w) => (w, true),
                };
                let matches = |spelled: &str| {
                    if stem {
                        text.starts_with(spelled)
                    } else {
                        text == spelled
                    }
                };
                if matches(rule) || (rule.contains("dj") && matches(&rule.replace("dj", "d"))) {
                    hits.push((position as u32, slot as u32));
                }
            }
        }
        hits
    }

    #[test]
    fn the_automaton_finds_each_rule_word_where_a_word_by_word_reading_does() {
        let rules =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/topics.toml"))
                .unwrap();
        let rules = crate::classify::RulesFile::from_toml(&rules)
            .unwrap()
            .topics;
        let mut all: Vec<Vec<Word>> = Vec::new();
        for rule in &rules.0 {
            for (term, _) in rule.terms.iter().chain(&rule.context) {
                all.push(parse_phrase(term).unwrap());
            }
            for term in &rule.exclude {
                all.push(parse_phrase(term).unwrap());
            }
        }
        // Words that are also stems of one another, both spellings of `đ`, and a few made up
        // to start with rule words.
        all.extend(phrases(&[
            "dij*", "dijalogu", "građan*", "gradjani", "a b", "abc*",
        ]));
        let m = Matcher::new(&all).unwrap();
        let texts = [
            "Dijalog Beograda i Prištine: sporazum o tablicama, Zajednica srpskih opština",
            "Дијалог Београда и Приштине — Заједница српских општина, грађани, ЂАК",
            "Dialogu mes Kosovës dhe Serbisë; marrëveshja e Brukselit; Gratë deputete",
            "Women's Caucus of the Assembly: women MPs, gender equality, film festival 2024",
            "dijalogu dijalog dij di a b ab abc abcd gradani gradjani građani dialoguewith",
            "",
            " — !? ",
        ];
        for text in texts {
            let folded = fold(text);
            assert_eq!(
                m.words(&folded),
                words_one_by_one(&all, &folded),
                "{folded:?}"
            );
        }
    }

    #[test]
    fn a_phrase_cut_off_by_the_end_of_the_text_is_not_found() {
        let m = Matcher::new(&phrases(&["women caucus", "caucus"])).unwrap();
        assert_eq!(find(&m, "Caucus of women"), [(1, 0, 1)]);
        assert_eq!(find(&m, "women"), []);
        assert_eq!(find(&m, ""), []);
        assert_eq!(find(&m, "women, caucus!"), [(0, 0, 2), (1, 1, 2)]);
    }
}
