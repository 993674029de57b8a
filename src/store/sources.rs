//! What the store keeps of each source and of each served document, in the states database:
//! a source's state after its last fetch, a document's ETag and since when it has had it.

use chrono::{DateTime, Utc};

use super::{Store, StoreError};
use crate::model::SourceState;

impl Store {
    /// Stored state of a source (default when never fetched).
    pub fn source_state(&self, source: &str) -> Result<SourceState, StoreError> {
        self.states.get(source)
    }

    /// Records a source's state after a fetch (applying a feed records it once the feed's
    /// stories are flushed). Kept in memory and written with every other such state in one
    /// batch by [`Store::flush`] (at the end of a `fetch`, every few seconds in the daemon, on
    /// exit): a warm pass over thousands of unchanged sources would otherwise rewrite sled's
    /// pages once per source. Reads see it at once. A crash can lose only states: the time of
    /// the last attempt, an error count, or validators newer than the stored ones. Never a
    /// story: the next fetch asks again with the older validators and finds its items stored.
    pub fn put_source_state(&self, source: &str, state: &SourceState) -> Result<(), StoreError> {
        self.states.put(source, state)
    }

    /// Every recorded source state, by source id (sources no longer configured included).
    pub fn source_states(&self) -> Result<Vec<(String, SourceState)>, StoreError> {
        self.states.all()
    }

    /// The ETag the document served at `path` last had, and since when, if it was recorded
    /// ([`Store::record_served`]).
    pub fn served(&self, path: &str) -> Option<(String, DateTime<Utc>)> {
        let value = self.served.get(path).ok()??;
        let (tag, secs) = value.split_at(value.iter().position(|&b| b == 0)?);
        let secs = i64::from_be_bytes(secs.get(1..9)?.try_into().ok()?);
        Some((
            String::from_utf8(tag.to_vec()).ok()?,
            DateTime::from_timestamp(secs, 0)?,
        ))
    }

    /// Records that the document at `path` has had the ETag `etag` since `since`. Written
    /// with sled's next flush (within half a second): a crash in that moment leaves the
    /// record before, which only ever dates a document anew or as it was served then.
    pub fn record_served(&self, path: &str, etag: &str, since: DateTime<Utc>) {
        let mut value = Vec::with_capacity(etag.len() + 9);
        value.extend_from_slice(etag.as_bytes());
        value.push(0);
        value.extend_from_slice(&since.timestamp().to_be_bytes());
        if let Err(e) = self.served.insert(path, value) {
            tracing::debug!(error = %e, path, "cannot record a served document's date");
        }
    }
}
