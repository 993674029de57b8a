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

/// How many of the newest digests [`Store::digest_to_show`] reads for one that has stories
/// before it asks `digests_told` (an hourly digest of a quiet source has many empty ones).
const SHOW_LOOKBACK: usize = 64;

/// The key in `digests_told` saying every digest stored before it was listed there (stores
/// from before it get their list at their first open). Digest names are ids: no key of one
/// starts with this byte.
const TOLD_LISTED: &[u8] = &[0xff];

/// Writes `record` and its place in `digests_told` in the order that leaves no record with
/// stories unlisted, whatever prefix of the writes a crash keeps (sled recovers a prefix of
/// its log): a listed key whose record is missing or empty is passed over when shown.
pub(super) fn write(main: &super::Main, record: &DigestRecord) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(record).expect("digest records serialize");
    let k = key(&record.name, record.end);
    if record.count > 0 {
        mark_told(main, &k, record.count)?;
        main.digests.insert(&k, bytes)?;
    } else {
        main.digests.insert(&k, bytes)?;
        mark_told(main, &k, record.count)?;
    }
    Ok(())
}

/// Lists the digest under `k` in `digests_told` if it has stories, else takes it off.
fn mark_told(main: &super::Main, k: &[u8], count: usize) -> Result<(), StoreError> {
    if count > 0 {
        main.told.insert(k, &[][..])?;
    } else {
        main.told.remove(k)?;
    }
    Ok(())
}

/// Lists every stored digest that has stories in `digests_told`, once per store.
pub(super) fn list_told(main: &super::Main) -> Result<(), StoreError> {
    if main.told.contains_key(TOLD_LISTED)? {
        return Ok(());
    }
    /// A record's story count, read without its renderings.
    #[derive(serde::Deserialize)]
    struct Count {
        count: usize,
    }
    for kv in main.digests.iter() {
        let (k, bytes) = kv?;
        // A record that cannot be read is not listed (it is passed over when shown).
        if let Ok(Count { count }) = serde_json::from_slice::<Count>(&bytes) {
            mark_told(main, &k, count)?;
        }
    }
    main.told.insert(TOLD_LISTED, &[][..])?;
    Ok(())
}

impl Store {
    /// Stores (or replaces) a built digest, on disk when it returns.
    pub fn put_digest(&self, record: &DigestRecord) -> Result<(), StoreError> {
        let main = self.main()?;
        write(main, record)?;
        // Through the disk's cache: a send mark a power cut took back would send again.
        main.sync()?;
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

    /// The digest of `name` to show for periods ending in `[from, until)` (each `None` for
    /// no bound): the newest, or with `skip_empty` the newest that has stories, falling back
    /// to the newest when none has. Runs that found nothing to send (and so sent nothing) do
    /// not hide the last digest that said something, however many there were.
    pub fn digest_to_show(
        &self,
        name: &str,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        skip_empty: bool,
    ) -> Result<Option<DigestRecord>, StoreError> {
        let mut upper = keys::source_prefix(name);
        match until {
            Some(t) => upper.extend_from_slice(&keys::time_bytes(t)),
            // Past every `name ‖ 0 ‖ end` key.
            None => *upper.last_mut().expect("prefix ends in 0") = 1,
        }
        let lower = match from {
            Some(t) => key(name, t),
            None => keys::source_prefix(name),
        };
        if lower >= upper {
            return Ok(None);
        }
        let (mut newest, mut unreadable) = (None, None);
        // Empty ones are passed over for so long only: each is read in full.
        for kv in self
            .main()?
            .digests
            .range(lower.clone()..upper.clone())
            .rev()
            .take(SHOW_LOOKBACK)
        {
            let (key, bytes) = kv?;
            // A record that cannot be read is passed over, as the digest runs pass it over:
            // the one before it is shown. With none readable, that is the answer (not "no
            // such digest").
            let record = match decode(&bytes) {
                Ok(record) => record,
                Err(error) => {
                    tracing::warn!(%error, digest = name, key = ?key, "passing over an unreadable digest");
                    unreadable.get_or_insert(error);
                    continue;
                }
            };
            if !skip_empty || record.count > 0 {
                return Ok(Some(record));
            }
            newest.get_or_insert(record);
        }
        // Older ones: the newest in range that has stories, without reading the empty ones.
        if skip_empty {
            let main = self.main()?;
            for k in main.told.range(lower..upper).keys().rev() {
                let k = k?;
                match main.digests.get(&k)?.map(|v| decode(&v)) {
                    Some(Ok(record)) if record.count > 0 => return Ok(Some(record)),
                    _ => continue,
                }
            }
        }
        match (newest, unreadable) {
            (None, Some(error)) => Err(error),
            (newest, _) => Ok(newest),
        }
    }

    /// The digests of `name`, newest first, each read as the caller goes. A record that
    /// cannot be decoded is passed over with a warning: an older issue that cannot be read
    /// keeps no newer one from being sent, written or listed.
    pub fn digests_newest_first(
        &self,
        name: &str,
    ) -> Result<impl Iterator<Item = Result<DigestRecord, StoreError>>, StoreError> {
        let name = name.to_string();
        Ok(self
            .main()?
            .digests
            .scan_prefix(keys::source_prefix(&name))
            .rev()
            .filter_map(move |kv| match kv {
                Err(e) => Some(Err(e.into())),
                Ok((key, bytes)) => match decode(&bytes) {
                    Ok(record) => Some(Ok(record)),
                    Err(error) => {
                        tracing::warn!(%error, digest = %name, key = ?key, "a digest record cannot be read: passed over");
                        None
                    }
                },
            }))
    }

    /// Overwrites the record of `name` ending at `end` with bytes that do not decode.
    #[cfg(test)]
    pub(crate) fn damage_digest(&self, name: &str, end: DateTime<Utc>) {
        self.main()
            .unwrap()
            .digests
            .insert(key(name, end), &b"{damaged"[..])
            .unwrap();
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
