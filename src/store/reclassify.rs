//! Reclassifying every stored story with the current topic rules, in batches each applied all
//! or nothing.

use super::records::{decode_item, encode_item};
use super::{journal, keys, Store, StoreError};
use crate::model::Item;

impl Store {
    /// Recomputes every item's topics with `topics_of` and writes the changed stories (record
    /// and publication entry) in batches of about `RECLASSIFY_BATCH_BYTES`, each applied
    /// all or nothing through the journal: memory stays bounded whatever the store's size (one
    /// batch for a whole store of 100,000 stories, half of them changed, held 1 GB). Every
    /// story is either as it was or reclassified, and running it again after an interruption
    /// finishes the job. `progress` is called with (items done, items total). Returns (items,
    /// items whose topics changed).
    pub fn reclassify(
        &self,
        topics_of: impl Fn(&Item) -> Vec<crate::model::TopicMatch>,
        progress: impl Fn(u64, u64),
    ) -> Result<(usize, usize), StoreError> {
        self.reclassify_in_batches(RECLASSIFY_BATCH_BYTES, topics_of, progress)
            .map(|(seen, changed, _)| (seen, changed))
    }

    /// [`Store::reclassify`] in batches of about `batch_limit` bytes; also returns how many
    /// batches were written.
    pub(super) fn reclassify_in_batches(
        &self,
        batch_limit: usize,
        topics_of: impl Fn(&Item) -> Vec<crate::model::TopicMatch>,
        progress: impl Fn(u64, u64),
    ) -> Result<(usize, usize, usize), StoreError> {
        let (_one_writer, main) = self.write_lock()?;
        let total = main.items.len() as u64;
        let mut tx = journal::Pending::new(main);
        let mut batch_bytes = 0;
        let (mut seen, mut changed, mut batches) = (0usize, 0usize, 0usize);
        let now = chrono::Utc::now();
        for kv in main.items.iter() {
            let (key, value) = kv?;
            let mut item = decode_item(&value)?;
            let topics = topics_of(&item);
            seen += 1;
            // A story stored with reasons (as earlier versions stored them) is rewritten
            // without, but counts as changed only if its topics did.
            let moved = topics
                .iter()
                .map(|t| &t.topic)
                .ne(item.topics.iter().map(|t| &t.topic));
            if topics != item.topics {
                item.topics = topics;
                // Its categories in the feeds changed: the feeds that list it are rendered
                // again and their own date moves, as when ingest changes a story's topics (the
                // entry's `updated` stays: no edit of its source).
                if moved {
                    item.last_changed = item.last_changed.max(now);
                }
                let record = encode_item(&item);
                batch_bytes += key.len() + record.len();
                tx.insert(
                    journal::Index::ByPublished,
                    keys::listing_key(&item),
                    keys::scope_meta(&item),
                );
                tx.insert(journal::Index::Items, key.to_vec(), record);
                changed += usize::from(moved);
                if batch_bytes >= batch_limit {
                    std::mem::replace(&mut tx, journal::Pending::new(main)).commit()?;
                    batches += 1;
                    batch_bytes = 0;
                }
            }
            if seen % 256 == 0 {
                progress(seen as u64, total);
            }
        }
        if batch_bytes > 0 {
            tx.commit()?;
            batches += 1;
        }
        main.flush()?;
        progress(seen as u64, total);
        Ok((seen, changed, batches))
    }
}

/// The changed records [`Store::reclassify`] writes in one batch at most (bytes).
const RECLASSIFY_BATCH_BYTES: usize = 8 << 20;
