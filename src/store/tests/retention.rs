//! Retention: old and excess stories removed with every index entry, their identities kept as
//! tombstones, through an export and an import too.

use super::*;

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
