//! All or nothing: a feed a crash or a failure cut short is finished, an import cut short starts
//! over, and feeds' writes queued while the next feed is worked out are read by it first.

use super::*;

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

/// `n` stories with a few KB of text that does not compress away, so their journal takes
/// several pieces.
fn large_feed(n: usize) -> Vec<Staged> {
    random_text_feed(n, 300)
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
