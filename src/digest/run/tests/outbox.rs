//! The Maildir outbox: each digest written once, its data before its message, and what is
//! due after a failed write or a crash.

use super::{config, files, mail, record};
use crate::config::DigestConfig;
use crate::digest::run::{
    deliver_to_outbox, export, outbox_pending, stamp, write_outbox, Outboxed, RunError,
};
use crate::model::DigestRecord;
use crate::store::Store;

#[test]
fn a_digest_reaches_the_outbox_once_even_after_the_newsletter_tool_took_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&crate::store::test_config(&dir.path().join("store"))).unwrap();
    let mail = mail(&dir.path().join("outbox"));
    let mut r = record("daily", 2, 3, true, false);
    r.eml = "Subject: daily\r\n\r\nthree stories\r\n".into();
    store.put_digest(&r).unwrap();
    let new = dir.path().join("outbox/daily/new");

    let Outboxed::Written(path) = deliver_to_outbox(&mail, &store, &mut r).unwrap() else {
        panic!("the first delivery writes the message");
    };
    assert_eq!(std::fs::read_to_string(&path).unwrap(), r.eml);
    assert_eq!(files(&new).len(), 1);
    // The mark is kept in the store, not only in the caller's copy.
    let stored = store.digest_at("daily", r.end).unwrap().unwrap();
    assert_eq!(stored.outboxed_at, r.outboxed_at);
    assert!(stored.outboxed_at.is_some());

    // The newsletter tool takes the message away; later checks (the daemon's, every
    // minute) do not put it back.
    std::fs::remove_file(&path).unwrap();
    let mut again = store.digest_at("daily", r.end).unwrap().unwrap();
    assert!(!again.outbox_due);
    assert!(matches!(
        deliver_to_outbox(&mail, &store, &mut again).unwrap(),
        Outboxed::Before(at, p) if at == r.outboxed_at && p == path
    ));
    assert!(files(&new).is_empty());

    // A record stored before the store kept this (written when it was built, as every
    // digest was) is not written again either, after an upgrade or an import.
    let mut old = record("daily", 4, 2, true, false);
    old.outbox_due = false;
    store.put_digest(&old).unwrap();
    assert!(matches!(
        deliver_to_outbox(&mail, &store, &mut old).unwrap(),
        Outboxed::Before(None, _)
    ));
    assert!(files(&new).is_empty());
    let json: serde_json::Value = serde_json::to_value(&old).unwrap();
    assert!(json.get("outbox_due").is_none());
    let legacy: DigestRecord = serde_json::from_value(serde_json::json!({
        "name": "daily", "start": "2026-11-01T07:00:00Z", "end": "2026-11-02T07:00:00Z",
        "count": 1, "message_id": "", "subject": "", "eml": "", "html": "", "text": "",
        "json": null
    }))
    .unwrap();
    assert!(!legacy.outbox_due && legacy.outboxed_at.is_none());
}

#[test]
fn digests_not_written_to_the_outbox_are_due_oldest_first_after_the_newest_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&crate::store::test_config(&dir.path().join("store"))).unwrap();
    let d = config("daily");
    let days = |due: Vec<DigestRecord>| {
        due.iter()
            .map(|r| chrono::Datelike::day(&r.end))
            .collect::<Vec<_>>()
    };
    let mut written = record("daily", 2, 3, false, false);
    written.outbox_due = false;
    store.put_digest(&written).unwrap();
    // Two whose writes failed (the outbox was not mounted), an empty one between them,
    // built without `send_empty` (so never to be written).
    store
        .put_digest(&record("daily", 3, 1, false, false))
        .unwrap();
    let mut empty = record("daily", 4, 0, false, false);
    empty.outbox_due = false;
    store.put_digest(&empty).unwrap();
    store
        .put_digest(&record("daily", 5, 2, false, false))
        .unwrap();
    assert_eq!(days(outbox_pending(&store, &d).unwrap()), [3, 5]);
    // `send_empty` turned on later: the empty one built before is not written now; one
    // built with it is.
    let every = DigestConfig {
        send_empty: true,
        ..config("daily")
    };
    assert_eq!(days(outbox_pending(&store, &every).unwrap()), [3, 5]);
    store
        .put_digest(&record("daily", 6, 0, false, false))
        .unwrap();
    assert_eq!(days(outbox_pending(&store, &every).unwrap()), [3, 5, 6]);
    assert_eq!(days(outbox_pending(&store, &d).unwrap()), [3, 5]);
    // Written, oldest first: none is due any more.
    let mail = mail(&dir.path().join("outbox"));
    for mut due in outbox_pending(&store, &every).unwrap() {
        deliver_to_outbox(&mail, &store, &mut due).unwrap();
    }
    assert!(outbox_pending(&store, &every).unwrap().is_empty());
    assert_eq!(files(&dir.path().join("outbox/daily/new")).len(), 3);
}

