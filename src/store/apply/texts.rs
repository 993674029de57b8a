//! Comparing two copies' texts by their word pairs: whether they tell one story, and nearly
//! word for word; the pairs of the entry being applied and of the stories it is compared
//! with, kept while a feed is.

use std::rc::Rc;

use super::{Tx, PAIRS_KEPT};
use crate::model::{Item, NewItem};
use crate::store::dedupe_keys::match_words;

impl Tx<'_, '_> {
    /// [`pairs_agree`] of `new`'s text and the stored `item`'s.
    pub(super) fn texts_agree(&self, new: &NewItem, item: &Item) -> bool {
        pairs_agree(
            (&self.pairs_of_entry(new), &new.summary, new.link.as_deref()),
            (
                &self.pairs_of_story(item),
                &item.summary,
                item.link.as_deref(),
            ),
        )
    }

    /// The word pairs of the text of `new`, the entry being applied ([`Tx::entry_pairs`]).
    pub(super) fn pairs_of_entry(&self, new: &NewItem) -> Rc<Pairs> {
        self.entry_pairs
            .borrow_mut()
            .get_or_insert_with(|| Rc::new(word_pairs(&new.summary)))
            .clone()
    }

    /// The word pairs of the text of `item`, a story as stored ([`Tx::story_pairs`]).
    pub(super) fn pairs_of_story(&self, item: &Item) -> Rc<Pairs> {
        if let Some(pairs) = self.story_pairs.borrow().get(&item.id) {
            return pairs.clone();
        }
        let pairs = Rc::new(word_pairs(&item.summary));
        let mut kept = self.story_pairs.borrow_mut();
        if kept.len() >= PAIRS_KEPT {
            kept.clear();
        }
        kept.insert(item.id, pairs.clone());
        pairs
    }
}

/// Whether two copies under one title tell the same story, by their texts, each with its word
/// pairs ([`word_pairs`]) and where the copy lives:
/// - two texts of some length ([`LONG_TEXT`] word pairs or more each) agree when at least half
///   of the word pairs of the shorter are in the other (case and punctuation aside): a
///   republisher that adds a line of its own or cuts the text short still agrees, two sites'
///   different newsletters do not;
/// - when one is shorter (a teaser, a republisher's blurb of its own), they agree the same way,
///   or when one names the other's site ("Preuzeto od BFPE" for a copy on bfpe.example);
/// - a copy with no text at all (a feed of titles alone) agrees with any: the title decides.
fn pairs_agree(
    (pairs_a, a, a_link): (&Pairs, &str, Option<&str>),
    (pairs_b, b, b_link): (&Pairs, &str, Option<&str>),
) -> bool {
    // No text to speak of (none, one word, an ellipsis): the title decides.
    if pairs_a.is_empty() || pairs_b.is_empty() {
        return true;
    }
    let shorter = pairs_a.len().min(pairs_b.len());
    let shared = pairs_a.intersection(pairs_b).count();
    if shared * 2 >= shorter {
        return true;
    }
    if pairs_a.len() >= LONG_TEXT && pairs_b.len() >= LONG_TEXT {
        return false;
    }
    names_site(a, b_link) || names_site(b, a_link)
}

/// [`pairs_agree`] of two texts and where each copy lives.
#[cfg(test)]
pub(in crate::store) fn texts_agree(
    a: &str,
    a_link: Option<&str>,
    b: &str,
    b_link: Option<&str>,
) -> bool {
    pairs_agree((&word_pairs(a), a, a_link), (&word_pairs(b), b, b_link))
}

/// Whether two texts, by their word pairs ([`word_pairs`]), tell one story nearly word for
/// word: the shorter has a sentence or two ([`UNTOUCHED_TEXT`] word pairs or more) and four in
/// five of its word pairs are in the other.
pub(super) fn texts_alike(pairs_a: &Pairs, pairs_b: &Pairs) -> bool {
    let shorter = pairs_a.len().min(pairs_b.len());
    shorter >= UNTOUCHED_TEXT && pairs_a.intersection(pairs_b).count() * 5 >= shorter * 4
}

/// Texts with at least this many word pairs (about as many words) are long enough to be
/// compared on their own.
pub(super) const LONG_TEXT: usize = 30;

/// A text with at least this many word pairs (a sentence or two), the same word for word
/// under the same date, makes a GUID-less entry with another title on its link the story it
/// was ([`Tx::retitled`]).
pub(super) const UNTOUCHED_TEXT: usize = 8;

/// Whether `text` names, as a word, the site of `link` ([`crate::model::site_name`]).
fn names_site(text: &str, link: Option<&str>) -> bool {
    let Some(name) = link.and_then(crate::model::site_name) else {
        return false;
    };
    text.split(|c: char| !c.is_alphanumeric() && c != '-')
        .any(|w| w.eq_ignore_ascii_case(&name))
}

/// A title's words, as [`match_words`] reads them.
pub(super) fn title_words(title: &str) -> std::collections::HashSet<String> {
    let mut words = std::collections::HashSet::new();
    match_words(title, |w| {
        words.insert(w.to_string());
    });
    words
}

/// A text's word pairs ([`word_pairs`]).
pub(super) type Pairs = std::collections::HashSet<u64>;

/// Hashes of a text's consecutive words, as [`match_words`] reads them: each pair hashed as
/// the two words' slice, the last word kept in one buffer (no string of its own per word).
fn word_pairs(text: &str) -> Pairs {
    use std::hash::{Hash, Hasher};
    let mut pairs = Pairs::new();
    let mut last = String::new();
    match_words(text, |w| {
        if !last.is_empty() {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            [last.as_str(), w].hash(&mut h);
            pairs.insert(h.finish());
        }
        last.clear();
        last.push_str(w);
    });
    pairs
}
