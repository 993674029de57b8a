//! Reading the store: listings newest first (by source, topic and language), the first-seen
//! index digests read, a story that arrived late, and the running count of stories.

use super::*;
use crate::store::records::decode_item;

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
