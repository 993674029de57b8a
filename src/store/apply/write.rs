//! Writing a story as a feed changes it: its record and publication entry, its link and title
//! index entries, and its fields when a newer copy updates it; stories read while a feed is
//! applied, kept decoded.

use std::rc::Rc;

use super::edits::dates_after;
use super::{Tx, TxResult, READ_KEPT};
use crate::model::{Item, ItemId, NewItem};
use crate::store::dedupe_keys::{link_key, title_keys, DedupeKey};
use crate::store::journal::{Index, EMPTY};
use crate::store::keys;
use crate::store::records::{decode_item, encode_item};

impl Tx<'_, '_> {
    /// Rewrites a story with a newer copy of it, whose fields move into it: the lead's own
    /// entry again (`relisted`; shown as edited now with `edit`), or another source's copy
    /// taking the lead.
    pub(super) fn update(
        &self,
        item: &mut Item,
        new: NewItem,
        relisted: bool,
        edit: bool,
    ) -> TxResult<()> {
        let old_published = item.published;
        let shown = item.updated_at();
        let dates = dates_after(item, &new, relisted);
        item.title = new.title;
        self.take_link(item, new.link)?;
        (item.published, item.date_inferred, item.updated) = dates;
        item.summary = new.summary;
        item.content = new.content;
        item.authors = new.authors;
        item.categories = new.categories;
        // A copy that says no language (neither its feed nor its source does) keeps the one
        // known from the story's other copy.
        item.lang = new.lang.or(item.lang.take());
        item.enclosures = new.enclosures;
        item.image = new.image;
        item.content_hash = new.content_hash;
        item.last_changed = self.now;
        if relisted {
            // Its source's edit (not a story read again as it was recorded).
            if edit {
                item.edited = Some(self.now);
            }
        } else if item.updated_at() < shown && self.now - item.first_seen >= SHOWN_FOR {
            // Another copy's text taking the lead, with dates of its own: no edit of today
            // (a story of 2020 is not news of today), but never earlier than the story was
            // last shown as changed, which readers would take for no change at all. Not for
            // a story stored minutes ago (the copies of one fetch cycle, in whatever order
            // their feeds came): the first copy's date would stand as an edit nobody made.
            item.edited = Some(shown);
        }
        item.topics = (self.topics_of)(item);
        if item.published != old_published {
            // The new entry is written with the record (`put`).
            let was = Item {
                published: old_published,
                ..item.clone()
            };
            self.pending
                .remove(Index::ByPublished, keys::listing_key(&was));
            for c in &item.sources {
                self.pending
                    .remove(Index::BySource, keys::carrier_key(&was, c));
                self.pending
                    .insert(Index::BySource, keys::carrier_key(item, c), EMPTY);
            }
        }
        self.index_title(item)?;
        self.put(item)
    }

    /// Points `item`, and this source's copy of it, at `link` (none keeps the one it has), and
    /// indexes the story under it, no longer under the one before (unless another copy still
    /// points there: [`Tx::unindex_link`]).
    pub(super) fn take_link(&self, item: &mut Item, link: Option<String>) -> TxResult<()> {
        let old = item.link.as_deref().and_then(link_key);
        if link.is_some() {
            if let Some(c) = item.sources.iter_mut().find(|c| c.source == self.source) {
                c.link.clone_from(&link);
            }
            item.link = link;
        }
        self.unindex_link(item, old)?;
        self.index_link(item)
    }

    /// Takes the link `old` (a key of the story's link before an update) out of the link
    /// index when the story has moved from it and no copy of it points there: a later entry
    /// under that link (a partner's copy of the page's next story, a GUID the site gave
    /// another story) is not taken for this one.
    fn unindex_link(&self, item: &Item, old: Option<DedupeKey>) -> TxResult<()> {
        let Some(old) = old else {
            return Ok(());
        };
        let still = |link: &Option<String>| link.as_deref().and_then(link_key) == Some(old);
        if still(&item.link) || item.sources.iter().any(|c| still(&c.link)) {
            return Ok(());
        }
        if self
            .pending
            .get(Index::Links, &old)?
            .is_some_and(|v| v[..] == item.id.0[..])
        {
            self.pending.remove(Index::Links, old);
        }
        Ok(())
    }

    fn index_link(&self, item: &Item) -> TxResult<()> {
        if let Some(key) = item.link.as_deref().and_then(link_key) {
            if self.pending.get(Index::Links, &key)?.is_none() {
                self.pending.insert(Index::Links, key, &item.id.0[..]);
            }
        }
        Ok(())
    }

    fn index_title(&self, item: &Item) -> TxResult<()> {
        for tkey in title_keys(&item.title, self.dedupe.min_title_chars)
            .into_iter()
            .flatten()
        {
            let mut entries = self
                .pending
                .get(Index::Titles, &tkey)?
                .map(|v| keys::decode_title_entries(&v))
                .unwrap_or_default();
            // The story's date as it is now (its lead may have brought another): the title
            // window is measured from it.
            let ts = item.published.timestamp();
            match entries.iter_mut().find(|(id, _)| *id == item.id) {
                Some((_, t)) if *t == ts => continue,
                Some((_, t)) => *t = ts,
                None => entries.push((item.id, ts)),
            }
            self.pending
                .insert(Index::Titles, tkey, keys::encode_title_entries(&entries));
        }
        Ok(())
    }

    /// A stored story, as this feed's writes so far leave it: decoded once while it is kept
    /// (see [`Tx::read`]).
    pub(super) fn get(&self, id: ItemId) -> TxResult<Option<Rc<Item>>> {
        if let Some(item) = self.read.borrow().get(&id) {
            return Ok(Some(item.clone()));
        }
        let Some(v) = self.pending.get(Index::Items, &id.0)? else {
            return Ok(None);
        };
        let item = Rc::new(decode_item(&v)?);
        let mut read = self.read.borrow_mut();
        if read.len() >= READ_KEPT {
            read.clear();
        }
        read.insert(id, item.clone());
        Ok(Some(item))
    }

    /// Writes a story's record and its publication entry, which carries its language and
    /// topics (see [`keys::scope_meta`]): both change only here.
    pub(super) fn put(&self, item: &Item) -> TxResult<()> {
        self.read.borrow_mut().remove(&item.id);
        self.story_pairs.borrow_mut().remove(&item.id);
        self.pending
            .insert(Index::Items, &item.id.0[..], encode_item(item));
        self.pending.insert(
            Index::ByPublished,
            keys::listing_key(item),
            keys::scope_meta(item),
        );
        Ok(())
    }
}

/// How long a story has been in the feeds before another copy taking its lead keeps its
/// last shown date ([`Tx::update`]): longer than a fetch cycle of every source takes, shorter
/// than readers poll.
const SHOWN_FOR: chrono::Duration = chrono::Duration::minutes(10);
