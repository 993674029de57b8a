use super::dedupe_keys::{link_key, title_key};
use super::disk::{enough_room, ROOM_TO_REOPEN, SEGMENT_SIZE};
use super::journal::Index;
use super::open::{REBUILDING_KEY, STATES_SCHEMA_KEY, STATES_SCHEMA_VERSION};
use super::records::{decode_item, encode_item, LZ4_RECORD, PACKED_RECORD};
use super::*;
use crate::config::DedupeConfig;
use crate::model::{Enclosure, Identity, Item, ItemId, NewItem, SourceState, TopicMatch};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::HashMap;

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

#[test]
fn within_source_identity_new_unchanged_updated() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = item(
        "a",
        "Workshop on the Brussels dialogue",
        Some("https://x.example/a"),
        "h1",
    );
    assert_eq!(apply(&store, "s1", std::slice::from_ref(&a)).new, 1);
    assert_eq!(apply(&store, "s1", std::slice::from_ref(&a)).unchanged, 1);
    let mut changed = a.clone();
    changed.item.content_hash = "h2".into();
    changed.item.title = "Workshop on the Brussels dialogue (updated)".into();
    changed.item.published = None;
    let r = apply(&store, "s1", &[changed]);
    assert_eq!(r.updated, 1);
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].title, "Workshop on the Brussels dialogue (updated)");
    // An update without a date keeps the stored date; first-seen never moves.
    assert_eq!(all[0].published, a.item.published.unwrap());
    assert_eq!(all[0].first_seen, now());
}

/// A picture the feed names apart from the text, added or changed alone, is an edit of the
/// story (it was counted unchanged, and the story kept its old picture or none).
#[test]
fn a_picture_added_alone_is_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = item(
        "a",
        "Culture night in Prizren",
        Some("https://x.example/a"),
        "h1",
    );
    assert_eq!(apply(&store, "s1", std::slice::from_ref(&a)).new, 1);
    let mut pictured = a.clone();
    pictured.item.content_hash = "h2".into();
    pictured.item.image = Some("https://x.example/a.jpg".into());
    assert_eq!(apply(&store, "s1", &[pictured]).updated, 1);
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all[0].image.as_deref(), Some("https://x.example/a.jpg"));
}

/// A feed that numbers its entries by their place (`<guid>1</guid>` is always the newest)
/// gives an old GUID to another story: with another link, title, text and a date weeks away,
/// it is stored as a new story and the older one stays as it was. The next fetch finds the
/// new one by its GUID. An edit that changes some of these (a retitle with its slug, the
/// same date) is still the story's.
#[test]
fn a_guid_given_to_another_story_keeps_the_older_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |title: &str, slug: &str, text: &str, day: u32, hash: &str| {
        let mut s = item("1", title, Some(&format!("https://x.example/{slug}")), hash);
        s.item.summary = text.into();
        s.item.published = Some(Utc.with_ymd_and_hms(2020, 2, day, 10, 0, 0).unwrap());
        s
    };
    let first = entry(
        "Workshop on the Brussels dialogue",
        "workshop",
        "Students from Pristina and Belgrade met to discuss the dialogue and its agreements.",
        1,
        "h1",
    );
    assert_eq!(apply(&store, "s1", &[first]).new, 1);
    // Retitled with a new slug, the same day and text: the story edited.
    let retitled = entry(
        "Workshop on the Brussels dialogue in Pristina",
        "workshop-pristina",
        "Students from Pristina and Belgrade met to discuss the dialogue and its agreements.",
        1,
        "h2",
    );
    let r = apply(&store, "s1", &[retitled]);
    assert_eq!((r.new, r.updated), (0, 1));
    // Weeks later, GUID 1 names another story.
    let other = entry(
        "Women's Caucus meets in Prizren",
        "caucus-prizren",
        "Members of the caucus discussed the budget for shelters with the municipality.",
        25,
        "h3",
    );
    let r = apply(&store, "s1", std::slice::from_ref(&other));
    assert_eq!((r.new, r.updated), (1, 0));
    let all = store.list(&Query::default()).unwrap();
    let titles: Vec<&str> = all.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Women's Caucus meets in Prizren",
            "Workshop on the Brussels dialogue in Pristina"
        ]
    );
    assert_eq!(
        all[1].link.as_deref(),
        Some("https://x.example/workshop-pristina")
    );
    // Known by its GUID from now on: unchanged, and an edit of it is its own.
    let r = apply(&store, "s1", std::slice::from_ref(&other));
    assert_eq!((r.new, r.updated, r.unchanged), (0, 0, 1));
    let mut edited = other.clone();
    edited
        .item
        .summary
        .push_str(" A second meeting is planned.");
    edited.item.content_hash = "h4".into();
    let r = apply(&store, "s1", &[edited]);
    assert_eq!((r.new, r.updated), (0, 1));
    assert_eq!(store.list(&Query::default()).unwrap().len(), 2);
}

/// An episode of a feed that numbers its entries by their place, short titles and no text.
fn numbered(guid: &str, n: u32) -> Staged {
    let mut s = item(
        guid,
        &format!("Episode {n}"),
        Some(&format!("https://x.example/episode-{n}")),
        &format!("h{n}"),
    );
    s.item.summary = String::new();
    s.item.published = Some(
        Utc.with_ymd_and_hms(2020, 1, 1, 10, 0, 0).unwrap() + Duration::days(9 * i64::from(n)),
    );
    s
}

/// Each poll moves every episode down one place: each episode is stored once, and none is
/// written over by the next.
#[test]
fn numbered_guids_store_each_story_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for poll in 1..=4u32 {
        let feed: Vec<Staged> = (1..=poll)
            .map(|place| numbered(&place.to_string(), poll + 1 - place))
            .collect();
        let later = now() + Duration::hours(i64::from(poll));
        let r = apply_at(&store, "s1", &feed, later);
        assert_eq!((r.new, r.updated), (1, 0), "poll {poll}: {r:?}");
    }
    let all = store.list(&Query::default()).unwrap();
    let titles: Vec<&str> = all.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["Episode 4", "Episode 3", "Episode 2", "Episode 1"]);
    // First seen when each first came, not at a later poll.
    assert!(all
        .iter()
        .all(|i| i.first_seen < now() + Duration::hours(5)));
    let first = all.iter().find(|i| i.title == "Episode 1").unwrap();
    assert_eq!(first.first_seen, now() + Duration::hours(1));
    // The same feed again: nothing new, nothing edited.
    let feed: Vec<Staged> = (1..=4u32)
        .map(|p| numbered(&p.to_string(), 5 - p))
        .collect();
    let r = apply_at(&store, "s1", &feed, now() + Duration::hours(9));
    assert_eq!((r.new, r.updated, r.unchanged), (0, 0, 4));
    // Exported and imported, the same feed is still all known.
    let (_copy, restored) = restored_copy(&store);
    let r = apply_at(&restored, "s1", &feed, now() + Duration::hours(10));
    assert_eq!((r.new, r.updated), (0, 0), "{r:?}");
    assert_eq!(restored.list(&Query::default()).unwrap().len(), 4);
}

/// Exported and imported after GUIDs were used again, the next stories are stored as their
/// own, none written over: a cache's alternation, then a numbered feed's next episodes.
#[test]
fn guids_used_again_survive_an_export_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for (poll, n) in [5, 6, 5].into_iter().enumerate() {
        apply_at(
            &store,
            "s1",
            &[numbered("1", n)],
            now() + Duration::hours(poll as i64),
        );
    }
    let (_copy, restored) = restored_copy(&store);
    let r = apply_at(
        &restored,
        "s1",
        &[numbered("1", 7)],
        now() + Duration::hours(5),
    );
    assert_eq!((r.new, r.updated), (1, 0), "{r:?}");
    let titles: Vec<String> = restored
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles, ["Episode 7", "Episode 6", "Episode 5"]);

    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let feed = |newest: u32| -> Vec<Staged> {
        (1..=newest)
            .map(|place| numbered(&place.to_string(), newest + 1 - place))
            .collect()
    };
    apply_at(&store, "s1", &feed(3), now());
    assert_eq!(
        apply_at(&store, "s1", &feed(4), now() + Duration::hours(1)).new,
        1
    );
    let (_copy, restored) = restored_copy(&store);
    let r = apply_at(&restored, "s1", &feed(6), now() + Duration::hours(2));
    assert_eq!((r.new, r.updated), (2, 0), "{r:?}");
    let all = restored.list(&Query::default()).unwrap();
    let titles: Vec<&str> = all.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Episode 6",
            "Episode 5",
            "Episode 4",
            "Episode 3",
            "Episode 2",
            "Episode 1"
        ]
    );
    let second = all.iter().find(|i| i.title == "Episode 2").unwrap();
    assert_eq!((second.first_seen, second.edited), (now(), None));
}

/// A GUID given to a story whose title is none, or the old one-word title with words added,
/// is another story all the same when its link, date and text are another's.
#[test]
fn a_guid_given_to_an_untitled_or_longer_titled_story_keeps_the_older_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |title: &str, slug: &str, text: &str, day: i64, hash: &str| {
        let mut s = item("1", title, Some(&format!("https://x.example/{slug}")), hash);
        s.item.summary = text.into();
        s.item.published = Some(now() + Duration::days(day));
        s
    };
    apply(
        &store,
        "s1",
        &[entry(
            "Announcement",
            "a",
            "The caucus meets on Monday in Prizren.",
            0,
            "h1",
        )],
    );
    let r = apply(
        &store,
        "s1",
        &[entry(
            "Announcement: the office is closed for the holidays",
            "b",
            "Our office stays closed until the new year; write to us meanwhile.",
            60,
            "h2",
        )],
    );
    assert_eq!((r.new, r.updated), (1, 0), "{r:?}");
    let r = apply(
        &store,
        "s1",
        &[entry(
            "",
            "c",
            "Musicians opened the festival in the old town.",
            120,
            "h3",
        )],
    );
    assert_eq!((r.new, r.updated), (1, 0), "{r:?}");
    assert_eq!(store.list(&Query::default()).unwrap().len(), 3);
}

/// Two press notes of one day under the section's link, titled alike and without text, each
/// under a GUID of its own: two stories (the second is no story moved to another GUID).
#[test]
fn press_notes_alike_under_one_link_with_guids_of_their_own_stay_two() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let note = |guid: &str, hash: &str| {
        let mut s = item(
            guid,
            "Saopštenje",
            Some("https://x.example/saopstenja/"),
            hash,
        );
        s.item.summary = String::new();
        s
    };
    assert_eq!(apply(&store, "s1", &[note("a", "h1")]).new, 1);
    let r = apply(&store, "s1", &[note("b", "h2"), note("a", "h1")]);
    assert_eq!((r.new, r.unchanged), (1, 1), "{r:?}");
    assert_eq!(store.list(&Query::default()).unwrap().len(), 2);
}

/// The same once the first note's GUID went to another story in an earlier fetch: the next
/// note under the section's link is a story of its own, not the first one moved.
#[test]
fn a_note_under_the_link_of_one_whose_guid_went_elsewhere_earlier_is_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut first = item(
        "a",
        "Saopštenje",
        Some("https://x.example/saopstenja/"),
        "h1",
    );
    first.item.summary = String::new();
    apply(&store, "s1", &[first]);
    let mut other = item(
        "a",
        "Culture night",
        Some("https://x.example/culture"),
        "h2",
    );
    other.item.published = other.item.published.map(|p| p + Duration::days(60));
    assert_eq!(apply(&store, "s1", std::slice::from_ref(&other)).new, 1);
    let mut next = item(
        "b",
        "Saopštenje",
        Some("https://x.example/saopstenja/"),
        "h3",
    );
    next.item.summary = "The ministry answered the caucus on the shelters' budget.".into();
    let r = apply(&store, "s1", &[next, other]);
    assert_eq!((r.new, r.updated), (1, 0), "{r:?}");
    assert_eq!(store.list(&Query::default()).unwrap().len(), 3);
}

/// A cache serving the feed as it was and as it is in turn: GUID 1 names one episode, then
/// the other, again and again. Two stories, neither written over.
#[test]
fn a_guid_naming_two_stories_in_turn_keeps_both() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for (poll, n) in [5, 6, 5, 6, 5].into_iter().enumerate() {
        let later = now() + Duration::hours(poll as i64);
        let r = apply_at(&store, "s1", &[numbered("1", n)], later);
        assert_eq!(r.new, usize::from(poll < 2), "poll {poll}: {r:?}");
        assert_eq!(r.updated, 0, "poll {poll}: {r:?}");
    }
    let all = store.list(&Query::default()).unwrap();
    let got: Vec<(&str, DateTime<Utc>)> = all
        .iter()
        .map(|i| (i.title.as_str(), i.first_seen))
        .collect();
    assert_eq!(
        got,
        [
            ("Episode 6", now() + Duration::hours(1)),
            ("Episode 5", now())
        ]
    );
}

/// A site that moves its stories to new addresses and adds its name to their titles, dated
/// anew: without text to compare, a title with words added is the story's (an edit), not
/// another story under its GUID.
#[test]
fn a_story_moved_and_retitled_with_words_added_is_the_same_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut a = item("7", "Caucus meets", Some("https://x.example/old/7"), "h1");
    a.item.summary = String::new();
    apply(&store, "s1", std::slice::from_ref(&a));
    let mut moved = a.clone();
    moved.item.title = "Caucus meets | X News".into();
    moved.item.link = Some("https://news.x.example/2020/caucus-meets".into());
    moved.item.published = a.item.published.map(|p| p + Duration::days(5));
    moved.item.content_hash = "h2".into();
    let r = apply(&store, "s1", &[moved]);
    assert_eq!((r.new, r.updated), (0, 1));
    assert_eq!(store.list(&Query::default()).unwrap().len(), 1);
}

/// The same for a partner's copy of another source's story: its GUID given to another story
/// of the partner's later is that story, stored; it was taken for the copy, unchanged, and
/// never stored.
#[test]
fn a_copys_guid_given_to_another_story_stores_that_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |guid: &str, title: &str, link: &str, text: &str, day: u32, hash: &str| {
        let mut s = item(guid, title, Some(link), hash);
        s.item.summary = text.into();
        s.item.published = Some(Utc.with_ymd_and_hms(2020, 2, day, 10, 0, 0).unwrap());
        s
    };
    let text =
        "Students from Pristina and Belgrade met to discuss the dialogue and its agreements.";
    let original = entry(
        "a",
        "Workshop on the Brussels dialogue",
        "https://org.example/workshop",
        text,
        1,
        "h1",
    );
    assert_eq!(apply(&store, "org", &[original]).new, 1);
    let copy = entry(
        "1",
        "Workshop on the Brussels dialogue",
        "https://org.example/workshop?utm_source=partner",
        text,
        1,
        "p1",
    );
    assert_eq!(apply(&store, "partner", &[copy]).duplicate, 1);
    let own = entry(
        "1",
        "Culture night in Prizren",
        "https://partner.example/culture-night",
        "Musicians and painters from the region opened the festival in the old town.",
        25,
        "p2",
    );
    let r = apply(&store, "partner", &[own]);
    assert_eq!((r.new, r.unchanged, r.updated), (1, 0, 0));
    let all = store.list(&Query::default()).unwrap();
    let got: Vec<(&str, &str)> = all.iter().map(|i| (i.title.as_str(), i.source())).collect();
    assert_eq!(
        got,
        [
            ("Culture night in Prizren", "partner"),
            ("Workshop on the Brussels dialogue", "org")
        ]
    );
}

/// A picture whose address a CDN signs or versions anew at every fetch (only its query
/// changes) is the same picture: no edit (the story's date stays), but the story takes the
/// new address, as the old one expires.
#[test]
fn a_picture_signed_anew_is_no_edit_and_takes_the_new_address() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let signed = |sig: &str, hash: &str| {
        let mut s = item(
            "a",
            "Culture night in Prizren",
            Some("https://x.example/a"),
            hash,
        );
        s.item.image = Some(format!("https://cdn.example/a.jpg?{sig}"));
        s
    };
    assert_eq!(
        apply(&store, "s1", &[signed("sig=abc&exp=1700000000", "h1")]).new,
        1
    );
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let mut later = now();
    for (sig, hash) in [("sig=def&exp=1700003600", "h2"), ("v=1764500000", "h3")] {
        later += Duration::hours(1);
        let r = apply_at(&store, "s1", &[signed(sig, hash)], later);
        assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1), "{sig}");
        let after = store.list(&Query::default()).unwrap().remove(0);
        assert_eq!(
            after.image.as_deref(),
            Some(format!("https://cdn.example/a.jpg?{sig}").as_str())
        );
        assert_eq!(
            (after.edited, after.updated_at()),
            (None, stored.updated_at())
        );
        // Its feeds show the new address: their own date moves.
        assert_eq!(
            (after.last_changed, after.content_hash.as_str()),
            (later, hash)
        );
    }
    // Known by that hash from now on.
    let r = apply_at(&store, "s1", &[signed("v=1764500000", "h3")], later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 0));
}

/// A story whose link is spelled otherwise (the site moved to https and `www.`, a trailing
/// slash) is no edit: it takes the new link, its date stays, and a partner's copy under the
/// new spelling still finds it. Another fragment or another page is an edit.
#[test]
fn a_link_spelled_otherwise_is_no_edit_and_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let at = |link: &str, hash: &str| item("a", "Culture night in Prizren", Some(link), hash);
    assert_eq!(
        apply(&store, "s1", &[at("http://x.example/a", "h1")]).new,
        1
    );
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let later = now() + Duration::hours(1);
    let r = apply_at(&store, "s1", &[at("https://www.x.example/a/", "h2")], later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1));
    let after = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(after.link.as_deref(), Some("https://www.x.example/a/"));
    assert_eq!(
        after.sources[0].link.as_deref(),
        Some("https://www.x.example/a/")
    );
    assert_eq!(
        (after.edited, after.updated_at(), after.last_changed),
        (None, stored.updated_at(), later)
    );
    // A partner's copy under the page's new address is a copy of the story.
    let copy = item(
        "p1",
        "Culture night in Prizren",
        Some("https://x.example/a/?utm_source=partner"),
        "p1",
    );
    let r = apply_at(&store, "s2", &[copy], later);
    assert_eq!((r.new, r.duplicate), (0, 1));
    // Another fragment, then another page: edits.
    let r = apply_at(
        &store,
        "s1",
        &[at("https://www.x.example/a/#part-2", "h3")],
        later,
    );
    assert_eq!((r.updated, r.refreshed), (1, 0));
    let r = apply_at(&store, "s1", &[at("https://www.x.example/b/", "h4")], later);
    assert_eq!((r.updated, r.refreshed), (1, 0));
}

/// A site that moves to a new CMS gives every story a new GUID and a new address: each entry
/// with its story's whole title, very date and text, the story's own GUID gone from the
/// feed, is that story moved (no edit: it takes the new link, and its copies find it there).
/// Under the old GUID still in the feed, or under another date, it is another story.
#[test]
fn a_site_moved_to_new_guids_and_addresses_keeps_its_stories() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let story = |guid: &str, link: &str, hash: &str| {
        let mut s = item(guid, "Raporti vjetor mbi dialogun", Some(link), hash);
        s.item.summary = long_text().into();
        s
    };
    let old = story(
        "https://x.example/?p=4411",
        "https://x.example/?p=4411",
        "h1",
    );
    assert_eq!(apply(&store, "kdi", std::slice::from_ref(&old)).new, 1);
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let later = now() + Duration::hours(1);
    let moved = story(
        "urn:uuid:7d3e",
        "https://x.example/sq/2026/12/raporti-vjetor/",
        "h2",
    );
    let r = apply_at(&store, "kdi", std::slice::from_ref(&moved), later);
    assert_eq!((r.new, r.updated, r.unchanged, r.refreshed), (0, 0, 1, 1));
    assert_eq!(store.item_count(), 1);
    let after = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(
        after.link.as_deref(),
        Some("https://x.example/sq/2026/12/raporti-vjetor/")
    );
    assert_eq!(
        (after.edited, after.updated_at()),
        (None, stored.updated_at())
    );
    // Found again under the new GUID; a partner's copy at the new address is its copy.
    let r = apply_at(&store, "kdi", std::slice::from_ref(&moved), later);
    assert_eq!((r.new, r.unchanged, r.refreshed), (0, 1, 0));
    let mut copy = story(
        "p1",
        "https://x.example/sq/2026/12/raporti-vjetor/?utm_source=partner",
        "p1",
    );
    copy.item.title = "Raporti i KDI-së".into();
    assert_eq!(apply_at(&store, "partner", &[copy], later).duplicate, 1);

    // The old entry still in the feed beside it: two stories of one title and date.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(apply(&store, "kdi", std::slice::from_ref(&old)).new, 1);
    let r = apply_at(&store, "kdi", &[moved.clone(), old.clone()], later);
    assert_eq!((r.new, r.unchanged), (1, 1));
    // Another date: another story.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(apply(&store, "kdi", std::slice::from_ref(&old)).new, 1);
    let mut next_year = moved.clone();
    next_year.item.published = old.item.published.map(|p| p + Duration::days(365));
    assert_eq!(apply_at(&store, "kdi", &[next_year], later).new, 1);

    // The day's next press release under the same title and date, over a line of
    // boilerplate, in a feed that lists the newest alone: a story of its own.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let release = |n: u32| {
        let link = format!("https://gov.example/?p={n}");
        let mut s = item(
            &link,
            "Saopštenje za javnost",
            Some(&link),
            &format!("r{n}"),
        );
        s.item.summary = "Vlada je danas izdala saopštenje.".into();
        s
    };
    assert_eq!(apply(&store, "gov", &[release(1)]).new, 1);
    let r = apply_at(&store, "gov", &[release(2)], later);
    assert_eq!((r.new, r.refreshed), (1, 0));
    // Nor with a long paragraph of boilerplate after a sentence of its own.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let long_release = |n: u32, own: &str| {
        let mut s = release(n);
        s.item.summary = format!("{own} {}", long_text());
        s
    };
    let first = long_release(1, "Ministar je primio ambasadora.");
    assert_eq!(apply(&store, "gov", &[first]).new, 1);
    let second = long_release(2, "Vlada je usvojila budžet.");
    let r = apply_at(&store, "gov", &[second], later);
    assert_eq!((r.new, r.updated, r.refreshed), (1, 0, 0));
    // Nor when only their bodies tell them apart.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let bodied = |n: u32, own: &str| {
        let mut s = long_release(n, "");
        s.item.content = Some(format!("<p>{}</p><p>{own}</p>", long_text()));
        s
    };
    assert_eq!(apply(&store, "gov", &[bodied(1, "Prvo.")]).new, 1);
    let r = apply_at(&store, "gov", &[bodied(2, "Drugo.")], later);
    assert_eq!((r.new, r.updated), (1, 0));

    // Two stories of one title and date, both moved: each is its own entry's.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let twin = |guid: &str, text: &str| {
        let mut s = story(guid, &format!("https://x.example/{guid}"), guid);
        s.item.summary = format!("{text} {}", long_text());
        s
    };
    let (a, b) = (
        "Prizren hosted the first of two panels today.",
        "Gjakova hosted the second of two panels today, with other speakers and guests.",
    );
    let r = apply(&store, "kdi", &[twin("g1", a), twin("g2", b)]);
    assert_eq!(r.new, 2);
    // (Listed in either order.)
    let r = apply_at(&store, "kdi", &[twin("n1", a), twin("n2", b)], later);
    assert_eq!((r.new, r.unchanged, r.refreshed), (0, 2, 2));
    let mut links: Vec<String> = store
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .map(|i| format!("{} {}", i.sources[0].identity.key(), i.link.unwrap()))
        .collect();
    links.sort();
    assert_eq!(
        links,
        ["g:g1 https://x.example/n1", "g:g2 https://x.example/n2"]
    );

    // The same with the same text: still one entry each.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(apply(&store, "kdi", &[twin("g1", a), twin("g2", a)]).new, 2);
    let r = apply_at(&store, "kdi", &[twin("n1", a), twin("n2", a)], later);
    assert_eq!((r.new, r.unchanged, r.refreshed), (0, 2, 2));
    let mut links: Vec<String> = store
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .map(|i| i.link.unwrap())
        .collect();
    links.sort();
    assert_eq!(links, ["https://x.example/n1", "https://x.example/n2"]);

    // A feed that still names a story its GUIDs named before has not moved: an entry under
    // a new GUID is a story of its own, as before.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let r = apply(&store, "kdi", &[old.clone(), twin("g1", a)]);
    assert_eq!(r.new, 2);
    let r = apply_at(&store, "kdi", &[moved.clone(), twin("g1", a)], later);
    assert_eq!((r.new, r.unchanged), (1, 1));
}

/// A picture at another path is another picture, whatever its query: an edit.
#[test]
fn a_picture_at_another_path_is_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut a = item(
        "a",
        "Culture night in Prizren",
        Some("https://x.example/a"),
        "h1",
    );
    a.item.image = Some("https://cdn.example/a.jpg?sig=abc".into());
    assert_eq!(apply(&store, "s1", std::slice::from_ref(&a)).new, 1);
    let mut moved = a.clone();
    moved.item.content_hash = "h2".into();
    moved.item.image = Some("https://cdn.example/b.jpg?sig=abc".into());
    let later = now() + Duration::hours(1);
    let r = apply_at(&store, "s1", &[moved], later);
    assert_eq!((r.updated, r.refreshed), (1, 0));
    let stored = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(
        stored.image.as_deref(),
        Some("https://cdn.example/b.jpg?sig=abc")
    );
    assert_eq!(stored.edited, Some(later));
    // Removed: an edit too.
    let mut removed = a.clone();
    removed.item.content_hash = "h3".into();
    removed.item.image = None;
    assert_eq!(apply_at(&store, "s1", &[removed], later).updated, 1);
}

/// The pictures in a story's text signed anew are the same pictures too: no edit, the new
/// addresses kept. Anything else changed with them is an edit.
#[test]
fn a_body_whose_pictures_were_signed_anew_is_no_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let body = |text: &str, sig: &str, hash: &str| {
        let mut s = item(
            "a",
            "Culture night in Prizren",
            Some("https://x.example/a"),
            hash,
        );
        s.item.content = Some(crate::parse::html::sanitize(
            &format!(r#"<p>{text}</p><img src="https://cdn.example/a.jpg?{sig}" alt="Stage">"#),
            None,
            None,
        ));
        s
    };
    let text = "The night opened with music.";
    apply(&store, "s1", &[body(text, "sig=abc&exp=1", "h1")]);
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let later = now() + Duration::hours(1);
    let renewed = body(text, "sig=def&exp=2", "h2");
    let r = apply_at(&store, "s1", std::slice::from_ref(&renewed), later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1));
    let after = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(after.content, renewed.item.content);
    assert!(after.content.as_deref().unwrap().contains("sig=def"));
    assert_eq!(
        (after.edited, after.updated_at()),
        (None, stored.updated_at())
    );
    // The text edited as the picture is signed anew: an edit.
    let edited = body("The night opened with a choir.", "sig=ghi&exp=3", "h3");
    let r = apply_at(&store, "s1", &[edited], later);
    assert_eq!((r.updated, r.refreshed), (1, 0));
}

