//! Reading stories: one by id, which of a feed's entries are stored as they are, listings by
//! source, topic and language, the stories first seen in a period, and counts.

use chrono::{DateTime, Utc};

use super::records::decode_item;
use super::{journal, keys, matching, Store, StoreError};
use crate::model::{Identity, Item, ItemId};

/// Which items to list.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only items carried by this source.
    pub source: Option<String>,
    /// Only items with this topic.
    pub topic: Option<String>,
    /// Only items in this language (a BCP 47 range: `sr` also lists `sr-Latn` and `sr-Cyrl`).
    pub lang: Option<String>,
    /// At most this many (newest first).
    pub limit: usize,
}

impl Store {
    /// Reads the indexes that match fetched entries to stored stories into memory now (see
    /// `matching`), rather than when the first entry is stored: the daemon does it once it
    /// serves, so its first fetch with something new does not wait for it.
    pub fn load_matching(&self) -> Result<(), StoreError> {
        matching::with(self.main()?, |_| ())
    }

    /// Number of stored stories. Counted on the publication index (one small key per story),
    /// not on the stories themselves: sled counts by visiting every entry, and visiting the
    /// stories would read the whole store into memory.
    /// 0 when the stories' database cannot be opened (the error is reported where it matters).
    pub fn item_count(&self) -> usize {
        self.main().map_or(0, |m| m.by_published.len())
    }

    /// The stories in the store counted (a walk of the publication index) with the writer
    /// held, and [`Store::net_stories`] at that moment: the count at any later time is the
    /// first plus how much the second has moved since, without walking the index again.
    pub fn counted_stories(&self) -> Result<(usize, i64), StoreError> {
        let (_one_writer, main) = self.write_lock()?;
        Ok((
            main.by_published.len(),
            main.net_stories.load(std::sync::atomic::Ordering::Acquire),
        ))
    }

    /// Story records created less story records removed since the stories' database was
    /// opened, through this handle (0 while it is not open).
    pub fn net_stories(&self) -> i64 {
        self.main.get().map_or(0, |m| {
            m.net_stories.load(std::sync::atomic::Ordering::Acquire)
        })
    }

    /// [`Store::item_count`] when the stories' database is open, without opening it.
    pub fn item_count_if_open(&self) -> Option<usize> {
        self.main.get().map(|m| m.by_published.len())
    }

    /// Number of items each source carries.
    pub fn count_for_source(&self, source: &str) -> usize {
        self.main().map_or(0, |m| {
            m.by_source.scan_prefix(keys::source_prefix(source)).count()
        })
    }

    /// One item by id.
    pub fn item(&self, id: ItemId) -> Result<Option<Item>, StoreError> {
        self.main()?
            .items
            .get(id.0)?
            .map(|v| decode_item(&v))
            .transpose()
    }

    /// For each (identity, raw hash) of a source's feed: true when that exact version is stored,
    /// so the caller can skip normalizing it.
    pub fn unchanged(
        &self,
        source: &str,
        entries: &[(&Identity, &str)],
    ) -> Result<Vec<bool>, StoreError> {
        let main = self.main()?;
        entries
            .iter()
            .map(|(identity, hash)| {
                let key = keys::ident_key(source, &identity.key());
                let stored = match matching::get(main, journal::Index::Idents, &key)? {
                    Some(v) => Some(v),
                    None => main.gone.get(matching::ident_hash(&key))?,
                };
                Ok(stored
                    .as_deref()
                    .and_then(keys::split_ident_value)
                    .is_some_and(|(_, h)| keys::raw_hash(h) == hash.as_bytes()))
            })
            .collect()
    }

    /// Items, newest first where the feeds list them (by publication date, a story that
    /// arrived late at the hour it arrived: see [`crate::model::listed_at`]).
    pub fn list(&self, q: &Query) -> Result<Vec<Item>, StoreError> {
        let limit = if q.limit == 0 { usize::MAX } else { q.limit };
        let keys: Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>> = match &q.source
        {
            Some(s) => Box::new(
                self.main()?
                    .by_source
                    .scan_prefix(keys::source_prefix(s))
                    .rev(),
            ),
            None => Box::new(self.main()?.by_published.iter().rev()),
        };
        let mut out = Vec::new();
        let mut listed = std::collections::HashSet::new();
        // Publication entries name a story's language and topics: a topic or language feed
        // reads only the stories that can be in it (source entries carry nothing).
        let by_meta = q.source.is_none() && (q.topic.is_some() || q.lang.is_some());
        for kv in keys {
            let (k, v) = kv?;
            if by_meta
                && keys::scope_meta_allows(&v, q.topic.as_deref(), q.lang.as_deref()) == Some(false)
            {
                continue;
            }
            let Some(id) = keys::id_suffix(&k) else {
                continue;
            };
            // A story whose publication time a feed being applied is changing can be listed
            // under both times for a moment (or, moved later, under neither).
            if !listed.insert(id) {
                continue;
            }
            let Some(item) = self.item(id)? else { continue };
            if let Some(t) = &q.topic {
                if !item.topic_names().any(|n| n == t) {
                    continue;
                }
            }
            if let Some(range) = &q.lang {
                let in_it = item
                    .lang
                    .as_deref()
                    .is_some_and(|tag| crate::model::language_matches(tag, range));
                if !in_it {
                    continue;
                }
            }
            out.push(item);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Stories first stored, or first carried by another source, in `[from, to)`, each once,
    /// in the order of that time (for digests, which tell the two apart).
    pub fn first_seen_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Item>, StoreError> {
        // Under the writer lock: a feed being applied is either wholly visible here or gets a
        // first-seen time after this read (see `apply_now`).
        let (_no_writer, main) = self.write_lock()?;
        let range = keys::time_bytes(from).to_vec()..keys::time_bytes(to).to_vec();
        let mut out = Vec::new();
        let mut listed = std::collections::HashSet::new();
        for kv in main.by_seen.range(range) {
            let (k, v) = kv?;
            for id in keys::seen_ids(&k, &v) {
                if !listed.insert(id) {
                    continue;
                }
                if let Some(item) = self.item(id)? {
                    out.push(item);
                }
            }
        }
        Ok(out)
    }
}
