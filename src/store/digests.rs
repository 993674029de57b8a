//! Built digests: one record per (digest, period end), in the `digests` tree. The newest
//! record's end is the digest's mark: the next period starts there, so no story is in two
//! consecutive digests of one name.

use chrono::{DateTime, Utc};

use super::{keys, Store, StoreError};
use crate::model::DigestRecord;

/// `name ‖ 0 ‖ end`.
pub(super) fn key(name: &str, end: DateTime<Utc>) -> Vec<u8> {
    let mut k = keys::source_prefix(name);
    k.extend_from_slice(&keys::time_bytes(end));
    k
}

impl Store {
    /// Stores (or replaces) a built digest and flushes.
    pub fn put_digest(&self, record: &DigestRecord) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(record).expect("digest records serialize");
        let main = self.main()?;
        main.digests.insert(key(&record.name, record.end), bytes)?;
        main.flush()?;
        Ok(())
    }

    /// The digest of `name` whose period ends at `end`.
    pub fn digest_at(
        &self,
        name: &str,
        end: DateTime<Utc>,
    ) -> Result<Option<DigestRecord>, StoreError> {
        self.main()?
            .digests
            .get(key(name, end))?
            .map(|v| decode(&v))
            .transpose()
    }

    /// The newest digest of `name`.
    pub fn last_digest(&self, name: &str) -> Result<Option<DigestRecord>, StoreError> {
        match self
            .main()?
            .digests
            .scan_prefix(keys::source_prefix(name))
            .next_back()
        {
            Some(kv) => Ok(Some(decode(&kv?.1)?)),
            None => Ok(None),
        }
    }

    /// The newest digest of `name` whose period ends in `[from, until)`: one key-range lookup,
    /// however many digests are stored.
    pub fn newest_digest_ending_in(
        &self,
        name: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<DigestRecord>, StoreError> {
        if from >= until {
            return Ok(None);
        }
        match self
            .main()?
            .digests
            .range(key(name, from)..key(name, until))
            .next_back()
        {
            Some(kv) => Ok(Some(decode(&kv?.1)?)),
            None => Ok(None),
        }
    }

    /// Every digest of `name`, oldest first.
    pub fn digests(&self, name: &str) -> Result<Vec<DigestRecord>, StoreError> {
        self.main()?
            .digests
            .scan_prefix(keys::source_prefix(name))
            .map(|kv| decode(&kv?.1))
            .collect()
    }
}

fn decode(bytes: &[u8]) -> Result<DigestRecord, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        tree: "digests",
        message: e.to_string(),
    })
}
