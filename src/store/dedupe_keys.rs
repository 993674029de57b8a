//! The keys of the link and title indexes, which find another source's copy of a story: a
//! link's canonical form and a title's words, each hashed to 16 bytes; a title also without
//! the site's name after it.

use url::Url;

use crate::parse::urls;

/// The key of a link or title in the link and title indexes: a hash of its canonical text, so
/// every key is 16 bytes however long the URL or title (the indexes in memory and their log
/// hold fixed-size keys).
pub(super) type DedupeKey = [u8; 16];

/// The link index's value for a link that several stored stories have (a section page a
/// source gives several of its stories): it names none of them, and matches nothing, like a
/// front page. No story id is this (ids are hashes).
pub(super) const SHARED_LINK: [u8; 16] = [0xff; 16];

/// The cross-source key of a link; `None` for a site's front page, which many feeds give as
/// every item's link and which therefore identifies nothing.
pub(super) fn link_key(link: &str) -> Option<DedupeKey> {
    let url = Url::parse(link).ok()?;
    Some(dedupe_key(&urls::dedupe_key(&url)?))
}

/// A title reduced to its words ([`match_words`]) joined by single spaces, for matching
/// republished copies; `None` when shorter than `min_chars` characters.
pub(super) fn title_key(title: &str, min_chars: usize) -> Option<DedupeKey> {
    let mut key = String::with_capacity(title.len());
    match_words(title, |w| {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(w);
    });
    (key.chars().count() >= min_chars).then(|| dedupe_key(&key))
}

/// The keys a story's title is indexed under in the title index: [`title_key`] of the title,
/// and of its head without the site's name a copy may carry after it ([`title_head`]: "… |
/// KCSS", "… – Kosovo Online") when that is another. A copy is looked up under both: the
/// original's "Radionica o dijalogu" is found from a partner's "Radionica o dijalogu |
/// Partner" and the other way round, and "Dijalog: šta dalje?" from "Dijalog — šta dalje" by
/// the whole title.
pub(super) fn title_keys(title: &str, min_chars: usize) -> [Option<DedupeKey>; 2] {
    let full = title_key(title, min_chars);
    let head = title_head(title);
    let head = if head.len() < title.trim_end().len() {
        title_key(head, min_chars).filter(|k| Some(*k) != full)
    } else {
        None
    };
    [full, head]
}

/// Whether two titles' first endings are one marker of a series with other numbers: "No. 12"
/// and "No. 13", "Part 1" and "Part 2" (issues or parts, never one story). Endings of other
/// words ("Kosovo 2.0" and "RTV 21": sites' names) are not.
pub(super) fn other_issues(a: &str, b: &str) -> bool {
    let (a, b) = (first_ending(a), first_ending(b));
    !a.1.is_empty() && !b.1.is_empty() && a.0 == b.0 && a.1 != b.1
}

pub(super) fn dedupe_key(text: &str) -> DedupeKey {
    let mut key = [0; 16];
    key.copy_from_slice(&blake3::hash(text.as_bytes()).as_bytes()[..16]);
    key
}

/// `title` without its last segments that may be a site's name: each of one to four words,
/// after a spaced separator (`|`, a dash, `·`, `»`, `::`), with at least three words before
/// it; at most [`TITLE_ENDINGS`] of them, and none of a title longer than [`TITLE_HEAD_MAX`]
/// bytes (feeds' titles are cut to 300 characters; an imported record's is not). A copy's
/// "Radionica o dijalogu – Portal | Partner" and the original's "Radionica o dijalogu –
/// Portal" both read "Radionica o dijalogu".
fn title_head(title: &str) -> &str {
    let words = |t: &str| {
        let mut n = 0;
        match_words(t, |_| n += 1);
        n
    };
    let mut head = title.trim_end();
    if head.len() > TITLE_HEAD_MAX {
        return head;
    }
    for _ in 0..TITLE_ENDINGS {
        let Some((at, len)) = TITLE_SEPARATORS
            .iter()
            .filter_map(|s| head.rfind(s).map(|at| (at, s.len())))
            .max_by_key(|&(at, _)| at)
        else {
            break;
        };
        let (before, after) = (&head[..at], &head[at + len..]);
        if !(1..=4).contains(&words(after)) || words(before) < 3 {
            break;
        }
        head = before.trim_end();
    }
    head
}

/// The separators after which a title's ending may be a site's name ([`title_head`]).
const TITLE_SEPARATORS: [&str; 7] = [" | ", " - ", " – ", " — ", " · ", " » ", " :: "];

/// The first of the endings [`title_head`] takes off a title ("No. 13" of "… – No. 13 |
/// Kosovo 2.0"), as its words other than numbers and its numbers, each as
/// [`match_words`] reads them.
fn first_ending(title: &str) -> (Vec<String>, Vec<String>) {
    let mut ending = &title.trim_end()[title_head(title).len()..];
    if let Some(rest) = TITLE_SEPARATORS.iter().find_map(|s| ending.strip_prefix(s)) {
        ending = rest;
    }
    if let Some(end) = TITLE_SEPARATORS.iter().filter_map(|s| ending.find(s)).min() {
        ending = &ending[..end];
    }
    let (mut words, mut numbers) = (Vec::new(), Vec::new());
    match_words(ending, |w| {
        if w.bytes().all(|b| b.is_ascii_digit()) {
            numbers.push(w.to_string());
        } else {
            words.push(w.to_string());
        }
    });
    (words, numbers)
}

/// How many site names [`title_head`] takes off a title's end, at most.
const TITLE_ENDINGS: usize = 3;

/// The longest title, in bytes, of which [`title_head`] takes anything off.
const TITLE_HEAD_MAX: usize = 1000;

/// Calls `word` with each word of `text` as copies of a story are compared: its letters and
/// digits lowercased and without their accents (`ë` and `e`, `č`, `ć` and `c` are one, in
/// composed or decomposed form; `đ` is written `dj`), so a partner that writes Albanian or
/// Serbian Latin without them still matches. Scripts stay apart: a story in Cyrillic and its
/// Latin edition are two (the language feeds list each).
pub(super) fn match_words(text: &str, mut word: impl FnMut(&str)) {
    use unicode_normalization::char::{decompose_canonical, is_combining_mark};
    let mut w = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            w.push(c.to_ascii_lowercase());
            continue;
        }
        // Combining marks, and the joiners text keeps within a word (an emoji family, Persian),
        // are no break: a copy written with them matches one written without.
        if !c.is_ascii() && (is_combining_mark(c) || matches!(c, '\u{200c}' | '\u{200d}')) {
            continue;
        }
        if c.is_alphanumeric() {
            match c {
                'đ' | 'Đ' => w.push_str("dj"),
                _ => decompose_canonical(c, |d| {
                    if !is_combining_mark(d) {
                        w.extend(d.to_lowercase());
                    }
                }),
            }
            continue;
        }
        if !w.is_empty() {
            word(&w);
            w.clear();
        }
    }
    if !w.is_empty() {
        word(&w);
    }
}
