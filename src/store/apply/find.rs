//! Another source's copy of a stored story: found by its link, or by its title within the
//! title window over texts that agree, with the rules that tell a page's or a series' other
//! stories apart.

use std::rc::Rc;

use super::texts::{texts_alike, LONG_TEXT};
use super::{Probe, Tx, TxResult};
use crate::model::{Identity, Item, NewItem};
use crate::store::dedupe_keys::{
    link_key, other_issues, title_key, title_keys, DedupeKey, SHARED_LINK,
};
use crate::store::journal::Index;
use crate::store::keys;

impl Tx<'_, '_> {
    /// The stored story a new item duplicates: same link, or same title close in time from a
    /// source that does not carry it yet.
    pub(super) fn find_story(&self, new: &NewItem, probe: &mut Probe) -> TxResult<Option<Item>> {
        probe.link_key = new.link.as_deref().and_then(link_key);
        probe.title_keys = title_keys(&new.title, self.dedupe.min_title_chars);
        if let Some(key) = probe.link_key {
            if let Some(v) = self.pending.get(Index::Links, &key)? {
                if v[..] == SHARED_LINK[..] {
                    probe.link_owned = true;
                } else if let Some(id) = keys::id_suffix(&v) {
                    if let Some(item) = self.get(id)? {
                        probe.link_owned = true;
                        // This source already carries that story under another identity:
                        // an entry with a GUID is another story under one link (a section
                        // page), unless the title and text are the story's too, as when a
                        // site moves to new GUIDs (a new CMS, http to https) and its entries
                        // come back. Nor is an entry without a GUID of its own, unless it is that
                        // story's entry under another form (its title, or its text): one told
                        // by its content (its title is another entry's too) only with the
                        // story's title, date and text.
                        let free = !self.claimed.borrow().contains(&item.id);
                        let same = match new.identity {
                            _ if !item.carried_by(self.source) => {
                                self.one_page_one_story(new, &item, probe.title_keys[0])
                            }
                            Identity::Guid(_) => {
                                self.same_story(new, &item, probe.title_keys[0])
                                    || self.same_entry_moved(new, &item)
                            }
                            Identity::Hash(_) => {
                                free && self.same_story(new, &item, probe.title_keys[0])
                            }
                            Identity::Link(_) | Identity::Titled { .. } => {
                                free && (self.same_title_dated(new, &item)
                                    || (item.source() == self.source
                                        && self.retitled(new, &item)?))
                            }
                        };
                        if same {
                            return Ok(Some(Rc::unwrap_or_clone(item)));
                        }
                    }
                }
            }
        }
        for (tkey, titles) in probe.title_keys.iter().zip(&mut probe.titles) {
            if let Some(v) = tkey
                .map(|k| self.pending.get(Index::Titles, &k))
                .transpose()?
            {
                *titles = v
                    .as_deref()
                    .map(keys::decode_title_entries)
                    .unwrap_or_default();
            }
        }
        let when = new.published.unwrap_or(self.now).timestamp();
        let window = self.dedupe.title_window.as_secs() as i64;
        let [full, head] = &probe.titles;
        let mut tried = std::collections::HashSet::new();
        for &(id, ts) in full.iter().rev().chain(head.iter().rev()) {
            if (ts - when).abs() > window || !tried.insert(id) {
                continue;
            }
            if let Some(item) = self.get(id)? {
                // The same title from unrelated sites ("Monthly newsletter November 2026")
                // is no republication: the texts must tell the same story too. (Compared
                // last: the other conditions are cheaper, and most stories fail one of them.)
                let agree = || self.titles_agree(new, &item);
                // With no text to compare, the title alone decides only where a copy is
                // expected: a partner republishing. Two organisations' own "Konferencija za
                // medije" or "Statement on …" of the same days are two stories.
                let organisations = || {
                    self.dedupe.is_organization(self.source)
                        && item
                            .sources
                            .iter()
                            .any(|c| self.dedupe.is_organization(&c.source))
                };
                // Between two organisations, the texts must tell it nearly word for word: two
                // press notes under one title ("Njoftim për shtyp") share half their phrasing
                // ("… press note about a …") and are still two stories.
                let told_alike =
                    || texts_alike(&self.pairs_of_entry(new), &self.pairs_of_story(&item));
                if !item.carried_by(self.source) && agree() && (!organisations() || told_alike()) {
                    return Ok(Some(Rc::unwrap_or_clone(item)));
                }
                // An entry of this source without a GUID, told by its link (moved: a slug
                // fixed) or by its content (no link either): its story edited when it has the
                // story's whole title, its very date and a text that agrees (another entry of
                // the feed may not have claimed it already).
                let edited = || {
                    !matches!(new.identity, Identity::Guid(_))
                        && item.source() == self.source
                        && !item.date_inferred
                        && new.published == Some(item.published)
                        && !self.claimed.borrow().contains(&item.id)
                };
                if edited() && agree() && self.same_story(new, &item, probe.title_keys[0]) {
                    return Ok(Some(Rc::unwrap_or_clone(item)));
                }
                if self.moved_away(new, &item)? {
                    probe.moved = true;
                    self.moved.borrow_mut().insert(item.id);
                    return Ok(Some(Rc::unwrap_or_clone(item)));
                }
            }
        }
        Ok(None)
    }

