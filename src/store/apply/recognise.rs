//! This source's entries seen before: under which identity an entry was recorded (an entry
//! without a GUID may be under its link, its link and title, or its content), the stories the
//! feed's entries claim, and when an entry under its old identity is another story.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sled::IVec;

use super::texts::{title_words, LONG_TEXT, UNTOUCHED_TEXT};
use super::{titled_date, titled_mark, Known, Tx, TxResult};
use crate::model::{Identity, Item, ItemId, NewItem};
use crate::store::dedupe_keys::{link_key, title_key};
use crate::store::journal::Index;
use crate::store::{keys, matching};

/// Every identity an entry without a GUID may be recorded under, each once, its own first:
/// its content, its link alone, its link and title.
fn identity_forms(new: &NewItem) -> Vec<Identity> {
    let mut forms = vec![new.identity.clone()];
    let others = std::iter::once(Identity::Hash(new.content_hash.clone())).chain(
        new.link
            .iter()
            .flat_map(|link| Identity::link_forms(link, &new.title)),
    );
    for form in others {
        if form != new.identity {
            forms.push(form);
        }
    }
    forms
}

impl Tx<'_, '_> {
    /// Claims the story that `new`, an entry without a GUID, is recorded as under any form
    /// with its raw hash (see [`Tx::recognise`]).
    pub(super) fn claim_own(&self, new: &NewItem) -> TxResult<()> {
        if matches!(new.identity, Identity::Guid(_)) {
            return Ok(());
        }
        let hash = new.content_hash.as_bytes();
        if let Some((_, k)) = self
            .recorded(new, true)?
            .into_iter()
            .find(|(_, k)| k.gone.is_none() && k.hash() == hash)
        {
            self.claim(k.id);
            self.owners
                .borrow_mut()
                .entry(k.id)
                .or_default()
                .push(new.content_hash.clone());
        }
        Ok(())
    }

    /// Whether `new`, found as story `id` by a raw hash recorded under one of its forms, is an
    /// older version of the story's entry than the story holds: the entry back as it was
    /// before an edit, when one of its forms (its own, its link alone, its link and title)
    /// records the story with the story's newer hash. Not when an entry of this feed that
    /// claimed the story (see [`Tx::claim_own`]) is as the story holds it.
    pub(super) fn told_newer(&self, new: &NewItem, id: ItemId) -> TxResult<bool> {
        let Some(item) = self.get(id)? else {
            return Ok(false);
        };
        if item.source() != self.source || item.content_hash == new.content_hash {
            return Ok(false);
        }
        if self
            .owners
            .borrow()
            .get(&id)
            .is_some_and(|claimants| claimants.contains(&item.content_hash))
        {
            return Ok(false);
        }
        Ok(self.recorded(new, false)?.iter().any(|(_, k)| {
            k.gone.is_none() && k.id == id && k.hash() == item.content_hash.as_bytes()
        }))
    }

    /// What each form an entry without a GUID may be recorded under ([`identity_forms`]; the
    /// content form only `with_content`) records, by identity index key, its own form first.
    pub(super) fn recorded(
        &self,
        new: &NewItem,
        with_content: bool,
    ) -> TxResult<Vec<(Vec<u8>, Known)>> {
        let mut found = Vec::new();
        for form in identity_forms(new) {
            if !with_content && matches!(form, Identity::Hash(_)) {
                continue;
            }
            let at = keys::ident_key(self.source, &form.key());
            if let Some(k) = self.known(&at)? {
                found.push((at, k));
            }
        }
        Ok(found)
    }

    pub(super) fn claim(&self, id: ItemId) {
        if self.claims {
            self.claimed.borrow_mut().insert(id);
        }
    }

