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

use std::collections::HashMap;

use sled::IVec;

use super::journal::{self, Index, Writes};
use super::{Main, StoreError};

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

/// An identity entry's value: the story's id, then the raw hash of the source's version (32
/// lowercase hex digits as ingest writes it, packed here into 16 bytes), or as written when
/// the hash is another string (empty: not known).
enum Ident {
    Packed([u8; 32]),
    Other(Box<[u8]>),
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Ident {
    fn new(value: &[u8]) -> Ident {
        let nibble = |c: u8| HEX.iter().position(|&h| h == c).map(|n| n as u8);
        if value.len() == 48 {
            let mut packed = [0; 32];
            packed[..16].copy_from_slice(&value[..16]);
            let digits = value[16..].chunks(2).enumerate().all(|(i, pair)| {
                match (nibble(pair[0]), nibble(pair[1])) {
                    (Some(hi), Some(lo)) => {
                        packed[16 + i] = hi << 4 | lo;
                        true
                    }
                    _ => false,
                }
            });
            if digits {
                return Ident::Packed(packed);
            }
        }
        Ident::Other(value.into())
    }

    fn value(&self) -> IVec {
        match self {
            Ident::Packed(packed) => {
                let mut v = Vec::with_capacity(48);
                v.extend_from_slice(&packed[..16]);
                for b in &packed[16..] {
                    v.push(HEX[usize::from(b >> 4)]);
                    v.push(HEX[usize::from(b & 15)]);
                }
                v.into()
            }
            Ident::Other(v) => IVec::from(&v[..]),
        }
    }
}

impl Matching {
    /// The value at `key`, a key as logged ([`map_key`]).
    fn get(&self, index: Index, key: &[u8; 16]) -> Option<IVec> {
        match index {
            Index::Idents => self.idents.get(key).map(Ident::value),
            Index::Links => self.links.get(key).map(|v| IVec::from(&v[..])),
            Index::Titles => self.titles.get(key).map(|v| IVec::from(&v[..])),
            _ => None,
        }
    }

    /// Sets or removes the entry at `key`, a key as logged ([`map_key`]).
    fn set(&mut self, index: Index, key: &[u8], value: Option<&[u8]>) {
        let Ok(key) = <[u8; 16]>::try_from(key) else {
            return;
        };
        match (index, value) {
            (Index::Idents, Some(v)) => {
                self.idents.insert(key, Ident::new(v));
            }
            (Index::Links, Some(v)) => match <[u8; 16]>::try_from(v) {
                Ok(id) => {
                    self.links.insert(key, id);
                }
                // No story id: names nothing.
                Err(_) => {
                    self.links.remove(&key);
                }
            },
            (Index::Titles, Some(v)) => {
                self.titles.insert(key, v.into());
            }
            (Index::Idents, None) => {
                self.idents.remove(&key);
            }
            (Index::Links, None) => {
                self.links.remove(&key);
            }
            (Index::Titles, None) => {
                self.titles.remove(&key);
            }
            _ => {}
        }
    }

    /// Every entry of `index`, as logged.
    fn iter(&self, index: Index) -> Box<dyn Iterator<Item = ([u8; 16], IVec)> + '_> {
        match index {
            Index::Idents => Box::new(self.idents.iter().map(|(k, v)| (*k, v.value()))),
            Index::Links => Box::new(self.links.iter().map(|(k, v)| (*k, IVec::from(&v[..])))),
            Index::Titles => Box::new(self.titles.iter().map(|(k, v)| (*k, IVec::from(&v[..])))),
            _ => Box::new(std::iter::empty()),
        }
    }

    /// Makes the writes of one log entry (`None`: it does not read; those before the damage
    /// are made).
    fn replay(&mut self, entry: &[u8]) -> Option<()> {
        self.entries += 1;
        journal::for_each_write(entry, |index, key, value| {
            self.set(index, key, value);
            self.logged += 1;
        })
    }

    fn live(&self) -> u64 {
        (self.idents.len() + self.links.len() + self.titles.len()) as u64
    }

    /// Whether the log holds many overwritten writes, or its writes in many small entries
    /// (an import logs each story's on its own), and is worth rewriting.
    fn wants_compaction(&self) -> bool {
        let live = self.live();
        self.logged > 2 * live + SLACK || self.entries > 2 * self.rewritten + SLACK / 10
    }
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

/// The log key of entry number `n`.
fn log_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// The number the next log entry takes: one past the last entry of `log`.
pub(super) fn next_number(log: &sled::Tree) -> Result<u64, StoreError> {
    Ok(match log.last()? {
        Some((key, _)) => <[u8; 8]>::try_from(&key[..])
            .map(u64::from_be_bytes)
            .map_err(|_| corrupt("a key that is not eight bytes"))?
            .saturating_add(1),
        None => 0,
    })
}

/// The log cannot be read. Its indexes are derived from the stories: an export and an import
/// into a new store rebuild them (of the identities of stories retention removed, the export
/// keeps those in the `gone` tree, not those the log held: see [`super::backup`]).
fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt {
        tree: "matches",
        message: format!(
            "{what} in the log of identities, links and titles; `tributary export` and an \
             `import` into a new store rebuild it"
        ),
    }
}

