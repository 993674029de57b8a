//! One entry of a feed, applied: the story this source recorded it as, a stored story it is
//! a copy of, or a new story ([`new_story`](super::new_story)), with every index entry that
//! follows; and what its story takes when it comes back.

use std::ops::ControlFlow;
use std::rc::Rc;

use super::edits::reads_the_same;
use super::{put_seen, ApplyReport, Known, Probe, Staged, Tx, TxResult};
use crate::model::{Carrier, Identity, Item, ItemId, NewItem};
use crate::store::journal::{Index, EMPTY};
use crate::store::keys;

/// How a source's entry comes back to its story ([`Tx::entry_again`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Again {
    /// As its entry: what reads otherwise is an edit.
    Entry,
    /// Its raw form as recorded, read again only because a reread asked: what reads otherwise
    /// is this version's reading, no edit.
    Reread,
    /// Under a new GUID and another link (the site moved): the link is no edit.
    Moved,
}

impl Tx<'_, '_> {
    /// Lists the story `id` in this feed's `by_seen` entry ([`Tx::write_seen`]), once.
    pub(super) fn saw(&self, id: ItemId) {
        let (order, set) = &mut *self.seen.borrow_mut();
        if set.insert(id) {
            order.push(id);
        }
    }

    /// One `by_seen` entry for the whole feed (a few for a very large one), instead of one per
    /// story: a fetch of a new source writes a key fewer per story.
    pub(super) fn write_seen(&self) -> TxResult<()> {
        put_seen(&self.pending, self.now, &self.seen.borrow().0)
    }

    /// Applies the feed's entry at `position` among those staged (in the feed's order); its
    /// fields move into the story it creates or updates.
    pub(super) fn apply_one(
        &self,
        mut s: Staged,
        position: usize,
        report: &mut ApplyReport,
    ) -> TxResult<()> {
        self.entry_pairs.borrow_mut().take();
        let (identity, ident_key, known) = self.recognise(&s.item)?;
        if let Some(identity) = identity {
            s.item.identity = identity;
        }

        // Whether the entry's GUID named another story before (see `Tx::recycled`).
        let mut recycled = false;
        // 1. Seen before in this source.
        if let Some(known) = known {
            match self.entry_known(known, s, &ident_key, report)? {
                ControlFlow::Break(()) => return Ok(()),
                ControlFlow::Continue(entry) => (s, recycled) = (entry, true),
            }
        }

        // 2. The same story from another source (or this one under another id).
        let mut probe = Probe::default();
        if let Some(item) = self.find_story(&s.item, &mut probe)? {
            return self.copy_found(item, s.item, probe.moved, ident_key, report);
        }

        // 3. A new story.
        self.new_story(s, position, recycled, ident_key, probe, report)
    }