#[test]
fn a_message_written_before_a_crash_kept_the_mark_is_not_written_twice() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&crate::store::test_config(&dir.path().join("store"))).unwrap();
    let mail = mail(&dir.path().join("outbox"));
    // Written, then a crash before the mark was stored; the reader moved it to cur/.
    let mut r = record("daily", 3, 2, true, false);
    r.eml = "Subject: daily\r\n\r\ntwo stories\r\n".into();
    let path = write_outbox(&mail, &r).unwrap();
    let cur = dir.path().join("outbox/daily/cur");
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::rename(&path, cur.join(format!("{name}:2,S"))).unwrap();

    assert!(matches!(
        deliver_to_outbox(&mail, &store, &mut r).unwrap(),
        Outboxed::Written(_)
    ));
    assert!(files(&dir.path().join("outbox/daily/new")).is_empty());
    assert_eq!(files(&cur), [format!("{name}:2,S")]);
    assert!(r.outboxed_at.is_some() && !r.outbox_due);
}

/// The data file beside a message is written whole or not at all, and one a crash left
/// short is written again; nothing of the writing is left under a name a pipeline reads.
#[test]
fn the_data_file_is_written_whole_and_mended_when_cut_short() {
    let dir = tempfile::tempdir().unwrap();
    let mail = mail(&dir.path().join("outbox"));
    let mut r = record("daily", 3, 2, true, false);
    r.json = serde_json::json!({"count": 2, "stories": ["one", "two"]});
    write_outbox(&mail, &r).unwrap();
    let json_dir = dir.path().join("outbox/daily/json");
    let written = files(&json_dir);
    assert_eq!(written.len(), 1, "{written:?}");
    let path = json_dir.join(&written[0]);
    let whole = std::fs::read(&path).unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&whole).unwrap(),
        r.json
    );
    // Cut short by a crash: the next write of the digest mends it.
    std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
    write_outbox(&mail, &r).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), whole);
    assert_eq!(files(&json_dir), written);
}

#[test]
fn a_message_reaches_new_only_once_its_data_is_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let mail = mail(&dir.path().join("outbox"));
    let r = record("daily", 4, 2, true, false);
    // The data file's name taken by a folder: its rename fails, and the message stays out
    // of new/ (a newsletter tool reacting to it would find no data).
    let json_dir = dir.path().join("outbox/daily/json");
    std::fs::create_dir_all(json_dir.join(format!("{}.json", stamp(&r)))).unwrap();
    assert!(matches!(
        write_outbox(&mail, &r),
        Err(RunError::Outbox { .. })
    ));
    assert!(files(&dir.path().join("outbox/daily/new")).is_empty());
    std::fs::remove_dir(json_dir.join(format!("{}.json", stamp(&r)))).unwrap();
    let delivered = write_outbox(&mail, &r).unwrap();
    assert!(delivered.exists());
    assert_eq!(files(&json_dir).len(), 1);
    // --out writes the message last too.
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join(format!("daily-{}.txt", stamp(&r)))).unwrap();
    assert!(matches!(export(&r, &out), Err(RunError::Out { .. })));
    assert!(
        !files(&out).iter().any(|n| n.ends_with(".eml")),
        "{:?}",
        files(&out)
    );
}