/// An attachment at an address signed anew (a private podcast's `?X-Amz-Signature=…`) and a
/// video whose poster and source were signed anew are the same files: no edit, the new addresses kept.
/// Another file, or the same one of another length, is an edit.
#[test]
fn attachments_and_videos_signed_anew_are_no_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let episode = |sig: &str, length: u64, file: &str, hash: &str| {
        let mut s = item("a", "Episode 7", Some("https://x.example/ep/7"), hash);
        s.item.enclosures = vec![crate::model::Enclosure {
            url: format!("https://cdn.example/{file}?X-Amz-Signature={sig}&X-Amz-Expires=3600"),
            mime: Some("audio/mpeg".into()),
            length: Some(length),
        }];
        s.item.content = Some(crate::parse::html::sanitize(
            &format!(
                r#"<p>Talk.</p><video poster="https://cdn.example/p.jpg?sig={sig}" controls><source src="https://cdn.example/v.mp4?sig={sig}" type="video/mp4"></video>"#
            ),
            None,
            None,
        ));
        s
    };
    apply(&store, "s1", &[episode("aa", 100, "7.mp3", "h1")]);
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let later = now() + Duration::hours(1);
    let renewed = episode("bb", 100, "7.mp3", "h2");
    let r = apply_at(&store, "s1", std::slice::from_ref(&renewed), later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1));
    let after = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(after.enclosures, renewed.item.enclosures);
    assert_eq!(after.content, renewed.item.content);
    assert!(after.content.as_deref().unwrap().contains("sig=bb"));
    assert_eq!(
        (after.edited, after.updated_at()),
        (None, stored.updated_at())
    );
    // The file cut again (another length), or another file: edits.
    let r = apply_at(&store, "s1", &[episode("cc", 90, "7.mp3", "h3")], later);
    assert_eq!((r.updated, r.refreshed), (1, 0));
    let r = apply_at(&store, "s1", &[episode("dd", 90, "7b.mp3", "h4")], later);
    assert_eq!((r.updated, r.refreshed), (1, 0));
}

/// A story an earlier version stored as "(untitled)" (its entry had no title, text or link)
/// is untitled now: its entry, changed only in an attachment's signature, is no edit, and the
/// story takes the empty title with the new address.
#[test]
fn a_story_stored_as_untitled_before_is_no_edit_for_that() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let episode = |title: &str, sig: &str, hash: &str| {
        let mut s = item("ep-7", title, None, hash);
        s.item.summary = String::new();
        s.item.enclosures = vec![crate::model::Enclosure {
            url: format!("https://cdn.example/7.mp3?X-Amz-Signature={sig}"),
            mime: Some("audio/mpeg".into()),
            length: Some(100),
        }];
        s
    };
    apply(&store, "s1", &[episode("(untitled)", "aa", "h1")]);
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let later = now() + Duration::hours(1);
    let r = apply_at(&store, "s1", &[episode("", "bb", "h2")], later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1));
    let after = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(after.title, "");
    assert_eq!(
        (after.edited, after.updated_at()),
        (None, stored.updated_at())
    );
    // A publisher's own "(untitled)" replaced by a title is an edit.
    let r = apply_at(&store, "s1", &[episode("Episode 7", "bb", "h3")], later);
    assert_eq!(r.updated, 1);
    // Untitled now with nothing else changed but its raw form: counted refreshed, so that
    // its feeds are rendered again without the old words.
    let mut other = episode("(untitled)", "cc", "h4");
    other.item.identity = Identity::Guid("ep-8".into());
    apply(&store, "s1", &[other]);
    let mut again = episode("", "cc", "h5");
    again.item.identity = Identity::Guid("ep-8".into());
    let r = apply_at(&store, "s1", &[again], later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1));
}

/// A story two sources carry takes its picture from the source that leads it: the other's
/// picture signed anew changes nothing, the lead's is taken without an edit.
#[test]
fn only_the_leads_picture_signed_anew_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = Some("https://wc.example/o1");
    let copy = |source_guid: &str, picture: &str, hash: &str| {
        let mut s = item(source_guid, "Women's Caucus meets in Skopje", link, hash);
        s.item.image = Some(picture.into());
        s
    };
    let lead = "https://cdn.example/wc.jpg?sig=abc";
    assert_eq!(apply(&store, "caucus", &[copy("o1", lead, "o")]).new, 1);
    let mut theirs = copy("p1", "https://cdn.example/portal.jpg?sig=1", "p");
    theirs.item.published = Some(theirs.item.published.unwrap() + Duration::hours(9));
    assert_eq!(
        apply(&store, "portal", std::slice::from_ref(&theirs)).duplicate,
        1
    );
    let stored = store.list(&Query::default()).unwrap().remove(0);
    let later = now() + Duration::hours(1);
    theirs.item.image = Some("https://cdn.example/portal.jpg?sig=2".into());
    theirs.item.content_hash = "p2".into();
    let r = apply_at(&store, "portal", &[theirs], later);
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 0));
    assert_eq!(store.item(stored.id).unwrap().unwrap(), stored);
    let r = apply_at(
        &store,
        "caucus",
        &[copy("o1", "https://cdn.example/wc.jpg?sig=def", "o2")],
        later,
    );
    assert_eq!((r.updated, r.unchanged, r.refreshed), (0, 1, 1));
    let after = store.item(stored.id).unwrap().unwrap();
    assert_eq!(
        after.image.as_deref(),
        Some("https://cdn.example/wc.jpg?sig=def")
    );
    assert_eq!(
        (after.edited, after.updated_at()),
        (None, stored.updated_at())
    );
}

#[test]
fn same_link_from_two_sources_is_one_story_with_both_sources() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(
        &store,
        "bprg",
        &[item(
            "1",
            "Women Caucus conference in Pristina",
            Some("https://bprg.example/news/1/"),
            "h",
        )],
    );
    let r = apply(
        &store,
        "portal",
        &[item(
            "p-77",
            "Women Caucus: a conference",
            Some("http://www.bprg.example/news/1"),
            "x",
        )],
    );
    assert_eq!(r.duplicate, 1);
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 1);
    let srcs: Vec<&str> = all[0].sources.iter().map(|c| c.source.as_str()).collect();
    assert_eq!(srcs, vec!["bprg", "portal"]);
    assert_eq!(
        store
            .list(&Query {
                source: Some("portal".into()),
                ..Default::default()
            })
            .unwrap()
            .len(),
        1
    );
    // The republisher's copy seen again is unchanged, not a new duplicate.
    let again = apply(
        &store,
        "portal",
        &[item(
            "p-77",
            "Women Caucus: a conference",
            Some("http://www.bprg.example/news/1"),
            "x",
        )],
    );
    assert_eq!(again.unchanged, 1);
}

#[test]
fn same_title_within_the_window_merges_outside_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(
        &store,
        "bfpe",
        &[item(
            "1",
            "Dijalog Beograda i Prištine: šta dalje?",
            Some("https://bfpe.example/1"),
            "h",
        )],
    );
    let mut copy = item(
        "9",
        "Dijalog  Beograda i Prištine — šta dalje",
        Some("https://portal.example/9"),
        "h9",
    );
    copy.item.published = Some(copy.item.published.unwrap() + Duration::hours(9));
    assert_eq!(apply(&store, "portal", &[copy]).duplicate, 1);
    let mut late = item(
        "10",
        "Dijalog Beograda i Prištine: šta dalje?",
        Some("https://other.example/10"),
        "h10",
    );
    late.item.published = Some(late.item.published.unwrap() + Duration::days(30));
    assert_eq!(apply(&store, "other", &[late]).new, 1);
    // Short generic titles never merge.
    apply(
        &store,
        "a",
        &[item("n1", "News", Some("https://a.example/n1"), "1")],
    );
    assert_eq!(
        apply(
            &store,
            "b",
            &[item("n2", "News", Some("https://b.example/n2"), "2")]
        )
        .new,
        1
    );
}

#[test]
fn the_same_title_over_different_texts_is_two_stories() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let title = "Monthly newsletter November 2026";
    let mut a = item(
        "a1",
        title,
        Some("https://orga.example/newsletter-nov"),
        "a",
    );
    a.item.summary = "Our researchers met municipal officials in Gračanica to discuss \
        the energy agreement and its implementation, presented the findings of the survey on \
        freedom of movement to students in Prishtina, and published a policy brief on the \
        Association of Serb-majority municipalities with recommendations for both capitals."
        .into();
    apply(&store, "orga", &[a]);
    let mut b = item("b1", title, Some("https://b.example/newsletter-nov"), "b");
    b.item.summary = "The Women's Caucus held its autumn session on gender budgeting \
        with members of parliament from all parties, our culture programme opened a photo \
        exhibition in Prizren with young artists from the region, and the team welcomed two \
        new fellows who will work on media literacy in local schools next year."
        .into();
    let report = apply(&store, "orgb", &[b]);
    assert_eq!((report.new, report.duplicate), (1, 0));
    let a_feed = store
        .list(&Query {
            source: Some("orga".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(a_feed.len(), 1);
    assert_eq!(
        a_feed[0].link.as_deref(),
        Some("https://orga.example/newsletter-nov")
    );

    // A republished copy with a line of its own and the text cut short is the same story,
    // and so is one with a short blurb of its own that names the original's site.
    let mut copy = item("c1", title, Some("https://portal.example/c1"), "c");
    copy.item.summary = "Originally published by Org A. Our researchers met municipal \
        officials in Gračanica to discuss the energy agreement and its implementation, \
        presented the findings of the survey on freedom of movement to students"
        .into();
    let report = apply(&store, "portal", &[copy]);
    assert_eq!((report.new, report.duplicate), (0, 1));
    let mut blurb = item("d1", title, Some("https://digest.example/d1"), "d");
    blurb.item.summary = "Republished from our partner Orga: their news of the month.".into();
    let report = apply(&store, "digest", &[blurb]);
    assert_eq!((report.new, report.duplicate), (0, 1));
}

#[test]
fn title_keys_are_the_ones_stored_titles_were_given() {
    use super::dedupe_keys::dedupe_key;
    use unicode_normalization::UnicodeNormalization;
    // Title keys are stored: a key that changed would no longer find its story. They hash the
    // title's alphanumeric words, in canonical decomposition without combining marks (which
    // do not part words), `đ` as `dj`, lowercased, joined by single spaces (schema 11).
    let reference = |title: &str, min_chars: usize| {
        let bare: String = title
            .replace(['đ', 'Đ'], "dj")
            .nfd()
            .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
            .collect();
        let words: Vec<String> = bare
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.chars().flat_map(char::to_lowercase).collect())
            .collect();
        let key = words.join(" ");
        (key.chars().count() >= min_chars).then(|| dedupe_key(&key))
    };
    let titles = [
        "Workshop on the Brussels dialogue",
        "  ŽENSKI KOKUS — Skupština, 12. mart!  ",
        "Дијалог Београда и Приштине: ШТА ДАЉЕ?",
        "İstanbul ΣΊΣΥΦΟΣ ǅemal ß",
        "Gra\u{0308}te\u{0308} ne\u{0308} politike\u{0308}",
        "",
        "!!!",
        "a",
    ];
    // Accents aside, in either form; scripts apart.
    let key = |t: &str| title_key(t, 1);
    assert_eq!(
        key("Gratë në politikë: Kokusi i Grave Deputete"),
        key("Grate ne politike — kokusi i grave deputete")
    );
    assert_eq!(key(titles[4]), key("Gratë në politikë"));
    assert_eq!(
        key("Sastanak u Prištini o đačkim ekskurzijama"),
        key("Sastanak u Pristini o djackim ekskurzijama")
    );
    assert_ne!(
        key("Дијалог Београда и Приштине"),
        key("Dijalog Beograda i Prištine")
    );
    for title in titles {
        for min in [0, 1, 10, 30] {
            assert_eq!(
                title_key(title, min),
                reference(title, min),
                "{title:?} {min}"
            );
        }
    }
    for c in (1..=0xffffu32).filter_map(char::from_u32) {
        let title = format!("{c}Ab{c} x{c}");
        assert_eq!(
            title_key(&title, 1),
            reference(&title, 1),
            "U+{:04X}",
            u32::from(c)
        );
    }
}

#[test]
fn a_title_is_indexed_also_without_the_site_name_after_it() {
    use super::dedupe_keys::title_keys;
    let keys = |t: &str| title_keys(t, 1);
    let whole = |t: &str| title_key(t, 1);
    // No ending that may be a site's name: the whole title alone.
    assert_eq!(
        keys("Workshop on the Brussels dialogue"),
        [whole("Workshop on the Brussels dialogue"), None]
    );
    // One to four words after a spaced separator, each step, the head keeping three.
    for copy in [
        "Workshop on the Brussels dialogue | KDI",
        "Workshop on the Brussels dialogue – Kosovo Online",
        "Workshop on the Brussels dialogue - Portal | Partner",
        "Workshop on the Brussels dialogue — Kosovo Democratic Institute Prishtina",
        "Workshop on the Brussels dialogue · KDI  ",
        "Workshop on the Brussels dialogue – N1",
        "Workshop on the Brussels dialogue | Kosovo 2.0",
    ] {
        assert_eq!(
            keys(copy),
            [whole(copy), whole("Workshop on the Brussels dialogue")],
            "{copy:?}"
        );
    }
    for whole_only in [
        // Fewer than three words before, five after, no space around the separator.
        "Kosovo – Serbia",
        "Talks resume – the Kosovo Serbia dialogue continues",
        "Workshop on the Brussels dialogue|KDI",
        "Workshop on the Brussels-dialogue",
    ] {
        assert_eq!(
            keys(whole_only),
            [whole(whole_only), None],
            "{whole_only:?}"
        );
    }
    // A head under the shortest title that merges has no key; nor a trailing separator alone
    // (the head is the whole title).
    assert_eq!(
        keys("Vesti iz sveta | KDI")[1],
        title_key("Vesti iz sveta", 1)
    );
    assert_eq!(title_keys("Vesti iz sveta | KDI", 20)[1], None);
    // Nothing is taken off a title over 1,000 bytes, and at most three endings.
    let long = format!("{} | KDI", "reč ".repeat(300));
    assert_eq!(keys(&long), [whole(&long), None]);
    assert_eq!(
        keys("Workshop on the Brussels dialogue | a | b | c | d")[1],
        whole("Workshop on the Brussels dialogue | a")
    );
    assert_eq!(
        keys("Workshop on the Brussels dialogue | "),
        [whole("Workshop on the Brussels dialogue"), None]
    );
}

/// A story's text of some length (over 30 words).
fn long_text() -> &'static str {
    "Representatives of civil society from Prishtina and Belgrade met in Skopje to \
        discuss how the agreements of the Brussels dialogue are implemented in the \
        municipalities, and what citizens on both sides expect of the talks next year"
}

#[test]
fn a_copy_titled_with_a_site_name_after_it_is_the_story_either_way_round() {
    let text = long_text();
    let original = || {
        let mut s = item(
            "o1",
            "Civil society on the implementation of the Brussels agreements",
            Some("https://kdi.example/o1"),
            "o",
        );
        s.item.summary = text.into();
        s
    };
    let copy = || {
        let mut s = item(
            "p1",
            "Civil society on the implementation of the Brussels agreements | KDI",
            Some("https://portal.example/p1?utm_source=x"),
            "p",
        );
        s.item.summary = format!("Preuzeto: {text}");
        s
    };
    for (first, then) in [
        (("kdi", original()), ("portal", copy())),
        (("portal", copy()), ("kdi", original())),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        assert_eq!(apply(&store, first.0, &[first.1]).new, 1);
        let report = apply(&store, then.0, &[then.1]);
        assert_eq!(
            (report.new, report.duplicate),
            (0, 1),
            "{} after {}",
            then.0,
            first.0
        );
        assert_eq!(store.item_count(), 1);
    }
}

#[test]
fn titles_alike_only_without_their_endings_need_texts_that_agree() {
    let talks = "Talks on licence plates resume in Brussels after a pause of three months, \
        with both chief negotiators and the EU special representative at the table and the \
        question of the stickers at the crossings first on the agenda of the day";
    let exhibition = "A photo exhibition opens in Prizren this week with the work of young \
        artists from Kosovo, Serbia and Albania, showing the old town, its bridges and the \
        people who cross them every day on their way to school and work";
    let post = |guid: &str, title: &str, summary: &str| {
        let mut s = item(
            guid,
            title,
            Some(&format!("https://{guid}.example/x")),
            guid,
        );
        s.item.summary = summary.into();
        s
    };
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(
        &store,
        "bfpe",
        &[post(
            "bfpe",
            "Konferencija za medije o dijalogu – Beograd",
            "",
        )],
    );
    // Without texts, another city is another press conference; so is another text.
    let untold = apply(
        &store,
        "kdi",
        &[post(
            "kdi",
            "Konferencija za medije o dijalogu – Priština",
            "",
        )],
    );
    assert_eq!(untold.new, 1);
    apply(
        &store,
        "orga",
        &[post(
            "orga",
            "Statement of the partners on the talks | Org A",
            talks,
        )],
    );
    let other = apply(
        &store,
        "orgb",
        &[post(
            "orgb",
            "Statement of the partners on the talks | Org B",
            exhibition,
        )],
    );
    assert_eq!(other.new, 1);
    // The whole title the same: no text decides as before.
    let same = apply(
        &store,
        "portal",
        &[post(
            "portal",
            "Konferencija za medije o dijalogu – Beograd",
            "",
        )],
    );
    assert_eq!(same.duplicate, 1);
    // Nor does a line of boilerplate on both.
    let boilerplate = "Opširnije na sajtu organizacije";
    apply(
        &store,
        "bprg",
        &[post(
            "bprg",
            "Konferencija za medije o izborima – Beograd",
            boilerplate,
        )],
    );
    let read_more = apply(
        &store,
        "vlada",
        &[post(
            "vlada",
            "Konferencija za medije o izborima – Niš",
            boilerplate,
        )],
    );
    assert_eq!(read_more.new, 1);
    // Long texts that agree under titles alike only without their endings: one story.
    let told = apply(
        &store,
        "other",
        &[post(
            "other",
            "Statement of the partners on the talks – Portal",
            talks,
        )],
    );
    assert_eq!(told.duplicate, 1);
    assert_eq!(store.item_count(), 6);
}

/// Issues of a newsletter, numbered in their titles' ending, are other stories however much
/// of their text they share: a partner's copy of issue 13 is not the lead's issue 12.
#[test]
fn numbered_issues_of_a_series_stay_apart_across_sources() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let common = "In this issue of our newsletter you will find the latest news on the \
        Kosovo-Serbia dialogue, the activities of the Women Caucus in the Assembly and \
        cultural events in the region, with publications and events of our partners.";
    let issue = |guid: &str, n: u32, link: &str, highlights: &str| {
        let mut s = item(
            guid,
            &format!("Weekly newsletter of the Balkans Group – No. {n}"),
            Some(link),
            guid,
        );
        s.item.summary = format!("{common} Highlights: {highlights}");
        s
    };
    let twelve = issue(
        "o-12",
        12,
        "https://balkansgroup.example/newsletter-12/",
        "the workshop in Pristina.",
    );
    assert_eq!(apply(&store, "org", &[twelve]).new, 1);
    let copy = issue(
        "p-13",
        13,
        "https://partner.example/republished/newsletter-13",
        "the workshop in North Mitrovica.",
    );
    let r = apply(&store, "partner", &[copy]);
    assert_eq!((r.new, r.duplicate), (1, 0));
    // The lead's issue 13 then is the partner's copy's story.
    let thirteen = issue(
        "o-13",
        13,
        "https://balkansgroup.example/newsletter-13/",
        "the workshop in North Mitrovica.",
    );
    let r = apply(&store, "org", &[thirteen]);
    assert_eq!((r.new, r.duplicate), (0, 1));
    assert_eq!(store.item_count(), 2);
    // A site's name with a number in it is still a site's name: a copy under it is the story.
    let mut copy = issue(
        "k-12",
        12,
        "https://kosovo20.example/newsletter-12",
        "the workshop in Pristina.",
    );
    copy.item.title = format!("{} | Kosovo 2.0", copy.item.title);
    let r = apply(&store, "kosovo20", &[copy]);
    assert_eq!((r.new, r.duplicate), (0, 1));
    // Another part under a site's name with numbers is another part.
    let mut part = issue(
        "k-13",
        13,
        "https://kosovo20.example/newsletter-13",
        "the workshop in Pristina.",
    );
    part.item.title = "Weekly newsletter of the Balkans Group – No. 14 | Kosovo 2.0".into();
    let r = apply(&store, "kosovo20", &[part]);
    assert_eq!((r.new, r.duplicate), (1, 0));
}

#[test]
fn other_issues_are_one_marker_with_other_numbers() {
    use super::dedupe_keys::other_issues;
    let t = "Interview with the negotiators";
    for (a, b) in [
        ("– No. 12", "– No. 13"),
        ("– Part 2", "– Part 1 | Kosovo 2.0"),
        ("| 12", "| 13"),
    ] {
        assert!(
            other_issues(&format!("{t} {a}"), &format!("{t} {b}")),
            "{a} {b}"
        );
    }
    for (a, b) in [
        ("| Kosovo 2.0", "– RTV 21"),
        ("– No. 12", "– No. 12 | Kosovo 2.0"),
        ("– No. 12", ""),
        ("– December 2026", "– November 2026"),
        ("| KDI", "| Kosovo 2.0"),
    ] {
        assert!(
            !other_issues(&format!("{t} {a}"), &format!("{t} {b}")),
            "{a} {b}"
        );
    }
}

#[test]
fn a_section_pages_entries_with_titles_alike_but_for_their_ending_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |guid: &str, title: &str| {
        let mut s = item(guid, title, Some("https://kdi.example/vesti"), guid);
        s.item.summary = long_text().into();
        s
    };
    let report = apply(
        &store,
        "kdi",
        &[
            entry("c2", "Konferencija za medije o dijalogu – Niš"),
            entry("c1", "Konferencija za medije o dijalogu – Beograd"),
        ],
    );
    assert_eq!((report.new, report.duplicate), (2, 0));
}

#[test]
fn a_schema_11_store_gets_its_titles_indexed_without_site_names_and_finds_copies() {
    let dir = tempfile::tempdir().unwrap();
    let title = "Civil society on the implementation of the Brussels agreements";
    {
        let store = open(&dir);
        let mut copy = item(
            "p1",
            &format!("{title} | KDI"),
            Some("https://portal.example/p1"),
            "p",
        );
        copy.item.summary = long_text().into();
        apply(&store, "portal", &[copy]);
        // What version 11 wrote: the whole title alone.
        let main = store.main().unwrap();
        let head = super::dedupe_keys::title_keys(&format!("{title} | KDI"), 1)[1].unwrap();
        let tx = super::journal::Pending::new(main);
        tx.remove(Index::Titles, head.to_vec());
        tx.commit().unwrap();
        main.db
            .open_tree("meta")
            .unwrap()
            .insert("schema", &11u64.to_be_bytes())
            .unwrap();
        store.flush().unwrap();
    }
    let store = open(&dir);
    let main = store.main().unwrap();
    let schema = main.db.open_tree("meta").unwrap().get("schema").unwrap();
    assert_eq!(schema.as_deref(), Some(&SCHEMA_VERSION.to_be_bytes()[..]));
    assert_eq!(matching::entries(main, Index::Titles).len(), 2);
    let mut original = item("o1", title, Some("https://kdi.example/o1"), "o");
    original.item.summary = long_text().into();
    let report = apply(&store, "kdi", &[original]);
    assert_eq!((report.new, report.duplicate), (0, 1));
}

/// A schema 12 store keyed a directory's `index.html` link by its whole text: the upgrade keys
/// it as this version reads it, so that a copy under the directory's link finds the story.
#[test]
fn a_schema_12_store_gets_its_links_keyed_anew() {
    use super::dedupe_keys::{dedupe_key, link_key};
    let dir = tempfile::tempdir().unwrap();
    let link = "https://kdi.example/sq/raporti/index.html";
    let title = "Weekly newsletter of the Balkans Group – No. 12";
    let id;
    {
        let store = open(&dir);
        let mut story = item("o1", title, Some(link), "o");
        story.item.summary = long_text().into();
        apply(&store, "kdi", &[story]);
        id = store.list(&Query::default()).unwrap()[0].id;
        // What version 12 wrote: the link's whole text.
        let main = store.main().unwrap();
        let tx = super::journal::Pending::new(main);
        tx.remove(Index::Links, link_key(link).unwrap().to_vec());
        tx.insert(
            Index::Links,
            dedupe_key("kdi.example/sq/raporti/index.html"),
            &id.0[..],
        );
        tx.commit().unwrap();
        main.db
            .open_tree("meta")
            .unwrap()
            .insert("schema", &12u64.to_be_bytes())
            .unwrap();
        store.flush().unwrap();
    }
    let store = open(&dir);
    let main = store.main().unwrap();
    let schema = main.db.open_tree("meta").unwrap().get("schema").unwrap();
    assert_eq!(schema.as_deref(), Some(&SCHEMA_VERSION.to_be_bytes()[..]));
    assert_eq!(matching::entries(main, Index::Links).len(), 1);
    let mut copy = item(
        "p1",
        "Raporti i KDI-së",
        Some("https://kdi.example/sq/raporti/"),
        "p",
    );
    copy.item.summary = long_text().into();
    let report = apply(&store, "portal", &[copy]);
    assert_eq!((report.new, report.duplicate), (0, 1));
}

#[test]
fn retention_removes_both_title_entries_of_a_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(
        &store,
        "kdi",
        &[item(
            "k1",
            "Workshop on the Brussels dialogue | KDI",
            Some("https://kdi.example/k1"),
            "k",
        )],
    );
    let main = store.main().unwrap();
    assert_eq!(matching::entries(main, Index::Titles).len(), 2);
    let later = now() + Duration::days(400);
    assert_eq!(
        store
            .prune(
                Some(std::time::Duration::from_secs(86_400)),
                None,
                &[],
                later
            )
            .unwrap(),
        1
    );
    assert_eq!(matching::entries(main, Index::Titles), vec![]);
}

