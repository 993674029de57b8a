//! The digest shown: the newest with stories, past any number of empty ones.

use super::*;

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