    /// The identity this source's entry is recorded under (`None`: its own), its identity
    /// index key, and what that key names, if anything.
    ///
    /// An entry without a GUID of its own may be recorded under another form as the other
    /// entries of its link come and go: a section page's entries under the link and their
    /// titles while they share it, one under its link alone while it has the link to itself,
    /// under its content while another entry shares its title too. It is found under the other
    /// form of a link or link and title ([`Identity::alternate`]) when it is the same entry
    /// ([`Tx::same_title_dated`]), under any form when its raw hash is the one recorded there. An
    /// entry whose link names another story (another entry the page lists now, or a page that
    /// lists one story at a time), or a story that retention removed and recorded under its
    /// title too, is told by its link and title: it is never taken for an edit of that story,
    /// nor for its tombstone.
    pub(super) fn recognise(
        &self,
        new: &NewItem,
    ) -> TxResult<(Option<Identity>, Vec<u8>, Option<Known>)> {
        let key = keys::ident_key(self.source, &new.identity.key());
        let known = self.known(&key)?;
        if matches!(new.identity, Identity::Guid(_)) {
            return Ok((None, key, known));
        }
        let hash = new.content_hash.as_bytes();
        // The very same entry (its raw hash) recorded under its own or any other form is the
        // story recorded there, before anything else is weighed.
        if known.as_ref().is_some_and(|k| k.hash() == hash) {
            return Ok((None, key, known));
        }
        if let Some((_, k)) = self
            .recorded(new, true)?
            .into_iter()
            .filter(|(at, _)| *at != key)
            .find(|(_, k)| k.hash() == hash)
        {
            return Ok((None, key, Some(k.elsewhere())));
        }
        let free = |id: ItemId| !self.claimed.borrow().contains(&id);
        let other = new.identity.alternate(&new.title);
        let other_key = other
            .as_ref()
            .map(|o| keys::ident_key(self.source, &o.key()));
        let (mut identity, mut key) = (None, key);
        let known = match (&new.identity, known, other, other_key) {
            (Identity::Link(_), Some(k), Some(other), Some(other_key)) if k.hash() != hash => {
                let ours = match k.gone {
                    // A tombstone: this entry's, unless retention recorded the story under its
                    // title too (see `Store::remove`); then only under this title.
                    Some(_) => self.pending.get(Index::Gone, &titled_mark(&key))?.is_none(),
                    None => match self.get(k.id)? {
                        // A copy of a story another source leads: still that copy when it is
                        // under the story's own link, or tells the story (its title and
                        // text); not when it is a page of the source's own that lists one
                        // story at a time and now lists one of its own.
                        Some(item) if item.source() != self.source => {
                            // (While the link names that story alone: once it names several,
                            // a page lists one story at a time under it.)
                            let same_link = || -> TxResult<bool> {
                                let Some(at) = new.link.as_deref().and_then(link_key) else {
                                    return Ok(false);
                                };
                                Ok(Some(at) == item.link.as_deref().and_then(link_key)
                                    && self
                                        .pending
                                        .get(Index::Links, &at)?
                                        .is_some_and(|v| v[..] == item.id.0[..]))
                            };
                            free(item.id)
                                && (same_link()?
                                    || self.same_title_dated(new, &item)
                                    || self.same_story(
                                        new,
                                        &item,
                                        title_key(&new.title, self.dedupe.min_title_chars),
                                    ))
                        }
                        Some(item) => {
                            free(item.id)
                                && (self.same_title_dated(new, &item)
                                    || self.retitled(new, &item)?)
                        }
                        // Removed by retention before its identity moved to the `gone` tree: a
                        // tombstone all the same.
                        None => true,
                    },
                };
                if ours {
                    Some(k)
                } else {
                    let known = self.known(&other_key)?;
                    (identity, key) = (Some(other), other_key);
                    known
                }
            }
            (Identity::Link(_), None, _, Some(other_key)) => {
                self.known(&other_key)?.map(Known::elsewhere)
            }
            // A story under the link alone is this entry's if it is the same entry; a
            // tombstone there, or a story no longer stored, may be another entry's.
            (Identity::Titled { .. }, None, _, Some(other_key)) => match self.known(&other_key)? {
                Some(k) if k.gone.is_none() => match self.get(k.id)? {
                    Some(item) if free(item.id) && self.same_title_dated(new, &item) => {
                        Some(k.elsewhere())
                    }
                    _ => None,
                },
                _ => None,
            },
            (_, known, ..) => known,
        };
        // A title that recurs on one page (a weekly "Saopštenje za javnost"): what the link and
        // this title name is another story when its date is further than `title_window` from
        // the entry's, and the entry is told by its content.
        if let Some(k) = known.as_ref().filter(|k| k.hash() != hash) {
            let titled = identity.as_ref().unwrap_or(&new.identity);
            if matches!(titled, Identity::Titled { .. }) && self.recurs(new, k, &key)? {
                let by_content = Identity::Hash(new.content_hash.clone());
                let at = keys::ident_key(self.source, &by_content.key());
                let known = self.known(&at)?;
                return Ok((Some(by_content), at, known));
            }
        }
        Ok((identity, key, known))
    }

    /// Whether the story (or the tombstone) `k`, recorded at the link-and-title identity key
    /// `key`, is another story than `new` with that title: dated further than `title_window`
    /// from it (a tombstone by the date retention kept beside it, see `Store::remove`), or
    /// taken by another entry of this feed.
    fn recurs(&self, new: &NewItem, k: &Known, key: &[u8]) -> TxResult<bool> {
        if k.gone.is_none() {
            // (A story another source leads has that source's title: this source's copy of
            // it is no other story for that.)
            return Ok(match self.get(k.id)? {
                Some(item) if item.source() == self.source => {
                    self.claimed.borrow().contains(&item.id) || !self.same_title_dated(new, &item)
                }
                _ => false,
            });
        }
        let Some(v) = self.pending.get(Index::Gone, &titled_date(key))? else {
            return Ok(false);
        };
        let removed = keys::split_ident_value(&v)
            .and_then(|(_, t)| std::str::from_utf8(t).ok()?.parse::<i64>().ok());
        Ok(match (removed, new.published) {
            (Some(t), Some(p)) => {
                (p.timestamp() - t).unsigned_abs() > self.dedupe.title_window.as_secs()
            }
            _ => false,
        })
    }

