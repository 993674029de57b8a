//! Applying a feed all or nothing without a sled transaction.
//!
//! A sled transaction takes a lock that every read and write of every database in the process
//! waits on for as long as the transaction's closure runs: while one feed was matched and
//! indexed, the threads parsing the next feeds stood still (they look up which entries are
//! already stored). The store applies one feed at a time anyway ([`super::Store`]'s writer
//! lock), so a feed is applied like this instead (and so is each story that prune removes
//! or import restores):
//!
//! 1. Its reads and writes are worked out against [`Pending`]: writes are kept in memory and
//!    read back by later items of the same feed.
//! 2. All of its writes are recorded in the `journal` tree: in a marker, or for a large feed
//!    in pieces followed by a marker saying how many there are (see [`largest_node`]).
//! 3. They are applied to their trees one by one (the stories first, so an index entry a
//!    reader finds never names a story that is not there yet).
//! 4. The marker is removed, then the pieces.
//!
//! A feed ingested is worked out (step 1) under the store's writer lock and its writes are
//! queued in memory; steps 2 to 4 are taken under a second lock ([`make_queued`]), in the
//! order the feeds were worked out, while the next feed is worked out. Until its writes are
//! made, [`Pending::get`] of every later feed reads them before the trees, so each feed sees
//! the store as if every earlier one were made. Every other writer (prune, import,
//! reclassify) takes both locks and makes whatever is queued first. A feed's state is
//! recorded only once every write it was worked out against is made (its own, or with none,
//! the last queued before it): writes left queued by a failure are made by the next feed,
//! and the queue never grows past [`QUEUE_BOUND`] feeds.
//!
//! sled recovers a contiguous prefix of its log after a crash. An applied write recovered
//! means the marker and every piece written before it were recovered too, and a marker found
//! later (when the store is opened, or by the next writer if applying failed part way) has its
//! writes applied again ([`finish`]): every write sets or removes a
//! key, so applying one twice is the same as once. Pieces without a marker belong to a feed that was either
//! applied in full or not at all, and are removed.
//!
//! Readers that do not take the writer lock (rendering, counts) can see a feed half applied
//! for a moment, as they could see one feed applied and the next not yet.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use sled::IVec;

use super::{Main, StoreError};

/// The largest tree node sled keeps in its log: it writes a larger one (over a quarter of a
/// log segment, less a header) to a file of its own, which its flush does not sync. Journal
/// nodes stay under it with room to spare.
fn largest_node(main: &Main) -> usize {
    (main.segment_size / 4)
        .saturating_sub(16 << 10)
        .max(20 << 10)
}

/// Writes that fit go in the marker itself, alone in its leaf (most feeds); larger ones in
/// pieces of a size that a full leaf of them still fits (17 entries at most, 20 should sled
/// merge a small leaf into its neighbour).
fn inline_limit(main: &Main) -> usize {
    largest_node(main) - (4 << 10)
}

pub(super) fn piece_size(main: &Main) -> usize {
    largest_node(main) / 20
}

/// Journal keys: `0 ‖ piece number` (4 bytes, big-endian) for the pieces, `1` for the marker:
/// [`MARKER_INLINE`] ‖ the writes, or [`MARKER_PIECES`] ‖ the number of pieces.
const PIECE_TAG: u8 = 0;
pub(super) const MARKER_KEY: &[u8] = &[1];
const MARKER_INLINE: u8 = 0;
const MARKER_PIECES: u8 = 1;

/// The trees a feed's application writes, in the order its writes are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Index {
    Items = 0,
    ByPublished = 1,
    BySeen = 2,
    BySource = 3,
    /// Kept in memory and logged (see [`super::matching`]), as are `Links` and `Titles`.
    Idents = 4,
    Links = 5,
    Titles = 6,
    /// The log of the identities, links and titles: a feed's writes to them, in one value.
    Matches = 7,
    /// The identities of stories retention removed (see [`super::prune`]).
    Gone = 8,
}

impl Index {
    const ALL: [Index; 9] = [
        Index::Items,
        Index::ByPublished,
        Index::BySeen,
        Index::BySource,
        Index::Idents,
        Index::Links,
        Index::Titles,
        Index::Matches,
        Index::Gone,
    ];