    /// Case 1 of [`Tx::apply_one`]: this source's entry `s` seen before, as `known` tells
    /// (recognised under its identity index key `ident_key`). A tombstone's, or one with the
    /// raw hash recorded, is unchanged; any other is its story's entry again
    /// ([`Tx::entry_again`]).
    ///
    /// Returns `Break` when the entry is applied, or `Continue` with the entry handed back
    /// when its GUID now names another story than the one it named ([`Tx::recycled`]; that
    /// story keeps its record; or [`Tx::reused_after_removal`], when retention removed it) and
    /// no story it named before either: the entry goes on to cases 2 and 3 as a recycled GUID.
    fn entry_known(
        &self,
        known: Known,
        s: Staged,
        ident_key: &[u8],
        report: &mut ApplyReport,
    ) -> TxResult<ControlFlow<(), Staged>> {
        let reread = s.reread;
        let new = &s.item;
        let ident_value = |id: ItemId| keys::ident_value(id, &new.content_hash);

        let claimed_before = self.claimed.borrow().contains(&known.id);
        self.claim(known.id);
        if let Some(gone_key) = known.gone {
            if known.hash() != new.content_hash.as_bytes() {
                // 1a. A GUID that retention's removed story had, handed to another story:
                // a new story, below.
                if self.reused_after_removal(new, &known) {
                    return Ok(ControlFlow::Continue(s));
                }
                // 1b. Carried before by this source, and removed by retention: a tombstone,
                // which takes the entry's new hash (the next fetch skips the entry before
                // normalizing it) and keeps what it kept of the story.
                let mut tombstone = ident_value(known.id);
                tombstone.extend_from_slice(known.tail());
                self.pending
                    .insert(Index::Gone, gone_key.to_vec(), tombstone);
            }
            report.unchanged += 1;
            return Ok(ControlFlow::Break(()));
        }
        let id = known.id;
        // An entry without a GUID may be recorded under several forms, one of them with
        // an older hash of its (the entry back as it was before an edit): the story is told
        // by its own content hash.
        let stale = !matches!(new.identity, Identity::Guid(_))
            && known.hash() == new.content_hash.as_bytes()
            && self.told_newer(new, id)?;
        // Found under another form: recorded under its own too, unless that names another
        // story (the link alone, which an earlier story of the page has).
        let vacant = || -> TxResult<bool> {
            Ok(self
                .pending
                .get(Index::Idents, ident_key)?
                .as_deref()
                .and_then(keys::split_ident_value)
                .is_none_or(|(other, _)| other == id))
        };
        let record = !known.elsewhere || vacant()?;
        if known.hash() == new.content_hash.as_bytes() && !stale && !reread {
            if known.elsewhere && record {
                self.pending
                    .insert(Index::Idents, ident_key, ident_value(id));
            }
            report.unchanged += 1;
            return Ok(ControlFlow::Break(()));
        }
        if record {
            self.pending
                .insert(Index::Idents, ident_key, ident_value(id));
        }
        // The entry's other forms that name the story take its new hash too: the entry back
        // as it was before is then a change for every form (and for the fetch's check of
        // what is unchanged).
        if !matches!(new.identity, Identity::Guid(_)) {
            for (at, k) in self.recorded(new, false)? {
                if k.gone.is_none() && k.id == id && k.hash() != new.content_hash.as_bytes() {
                    self.pending.insert(Index::Idents, at, ident_value(id));
                }
            }
        }
        match self.get(id)? {
            // Another story under a GUID the source gave this one: a new story, below.
            Some(item) if self.recycled(new, &item) => {
                // No longer this entry's: another entry of the feed may be its story.
                if !claimed_before {
                    self.claimed.borrow_mut().remove(&item.id);
                }
                // The older story keeps its record; its carrier of this source is known
                // from now on by that entry's raw hash, so that one identity names one
                // story (retention, export and import go by the carriers).
                self.rekey(Rc::unwrap_or_clone(item), &new.identity, known.hash())?;
                // The GUID may name again a story it named before (a cache serving the
                // feed as it was): that story, found by its link, title and date, known
                // by its GUID again.
                if let Some(earlier) = self.named_before(new)? {
                    self.claim(earlier.id);
                    let earlier = self.guid_again(earlier, &new.identity)?;
                    self.pending
                        .insert(Index::Idents, ident_key, ident_value(earlier.id));
                    return self
                        .entry_again(earlier, s.item, Again::Entry, report)
                        .map(ControlFlow::Break);
                }
                Ok(ControlFlow::Continue(s))
            }
            Some(item) => {
                // Its raw form as recorded, read again only because a reread asked (not
                // an entry back as it was before an edit: that is its publisher's change).
                let how = if reread && !stale && known.hash() == s.item.content_hash.as_bytes() {
                    Again::Reread
                } else {
                    Again::Entry
                };
                self.entry_again(Rc::unwrap_or_clone(item), s.item, how, report)
                    .map(ControlFlow::Break)
            }
            // The story was pruned by retention before its identity would have moved to
            // the `gone` tree: a tombstone all the same, so the source's old entries are
            // not stored again. It took the entry's new hash above, so the next fetch
            // skips the entry before normalizing it.
            None => {
                report.unchanged += 1;
                Ok(ControlFlow::Break(()))
            }
        }
    }

