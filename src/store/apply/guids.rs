//! GUIDs given anew: one a feed gives another story (numbered by place, or handed out again by
//! a new CMS), a story found again under a GUID it had, and a site whose stories all moved to
//! new GUIDs and addresses.

use std::rc::Rc;

use super::texts::{title_words, LONG_TEXT};
use super::{Tx, TxResult};
use crate::model::{Identity, Item, NewItem};
use crate::parse::html;
use crate::store::dedupe_keys::{link_key, title_key, DedupeKey, SHARED_LINK};
use crate::store::journal::Index;
use crate::store::{keys, matching};

impl Tx<'_, '_> {
    /// Whether `new`, an entry under a GUID this source gave the stored `item` before, is
    /// another story under that GUID used again: a feed that numbers its entries by their
    /// place (`<guid>1</guid>` for the newest), or ids a site's new CMS hands out anew. Only
    /// with everything else another: its link (this source's own for the story), its title,
    /// its date further than `title_window` from the story's, and its text (when both have
    /// one) not telling the same story. A story edited changes some of these, not all: a
    /// retitle with its slug keeps its date, a date moved keeps the link.
    pub(super) fn recycled(&self, new: &NewItem, item: &Item) -> bool {
        if item.date_inferred {
            return false;
        }
        let own_link = item
            .sources
            .iter()
            .find(|c| c.source == self.source)
            .and_then(|c| c.link.as_deref())
            .or(item.link.as_deref());
        self.other_than(
            new,
            item.published.timestamp(),
            own_link.and_then(link_key),
            &item.title,
        ) && {
            let (x, y) = (self.pairs_of_entry(new), self.pairs_of_story(item));
            x.is_empty() || y.is_empty() || !self.texts_agree(new, item)
        }
    }

    /// Whether `new`, an entry under a GUID whose story retention removed (`known`, its
    /// tombstone), is another story under that GUID used again, told as [`Tx::recycled`] tells
    /// it with what the tombstone kept of the story ([`keys::Removed`]; none before this
    /// version kept anything): another link, another title (not the old one with words added
    /// or cut), a date further than `title_window` from the story's, and published after the
    /// story was removed. (An entry dated before is one of the stories removed, listed still:
    /// in a feed numbered by place it comes back under the GUID of another. The story's text is
    /// gone: one that moved its link, title and date at once is taken for another.)
    pub(super) fn reused_after_removal(&self, new: &NewItem, known: &super::Known) -> bool {
        let Some(removed) = keys::Removed::decode(known.tail()) else {
            return false;
        };
        !removed.date_inferred
            && new
                .published
                .is_some_and(|p| p.timestamp() > removed.removed_at)
            && self.other_than(new, removed.published, removed.link, &removed.title)
    }

    /// What [`Tx::recycled`] and [`Tx::reused_after_removal`] both ask of `new`, an entry under
    /// a GUID, against the story its GUID named (published at `published`, in seconds; under
    /// this source's link key `link`; titled `title`): everything but its text another. Its
    /// link (both known), its title (not the story's with words added or cut: " | Portal",
    /// "(video)"; two words at least in the shorter, as "Update" and "Update 2" are two
    /// stories), and its date, further than `title_window` from the story's.
    fn other_than(
        &self,
        new: &NewItem,
        published: i64,
        link: Option<DedupeKey>,
        title: &str,
    ) -> bool {
        let (Identity::Guid(_), Some(new_published)) = (&new.identity, new.published) else {
            return false;
        };
        let other_link = matches!(
            (new.link.as_deref().and_then(link_key), link),
            (Some(a), Some(b)) if a != b
        );
        let far = (new_published.timestamp() - published).unsigned_abs()
            > self.dedupe.title_window.as_secs();
        let (old, renamed) = (title_words(title), title_words(&new.title));
        let retitled = old.len().min(renamed.len()) >= 2
            && (old.is_subset(&renamed) || renamed.is_subset(&old));
        other_link && far && !retitled && title_key(&new.title, 1) != title_key(title, 1)
    }

    /// Records that this source's carrier of the stored `item` under `identity` (a GUID now
    /// given to another story, [`Tx::recycled`]) is known by the raw hash `hash` of its entry
    /// instead, under which the identity index names the story.
    pub(super) fn rekey(&self, mut item: Item, identity: &Identity, hash: &[u8]) -> TxResult<()> {
        let by_content = Identity::Hash(String::from_utf8_lossy(hash).into_owned());
        let Some(carrier) = item
            .sources
            .iter_mut()
            .find(|c| c.source == self.source && c.identity == *identity)
        else {
            return Ok(());
        };
        carrier.identity = by_content.clone();
        self.pending.insert(
            Index::Idents,
            keys::ident_key(self.source, &by_content.key()),
            keys::ident_value(item.id, &String::from_utf8_lossy(hash)),
        );
        self.rekeyed.borrow_mut().insert(item.id);
        self.put(&item)
    }

