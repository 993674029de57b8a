//! The indexes that match a fetched entry to a stored story, held in memory and kept on disk as
//! a log: identities (an entry a source carried before), links and titles (a copy another
//! source republished).
//!
//! They are looked up by key alone, never in order, and the link and title keys are hashes,
//! so a new story's three entries land in three random places of any on-disk tree: as sled
//! trees they cost more of a cold fetch than the stories' records did (links and titles a
//! fifth of its time, against an eighth for the records). Here a feed's writes to them are
//! logged as one value of the `matches` tree, under the next number of the log
//! ([`add_log_entry`], in the order feeds are worked out); the maps are read from the log the
//! first time the process needs them ([`with`]) and kept up to date as writes are made
//! ([`apply`]). Every log entry sets or removes keys, so replaying the log in order rebuilds
//! the maps, and replaying an entry twice (a feed finished after a crash) changes nothing. An
//! identity's key (the source and the entry's identity, of any length) is kept and logged as
//! a 16-byte hash of it ([`map_key`]), as links and titles already are.
//!
//! The log is rewritten ([`compact`]) once it holds more than twice as many writes as there are
//! entries, plus [`SLACK`], or in many more values than its last rewrite left (an import logs
//! each story's writes on their own): the live entries are logged again, in values of the size
//! of a journal piece, after the last entry, and then the older entries are removed, oldest
//! first. A crash at any point leaves a log that replays to the same maps: the rewritten chunks
//! hold exactly what the older entries replay to, and what is left of the older entries before
//! them is a suffix of the log.
//!
//! This file keeps [`Matching`], the lookups and the first read of the maps ([`with`]);
//! `maps.rs` how the maps keep and give back their entries, `log.rs` the log's entries
//! (numbered, written, replayed), `rewrite.rs` its rewrite, and `trees.rs` the trees older
//! schemas kept these indexes in.

mod log;
mod maps;
mod rewrite;
mod trees;

use std::collections::HashMap;

use sled::IVec;

use super::journal::Index;
use super::{Main, StoreError};
use log::load;
use maps::Ident;

pub(super) use log::{add_log_entry, apply, next_number};
pub(super) use rewrite::{compact, wants_compaction};
pub(super) use trees::{drop_trees, move_trees, old_tree};

#[cfg(test)]
pub(super) use rewrite::compact_interrupted;

/// Writes the log may hold beyond twice its live entries, and a tenth as many values beyond
/// twice those its last rewrite left, before it is rewritten again: a small store is not
/// rewritten after every few feeds.
const SLACK: u64 = if cfg!(test) { 40 } else { 100_000 };

/// The three indexes, and how many writes the log holds. Each keeps its values in the
/// smallest form that gives them back byte for byte: a link's story id as an array, an
/// identity's id and raw hash packed into 32 bytes, a title's entries in a box: a sled value
/// handle and the allocation it shares cost about twice as much per entry.
#[derive(Default)]
pub(super) struct Matching {
    idents: HashMap<[u8; 16], Ident>,
    links: HashMap<[u8; 16], [u8; 16]>,
    titles: HashMap<[u8; 16], Box<[u8]>>,
    /// Writes in the log, live or since overwritten.
    logged: u64,
    /// Entries (values) in the log.
    entries: u64,
    /// Entries the last rewrite of the log left (0: none since the log was read).
    rewritten: u64,
}

/// The indexes kept here rather than in trees.
const HELD: [Index; 3] = [Index::Idents, Index::Links, Index::Titles];

/// Whether `index` is one of those kept here rather than in a tree.
pub(super) fn holds(index: Index) -> bool {
    HELD.contains(&index)
}

/// The key an entry is kept and logged under: an identity's as a 16-byte hash of it, the
/// others (hashes already) as they are.
fn map_key(index: Index, key: &[u8]) -> Option<[u8; 16]> {
    if index == Index::Idents {
        Some(ident_hash(key))
    } else {
        key.try_into().ok()
    }
}

/// The 16-byte hash an identity entry is kept and logged under (and a removed story's
/// identity is kept under in the `gone` tree).
pub(super) fn ident_hash(key: &[u8]) -> [u8; 16] {
    let mut k = [0; 16];
    k.copy_from_slice(&blake3::hash(key).as_bytes()[..16]);
    k
}