/// Adds to `writes` the log entry of their identity, link and title writes, if they have any,
/// under the next number of the log. Called as a feed's writes are queued, under the store's writer
/// lock, so entries are numbered in the order the writes will be made.
pub(super) fn add_log_entry(main: &Main, writes: &mut Writes) {
    let logged: Writes = writes
        .iter()
        .filter(|((index, _), _)| holds(*index))
        .filter_map(|((index, key), v)| Some(((*index, map_key(*index, key)?.to_vec()), v.clone())))
        .collect();
    if logged.is_empty() {
        return;
    }
    let n = main
        .next_match
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    writes.insert(
        (Index::Matches, log_key(n).to_vec()),
        Some(journal::encode(&logged).into()),
    );
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

/// Replays the log.
fn load(log: &sled::Tree) -> Result<Matching, StoreError> {
    let mut m = Matching::default();
    for kv in log.iter() {
        m.replay(&kv?.1)
            .ok_or_else(|| corrupt("an unreadable entry"))?;
    }
    // A log that removed many of the entries it set leaves maps much larger than they hold.
    if m.idents.capacity() > 2 * m.idents.len() {
        m.idents.shrink_to_fit();
    }
    if m.links.capacity() > 2 * m.links.len() {
        m.links.shrink_to_fit();
    }
    if m.titles.capacity() > 2 * m.titles.len() {
        m.titles.shrink_to_fit();
    }
    Ok(m)
}

/// Makes a feed's identity, link and title writes to the maps once their log entry is made,
/// by replaying that entry as [`load`] does, if the maps are read already (if not, they will
/// be read from the log, where the entry is).
pub(super) fn apply(main: &Main, writes: &Writes) {
    let Some(Some(entry)) = writes
        .iter()
        .find(|((index, _), _)| *index == Index::Matches)
        .map(|(_, value)| value)
    else {
        return;
    };
    if let Some(m) = main
        .matching
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .as_mut()
    {
        // Written by `add_log_entry` a moment ago: it reads.
        let _ = m.replay(entry);
    }
}

/// Whether the log holds enough overwritten writes to be rewritten ([`compact`]).
pub(super) fn wants_compaction(main: &Main) -> bool {
    main.matching
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .is_some_and(Matching::wants_compaction)
}

/// Rewrites the log as its live entries (see the module's notes), if it wants it. Needs both
/// of the store's write locks, with nothing queued. Called once a feed, prune or import is
/// done, which stands either way: a rewrite that fails leaves the log as it was, to be tried
/// again next time, and is logged.
pub(super) fn compact(main: &Main) {
    if let Err(e) = rewrite(main) {
        tracing::warn!(error = %e, "rewriting the log of identities, links and titles failed; it is kept as it was and rewritten later");
    }
}

fn rewrite(main: &Main) -> Result<(), StoreError> {
    let (first, written) = {
        let loaded = main.matching.read().unwrap_or_else(|e| e.into_inner());
        let Some(m) = loaded.as_ref().filter(|m| m.wants_compaction()) else {
            return Ok(());
        };
        let mut chunks = Chunks::new(main, journal::piece_size(main));
        chunks.push_all(m)?;
        chunks.finish()?
    };
    // The new entries are on disk (with the files sled writes large nodes to) before any
    // older one is removed: a power failure in between still finds one of the two.
    main.flush()?;
    remove_before(main, first, usize::MAX)?;
    main.flush()?;
    if let Some(m) = main
        .matching
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .as_mut()
    {
        m.logged = m.live();
        m.entries = written;
        m.rewritten = written;
    }
    Ok(())
}

/// Live entries logged in values of about a given size, each written as it fills, after the
/// last entry of the log.
struct Chunks<'a> {
    main: &'a Main,
    size: usize,
    chunk: Writes,
    bytes: usize,
    first: u64,
    written: u64,
}

