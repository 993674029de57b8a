//! The log on disk: its entries' numbers, a feed's entry added to its writes, the log
//! replayed into the maps, and an entry made to maps already read.

use super::{holds, map_key, Matching};
use crate::store::journal::{self, Index, Writes};
use crate::store::{Main, StoreError};

/// The log key of entry number `n`.
pub(super) fn log_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// The number the next log entry takes: one past the last entry of `log`.
pub(in crate::store) fn next_number(log: &sled::Tree) -> Result<u64, StoreError> {
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
/// keeps those in the `gone` tree, not those the log held: see [`crate::store::backup`]).
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
pub(in crate::store) fn add_log_entry(main: &Main, writes: &mut Writes) {
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

/// Replays the log.
pub(super) fn load(log: &sled::Tree) -> Result<Matching, StoreError> {
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
pub(in crate::store) fn apply(main: &Main, writes: &Writes) {
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