    /// The tree that holds the index; `None` for the three held in memory.
    fn tree(self, main: &Main) -> Option<&sled::Tree> {
        Some(match self {
            Index::Items => &main.items,
            Index::ByPublished => &main.by_published,
            Index::BySeen => &main.by_seen,
            Index::BySource => &main.by_source,
            Index::Idents | Index::Links | Index::Titles => return None,
            Index::Matches => &main.matches,
            Index::Gone => &main.gone,
        })
    }
}

/// The value of an index entry whose key says it all.
pub(super) const EMPTY: &[u8] = &[];

/// Set (`Some`) or remove (`None`), per tree and key.
pub(super) type Writes = BTreeMap<(Index, Vec<u8>), Option<IVec>>;

/// One feed's writes, not yet applied; reads see them.
pub(super) struct Pending<'a> {
    main: &'a Main,
    writes: RefCell<Writes>,
}

impl<'a> Pending<'a> {
    pub(super) fn new(main: &'a Main) -> Pending<'a> {
        Pending {
            main,
            writes: RefCell::new(BTreeMap::new()),
        }
    }

    /// The value as this feed left it, else as the feed before it left it (its writes may
    /// still be being made: see [`make_queued`]), else as stored.
    pub(super) fn get(&self, index: Index, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        let k = (index, key.to_vec());
        if let Some(value) = self.writes.borrow().get(&k) {
            return Ok(value.clone());
        }
        self.get_before(index, key)
    }

    /// [`Pending::get`] as it was before this batch's own writes.
    pub(super) fn get_before(&self, index: Index, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        let k = (index, key.to_vec());
        for (_, before) in queued(self.main).iter().rev() {
            if let Some(value) = before.get(&k) {
                return Ok(value.clone());
            }
        }
        match index.tree(self.main) {
            Some(tree) => Ok(tree.get(key)?),
            None => super::matching::get(self.main, index, key),
        }
    }

    pub(super) fn insert(&self, index: Index, key: impl Into<Vec<u8>>, value: impl Into<IVec>) {
        self.writes
            .borrow_mut()
            .insert((index, key.into()), Some(value.into()));
    }

    pub(super) fn remove(&self, index: Index, key: impl Into<Vec<u8>>) {
        self.writes.borrow_mut().insert((index, key.into()), None);
    }

    /// Makes the writes and every one queued before them (see [`make_queued`]). Needs both
    /// of the store's write locks.
    pub(super) fn commit(self) -> Result<(), StoreError> {
        let main = self.main;
        match self.queue() {
            Some(turn) => make_queued(main, turn),
            None => Ok(()),
        }
    }

    /// Queues the writes to be made by [`make_queued`], and returns their turn (`None` when
    /// there are none). Until they are made, [`Pending::get`] of every later feed reads them
    /// before the trees. Needs the store's writer lock, so that turns follow the order in
    /// which feeds are worked out.
    pub(super) fn queue(self) -> Option<u64> {
        let main = self.main;
        let writes = self.into_writes();
        if writes.is_empty() {
            return None;
        }
        let mut queue = main.queued.write().unwrap_or_else(|e| e.into_inner());
        let turn = main
            .next_turn
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        queue.push_back((turn, Arc::new(writes)));
        Some(turn)
    }

    /// The writes, with the log entry of their identities, links and titles (see
    /// [`super::matching`]).
    fn into_writes(self) -> Writes {
        let mut writes = self.writes.into_inner();
        super::matching::add_log_entry(self.main, &mut writes);
        writes
    }
}

/// Makes the queued writes up to `turn`, oldest first, each through the journal (steps 2 to 4
/// above), after finishing any feed whose writes failed part way; each leaves the queue once
/// made. A failure leaves the rest queued, still read by later feeds, for the next call. Needs
/// the store's second write lock (`Main::applying`).
pub(super) fn make_queued(main: &Main, turn: u64) -> Result<(), StoreError> {
    finish(main, false)?;
    loop {
        let next = {
            let queue = queued(main);
            match queue.front() {
                Some((t, writes)) if *t <= turn => writes.clone(),
                _ => return Ok(()),
            }
        };
        record(main, &next)?;
        apply(main, &next)?;
        clear(main)?;
        main.queued
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
    }
}

/// The turn of the last writes still queued, if any.
pub(super) fn last_turn(main: &Main) -> Option<u64> {
    queued(main).back().map(|(turn, _)| *turn)
}

/// How many feeds' writes are queued.
pub(super) fn queued_len(main: &Main) -> usize {
    queued(main).len()
}

/// The most feeds' writes queued before a feed first makes them all. The queue is never more
/// than a few feeds long unless making writes fails.
pub(super) const QUEUE_BOUND: usize = 16;

fn queued(main: &Main) -> std::sync::RwLockReadGuard<'_, Queue> {
    main.queued.read().unwrap_or_else(|e| e.into_inner())
}