    /// What the identity index (else the `gone` tree's tombstones) records at `key`.
    fn known(&self, key: &[u8]) -> TxResult<Option<Known>> {
        let found = |value: IVec, gone| {
            let (id, _) = keys::split_ident_value(&value)?;
            Some(Known {
                id,
                value,
                gone,
                elsewhere: false,
            })
        };
        if let Some(k) = self
            .pending
            .get(Index::Idents, key)?
            .and_then(|v| found(v, None))
        {
            return Ok(Some(k));
        }
        let gone_key = matching::ident_hash(key);
        if let Some(k) = self
            .pending
            .get(Index::Gone, &gone_key)?
            .and_then(|v| found(v, Some(gone_key)))
        {
            return Ok(Some(k));
        }
        Ok(None)
    }

    /// Whether `new`, an entry of this source without a GUID of its own, is the stored `item`
    /// (edited, if at all): it has the story's title (one with words), within `title_window`
    /// of its date when both are dated (an undated entry's date is the time it was first seen).
    /// A weekly "Saopštenje za javnost" is another story each week; so is an entry retitled,
    /// which nothing tells from the next story of a page that lists one at a time
    /// ("Konferencija za medije ministra finansija", then "… ministra zdravlja", the same
    /// day, each "Opširnije na sajtu"): the old story stays, never overwritten.
    pub(super) fn same_title_dated(&self, new: &NewItem, item: &Item) -> bool {
        let within = |p: DateTime<Utc>| {
            (p - item.published).abs().to_std().unwrap_or(Duration::MAX) <= self.dedupe.title_window
        };
        // The title is what tells a section page's entries apart: the only way one of them
        // is the other's story.
        let title = title_key(&new.title, 1);
        title.is_some()
            && title == title_key(&item.title, 1)
            && (item.date_inferred || new.published.is_none_or(within))
    }

    /// Whether `new`, alone on its link, is this source's story `item` with its title mended:
    /// one word at most changed (a typo, "posjetio" for "posetio"), the very date it had (an
    /// undated entry is never), both texts long ([`LONG_TEXT`] word pairs or more: a
    /// boilerplate line tells nothing) and sharing half of theirs, and the link naming the
    /// story alone (not a page that has listed several). A page's next story has a date of
    /// its own. With its text unchanged word for word ([`UNTOUCHED_TEXT`] word pairs or more)
    /// under that date, a title with words added or cut is the story's.
    ///
    /// Or, whatever its date, it has the story's title and its text nearly word for word (nine
    /// tenths of the word pairs of the shorter, both long): an old story a CMS lists again
    /// under a new date. A weekly issue under one link has a text of its own; a page's next
    /// story over the same boilerplate ("Pozivamo predstavnike medija…") a title of its own.
    pub(super) fn retitled(&self, new: &NewItem, item: &Item) -> TxResult<bool> {
        let (a, b) = (self.pairs_of_entry(new), self.pairs_of_story(item));
        let (a, b) = (&*a, &*b);
        // Its text word for word (a sentence or more) under the very date it had, and its
        // title the old one with words added or cut ("… у Нишу", "(видео)"): only the title
        // changed. A page's next story has a date of its own, or a title that is not the last
        // one's with words added ("… ministra zdravlja" after "… ministra finansija", both of
        // a day, over the same line of boilerplate).
        let untouched = !item.date_inferred
            && new.published == Some(item.published)
            && a.len() >= UNTOUCHED_TEXT
            && a == b
            && {
                let (old, mended) = (title_words(&item.title), title_words(&new.title));
                !old.is_empty()
                    && !mended.is_empty()
                    && (old.is_subset(&mended) || mended.is_subset(&old))
            };
        if untouched {
            return self.owns_link(new, item);
        }
        if a.len() < LONG_TEXT || b.len() < LONG_TEXT {
            return Ok(false);
        }
        let shared = a.intersection(b).count();
        let title = title_key(&new.title, 1);
        let same_text = shared * 10 >= a.len().min(b.len()) * 9
            && title.is_some()
            && title == title_key(&item.title, 1);
        if !same_text {
            if item.date_inferred || new.published != Some(item.published) {
                return Ok(false);
            }
            let (old, mended) = (title_words(&item.title), title_words(&new.title));
            if old.difference(&mended).count() > 1 || mended.difference(&old).count() > 1 {
                return Ok(false);
            }
            if shared * 2 < a.len().min(b.len()) {
                return Ok(false);
            }
        }
        self.owns_link(new, item)
    }

    /// Whether `new`'s link names the stored `item` alone (not a page that has listed several
    /// stories).
    fn owns_link(&self, new: &NewItem, item: &Item) -> TxResult<bool> {
        let Some(at) = new.link.as_deref().and_then(link_key) else {
            return Ok(false);
        };
        Ok(self
            .pending
            .get(Index::Links, &at)?
            .is_some_and(|v| v[..] == item.id.0[..]))
    }
}
