//! The store's unit tests, by subject, and what they share: a store in a temporary folder,
//! the `[dedupe]` of the tests' sources, entries to stage, and the feeds and stories that
//! several subjects apply.

use super::journal::Index;
use super::*;
use crate::config::DedupeConfig;
use crate::model::{Identity, NewItem, SourceState, TopicMatch};
use chrono::{DateTime, Duration, TimeZone, Utc};

mod all_or_nothing;
mod copies;
mod digest_marks;
mod edits;
mod guids;
mod leads;
mod listings;
mod matching_log;
mod opening;
mod reclassifying;
mod retention;
mod section_pages;
mod source_states;
mod story_records;
mod titles;
mod upgrades;
mod without_guids;

fn config(dir: &tempfile::TempDir) -> StoreConfig {
    test_config(&dir.path().join("db"))
}

/// `[dedupe]` as the tests' sources would have it: each publishes on the site it is named
/// after (`kdi` on kdi.example, `bprg-sq` on bprg.example), as its feed's address tells.
fn dedupe() -> DedupeConfig {
    let sources = [
        "kdi",
        "bfpe",
        "bfpe-latn",
        "bfpe-cyrl",
        "bprg",
        "bprg-sq",
        "bprg-main",
        "portal",
        "vlada",
        "orga",
        "orgb",
        "old",
        "other",
        "agency",
        "caucus",
    ];
    DedupeConfig {
        sites: std::sync::Arc::new(
            sources
                .iter()
                .map(|s| (s.to_string(), s.split('-').next().unwrap().to_string()))
                .collect(),
        ),
        ..DedupeConfig::default()
    }
}

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(&config(dir)).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 2, 26, 12, 0, 0).unwrap()
}

fn item(guid: &str, title: &str, link: Option<&str>, hash: &str) -> Staged {
    Staged {
        item: NewItem {
            identity: Identity::Guid(guid.into()),
            title: title.into(),
            link: link.map(str::to_string),
            published: Some(Utc.with_ymd_and_hms(2020, 2, 25, 10, 0, 0).unwrap()),
            updated: None,
            summary: format!("summary of {title}"),
            content: None,
            authors: vec![],
            categories: vec![],
            lang: None,
            enclosures: vec![],
            image: None,
            content_hash: hash.into(),
        },
        topics: None,
        reread: false,
    }
}

/// The store exported and imported into a fresh one (kept while its folder is).
fn restored_copy(store: &Store) -> (tempfile::TempDir, Store) {
    let mut export = Vec::new();
    store.export(&mut export, &|_| {}).unwrap();
    let other = tempfile::tempdir().unwrap();
    let restored = open(&other);
    restored
        .import(&mut std::io::Cursor::new(export), &|_| {})
        .unwrap();
    (other, restored)
}

fn no_topics(_: &crate::model::Item) -> Vec<TopicMatch> {
    Vec::new()
}

fn apply(store: &Store, source: &str, items: &[Staged]) -> ApplyReport {
    apply_at(store, source, items, now())
}

/// One entry of `source`, applied now with `dedupe` (which names the organisations).
fn apply_deduped(store: &Store, source: &str, s: Staged, dedupe: &DedupeConfig) -> ApplyReport {
    store
        .apply(
            source,
            vec![s],
            &SourceState::default(),
            now(),
            dedupe,
            &no_topics,
        )
        .unwrap()
}

fn apply_at(store: &Store, source: &str, items: &[Staged], at: DateTime<Utc>) -> ApplyReport {
    store
        .apply(
            source,
            items.to_vec(),
            &SourceState::default(),
            at,
            &dedupe(),
            &no_topics,
        )
        .unwrap()
}

/// A story's text of some length (over 30 words).
fn long_text() -> &'static str {
    "Representatives of civil society from Prishtina and Belgrade met in Skopje to \
        discuss how the agreements of the Brussels dialogue are implemented in the \
        municipalities, and what citizens on both sides expect of the talks next year"
}

/// A section page that lists several stories under its own link, without GUIDs.
/// Three stories of a section page (see [`SECTION`]), by title.
const PLATES: &str = "Takimi i parë për targat e automjeteve";

const CAUCUS: &str = "Konferenca e Grupit të Grave Deputete";