    /// Whether another source's story under the same link is `new`'s (`new_title`, its whole
    /// title's key): a link names one story on the site of a source that carries it or of
    /// `new`'s, or of any organisation (a partner's copy of an organisation's story points at
    /// the organisation's page, with a title and blurb of the partner's own if it likes,
    /// whether the organisation's own entry came first, last or not yet). A page elsewhere (a
    /// ministry's consultations page, a newspaper article, even of a partner polled too) is
    /// one that two sources' different stories can both point at: there the titles must be
    /// the same, or the texts agree.
    fn one_page_one_story(&self, new: &NewItem, item: &Item, new_title: Option<DedupeKey>) -> bool {
        if let Some(site) = new.link.as_deref().and_then(crate::model::site_name) {
            let own = |source: &str| self.dedupe.site_of(source) == Some(site.as_str());
            if own(self.source)
                || item.sources.iter().any(|c| own(&c.source))
                || self.dedupe.is_organization_site(&site)
            {
                return true;
            }
        }
        if self.same_title(new_title, item) {
            return true;
        }
        // Both told (an untold copy agrees with any text, the title deciding), whatever their
        // titles.
        !self.pairs_of_entry(new).is_empty()
            && !self.pairs_of_story(item).is_empty()
            && self.texts_agree(new, item)
    }

    /// Whether `new`, an entry of the source that carries the stored `item`, tells its story by
    /// its title (`new_title`, the whole title's key: a section page's "Konferencija –
    /// Beograd" and "Konferencija – Niš" are two stories), its date (within `title_window` of
    /// the story's: a recurring "Weekly briefing" a week or a year later is another) and its
    /// text, wherever it lives.
    pub(super) fn same_story(
        &self,
        new: &NewItem,
        item: &Item,
        new_title: Option<DedupeKey>,
    ) -> bool {
        let when = new.published.unwrap_or(self.now).timestamp();
        let window = self.dedupe.title_window.as_secs() as i64;
        self.same_title(new_title, item)
            && (when - item.published.timestamp()).abs() <= window
            && self.texts_agree(new, item)
    }

    /// Whether `item`'s whole title has the key `new_title` (one long enough to match).
    fn same_title(&self, new_title: Option<DedupeKey>, item: &Item) -> bool {
        new_title.is_some() && new_title == title_key(&item.title, self.dedupe.min_title_chars)
    }

    /// Whether the texts of `new` and `item`, whose titles share a key of the title index, tell
    /// one story ([`pairs_agree`](super::texts)). Titles that are one only without the site's
    /// name after them ("Konferencija – Beograd" and "Konferencija – Priština" read alike) need
    /// two long texts ([`LONG_TEXT`] word pairs each) sharing half of the shorter's pairs: a
    /// copy without text, or a line of boilerplate ("Opširnije na sajtu") on both, does not
    /// tell which it is.
    ///
    /// Titles whose first endings are one marker with other numbers ("– No. 12" and "– No.
    /// 13", "Part 1" and "Part 2 | Kosovo 2.0": [`other_issues`]) are issues or parts of a
    /// series, however much text they share.
    fn titles_agree(&self, new: &NewItem, item: &Item) -> bool {
        if title_key(&new.title, 1) == title_key(&item.title, 1) {
            return self.texts_agree(new, item);
        }
        if other_issues(&new.title, &item.title) {
            return false;
        }
        let (a, b) = (self.pairs_of_entry(new), self.pairs_of_story(item));
        a.len() >= LONG_TEXT
            && b.len() >= LONG_TEXT
            && a.intersection(&b).count() * 2 >= a.len().min(b.len())
    }
}