/// Writes worked out and not yet made, oldest first, each with its turn.
pub(super) type Queue = std::collections::VecDeque<(u64, Arc<Writes>)>;

#[cfg(test)]
impl Pending<'_> {
    /// What a crash right after step 2 leaves: the journal, no write applied.
    pub(super) fn record_only(self) -> Result<(), StoreError> {
        let main = self.main;
        record(main, &self.into_writes())?;
        main.flush()?;
        Ok(())
    }
}

fn piece_key(n: u32) -> [u8; 5] {
    let mut k = [PIECE_TAG; 5];
    k[1..].copy_from_slice(&n.to_be_bytes());
    k
}

/// Step 2: the pieces, then the marker.
fn record(main: &Main, writes: &Writes) -> Result<(), StoreError> {
    let bytes = encode(writes);
    if bytes.len() <= inline_limit(main) {
        let mut marker = Vec::with_capacity(1 + bytes.len());
        marker.push(MARKER_INLINE);
        marker.extend_from_slice(&bytes);
        main.journal.insert(MARKER_KEY, marker)?;
        return Ok(());
    }
    let mut pieces = 0u32;
    for piece in bytes.chunks(piece_size(main)) {
        main.journal.insert(piece_key(pieces), piece)?;
        pieces += 1;
    }
    let mut marker = vec![MARKER_PIECES];
    marker.extend_from_slice(&pieces.to_be_bytes());
    main.journal.insert(MARKER_KEY, marker)?;
    Ok(())
}

/// Step 4: the marker, then the pieces.
fn clear(main: &Main) -> Result<(), StoreError> {
    main.journal.remove(MARKER_KEY)?;
    for key in main.journal.iter().keys() {
        main.journal.remove(key?)?;
    }
    Ok(())
}

fn apply(main: &Main, writes: &Writes) -> Result<(), StoreError> {
    for ((index, key), value) in writes {
        let Some(tree) = index.tree(main) else {
            continue;
        };
        let before = match value {
            Some(value) => tree.insert(&key[..], value.clone())?,
            None => tree.remove(&key[..])?,
        };
        // A story record created or removed moves the running count (a write made twice,
        // after a failure, finds it already there or already gone and moves nothing).
        if matches!(index, Index::Items) {
            let change = match (value.is_some(), before.is_some()) {
                (true, false) => 1,
                (false, true) => -1,
                _ => 0,
            };
            if change != 0 {
                main.net_stories
                    .fetch_add(change, std::sync::atomic::Ordering::AcqRel);
            }
        }
    }
    // The identities, links and titles in memory, once their log entry (the last write) is
    // made: maps read from the log meanwhile have it, or are there for these to reach.
    super::matching::apply(main, writes);
    Ok(())
}

/// Finishes a feed whose application was interrupted (by a crash, or by an error part way),
/// if any: applies its writes again and clears the journal. Returns whether there was one.
/// With `legacy` (a store of an older schema, opened), the feed's writes to the identity, link
/// and title indexes go to the trees that schema kept them in, where they still are (see
/// [`super::matching::move_trees`]), and only those it had in the log are logged.
pub(super) fn finish(main: &Main, legacy: bool) -> Result<bool, StoreError> {
    let corrupt = |message: &str| StoreError::Corrupt {
        tree: "journal",
        message: message.into(),
    };
    let Some(marker) = main.journal.get(MARKER_KEY)? else {
        if main.journal.is_empty() {
            return Ok(false);
        }
        // Pieces of a feed that was applied in full (its marker was removed) or not at all
        // (its marker was never written).
        clear(main)?;
        main.flush()?;
        return Ok(false);
    };
    let bytes = match marker.split_first() {
        Some((&MARKER_INLINE, bytes)) => bytes.to_vec(),
        Some((&MARKER_PIECES, count)) => {
            let pieces = u32::from_be_bytes(
                count
                    .try_into()
                    .map_err(|_| corrupt("its marker is not a count"))?,
            );
            let mut bytes = Vec::new();
            for n in 0..pieces {
                let piece = main
                    .journal
                    .get(piece_key(n))?
                    .ok_or_else(|| corrupt("a piece of the interrupted feed is missing"))?;
                bytes.extend_from_slice(&piece);
            }
            bytes
        }
        _ => return Err(corrupt("its marker is of no known kind")),
    };
    let mut writes =
        decode(&bytes).ok_or_else(|| corrupt("the interrupted feed's writes cannot be read"))?;
    if legacy {
        let mut kept = Writes::new();
        for ((index, key), value) in std::mem::take(&mut writes) {
            match super::matching::old_tree(main, index)? {
                Some(tree) => {
                    match value {
                        Some(value) => tree.insert(key, value)?,
                        None => tree.remove(key)?,
                    };
                }
                None if index == Index::Matches => {}
                None => {
                    kept.insert((index, key), value);
                }
            }
        }
        writes = kept;
    }
    if !writes.keys().any(|(index, _)| *index == Index::Matches) {
        // Writes to the identity, link and title indexes with no log entry of them: left
        // above for the log, or recorded by a build that kept no log.
        super::matching::add_log_entry(main, &mut writes);
    }
    apply(main, &writes)?;
    main.flush()?;
    clear(main)?;
    main.flush()?;
    Ok(true)
}

