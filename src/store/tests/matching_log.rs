//! The identity, link and title indexes held in memory: read back from their log, logged by a
//! feed a crash interrupted, the log rewritten, and an unreadable log reported.

use super::*;

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
        store.remove(old, now()).unwrap();
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
        store.remove(removed, now()).unwrap();
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
