//! Retention: stories past `[store] max_age`, and a source's oldest stories beyond
//! `max_items_per_source`, are removed with every index entry that points at them. Each
//! source's identity entries stay as tombstones, so a pruned story still in its feed is not
//! stored again: they move out of the identity index (held in memory) into the `gone` tree
//! (on disk alone), so a daemon's memory does not grow with every story it removes.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::apply::{put_seen, titled_date, titled_mark};
use super::dedupe_keys::{link_key, title_keys};
use super::journal::{Index, Pending};
use super::{keys, Store, StoreError};
use crate::model::{Identity, Item, ItemId};
use sled::IVec;

impl Store {
    /// Removes what retention allows; returns the number of stories removed. A story carried
    /// by several sources is only removed for age, never because one source is over its limit.
    pub fn prune(
        &self,
        max_age: Option<Duration>,
        max_per_source: Option<usize>,
        sources: &[String],
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let (_one_writer, main) = self.write_lock()?;
        let mut doomed: BTreeSet<ItemId> = BTreeSet::new();
        if let Some(age) = max_age.and_then(|a| chrono::Duration::from_std(a).ok()) {
            let cutoff = keys::time_bytes(now - age).to_vec();
            for kv in main.by_published.range(..cutoff) {
                if let Some(id) = keys::id_suffix(&kv?.0) {
                    doomed.insert(id);
                }
            }
        }
        if let Some(limit) = max_per_source {
            for source in sources {
                for kv in main
                    .by_source
                    .scan_prefix(keys::source_prefix(source))
                    .rev()
                    .skip(limit)
                {
                    let Some(id) = keys::id_suffix(&kv?.0) else {
                        continue;
                    };
                    if self.item(id)?.is_some_and(|i| i.sources.len() == 1) {
                        doomed.insert(id);
                    }
                }
            }
        }
        let mut removed = 0;
        for id in doomed {
            if let Some(item) = self.item(id)? {
                self.remove(&item, now)?;
                removed += 1;
            }
        }
        // Each story removed left its links and titles logged as removed.
        super::matching::compact(main);
        main.flush()?;
        Ok(removed)
    }

    /// Takes `id` out of the `by_seen` entries at time `t` that list it (usually one): each is
    /// written again without it, under its next story's key when `id` led it.
    fn unsee(&self, tx: &Pending, t: DateTime<Utc>, id: ItemId) -> Result<(), StoreError> {
        let mut rests = Vec::new();
        for kv in self.main()?.by_seen.scan_prefix(keys::time_bytes(t)) {
            let (k, v) = kv?;
            let ids: Vec<ItemId> = keys::seen_ids(&k, &v).collect();
            if ids.contains(&id) {
                tx.remove(Index::BySeen, k.to_vec());
                rests.push(
                    ids.into_iter()
                        .filter(|&other| other != id)
                        .collect::<Vec<_>>(),
                );
            }
        }
        for rest in rests {
            put_seen(tx, t, &rest)?;
        }
        Ok(())
    }