/// `index ‖ key length ‖ key ‖ 0 (remove) or 1 ‖ value length ‖ value`, repeated; lengths
/// are 4 bytes, little-endian.
pub(super) fn encode(writes: &Writes) -> Vec<u8> {
    let size: usize = writes
        .iter()
        .map(|((_, k), v)| 10 + k.len() + v.as_ref().map_or(0, |v| v.len()))
        .sum();
    let mut out = Vec::with_capacity(size);
    for ((index, key), value) in writes {
        out.push(*index as u8);
        out.extend_from_slice(&(key.len() as u32).to_le_bytes());
        out.extend_from_slice(key);
        match value {
            Some(value) => {
                out.push(1);
                out.extend_from_slice(&(value.len() as u32).to_le_bytes());
                out.extend_from_slice(value);
            }
            None => out.push(0),
        }
    }
    out
}

pub(super) fn decode(bytes: &[u8]) -> Option<Writes> {
    let mut writes = Writes::new();
    for_each_write(bytes, |index, key, value| {
        writes.insert((index, key.to_vec()), value.map(IVec::from));
    })?;
    Some(writes)
}

/// Calls `f` with each write [`encode`] wrote into `bytes`, in order, without copying them;
/// `None` when `bytes` are not such writes (`f` may have seen the first ones).
pub(super) fn for_each_write(
    mut bytes: &[u8],
    mut f: impl FnMut(Index, &[u8], Option<&[u8]>),
) -> Option<()> {
    fn take<'b>(bytes: &mut &'b [u8], n: usize) -> Option<&'b [u8]> {
        let (head, rest) = bytes.split_at_checked(n)?;
        *bytes = rest;
        Some(head)
    }
    fn length(bytes: &mut &[u8]) -> Option<usize> {
        let b = take(bytes, 4)?;
        Some(u32::from_le_bytes(b.try_into().ok()?) as usize)
    }
    while !bytes.is_empty() {
        let index = *Index::ALL.get(usize::from(take(&mut bytes, 1)?[0]))?;
        let n = length(&mut bytes)?;
        let key = take(&mut bytes, n)?;
        let value = match take(&mut bytes, 1)?[0] {
            0 => None,
            1 => {
                let n = length(&mut bytes)?;
                Some(take(&mut bytes, n)?)
            }
            _ => return None,
        };
        f(index, key, value);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_a_cut_one_is_refused() {
        let mut writes = Writes::new();
        writes.insert(
            (Index::Items, b"id-1".to_vec()),
            Some(IVec::from(&b"story"[..])),
        );
        writes.insert((Index::Titles, b"a title".to_vec()), None);
        writes.insert((Index::BySeen, vec![0; 24]), Some(IVec::from(&b""[..])));
        let record = encode(&writes);
        assert_eq!(decode(&record), Some(writes.clone()));
        for cut in 1..record.len() {
            assert_ne!(decode(&record[..cut]), Some(writes.clone()), "cut at {cut}");
        }
        assert_eq!(decode(&record[..7]), None, "a key cut short");
        assert_eq!(decode(&[9, 0, 0, 0, 0, 0]), None, "no such tree");
    }
}