#[test]
fn texts_agree_on_shared_word_pairs_or_a_named_site_and_when_one_has_none() {
    use super::apply::texts_agree;
    let talks = "Talks on licence plates resume in Brussels after a pause of three months, \
        with both chief negotiators and the EU special representative at the table and the \
        question of the stickers at the crossings first on the agenda of the day";
    let exhibition = "A photo exhibition opens in Prizren this week with the work of young \
        artists from Kosovo, Serbia and Albania, showing the old town, its bridges and the \
        people who cross them every day on their way to school and work";
    let agree = |a: &str, b: &str| texts_agree(a, None, b, None);
    assert!(agree(talks, &talks.to_uppercase().replace(' ', "  ")));
    assert!(agree(talks, &format!("From our partners: {talks}")));
    assert!(!agree(talks, exhibition));
    assert!(agree("", exhibition), "no text: the title decides");
    // Short teasers are compared too.
    assert!(!agree(
        "Completely different content from organisation x about its own activities.",
        "Completely other news from the team of y on what it did this month."
    ));
    assert!(agree(
        "Our team met officials in Gračanica about the energy agreement.",
        "Our team met officials in Gračanica about the energy agreement and more."
    ));
    // A blurb that names the other copy's site.
    let original = Some("https://bfpe.example/vesti/devet-godina/");
    let copy = Some("https://portal.example/vesti/devet-godina/");
    let blurb = "Preuzeto od BFPE: prevoznici i studenti o prelasku linije.";
    assert!(texts_agree(blurb, copy, exhibition, original));
    assert!(texts_agree(exhibition, original, blurb, copy));
    assert!(!texts_agree(
        blurb,
        copy,
        exhibition,
        Some("https://other.example/x")
    ));
    // The site's own label counts, not a generic one or a public suffix.
    let teaser = "Our news of the month, from the org and its portal.";
    for other in [
        "https://news.portal.example/x",
        "https://x.org.rs/y",
        "https://portal.example/z",
    ] {
        assert!(
            !texts_agree(teaser, copy, exhibition, Some(other)),
            "{other}"
        );
    }
    assert!(texts_agree(
        "Preuzeto od BFPE.",
        copy,
        exhibition,
        Some("https://www.bfpe.org.rs/vesti/1")
    ));
    assert!(agree("…", exhibition), "an ellipsis is no text");
    // Two long texts that differ stay apart even if one names the other's site.
    assert!(!texts_agree(
        &format!("{talks} (bfpe)"),
        copy,
        exhibition,
        original
    ));
}

/// A text of the words `prefix` `from`…`to` ("a20 a21 … a40").
fn counted_words(prefix: &str, from: usize, to: usize) -> String {
    (from..=to)
        .map(|n| format!("{prefix}{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_story_rewritten_earlier_in_a_feed_is_compared_by_its_new_text() {
    use super::apply::texts_agree;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let title = "Municipal budget hearings continue next week";
    // The story's text, a copy's that agrees with it, and a later one that agrees with the
    // copy's and not with the story's first.
    let first = counted_words("a", 1, 40);
    let copy = format!(
        "{} {}",
        counted_words("a", 20, 40),
        counted_words("b", 1, 21)
    );
    let later = format!(
        "a40 {} {}",
        counted_words("b", 1, 21),
        counted_words("c", 1, 18)
    );
    let other = counted_words("d", 1, 40);
    let agree = |a: &str, b: &str| texts_agree(a, None, b, None);
    assert!(agree(&first, &copy) && agree(&copy, &later));
    assert!(!agree(&first, &later) && !agree(&first, &other));

    let mut story = item("s1", title, Some("https://alpha.example/s1"), "s");
    story.item.summary = first;
    apply(&store, "alpha", &[story]);
    let published = Utc.with_ymd_and_hms(2020, 2, 25, 10, 0, 0).unwrap();
    let entry = |guid: &str, link: &str, summary: &str, published| {
        let mut e = item(guid, title, Some(link), guid);
        e.item.summary = summary.into();
        e.item.published = Some(published);
        e
    };
    let feed = [
        // Another story under the title: compared with the story's first text.
        entry("b0", "https://beta.example/0", &other, published),
        // A copy published earlier: it takes the lead, and the story its text.
        entry(
            "b1",
            "https://beta.example/1",
            &copy,
            published - Duration::hours(1),
        ),
        // Under the copy's link, and a text of the copy's, not of the story's first: the
        // story again.
        entry(
            "b2",
            "https://beta.example/1",
            &later,
            published - Duration::hours(1),
        ),
    ];
    let report = apply(&store, "beta", &feed);
    assert_eq!((report.new, report.duplicate, report.updated), (1, 1, 1));
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 2);
    let story = all.iter().find(|s| s.carried_by("alpha")).unwrap();
    assert_eq!(story.summary, later);
}

#[test]
fn front_page_links_do_not_merge_stories() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(
        &store,
        "a",
        &[item(
            "1",
            "First story about licence plates",
            Some("https://a.example/"),
            "1",
        )],
    );
    let r = apply(
        &store,
        "b",
        &[item(
            "2",
            "Another story on the energy deal",
            Some("https://a.example/"),
            "2",
        )],
    );
    assert_eq!(r.new, 1);
}

#[test]
fn topics_and_state_are_stored_and_reopen_works() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        let a = item(
            "a",
            "Exit festival line-up announced",
            Some("https://x.example/exit"),
            "h",
        );
        let culture = |i: &crate::model::Item| {
            if i.title.contains("festival") {
                vec![TopicMatch {
                    topic: "culture".into(),
                    why: vec!["title: festival".into()],
                }]
            } else {
                vec![]
            }
        };
        let state = SourceState {
            etag: Some("\"v1\"".into()),
            ..Default::default()
        };
        store
            .apply("s", vec![a], &state, now(), &dedupe(), &culture)
            .unwrap();
    }
    let store = open(&dir);
    assert_eq!(
        store.source_state("s").unwrap().etag.as_deref(),
        Some("\"v1\"")
    );
    let culture = store
        .list(&Query {
            topic: Some("culture".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(culture.len(), 1);
    assert!(store
        .list(&Query {
            topic: Some("dialogue".into()),
            ..Default::default()
        })
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .first_seen_between(now(), now() + Duration::seconds(1))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn newest_first_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut batch = Vec::new();
    for i in 0..5 {
        let mut s = item(
            &format!("g{i}"),
            &format!("Story number {i} about culture and film"),
            Some(&format!("https://x.example/{i}")),
            "h",
        );
        s.item.published = Some(Utc.with_ymd_and_hms(2020, 1, 1 + i, 0, 0, 0).unwrap());
        batch.push(s);
    }
    apply(&store, "x", &batch);
    let got = store
        .list(&Query {
            limit: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        got.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(),
        vec![
            "Story number 4 about culture and film",
            "Story number 3 about culture and film"
        ]
    );
    assert_eq!(store.count_for_source("x"), 5);
}

#[test]
fn an_original_arriving_after_its_republished_copy_takes_the_lead() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut copy = item(
        "p1",
        "Energy agreement implementation stalls again",
        Some("https://portal.example/p1"),
        "c",
    );
    copy.item.published = Some(copy.item.published.unwrap() + Duration::hours(9));
    apply(&store, "portal", &[copy]);
    let original = item(
        "o1",
        "Energy agreement implementation stalls again",
        Some("https://bfpe.example/o1"),
        "o",
    );
    assert_eq!(
        apply(&store, "bfpe", std::slice::from_ref(&original)).duplicate,
        1
    );
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].source(), "bfpe");
    assert_eq!(all[0].link.as_deref(), Some("https://bfpe.example/o1"));
    assert_eq!(all[0].published, original.item.published.unwrap());
    assert_eq!(
        store
            .list(&Query {
                source: Some("portal".into()),
                ..Default::default()
            })
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .list(&Query {
                source: Some("bfpe".into()),
                ..Default::default()
            })
            .unwrap()
            .len(),
        1
    );
}

/// Two organisations' own posts of the same generic title and no text to compare are two
/// stories; a partner's copy with that title and no text is a copy.
#[test]
fn a_title_without_text_merges_a_partners_copy_but_not_two_organisations_posts() {
    let dedupe = DedupeConfig {
        organizations: std::sync::Arc::new(["bfpe".to_string(), "kdi".to_string()].into()),
        ..dedupe()
    };
    let title = "Konferencija za medije povodom izbora";
    let post = |guid: &str, link: &str| {
        let mut s = item(guid, title, Some(link), guid);
        s.item.summary = String::new();
        s
    };
    let apply_as =
        |store: &Store, source: &str, s: Staged| apply_deduped(store, source, s, &dedupe);
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(
        apply_as(&store, "bfpe", post("b", "https://bfpe.example/k")).new,
        1
    );
    let copy = apply_as(&store, "portal", post("p", "https://portal.example/k"));
    assert_eq!(copy.duplicate, 1);
    // Another organisation's own post, although a partner carries the first too.
    assert_eq!(
        apply_as(&store, "kdi", post("k", "https://kdi.example/k")).new,
        1
    );
    assert_eq!(store.item_count(), 2);
}

/// Two organisations' own posts under one generic title are one story only when their texts
/// tell it nearly word for word: two press notes sharing half their phrasing are two; one
/// organisation republishing the other's note word for word is a copy.
#[test]
fn two_organisations_posts_under_one_title_are_one_story_only_told_alike() {
    let dedupe = DedupeConfig {
        organizations: std::sync::Arc::new(
            ["bfpe".to_string(), "kdi".to_string(), "kipred".to_string()].into(),
        ),
        ..dedupe()
    };
    let title = "Njoftim për shtyp nga zyra jonë e komunikimit";
    let post = |guid: &str, link: &str, text: &str| {
        let mut s = item(guid, title, Some(link), guid);
        s.item.summary = text.to_string();
        s
    };
    let apply_as =
        |store: &Store, source: &str, s: Staged| apply_deduped(store, source, s, &dedupe);
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let note = "Press note of the office about a water cut.";
    assert_eq!(
        apply_as(&store, "bfpe", post("b", "https://bfpe.example/n", note)).new,
        1
    );
    let other = "Press note of the office about a new director.";
    assert_eq!(
        apply_as(&store, "kdi", post("k", "https://kdi.example/n", other)).new,
        1
    );
    // The first note, republished on a third organisation's site with a line of its own.
    let copy = format!("{note} Shared from BFPE.");
    assert_eq!(
        apply_as(
            &store,
            "kipred",
            post("c", "https://kipred.example/n", &copy)
        )
        .duplicate,
        1
    );
    assert_eq!(store.item_count(), 2);
}

/// When the original arrives after a partner's copy and takes the lead with its own date, the
/// title index dates the story by it: the title window is measured from the story's date.
#[test]
fn the_title_index_follows_the_date_of_the_copy_that_leads() {
    let dedupe = DedupeConfig {
        organizations: std::sync::Arc::new(["kdi".to_string()].into()),
        ..dedupe()
    };
    let title = "Energy agreement: the paper on implementation";
    let mut partner = item("p", title, Some("https://p.example/energy"), "p");
    partner.item.published = Some(Utc.with_ymd_and_hms(2020, 2, 23, 10, 0, 0).unwrap());
    let original = item("o", title, Some("https://kdi.example/energy"), "o");
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for (source, s) in [("portal", partner), ("kdi", original)] {
        apply_deduped(&store, source, s, &dedupe);
    }
    let main = store.main().unwrap();
    let titles = matching::entries(main, Index::Titles);
    assert_eq!(titles.len(), 1);
    let dated = keys::decode_title_entries(&titles[0].1);
    let story = store.list(&Query::default()).unwrap();
    assert_eq!(story.len(), 1);
    assert_eq!(
        story[0].published,
        Utc.with_ymd_and_hms(2020, 2, 25, 10, 0, 0).unwrap()
    );
    assert_eq!(dated, [(story[0].id, story[0].published.timestamp())]);
}

#[test]
fn an_organisations_copy_leads_a_partners_whatever_their_dates_and_order() {
    let dedupe = DedupeConfig {
        organizations: std::sync::Arc::new(["kdi".to_string()].into()),
        ..dedupe()
    };
    let title = "Energy agreement: the paper on implementation";
    let ours = || item("o1", title, Some("https://kdi.example/papers/energy"), "o");
    // The partner's copy looks an hour older (a time zone written wrong), and has a
    // paragraph of its own.
    let partners = || {
        let mut s = item("b1", title, Some("https://b.example/vesti/energy"), "b");
        s.item.published = Some(s.item.published.unwrap() - Duration::hours(1));
        s
    };
    let apply_as =
        |store: &Store, source: &str, s: Staged| apply_deduped(store, source, s, &dedupe);
    for partner_first in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        if partner_first {
            apply_as(&store, "b", partners());
            assert_eq!(apply_as(&store, "kdi", ours()).duplicate, 1);
        } else {
            apply_as(&store, "kdi", ours());
            assert_eq!(apply_as(&store, "b", partners()).duplicate, 1);
        }
        let all = store.list(&Query::default()).unwrap();
        assert_eq!(all.len(), 1, "partner first: {partner_first}");
        let story = &all[0];
        assert_eq!(story.source(), "kdi", "partner first: {partner_first}");
        assert_eq!(
            story.link.as_deref(),
            Some("https://kdi.example/papers/energy")
        );
        assert_eq!(story.published, ours().item.published.unwrap());
        let carriers: Vec<&str> = story.sources.iter().map(|c| c.source.as_str()).collect();
        assert_eq!(carriers, ["kdi", "b"]);
    }
    // Between two partners the copy published first still leads.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply_as(&store, "c", ours());
    apply_as(&store, "b", partners());
    assert_eq!(store.list(&Query::default()).unwrap()[0].source(), "b");
}

#[test]
fn a_story_another_source_starts_carrying_counts_as_changed_then() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let original = item(
        "o1",
        "Women's Caucus meets in Skopje",
        Some("https://wc.example/o1"),
        "o",
    );
    apply(&store, "caucus", &[original]);
    let first = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(first.last_changed, now());
    // Republished a day later by another source, under the same link.
    let mut copy = item(
        "p1",
        "Women's Caucus meets in Skopje",
        Some("https://wc.example/o1"),
        "c",
    );
    copy.item.published = Some(copy.item.published.unwrap() + Duration::hours(9));
    let later = now() + Duration::days(1);
    let report = apply_at(&store, "portal", &[copy], later);
    assert_eq!(report.duplicate, 1);
    let story = store.item(first.id).unwrap().unwrap();
    assert_eq!(story.sources.len(), 2);
    assert_eq!(story.source(), "caucus", "the original keeps the lead");
    // Its entries now name the second carrier: readers see it as updated then.
    assert_eq!(story.last_changed, later);
    assert_eq!(story.first_seen, first.first_seen);
    assert_eq!(story.published, first.published);
}

#[test]
fn reclassify_rewrites_topics_and_counts_changes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let batch: Vec<Staged> = (0..5)
        .map(|i| {
            item(
                &format!("g{i}"),
                &format!("Story {i} on the licence plates deal"),
                Some(&format!("https://x.example/{i}")),
                "h",
            )
        })
        .collect();
    apply(&store, "x", &batch);
    let changed_at = |store: &Store| -> Vec<(String, DateTime<Utc>)> {
        let mut all: Vec<_> = store
            .list(&Query::default())
            .unwrap()
            .into_iter()
            .map(|i| (i.title, i.last_changed))
            .collect();
        all.sort();
        all
    };
    let before = changed_at(&store);
    let calls = std::cell::Cell::new(0);
    let (total, changed) = store
        .reclassify(
            |item| {
                if item.title.contains('3') {
                    vec![TopicMatch {
                        topic: "dialogue".into(),
                        why: vec!["title: \"licence plates\"".into()],
                    }]
                } else {
                    vec![]
                }
            },
            |done, all| {
                calls.set(calls.get() + 1);
                assert!(done <= all);
            },
        )
        .unwrap();
    assert_eq!((total, changed), (5, 1));
    assert!(calls.get() >= 1);
    let dialogue = store
        .list(&Query {
            topic: Some("dialogue".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(dialogue.len(), 1);
    assert!(dialogue[0].title.contains('3'));
    // The story that moved counts as changed (its categories did), the others do not.
    let after = changed_at(&store);
    for ((title, was), (_, is)) in before.iter().zip(&after) {
        if title.contains('3') {
            assert!(is > was, "{title}: {was} → {is}");
        } else {
            assert_eq!(is, was, "{title}");
        }
    }
    // Same rules again: nothing changes.
    assert_eq!(
        store.reclassify(|i| i.topics.clone(), |_, _| {}).unwrap(),
        (5, 0)
    );
}

#[test]
fn reclassify_writes_in_batches_and_every_story_gets_its_topics() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    // ~2 KB records, batches of ~8 KB: a dozen batches.
    apply(&store, "x", &random_text_feed(50, 300));
    let before = store.main().unwrap().items.checksum().unwrap();
    let dialogue = |item: &Item| {
        vec![TopicMatch {
            topic: "dialogue".into(),
            why: vec![format!("title: {:?}", item.title)],
        }]
    };
    let (total, changed, batches) = store
        .reclassify_in_batches(8 << 10, dialogue, |_, _| {})
        .unwrap();
    assert_eq!((total, changed), (50, 50));
    assert!((10..=15).contains(&batches), "{batches} batches");
    assert_ne!(store.main().unwrap().items.checksum().unwrap(), before);
    drop(store);
    let store = open(&dir);
    let tagged = store
        .list(&Query {
            topic: Some("dialogue".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(tagged.len(), 50);
    assert!(tagged
        .iter()
        .all(|i| i.topics[0].why == [format!("title: {:?}", i.title)]));
    assert_eq!(
        store.reclassify(|i| i.topics.clone(), |_, _| {}).unwrap(),
        (50, 0)
    );
}

#[test]
fn reclassify_drops_the_reasons_older_versions_stored_without_counting_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(&store, "x", &random_text_feed(5, 50));
    let topics = |reasons: bool| {
        move |_: &Item| {
            vec![TopicMatch {
                topic: "culture".into(),
                why: if reasons {
                    vec!["summary: \"kultur*\" (+1.0)".into()]
                } else {
                    Vec::new()
                },
            }]
        }
    };
    // As earlier versions stored stories: with their reasons.
    assert_eq!(store.reclassify(topics(true), |_, _| {}).unwrap(), (5, 5));
    let all = Query::default();
    assert!(store
        .list(&all)
        .unwrap()
        .iter()
        .all(|i| !i.topics[0].why.is_empty()));
    // The same topics without reasons, as stories are stored now: no story changed topics,
    // and every record is rewritten without its reasons.
    assert_eq!(store.reclassify(topics(false), |_, _| {}).unwrap(), (5, 0));
    let stored = store.list(&all).unwrap();
    assert_eq!(stored.len(), 5);
    assert!(stored
        .iter()
        .all(|i| i.topics.len() == 1 && i.topics[0].why.is_empty()));
}

#[test]
fn stories_of_one_source_sharing_a_section_link_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let section = Some("https://balkansgroup.example/sq/lajme/");
    let r = apply(
        &store,
        "bprg-sq",
        &[
            item("g1", "Takimi i parë për targat e automjeteve", section, "1"),
            item("g2", "Konferenca e Grupit të Grave Deputete", section, "2"),
        ],
    );
    assert_eq!(r.new, 2);
    assert_eq!(store.item_count(), 2);
    // Another source's entry linking to that page, with a title and text of its own (a
    // roundup), is a story of its own, not a copy of the first story under that link.
    assert_eq!(
        apply(
            &store,
            "portal",
            &[item("p", "Lajmet e javës nga Ballkani", section, "p")]
        )
        .new,
        1
    );
    assert_eq!(store.item_count(), 3);
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

#[test]
fn entries_without_guids_sharing_a_link_stay_apart_as_they_come_and_go() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (a, b, c) = (PLATES, CAUCUS, EXHIBITION);
    let counts = |r: ApplyReport| (r.new, r.updated, r.unchanged, r.duplicate);
    assert_eq!(
        counts(apply(&store, "bprg-sq", &[on_section(a, false, "a")])),
        (1, 0, 0, 0)
    );
    // A second story on the page: the first is the entry it was, the second a story of its own.
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section(b, true, "b"), on_section(a, true, "a")],
    );
    assert_eq!(counts(r), (1, 0, 1, 0));
    // The first leaves the feed: the second, now alone on the link, is still its own story.
    assert_eq!(
        counts(apply(&store, "bprg-sq", &[on_section(b, false, "b")])),
        (0, 0, 1, 0)
    );
    assert_eq!(
        counts(apply(&store, "bprg-sq", &[on_section(a, false, "a")])),
        (0, 0, 1, 0)
    );
    // A page that lists one story at a time: the next is a story, not an edit of the last.
    assert_eq!(
        counts(apply(&store, "bprg-sq", &[on_section(c, false, "c")])),
        (1, 0, 0, 0)
    );
    assert_eq!(stored_titles(&store), [c, b, a]);
    // A text edited is an edit; a title changed is a story of its own (nothing tells it from
    // the page's next story), the old one kept.
    let mut longer = on_section(b, false, "b2");
    longer.item.summary = "Deputetet e Grupit të Grave mbajtën konferencën e tyre vjetore.".into();
    assert_eq!(counts(apply(&store, "bprg-sq", &[longer])), (0, 1, 0, 0));
    let mended = "Takimi i parë për targat e automjeteve në Bruksel";
    assert_eq!(
        counts(apply(&store, "bprg-sq", &[on_section(mended, false, "a2")])),
        (1, 0, 0, 0)
    );
    assert_eq!(stored_titles(&store), [c, b, a, mended]);
    let stored = store.list(&Query::default()).unwrap();
    let second = stored.iter().find(|i| i.title == b).unwrap();
    assert!(
        second.summary.starts_with("Deputetet"),
        "{}",
        second.summary
    );
    // Another source's copy of the page's first story is still found by its title.
    assert_eq!(
        apply(&store, "portal", &[item("p1", c, Some(SECTION), "p1")]).duplicate,
        1
    );
    assert_eq!(store.item_count(), 4);
}

#[test]
fn entries_without_guids_first_seen_sharing_a_link_keep_their_edits_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (a, b) = ("Takimi i parë për targat", "Konferenca e Grupit të Grave");
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section(a, true, "a"), on_section(b, true, "b")],
    );
    assert_eq!(r.new, 2);
    let mut edited = on_section(a, true, "a2");
    edited.item.summary = "Një përmbledhje e re e takimit.".into();
    let r = apply(&store, "bprg-sq", &[on_section(b, true, "b"), edited]);
    assert_eq!((r.new, r.updated, r.unchanged), (0, 1, 1));
    assert_eq!(stored_titles(&store), [b, a]);
    // Each left alone on the link in turn: the story it is.
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section(b, false, "b")]).unchanged,
        1
    );
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section(a, false, "a2")]).unchanged,
        1
    );
    assert_eq!(store.item_count(), 2);
}

#[test]
fn a_source_that_gives_its_stories_new_guids_carries_the_same_stories() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = Some("https://balkansgroup.example/sq/lajme/takimi/");
    let title = PLATES;
    assert_eq!(
        apply(&store, "bprg-sq", &[item("g1", title, link, "1")]).new,
        1
    );
    // The site moved to another CMS: the same entry under a new GUID, then another. Its
    // own story, unchanged: no republished copy of it.
    for guid in ["https://balkansgroup.example/?p=17", "post-17"] {
        let r = apply(&store, "bprg-sq", &[item(guid, title, link, "2")]);
        assert_eq!((r.new, r.duplicate, r.unchanged), (0, 0, 1), "{guid}");
    }
    assert_eq!(store.item_count(), 1);
    // A new GUID on the same link with another title is another story (a section page).
    let r = apply(&store, "bprg-sq", &[item("g9", CAUCUS, link, "3")]);
    assert_eq!(r.new, 1);
    // So is one with the same title and a text of its own (a recurring post on one page).
    let mut weekly = item("g10", title, link, "4");
    weekly.item.summary = "Një tekst krejt tjetër për një javë tjetër, me lajme të reja nga \
        Prishtina, Beogradi, Tirana dhe Shkupi, për kulturën, gratë deputete dhe bisedimet e \
        Brukselit që vazhdojnë këtë javë me takime të reja teknike dhe politike."
        .into();
    let mut first = item("g1", title, link, "1");
    first.item.summary = "Takimi i parë për targat e automjeteve u mbajt në Bruksel, ku \
        negociatorët diskutuan zbatimin e marrëveshjes për lëvizjen e lirë, targat dhe \
        dokumentet e udhëtimit, me pjesëmarrjen e ndërmjetësit të Bashkimit Evropian."
        .into();
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(apply(&store, "bprg-sq", &[first]).new, 1);
    assert_eq!(apply(&store, "bprg-sq", &[weekly]).new, 1);

    // A recurring post on one page, title alone, a year later, is another story too.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let press = Some("https://balkansgroup.example/press/");
    let mut briefing = item("b1", "Weekly press briefing of the group", press, "1");
    briefing.item.summary = String::new();
    assert_eq!(apply(&store, "bprg", &[briefing.clone()]).new, 1);
    briefing.item.identity = Identity::Guid("b2".into());
    briefing.item.published = Some(Utc.with_ymd_and_hms(2021, 4, 1, 10, 0, 0).unwrap());
    assert_eq!(apply(&store, "bprg", &[briefing]).new, 1);
}

#[test]
fn undated_entries_keep_the_order_of_their_feed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entries: Vec<Staged> = (1..=6)
        .map(|i| {
            let mut s = item(
                &format!("u{i}"),
                &format!("Undated story number {i} of the feed"),
                Some(&format!("https://undated.example/{i}")),
                "h",
            );
            s.item.published = None;
            s
        })
        .collect();
    assert_eq!(apply(&store, "u", &entries).new, 6);
    let listed = store.list(&Query::default()).unwrap();
    let titles: Vec<&str> = listed.iter().map(|i| i.title.as_str()).collect();
    let expected: Vec<String> = (1..=6)
        .map(|i| format!("Undated story number {i} of the feed"))
        .collect();
    assert_eq!(titles, expected);
    assert!(listed.iter().all(|i| i.date_inferred));
    assert_eq!(listed[0].published, now());
    assert_eq!(listed[5].published, now() - chrono::Duration::seconds(5));
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

#[test]
fn prune_removes_old_and_excess_stories_and_their_indexes_and_keeps_tombstones() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let batch = six_dated_stories();
    apply(&store, "x", &batch);
    // Story 5 is also carried by another source: never pruned for a per-source limit.
    apply(
        &store,
        "y",
        &[item(
            "y5",
            "Story 5 about the energy agreement talks",
            Some("https://x.example/5"),
            "h",
        )],
    );
    let now = Utc.with_ymd_and_hms(2020, 1, 10, 0, 0, 0).unwrap();
    let sources = vec!["x".to_string(), "y".to_string()];
    // Older than seven and a half days: stories 0 and 1 (published Jan 1 and 2).
    let removed = store
        .prune(
            Some(std::time::Duration::from_secs(7 * 86400 + 43200)),
            None,
            &sources,
            now,
        )
        .unwrap();
    assert_eq!(removed, 2);
    // At most 2 per source: of 2..5, story 5 has two carriers, so 2 and 3 go.
    let removed = store.prune(None, Some(2), &sources, now).unwrap();
    assert_eq!(removed, 2);
    let left: Vec<String> = store
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(
        left,
        vec![
            "Story 5 about the energy agreement talks",
            "Story 4 about the energy agreement talks"
        ]
    );
    assert_eq!(store.count_for_source("x"), 2);
    assert_eq!(
        store
            .first_seen_between(now - Duration::days(3650), now + Duration::days(3650))
            .unwrap()
            .len(),
        2
    );
    // The removed stories' identities left memory for the `gone` tree.
    let main = store.main().unwrap();
    assert_eq!(matching::entries(main, Index::Idents).len(), 3);
    assert_eq!(main.gone.len(), 4);
    // The same feed again stores nothing: pruned identities are tombstones, on disk.
    let again = apply(&store, "x", &batch);
    assert_eq!(again.new, 0);
    assert_eq!(again.unchanged, 6);
    assert_eq!(store.item_count(), 2);
    let keys: Vec<(&Identity, &str)> = batch
        .iter()
        .map(|s| (&s.item.identity, s.item.content_hash.as_str()))
        .collect();
    assert!(store.unchanged("x", &keys).unwrap().iter().all(|u| *u));
    // A pruned entry that changed stays out too, and its tombstone takes the new hash.
    let mut edited = batch[0].clone();
    edited.item.content_hash = "h2".into();
    let again = apply(&store, "x", &[edited.clone()]);
    assert_eq!((again.new, again.unchanged), (0, 1));
    assert_eq!(
        store
            .unchanged("x", &[(&edited.item.identity, "h2")])
            .unwrap(),
        [true]
    );
    assert_eq!(matching::entries(main, Index::Idents).len(), 3);
    // A pruned link no longer matches: another source's copy of story 0 is a new story.
    assert_eq!(
        apply(
            &store,
            "z",
            &[item(
                "z0",
                "A different title for the same page",
                Some("https://x.example/0"),
                "z"
            )]
        )
        .new,
        1
    );
}

