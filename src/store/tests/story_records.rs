//! Story records: compressed, every field round-tripped, older formats still read, damage
//! reported.

use super::*;
use crate::model::Enclosure;
use crate::store::records::{decode_item, encode_item, LZ4_RECORD, PACKED_RECORD};

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
