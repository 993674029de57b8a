//! The log rewritten as its live entries once it holds many overwritten writes (see the
//! module's notes): the entries logged again in chunks, then the older ones removed.

use sled::IVec;

use super::log::log_key;
#[cfg(test)]
use super::with;
use super::{Matching, HELD};
use crate::store::journal::{self, Index, Writes};
use crate::store::{Main, StoreError};

/// Whether the log holds enough overwritten writes to be rewritten ([`compact`]).
pub(in crate::store) fn wants_compaction(main: &Main) -> bool {
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
pub(in crate::store) fn compact(main: &Main) {
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
pub(super) struct Chunks<'a> {
    main: &'a Main,
    size: usize,
    chunk: Writes,
    bytes: usize,
    first: u64,
    written: u64,
}

impl<'a> Chunks<'a> {
    pub(super) fn new(main: &'a Main, size: usize) -> Chunks<'a> {
        Chunks {
            main,
            size,
            chunk: Writes::new(),
            bytes: 0,
            first: main.next_match.load(std::sync::atomic::Ordering::Relaxed),
            written: 0,
        }
    }

    pub(super) fn push(
        &mut self,
        index: Index,
        key: [u8; 16],
        value: IVec,
    ) -> Result<(), StoreError> {
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
    pub(super) fn finish(mut self) -> Result<(u64, u64), StoreError> {
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

/// What [`compact`] leaves when a crash stops it after `removed` of the older entries are
/// removed.
#[cfg(test)]
pub(in crate::store) fn compact_interrupted(main: &Main, removed: usize) {
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