const EXHIBITION: &str = "Ekspozita e fotografive në Prizren";

const SECTION: &str = "https://balkansgroup.example/sq/lajme/";

/// An entry of the [`SECTION`] page as the parser tells it: by the link alone, or by the
/// link and its title while another entry of the feed shares the link.
fn on_section(title: &str, shared: bool, hash: &str) -> Staged {
    let mut s = item("", title, Some(SECTION), hash);
    s.item.identity = if shared {
        Identity::Titled {
            link: SECTION.into(),
            title: title.into(),
        }
    } else {
        Identity::Link(SECTION.into())
    };
    s
}

fn stored_titles(store: &Store) -> Vec<String> {
    let mut titles: Vec<String> = store
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    titles.sort();
    titles
}

/// Six stories of source "x", published on the first six days of 2020.
fn six_dated_stories() -> Vec<Staged> {
    (0..6u32)
        .map(|i| {
            let mut s = item(
                &format!("g{i}"),
                &format!("Story {i} about the energy agreement talks"),
                Some(&format!("https://x.example/{i}")),
                "h",
            );
            s.item.published = Some(Utc.with_ymd_and_hms(2020, 1, 1 + i, 0, 0, 0).unwrap());
            s
        })
        .collect()
}

fn fetched(etag: &str) -> SourceState {
    SourceState {
        etag: Some(format!("\"{etag}\"")),
        last_outcome: Some("ok".into()),
        ..SourceState::default()
    }
}

/// Source `a` applies one story with state `fetched("1")`.
fn apply_one_story(store: &Store) {
    let staged = vec![item("g1", "A story", None, "h1")];
    let dedupe = dedupe();
    store
        .apply("a", staged, &fetched("1"), now(), &dedupe, &no_topics)
        .unwrap();
}

/// `n` stories of `words` words of text that does not compress away.
fn random_text_feed(n: usize, words: usize) -> Vec<Staged> {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|i| {
            let mut s = item(
                &format!("g{i}"),
                &format!("Story number {i}"),
                Some(&format!("https://b.example/{i}")),
                &format!("h{i}"),
            );
            let text: Vec<String> = (0..words)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    format!("{:x}", seed >> 40)
                })
                .collect();
            s.item.content = Some(format!("<p>{}</p>", text.join(" ")));
            s
        })
        .collect()
}

/// Every identity, link and title entry, sorted.
fn match_entries(main: &Main) -> Vec<(u8, [u8; 16], Vec<u8>)> {
    matching::sorted(|index| matching::entries(main, index))
}

/// Two stories, and a copy of each from another source: one found by its link (with tracking
/// parameters), one by its title.
fn stories_and_copies() -> (Vec<Staged>, Vec<Staged>) {
    let stories = vec![
        item(
            "s1",
            "Women's Caucus meets in Skopje",
            Some("https://kdi.example/news/caucus"),
            "a",
        ),
        item(
            "s2",
            "Dialogue workshop on energy agreement",
            Some("https://bfpe.example/w"),
            "b",
        ),
    ];
    let copies = vec![
        item(
            "r1",
            "Caucus meeting",
            Some("http://www.kdi.example/news/caucus/"),
            "c",
        ),
        item(
            "r2",
            "Dialogue workshop on energy agreement",
            Some("https://portal.example/copy"),
            "d",
        ),
    ];
    (stories, copies)
}

fn blank_publication_entries(main: &Main) {
    let keys: Vec<_> = main
        .by_published
        .iter()
        .keys()
        .map(|k| k.unwrap())
        .collect();
    for k in keys {
        main.by_published.insert(k, &[][..]).unwrap();
    }
}

fn original() -> Staged {
    item(
        "1",
        "Women Caucus conference in Pristina",
        Some("https://bprg.example/news/1/"),
        "h",
    )
}

fn republished() -> Staged {
    item(
        "p-77",
        "Women Caucus: a conference",
        Some("http://www.bprg.example/news/1"),
        "x",
    )
}

/// [`on_section`] published `days` days before the usual date.
fn on_section_dated(title: &str, shared: bool, hash: &str, days: i64) -> Staged {
    let mut s = on_section(title, shared, hash);
    s.item.published = s.item.published.map(|p| p - Duration::days(days));
    s
}
