//! Opening the store from disk: a creation cut short, a missing or damaged database, snapshots,
//! syncing node files, disk errors and the room a new process needs.

use super::*;
use crate::store::disk::{enough_room, ROOM_TO_REOPEN};
use std::collections::HashMap;

/// sled's snapshot file is named after the last log position it covers.
fn snapshot_position(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().ok()?;
            u64::from_str_radix(name.strip_prefix("snap.")?, 16).ok()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn a_checkpoint_records_what_was_written_in_a_snapshot_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(&dir);
    let store = Store::open(&config).unwrap();
    let before = snapshot_position(&config.path);
    let items: Vec<Staged> = (0..200)
        .map(|i| {
            item(
                &format!("g{i}"),
                &format!("Story number {i}"),
                Some(&format!("https://a.example/{i}")),
                "h",
            )
        })
        .collect();
    assert_eq!(apply(&store, "a", &items).new, 200);
    drop(store);
    // Nothing but an open writes a snapshot: what was just written is not in one yet.
    assert_eq!(snapshot_position(&config.path), before);

    Store::checkpoint(&config).unwrap();
    let after = snapshot_position(&config.path);
    assert!(after > before, "snapshot at {after}, was {before}");
    let store = Store::open(&config).unwrap();
    assert_eq!(store.item_count(), 200);
    assert_eq!(snapshot_position(&config.path), after);
}

/// A store whose first process was killed after sled wrote its trees' names and before the
/// schema versions is a new store, not a damaged one; with a tree that holds anything, or
/// states that vouch for stories, it is damage.
#[test]
fn a_store_killed_before_its_schema_was_written_opens_as_new() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    // As this build's first process leaves it: the creation mark, then the trees' names.
    let created = |path: &std::path::Path, trees: &[&str], write: Option<&str>| {
        std::fs::create_dir_all(path).unwrap();
        std::fs::write(path.join("creating"), b"").unwrap();
        let db = sled::open(path).unwrap();
        for name in trees {
            let tree = db.open_tree(name).unwrap();
            if write == Some(*name) {
                tree.insert("k", "v").unwrap();
            }
        }
        db.flush().unwrap();
    };
    created(
        &cfg.path.join("states"),
        &["meta", "source_states", "served"],
        None,
    );
    created(&cfg.path, &["items", "meta", "journal"], None);
    let store = Store::open(&cfg).unwrap();
    assert_eq!(store.item_count(), 0);
    apply_one_story(&store);
    drop(store);
    assert_eq!(Store::open(&cfg).unwrap().item_count(), 1);

    for (states, main) in [(Some("source_states"), None), (None, Some("items"))] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(&dir);
        created(&cfg.path.join("states"), &["meta", "source_states"], states);
        if main.is_some() {
            created(&cfg.path, &["items", "meta"], main);
        }
        match Store::open(&cfg) {
            Err(StoreError::Damaged { detail, .. }) => {
                assert!(detail.contains("no schema version"), "{detail}")
            }
            Err(e) => panic!("wrong error: {e}"),
            Ok(_) => panic!("opened a store with data and no schema"),
        }
    }
    assert!(!cfg.path.join("creating").exists());
    assert!(!cfg.path.join("states/creating").exists());
    // A log that held stories but opens with every tree empty (damaged near its start, the
    // states' folder removed) is damage, not a new store: no creation was under way.
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    {
        let db = sled::open(&cfg.path).unwrap();
        let items = db.open_tree("items").unwrap();
        for n in 0..200u32 {
            items.insert(n.to_be_bytes(), vec![7u8; 2000]).unwrap();
        }
        items.clear().unwrap();
        db.open_tree("meta").unwrap();
        db.flush().unwrap();
    }
    assert!(matches!(Store::open(&cfg), Err(StoreError::Damaged { .. })));
}

