//! The sources' states and their own database: read and written in one batch, moved out of a
//! schema 1 store and into buckets, recorded only after a feed's stories.

use super::*;
use crate::store::disk::SEGMENT_SIZE;
use crate::store::open::{STATES_SCHEMA_KEY, STATES_SCHEMA_VERSION};

#[test]
fn states_without_items_are_read_at_once_and_written_in_one_batch_on_flush_or_close() {
    let dir = tempfile::tempdir().unwrap();
    let state = |outcome: &str| SourceState {
        last_outcome: Some(outcome.into()),
        etag: Some(format!("\"{outcome}\"")),
        ..SourceState::default()
    };
    {
        let store = open(&dir);
        store.put_source_state("a", &state("not-modified")).unwrap();
        store.put_source_state("b", &state("error")).unwrap();
        assert_eq!(store.source_state("a").unwrap(), state("not-modified"));
        assert!(store.states.written("a").is_none(), "kept in memory");
        store.flush().unwrap();
        assert!(store.states.written("a").is_some(), "written by flush");

        // A feed applied later writes its own state; an older pending one must not win.
        store.put_source_state("b", &state("unchanged")).unwrap();
        let applied = state("ok");
        store
            .apply(
                "b",
                vec![item("g1", "A story", None, "h1")],
                &applied,
                now(),
                &dedupe(),
                &no_topics,
            )
            .unwrap();
        store.flush().unwrap();
        assert_eq!(store.source_state("b").unwrap(), applied);

        // Dropped without a flush: written on close.
        store.put_source_state("c", &state("not-modified")).unwrap();
    }
    let store = open(&dir);
    assert_eq!(store.source_state("a").unwrap(), state("not-modified"));
    assert_eq!(
        store.source_state("b").unwrap().last_outcome.as_deref(),
        Some("ok")
    );
    assert_eq!(store.source_state("c").unwrap(), state("not-modified"));
}

/// What schema version 1 wrote at `path`: source `a`'s state in the stories' database.
fn schema_1_store(path: &std::path::Path) -> sled::Db {
    let db = sled::Config::new()
        .path(path)
        .segment_size(SEGMENT_SIZE)
        .open()
        .unwrap();
    let meta = db.open_tree("meta").unwrap();
    meta.insert("schema", &1u64.to_be_bytes()).unwrap();
    let sources = db.open_tree("sources").unwrap();
    let state = serde_json::to_vec(&fetched("v1")).unwrap();
    sources.insert("a", state).unwrap();
    db.flush().unwrap();
    db
}

#[test]
fn a_schema_1_store_moves_its_source_states_to_their_own_database() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    drop(schema_1_store(&cfg.path));
    {
        let store = Store::open(&cfg).unwrap();
        assert_eq!(store.source_state("a").unwrap(), fetched("v1"));
        let main = store.main().unwrap();
        let schema = main.db.open_tree("meta").unwrap().get("schema").unwrap();
        assert_eq!(schema.as_deref(), Some(&SCHEMA_VERSION.to_be_bytes()[..]));
        assert!(
            !main
                .db
                .tree_names()
                .iter()
                .any(|n| n.as_ref() == b"sources"),
            "the old tree is dropped once its states are copied"
        );
    }
    // Read from the states' database alone from now on.
    let store = Store::open_lazy(&cfg).unwrap();
    assert_eq!(store.source_state("a").unwrap(), fetched("v1"));
    assert!(store.main.get().is_none());
}

#[test]
fn a_lazy_store_opens_the_stories_only_when_they_are_needed() {
    let dir = tempfile::tempdir().unwrap();
    apply_one_story(&open(&dir));
    let store = Store::open_lazy(&config(&dir)).unwrap();
    assert_eq!(store.source_state("a").unwrap(), fetched("1"));
    store.put_source_state("a", &fetched("2")).unwrap();
    store.flush().unwrap();
    assert!(
        store.main.get().is_none(),
        "reading and writing states leaves the stories closed"
    );
    assert_eq!(store.item_count(), 1);
    assert!(store.main.get().is_some());
    drop(store);
    assert_eq!(open(&dir).source_state("a").unwrap(), fetched("2"));
}

