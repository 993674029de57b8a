//! Export: the store written out as JSON lines, the tombstones merged from the `gone` tree
//! and the identity entries that name a story no longer stored.

use std::io::Write;

use chrono::Utc;

use super::{BackupError, Counts, Record, FORMAT};
use crate::model::{DigestRecord, ItemId};
use crate::store::{keys, matching, Store, StoreError, SCHEMA_VERSION};

impl Store {
    /// Writes the whole store as JSON lines; `progress` gets the number of stories written.
    pub fn export(
        &self,
        out: &mut dyn Write,
        progress: &dyn Fn(u64),
    ) -> Result<Counts, BackupError> {
        // Source states kept in memory are part of the store.
        self.flush()?;
        let mut counts = Counts::default();
        // Format 3 only when there are tombstones to carry: an export without any is the same
        // as format 2's, and builds that read format 2 at most still import it.
        let stale = self.stale_idents()?;
        let format = if stale.is_empty() && self.main()?.gone.is_empty() {
            2
        } else {
            FORMAT
        };
        let line = |r: &Record, out: &mut dyn Write| -> Result<(), BackupError> {
            serde_json::to_writer(&mut *out, r).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
            Ok(())
        };
        line(
            &Record::Header {
                format,
                schema: SCHEMA_VERSION,
                exported_at: Utc::now(),
            },
            out,
        )?;
        for (id, state) in self.source_states()? {
            line(
                &Record::Source {
                    id,
                    state: Box::new(state),
                },
                out,
            )?;
            counts.sources += 1;
        }
        // Items in publication order, so an export diffs well and imports in a natural order.
        for kv in self.main()?.by_published.iter() {
            let (k, _) = kv.map_err(StoreError::from)?;
            let Some(id) = keys::id_suffix(&k) else {
                continue;
            };
            if let Some(item) = self.item(id)? {
                line(&Record::Item(Box::new(item)), out)?;
                counts.items += 1;
                if counts.items % 512 == 0 {
                    progress(counts.items as u64);
                }
            }
        }
        for kv in self.main()?.digests.iter() {
            let (_, v) = kv.map_err(StoreError::from)?;
            let record: DigestRecord =
                serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt {
                    tree: "digests",
                    message: e.to_string(),
                })?;
            line(&Record::Digest(Box::new(record)), out)?;
            counts.digests += 1;
        }
        self.each_tombstone(stale, |key, value| {
            // A value that names no story is no tombstone: a feed does not read it as one.
            let Some((story, hash)) = keys::split_ident_value(value) else {
                return Ok(());
            };
            line(
                &Record::Tombstone {
                    key: ItemId(key).to_string(),
                    story,
                    // Written from a `String`; anything else only costs the entry one more
                    // reading, after which its tombstone takes the hash it has then.
                    hash: String::from_utf8_lossy(hash).into_owned(),
                },
                out,
            )?;
            counts.tombstones += 1;
            Ok(())
        })?;
        line(&Record::End(counts), out)?;
        progress(counts.items as u64);
        out.flush()?;
        Ok(counts)
    }

    /// The identity entries that name a story no longer stored, in key order (see
    /// [`Store::each_tombstone`]). A log of the identity index that cannot be read (export and
    /// import are how it is rebuilt) gives none, with a warning.
    fn stale_idents(&self) -> Result<Vec<([u8; 16], sled::IVec)>, BackupError> {
        let main = self.main()?;
        match matching::idents_where(main, |value| {
            Ok(match keys::split_ident_value(value) {
                Some((id, _)) => !main.items.contains_key(id.0)?,
                None => false,
            })
        }) {
            Ok(stale) => Ok(stale),
            Err(StoreError::Corrupt {
                tree: "matches",
                message,
            }) => {
                tracing::warn!(
                    error = %message,
                    "the identity index cannot be read: the export leaves out the tombstones it held (those in the `gone` tree are exported)"
                );
                Ok(Vec::new())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Calls `f` with each identity of a story retention removed, in key order (the hash of
    /// source ‖ 0 ‖ identity, and story id ‖ raw hash): the `gone` tree, and the identity
    /// entries that name a story no longer stored (`stale`, from [`Store::stale_idents`]).
    /// Those are identities of a story that are not its carriers' (the same source's entry
    /// under another identity), which prune leaves where they are, and those of stories that
    /// builds before the `gone` tree pruned. A feed reads both as tombstones; import writes
    /// both to `gone`.
    fn each_tombstone(
        &self,
        stale: Vec<([u8; 16], sled::IVec)>,
        mut f: impl FnMut([u8; 16], &[u8]) -> Result<(), BackupError>,
    ) -> Result<(), BackupError> {
        let main = self.main()?;
        let mut stale = stale.into_iter().peekable();
        // Both in key order, merged: the `gone` tree is read as it is written out.
        for kv in main.gone.iter() {
            let (key, value) = kv.map_err(StoreError::from)?;
            let Ok(key) = <[u8; 16]>::try_from(&key[..]) else {
                continue;
            };
            while let Some((k, v)) = stale.next_if(|(k, _)| *k < key) {
                f(k, &v)?;
            }
            // An identity entry is read before the `gone` tree: it is the one that counts.
            if stale.peek().is_some_and(|(k, _)| *k == key) {
                continue;
            }
            f(key, &value)?;
        }
        for (k, v) in stale {
            f(k, &v)?;
        }
        Ok(())
    }
}