    /// Removes one story and every index entry that names it, all or nothing (see
    /// [`super::journal`]).
    pub(super) fn remove(&self, item: &Item, now: DateTime<Utc>) -> Result<(), StoreError> {
        let tx = Pending::new(self.main()?);
        tx.remove(Index::Items, &item.id.0[..]);
        tx.remove(Index::ByPublished, keys::listing_key(item));
        let mut seen_at = vec![item.first_seen];
        let names_it = |v: &IVec| keys::split_ident_value(v).is_some_and(|(id, _)| id == item.id);
        let bury = |key: &[u8], v: IVec| {
            tx.insert(Index::Gone, super::matching::ident_hash(key).to_vec(), v);
            tx.remove(Index::Idents, key.to_vec());
        };
        for c in &item.sources {
            let key = keys::ident_key(&c.source, &c.identity.key());
            let value = tx.get(Index::Idents, &key)?.filter(names_it);
            if let Some(v) = value.clone() {
                // A GUID's tombstone keeps what tells the story from another that a site
                // hands the GUID to later (see `Tx::reused_after_removal`).
                let v = match c.identity {
                    Identity::Guid(_) => {
                        let kept = keys::Removed {
                            published: item.published.timestamp(),
                            removed_at: now.timestamp(),
                            link: c
                                .link
                                .as_deref()
                                .or(item.link.as_deref())
                                .and_then(link_key),
                            date_inferred: item.date_inferred,
                            title: item.title.clone(),
                        };
                        let mut v = v.to_vec();
                        v.extend_from_slice(kept.encode().as_bytes());
                        IVec::from(v)
                    }
                    _ => v,
                };
                bury(&key, v);
            }
            // An entry without a GUID may be recorded under its link alone and under its link
            // and title besides its own identity (see `Tx::recognise`): those that name the
            // story are buried with it, and the link alone is marked as buried with its title
            // beside it, so that a later entry under that link alone is taken for this story
            // only with its title (a page that lists one story at a time lists others under
            // it). An entry told by its link is buried under the link and the story's title
            // in any case, with the story's date.
            if let Some(link) = c
                .link
                .as_ref()
                .filter(|_| !matches!(c.identity, Identity::Guid(_)))
            {
                let [alone, titled] = Identity::link_forms(link, &item.title)
                    .map(|form| keys::ident_key(&c.source, &form.key()));
                let mut alone_buried = value.clone().filter(|_| alone == key);
                // (A copy of another source's story under the story's title: most copies keep
                // it, and one that did not comes back at most once.)
                let twin = matches!(c.identity, Identity::Link(_) | Identity::Titled { .. });
                if twin {
                    // With the story's date: a later entry of that title dated far from it is
                    // another story (a title that recurs on the page).
                    tx.insert(
                        Index::Gone,
                        titled_date(&titled).to_vec(),
                        keys::ident_value(item.id, &item.published.timestamp().to_string()),
                    );
                }
                if titled != key {
                    match tx.get(Index::Idents, &titled)? {
                        Some(v) if names_it(&v) => bury(&titled, v),
                        Some(_) => {}
                        None => {
                            if let Some(v) = value.clone().filter(|_| twin) {
                                tx.insert(
                                    Index::Gone,
                                    super::matching::ident_hash(&titled).to_vec(),
                                    v,
                                );
                            }
                        }
                    }
                }
                if alone != key {
                    if let Some(v) = tx.get(Index::Idents, &alone)?.filter(names_it) {
                        bury(&alone, v.clone());
                        alone_buried = Some(v);
                    }
                }
                if let Some(v) = alone_buried {
                    tx.insert(Index::Gone, titled_mark(&alone).to_vec(), v);
                }
            }
            tx.remove(Index::BySource, keys::carrier_key(item, c));
            if !seen_at.contains(&c.first_seen) {
                seen_at.push(c.first_seen);
            }
        }
        for t in seen_at {
            self.unsee(&tx, t, item.id)?;
        }
        for link in item
            .link
            .iter()
            .chain(item.sources.iter().filter_map(|c| c.link.as_ref()))
        {
            if let Some(k) = link_key(link) {
                if tx
                    .get(Index::Links, &k)?
                    .is_some_and(|v| keys::id_suffix(&v) == Some(item.id))
                {
                    tx.remove(Index::Links, k);
                }
            }
        }
        for t in title_keys(&item.title, 1).into_iter().flatten() {
            if let Some(v) = tx.get(Index::Titles, &t)? {
                let rest: Vec<(ItemId, i64)> = keys::decode_title_entries(&v)
                    .into_iter()
                    .filter(|(id, _)| *id != item.id)
                    .collect();
                if rest.is_empty() {
                    tx.remove(Index::Titles, t);
                } else {
                    tx.insert(Index::Titles, t, keys::encode_title_entries(&rest));
                }
            }
        }
        tx.commit()
    }
}