#[test]
fn a_missing_stories_database_is_damage_when_states_vouch_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    apply_one_story(&open(&dir));
    let saved = std::fs::read(cfg.path.join("db")).unwrap();
    std::fs::remove_file(cfg.path.join("db")).unwrap();
    let store = Store::open_lazy(&cfg).unwrap();
    assert_eq!(store.source_state("a").unwrap(), fetched("1"));
    match store.main() {
        Err(StoreError::Damaged { detail, .. }) => assert!(detail.contains("missing"), "{detail}"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("an empty stories' database under the old validators"),
    }
    assert!(
        !cfg.path.join("db").exists(),
        "nothing created in its place"
    );
    // Found damaged once, it stays so for this handle: the next source of a fetch that has
    // something to store does not read the store again.
    std::fs::write(cfg.path.join("db"), saved).unwrap();
    assert!(matches!(store.main(), Err(StoreError::Damaged { .. })));
    drop(store);
    assert_eq!(Store::open_lazy(&cfg).unwrap().item_count(), 1);
}

#[test]
fn node_files_of_long_stories_are_synced_before_the_log_that_points_to_them() {
    let dir = tempfile::tempdir().unwrap();
    // ~70 KB a story that LZ4 cannot shrink: a leaf of them is over a quarter of a segment.
    let feed = random_text_feed(40, 10_000);
    let store = open(&dir);
    assert_eq!(apply(&store, "long", &feed).new, 40);
    let main = store.main().unwrap();
    let files: HashMap<u64, u64> = std::fs::read_dir(config(&dir).path.join("blobs"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            (name.parse().unwrap(), e.metadata().unwrap().len())
        })
        .collect();
    assert!(!files.is_empty(), "sled kept no node in a file of its own");
    assert_eq!(*main.blobs.synced.lock().unwrap(), files);
    drop(store);

    let store = open(&dir);
    let stored = store.list(&Query::default()).unwrap();
    assert_eq!(stored.len(), 40);
    for s in &stored {
        let original = feed.iter().find(|f| f.item.title == s.title).unwrap();
        assert_eq!(s.content, original.item.content);
    }
}

#[test]
fn a_disk_error_reads_as_the_system_words_it() {
    let full = StoreError::from(sled::Error::Io(std::io::Error::from_raw_os_error(28)));
    let said = full.to_string();
    assert!(
        said.starts_with("store error: cannot read or write the disk: No space left on device"),
        "{said}"
    );
    assert!(!said.contains("Os {"), "{said}");
    // As sled hands back an error its background writer met: the first one's structure.
    let structured = std::io::Error::other(
        r#"Os { code: 28, kind: StorageFull, message: "No space left on device" }"#,
    );
    assert_eq!(
        StoreError::from(sled::Error::Io(structured)).to_string(),
        "store error: cannot read or write the disk: No space left on device (os error 28)"
    );
}

// A store that cannot be opened for want of room says what to do, once.
#[test]
fn a_store_without_room_to_open_says_what_to_do() {
    let full = StoreError::Open {
        path: "/var/lib/tributary".into(),
        error: sled::Error::Io(std::io::Error::from(std::io::ErrorKind::StorageFull)),
    };
    let said = full.to_string();
    assert!(
        said.starts_with("cannot open the store at /var/lib/tributary: "),
        "{said}"
    );
    assert!(said.contains("free some on its disk"), "{said}");
    let other = StoreError::Open {
        path: "/var/lib/tributary".into(),
        error: sled::Error::Io(std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
    };
    assert!(!other.to_string().contains("free some"), "{other}");
}

// A daemon whose store failed restarts only once a new process could open it: the disk is
// writable and has room, as the file system says.
#[test]
fn room_to_reopen_asks_the_file_system_for_writable_room() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_lazy(&test_config(dir.path())).unwrap();
    store.room_to_reopen().unwrap();
    assert!(enough_room(ROOM_TO_REOPEN, false).is_ok());
    let full = enough_room(ROOM_TO_REOPEN - 1, false).unwrap_err();
    assert_eq!(full.kind(), std::io::ErrorKind::StorageFull, "{full}");
    let read_only = enough_room(u64::MAX, true).unwrap_err();
    assert_eq!(read_only.kind(), std::io::ErrorKind::ReadOnlyFilesystem);
    // Asking takes nothing: no file is written in the store's folder.
    let before: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    store.room_to_reopen().unwrap();
    let after: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after);
}
