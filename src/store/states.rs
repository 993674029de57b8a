//! The sources' states, kept in memory and written back in buckets.
//!
//! A pass over 10,000 unchanged sources reads and records 10,000 states, on one thread. With
//! one sled key per source that was a lookup and a JSON decode before each request and a
//! write per source at the end: about a fifth of the pass. The states are instead spread over
//! [`BUCKETS`] sled values by a hash of the source id. All of them are read at once, on
//! first use, and held in memory (a few hundred bytes per source); a write re-encodes only
//! the buckets that hold a changed state, in one sled batch.
//!
//! Only one process opens a store (sled locks it), so the copy in memory is the truth: reads
//! see a state as soon as it is recorded, written or not.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use crate::model::SourceState;

use super::StoreError;

/// How many sled values hold the states. Fixed: a source's bucket is part of the format.
pub(super) const BUCKETS: u16 = 256;

/// The tree of buckets in the states database.
pub(super) const TREE: &str = "source_states";

/// The bucket of a source: FNV-1a over its id, modulo [`BUCKETS`] (stable across builds and
/// machines, unlike std's hasher).
pub(super) fn bucket_of(source: &str) -> u16 {
    let mut h: u32 = 0x811c_9dc5;
    for b in source.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    (h % u32::from(BUCKETS)) as u16
}

/// One bucket's value: its sources and their states, as MessagePack (states as maps, so
/// fields added later read as their defaults).
fn encode(entries: &[(&str, &SourceState)]) -> Vec<u8> {
    rmp_serde::to_vec_named(entries).expect("source states serialize")
}

fn decode(bytes: &[u8]) -> Result<Vec<(String, SourceState)>, StoreError> {
    rmp_serde::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        tree: TREE,
        message: e.to_string(),
    })
}

/// Every source's state.
pub(super) struct States {
    tree: sled::Tree,
    inner: Mutex<Inner>,
    /// Held by [`States::write`] from start to end, so two writes cannot land in the wrong
    /// order, while `inner` is held only to take what to write: recording a state (a fetch's
    /// 304, on a runtime's thread) does not wait for sled.
    writing: Mutex<()>,
}

struct Inner {
    /// Every stored or recorded state; `None` until first read.
    all: Option<HashMap<String, SourceState>>,
    /// Buckets holding a state recorded since the last write.
    dirty: BTreeSet<u16>,
}

impl States {
    pub(super) fn new(tree: sled::Tree) -> States {
        States {
            tree,
            inner: Mutex::new(Inner {
                all: None,
                dirty: BTreeSet::new(),
            }),
            writing: Mutex::new(()),
        }
    }

    /// The lock, with every state read.
    fn loaded(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.all.is_none() {
            let mut all = HashMap::new();
            for kv in self.tree.iter() {
                let (_, v) = kv?;
                all.extend(decode(&v)?);
            }
            inner.all = Some(all);
        }
        Ok(inner)
    }

    /// The state of `source` (the default for one never recorded).
    pub(super) fn get(&self, source: &str) -> Result<SourceState, StoreError> {
        let inner = self.loaded()?;
        Ok(all(&inner).get(source).cloned().unwrap_or_default())
    }

    /// Records the state of `source`, to be written by [`States::write`].
    pub(super) fn put(&self, source: &str, state: &SourceState) -> Result<(), StoreError> {
        self.put_when(source, |old| old != Some(state), || state.clone())
            .map(drop)
    }

    /// Records the state of `source` unless one is there already; whether it was recorded.
    pub(super) fn put_if_absent(
        &self,
        source: &str,
        state: SourceState,
    ) -> Result<bool, StoreError> {
        self.put_when(source, |old| old.is_none(), || state)
    }

    /// Records `state()` for `source` when `wanted` of the state there now, marking its
    /// bucket to be written; whether it did.
    fn put_when(
        &self,
        source: &str,
        wanted: impl FnOnce(Option<&SourceState>) -> bool,
        state: impl FnOnce() -> SourceState,
    ) -> Result<bool, StoreError> {
        let mut inner = self.loaded()?;
        let inner = &mut *inner;
        let all = inner.all.as_mut().expect("loaded");
        if !wanted(all.get(source)) {
            return Ok(false);
        }
        all.insert(source.to_string(), state());
        inner.dirty.insert(bucket_of(source));
        Ok(true)
    }