impl<'a> Chunks<'a> {
    fn new(main: &'a Main, size: usize) -> Chunks<'a> {
        Chunks {
            main,
            size,
            chunk: Writes::new(),
            bytes: 0,
            first: main.next_match.load(std::sync::atomic::Ordering::Relaxed),
            written: 0,
        }
    }

    fn push(&mut self, index: Index, key: [u8; 16], value: IVec) -> Result<(), StoreError> {
        // As `journal::encode` writes it.
        self.bytes += 26 + value.len();
        self.chunk.insert((index, key.to_vec()), Some(value));
        if self.bytes >= self.size {
            self.write()?;
        }
        Ok(())
    }

    /// Every entry of the maps, as they are now.
    fn push_all(&mut self, m: &Matching) -> Result<(), StoreError> {
        for index in HELD {
            for (key, value) in m.iter(index) {
                self.push(index, key, value)?;
            }
        }
        Ok(())
    }

    fn write(&mut self) -> Result<(), StoreError> {
        let n = self
            .main
            .next_match
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.main.matches.insert(
            log_key(n),
            journal::encode(&std::mem::take(&mut self.chunk)),
        )?;
        self.bytes = 0;
        self.written += 1;
        Ok(())
    }

    /// Writes what is left; returns the number of the first value written, and how many were.
    fn finish(mut self) -> Result<(u64, u64), StoreError> {
        if !self.chunk.is_empty() {
            self.write()?;
        }
        Ok((self.first, self.written))
    }
}

/// Removes the log's entries numbered below `first`, oldest first, at most `most` of them.
fn remove_before(main: &Main, first: u64, most: usize) -> Result<(), StoreError> {
    for key in main.matches.range(..log_key(first)).keys().take(most) {
        main.matches.remove(key?)?;
    }
    Ok(())
}

/// Empties the log and the maps (an import that failed). Needs both write locks.
pub(super) fn clear(main: &Main) {
    *main.matching.write().unwrap_or_else(|e| e.into_inner()) = Some(Matching::default());
}

/// The trees that older schemas kept these indexes in.
const TREES: [(Index, &str); 3] = [
    (Index::Idents, "idents"),
    (Index::Links, "links"),
    (Index::Titles, "titles"),
];

/// Moves the `idents`, `links` and `titles` trees of a store of an older schema (with link
/// and title keys hashed, as here) into the log; [`drop_trees`] drops them once the schema is
/// marked. Run again after a crash, it logs the same entries again, which replays to the same
/// maps.
pub(super) fn move_trees(main: &Main) -> Result<(), StoreError> {
    let mut chunks = Chunks::new(main, journal::piece_size(main));
    for (index, name) in TREES {
        if !has_tree(main, name) {
            continue;
        }
        let tree = main.db.open_tree(name)?;
        for kv in tree.iter() {
            let (key, value) = kv?;
            let Some(key) = map_key(index, &key) else {
                continue;
            };
            chunks.push(index, key, value)?;
        }
    }
    chunks.finish()?;
    main.flush()?;
    Ok(())
}

/// The tree an older schema kept `index` in, if the store still has it.
pub(super) fn old_tree(main: &Main, index: Index) -> Result<Option<sled::Tree>, StoreError> {
    let Some((_, name)) = TREES.iter().find(|(i, _)| *i == index) else {
        return Ok(None);
    };
    Ok(if has_tree(main, name) {
        Some(main.db.open_tree(name)?)
    } else {
        None
    })
}

fn has_tree(main: &Main, name: &str) -> bool {
    main.db.tree_names().iter().any(|n| n == name.as_bytes())
}

/// Drops the trees older schemas kept these indexes in, once their entries are logged (or,
/// for links and titles from schema 3 and earlier, rebuilt from the stories).
pub(super) fn drop_trees(main: &Main) -> Result<(), StoreError> {
    for (_, name) in TREES {
        if has_tree(main, name) {
            main.db.drop_tree(name)?;
        }
    }
    Ok(())
}

/// The keys of one index (an upgrade that rekeys it removes them first).
pub(super) fn keys(main: &Main, index: Index) -> Result<Vec<[u8; 16]>, StoreError> {
    with(main, |m| m.iter(index).map(|(k, _)| k).collect())
}

#[cfg(test)]
pub(super) fn entries(main: &Main, index: Index) -> Vec<([u8; 16], IVec)> {
    with(main, |m| m.iter(index).collect()).expect("the log reads")
}

/// What [`compact`] leaves when a crash stops it after `removed` of the older entries are
/// removed.
#[cfg(test)]
pub(super) fn compact_interrupted(main: &Main, removed: usize) {
    let first = with(main, |m| {
        // Small values, so that there are several.
        let mut chunks = Chunks::new(main, 100);
        chunks.push_all(m).unwrap();
        chunks.finish().unwrap().0
    })
    .unwrap();
    remove_before(main, first, removed).unwrap();
    main.flush().unwrap();
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