/// An identity, link or title entry as the log leaves it.
pub(super) fn get(main: &Main, index: Index, key: &[u8]) -> Result<Option<IVec>, StoreError> {
    let Some(key) = map_key(index, key) else {
        return Ok(None);
    };
    with(main, |m| m.get(index, &key))
}

/// The identity entries whose value `keep` accepts (keys as logged), in key order.
pub(super) fn idents_where(
    main: &Main,
    mut keep: impl FnMut(&[u8]) -> Result<bool, StoreError>,
) -> Result<Vec<([u8; 16], IVec)>, StoreError> {
    let mut kept = with(main, |m| {
        let mut kept = Vec::new();
        for (key, value) in m.iter(Index::Idents) {
            if keep(&value)? {
                kept.push((key, value));
            }
        }
        Ok::<_, StoreError>(kept)
    })??;
    kept.sort_unstable_by_key(|(key, _)| *key);
    Ok(kept)
}

/// Calls `f` with the maps, read from the log first if this is the first time.
pub(super) fn with<R>(main: &Main, f: impl FnOnce(&Matching) -> R) -> Result<R, StoreError> {
    {
        let loaded = main.matching.read().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = loaded.as_ref() {
            return Ok(f(m));
        }
    }
    let mut loaded = main.matching.write().unwrap_or_else(|e| e.into_inner());
    if loaded.is_none() {
        *loaded = Some(load(&main.matches)?);
    }
    Ok(f(loaded.as_ref().expect("just loaded")))
}

/// Empties the log and the maps (an import that failed). Needs both write locks.
pub(super) fn clear(main: &Main) {
    *main.matching.write().unwrap_or_else(|e| e.into_inner()) = Some(Matching::default());
}

/// The keys of one index (an upgrade that rekeys it removes them first).
pub(super) fn keys(main: &Main, index: Index) -> Result<Vec<[u8; 16]>, StoreError> {
    with(main, |m| m.iter(index).map(|(k, _)| k).collect())
}

#[cfg(test)]
pub(super) fn entries(main: &Main, index: Index) -> Vec<([u8; 16], IVec)> {
    with(main, |m| m.iter(index).collect()).expect("the log reads")
}

/// The number of entries in the log.
#[cfg(test)]
pub(super) fn log_len(main: &Main) -> usize {
    main.matches.len()
}

/// Every identity, link and title entry `entries` gives, sorted.
#[cfg(test)]
pub(super) fn sorted(
    entries: impl Fn(Index) -> Vec<([u8; 16], IVec)>,
) -> Vec<(u8, [u8; 16], Vec<u8>)> {
    let mut all: Vec<_> = HELD
        .into_iter()
        .flat_map(|index| {
            entries(index)
                .into_iter()
                .map(move |(k, v)| (index as u8, k, v.to_vec()))
        })
        .collect();
    all.sort();
    all
}

/// The entries the log replays to, read afresh.
#[cfg(test)]
pub(super) fn reloaded(main: &Main) -> Vec<(u8, [u8; 16], Vec<u8>)> {
    let m = load(&main.matches).unwrap();
    sorted(|index| m.iter(index).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_values_come_back_byte_for_byte_packed_or_not() {
        let id = [7u8; 16];
        let with = |hash: &str| {
            let mut v = id.to_vec();
            v.extend_from_slice(hash.as_bytes());
            v
        };
        let cases = [
            (with("0123456789abcdef0123456789abcdef"), true),
            (with("ffffffffffffffffffffffffffffff00"), true),
            // Not as ingest writes it: kept as written.
            (with("0123456789ABCDEF0123456789abcdef"), false),
            (with("0123456789abcdef0123456789abcdeg"), false),
            (with(""), false),
            (with("abc"), false),
        ];
        for (value, packs) in cases {
            let ident = Ident::new(&value);
            assert_eq!(matches!(ident, Ident::Packed(_)), packs, "{value:?}");
            assert_eq!(&ident.value()[..], &value[..]);
        }
    }

    #[test]
    fn a_link_value_that_is_no_story_id_names_nothing() {
        let mut m = Matching::default();
        m.set(Index::Links, &[1; 16], Some(&[2; 16]));
        assert_eq!(
            m.get(Index::Links, &[1; 16]).as_deref(),
            Some(&[2u8; 16][..])
        );
        m.set(Index::Links, &[1; 16], Some(b"short"));
        assert_eq!(m.get(Index::Links, &[1; 16]), None);
    }
}
