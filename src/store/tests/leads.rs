//! Which copy of a story leads (its link, text and dates): the original or an organisation's
//! copy, whatever order the feeds come in, with the dates the story then shows.

use super::*;

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