    /// The stored `item`, whose GUID went to another story ([`Tx::rekey`]), found again under
    /// the GUID `identity`: its carrier of this source is known by it from now on (the caller
    /// records it in the identity index), and the raw hash's entry it had meanwhile goes.
    pub(super) fn guid_again(&self, mut item: Item, identity: &Identity) -> TxResult<Item> {
        let Some(carrier) = item
            .sources
            .iter_mut()
            .find(|c| c.source == self.source && matches!(c.identity, Identity::Hash(_)))
        else {
            return Ok(item);
        };
        let by_content = std::mem::replace(&mut carrier.identity, identity.clone());
        let key = keys::ident_key(self.source, &by_content.key());
        let names_it = self
            .pending
            .get(Index::Idents, &key)?
            .as_deref()
            .and_then(keys::split_ident_value)
            .is_some_and(|(id, _)| id == item.id);
        if names_it {
            self.pending.remove(Index::Idents, key);
        }
        self.rekeyed.borrow_mut().remove(&item.id);
        self.put(&item)?;
        Ok(item)
    }

    /// This source's story that `new`, an entry under a GUID used again, was before: the story
    /// on its link whose GUID went to another story ([`Tx::rekey`]), told as the same entry
    /// ([`Tx::told_as_moved`]).
    pub(super) fn named_before(&self, new: &NewItem) -> TxResult<Option<Item>> {
        let Some(key) = new.link.as_deref().and_then(link_key) else {
            return Ok(None);
        };
        let Some(id) = self
            .pending
            .get(Index::Links, &key)?
            .filter(|v| v[..] != SHARED_LINK[..])
            .as_deref()
            .and_then(keys::id_suffix)
        else {
            return Ok(None);
        };
        let Some(item) = self.get(id)? else {
            return Ok(None);
        };
        // (Its GUID went to another story in an earlier fetch, as the cache served the feed.)
        let rekeyed = item
            .sources
            .iter()
            .any(|c| c.source == self.source && matches!(c.identity, Identity::Hash(_)));
        Ok((rekeyed && self.told_as_moved(new, &item)).then(|| Rc::unwrap_or_clone(item)))
    }

    /// Whether `new`, an entry with a GUID, is this source's stored `item` whose GUID was given
    /// to another story ([`Tx::rekey`]): a feed that numbers its entries by their place moved
    /// it down one in this fetch. On its link (the caller's lookup), told as the same entry
    /// ([`Tx::told_as_moved`]). A story still known by its GUID is another entry's: two press
    /// notes of a day under one section link, titled alike and without text, stay two.
    pub(super) fn same_entry_moved(&self, new: &NewItem, item: &Item) -> bool {
        self.rekeyed.borrow().contains(&item.id) && self.told_as_moved(new, item)
    }

    /// Whether `new` tells the stored `item` as the same entry under another GUID would: not
    /// claimed by another entry of the feed, with its title (however short), its very date and
    /// a text that agrees.
    fn told_as_moved(&self, new: &NewItem, item: &Item) -> bool {
        let title = title_key(&new.title, 1);
        !self.claimed.borrow().contains(&item.id)
            && !item.date_inferred
            && new.published == Some(item.published)
            && title.is_some()
            && title == title_key(&item.title, 1)
            && self.texts_agree(new, item)
    }

    /// Whether `new`, an entry under a GUID this source never gave, is this source's story
    /// `item` moved to it and to another page (a site's new CMS, new addresses and ids for
    /// every story): the feed names none of the stories the source's GUIDs named before this
    /// fetch (the whole site moved, not one entry), the story's own GUID is none of the
    /// feed's, no other entry of the feed was found to be it, and `new` tells it as the same
    /// entry would ([`Tx::told_as_moved`]: its whole title, its very date), with the story's
    /// long text word for word, summary and body. A feed's next press release under the day's
    /// title and boilerplate is a story of its own; so is a story whose entry is still in the
    /// feed.
    pub(super) fn moved_away(&self, new: &NewItem, item: &Item) -> TxResult<bool> {
        let carried_by_old_guid = item
            .sources
            .iter()
            .find(|c| c.source == self.source)
            .is_some_and(|c| match &c.identity {
                Identity::Guid(g) => !self.guids.contains(g),
                _ => false,
            });
        if !matches!(new.identity, Identity::Guid(_))
            || item.source() != self.source
            || !carried_by_old_guid
            || self.moved.borrow().contains(&item.id)
            || !self.told_as_moved(new, item)
        {
            return Ok(false);
        }
        // Its text word for word, summary and body (a body's markup may be the new CMS's
        // own): another entry over the same boilerplate, or another of two stories of one
        // title and date, says something else somewhere.
        let same_text = !new.summary.is_empty()
            && new.summary == item.summary
            && self.pairs_of_entry(new).len() >= LONG_TEXT
            && match (&new.content, &item.content) {
                (None, None) => true,
                (Some(a), Some(b)) => a == b || html::to_text(a) == html::to_text(b),
                _ => false,
            };
        if !same_text {
            return Ok(false);
        }
        self.site_moved()
    }

    /// Whether none of this feed's GUIDs named a story (or its tombstone) before this fetch:
    /// the source's entries all came under new GUIDs. Worked out once per feed, when first
    /// asked (an entry that may be a moved story is rare).
    fn site_moved(&self) -> TxResult<bool> {
        if let Some(moved) = self.site_moved.get() {
            return Ok(moved);
        }
        let mut moved = true;
        for guid in &self.guids {
            let key = keys::ident_key(self.source, &Identity::Guid(guid.clone()).key());
            let gone = matching::ident_hash(&key);
            if self.pending.get_before(Index::Idents, &key)?.is_some()
                || self.pending.get_before(Index::Gone, &gone)?.is_some()
            {
                moved = false;
                break;
            }
        }
        self.site_moved.set(Some(moved));
        Ok(moved)
    }
}
