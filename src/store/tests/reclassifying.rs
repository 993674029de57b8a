//! Reclassifying the stored stories: topics rewritten, changes counted, in batches.

use super::*;
use crate::model::Item;

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