#[test]
fn pruned_stories_stay_pruned_after_an_export_and_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let batch = six_dated_stories();
    apply(&store, "x", &batch);
    // The same source's entry for story 0 under another identity, found by its link: an
    // identity of the story that is not its carrier's, which prune leaves in the index.
    let mut other = batch[0].clone();
    other.item.identity = Identity::Hash("story-0".into());
    assert_eq!(
        apply(&store, "x", std::slice::from_ref(&other)).unchanged,
        1
    );
    // Older than seven and a half days: stories 0 and 1.
    let now = Utc.with_ymd_and_hms(2020, 1, 10, 0, 0, 0).unwrap();
    let removed = store
        .prune(
            Some(std::time::Duration::from_secs(7 * 86400 + 43200)),
            None,
            &["x".to_string()],
            now,
        )
        .unwrap();
    assert_eq!(removed, 2);
    let main = store.main().unwrap();
    assert_eq!(main.gone.len(), 2);
    assert_eq!(matching::entries(main, Index::Idents).len(), 5);
    assert_eq!(
        apply(&store, "x", std::slice::from_ref(&other)).unchanged,
        1
    );

    // The export holds the three tombstones and counts them in its end line.
    let mut export = Vec::new();
    let counts = store.export(&mut export, &|_| {}).unwrap();
    assert_eq!(
        counts,
        backup::Counts {
            sources: 1,
            items: 4,
            digests: 0,
            tombstones: 3,
        }
    );
    let text = String::from_utf8(export).unwrap();
    let tombstone = |l: &&str| l.contains(r#""kind":"tombstone""#);
    assert_eq!(text.lines().filter(tombstone).count(), 3);
    assert!(text.lines().next().unwrap().contains(r#""format":3"#));
    assert!(
        text.lines().last().unwrap().contains(r#""tombstones":3"#),
        "{text}"
    );

    // Restored, the same feed stores nothing again: the pruned stories stay pruned.
    let other_dir = tempfile::tempdir().unwrap();
    let restored = open(&other_dir);
    assert_eq!(
        restored.import(&mut text.as_bytes(), &|_| {}).unwrap(),
        counts
    );
    assert_eq!(restored.main().unwrap().gone.len(), 3);
    let again = apply(&restored, "x", &batch);
    assert_eq!((again.new, again.unchanged), (0, 6));
    assert_eq!(
        apply(&restored, "x", std::slice::from_ref(&other)).unchanged,
        1
    );
    assert_eq!(restored.item_count(), 4);
    let keys: Vec<(&Identity, &str)> = batch
        .iter()
        .chain([&other])
        .map(|s| (&s.item.identity, s.item.content_hash.as_str()))
        .collect();
    assert!(restored.unchanged("x", &keys).unwrap().iter().all(|u| *u));
    // Exported again, the tombstones are the same (all in the `gone` tree now).
    let mut second = Vec::new();
    restored.export(&mut second, &|_| {}).unwrap();
    let second = String::from_utf8(second).unwrap();
    assert!(text
        .lines()
        .filter(tombstone)
        .eq(second.lines().filter(tombstone)));

    // The end line counts the tombstones: one missing is told.
    let first = text.lines().find(tombstone).unwrap();
    let short: String = text
        .lines()
        .filter(|l| *l != first)
        .map(|l| format!("{l}\n"))
        .collect();
    let err = open(&tempfile::tempdir().unwrap())
        .import(&mut short.as_bytes(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("3 tombstones, but 1, 4, 0 and 2 came before it"),
        "{err}"
    );

    // An export of format 2 (no tombstones; an end line that does not count them) imports as
    // it did: the stories without the tombstones it could not hold.
    let old: String = text
        .lines()
        .filter(|l| !tombstone(l))
        .map(|l| {
            let l = l
                .replace(r#""format":3"#, r#""format":2"#)
                .replace(r#","tombstones":3"#, "");
            format!("{l}\n")
        })
        .collect();
    assert!(!old.contains("tombstone"), "{old}");
    let old_dir = tempfile::tempdir().unwrap();
    let from_old = open(&old_dir);
    assert_eq!(
        from_old.import(&mut old.as_bytes(), &|_| {}).unwrap(),
        backup::Counts {
            tombstones: 0,
            ..counts
        }
    );
    assert_eq!(from_old.item_count(), 4);
    assert!(from_old.main().unwrap().gone.is_empty());
    assert_eq!(apply(&from_old, "x", &batch).new, 2);
}

#[test]
fn states_without_items_are_read_at_once_and_written_in_one_batch_on_flush_or_close() {
    let dir = tempfile::tempdir().unwrap();
    let state = |outcome: &str| SourceState {
        last_outcome: Some(outcome.into()),
        etag: Some(format!("\"{outcome}\"")),
        ..SourceState::default()
    };
    {
        let store = open(&dir);
        store.put_source_state("a", &state("not-modified")).unwrap();
        store.put_source_state("b", &state("error")).unwrap();
        assert_eq!(store.source_state("a").unwrap(), state("not-modified"));
        assert!(store.states.written("a").is_none(), "kept in memory");
        store.flush().unwrap();
        assert!(store.states.written("a").is_some(), "written by flush");

        // A feed applied later writes its own state; an older pending one must not win.
        store.put_source_state("b", &state("unchanged")).unwrap();
        let applied = state("ok");
        store
            .apply(
                "b",
                vec![item("g1", "A story", None, "h1")],
                &applied,
                now(),
                &dedupe(),
                &no_topics,
            )
            .unwrap();
        store.flush().unwrap();
        assert_eq!(store.source_state("b").unwrap(), applied);

        // Dropped without a flush: written on close.
        store.put_source_state("c", &state("not-modified")).unwrap();
    }
    let store = open(&dir);
    assert_eq!(store.source_state("a").unwrap(), state("not-modified"));
    assert_eq!(
        store.source_state("b").unwrap().last_outcome.as_deref(),
        Some("ok")
    );
    assert_eq!(store.source_state("c").unwrap(), state("not-modified"));
}

/// sled's snapshot file is named after the last log position it covers.
fn snapshot_position(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().ok()?;
            u64::from_str_radix(name.strip_prefix("snap.")?, 16).ok()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn a_checkpoint_records_what_was_written_in_a_snapshot_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(&dir);
    let store = Store::open(&config).unwrap();
    let before = snapshot_position(&config.path);
    let items: Vec<Staged> = (0..200)
        .map(|i| {
            item(
                &format!("g{i}"),
                &format!("Story number {i}"),
                Some(&format!("https://a.example/{i}")),
                "h",
            )
        })
        .collect();
    assert_eq!(apply(&store, "a", &items).new, 200);
    drop(store);
    // Nothing but an open writes a snapshot: what was just written is not in one yet.
    assert_eq!(snapshot_position(&config.path), before);

    Store::checkpoint(&config).unwrap();
    let after = snapshot_position(&config.path);
    assert!(after > before, "snapshot at {after}, was {before}");
    let store = Store::open(&config).unwrap();
    assert_eq!(store.item_count(), 200);
    assert_eq!(snapshot_position(&config.path), after);
}

#[test]
fn a_story_is_listed_again_when_another_source_first_carries_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (t1, t2) = (now(), now() + Duration::days(2));
    let dedupe = dedupe();
    let state = SourceState::default();
    let story = |guid: &str| item(guid, "Talks resume", Some("https://a.example/talks"), "h");
    store
        .apply("a", vec![story("a1")], &state, t1, &dedupe, &no_topics)
        .unwrap();
    let report = store
        .apply("b", vec![story("b1")], &state, t2, &dedupe, &no_topics)
        .unwrap();
    assert_eq!(report.duplicate, 1);
    let hour = Duration::hours(1);
    let titles = |store: &Store, from, to| -> Vec<String> {
        store
            .first_seen_between(from, to)
            .unwrap()
            .into_iter()
            .map(|i| i.title)
            .collect()
    };
    assert_eq!(titles(&store, t1 - hour, t1 + hour), vec!["Talks resume"]);
    assert_eq!(titles(&store, t2 - hour, t2 + hour), vec!["Talks resume"]);
    assert_eq!(titles(&store, t1 - hour, t2 + hour), vec!["Talks resume"]);

    // An export restores both entries; pruning the story removes both.
    let (_other, restored) = restored_copy(&store);
    assert_eq!(
        titles(&restored, t2 - hour, t2 + hour),
        vec!["Talks resume"]
    );
    let removed = store
        .prune(
            Some(std::time::Duration::from_secs(3600)),
            None,
            &["a".into(), "b".into()],
            t2 + Duration::days(30),
        )
        .unwrap();
    assert_eq!(removed, 1);
    assert!(titles(&store, t1 - hour, t2 + hour).is_empty());
    assert!(store.main().unwrap().by_seen.is_empty());
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

/// What schema version 1 wrote at `path`: source `a`'s state in the stories' database.
fn schema_1_store(path: &std::path::Path) -> sled::Db {
    let db = sled::Config::new()
        .path(path)
        .segment_size(SEGMENT_SIZE)
        .open()
        .unwrap();
    let meta = db.open_tree("meta").unwrap();
    meta.insert("schema", &1u64.to_be_bytes()).unwrap();
    let sources = db.open_tree("sources").unwrap();
    let state = serde_json::to_vec(&fetched("v1")).unwrap();
    sources.insert("a", state).unwrap();
    db.flush().unwrap();
    db
}

#[test]
fn a_schema_1_store_moves_its_source_states_to_their_own_database() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    drop(schema_1_store(&cfg.path));
    {
        let store = Store::open(&cfg).unwrap();
        assert_eq!(store.source_state("a").unwrap(), fetched("v1"));
        let main = store.main().unwrap();
        let schema = main.db.open_tree("meta").unwrap().get("schema").unwrap();
        assert_eq!(schema.as_deref(), Some(&SCHEMA_VERSION.to_be_bytes()[..]));
        assert!(
            !main
                .db
                .tree_names()
                .iter()
                .any(|n| n.as_ref() == b"sources"),
            "the old tree is dropped once its states are copied"
        );
    }
    // Read from the states' database alone from now on.
    let store = Store::open_lazy(&cfg).unwrap();
    assert_eq!(store.source_state("a").unwrap(), fetched("v1"));
    assert!(store.main.get().is_none());
}

#[test]
fn a_lazy_store_opens_the_stories_only_when_they_are_needed() {
    let dir = tempfile::tempdir().unwrap();
    apply_one_story(&open(&dir));
    let store = Store::open_lazy(&config(&dir)).unwrap();
    assert_eq!(store.source_state("a").unwrap(), fetched("1"));
    store.put_source_state("a", &fetched("2")).unwrap();
    store.flush().unwrap();
    assert!(
        store.main.get().is_none(),
        "reading and writing states leaves the stories closed"
    );
    assert_eq!(store.item_count(), 1);
    assert!(store.main.get().is_some());
    drop(store);
    assert_eq!(open(&dir).source_state("a").unwrap(), fetched("2"));
}

#[test]
fn a_feeds_state_is_recorded_after_its_stories_are_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply_one_story(&store);
    assert_eq!(store.item_count(), 1);
    assert!(
        store.states.written("a").is_none(),
        "validators wait for the next batch of states"
    );
    assert_eq!(store.source_state("a").unwrap(), fetched("1"));
    store.flush().unwrap();
    assert_eq!(store.states.written("a"), Some(fetched("1")));
}

#[test]
fn a_states_database_of_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        let meta = store.states_db.open_tree("meta").unwrap();
        meta.insert("schema", &9u64.to_be_bytes()).unwrap();
    }
    match Store::open_lazy(&config(&dir)) {
        Err(StoreError::Schema { found: 9, .. }) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("opened a newer store"),
    }
}

/// A store whose first process was killed after sled wrote its trees' names and before the
/// schema versions is a new store, not a damaged one; with a tree that holds anything, or
/// states that vouch for stories, it is damage.
#[test]
fn a_store_killed_before_its_schema_was_written_opens_as_new() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    // As this build's first process leaves it: the creation mark, then the trees' names.
    let created = |path: &std::path::Path, trees: &[&str], write: Option<&str>| {
        std::fs::create_dir_all(path).unwrap();
        std::fs::write(path.join("creating"), b"").unwrap();
        let db = sled::open(path).unwrap();
        for name in trees {
            let tree = db.open_tree(name).unwrap();
            if write == Some(*name) {
                tree.insert("k", "v").unwrap();
            }
        }
        db.flush().unwrap();
    };
    created(
        &cfg.path.join("states"),
        &["meta", "source_states", "served"],
        None,
    );
    created(&cfg.path, &["items", "meta", "journal"], None);
    let store = Store::open(&cfg).unwrap();
    assert_eq!(store.item_count(), 0);
    apply_one_story(&store);
    drop(store);
    assert_eq!(Store::open(&cfg).unwrap().item_count(), 1);

    for (states, main) in [(Some("source_states"), None), (None, Some("items"))] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(&dir);
        created(&cfg.path.join("states"), &["meta", "source_states"], states);
        if main.is_some() {
            created(&cfg.path, &["items", "meta"], main);
        }
        match Store::open(&cfg) {
            Err(StoreError::Damaged { detail, .. }) => {
                assert!(detail.contains("no schema version"), "{detail}")
            }
            Err(e) => panic!("wrong error: {e}"),
            Ok(_) => panic!("opened a store with data and no schema"),
        }
    }
    assert!(!cfg.path.join("creating").exists());
    assert!(!cfg.path.join("states/creating").exists());
    // A log that held stories but opens with every tree empty (damaged near its start, the
    // states' folder removed) is damage, not a new store: no creation was under way.
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    {
        let db = sled::open(&cfg.path).unwrap();
        let items = db.open_tree("items").unwrap();
        for n in 0..200u32 {
            items.insert(n.to_be_bytes(), vec![7u8; 2000]).unwrap();
        }
        items.clear().unwrap();
        db.open_tree("meta").unwrap();
        db.flush().unwrap();
    }
    assert!(matches!(Store::open(&cfg), Err(StoreError::Damaged { .. })));
}

#[test]
fn a_missing_stories_database_is_damage_when_states_vouch_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    apply_one_story(&open(&dir));
    let saved = std::fs::read(cfg.path.join("db")).unwrap();
    std::fs::remove_file(cfg.path.join("db")).unwrap();
    let store = Store::open_lazy(&cfg).unwrap();
    assert_eq!(store.source_state("a").unwrap(), fetched("1"));
    match store.main() {
        Err(StoreError::Damaged { detail, .. }) => assert!(detail.contains("missing"), "{detail}"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("an empty stories' database under the old validators"),
    }
    assert!(
        !cfg.path.join("db").exists(),
        "nothing created in its place"
    );
    // Found damaged once, it stays so for this handle: the next source of a fetch that has
    // something to store does not read the store again.
    std::fs::write(cfg.path.join("db"), saved).unwrap();
    assert!(matches!(store.main(), Err(StoreError::Damaged { .. })));
    drop(store);
    assert_eq!(Store::open_lazy(&cfg).unwrap().item_count(), 1);
}

#[test]
fn an_upgrade_that_could_not_open_the_stories_is_done_on_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    let v1 = schema_1_store(&cfg.path);
    // Another handle holds the stories' database: the first open fails…
    assert!(matches!(
        Store::open_lazy(&cfg),
        Err(StoreError::Locked { .. })
    ));
    drop(v1);
    // …and the next one still moves the states.
    let store = Store::open_lazy(&cfg).unwrap();
    assert_eq!(store.source_state("a").unwrap(), fetched("v1"));
}

/// The export of a store holding two stories of source `a`, fetched with validator `1`.
fn two_story_export() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let staged = vec![
        item("g1", "A story", None, "h1"),
        item("g2", "Another story", None, "h2"),
    ];
    let dedupe = dedupe();
    store
        .apply("a", staged, &fetched("1"), now(), &dedupe, &no_topics)
        .unwrap();
    let mut export = Vec::new();
    store.export(&mut export, &|_| {}).unwrap();
    export
}

#[test]
fn an_import_that_stops_half_way_leaves_no_story_and_no_validator() {
    let export = two_story_export();
    // Header, the source's state, one story, then a line that is not a record.
    let text = String::from_utf8(export).unwrap();
    let mut cut: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
    cut.push_str("not json\n");
    let target = tempfile::tempdir().unwrap();
    {
        let store = open(&target);
        let err = store.import(&mut cut.as_bytes(), &|_| {}).unwrap_err();
        assert!(err.to_string().contains("line 4"), "{err}");
        assert!(err.to_string().contains("nothing was imported"), "{err}");
    }
    // What it wrote is removed again, and no validator is there.
    let store = open(&target);
    assert_eq!(store.item_count(), 0);
    assert_eq!(store.source_state("a").unwrap(), SourceState::default());
    store.import(&mut text.as_bytes(), &|_| {}).unwrap();
    assert_eq!(store.item_count(), 2);
    assert_eq!(store.source_state("a").unwrap(), fetched("1"));
}

#[test]
fn entries_that_share_a_large_storys_link_read_it_once() {
    // A story of 4 MB, then 2,000 entries of the same section page (its link, other GUIDs
    // and titles): each is another story, and the large one is decoded once for all of them
    // (once each, 8 GB of decompressing and copying).
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = Some("https://partner.example/news/");
    let mut big = item("big", "The long report on the dialogue", link, "h-big");
    big.item.content = Some("<p>Prishtina and Belgrade.</p>".repeat(140_000));
    assert_eq!(apply(&store, "a", &[big]).new, 1);
    let entries: Vec<Staged> = (0..2000)
        .map(|i| {
            item(
                &format!("e{i}"),
                &format!("Short note number {i}"),
                link,
                &format!("h{i}"),
            )
        })
        .collect();
    let report = apply(&store, "a", &entries);
    assert_eq!((report.new, report.duplicate), (2000, 0));
    assert_eq!(store.item_count(), 2001);
}

#[test]
fn an_import_cut_short_by_a_crash_starts_over_when_run_again() {
    let export = two_story_export();
    let target = tempfile::tempdir().unwrap();
    {
        let store = open(&target);
        assert!(!store.import_interrupted().unwrap());
        store.import(&mut export.as_slice(), &|_| {}).unwrap();
        // As a kill before the end leaves it: stories written, the mark still there.
        store.mark_import(true).unwrap();
    }
    let store = open(&target);
    assert!(store.import_interrupted().unwrap());
    // Run again, it starts over instead of refusing a store that is not empty.
    store.import(&mut export.as_slice(), &|_| {}).unwrap();
    assert_eq!(store.item_count(), 2);
    assert!(!store.import_interrupted().unwrap());
    assert_eq!(store.source_state("a").unwrap(), fetched("1"));
    // A finished import is not run over.
    let again = store.import(&mut export.as_slice(), &|_| {}).unwrap_err();
    assert!(again.to_string().contains("not empty"), "{again}");
}

#[test]
fn stories_are_stored_compressed_and_records_of_earlier_formats_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut long = item("g1", "A long story", None, "h1");
    long.item.content = Some("<p>Dialogue workshop in Prishtina and Belgrade.</p>".repeat(40));
    let mut other = item("g2", "Another story", None, "h2");
    other.item.content = Some("<p>Women's Caucus meets in Skopje.</p>".repeat(20));
    let (first, second) = {
        let store = open(&dir);
        apply(&store, "a", &[long, other]);
        let main = store.main().unwrap();
        let mut records: Vec<_> = main.items.iter().map(|r| r.unwrap()).collect();
        assert_eq!(records.len(), 2);
        // The long story first, whatever the order of their ids.
        records.sort_by_key(|(_, raw)| decode_item(raw).unwrap().title != "A long story");
        let (key, raw) = &records[0];
        let stored = decode_item(raw).unwrap();
        let json = serde_json::to_vec(&stored).unwrap();
        assert_eq!(raw[0], PACKED_RECORD);
        assert!(
            raw.len() * 3 < json.len(),
            "{} bytes stored for {} of JSON",
            raw.len(),
            json.len()
        );
        // What schema version 2 wrote: the plain JSON record.
        main.items.insert(key, json).unwrap();
        // What the stores of sessions before MessagePack wrote: JSON compressed with LZ4.
        let (key, raw) = &records[1];
        let second = decode_item(raw).unwrap();
        let mut lz4_json = vec![LZ4_RECORD];
        lz4_json.extend_from_slice(&lz4_flex::compress_prepend_size(
            &serde_json::to_vec(&second).unwrap(),
        ));
        main.items.insert(key, lz4_json).unwrap();
        let meta = main.db.open_tree("meta").unwrap();
        meta.insert("schema", &2u64.to_be_bytes()).unwrap();
        store.flush().unwrap();
        (stored, second)
    };
    let store = open(&dir);
    let main = store.main().unwrap();
    let schema = main.db.open_tree("meta").unwrap().get("schema").unwrap();
    assert_eq!(schema.as_deref(), Some(&SCHEMA_VERSION.to_be_bytes()[..]));
    let read = store
        .item(first.id)
        .unwrap()
        .expect("the plain record reads");
    assert_eq!(read, first);
    let read = store
        .item(second.id)
        .unwrap()
        .expect("the LZ4 JSON record reads");
    assert_eq!(read, second);
}

#[test]
fn a_schema_5_store_opens_as_it_is_and_its_json_records_read() {
    let dir = tempfile::tempdir().unwrap();
    let story = {
        let store = open(&dir);
        apply(
            &store,
            "a",
            &[item("g1", "Dialogue in Brussels", None, "h1")],
        );
        let main = store.main().unwrap();
        let (key, raw) = main.items.first().unwrap().unwrap();
        let story = decode_item(&raw).unwrap();
        // A story as version 5 wrote it: JSON compressed with LZ4.
        let mut record = vec![LZ4_RECORD];
        record.extend_from_slice(&lz4_flex::compress_prepend_size(
            &serde_json::to_vec(&story).unwrap(),
        ));
        main.items.insert(&key, record).unwrap();
        let meta = main.db.open_tree("meta").unwrap();
        meta.insert("schema", &5u64.to_be_bytes()).unwrap();
        store.flush().unwrap();
        story
    };
    let store = open(&dir);
    let main = store.main().unwrap();
    let schema = main.db.open_tree("meta").unwrap().get("schema").unwrap();
    assert_eq!(schema.as_deref(), Some(&SCHEMA_VERSION.to_be_bytes()[..]));
    assert_eq!(store.item(story.id).unwrap(), Some(story.clone()));
    // A new story next to it is written in the current format.
    apply(&store, "a", &[item("g2", "Women's Caucus", None, "h2")]);
    let formats: Vec<u8> = main.items.iter().values().map(|v| v.unwrap()[0]).collect();
    assert_eq!(formats.len(), 2);
    assert!(formats.contains(&LZ4_RECORD) && formats.contains(&PACKED_RECORD));
}

#[test]
fn a_packed_record_round_trips_every_field() {
    let mut staged = item(
        "g1",
        "Dijalog Beograd–Priština",
        Some("https://a.example/1"),
        "h1",
    );
    staged.item.updated = Some(staged.item.published.unwrap() + chrono::Duration::hours(2));
    staged.item.content = Some("<p>\"Quoted\" — Ћирилица</p>".into());
    staged.item.authors = vec!["Ana".into(), "Besa".into()];
    staged.item.categories = vec!["dialogue".into()];
    staged.item.lang = Some("sr-Cyrl".into());
    staged.item.enclosures = vec![Enclosure {
        url: "https://a.example/a.mp3".into(),
        mime: Some("audio/mpeg".into()),
        length: Some(1234),
    }];
    staged.topics = Some(vec![TopicMatch {
        topic: "dialogue".into(),
        why: vec!["title: \"dijalog\"".into()],
    }]);
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(&store, "a", &[staged]);
    let (_, raw) = store.main().unwrap().items.first().unwrap().unwrap();
    let stored = decode_item(&raw).unwrap();
    assert_eq!(stored.title, "Dijalog Beograd–Priština");
    assert_eq!(stored.lang.as_deref(), Some("sr-Cyrl"));
    assert_eq!(stored.enclosures[0].length, Some(1234));
    assert_eq!(stored.sources[0].source, "a");
    assert_eq!(stored.topic_names().collect::<Vec<_>>(), ["dialogue"]);
    // Every field survives a second trip, and the JSON export still writes the id as hex.
    assert_eq!(decode_item(&encode_item(&stored)).unwrap(), stored);
    let json = serde_json::to_value(&stored).unwrap();
    assert_eq!(json["id"], stored.id.to_string());
}

#[test]
fn a_damaged_compressed_record_is_reported_as_corrupt() {
    let mut record = vec![LZ4_RECORD];
    record.extend_from_slice(&lz4_flex::compress_prepend_size(b"{\"id\":1}"));
    let cut = &record[..record.len() - 3];
    match decode_item(cut) {
        Err(StoreError::Corrupt { tree: "items", .. }) => {}
        other => panic!("expected a corrupt record, got {other:?}"),
    }
    match decode_item(&[LZ4_RECORD, 255, 255, 255, 127]) {
        Err(StoreError::Corrupt { .. }) => {}
        other => panic!("expected a corrupt record, got {other:?}"),
    }
}