    /// Case 2 of [`Tx::apply_one`]: the entry `new` is the stored story `item`, found by
    /// [`Tx::find_story`] (`moved`: as this source's entry moved to a new GUID and another
    /// page, [`Tx::moved_away`]). Another source's story takes this source as a carrier (the
    /// original, which takes the lead, or a copy), counted duplicate; this source's own under
    /// another identity is its entry again ([`Tx::entry_again`]). Either way this source's
    /// identity index key `ident_key` names the story from now on.
    fn copy_found(
        &self,
        mut item: Item,
        new: NewItem,
        moved: bool,
        ident_key: Vec<u8>,
        report: &mut ApplyReport,
    ) -> TxResult<()> {
        self.claim(item.id);
        // This source's identity entry names the story, with the hash of this entry.
        let carried = keys::ident_value(item.id, &new.content_hash);
        if !item.carried_by(self.source) {
            let carrier = Carrier {
                source: self.source.to_string(),
                identity: new.identity.clone(),
                link: new.link.clone(),
                first_seen: self.now,
            };
            // Feeds arrive in any order. An organisation's copy is the original of a
            // story a partner also carries; between copies of one kind, the one published
            // first is (an undated copy's date is when it was first seen: a copy dated
            // before that was there first). The original takes the lead (link and text)
            // when it arrives after a republished copy.
            let (ours, lead_ours) = (
                self.dedupe.is_organization(self.source),
                self.dedupe.is_organization(item.source()),
            );
            let is_original = (ours && !lead_ours)
                || (ours == lead_ours && new.published.is_some_and(|p| p < item.published));
            if is_original {
                item.sources.insert(0, carrier);
                self.update(&mut item, new, false, false)?;
            } else {
                item.sources.push(carrier);
                item.topics = (self.topics_of)(&item);
                // The entry now names another carrier (and may have gained its default
                // topics): it changed for the readers of every feed that lists it.
                item.last_changed = self.now;
                self.put(&item)?;
            }
            let carrier = item.sources.iter().find(|c| c.source == self.source);
            if let Some(carrier) = carrier {
                self.pending
                    .insert(Index::BySource, keys::carrier_key(&item, carrier), EMPTY);
            }
            // Listed again at the time this source carried it: a digest of this source
            // reads it in the period it became news there.
            self.saw(item.id);
        } else {
            // This source's own story under another identity (its site moved to new GUIDs,
            // or from http to https): its entry again, edited or not. One whose GUID went
            // to another story is known by this one from now on.
            let item = if matches!(new.identity, Identity::Guid(_))
                && self.rekeyed.borrow().contains(&item.id)
            {
                self.guid_again(item, &new.identity)?
            } else {
                item
            };
            self.pending.insert(Index::Idents, ident_key, carried);
            let how = if moved { Again::Moved } else { Again::Entry };
            return self.entry_again(item, new, how, report);
        }
        self.pending.insert(Index::Idents, ident_key, carried);
        report.duplicate += 1;
        Ok(())
    }

    /// This source's entry `new` of the stored story `item` again, with a new raw hash. The
    /// story's lead edited it, unless it reads the same: its raw form changed (a tracking
    /// parameter that rotates, a pixel, markup spelled another way, a picture's address
    /// signed anew), no edit for its readers, though the story takes the entry's hash. A
    /// republisher's copy edited leaves the original's text.
    ///
    /// `read_again`: the entry is as recorded, read again by `fetch --reread`. What it reads
    /// as now (a new `lang` in the config, a parser that reads its link or attachments
    /// otherwise) is no edit of its publisher's: the story takes it, counted updated, but
    /// keeps its dates and is not shown as edited.
    pub(super) fn entry_again(
        &self,
        mut item: Item,
        new: NewItem,
        how: Again,
        report: &mut ApplyReport,
    ) -> TxResult<()> {
        if item.source() != self.source {
            report.unchanged += 1;
        } else if reads_the_same(&item, &new, how == Again::Moved) {
            // The same pictures, at new addresses (a query signed anew, a version): the story
            // takes them, as the old ones may stop working (a signature expires). No edit, so
            // its entry's date stays; its feeds' own date moves, as their bytes do.
            let renewed = item.image != new.image
                || item.content != new.content
                || item.enclosures != new.enclosures
                || new.link.is_some() && item.link != new.link;
            // (Or stored "(untitled)" by an earlier version: untitled now.)
            let retitled = item.title != new.title;
            if renewed || retitled {
                item.image = new.image;
                item.content = new.content;
                item.enclosures = new.enclosures;
                item.title = new.title;
                // The same page spelled otherwise ([`same_page`]), or the entry moved to
                // another page.
                self.take_link(&mut item, new.link)?;
                item.last_changed = self.now;
                // Its feeds' bytes change: counted with the stories that took a new address,
                // for the feeds to be rendered again.
                report.refreshed += 1;
            }
            if renewed || retitled || item.content_hash != new.content_hash {
                item.content_hash = new.content_hash;
                self.put(&item)?;
            }
            report.unchanged += 1;
        } else {
            self.update(&mut item, new, true, how != Again::Reread)?;
            report.updated += 1;
        }
        Ok(())
    }
}