#[test]
fn a_feeds_state_is_recorded_after_its_stories_are_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply_one_story(&store);
    assert_eq!(store.item_count(), 1);
    assert!(
        store.states.written("a").is_none(),
        "validators wait for the next batch of states"
    );
    assert_eq!(store.source_state("a").unwrap(), fetched("1"));
    store.flush().unwrap();
    assert_eq!(store.states.written("a"), Some(fetched("1")));
}

#[test]
fn a_states_database_of_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        let meta = store.states_db.open_tree("meta").unwrap();
        meta.insert("schema", &9u64.to_be_bytes()).unwrap();
    }
    match Store::open_lazy(&config(&dir)) {
        Err(StoreError::Schema { found: 9, .. }) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("opened a newer store"),
    }
}

#[test]
fn an_upgrade_that_could_not_open_the_stories_is_done_on_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    let v1 = schema_1_store(&cfg.path);
    // Another handle holds the stories' database: the first open fails…
    assert!(matches!(
        Store::open_lazy(&cfg),
        Err(StoreError::Locked { .. })
    ));
    drop(v1);
    // …and the next one still moves the states.
    let store = Store::open_lazy(&cfg).unwrap();
    assert_eq!(store.source_state("a").unwrap(), fetched("v1"));
}

#[test]
fn a_states_database_of_schema_1_is_upgraded_to_buckets_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    {
        // What version 1 wrote: one JSON value per source in `sources`.
        let store = open(&dir);
        let meta = store.states_db.open_tree("meta").unwrap();
        meta.insert(STATES_SCHEMA_KEY, &1u64.to_be_bytes()).unwrap();
        let old = store.states_db.open_tree("sources").unwrap();
        for id in ["a", "b"] {
            let state = serde_json::to_vec(&fetched(id)).unwrap();
            old.insert(id, state).unwrap();
        }
        store.states_db.flush().unwrap();
    }
    {
        let store = Store::open_lazy(&cfg).unwrap();
        assert_eq!(store.source_state("a").unwrap(), fetched("a"));
        assert_eq!(store.source_state("b").unwrap(), fetched("b"));
        let meta = store.states_db.open_tree("meta").unwrap();
        assert_eq!(
            meta.get(STATES_SCHEMA_KEY).unwrap().as_deref(),
            Some(&STATES_SCHEMA_VERSION.to_be_bytes()[..])
        );
        assert!(
            !store
                .states_db
                .tree_names()
                .iter()
                .any(|n| n.as_ref() == b"sources"),
            "the old tree is dropped once its states are in buckets"
        );
        assert_eq!(store.states.written("b"), Some(fetched("b")));
    }
    let store = Store::open_lazy(&cfg).unwrap();
    assert_eq!(store.source_states().unwrap().len(), 2);
}

#[test]
fn states_an_interrupted_older_upgrade_left_keyed_are_moved_into_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&dir);
    // A schema 1 store whose upgrade by an older build stopped after it copied the states
    // into the states database (one JSON value per source) and dropped them from the stories'
    // one, before it marked the states database.
    let main = schema_1_store(&cfg.path);
    main.drop_tree("sources").unwrap();
    main.flush().unwrap();
    drop(main);
    {
        let states = sled::Config::new()
            .path(cfg.path.join(STATES_DIR))
            .open()
            .unwrap();
        let sources = states.open_tree("sources").unwrap();
        sources
            .insert("a", serde_json::to_vec(&fetched("v1")).unwrap())
            .unwrap();
        states.flush().unwrap();
    }
    {
        let store = Store::open(&cfg).unwrap();
        assert_eq!(store.source_state("a").unwrap(), fetched("v1"));
        let meta = store.states_db.open_tree("meta").unwrap();
        assert_eq!(
            meta.get(STATES_SCHEMA_KEY).unwrap().as_deref(),
            Some(&STATES_SCHEMA_VERSION.to_be_bytes()[..])
        );
    }
    let store = Store::open_lazy(&cfg).unwrap();
    assert_eq!(store.source_state("a").unwrap(), fetched("v1"));
}