/// `n` stories with a few KB of text that does not compress away, so their journal takes
/// several pieces.
fn large_feed(n: usize) -> Vec<Staged> {
    random_text_feed(n, 300)
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

#[test]
fn node_files_of_long_stories_are_synced_before_the_log_that_points_to_them() {
    let dir = tempfile::tempdir().unwrap();
    // ~70 KB a story that LZ4 cannot shrink: a leaf of them is over a quarter of a segment.
    let feed = random_text_feed(40, 10_000);
    let store = open(&dir);
    assert_eq!(apply(&store, "long", &feed).new, 40);
    let main = store.main().unwrap();
    let files: HashMap<u64, u64> = std::fs::read_dir(config(&dir).path.join("blobs"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            (name.parse().unwrap(), e.metadata().unwrap().len())
        })
        .collect();
    assert!(!files.is_empty(), "sled kept no node in a file of its own");
    assert_eq!(*main.blobs.synced.lock().unwrap(), files);
    drop(store);

    let store = open(&dir);
    let stored = store.list(&Query::default()).unwrap();
    assert_eq!(stored.len(), 40);
    for s in &stored {
        let original = feed.iter().find(|f| f.item.title == s.title).unwrap();
        assert_eq!(s.content, original.item.content);
    }
}

fn journal_values(store: &Store) -> Vec<(Vec<u8>, usize)> {
    let main = store.main().unwrap();
    main.journal
        .iter()
        .map(|kv| {
            let (k, v) = kv.unwrap();
            (k.to_vec(), v.len())
        })
        .collect()
}

#[test]
fn a_feed_a_crash_interrupted_is_finished_when_the_store_is_next_opened() {
    let dir = tempfile::tempdir().unwrap();
    // Large enough to be journaled in pieces.
    let feed = large_feed(600);
    {
        let store = open(&dir);
        apply_one_story(&store);
        store.apply_interrupted("b", feed.clone(), now()).unwrap();
        assert_eq!(store.item_count(), 1, "nothing of the feed is applied yet");
        let journal = journal_values(&store);
        assert!(journal.len() > 17, "{} entries", journal.len());
        let piece = journal::piece_size(store.main().unwrap());
        assert!(journal.iter().all(|(_, len)| *len <= piece));
        assert_eq!(journal.last().unwrap().0, journal::MARKER_KEY);
    }
    let store = open(&dir);
    assert_eq!(store.item_count(), 601);
    assert_eq!(store.count_for_source("b"), 600);
    let keys: Vec<(&Identity, &str)> = feed
        .iter()
        .map(|s| (&s.item.identity, s.item.content_hash.as_str()))
        .collect();
    assert!(store.unchanged("b", &keys).unwrap().iter().all(|u| *u));
    assert!(journal_values(&store).is_empty(), "the journal is cleared");
    // Applying the same feed again finds every story.
    let report = apply(&store, "b", &feed);
    assert_eq!(report.unchanged, 600);
}

#[test]
fn a_feed_that_failed_part_way_is_finished_before_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.apply_interrupted("b", large_feed(3), now()).unwrap();
    assert_eq!(
        journal_values(&store).len(),
        1,
        "a small feed is journaled in its marker"
    );
    let report = apply(&store, "c", &[item("c1", "Another story", None, "x")]);
    assert_eq!(report.new, 1);
    assert_eq!(store.item_count(), 4);
    assert_eq!(store.count_for_source("b"), 3);
    assert!(journal_values(&store).is_empty());
    // The running count saw the stories the finished feed stored, too.
    assert_eq!(store.net_stories(), 4);
    assert_eq!(store.counted_stories().unwrap(), (4, 4));
}

#[test]
fn the_running_story_count_follows_new_updated_and_pruned_stories() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(&store, "a", &random_text_feed(5, 10));
    assert_eq!(store.net_stories(), 5);
    let mut changed = random_text_feed(5, 10);
    changed[0].item.content_hash = "changed".into();
    changed[0].item.summary.push_str(" (corrected)");
    assert_eq!(apply(&store, "a", &changed).updated, 1);
    assert_eq!(store.net_stories(), 5, "an update creates no story");
    let removed = store
        .prune(None, Some(2), &["a".to_string()], now())
        .unwrap();
    assert_eq!(removed, 3);
    assert_eq!(store.net_stories(), 2);
    assert_eq!(store.counted_stories().unwrap(), (2, 2));
    drop(store);
    // Counted from the database's opening.
    let store = open(&dir);
    assert_eq!(store.counted_stories().unwrap(), (2, 0));
}

#[test]
fn journal_pieces_without_their_marker_are_dropped_and_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        store.apply_interrupted("b", large_feed(10), now()).unwrap();
        let main = store.main().unwrap();
        main.journal.remove(journal::MARKER_KEY).unwrap();
        main.db.flush().unwrap();
    }
    let store = open(&dir);
    assert_eq!(store.item_count(), 0);
    assert!(journal_values(&store).is_empty());
}

#[test]
fn an_unreadable_journal_is_damage() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        let main = store.main().unwrap();
        main.journal.insert(journal::MARKER_KEY, &[9, 9]).unwrap();
        main.db.flush().unwrap();
    }
    match Store::open(&config(&dir)) {
        Err(StoreError::Damaged { detail, .. }) => assert!(detail.contains("journal"), "{detail}"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("opened a store with an unreadable journal"),
    }
}

#[test]
fn a_story_listed_under_two_times_is_listed_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(&store, "x", &[item("g1", "A story", None, "h")]);
    let main = store.main().unwrap();
    let (key, _) = main.by_published.first().unwrap().unwrap();
    let id = keys::id_suffix(&key).unwrap();
    // What a reader sees for a moment while a feed moves the story to a new time.
    main.by_published
        .insert(keys::time_key(now(), id), &[])
        .unwrap();
    let got = store.list(&Query::default()).unwrap();
    assert_eq!(got.len(), 1);
}

#[test]
fn reclassify_and_prune_finish_a_feed_that_failed_part_way_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.apply_interrupted("b", large_feed(3), now()).unwrap();
    let (seen, _) = store.reclassify(no_topics, |_, _| {}).unwrap();
    assert_eq!(
        seen, 3,
        "the interrupted feed's stories are there to reclassify"
    );
    assert!(journal_values(&store).is_empty());
    store.apply_interrupted("c", large_feed(2), now()).unwrap();
    store.prune(None, None, &[], now()).unwrap();
    assert_eq!(store.count_for_source("c"), 2);
    assert!(journal_values(&store).is_empty());
}

#[test]
fn a_schema_3_store_gets_hashed_link_and_title_keys_and_still_finds_copies() {
    let dir = tempfile::tempdir().unwrap();
    let (stories, copies) = stories_and_copies();
    {
        let store = open(&dir);
        apply(&store, "kdi", &stories);
        // What schema version 3 kept: the links and titles by their text.
        let main = store.main().unwrap();
        let link_id = matching::entries(main, Index::Links)
            .into_iter()
            .find(|(k, _)| *k == link_key("https://kdi.example/news/caucus").unwrap())
            .unwrap()
            .1;
        let title_value = matching::entries(main, Index::Titles)
            .into_iter()
            .find(|(k, _)| *k == title_key("Dialogue workshop on energy agreement", 1).unwrap())
            .unwrap()
            .1;
        unlog_idents(main, &[("kdi", &stories[0]), ("kdi", &stories[1])]);
        main.matches.clear().unwrap();
        main.db
            .open_tree("links")
            .unwrap()
            .insert("https://kdi.example/news/caucus", link_id)
            .unwrap();
        main.db
            .open_tree("titles")
            .unwrap()
            .insert("dialogue workshop on energy agreement", title_value)
            .unwrap();
        let meta = main.db.open_tree("meta").unwrap();
        meta.insert("schema", &3u64.to_be_bytes()).unwrap();
        store.flush().unwrap();
    }
    let store = open(&dir);
    let main = store.main().unwrap();
    let schema = main.db.open_tree("meta").unwrap().get("schema").unwrap();
    assert_eq!(schema.as_deref(), Some(&SCHEMA_VERSION.to_be_bytes()[..]));
    for index in [Index::Idents, Index::Links, Index::Titles] {
        let entries = matching::entries(main, index);
        assert_eq!(entries.len(), 2, "one entry per identity, link and title");
    }
    assert!(
        !main
            .db
            .tree_names()
            .iter()
            .any(|n| n == b"links" || n == b"titles"),
        "the trees keyed by text are gone"
    );
    // The source's own entries are known, and republished copies are still found: one by
    // its link, one by its title.
    assert_eq!(apply(&store, "kdi", &stories).unchanged, 2);
    assert_eq!(apply(&store, "portal", &copies).duplicate, 2);
    assert_eq!(store.list(&Query::default()).unwrap().len(), 2);
}

#[test]
fn a_feed_lists_its_new_stories_in_one_first_seen_entry_and_prune_takes_them_out_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut feed: Vec<Staged> = (0..4)
        .map(|i| {
            item(
                &format!("g{i}"),
                &format!("Story number {i} of the feed"),
                None,
                "h",
            )
        })
        .collect();
    for (i, s) in feed.iter_mut().enumerate() {
        s.item.published = Some(now() - Duration::days(10 * i as i64));
    }
    assert_eq!(apply(&store, "a", &feed).new, 4);
    let main = store.main().unwrap();
    assert_eq!(main.by_seen.len(), 1, "one entry for the feed");
    let seen = |store: &Store| -> Vec<String> {
        let mut titles: Vec<String> = store
            .first_seen_between(now() - Duration::hours(1), now() + Duration::hours(1))
            .unwrap()
            .into_iter()
            .map(|i| i.title)
            .collect();
        titles.sort();
        titles
    };
    assert_eq!(seen(&store).len(), 4);
    // A second feed at the same time, led by a story of the first (now carried by `b` too),
    // adds to the entry rather than replacing it.
    let copy = item("x", "Story number 0 of the feed", None, "h");
    assert_eq!(apply(&store, "b", &[copy]).duplicate, 1);
    assert_eq!(seen(&store).len(), 4);

    // Keep the two newest of source `a`: stories 2 and 3 go, 0 and 1 stay listed.
    let removed = store
        .prune(None, Some(2), &["a".into(), "b".into()], now())
        .unwrap();
    assert_eq!(removed, 2);
    assert_eq!(
        seen(&store),
        ["Story number 0 of the feed", "Story number 1 of the feed"]
    );
    let removed = store
        .prune(
            Some(std::time::Duration::from_secs(1)),
            None,
            &[],
            now() + Duration::days(100),
        )
        .unwrap();
    assert_eq!(removed, 2);
    assert!(seen(&store).is_empty());
    assert!(store.main().unwrap().by_seen.is_empty());
}

#[test]
fn a_large_feed_lists_its_stories_in_entries_of_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let n = 2 * super::keys::SEEN_PER_ENTRY + 10;
    let feed: Vec<Staged> = (0..n)
        .map(|i| item(&format!("g{i}"), &format!("Story {i}"), None, "h"))
        .collect();
    assert_eq!(apply(&store, "a", &feed).new, n);
    let main = store.main().unwrap();
    assert_eq!(main.by_seen.len(), 3);
    for kv in main.by_seen.iter() {
        let (_, v) = kv.unwrap();
        assert!(v.len() < 16 * super::keys::SEEN_PER_ENTRY);
    }
    let listed = store
        .first_seen_between(now() - Duration::hours(1), now() + Duration::hours(1))
        .unwrap();
    assert_eq!(listed.len(), n);
}

#[test]
fn feeds_applied_at_the_same_time_share_first_seen_entries_without_passing_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let feed = |prefix: &str, n: usize| -> Vec<Staged> {
        (0..n)
            .map(|i| {
                item(
                    &format!("{prefix}{i}"),
                    &format!("Story {prefix} number {i} of the feed"),
                    None,
                    "h",
                )
            })
            .collect()
    };
    assert_eq!(apply(&store, "a", &feed("a", 200)).new, 200);
    // Led by a copy of the first feed's first story: its entry is the same key.
    let mut second = vec![item("copy", "Story a number 0 of the feed", None, "h")];
    second.extend(feed("b", 199));
    let report = apply(&store, "b", &second);
    assert_eq!((report.new, report.duplicate), (199, 1));
    let main = store.main().unwrap();
    assert_eq!(main.by_seen.len(), 2, "the shared entry spilled once");
    for kv in main.by_seen.iter() {
        let (_, v) = kv.unwrap();
        assert!(v.len() < 16 * super::keys::SEEN_PER_ENTRY);
    }
    let listed = store
        .first_seen_between(now() - Duration::hours(1), now() + Duration::hours(1))
        .unwrap();
    assert_eq!(listed.len(), 399);
}

#[test]
fn an_unreadable_story_does_not_keep_a_schema_3_store_from_opening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        let stories = [
            item("s1", "Readable story", Some("https://kdi.example/1"), "a"),
            item("s2", "Damaged story", Some("https://kdi.example/2"), "b"),
        ];
        apply(&store, "kdi", &stories);
        let main = store.main().unwrap();
        let damaged = main
            .items
            .iter()
            .map(|kv| kv.unwrap())
            .find(|(_, v)| decode_item(v).unwrap().title == "Damaged story")
            .unwrap()
            .0;
        main.items.insert(damaged, &b"{not json"[..]).unwrap();
        let meta = main.db.open_tree("meta").unwrap();
        meta.insert("schema", &3u64.to_be_bytes()).unwrap();
        store.flush().unwrap();
    }
    let store = open(&dir);
    let main = store.main().expect("the store opens");
    assert_eq!(
        matching::entries(main, Index::Links).len(),
        1,
        "the readable story's link is indexed"
    );
    assert_eq!(matching::entries(main, Index::Titles).len(), 1);
    let copy = item("r1", "Copy", Some("https://kdi.example/1"), "c");
    assert_eq!(apply(&store, "portal", &[copy]).duplicate, 1);
}

/// Empties every publication entry, as stores before schema 5 left them.
/// What a store of schema 7 or earlier kept: the identity, link and title entries in trees of
/// their own, no log. `carried` names every identity stored (the log keeps only their hashes).
fn unlog_matches(main: &Main, carried: &[(&str, &Staged)]) {
    for (index, name) in [(Index::Links, "links"), (Index::Titles, "titles")] {
        let tree = main.db.open_tree(name).unwrap();
        for (k, v) in matching::entries(main, index) {
            tree.insert(k, v).unwrap();
        }
    }
    unlog_idents(main, carried);
    main.matches.clear().unwrap();
}

/// Writes the identities of `carried` to the `idents` tree, as schemas before 9 kept them.
fn unlog_idents(main: &Main, carried: &[(&str, &Staged)]) {
    let idents = main.db.open_tree("idents").unwrap();
    for (source, staged) in carried {
        let key = keys::ident_key(source, &staged.item.identity.key());
        let value = matching::get(main, Index::Idents, &key).unwrap().unwrap();
        idents.insert(key, value).unwrap();
    }
    assert_eq!(
        idents.len(),
        matching::entries(main, Index::Idents).len(),
        "every identity is named"
    );
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

#[test]
fn a_schema_7_store_moves_its_identity_link_and_title_trees_into_the_log_and_still_finds_copies() {
    let dir = tempfile::tempdir().unwrap();
    let (stories, copies) = stories_and_copies();
    let before = {
        let store = open(&dir);
        apply(&store, "kdi", &stories);
        let main = store.main().unwrap();
        let before = match_entries(main);
        assert_eq!(before.len(), 6, "two stories' identities, links and titles");
        unlog_matches(main, &[("kdi", &stories[0]), ("kdi", &stories[1])]);
        let meta = main.db.open_tree("meta").unwrap();
        meta.insert("schema", &7u64.to_be_bytes()).unwrap();
        store.flush().unwrap();
        before
    };
    let store = open(&dir);
    let main = store.main().unwrap();
    let schema = main.db.open_tree("meta").unwrap().get("schema").unwrap();
    assert_eq!(schema.as_deref(), Some(&SCHEMA_VERSION.to_be_bytes()[..]));
    assert!(!main
        .db
        .tree_names()
        .iter()
        .any(|n| n == b"links" || n == b"titles" || n == b"idents"));
    assert_eq!(match_entries(main), before);
    assert_eq!(apply(&store, "kdi", &stories).unchanged, 2);
    assert_eq!(apply(&store, "portal", &copies).duplicate, 2);
    assert_eq!(store.list(&Query::default()).unwrap().len(), 2);
}

#[test]
fn the_identity_link_and_title_indexes_are_read_back_from_their_log() {
    let dir = tempfile::tempdir().unwrap();
    let (stories, copies) = stories_and_copies();
    let before = {
        let store = open(&dir);
        apply(&store, "kdi", &stories[..1]);
        apply(&store, "bfpe", &stories[1..]);
        // A story removed takes its entries out.
        apply(
            &store,
            "old",
            &[item(
                "o",
                "An old story",
                Some("https://old.example/1"),
                "o",
            )],
        );
        let old = store.list(&Query::default()).unwrap();
        let old = old.iter().find(|i| i.title == "An old story").unwrap();
        store.remove(old).unwrap();
        let main = store.main().unwrap();
        assert_eq!(
            matching::log_len(main),
            4,
            "one entry per feed, one per removal"
        );
        match_entries(main)
    };
    // Two identities (the removed story's went to the `gone` tree, so its entry is not
    // stored again), two links and two titles.
    assert_eq!(before.len(), 6);
    let store = open(&dir);
    assert_eq!(match_entries(store.main().unwrap()), before);
    assert_eq!(store.main().unwrap().gone.len(), 1);
    let old = item("o", "An old story", Some("https://old.example/1"), "o");
    assert_eq!(apply(&store, "old", &[old]).unchanged, 1);
    assert_eq!(apply(&store, "kdi", &stories[..1]).unchanged, 1);
    assert_eq!(apply(&store, "portal", &copies).duplicate, 2);
}

#[test]
fn a_feed_a_crash_interrupted_logs_its_identities_links_and_titles_when_finished() {
    let (stories, copies) = stories_and_copies();
    // As this build journals a feed, and as builds before the log did (no log entry).
    for older in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(&dir);
            store
                .apply_interrupted("kdi", stories.clone(), now())
                .unwrap();
            let main = store.main().unwrap();
            assert_eq!(matching::log_len(main), 0);
            if older {
                let marker = main.journal.get(journal::MARKER_KEY).unwrap().unwrap();
                // 0: the writes are in the marker itself.
                assert_eq!(marker[0], 0);
                let mut writes = journal::decode(&marker[1..]).unwrap();
                assert!(writes.keys().any(|(i, _)| *i == Index::Matches));
                writes.retain(|(i, _), _| *i != Index::Matches);
                let mut old = vec![0];
                old.extend(journal::encode(&writes));
                main.journal.insert(journal::MARKER_KEY, old).unwrap();
                store.flush().unwrap();
            }
        }
        let store = open(&dir);
        let main = store.main().unwrap();
        assert_eq!(store.item_count(), 2);
        assert_eq!(matching::log_len(main), 1, "older: {older}");
        assert_eq!(match_entries(main).len(), 6);
        assert_eq!(apply(&store, "kdi", &stories).unchanged, 2);
        assert_eq!(apply(&store, "portal", &copies).duplicate, 2);
        let story = item(
            "n",
            "Culture night in Prishtina",
            Some("https://portal.example/n"),
            "n",
        );
        assert_eq!(apply(&store, "portal", &[story]).new, 1);
        // Each numbered after the finished feed's entry, not over it.
        assert_eq!(matching::log_len(main), 3, "older: {older}");
        drop(store);
        let store = open(&dir);
        // Five identities, three links, three titles.
        assert_eq!(match_entries(store.main().unwrap()).len(), 11);
    }
}

#[test]
fn the_matching_log_is_rewritten_once_it_holds_many_entries_and_a_crash_while_it_is_loses_nothing()
{
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    // One feed per story, each logged on its own.
    for i in 0..12 {
        let story = item(
            &format!("g{i}"),
            &format!("Story number {i} of the week"),
            Some(&format!("https://s{i}.example/story")),
            "h",
        );
        apply(&store, &format!("s{i}"), &[story]);
    }
    let main = store.main().unwrap();
    let entries = match_entries(main);
    assert_eq!(entries.len(), 36);
    // Rewritten (into one value, at this size) whenever more values were logged than twice
    // what the last rewrite left plus four (a tenth of the slack under test).
    assert!(matching::log_len(main) <= 6, "{}", matching::log_len(main));
    // A crash part way through a rewrite: new chunks logged, some older entries removed.
    for removed in [0, 1, 3, usize::MAX] {
        matching::compact_interrupted(main, removed);
        assert_eq!(matching::reloaded(main), entries, "{removed} removed");
    }
    drop(store);
    let store = open(&dir);
    let main = store.main().unwrap();
    assert!(matching::log_len(main) > 1);
    assert_eq!(match_entries(main), entries);
    let copy = item(
        "c",
        "Story number 3 of the week",
        Some("http://www.s3.example/story/"),
        "x",
    );
    assert_eq!(apply(&store, "portal", &[copy]).duplicate, 1);
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

#[test]
fn topic_and_language_listings_follow_the_publication_index_and_its_updates() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut feed = Vec::new();
    for (i, (title, lang)) in [
        ("Dijalog o tablicama nastavljen u Briselu", "sr-Latn"),
        ("Дијалог о таблицама настављен у Бриселу", "sr-Cyrl"),
        ("Kokusi i Grave takon deputetët", "sq"),
        ("Film festival opens in Prizren", "en"),
    ]
    .iter()
    .enumerate()
    {
        let mut s = item(
            &format!("g{i}"),
            title,
            Some(&format!("https://m.example/{i}")),
            "h",
        );
        s.item.lang = Some(lang.to_string());
        feed.push(s);
    }
    let topics_by = |rule: fn(&str) -> Option<&'static str>| {
        move |item: &crate::model::Item| -> Vec<TopicMatch> {
            rule(&item.title)
                .map(|t| TopicMatch {
                    topic: t.into(),
                    why: vec![],
                })
                .into_iter()
                .collect()
        }
    };
    let first = topics_by(|t| (t.contains("ijalog") || t.contains("ијалог")).then_some("dialogue"));
    store
        .apply("m", feed, &SourceState::default(), now(), &dedupe(), &first)
        .unwrap();
    let titles = |topic: Option<&str>, lang: Option<&str>| -> Vec<String> {
        let mut t: Vec<String> = store
            .list(&Query {
                topic: topic.map(str::to_string),
                lang: lang.map(str::to_string),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|i| i.title)
            .collect();
        t.sort();
        t
    };
    assert_eq!(
        titles(Some("dialogue"), None),
        [
            "Dijalog o tablicama nastavljen u Briselu",
            "Дијалог о таблицама настављен у Бриселу"
        ]
    );
    assert_eq!(
        titles(Some("dialogue"), Some("sr-Cyrl")),
        ["Дијалог о таблицама настављен у Бриселу"]
    );
    assert_eq!(titles(None, Some("sq")), ["Kokusi i Grave takon deputetët"]);
    assert_eq!(titles(Some("culture"), None), Vec::<String>::new());

    // Reclassified: the index entries follow the new topics.
    let culture = topics_by(|t| t.contains("festival").then_some("culture"));
    assert_eq!(store.reclassify(culture, |_, _| {}).unwrap(), (4, 3));
    assert_eq!(
        titles(Some("culture"), None),
        ["Film festival opens in Prizren"]
    );
    assert_eq!(titles(Some("dialogue"), None), Vec::<String>::new());

    // A story the entry rules out is not read at all: an unreadable one does not get in the way.
    let main = store.main().unwrap();
    let (sq_key, sq_record) = main
        .items
        .iter()
        .map(|kv| kv.unwrap())
        .find(|(_, v)| decode_item(v).unwrap().lang.as_deref() == Some("sq"))
        .unwrap();
    main.items.insert(&sq_key, &b"\x01garbage"[..]).unwrap();
    assert_eq!(
        titles(Some("culture"), Some("en")),
        ["Film festival opens in Prizren"]
    );
    assert!(store
        .list(&Query {
            lang: Some("sq".into()),
            ..Default::default()
        })
        .is_err());
    main.items.insert(&sq_key, sq_record).unwrap();

    // An entry written before entries named topics and language says nothing: the story is
    // read to decide.
    blank_publication_entries(main);
    assert_eq!(
        titles(Some("culture"), Some("en")),
        ["Film festival opens in Prizren"]
    );
    assert_eq!(titles(None, Some("sr")).len(), 2);
}

#[test]
fn a_schema_4_store_gets_language_and_topics_in_its_publication_entries() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        let mut sq = item(
            "g1",
            "Takimi i Kokusit të Grave",
            Some("https://k.example/1"),
            "a",
        );
        sq.item.lang = Some("sq".into());
        sq.topics = Some(vec![TopicMatch {
            topic: "women-caucus".into(),
            why: vec![],
        }]);
        let en = item(
            "g2",
            "Film festival opens",
            Some("https://k.example/2"),
            "b",
        );
        apply(&store, "k", &[sq.clone(), en.clone()]);
        // What schema version 4 wrote: empty publication entries.
        let main = store.main().unwrap();
        blank_publication_entries(main);
        // A link and a title entry no story explains: a rebuild of the index drops them.
        unlog_matches(main, &[("k", &sq), ("k", &en)]);
        main.db
            .open_tree("links")
            .unwrap()
            .insert([7u8; 16], &[7u8; 16][..])
            .unwrap();
        main.db
            .open_tree("titles")
            .unwrap()
            .insert(
                [7u8; 16],
                keys::encode_title_entries(&[(ItemId([7u8; 16]), 0)]),
            )
            .unwrap();
        let meta = main.db.open_tree("meta").unwrap();
        meta.insert("schema", &4u64.to_be_bytes()).unwrap();
        store.flush().unwrap();
    }
    let store = open(&dir);
    let main = store.main().unwrap();
    let schema = main.db.open_tree("meta").unwrap().get("schema").unwrap();
    assert_eq!(schema.as_deref(), Some(&SCHEMA_VERSION.to_be_bytes()[..]));
    let entries: Vec<Vec<u8>> = main
        .by_published
        .iter()
        .values()
        .map(|v| v.unwrap().to_vec())
        .collect();
    assert_eq!(entries.len(), 2);
    assert!(
        entries.iter().any(|v| v == b"\x01sq\x00women-caucus"),
        "{entries:?}"
    );
    assert!(entries.iter().any(|v| v == b"\x01"), "{entries:?}");
    // The link and title indexes were rekeyed (schema 11), from the stories alone.
    let mut titles: Vec<[u8; 16]> = matching::entries(main, Index::Titles)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    titles.sort();
    let mut expected = [
        title_key("Takimi i Kokusit të Grave", 1).unwrap(),
        title_key("Film festival opens", 1).unwrap(),
    ];
    expected.sort();
    assert_eq!(titles, expected);
    let mut links: Vec<[u8; 16]> = matching::entries(main, Index::Links)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    links.sort();
    let mut expected = [
        link_key("https://k.example/1").unwrap(),
        link_key("https://k.example/2").unwrap(),
    ];
    expected.sort();
    assert_eq!(links, expected);
}

#[test]
fn an_original_without_a_language_keeps_the_one_its_copy_gave() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut copy = item(
        "c",
        "Takimi i Kokusit të Grave në Prishtinë",
        Some("https://a.example/k"),
        "c",
    );
    copy.item.lang = Some("sq".into());
    apply(&store, "republisher", &[copy]);
    let mut original = item(
        "o",
        "Takimi i Kokusit të Grave në Prishtinë",
        Some("https://a.example/k"),
        "o",
    );
    original.item.published = Some(Utc.with_ymd_and_hms(2020, 2, 24, 9, 0, 0).unwrap());
    assert_eq!(apply(&store, "original", &[original]).duplicate, 1);
    let stored = store.list(&Query::default()).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].source(), "original", "the original took the lead");
    assert_eq!(stored[0].lang.as_deref(), Some("sq"));
    let sq = Query {
        lang: Some("sq".into()),
        ..Default::default()
    };
    assert_eq!(store.list(&sq).unwrap().len(), 1);
}