    /// Every recorded state, by source id.
    pub(super) fn all(&self) -> Result<Vec<(String, SourceState)>, StoreError> {
        let inner = self.loaded()?;
        let mut out: Vec<(String, SourceState)> = all(&inner)
            .iter()
            .map(|(id, state)| (id.clone(), state.clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Writes the buckets holding states recorded since the last write, in one batch,
    /// without syncing. One write at a time, from start to end, so two writes cannot land in
    /// the wrong order; the states are read under their lock, and sled written without it. A
    /// failed write leaves its buckets to the next.
    pub(super) fn write(&self) -> Result<(), StoreError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let (batch, written) = {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if inner.dirty.is_empty() {
                return Ok(());
            }
            let mut buckets: HashMap<u16, Vec<(&str, &SourceState)>> =
                inner.dirty.iter().map(|&b| (b, Vec::new())).collect();
            for (id, state) in all(&inner) {
                if let Some(entries) = buckets.get_mut(&bucket_of(id)) {
                    entries.push((id.as_str(), state));
                }
            }
            let mut batch = sled::Batch::default();
            for (bucket, mut entries) in buckets {
                // In id order, so the same states always make the same bytes.
                entries.sort_by(|a, b| a.0.cmp(b.0));
                batch.insert(&bucket.to_be_bytes(), encode(&entries));
            }
            (batch, std::mem::take(&mut inner.dirty))
        };
        if let Err(e) = self.tree.apply_batch(batch) {
            // To be written by the next write, with what was recorded meanwhile.
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            inner.dirty.extend(written);
            return Err(e.into());
        }
        Ok(())
    }

    /// What is written for `source` (tests: whether a state reached sled yet).
    #[cfg(test)]
    pub(super) fn written(&self, source: &str) -> Option<SourceState> {
        let v = self.tree.get(bucket_of(source).to_be_bytes()).unwrap()?;
        decode(&v)
            .unwrap()
            .into_iter()
            .find(|(id, _)| id == source)
            .map(|(_, state)| state)
    }
}

fn all(inner: &Inner) -> &HashMap<String, SourceState> {
    inner.all.as_ref().expect("loaded")
}

/// Moves states kept in the keyed layout (one JSON value per source id, as the states
/// database of schema 1 held them, and the stories' database before it) into `states` and
/// writes them; a state already there is newer and stays. The caller syncs, then drops `old`,
/// so a move cut short is simply done again. Returns how many states `old` held.
pub(super) fn move_keyed(old: &sled::Tree, states: &States) -> Result<usize, StoreError> {
    let mut moved = 0;
    for kv in old.iter() {
        let (k, v) = kv?;
        let state: SourceState = serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt {
            tree: "sources",
            message: e.to_string(),
        })?;
        states.put_if_absent(&String::from_utf8_lossy(&k), state)?;
        moved += 1;
    }
    states.write()?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(etag: &str) -> SourceState {
        SourceState {
            etag: Some(etag.into()),
            last_outcome: Some("ok".into()),
            consecutive_errors: 2,
            ..SourceState::default()
        }
    }

    fn tree() -> (tempfile::TempDir, sled::Db, sled::Tree) {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let tree = db.open_tree(TREE).unwrap();
        (dir, db, tree)
    }

    #[test]
    fn buckets_are_fixed_by_the_id_alone() {
        // FNV-1a 32: known values, so a build on another machine finds the same buckets.
        assert_eq!(bucket_of(""), (0x811c_9dc5u32 % 256) as u16);
        assert_eq!(bucket_of("a"), (0xe40c_292cu32 % 256) as u16);
        assert_eq!(bucket_of("foobar"), (0xbf9c_f968u32 % 256) as u16);
        let used: BTreeSet<u16> = (0..2000).map(|i| bucket_of(&format!("p{i:05}"))).collect();
        assert!(
            used.len() > 200,
            "ids spread over the buckets: {}",
            used.len()
        );
    }

    #[test]
    fn states_are_read_back_after_a_write_and_only_changed_buckets_are_written() {
        let (_dir, _db, tree) = tree();
        let states = States::new(tree.clone());
        assert_eq!(states.get("nobody").unwrap(), SourceState::default());
        for i in 0..600 {
            states
                .put(&format!("s{i}"), &state(&format!("e{i}")))
                .unwrap();
        }
        assert!(tree.is_empty(), "nothing written before write()");
        states.write().unwrap();
        let used: BTreeSet<u16> = (0..600).map(|i| bucket_of(&format!("s{i}"))).collect();
        assert_eq!(tree.len(), used.len(), "one value per bucket in use");
        assert_eq!(states.written("s7"), Some(state("e7")));

        // A second reader sees every state.
        let again = States::new(tree.clone());
        assert_eq!(again.get("s599").unwrap(), state("e599"));
        assert_eq!(again.all().unwrap().len(), 600);

        // Recording an equal state writes nothing; a changed one rewrites its bucket only.
        let before: Vec<_> = tree.iter().map(|kv| kv.unwrap()).collect();
        again.put("s1", &state("e1")).unwrap();
        again.put("s2", &state("new")).unwrap();
        again.write().unwrap();
        let after: Vec<_> = tree.iter().map(|kv| kv.unwrap()).collect();
        let changed: Vec<u16> = before
            .iter()
            .zip(&after)
            .filter(|(a, b)| a.1 != b.1)
            .map(|(a, _)| u16::from_be_bytes([a.0[0], a.0[1]]))
            .collect();
        assert_eq!(changed, vec![bucket_of("s2")]);
        assert_eq!(States::new(tree).get("s2").unwrap(), state("new"));
    }

    #[test]
    fn put_if_absent_keeps_a_recorded_state() {
        let (_dir, _db, tree) = tree();
        let states = States::new(tree);
        states.put("a", &state("newer")).unwrap();
        assert!(!states.put_if_absent("a", state("older")).unwrap());
        assert!(states.put_if_absent("b", state("older")).unwrap());
        assert_eq!(states.get("a").unwrap(), state("newer"));
        assert_eq!(states.get("b").unwrap(), state("older"));
    }

    #[test]
    fn schema_1_states_move_into_buckets() {
        let (_dir, db, tree) = tree();
        let old = db.open_tree("sources").unwrap();
        old.insert("a", serde_json::to_vec(&state("x")).unwrap())
            .unwrap();
        old.insert("b", serde_json::to_vec(&state("y")).unwrap())
            .unwrap();
        let states = States::new(tree.clone());
        assert_eq!(move_keyed(&old, &states).unwrap(), 2);
        let read = States::new(tree);
        assert_eq!(read.get("a").unwrap(), state("x"));
        assert_eq!(read.get("b").unwrap(), state("y"));
    }

    #[test]
    fn a_damaged_bucket_is_reported() {
        let (_dir, _db, tree) = tree();
        tree.insert(7u16.to_be_bytes(), &b"not msgpack"[..])
            .unwrap();
        match States::new(tree).get("a") {
            Err(StoreError::Corrupt { tree, .. }) => assert_eq!(tree, TREE),
            other => panic!("expected a corrupt record, got {other:?}"),
        }
    }
}
