//! Schema upgrades of the stories' database: indexes rebuilt or rekeyed from the stories,
//! trees moved into the matching log, an upgrade cut short done again.

use super::*;
use crate::model::ItemId;
use crate::store::dedupe_keys::{link_key, title_key};
use crate::store::open::REBUILDING_KEY;
use crate::store::records::{decode_item, LZ4_RECORD, PACKED_RECORD};

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