#[test]
fn the_digest_shown_is_the_newest_with_stories_unless_empty_ones_are_wanted() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
    let record = |end: DateTime<Utc>, count: usize| crate::model::DigestRecord {
        name: "daily".into(),
        start: end - Duration::hours(1),
        end,
        count,
        too_old: 0,
        message_id: String::new(),
        subject: format!("{count} stories"),
        eml: String::new(),
        html: String::new(),
        text: String::new(),
        json: serde_json::Value::Null,
        sent_at: None,
        send_error: None,
        outbox_due: false,
        outboxed_at: None,
        deliver: false,
        send_uncertain: false,
        send_refused: false,
    };
    let show = |from, until, skip| {
        store
            .digest_to_show("daily", from, until, skip)
            .unwrap()
            .map(|r| (r.end, r.count))
    };
    assert_eq!(show(None, None, true), None);
    store.put_digest(&record(day(27, 7), 0)).unwrap();
    assert_eq!(
        show(None, None, true),
        Some((day(27, 7), 0)),
        "only empty ones"
    );
    store.put_digest(&record(day(28, 7), 5)).unwrap();
    store.put_digest(&record(day(28, 9), 0)).unwrap();
    store.put_digest(&record(day(28, 10), 0)).unwrap();
    // Another digest's records are not this one's, even when its name starts alike.
    let mut other = record(day(29, 7), 9);
    other.name = "daily-2".into();
    store.put_digest(&other).unwrap();
    assert_eq!(show(None, None, true), Some((day(28, 7), 5)));
    assert_eq!(show(None, None, false), Some((day(28, 10), 0)));
    assert_eq!(
        show(Some(day(28, 0)), Some(day(29, 0)), true),
        Some((day(28, 7), 5))
    );
    assert_eq!(
        show(Some(day(27, 0)), Some(day(28, 0)), true),
        Some((day(27, 7), 0))
    );
    assert_eq!(show(Some(day(29, 0)), Some(day(30, 0)), true), None);
    assert_eq!(show(Some(day(29, 0)), Some(day(28, 0)), true), None);
    // A newest record that cannot be read is passed over: the one before it is shown.
    store
        .main()
        .unwrap()
        .digests
        .insert(super::digests::key("daily", day(28, 11)), &b"{not json"[..])
        .unwrap();
    assert_eq!(show(None, None, false), Some((day(28, 10), 0)));
    // Asked for that one alone, it is an error, not "no such digest".
    assert!(matches!(
        store.digest_to_show("daily", Some(day(28, 11)), Some(day(28, 12)), false),
        Err(StoreError::Corrupt { .. })
    ));
}

/// An hourly digest over a quiet week: a hundred empty runs after the last that had stories
/// do not hide it, in a store written by this version or listed at its first open.
#[test]
fn the_digest_shown_is_found_behind_any_number_of_empty_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let start = Utc.with_ymd_and_hms(2026, 11, 20, 7, 0, 0).unwrap();
    let record = |end: DateTime<Utc>, count: usize| crate::model::DigestRecord {
        name: "hourly".into(),
        start: end - Duration::hours(1),
        end,
        count,
        too_old: 0,
        message_id: String::new(),
        subject: format!("{count} stories"),
        eml: String::new(),
        html: String::new(),
        text: String::new(),
        json: serde_json::Value::Null,
        sent_at: None,
        send_error: None,
        outbox_due: false,
        outboxed_at: None,
        deliver: false,
        send_uncertain: false,
        send_refused: false,
    };
    store.put_digest(&record(start, 4)).unwrap();
    for h in 1..=100 {
        store
            .put_digest(&record(start + Duration::hours(h), 0))
            .unwrap();
    }
    let shown = |store: &Store| {
        store
            .digest_to_show("hourly", None, None, true)
            .unwrap()
            .map(|r| (r.end, r.count))
    };
    assert_eq!(shown(&store), Some((start, 4)));
    // A store whose digests were written before they were listed: listed when opened.
    store.main().unwrap().told.clear().unwrap();
    drop(store);
    let store = open(&dir);
    assert_eq!(shown(&store), Some((start, 4)));
}

#[test]
fn a_states_database_of_schema_1_is_upgraded_to_buckets_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    {
        // What version 1 wrote: one JSON value per source in `sources`.
        let store = open(&dir);
        let meta = store.states_db.open_tree("meta").unwrap();
        meta.insert(STATES_SCHEMA_KEY, &1u64.to_be_bytes()).unwrap();
        let old = store.states_db.open_tree("sources").unwrap();
        for id in ["a", "b"] {
            let state = serde_json::to_vec(&fetched(id)).unwrap();
            old.insert(id, state).unwrap();
        }
        store.states_db.flush().unwrap();
    }
    {
        let store = Store::open_lazy(&cfg).unwrap();
        assert_eq!(store.source_state("a").unwrap(), fetched("a"));
        assert_eq!(store.source_state("b").unwrap(), fetched("b"));
        let meta = store.states_db.open_tree("meta").unwrap();
        assert_eq!(
            meta.get(STATES_SCHEMA_KEY).unwrap().as_deref(),
            Some(&STATES_SCHEMA_VERSION.to_be_bytes()[..])
        );
        assert!(
            !store
                .states_db
                .tree_names()
                .iter()
                .any(|n| n.as_ref() == b"sources"),
            "the old tree is dropped once its states are in buckets"
        );
        assert_eq!(store.states.written("b"), Some(fetched("b")));
    }
    let store = Store::open_lazy(&cfg).unwrap();
    assert_eq!(store.source_states().unwrap().len(), 2);
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

/// Queues bprg's original story and leaves it unmade, as when the thread that queued it
/// failed to make it.
fn leave_original_queued(store: &Store) {
    let (first, _) = store
        .stage("bprg", vec![original()], now(), &dedupe(), &no_topics)
        .unwrap();
    first.queue().unwrap();
}

/// [`leave_original_queued`], then `source` applies `story` with the state `fetched(etag)`.
fn apply_after_original_queued(
    store: &Store,
    source: &str,
    story: Staged,
    etag: &str,
) -> ApplyReport {
    leave_original_queued(store);
    store
        .apply(
            source,
            vec![story],
            &fetched(etag),
            now(),
            &dedupe(),
            &no_topics,
        )
        .unwrap()
}

fn carriers(store: &Store) -> Vec<Vec<String>> {
    store
        .list(&Query::default())
        .unwrap()
        .iter()
        .map(|s| s.sources.iter().map(|c| c.source.clone()).collect())
        .collect()
}

#[test]
fn a_feed_worked_out_while_the_last_ones_writes_are_queued_reads_them_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let main = store.main().unwrap();
    let dedupe = dedupe();
    let (first, report) = store
        .stage("bprg", vec![original()], now(), &dedupe, &no_topics)
        .unwrap();
    assert_eq!(report.new, 1);
    let turn = first.queue().expect("the feed writes something");
    assert!(
        store.list(&Query::default()).unwrap().is_empty(),
        "not made yet"
    );

    // Worked out now, the republished copy is matched to the story not yet in the trees.
    let (second, report) = store
        .stage("portal", vec![republished()], now(), &dedupe, &no_topics)
        .unwrap();
    assert_eq!((report.new, report.duplicate), (0, 1));
    journal::make_queued(main, turn).unwrap();
    assert!(main.queued.read().unwrap().is_empty());
    assert_eq!(carriers(&store), vec![vec!["bprg"]]);
    second.commit().unwrap();
    assert_eq!(carriers(&store), vec![vec!["bprg", "portal"]]);
}

#[test]
fn writes_left_queued_are_read_by_the_next_feed_and_made_before_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let report = apply_after_original_queued(&store, "portal", republished(), "p");
    assert_eq!((report.new, report.duplicate), (0, 1));
    assert_eq!(carriers(&store), vec![vec!["bprg", "portal"]]);
    assert!(journal_values(&store).is_empty(), "the journal is cleared");
    assert!(store.main().unwrap().queued.read().unwrap().is_empty());
}

#[test]
fn feeds_applied_from_many_threads_at_once_store_a_story_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let dedupe = dedupe();
    let reports: Vec<ApplyReport> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|n| {
                let (store, dedupe) = (&store, &dedupe);
                s.spawn(move || {
                    // Each source carries the same story (one link) and one of its own.
                    let feed = vec![
                        item(
                            &format!("{n}-shared"),
                            &format!("Copy {n}"),
                            Some("https://bprg.example/news/1/"),
                            "s",
                        ),
                        item(&format!("{n}-own"), &format!("Own story {n}"), None, "o"),
                    ];
                    let source = format!("s{n}");
                    store
                        .apply(&source, feed, &fetched("e"), now(), dedupe, &no_topics)
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let new: usize = reports.iter().map(|r| r.new).sum();
    let duplicate: usize = reports.iter().map(|r| r.duplicate).sum();
    assert_eq!((new, duplicate), (9, 7));
    let shared: Vec<_> = store
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .filter(|s| s.sources.len() > 1)
        .collect();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].sources.len(), 8);
    assert_eq!(store.item_count(), 9);
    assert!(journal_values(&store).is_empty());
}

#[test]
fn a_feed_with_nothing_new_makes_the_queued_writes_it_was_worked_out_against() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    // The same feed again: every entry is as queued, so it writes nothing of its own; its
    // state may be recorded only once what it was matched against is made.
    let report = apply_after_original_queued(&store, "bprg", original(), "b");
    assert_eq!((report.new, report.unchanged), (0, 1));
    assert_eq!(carriers(&store), vec![vec!["bprg"]]);
    assert!(store.main().unwrap().queued.read().unwrap().is_empty());
    assert_eq!(store.source_state("bprg").unwrap(), fetched("b"));
}

#[test]
fn states_an_interrupted_older_upgrade_left_keyed_are_moved_into_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    // A schema 1 store whose upgrade by an older build stopped after it copied the states
    // into the states database (one JSON value per source) and dropped them from the stories'
    // one, before it marked the states database.
    let main = schema_1_store(&cfg.path);
    main.drop_tree("sources").unwrap();
    main.flush().unwrap();
    drop(main);
    {
        let states = sled::Config::new()
            .path(cfg.path.join(STATES_DIR))
            .open()
            .unwrap();
        let sources = states.open_tree("sources").unwrap();
        sources
            .insert("a", serde_json::to_vec(&fetched("v1")).unwrap())
            .unwrap();
        states.flush().unwrap();
    }
    {
        let store = Store::open(&cfg).unwrap();
        assert_eq!(store.source_state("a").unwrap(), fetched("v1"));
        let meta = store.states_db.open_tree("meta").unwrap();
        assert_eq!(
            meta.get(STATES_SCHEMA_KEY).unwrap().as_deref(),
            Some(&STATES_SCHEMA_VERSION.to_be_bytes()[..])
        );
    }
    let store = Store::open_lazy(&cfg).unwrap();
    assert_eq!(store.source_state("a").unwrap(), fetched("v1"));
}

#[test]
fn the_matching_indexes_are_read_when_first_needed_or_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (stories, _) = stories_and_copies();
    apply(&open(&dir), "kdi", &stories);
    let is_read = |store: &Store| store.main().unwrap().matching.read().unwrap().is_some();
    let store = open(&dir);
    assert!(!is_read(&store), "opening the store does not read them");
    store.load_matching().unwrap();
    assert!(is_read(&store));
    assert_eq!(match_entries(store.main().unwrap()).len(), 6);
}

/// Rewrites the journal's marker (its writes inline) with `change` made to its writes.
fn rewrite_journal(main: &Main, change: impl FnOnce(&mut journal::Writes)) {
    let marker = main.journal.get(journal::MARKER_KEY).unwrap().unwrap();
    // 0: the writes are in the marker itself.
    assert_eq!(marker[0], 0);
    let mut writes = journal::decode(&marker[1..]).unwrap();
    change(&mut writes);
    let mut rewritten = vec![0];
    rewritten.extend(journal::encode(&writes));
    main.journal.insert(journal::MARKER_KEY, rewritten).unwrap();
}

#[test]
fn a_feed_an_older_build_left_in_the_journal_keeps_its_identities_links_and_titles_through_the_upgrade(
) {
    let (stories, copies) = stories_and_copies();
    let extra = vec![item(
        "f1",
        "Culture night in Prishtina",
        Some("https://kdi.example/f1"),
        "f",
    )];
    let extra_copy = vec![item(
        "c1",
        "Culture night",
        Some("http://www.kdi.example/f1/"),
        "g",
    )];
    for schema in [7u64, 8] {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(&dir);
            apply(&store, "kdi", &stories);
            let main = store.main().unwrap();
            let carried: Vec<(&str, &Staged)> = stories.iter().map(|s| ("kdi", s)).collect();
            let logged_links_and_titles = {
                let mut w = journal::Writes::new();
                for index in [Index::Links, Index::Titles] {
                    for (k, v) in matching::entries(main, index) {
                        w.insert((index, k.to_vec()), Some(v));
                    }
                }
                w
            };
            unlog_matches(main, &carried);
            if schema == 8 {
                // Links and titles in the log, identities in their tree.
                for name in ["links", "titles"] {
                    main.db.drop_tree(name).unwrap();
                }
                main.matches
                    .insert(
                        0u64.to_be_bytes(),
                        journal::encode(&logged_links_and_titles),
                    )
                    .unwrap();
                main.next_match
                    .store(1, std::sync::atomic::Ordering::Relaxed);
            }
            store
                .apply_interrupted("kdi", extra.clone(), now())
                .unwrap();
            // As that schema's build journaled it: schema 7 wrote no log entry, schema 8 one
            // of links and titles alone.
            rewrite_journal(main, |writes| {
                let key = writes
                    .keys()
                    .find(|(i, _)| *i == Index::Matches)
                    .unwrap()
                    .clone();
                if schema == 7 {
                    writes.remove(&key);
                } else {
                    let mut logged = journal::decode(&writes[&key].clone().unwrap()).unwrap();
                    logged.retain(|(i, _), _| *i != Index::Idents);
                    writes.insert(key, Some(journal::encode(&logged).into()));
                }
            });
            let meta = main.db.open_tree("meta").unwrap();
            meta.insert("schema", &schema.to_be_bytes()).unwrap();
            store.flush().unwrap();
        }
        let store = open(&dir);
        let main = store.main().unwrap();
        assert_eq!(store.item_count(), 3, "schema {schema}");
        // Three identities, links and titles.
        assert_eq!(match_entries(main).len(), 9, "schema {schema}");
        assert_eq!(
            apply(&store, "kdi", &stories).unchanged,
            2,
            "schema {schema}"
        );
        assert_eq!(apply(&store, "kdi", &extra).unchanged, 1, "schema {schema}");
        assert_eq!(
            apply(&store, "portal", &copies).duplicate,
            2,
            "schema {schema}"
        );
        assert_eq!(
            apply(&store, "portal", &extra_copy).duplicate,
            1,
            "schema {schema}"
        );
    }
}

#[test]
fn an_unreadable_matching_log_says_how_to_rebuild_it() {
    let dir = tempfile::tempdir().unwrap();
    let (stories, copies) = stories_and_copies();
    let old = item("o", "An old story", Some("https://old.example/1"), "o");
    {
        let store = open(&dir);
        apply(&store, "kdi", &stories);
        apply(&store, "old", std::slice::from_ref(&old));
        let removed = store.list(&Query::default()).unwrap();
        let removed = removed.iter().find(|i| i.title == "An old story").unwrap();
        store.remove(removed).unwrap();
        let main = store.main().unwrap();
        main.matches
            .insert(99u64.to_be_bytes(), &[9u8, 1][..])
            .unwrap();
        store.flush().unwrap();
    }
    let store = open(&dir);
    let err = store
        .apply(
            "portal",
            copies,
            &SourceState::default(),
            now(),
            &dedupe(),
            &no_topics,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("an unreadable entry"), "{err}");
    assert!(err.contains("`tributary export`"), "{err}");
    // As it says: the export does without the log (the removed story's tombstone is in the
    // `gone` tree), and an import rebuilds it.
    let mut export = Vec::new();
    let counts = store.export(&mut export, &|_| {}).unwrap();
    assert_eq!((counts.items, counts.tombstones), (2, 1));
    let other = tempfile::tempdir().unwrap();
    let restored = open(&other);
    restored.import(&mut export.as_slice(), &|_| {}).unwrap();
    assert_eq!(apply(&restored, "kdi", &stories).unchanged, 2);
    assert_eq!(apply(&restored, "old", &[old]).unchanged, 1);
}

#[test]
fn a_disk_error_reads_as_the_system_words_it() {
    let full = StoreError::from(sled::Error::Io(std::io::Error::from_raw_os_error(28)));
    let said = full.to_string();
    assert!(
        said.starts_with("store error: cannot read or write the disk: No space left on device"),
        "{said}"
    );
    assert!(!said.contains("Os {"), "{said}");
    // As sled hands back an error its background writer met: the first one's structure.
    let structured = std::io::Error::other(
        r#"Os { code: 28, kind: StorageFull, message: "No space left on device" }"#,
    );
    assert_eq!(
        StoreError::from(sled::Error::Io(structured)).to_string(),
        "store error: cannot read or write the disk: No space left on device (os error 28)"
    );
}

/// A story that reaches the store hours after its date is listed where it arrived, so the
/// newest-first window of a feed shows it (its date stays its own); a back catalogue and
/// the stories of one pass keep the order of their dates.
#[test]
fn a_story_that_arrives_late_is_listed_among_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let at = |h: u32, m: u32| Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0).unwrap();
    let dated = |guid: &str, title: &str, published: DateTime<Utc>| {
        let mut s = item(
            guid,
            title,
            Some(&format!("https://a.example/{guid}")),
            guid,
        );
        s.item.published = Some(published);
        s
    };
    // Three stories on time, at 09:10, 09:20, 09:30; an old one from last month.
    let on_time: Vec<Staged> = (1..=3)
        .map(|i| {
            dated(
                &format!("t{i}"),
                &format!("On time number {i}"),
                at(9, 10 * i),
            )
        })
        .collect();
    apply_at(&store, "a", &on_time, at(9, 40));
    let month_ago = at(9, 0) - chrono::Duration::days(30);
    apply_at(
        &store,
        "b",
        &[dated("old", "From last month", month_ago)],
        at(9, 45),
    );
    // At 10:25 source b delivers a story dated 05:00: late.
    apply_at(
        &store,
        "b",
        &[dated("late", "Late but news", at(5, 0))],
        at(10, 25),
    );
    let newest = |q: Query| -> Vec<String> {
        store
            .list(&q)
            .unwrap()
            .into_iter()
            .map(|i| i.title)
            .collect()
    };
    let window = Query {
        limit: 3,
        ..Query::default()
    };
    assert_eq!(
        newest(window),
        ["Late but news", "On time number 3", "On time number 2"]
    );
    let listed = store.list(&Query::default()).unwrap();
    assert_eq!(listed[0].published, at(5, 0), "its date is its own");
    assert_eq!(listed.last().unwrap().title, "From last month");
    // Its source's feed lists it first too.
    let source = Query {
        source: Some("b".into()),
        limit: 1,
        ..Query::default()
    };
    assert_eq!(newest(source), ["Late but news"]);

    // Republished by source c two days later: first in c's feed, where it is news.
    let mut copy = dated("copy", "Late but news", at(5, 0));
    copy.item.link = Some("https://a.example/late".into());
    let two_days = at(10, 25) + chrono::Duration::days(2);
    assert_eq!(apply_at(&store, "c", &[copy], two_days).duplicate, 1);
    apply_at(
        &store,
        "c",
        &[dated("c1", "Older news of c", at(9, 0))],
        at(9, 50),
    );
    let of_c = Query {
        source: Some("c".into()),
        ..Query::default()
    };
    assert_eq!(newest(of_c), ["Late but news", "Older news of c"]);

    // Retention removes it with every entry, wherever it was listed.
    let removed = store
        .prune(
            Some(std::time::Duration::from_secs(1)),
            None,
            &[],
            two_days + chrono::Duration::days(10),
        )
        .unwrap();
    assert_eq!(removed, 6);
    assert!(store.list(&Query::default()).unwrap().is_empty());
    let main = store.main().unwrap();
    assert!(main.by_published.is_empty() && main.by_source.is_empty());
}

/// A store of schema 9 keyed its feeds' indexes by the stories' dates: opened, they are
/// rebuilt where the feeds list each story now.
#[test]
fn a_schema_9_store_gets_its_feed_indexes_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let at = |h: u32| Utc.with_ymd_and_hms(2026, 11, 30, h, 0, 0).unwrap();
    let (late_id, expected_listing, expected_source) = {
        let store = open(&dir);
        let mut on_time = item("t", "On time", Some("https://a.example/t"), "t");
        on_time.item.published = Some(at(9));
        apply_at(&store, "a", &[on_time], at(9));
        let mut late = item("l", "Late", Some("https://a.example/l"), "l");
        late.item.published = Some(at(2));
        apply_at(&store, "a", &[late], at(10));
        let main = store.main().unwrap();
        let listing: Vec<_> = main
            .by_published
            .iter()
            .keys()
            .map(|k| k.unwrap())
            .collect();
        let source: Vec<_> = main.by_source.iter().keys().map(|k| k.unwrap()).collect();
        // What version 9 wrote: published ‖ id.
        let stories = store.list(&Query::default()).unwrap();
        let late_id = stories.iter().find(|i| i.title == "Late").unwrap().id;
        main.by_published.clear().unwrap();
        main.by_source.clear().unwrap();
        for item in stories {
            main.by_published
                .insert(
                    keys::time_key(item.published, item.id),
                    keys::scope_meta(&item),
                )
                .unwrap();
            let mut k = keys::source_prefix("a");
            k.extend_from_slice(&keys::time_key(item.published, item.id));
            main.by_source.insert(k, &[]).unwrap();
        }
        main.db
            .open_tree("meta")
            .unwrap()
            .insert("schema", &9u64.to_be_bytes())
            .unwrap();
        store.flush().unwrap();
        (late_id, listing, source)
    };
    let store = open(&dir);
    let main = store.main().unwrap();
    let schema = main.db.open_tree("meta").unwrap().get("schema").unwrap();
    assert_eq!(schema.as_deref(), Some(&SCHEMA_VERSION.to_be_bytes()[..]));
    let listing: Vec<_> = main
        .by_published
        .iter()
        .keys()
        .map(|k| k.unwrap())
        .collect();
    let source: Vec<_> = main.by_source.iter().keys().map(|k| k.unwrap()).collect();
    assert_eq!(listing, expected_listing);
    assert_eq!(source, expected_source);
    assert_eq!(store.list(&Query::default()).unwrap()[0].id, late_id);
}

/// An upgrade cut short while it rewrote the indexes (a restart, a crash): the store is
/// already marked with this schema, so an older build refuses it rather than read half an
/// index, and the next open starts the rebuild over; so does a build of a later schema (one
/// that an older build's upgrade left marked with its own).
#[test]
fn an_upgrade_cut_short_is_done_again_at_the_next_open() {
    for marked in [SCHEMA_VERSION, 10] {
        upgrade_cut_short_is_done_again(marked);
    }
}

fn upgrade_cut_short_is_done_again(marked: u64) {
    let dir = tempfile::tempdir().unwrap();
    let (listing, by_source) = {
        let store = open(&dir);
        apply(&store, "a", &six_dated_stories());
        let main = store.main().unwrap();
        let listing: Vec<_> = main
            .by_published
            .iter()
            .keys()
            .map(|k| k.unwrap())
            .collect();
        let by_source: Vec<_> = main.by_source.iter().keys().map(|k| k.unwrap()).collect();
        // Part way through the rebuild from schema 9.
        main.by_published.clear().unwrap();
        main.by_source.clear().unwrap();
        let meta = main.db.open_tree("meta").unwrap();
        meta.insert(REBUILDING_KEY, &[9u8]).unwrap();
        meta.insert("schema", &marked.to_be_bytes()).unwrap();
        store.flush().unwrap();
        (listing, by_source)
    };
    let store = open(&dir);
    let main = store.main().unwrap();
    let meta = main.db.open_tree("meta").unwrap();
    assert!(meta.get(REBUILDING_KEY).unwrap().is_none());
    assert_eq!(
        meta.get("schema").unwrap().as_deref(),
        Some(&SCHEMA_VERSION.to_be_bytes()[..])
    );
    let rebuilt: Vec<_> = main
        .by_published
        .iter()
        .keys()
        .map(|k| k.unwrap())
        .collect();
    let rebuilt_source: Vec<_> = main.by_source.iter().keys().map(|k| k.unwrap()).collect();
    assert_eq!(rebuilt, listing);
    assert_eq!(rebuilt_source, by_source);
    assert_eq!(store.list(&Query::default()).unwrap().len(), 6);
}

#[test]
fn a_schema_10_store_gets_its_links_rekeyed_and_finds_copies_spelled_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let story = "https://bfpe.example/vesti/%d0%b2%d0%b5%d1%81%d1%82/?id=2&lang=sr";
    {
        let store = open(&dir);
        apply(
            &store,
            "bfpe",
            &[item("g1", "Vest o dijalogu", Some(story), "1")],
        );
        let main = store.main().unwrap();
        // What version 10 wrote: the link under a key of its own formula.
        let key = link_key(story).unwrap();
        let id = matching::get(main, Index::Links, &key).unwrap().unwrap();
        let tx = super::journal::Pending::new(main);
        tx.remove(Index::Links, key.to_vec());
        tx.insert(Index::Links, [9u8; 16].to_vec(), id);
        tx.commit().unwrap();
        main.db
            .open_tree("meta")
            .unwrap()
            .insert("schema", &10u64.to_be_bytes())
            .unwrap();
        store.flush().unwrap();
    }
    let store = open(&dir);
    let main = store.main().unwrap();
    let schema = main.db.open_tree("meta").unwrap().get("schema").unwrap();
    assert_eq!(schema.as_deref(), Some(&SCHEMA_VERSION.to_be_bytes()[..]));
    let links: Vec<[u8; 16]> = matching::entries(main, Index::Links)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(links, [link_key(story).unwrap()]);
    // A partner's copy, linked with uppercase escapes, its parameters in another order and a
    // referral marker: the same story.
    let copy = item(
        "p1",
        "Preuzeto: vest o dijalogu Beograda i Prištine",
        Some("https://www.bfpe.example/vesti/%D0%B2%D0%B5%D1%81%D1%82?lang=sr&ref=portal.example&id=2"),
        "p",
    );
    assert_eq!(apply(&store, "portal", &[copy]).duplicate, 1);
    assert_eq!(store.item_count(), 1);
}

#[test]
fn a_copy_written_without_accents_is_the_same_story_and_another_script_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut original = item(
        "g1",
        "Gratë në politikë: takimi i Kokusit në Prishtinë",
        Some("https://kdi.example/sq/lajme/gratë-në-politikë/"),
        "1",
    );
    original.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë për të \
        diskutuar ligjin për barazinë gjinore dhe përfaqësimin e grave në qeverisjen vendore."
        .into();
    assert_eq!(apply(&store, "kdi", &[original]).new, 1);
    // A portal's copy on a page of its own, accents dropped from title and text.
    let mut copy = item(
        "p1",
        "Grate ne politike: takimi i Kokusit ne Prishtine",
        Some("https://portal.example/2020/02/grate-ne-politike"),
        "p",
    );
    copy.item.summary = "Deputetet e Kokusit te Grave u takuan ne Prishtine per te diskutuar \
        ligjin per barazine gjinore dhe perfaqesimin e grave ne qeverisjen vendore."
        .into();
    assert_eq!(apply(&store, "portal", &[copy]).duplicate, 1);
    assert_eq!(store.item_count(), 1);
    // A Serbian story in Cyrillic and its Latin edition are each listed in their language.
    let mut cyrillic = item(
        "c1",
        "Састанак о дијалогу Београда и Приштине",
        Some("https://bfpe.example/ћир/састанак"),
        "c",
    );
    cyrillic.item.summary = "Представници Београда и Приштине састали су се у Бриселу.".into();
    let mut latin = item(
        "l1",
        "Sastanak o dijalogu Beograda i Prištine",
        Some("https://bfpe.example/lat/sastanak"),
        "l",
    );
    latin.item.summary = "Predstavnici Beograda i Prištine sastali su se u Briselu.".into();
    assert_eq!(apply(&store, "bfpe-cyrl", &[cyrillic]).new, 1);
    assert_eq!(apply(&store, "bfpe-latn", &[latin]).new, 1);
    assert_eq!(store.item_count(), 3);
}

