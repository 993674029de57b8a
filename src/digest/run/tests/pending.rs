//! Which stored digests are still to be sent, and which the daemon leaves to be sent by hand.

use super::{config, record};
use crate::digest::run::{automatic_sends, outbox_pending, pending_sends};
use crate::model::DigestRecord;
use crate::store::Store;

#[test]
fn a_damaged_older_record_does_not_keep_newer_digests_from_going_out() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&crate::store::test_config(dir.path())).unwrap();
    let d = config("daily");
    let (older, newer) = (
        record("daily", 3, 3, true, false),
        record("daily", 6, 4, true, false),
    );
    for r in [&older, &newer] {
        let mut r = r.clone();
        r.outbox_due = true;
        store.put_digest(&r).unwrap();
    }
    store.damage_digest("daily", older.end);
    let ends = |v: Vec<DigestRecord>| v.iter().map(|r| r.end).collect::<Vec<_>>();
    assert_eq!(ends(pending_sends(&store, &d, None).unwrap()), [newer.end]);
    assert_eq!(ends(outbox_pending(&store, &d).unwrap()), [newer.end]);
}

#[test]
fn pending_sends_are_those_to_send_after_the_newest_sent_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&crate::store::test_config(dir.path())).unwrap();
    let d = config("daily");
    let ends = |v: Vec<DigestRecord>| v.iter().map(|r| r.end.day()).collect::<Vec<_>>();
    use chrono::Datelike;
    for r in [
        record("daily", 1, 3, true, false), // before the newest sent: given up
        record("daily", 2, 3, true, true),
        record("daily", 3, 3, true, false),   // the relay was down
        record("daily", 4, 0, true, false),   // nothing to send
        record("daily", 5, 2, false, false),  // a preview (`digest daily --out`)
        record("daily", 6, 4, true, false),   // the relay was down again
        record("daily-2", 7, 1, true, false), // another digest whose name starts alike
    ] {
        store.put_digest(&r).unwrap();
    }
    assert_eq!(ends(pending_sends(&store, &d, None).unwrap()), [3, 6]);
    let eight = record("daily", 8, 1, false, false);
    let tick = eight.end;
    store.put_digest(&eight).unwrap();
    assert_eq!(ends(pending_sends(&store, &d, None).unwrap()), [3, 6]);
    // The daemon's newest, built for its tick by an older version without the mark,
    // counts too; a digest built by hand for another time does not.
    assert_eq!(
        ends(pending_sends(&store, &d, Some(tick)).unwrap()),
        [3, 6, 8]
    );
    let later = tick + chrono::Duration::hours(1);
    assert_eq!(
        ends(pending_sends(&store, &d, Some(later)).unwrap()),
        [3, 6]
    );
    // Once a newer one went out, the older unsent ones are given up.
    store
        .put_digest(&record("daily", 9, 1, true, true))
        .unwrap();
    assert!(pending_sends(&store, &d, Some(tick)).unwrap().is_empty());
    assert_eq!(
        ends(pending_sends(&store, &config("daily-2"), None).unwrap()),
        [7]
    );
}

#[test]
fn the_daemon_leaves_a_digest_the_relay_may_have_taken_to_be_sent_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&crate::store::test_config(dir.path())).unwrap();
    let d = config("daily");
    let mut uncertain = record("daily", 2, 3, true, false);
    uncertain.send_uncertain = true;
    store.put_digest(&uncertain).unwrap();
    store
        .put_digest(&record("daily", 3, 1, true, false))
        .unwrap();
    let ends = |v: Vec<DigestRecord>| {
        use chrono::Datelike;
        v.iter().map(|r| r.end.day()).collect::<Vec<_>>()
    };
    let (sure, left) = automatic_sends(&store, &d, None).unwrap();
    assert_eq!((ends(sure), ends(left)), (vec![3], vec![2]));
    assert_eq!(ends(pending_sends(&store, &d, None).unwrap()), [2, 3]);
}
