//! A story's entries in every index, written from the story: for each story an import
//! restores, and for every stored story when an older store's indexes are upgraded.

use crate::model::Item;
use crate::store::dedupe_keys::{link_key, title_keys, SHARED_LINK};
use crate::store::journal::{Index, Pending, EMPTY};
use crate::store::records::{decode_item, encode_item};
use crate::store::{keys, Store, StoreError};

impl Store {
    /// Writes one story and all its index entries, all or nothing (see
    /// [`crate::store::journal`]).
    pub(super) fn restore_item(&self, item: &Item) -> Result<(), StoreError> {
        let tx = Pending::new(self.main()?);
        tx.insert(Index::Items, &item.id.0[..], encode_item(item));
        tx.insert(
            Index::ByPublished,
            keys::listing_key(item),
            keys::scope_meta(item),
        );
        tx.insert(
            Index::BySeen,
            keys::time_key(item.first_seen, item.id),
            EMPTY,
        );
        for (i, c) in item.sources.iter().enumerate() {
            tx.insert(Index::BySource, keys::carrier_key(item, c), EMPTY);
            tx.insert(Index::BySeen, keys::time_key(c.first_seen, item.id), EMPTY);
            // The raw hash is known for the source whose text is stored; others get it
            // again on their next fetch.
            let hash = if i == 0 {
                item.content_hash.as_str()
            } else {
                ""
            };
            tx.insert(
                Index::Idents,
                keys::ident_key(&c.source, &c.identity.key()),
                keys::ident_value(item.id, hash),
            );
        }
        dedupe_entries(&tx, item)?;
        tx.commit()
    }
}

/// Writes a story's entries in the link and title indexes (the links of every source that
/// carries it; a link already taken stays with its story).
fn dedupe_entries(tx: &Pending, item: &Item) -> Result<(), StoreError> {
    let links = item
        .link
        .iter()
        .chain(item.sources.iter().flat_map(|c| c.link.iter()));
    for link in links {
        if let Some(k) = link_key(link) {
            match tx.get(Index::Links, &k)? {
                None => tx.insert(Index::Links, k, &item.id.0[..]),
                // Another story of a source that carries this one has it too (a section page
                // of that source): it tells neither (see `SHARED_LINK`), as when fetched.
                Some(v) if v[..] != item.id.0[..] && v[..] != SHARED_LINK[..] => {
                    // (A record that does not decode shares nothing: the rebuild leaves it out
                    // with a warning.) A read that fails stops the rebuild, to be run again.
                    let other = match keys::id_suffix(&v) {
                        Some(id) => tx.get(Index::Items, &id.0)?,
                        None => None,
                    };
                    let shares_a_source =
                        other
                            .and_then(|r| decode_item(&r).ok())
                            .is_some_and(|other| {
                                other.sources.iter().any(|c| item.carried_by(&c.source))
                            });
                    if shares_a_source {
                        tx.insert(Index::Links, k, &SHARED_LINK[..]);
                    }
                }
                Some(_) => {}
            }
        }
    }
    for t in title_keys(&item.title, 1).into_iter().flatten() {
        let mut entries = tx
            .get(Index::Titles, &t)?
            .map(|v| keys::decode_title_entries(&v))
            .unwrap_or_default();
        entries.push((item.id, item.published.timestamp()));
        tx.insert(Index::Titles, t, keys::encode_title_entries(&entries));
    }
    Ok(())
}

/// Brings an older store's indexes up to this schema from its stories: the publication and
/// source indexes are written afresh, each entry where the feeds list the story (schema 10)
/// and carrying the story's language and topics (schema 5), and the link and title indexes
/// are rekeyed (schema 3 keyed them by their text, schema 4 by a hash of it; schema 11 reads
/// more spellings of a link and of a title as one: see [`crate::parse::urls::dedupe_key`] and
/// [`crate::store::dedupe_keys::title_key`]; schema 12 keys a title also without the site's
/// name after it: see [`crate::store::dedupe_keys::title_keys`]; schema 13 reads more
/// spellings of a link as one). Every time the upgrade runs it starts from empty indexes, so
/// one that a crash cut short is simply run again. A story that cannot be read is left as it
/// was (with a warning) rather than keeping the whole store from opening: it could not be
/// matched or shown before either. Returns the number of stories read.
pub(in crate::store) fn upgrade_indexes(main: &crate::store::Main) -> Result<u64, StoreError> {
    let mut stories = 0;
    // The feeds' indexes are written afresh: they list stories where the feeds do now (see
    // `Item::listed_at`), which a store older than version 10 did not.
    main.by_published.clear()?;
    main.by_source.clear()?;
    let mut tx = Pending::new(main);
    // The links and titles under their older keys go, in the first batch, before any is
    // written anew.
    for index in [Index::Links, Index::Titles] {
        for key in crate::store::matching::keys(main, index)? {
            tx.remove(index, key.to_vec());
        }
    }
    for kv in main.items.iter() {
        let (key, value) = kv?;
        let item = match decode_item(&value) {
            Ok(item) => item,
            Err(StoreError::Corrupt { message, .. }) => {
                tracing::warn!(
                    story = %keys::id_suffix(&key).map(|id| id.to_string()).unwrap_or_default(),
                    error = %message,
                    "a stored story cannot be read: left out of the rebuilt indexes"
                );
                continue;
            }
            Err(e) => return Err(e),
        };
        tx.insert(
            Index::ByPublished,
            keys::listing_key(&item),
            keys::scope_meta(&item),
        );
        for c in &item.sources {
            tx.insert(Index::BySource, keys::carrier_key(&item, c), EMPTY);
        }
        dedupe_entries(&tx, &item)?;
        stories += 1;
        if stories % 1000 == 0 {
            tx.commit()?;
            tx = Pending::new(main);
        }
    }
    tx.commit()?;
    main.flush()?;
    Ok(stories)
}