/// [`on_section`] published `days` days before the usual date.
fn on_section_dated(title: &str, shared: bool, hash: &str, days: i64) -> Staged {
    let mut s = on_section(title, shared, hash);
    s.item.published = s.item.published.map(|p| p - Duration::days(days));
    s
}

#[test]
fn a_page_that_lists_one_story_at_a_time_keeps_its_next_stories_after_retention() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let src = ["bprg-sq".to_string()];
    let (a, c) = (PLATES, EXHIBITION);
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section_dated(a, false, "a", 9)]).new,
        1
    );
    let b = CAUCUS;
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section_dated(b, false, "b", 5)]).new,
        1
    );
    // Retention removes the first while the page still lists it, then its text changes: a
    // tombstone all the same, under its title.
    assert_eq!(store.prune(None, Some(1), &src, now()).unwrap(), 1);
    assert_eq!(stored_titles(&store), [b]);
    let r = apply(&store, "bprg-sq", &[on_section_dated(a, false, "a2", 9)]);
    assert_eq!((r.new, r.unchanged), (0, 1));
    // The page's next story is a story, never taken for the one retention removed.
    let r = apply(&store, "bprg-sq", &[on_section(c, false, "c")]);
    assert_eq!(r.new, 1);
    assert_eq!(stored_titles(&store), [c, b]);
    let first_id = crate::model::ItemId::derive("bprg-sq", &Identity::Link(SECTION.into()));
    assert!(
        store.item(first_id).unwrap().is_none(),
        "a removed story's id is not reused"
    );
}

#[test]
fn a_section_pages_stories_stay_apart_after_retention_removes_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let src = ["bprg-sq".to_string()];
    let (a, b, c) = (PLATES, CAUCUS, EXHIBITION);
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section_dated(a, true, "a", 9), on_section(b, true, "b")],
    );
    assert_eq!(r.new, 2);
    // The first alone on the link: found under its title, and recorded under the link too.
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section_dated(a, false, "a", 9)]).unchanged,
        1
    );
    assert_eq!(store.prune(None, Some(1), &src, now()).unwrap(), 1);
    assert_eq!(stored_titles(&store), [b]);
    // A later story alone on the link, then with another: each a story of its own.
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section(c, false, "c")]).new,
        1
    );
    let d = "Dialogu Beograd–Prishtinë: takimi i radhës në Bruksel";
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section(d, true, "d"), on_section(c, true, "c")],
    );
    assert_eq!((r.new, r.unchanged), (1, 1));
    assert_eq!(stored_titles(&store), [d, c, b]);
}

#[test]
fn a_section_pages_second_story_is_not_merged_into_a_story_another_source_leads() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (a, b) = (PLATES, CAUCUS);
    // One feed of the site lists the first story alone; another feed of it lists both.
    assert_eq!(
        apply(&store, "bprg-main", &[on_section(a, false, "a")]).new,
        1
    );
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section(a, true, "a"), on_section(b, true, "b")],
    );
    assert_eq!((r.new, r.duplicate), (1, 1));
    assert_eq!(stored_titles(&store), [b, a]);
    // Also when the second feed listed the first alone before.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(&store, "bprg-main", &[on_section(a, false, "a")]);
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section(a, false, "a")]).duplicate,
        1
    );
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section(b, true, "b"), on_section(a, true, "a")],
    );
    assert_eq!((r.new, r.unchanged), (1, 1));
    assert_eq!(stored_titles(&store), [b, a]);
}

#[test]
fn an_entry_alone_on_a_link_another_entry_of_its_source_had_is_a_story_of_its_own() {
    // The page listed two stories under one link, one of which a filter kept out: the link
    // names the other alone. The page's next story under that link is not merged into it.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (a, c) = (PLATES, EXHIBITION);
    assert_eq!(apply(&store, "bprg-sq", &[on_section(a, true, "a")]).new, 1);
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section(c, false, "c")]).new,
        1
    );
    // Two links that are one page by their key (the AMP page) in one feed: two stories.
    let mut amp = on_section(
        "Dialogu Beograd–Prishtinë: takimi i radhës në Bruksel",
        false,
        "d",
    );
    let amp_link = format!("{SECTION}amp/");
    amp.item.link = Some(amp_link.clone());
    amp.item.identity = Identity::Link(amp_link);
    assert_eq!(apply(&store, "bprg-sq", &[amp]).new, 1);
    assert_eq!(store.item_count(), 3);
}

#[test]
fn a_section_pages_stories_with_alike_titles_stay_apart() {
    let (a, b) = (
        "Konferencija za medije ministra finansija",
        "Konferencija za medije ministra zdravlja",
    );
    let boilerplate = |mut s: Staged| {
        s.item.summary =
            "Konferencija za medije održana je danas u Beogradu. Opširnije na sajtu.".into();
        s
    };
    // Seen together first, in either order.
    for order in [[a, b], [b, a]] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let r = apply(
            &store,
            "vlada",
            &[
                boilerplate(on_section(order[0], true, order[0])),
                boilerplate(on_section(order[1], true, order[1])),
            ],
        );
        assert_eq!(r.new, 2, "{order:?}");
        assert_eq!(store.item_count(), 2);
    }
    // The first alone on the link before: the second is a story of its own, the first intact.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(
        apply(&store, "vlada", &[boilerplate(on_section(a, false, "a"))]).new,
        1
    );
    let r = apply(
        &store,
        "vlada",
        &[
            boilerplate(on_section(b, true, "b")),
            boilerplate(on_section(a, true, "a")),
        ],
    );
    assert_eq!((r.new, r.unchanged), (1, 1));
    assert_eq!(stored_titles(&store), [a, b]);
    // A page that lists one at a time: the next, alike and published a day later, is a story
    // too.
    let c = "Konferencija za medije ministra prosvete";
    assert_eq!(
        apply(
            &store,
            "vlada",
            &[boilerplate(on_section_dated(c, false, "c", -1))]
        )
        .new,
        1
    );
    assert_eq!(stored_titles(&store), [a, c, b]);
}

#[test]
fn an_entry_told_by_its_content_while_another_shares_its_title_is_the_story_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (a, c) = ("Vesti dana iz regiona", EXHIBITION);
    let by_content = |title: &str, hash: &str| {
        let mut s = on_section(title, true, hash);
        s.item.identity = Identity::Hash(hash.into());
        s.item.summary = format!("Tekst broj {hash}, sa svojim rečima i rečenicama o događaju.");
        s
    };
    let told = |title: &str, shared: bool, hash: &str| {
        let mut s = on_section(title, shared, hash);
        s.item.summary = format!("Tekst broj {hash}, sa svojim rečima i rečenicama o događaju.");
        s
    };
    assert_eq!(
        apply(&store, "portal", &[told(a, true, "a"), told(c, true, "c")]).new,
        2
    );
    // A second "Vesti dana iz regiona" joins: both are told by their content now.
    let r = apply(
        &store,
        "portal",
        &[by_content(a, "b"), by_content(a, "a"), told(c, true, "c")],
    );
    assert_eq!((r.new, r.unchanged), (1, 2));
    // It leaves again, then the other does too: each is still the story it was.
    let r = apply(&store, "portal", &[told(a, true, "a"), told(c, true, "c")]);
    assert_eq!((r.new, r.unchanged), (0, 2));
    assert_eq!(apply(&store, "portal", &[told(a, false, "a")]).unchanged, 1);
    assert_eq!(store.item_count(), 3);
    // Two of one title seen together first, then one alone: the story it was.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let r = apply(&store, "portal", &[by_content(a, "x"), by_content(a, "y")]);
    assert_eq!(r.new, 2);
    assert_eq!(apply(&store, "portal", &[told(a, false, "y")]).unchanged, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn a_tombstone_without_a_title_beside_it_still_keeps_its_entry_out() {
    // Retention by an older build recorded a link entry's tombstone under the link alone: the
    // entry, changed since, stays out as before.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = PLATES;
    assert_eq!(
        apply(&store, "bprg-sq", &[on_section(a, false, "a")]).new,
        1
    );
    let main = store.main().unwrap();
    let key = keys::ident_key("bprg-sq", &Identity::Link(SECTION.into()).key());
    let value = matching::get(main, Index::Idents, &key).unwrap().unwrap();
    let id = keys::split_ident_value(&value).unwrap().0;
    let tx = super::journal::Pending::new(main);
    tx.remove(Index::Idents, key.clone());
    tx.insert(Index::Gone, matching::ident_hash(&key).to_vec(), value);
    tx.remove(Index::Items, id.0.to_vec());
    tx.commit().unwrap();
    let r = apply(&store, "bprg-sq", &[on_section(a, false, "a2")]);
    assert_eq!((r.new, r.unchanged), (0, 1));
    let other = on_section(EXHIBITION, false, "c");
    assert_eq!(apply(&store, "bprg-sq", &[other]).unchanged, 1);
}

#[test]
fn a_republished_copy_without_a_guid_stays_the_story_after_an_export_and_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut original = item(
        "g1",
        "Takimi i Kokusit të Grave në Prishtinë",
        Some("https://kdi.example/lajme/takimi"),
        "o",
    );
    original.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë.".into();
    assert_eq!(apply(&store, "kdi", &[original]).new, 1);
    let copy = |hash: &str| {
        let mut s = item(
            "",
            "Portali: deputetet u takuan sot",
            Some("https://kdi.example/lajme/takimi?utm_source=portal"),
            hash,
        );
        s.item.link = Some("https://kdi.example/lajme/takimi".into());
        s.item.identity = Identity::Link("https://kdi.example/lajme/takimi".into());
        s.item.summary = "Lajm i shkurtër i portalit.".into();
        s
    };
    assert_eq!(apply(&store, "portal", &[copy("p")]).duplicate, 1);
    let (_other, restored) = restored_copy(&store);
    // The import knows the copy's identity but not its hash; the copy edited since is still it.
    let r = apply(&restored, "portal", &[copy("p2")]);
    assert_eq!((r.new, r.unchanged), (0, 1));
    assert_eq!(restored.item_count(), 1);
}

#[test]
fn retention_buries_the_link_an_entry_told_by_its_content_was_found_under() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let src = ["portal".to_string()];
    let title = "Vesti dana iz regiona";
    let entry = |hash: &str, identity: Identity, days: i64| {
        let mut s = on_section_dated(title, false, hash, days);
        s.item.identity = identity;
        s.item.summary = format!("Tekst broj {hash}, sa svojim rečima i rečenicama o događaju.");
        s
    };
    let by_content = |hash: &str, days| entry(hash, Identity::Hash(hash.into()), days);
    let alone = |hash: &str, days| entry(hash, Identity::Link(SECTION.into()), days);
    // Two of one title on the page, told by their content; then the older alone on the link,
    // found under its content (and recorded under the link too).
    assert_eq!(
        apply(&store, "portal", &[by_content("x", 0), by_content("y", 9)]).new,
        2
    );
    assert_eq!(apply(&store, "portal", &[alone("y", 9)]).unchanged, 1);
    // Retention removes it; the page's next story alone on the link is a story.
    assert_eq!(store.prune(None, Some(1), &src, now()).unwrap(), 1);
    let mut next = on_section_dated(EXHIBITION, false, "z", -1);
    next.item.summary = "Një ekspozitë e re.".into();
    assert_eq!(apply(&store, "portal", &[next]).new, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn a_republishers_page_that_lists_one_story_at_a_time_keeps_its_next_stories() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = PLATES;
    let mut original = item("g1", a, Some("https://kdi.example/lajme/takimi"), "o");
    original.item.summary = "Takimi u mbajt në Bruksel me ndërmjetësit e Bashkimit.".into();
    assert_eq!(apply(&store, "kdi", &[original]).new, 1);
    // The portal's page lists one story at a time under its own link: first a copy of that one.
    let page = |title: &str, hash: &str, summary: &str, days: i64| {
        let mut s = on_section_dated(title, false, hash, days);
        s.item.summary = summary.into();
        s
    };
    let copy = page(
        a,
        "p1",
        "Takimi u mbajt në Bruksel me ndërmjetësit e Bashkimit.",
        0,
    );
    assert_eq!(apply(&store, "portal", &[copy]).duplicate, 1);
    // Its copy edited: still the copy.
    let edited = page(
        a,
        "p2",
        "Takimi u mbajt sot në Bruksel me ndërmjetësit e Bashkimit.",
        0,
    );
    assert_eq!(apply(&store, "portal", &[edited]).unchanged, 1);
    // Then a story of its own: a story, not the copy edited.
    let own = page(
        EXHIBITION,
        "p3",
        "Fotografë nga rajoni hapën ekspozitën.",
        -1,
    );
    assert_eq!(apply(&store, "portal", &[own]).new, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn undated_entries_alone_on_a_link_are_one_story_only_under_one_title() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let undated = |title: &str, hash: &str| {
        let mut s = on_section(title, false, hash);
        s.item.published = None;
        s.item.summary = "Konferencija za medije održana je danas u Beogradu. Opširnije.".into();
        s
    };
    assert_eq!(
        apply(
            &store,
            "vlada",
            &[undated("Konferencija za medije ministra finansija", "a")]
        )
        .new,
        1
    );
    assert_eq!(
        apply(
            &store,
            "vlada",
            &[undated("Konferencija za medije ministra zdravlja", "b")]
        )
        .new,
        1
    );
    // The same title, its text edited: the story it was.
    let mut edited = undated("Konferencija za medije ministra zdravlja", "b2");
    edited.item.summary = "Ministar zdravlja govorio je o novoj bolnici.".into();
    assert_eq!(apply(&store, "vlada", &[edited]).updated, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn a_recurring_title_alone_on_a_link_is_another_story_each_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let weekly = |hash: &str, days: i64| {
        let mut s = on_section_dated("Saopštenje za javnost", false, hash, days);
        s.item.summary = format!("Saopštenje broj {hash} o radu Kancelarije ove nedelje.");
        s
    };
    assert_eq!(apply(&store, "vlada", &[weekly("w1", 14)]).new, 1);
    assert_eq!(apply(&store, "vlada", &[weekly("w2", 7)]).new, 1);
    // Edited the same day: the same story.
    assert_eq!(apply(&store, "vlada", &[weekly("w2b", 7)]).updated, 1);
    assert_eq!(apply(&store, "vlada", &[weekly("w3", 0)]).new, 1);
    assert_eq!(apply(&store, "vlada", &[weekly("w3", 0)]).unchanged, 1);
    // Each week listed again, as it was: the story it was.
    for (hash, days) in [("w1", 14), ("w2b", 7), ("w3", 0)] {
        assert_eq!(
            apply(&store, "vlada", &[weekly(hash, days)]).unchanged,
            1,
            "{hash}"
        );
    }
    assert_eq!(store.item_count(), 3);
}

#[test]
fn a_recurring_title_alone_on_a_link_stays_apart_from_what_retention_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let src = ["vlada".to_string()];
    let weekly = |hash: &str, days: i64| {
        let mut s = on_section_dated("Saopštenje za javnost", false, hash, days);
        s.item.summary = format!("Saopštenje broj {hash} o radu Kancelarije ove nedelje.");
        s
    };
    for (n, (hash, days)) in [("w1", 21), ("w2", 14), ("w3", 7)].into_iter().enumerate() {
        assert_eq!(
            apply(&store, "vlada", &[weekly(hash, days)]).new,
            1,
            "week {n}"
        );
    }
    assert_eq!(store.prune(None, Some(1), &src, now()).unwrap(), 2);
    // A removed week listed again, or edited the same day: kept out.
    assert_eq!(apply(&store, "vlada", &[weekly("w2", 14)]).unchanged, 1);
    assert_eq!(apply(&store, "vlada", &[weekly("w2b", 14)]).unchanged, 1);
    // The next week: a story.
    assert_eq!(apply(&store, "vlada", &[weekly("w4", 0)]).new, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn a_partners_own_post_after_an_import_is_not_taken_for_its_copy() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = "Takimi i Kokusit të Grave në Prishtinë";
    let mut original = item("g1", a, Some("https://kdi.example/lajme/takimi"), "o");
    original.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë.".into();
    assert_eq!(apply(&store, "kdi", &[original]).new, 1);
    // The portal's page, one story at a time under its own link: a copy of that story first.
    let mut copy = on_section(a, false, "p1");
    copy.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë.".into();
    assert_eq!(apply(&store, "portal", &[copy]).duplicate, 1);
    let (_other, restored) = restored_copy(&store);
    // Then a post of its own on that page.
    let mut own = on_section_dated(EXHIBITION, false, "p2", -1);
    own.item.summary = "Fotografë nga rajoni hapën ekspozitën.".into();
    assert_eq!(apply(&restored, "portal", &[own]).new, 1);
    assert_eq!(restored.item_count(), 2);
}

#[test]
fn a_new_entry_above_one_of_its_title_on_the_page_is_never_taken_for_its_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let title = "Saopštenje za javnost";
    let entry = |hash: &str, identity: Identity| {
        let mut s = on_section(title, false, hash);
        s.item.identity = identity;
        s.item.summary = String::new();
        s
    };
    assert_eq!(
        apply(
            &store,
            "vlada",
            &[entry("e1", Identity::Link(SECTION.into()))]
        )
        .new,
        1
    );
    // The next day's statement above it, the same day's date and no text: both are told by
    // their content now, the older found by its raw hash.
    let r = apply(
        &store,
        "vlada",
        &[
            entry("e2", Identity::Hash("e2".into())),
            entry("e1", Identity::Hash("e1".into())),
        ],
    );
    assert_eq!((r.new, r.unchanged, r.duplicate), (1, 1, 0));
    assert_eq!(store.item_count(), 2);
}

#[test]
fn an_entry_unchanged_since_its_last_edit_stays_its_story_when_its_neighbour_returns() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (e, g) = (PLATES, CAUCUS);
    let r = apply(
        &store,
        "bprg-sq",
        &[on_section(e, true, "e0"), on_section(g, true, "g")],
    );
    assert_eq!(r.new, 2);
    // Alone on the link, edited.
    let edited = |shared: bool| {
        let mut s = on_section(e, shared, "e1");
        s.item.summary.push_str(" (corrected)");
        s
    };
    assert_eq!(apply(&store, "bprg-sq", &[edited(false)]).updated, 1);
    // Its neighbour back, it unchanged since.
    let r = apply(&store, "bprg-sq", &[edited(true), on_section(g, true, "g")]);
    assert_eq!((r.new, r.updated, r.unchanged), (0, 0, 2));
    assert_eq!(store.item_count(), 2);
}

#[test]
fn a_partners_copy_under_the_storys_link_stays_the_copy_through_its_edits() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = "https://kdi.example/lajme/takimi";
    let mut original = item("g1", "Takimi i Kokusit të Grave", Some(link), "o");
    original.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë.".into();
    assert_eq!(apply(&store, "kdi", &[original]).new, 1);
    let copy = |hash: &str, summary: &str| {
        let mut s = item("", "[Portal] Deputetet u takuan", Some(link), hash);
        s.item.identity = Identity::Link(link.into());
        s.item.summary = summary.into();
        s
    };
    assert_eq!(
        apply(&store, "portal", &[copy("p1", "Lajm i shkurtër.")]).duplicate,
        1
    );
    let r = apply(
        &store,
        "portal",
        &[copy("p2", "Lajm i shkurtër, i ndryshuar.")],
    );
    assert_eq!((r.new, r.unchanged), (0, 1));
    // The link still names the story: another partner's copy under it is found by it.
    let mut other = item("x1", "Një titull krejt tjetër", Some(link), "x");
    other.item.summary = "Tjetër tekst.".into();
    assert_eq!(apply(&store, "agency", &[other]).duplicate, 1);
    assert_eq!(store.item_count(), 1);
}

/// Two sources' different stories pointing at one page of a third site (a ministry's
/// consultations page) are two stories, whichever comes first; a copy there with one's title
/// and text is that one's.
#[test]
fn stories_of_two_sources_pointing_at_one_page_elsewhere_are_two() {
    let page = "https://gov.example/consultations/";
    let academy = || {
        let mut s = item(
            "a1",
            "Call for applications: Youth Policy Academy 2026",
            Some(page),
            "a",
        );
        s.item.summary = "The academy takes twenty young people from Kosovo and Serbia for \
                          six weekends of seminars on public policy, with mentors from the \
                          institute and visits to the assembly."
            .into();
        s
    };
    let media_law = || {
        let mut s = item(
            "b1",
            "Ministry opens public consultation on the media law",
            Some("https://gov.example/consultations?utm_source=bfpe"),
            "b",
        );
        s.item.summary = "Comments on the draft law on public information and media are \
                          open until the end of the month; the partner network will send \
                          a joint submission."
            .into();
        s
    };
    for first_kdi in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let dedupe = DedupeConfig {
            organizations: std::sync::Arc::new(["kdi".to_string()].into()),
            ..dedupe()
        };
        let (first, second) = if first_kdi {
            (("kdi", academy()), ("bfpe", media_law()))
        } else {
            (("bfpe", media_law()), ("kdi", academy()))
        };
        assert_eq!(apply_deduped(&store, first.0, first.1, &dedupe).new, 1);
        assert_eq!(apply_deduped(&store, second.0, second.1, &dedupe).new, 1);
        let stored = store.list(&Query::default()).unwrap();
        assert_eq!(stored.len(), 2, "{stored:?}");
        for s in &stored {
            assert_eq!(s.sources.len(), 1, "{s:?}");
        }
        // A third source's copy of the academy (its title and text) is the academy's.
        let mut copy = academy();
        copy.item.identity = Identity::Guid("p1".into());
        assert_eq!(apply_deduped(&store, "portal", copy, &dedupe).duplicate, 1);
        assert_eq!(store.item_count(), 2);
    }
    // Likewise a page of a partner polled too (a newspaper's article): not an organisation's.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let dedupe = DedupeConfig {
        organizations: std::sync::Arc::new(["kdi".to_string()].into()),
        ..dedupe()
    };
    let on_portal = |mut s: Staged| {
        s.item.link = Some("https://portal.example/2026/11/30/budget-article".into());
        s
    };
    assert_eq!(
        apply_deduped(&store, "kdi", on_portal(academy()), &dedupe).new,
        1
    );
    assert_eq!(
        apply_deduped(&store, "bfpe", on_portal(media_law()), &dedupe).new,
        1
    );
}

/// A partner's copy of an organisation's story under the organisation's page is the story's,
/// with a title and a blurb of the partner's own, whichever is fetched first.
#[test]
fn a_partners_own_words_under_an_organisations_page_are_its_story() {
    let page = "https://kdi.example/news/academy";
    let story = || {
        let mut s = item(
            "k1",
            "Youth Policy Academy opens its 2026 call",
            Some(page),
            "k",
        );
        s.item.summary = "Twenty places for young people from Kosovo and Serbia.".into();
        s
    };
    let partner = || {
        let mut s = item(
            "p1",
            "Apply now: our friends at KDI take young people for policy training",
            Some("https://kdi.example/news/academy?utm_source=portal&utm_medium=rss"),
            "p",
        );
        s.item.summary = "Lexo më shumë në faqen e partnerit.".into();
        s
    };
    for partner_first in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let dedupe = DedupeConfig {
            organizations: std::sync::Arc::new(["kdi".to_string()].into()),
            ..dedupe()
        };
        if partner_first {
            assert_eq!(apply_deduped(&store, "portal", partner(), &dedupe).new, 1);
            // A second partner's words of its own too, before the organisation's entry.
            let mut other = partner();
            other.item.identity = Identity::Guid("a1".into());
            other.item.title = "Pozivi za Akademiju mladih su otvoreni".into();
            other.item.summary = "Prijave do kraja meseca.".into();
            assert_eq!(apply_deduped(&store, "agency", other, &dedupe).duplicate, 1);
            assert_eq!(apply_deduped(&store, "kdi", story(), &dedupe).duplicate, 1);
        } else {
            assert_eq!(apply_deduped(&store, "kdi", story(), &dedupe).new, 1);
            assert_eq!(
                apply_deduped(&store, "portal", partner(), &dedupe).duplicate,
                1
            );
        }
        let stored = store.list(&Query::default()).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].title, "Youth Policy Academy opens its 2026 call");
        assert_eq!(stored[0].sources.len(), 2 + usize::from(partner_first));
    }
}

#[test]
fn a_partners_copy_edited_after_retention_removed_its_story_stays_out() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let title = "Takimi i Kokusit të Grave në Prishtinë";
    let mut original = item("g1", title, Some("https://kdi.example/lajme/takimi"), "o");
    original.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë.".into();
    assert_eq!(apply(&store, "kdi", &[original]).new, 1);
    let copy = |hash: &str| {
        let mut s = on_section(title, false, hash);
        s.item.summary = "Deputetet e Kokusit të Grave u takuan në Prishtinë.".into();
        s
    };
    assert_eq!(apply(&store, "portal", &[copy("p1")]).duplicate, 1);
    let week = std::time::Duration::from_secs(7 * 86_400);
    let later = now() + Duration::days(30);
    assert_eq!(store.prune(Some(week), None, &[], later).unwrap(), 1);
    let r = apply_at(&store, "portal", &[copy("p2")], later);
    assert_eq!((r.new, r.unchanged), (0, 1));
    assert_eq!(store.item_count(), 0);
}

#[test]
fn a_partners_copies_under_a_page_that_lists_one_story_at_a_time_follow_its_stories() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (s1, s2) = (PLATES, EXHIBITION);
    let entry = |title: &str, hash: &str, days: i64| {
        let mut s = on_section_dated(title, false, hash, days);
        s.item.summary = format!("{title}: tekst i plotë i lajmit, me fjalë të veta.");
        s
    };
    assert_eq!(apply(&store, "bprg-sq", &[entry(s1, "a1", 1)]).new, 1);
    assert_eq!(apply(&store, "portal", &[entry(s1, "b1", 1)]).duplicate, 1);
    assert_eq!(apply(&store, "bprg-sq", &[entry(s2, "a2", 0)]).new, 1);
    // The portal's copy of the page's next story: that story's copy, not the first's edited.
    let r = apply(&store, "portal", &[entry(s2, "b2", 0)]);
    assert_eq!((r.new, r.duplicate, r.unchanged), (0, 1, 0));
    assert_eq!(store.item_count(), 2);
    let stored = store.list(&Query::default()).unwrap();
    let second = stored.iter().find(|i| i.title == s2).unwrap();
    assert_eq!(second.sources.len(), 2);
}

#[test]
fn an_entry_back_as_it_was_before_an_edit_updates_its_story_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (e, g) = (PLATES, CAUCUS);
    let with_text = |mut s: Staged, text: &str| {
        s.item.summary = text.into();
        s
    };
    let first = "Takimi u mbajt në Bruksel.";
    let r = apply(
        &store,
        "bprg-sq",
        &[
            with_text(on_section(e, true, "e0"), first),
            on_section(g, true, "g"),
        ],
    );
    assert_eq!(r.new, 2);
    let edited = with_text(
        on_section(e, false, "e1"),
        "Takimi u shty për javën tjetër.",
    );
    assert_eq!(apply(&store, "bprg-sq", &[edited]).updated, 1);
    // The edit taken back, its neighbour back too: a change for the fetch's check too, which
    // would otherwise skip it before it reaches the store.
    let titled = on_section(e, true, "e0").item.identity;
    assert_eq!(
        store.unchanged("bprg-sq", &[(&titled, "e0")]).unwrap(),
        [false]
    );
    let r = apply(
        &store,
        "bprg-sq",
        &[
            with_text(on_section(e, true, "e0"), first),
            on_section(g, true, "g"),
        ],
    );
    assert_eq!((r.updated, r.unchanged), (1, 1));
    let stored = store.list(&Query::default()).unwrap();
    assert_eq!(stored.iter().find(|i| i.title == e).unwrap().summary, first);
    // As it is now, again: nothing changes.
    let r = apply(
        &store,
        "bprg-sq",
        &[
            with_text(on_section(e, true, "e0"), first),
            on_section(g, true, "g"),
        ],
    );
    assert_eq!((r.updated, r.unchanged), (0, 2));
}

#[test]
fn a_partners_other_story_under_a_storys_link_is_found_by_its_own_copies() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = Some("https://kdi.example/lajme/");
    let story = |guid: &str, title: &str, hash: &str| {
        let mut s = item(guid, title, link, hash);
        s.item.summary = format!("{title}: tekst i plotë i lajmit, me fjalë të veta.");
        s
    };
    let (s, t) = ("Takimi i Kokusit të Grave në Prishtinë", EXHIBITION);
    assert_eq!(apply(&store, "kdi", &[story("k1", s, "k1")]).new, 1);
    assert_eq!(
        apply(&store, "portal", &[story("p1", s, "p1")]).duplicate,
        1
    );
    // The portal's own story under that link.
    assert_eq!(apply(&store, "portal", &[story("p2", t, "p2")]).new, 1);
    // An agency's copy of it under the same link: found by its title, not merged into the first.
    let r = apply(&store, "agency", &[story("a1", t, "a1")]);
    assert_eq!(r.duplicate, 1);
    let stored = store.list(&Query::default()).unwrap();
    let own = stored.iter().find(|i| i.title == t).unwrap();
    assert_eq!(own.sources.len(), 2);
}

#[test]
fn an_entry_alone_on_its_link_with_its_title_mended_over_a_long_text_is_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = "https://bfpe.example/vesti/ministar-u-tirani";
    let text = "Ministar spoljnih poslova boravio je danas u Tirani, gde je sa domaćinima \
        razgovarao o saradnji u okviru Berlinskog procesa, o slobodi kretanja građana, o \
        priznavanju diploma i o zajedničkim projektima infrastrukture koji povezuju dve \
        zemlje. Sastanku su prisustvovali i predstavnici civilnog društva iz oba glavna grada.";
    let entry = |title: &str, hash: &str| {
        let mut s = item("", title, Some(link), hash);
        s.item.identity = Identity::Link(link.into());
        s.item.summary = text.into();
        s
    };
    assert_eq!(
        apply(
            &store,
            "bfpe",
            &[entry("Ministar posjetio Tiranu danas", "t1")]
        )
        .new,
        1
    );
    let r = apply(
        &store,
        "bfpe",
        &[entry("Ministar posetio Tiranu danas", "t2")],
    );
    assert_eq!((r.new, r.updated), (0, 1));
    assert_eq!(store.item_count(), 1);
}

#[test]
fn a_pages_next_story_over_the_same_long_boilerplate_is_a_story_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let invitation = "Pozivamo predstavnike medija da prisustvuju konferenciji za medije koja će \
        se održati u sali Vlade, u ulici Nemanjinoj broj jedanaest, sa početkom u podne. Molimo \
        novinare da se akredituju do devet časova i da dođu pola sata ranije radi bezbednosne \
        provere, sa ličnom kartom i novinarskom legitimacijom.";
    let entry = |title: &str, hash: &str, days: i64| {
        let mut s = on_section_dated(title, false, hash, days);
        s.item.summary = invitation.into();
        s
    };
    assert_eq!(
        apply(
            &store,
            "vlada",
            &[entry("Konferencija za medije ministra finansija", "f", 1)]
        )
        .new,
        1
    );
    assert_eq!(
        apply(
            &store,
            "vlada",
            &[entry("Konferencija za medije ministra zdravlja", "z", 0)]
        )
        .new,
        1
    );
    assert_eq!(store.item_count(), 2);
}

/// An old story its source lists again under a later date keeps the date it was published
/// on, and its place in the listings; the later date is when it was updated. With a GUID, or
/// without one when its title and text are the story's word for word.
#[test]
fn a_story_listed_again_under_a_later_date_keeps_its_date_and_place() {
    let report = "The institute's report on the implementation of the agreements on freedom of \
        movement, civil registries and the recognition of diplomas finds that the licence plate \
        arrangement works, that the civil registry copies are still incomplete in four \
        municipalities, and that diplomas from the university in the north wait on average \
        five months for recognition; it recommends a joint office, published deadlines and a \
        yearly review with both negotiating teams and the EU facilitator.";
    let later = now() + Duration::days(20);
    for by_guid in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let entry = |hash: &str, days: i64| {
            let mut s = item(
                "r1",
                "Report: what the agreements changed",
                Some("https://kdi.example/en/report/"),
                hash,
            );
            if !by_guid {
                s.item.identity = Identity::Link("https://kdi.example/en/report/".into());
            }
            s.item.summary = report.into();
            s.item.published = s.item.published.map(|p| p + Duration::days(days));
            s
        };
        let other = item(
            "n1",
            "Newer story of the week",
            Some("https://kdi.example/n"),
            "n",
        );
        let other = Staged {
            item: NewItem {
                published: Some(now() + Duration::days(5)),
                ..other.item
            },
            ..other
        };
        assert_eq!(apply(&store, "kdi", &[entry("a", 0), other]).new, 2);
        let first = store.list(&Query::default()).unwrap();
        let r = apply_at(&store, "kdi", &[entry("b", 20)], later);
        assert_eq!((r.new, r.updated), (0, 1), "by GUID: {by_guid}");
        let stored = store.list(&Query::default()).unwrap();
        assert_eq!(stored.len(), 2);
        assert_eq!(
            stored[0].title, "Newer story of the week",
            "by GUID: {by_guid}"
        );
        assert_eq!(stored[1].published, first[1].published);
        assert_eq!(
            stored[1].updated,
            first[1].published.checked_add_signed(Duration::days(20))
        );
    }
    // A date corrected to one no later than a day after the story arrived (a draft's date, a
    // zone written wrong) is taken.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut draft = item("d1", "Report: what the agreements changed", None, "a");
    draft.item.published = Some(now() - Duration::days(30));
    assert_eq!(apply(&store, "kdi", &[draft.clone()]).new, 1);
    let mut corrected = draft;
    corrected.item.published = Some(now() - Duration::hours(2));
    corrected.item.content_hash = "b".into();
    assert_eq!(apply(&store, "kdi", &[corrected]).updated, 1);
    let stored = store.list(&Query::default()).unwrap();
    assert_eq!(stored[0].published, now() - Duration::hours(2));
}

#[test]
fn only_the_sources_own_edit_dates_a_story_as_edited() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let story = || {
        item(
            "s1",
            "Vest o dijalogu Beograda i Prištine",
            Some("https://bfpe.example/s1"),
            "h1",
        )
    };
    apply(&store, "bfpe", &[story()]);
    // Another source's copy, an hour later: the story has another carrier, not an edit.
    let copy = item(
        "p1",
        "Vest o dijalogu Beograda i Prištine",
        Some("https://portal.example/p1"),
        "p",
    );
    let later = now() + Duration::hours(1);
    assert_eq!(apply_at(&store, "portal", &[copy], later).duplicate, 1);
    let stored = store.list(&Query::default()).unwrap();
    assert_eq!(stored[0].last_changed, later);
    assert_eq!(stored[0].edited, None);
    // Its source edits it: that is.
    let mut edit = story();
    edit.item.summary = "summary of Vest o dijalogu Beograda i Prištine, corrected".into();
    edit.item.content_hash = "h2".into();
    let edited_at = now() + Duration::hours(2);
    assert_eq!(apply_at(&store, "bfpe", &[edit], edited_at).updated, 1);
    let stored = store.list(&Query::default()).unwrap();
    assert_eq!(stored[0].edited, Some(edited_at));
}

#[test]
fn an_entry_alone_on_its_link_retitled_over_its_very_text_and_date_is_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = "https://kulturni-most.example/vesti/izlozba";
    let text = "Izložba fotografija mladih umetnika iz regiona otvara se u petak u galeriji \
        doma kulture.";
    let entry = |title: &str, hash: &str, hours: i64| {
        let mut s = item("", title, Some(link), hash);
        s.item.identity = Identity::Link(link.into());
        s.item.summary = text.into();
        s.item.published = Some(s.item.published.unwrap() + Duration::hours(hours));
        s
    };
    assert_eq!(
        apply(&store, "bfpe", &[entry("Изложба фотографија", "t1", 0)]).new,
        1
    );
    // Two words added to the title, the short text and date as they were: the same story.
    let r = apply(
        &store,
        "bfpe",
        &[entry("Изложба фотографија у Нишу (видео)", "t2", 0)],
    );
    assert_eq!((r.new, r.updated), (0, 1));
    assert_eq!(store.item_count(), 1);
    // Under another date, another title over the same text is another story.
    let r = apply(
        &store,
        "bfpe",
        &[entry("Нова изложба у галерији", "t3", 24)],
    );
    assert_eq!(r.new, 1);
    assert_eq!(store.item_count(), 2);
    // Under the same date, a title that is not the last one's with words added or cut (a
    // page's next story over the same line) is another story too.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(
        &store,
        "bfpe",
        &[entry("Изложба фотографија у Нишу", "n1", 0)],
    );
    let r = apply(
        &store,
        "bfpe",
        &[entry("Изложба фотографија у Пироту", "n2", 0)],
    );
    assert_eq!(r.new, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn an_original_taking_the_lead_never_dates_the_story_earlier_nor_today() {
    let dedupe = DedupeConfig {
        organizations: std::sync::Arc::new(["bfpe".to_string()].into()),
        ..dedupe()
    };
    let title = "Vest o dijalogu Beograda i Prištine";
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    // A partner's copy dated (updated) after the original was published.
    let mut copy = item("p1", title, Some("https://portal.example/p1"), "p");
    let copy_updated = copy.item.published.unwrap() + Duration::hours(5);
    copy.item.updated = Some(copy_updated);
    apply(&store, "portal", &[copy]);
    assert_eq!(
        store.list(&Query::default()).unwrap()[0].updated_at(),
        copy_updated
    );
    // The original, weeks later, with an earlier date and none of `updated`.
    let original = item("o1", title, Some("https://bfpe.example/o1"), "o");
    let report = store
        .apply(
            "bfpe",
            vec![original],
            &SourceState::default(),
            now() + Duration::days(20),
            &dedupe,
            &no_topics,
        )
        .unwrap();
    assert_eq!(report.duplicate, 1);
    let stored = &store.list(&Query::default()).unwrap()[0];
    assert_eq!(stored.sources[0].source, "bfpe", "the original leads");
    assert_eq!(stored.updated_at(), copy_updated);
    // The same copies minutes apart (one fetch cycle, the copy's feed first): the story
    // reads as the original's, dated as it would be in the other order.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut copy = item("p1", title, Some("https://portal.example/p1"), "p");
    copy.item.updated = Some(copy_updated);
    apply(&store, "portal", &[copy]);
    let original = item("o1", title, Some("https://bfpe.example/o1"), "o");
    let published = original.item.published.unwrap();
    store
        .apply(
            "bfpe",
            vec![original],
            &SourceState::default(),
            now() + Duration::minutes(2),
            &dedupe,
            &no_topics,
        )
        .unwrap();
    let stored = &store.list(&Query::default()).unwrap()[0];
    assert_eq!(stored.sources[0].source, "bfpe");
    assert_eq!(stored.updated_at(), published);
    assert_eq!(stored.edited, None);
    // An original with a date after the copy's: its own dates, no edit of its own.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(
        &store,
        "portal",
        &[item("p1", title, Some("https://portal.example/p1"), "p")],
    );
    let mut original = item("o1", title, Some("https://bfpe.example/o1"), "o");
    let later = original.item.published.unwrap() + Duration::hours(2);
    original.item.updated = Some(later);
    store
        .apply(
            "bfpe",
            vec![original],
            &SourceState::default(),
            now() + Duration::days(20),
            &dedupe,
            &no_topics,
        )
        .unwrap();
    let stored = &store.list(&Query::default()).unwrap()[0];
    assert_eq!((stored.updated_at(), stored.edited), (later, None));
}

#[test]
fn an_entry_whose_raw_form_alone_changed_is_no_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = Some("https://kdi.example/lajme/takimi");
    assert_eq!(
        apply(&store, "kdi", &[item("g1", PLATES, link, "1")]).new,
        1
    );
    // The feed's link gained another `utm_campaign` (the parser drops it), or a pixel with
    // a new address: a new raw hash, the same story.
    let later = now() + Duration::hours(3);
    let r = apply_at(&store, "kdi", &[item("g1", PLATES, link, "2")], later);
    assert_eq!((r.updated, r.unchanged), (0, 1));
    let stored = &store.list(&Query::default()).unwrap()[0];
    assert_eq!((stored.last_changed, stored.edited), (now(), None));
    assert_eq!(stored.content_hash, "2");
    // Known by that hash from now on; an edit is one.
    let r = apply_at(&store, "kdi", &[item("g1", PLATES, link, "2")], later);
    assert_eq!((r.updated, r.unchanged), (0, 1));
    let mut edited = item("g1", PLATES, link, "3");
    edited.item.summary.push_str(" (corrected)");
    let r = apply_at(&store, "kdi", &[edited], later);
    assert_eq!(r.updated, 1);
    let stored = &store.list(&Query::default()).unwrap()[0];
    assert_eq!(stored.edited, Some(later));
}

#[test]
fn a_story_its_source_gives_a_new_identity_and_an_edit_at_once_takes_the_edit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut first = item("a-1", PLATES, Some("http://kdi.example/lajme/takimi"), "1");
    first.item.summary = long_text().into();
    assert_eq!(apply(&store, "kdi", &[first.clone()]).new, 1);
    // A new CMS: new GUIDs, https links, and a correction in the same fetch.
    let mut moved = first.clone();
    moved.item.identity = Identity::Guid("https://kdi.example/?p=1000".into());
    moved.item.link = Some("https://kdi.example/lajme/takimi".into());
    moved.item.summary = format!(
        "{} Correction: the meeting was held on Tuesday.",
        long_text()
    );
    moved.item.content_hash = "2".into();
    let r = apply(&store, "kdi", std::slice::from_ref(&moved));
    assert_eq!((r.new, r.duplicate, r.updated), (0, 0, 1));
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].summary.ends_with("held on Tuesday."));
    assert_eq!(all[0].link.as_deref(), moved.item.link.as_deref());
    assert_eq!(
        all[0].sources[0].link.as_deref(),
        moved.item.link.as_deref()
    );
    // The new entry is known as it is now.
    let r = apply(&store, "kdi", &[moved]);
    assert_eq!((r.unchanged, r.updated), (1, 0));
}

#[test]
fn a_link_a_story_moved_from_names_it_no_more() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let roadmap_text = long_text();
    let mut roadmap = item(
        "item-1",
        PLATES,
        Some("https://kdi.example/news/roadmap"),
        "1",
    );
    roadmap.item.summary = roadmap_text.into();
    assert_eq!(apply(&store, "kdi", &[roadmap.clone()]).new, 1);
    // The site gave that GUID another story, on a page of its own.
    let mut caucus = item(
        "item-1",
        CAUCUS,
        Some("https://kdi.example/news/caucus"),
        "2",
    );
    caucus.item.summary = "Deputetet e Grupit të Grave u takuan në Prishtinë për buxhetin \
        gjinor, ligjin për barazinë dhe planin e punës për vitin e ardhshëm në Kuvend."
        .into();
    assert_eq!(apply(&store, "kdi", &[caucus]).updated, 1);
    // A partner's copy of the roadmap story under its old link is not the caucus story.
    let mut copy = roadmap.clone();
    copy.item.identity = Identity::Guid("b-7".into());
    copy.item.title = "Roadmap: what the first meeting agreed".into();
    copy.item.link = Some("https://kdi.example/news/roadmap?utm_source=b".into());
    copy.item.content_hash = "b".into();
    let r = apply(&store, "bprg", &[copy]);
    assert_eq!((r.new, r.duplicate), (1, 0));
    let caucus = store
        .list(&Query::default())
        .unwrap()
        .into_iter()
        .find(|i| i.title == CAUCUS)
        .unwrap();
    assert_eq!(caucus.sources.len(), 1);
}

#[test]
fn a_dated_copy_leads_a_copy_the_store_dated() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = "https://kdi.example/lajme/takimi";
    // A partner's undated copy first, fetched after the story's date.
    let mut undated = item("p-1", &format!("{PLATES} | Portal"), Some(link), "p");
    undated.item.summary = format!("Republished by the portal. {}", long_text());
    undated.item.published = None;
    let seen = now() + Duration::hours(10);
    assert_eq!(apply_at(&store, "portal", &[undated], seen).new, 1);
    let mut dated = item("o-1", PLATES, Some(link), "o");
    dated.item.summary = long_text().into();
    let r = apply_at(&store, "other", &[dated.clone()], seen + Duration::hours(1));
    assert_eq!(r.duplicate, 1);
    let stored = &store.list(&Query::default()).unwrap()[0];
    assert_eq!(stored.title, PLATES);
    assert_eq!(stored.published, dated.item.published.unwrap());
    assert!(!stored.date_inferred);
    assert_eq!(stored.source(), "other");
}

#[test]
fn an_entry_without_a_guid_moved_to_https_and_retitled_stays_its_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = "http://kdi.example/lajme/takimi";
    let mut first = item("", PLATES, Some(link), "1");
    first.item.identity = Identity::Link(link.into());
    first.item.summary = long_text().into();
    assert_eq!(apply(&store, "kdi", &[first.clone()]).new, 1);
    let https = link.replace("http:", "https:");
    let mut moved = first.clone();
    moved.item.identity = Identity::Link(https.clone());
    moved.item.link = Some(https.clone());
    moved.item.title = format!("{PLATES} (video)");
    moved.item.content_hash = "2".into();
    let r = apply(&store, "kdi", &[moved]);
    assert_eq!((r.new, r.updated), (0, 1));
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].title, format!("{PLATES} (video)"));
    assert_eq!(all[0].link.as_deref(), Some(https.as_str()));
    // A partner's copy under the story's link still merges into it.
    let mut copy = first.clone();
    copy.item.identity = Identity::Guid("b-1".into());
    copy.item.link = Some(format!("{https}?utm_source=b"));
    copy.item.content_hash = "b".into();
    assert_eq!(apply(&store, "bprg", &[copy]).duplicate, 1);
    assert_eq!(store.item_count(), 1);
}

// A GUID-less entry whose link moved (a slug fixed) under its whole title, its very date and
// its text is its story: not a second copy of it in the feeds; a slug fixed again neither.
// Another entry of the same title on another date is another story.
#[test]
fn an_entry_without_a_guid_whose_slug_changed_stays_its_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |link: &str, hash: &str| {
        let mut s = item("", PLATES, Some(link), hash);
        s.item.identity = Identity::Link(link.into());
        s.item.summary = long_text().into();
        s
    };
    let first = entry("https://kdi.example/lajme/old-slug", "1");
    assert_eq!(apply(&store, "kdi", &[first]).new, 1);
    for (n, slug) in ["new-slug", "third-slug"].into_iter().enumerate() {
        let link = format!("https://kdi.example/lajme/{slug}");
        let r = apply(&store, "kdi", &[entry(&link, &format!("{}", n + 2))]);
        assert_eq!((r.new, r.updated), (0, 1), "{slug}");
        let all = store.list(&Query::default()).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].link.as_deref(), Some(link.as_str()));
    }
    let mut later = entry("https://kdi.example/lajme/next-year", "4");
    later.item.published = Some(Utc.with_ymd_and_hms(2021, 2, 25, 10, 0, 0).unwrap());
    assert_eq!(apply(&store, "kdi", &[later]).new, 1);
    assert_eq!(store.item_count(), 2);
}

#[test]
fn an_entry_without_guid_or_link_edited_stays_its_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = |hash: &str, summary: String| {
        let mut s = item("", PLATES, None, hash);
        s.item.identity = Identity::Hash(hash.into());
        s.item.summary = summary;
        s
    };
    assert_eq!(
        apply(&store, "kdi", &[entry("1", long_text().into())]).new,
        1
    );
    let corrected = format!("{} The meeting was held on Tuesday.", long_text());
    let r = apply(&store, "kdi", &[entry("2", corrected.clone())]);
    assert_eq!((r.new, r.updated), (0, 1));
    let all = store.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].summary, corrected);
    // Another entry of that title and date with a text of its own is another story, and so
    // is one of another date.
    let other = "Negotiators from both sides discussed licence plates, vehicle documents and \
        the freedom of movement agreement at a technical meeting chaired by the mediator of \
        the European Union, and agreed to meet again after the holidays in Brussels";
    assert_eq!(apply(&store, "kdi", &[entry("3", other.into())]).new, 1);
    let mut later = entry("4", format!("{corrected} Photos added."));
    later.item.published = Some(now() + Duration::days(2));
    assert_eq!(apply(&store, "kdi", &[later]).new, 1);
}

#[test]
fn a_story_listed_again_under_a_later_date_is_no_edit_at_each_new_raw_form() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = Some("https://kdi.example/lajme/takimi");
    assert_eq!(
        apply(&store, "kdi", &[item("g1", PLATES, link, "1")]).new,
        1
    );
    // Listed again ten days later under that day's date: updated once (the date is its
    // `updated`), then the same entry with another tracking parameter each day is no edit.
    let later = now() + Duration::days(10);
    let relisted = |hash: &str| {
        let mut s = item("g1", PLATES, link, hash);
        s.item.published = Some(later);
        s
    };
    assert_eq!(apply_at(&store, "kdi", &[relisted("2")], later).updated, 1);
    let stored = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(stored.updated, Some(later));
    for (day, hash) in [(11, "3"), (12, "4")] {
        let at = now() + Duration::days(day);
        let r = apply_at(&store, "kdi", &[relisted(hash)], at);
        assert_eq!((r.updated, r.unchanged), (0, 1), "{hash}");
    }
    let after = store.list(&Query::default()).unwrap().remove(0);
    assert_eq!(
        (after.last_changed, after.edited, after.updated),
        (stored.last_changed, stored.edited, stored.updated)
    );
}

#[test]
fn a_guid_on_a_link_of_a_story_without_one_is_that_story_only_if_it_tells_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let press = "https://vlada.example/press";
    let mut finance = item(
        "",
        "Press conference of the minister of finance",
        Some(press),
        "1",
    );
    finance.item.identity = Identity::Link(press.into());
    finance.item.summary = long_text().into();
    assert_eq!(apply(&store, "vlada", &[finance.clone()]).new, 1);
    // The site's CMS gives GUIDs now, and the page its next story.
    let mut health = item(
        "g2",
        "Visit of the minister of health to Niš",
        Some(press),
        "2",
    );
    health.item.published = Some(now() + Duration::days(3));
    health.item.summary = "The minister opened the new wing of the clinical centre and met \
        the staff of the emergency department, who asked for more nurses and equipment"
        .into();
    let r = apply(&store, "vlada", &[health]);
    assert_eq!((r.new, r.updated, r.duplicate), (1, 0, 0));
    assert_eq!(store.item_count(), 2);
    assert!(stored_titles(&store).contains(&finance.item.title));
}

#[test]
fn a_copy_dated_after_an_undated_copy_was_seen_does_not_take_its_lead() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let link = "https://kdi.example/lajme/takimi";
    let mut undated = item("p-1", PLATES, Some(link), "p");
    undated.item.summary = long_text().into();
    undated.item.published = None;
    assert_eq!(apply(&store, "portal", &[undated]).new, 1);
    let mut later = item("o-1", PLATES, Some(link), "o");
    later.item.summary = long_text().into();
    later.item.published = Some(now() + Duration::hours(6));
    assert_eq!(apply(&store, "other", &[later]).duplicate, 1);
    let stored = &store.list(&Query::default()).unwrap()[0];
    assert_eq!(stored.source(), "portal");
    assert_eq!(stored.published, now());
}

// A store that cannot be opened for want of room says what to do, once.
#[test]
fn a_store_without_room_to_open_says_what_to_do() {
    let full = StoreError::Open {
        path: "/var/lib/tributary".into(),
        error: sled::Error::Io(std::io::Error::from(std::io::ErrorKind::StorageFull)),
    };
    let said = full.to_string();
    assert!(
        said.starts_with("cannot open the store at /var/lib/tributary: "),
        "{said}"
    );
    assert!(said.contains("free some on its disk"), "{said}");
    let other = StoreError::Open {
        path: "/var/lib/tributary".into(),
        error: sled::Error::Io(std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
    };
    assert!(!other.to_string().contains("free some"), "{other}");
}

// A title written with a joiner inside a word (as text keeps it) is the title written without.
#[test]
fn joiners_inside_words_do_not_part_titles() {
    let with = super::dedupe_keys::title_key(
        "Gratë në politikë: می\u{200c}خواهم 👩\u{200d}👩\u{200d}👧 bashkë",
        1,
    );
    let without = super::dedupe_keys::title_key("Gratë në politikë: میخواهم 👩👩👧 bashkë", 1);
    assert!(with.is_some());
    assert_eq!(with, without);
}

// A daemon whose store failed restarts only once a new process could open it: the disk is
// writable and has room, as the file system says.
#[test]
fn room_to_reopen_asks_the_file_system_for_writable_room() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_lazy(&test_config(dir.path())).unwrap();
    store.room_to_reopen().unwrap();
    assert!(enough_room(ROOM_TO_REOPEN, false).is_ok());
    let full = enough_room(ROOM_TO_REOPEN - 1, false).unwrap_err();
    assert_eq!(full.kind(), std::io::ErrorKind::StorageFull, "{full}");
    let read_only = enough_room(u64::MAX, true).unwrap_err();
    assert_eq!(read_only.kind(), std::io::ErrorKind::ReadOnlyFilesystem);
    // Asking takes nothing: no file is written in the store's folder.
    let before: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    store.room_to_reopen().unwrap();
    let after: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after);
}
