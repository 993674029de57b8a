//! Case 3 of applying one entry ([`Tx::apply_one`]): a new story made of the entry's fields,
//! with its identity, link, title and by-source index entries.

use std::rc::Rc;

use super::entry::Again;
use super::{ApplyReport, Probe, Staged, Tx, TxResult};
use crate::model::{Carrier, Identity, Item, ItemId};
use crate::store::dedupe_keys::SHARED_LINK;
use crate::store::journal::{Index, EMPTY};
use crate::store::keys;

impl Tx<'_, '_> {
    /// Case 3 of [`Tx::apply_one`]: the entry `s`, at `position` in the feed, found to be no
    /// stored story, made a new one, counted new; or, should a story be stored under the id
    /// it takes already (the entry's own, under its GUID's id or its content's), that story's
    /// entry again ([`Tx::entry_again`]). `recycled`: the entry's GUID named another story
    /// before; `ident_key`: this source's identity index key for the entry, which names the
    /// story from now on; `probe`: what [`Tx::find_story`] read of the link and title indexes.
    pub(super) fn new_story(
        &self,
        s: Staged,
        position: usize,
        recycled: bool,
        ident_key: Vec<u8>,
        probe: Probe,
        report: &mut ApplyReport,
    ) -> TxResult<()> {
        let new = &s.item;
        let ident_value = |id: ItemId| keys::ident_value(id, &new.content_hash);
        // 3. A new story, made of the entry's fields. Under a GUID used again, its id is
        // its content's: the one its GUID derives is the older story's, which stays.
        let by_content = || ItemId::derive(self.source, &Identity::Hash(new.content_hash.clone()));
        let mut id = if recycled {
            by_content()
        } else {
            ItemId::derive(self.source, &new.identity)
        };
        // A story is never written over. One stored under its GUID's id that is another story
        // (its GUID went to this one before an export and import forgot it): its content's id.
        // One stored under that id is this very entry's, which it names from now on.
        let mut stored = self.get(id)?;
        if !recycled && stored.as_ref().is_some_and(|s| self.recycled(new, s)) {
            id = by_content();
            stored = self.get(id)?;
        }
        if let Some(stored) = stored {
            self.claim(id);
            self.pending
                .insert(Index::Idents, ident_key, ident_value(id));
            return self.entry_again(Rc::unwrap_or_clone(stored), s.item, Again::Entry, report);
        }
        self.claim(id);
        let ident = ident_value(id);
        let item = self.story_of(id, s, position);
        self.put(&item)?;
        self.pending.insert(Index::Idents, ident_key, ident);
        self.index_link_titles(&item, probe);
        self.saw(id);
        self.pending.insert(
            Index::BySource,
            keys::carrier_key(&item, &item.sources[0]),
            EMPTY,
        );
        report.new += 1;
        Ok(())
    }

    /// The new story `id` made of the entry `s` at `position` in the feed, this source its
    /// one carrier, first seen now, with its topics (those staged, or worked out now).
    fn story_of(&self, id: ItemId, s: Staged, position: usize) -> Item {
        let Staged {
            item: new, topics, ..
        } = s;
        // An undated entry is dated when it is first seen, a second earlier for each entry
        // before it in the feed: the feed's order (newest first, as feeds list) is kept.
        let published = new.published.unwrap_or_else(|| {
            let earlier = i64::try_from(position).unwrap_or(0);
            self.now - chrono::Duration::seconds(earlier)
        });
        let mut item = Item {
            id,
            sources: vec![Carrier {
                source: self.source.to_string(),
                identity: new.identity,
                link: new.link.clone(),
                first_seen: self.now,
            }],
            title: new.title,
            link: new.link,
            published,
            date_inferred: new.published.is_none(),
            updated: new.updated,
            first_seen: self.now,
            last_changed: self.now,
            edited: None,
            summary: new.summary,
            content: new.content,
            authors: new.authors,
            categories: new.categories,
            lang: new.lang,
            enclosures: new.enclosures,
            image: new.image,
            topics: Vec::new(),
            content_hash: new.content_hash,
        };
        item.topics = match topics {
            Some(topics) => topics,
            None => (self.topics_of)(&item),
        };
        item
    }

    /// Writes the link and title index entries of the new story `item`, from what
    /// [`Tx::find_story`] read of them (`probe`).
    fn index_link_titles(&self, item: &Item, mut probe: Probe) {
        // The link and title indexes were read by `find_story` a moment ago: write without
        // reading them again. A link that another story stored has too (a section page that
        // a source gives several stories) tells no story from now on.
        if let Some(key) = probe.link_key {
            if probe.link_owned {
                self.pending.insert(Index::Links, key, &SHARED_LINK[..]);
            } else {
                self.pending.insert(Index::Links, key, &item.id.0[..]);
            }
        }
        for (tkey, titles) in probe.title_keys.iter().zip(&mut probe.titles) {
            if let Some(tkey) = tkey {
                titles.push((item.id, item.published.timestamp()));
                self.pending
                    .insert(Index::Titles, tkey, keys::encode_title_entries(titles));
            }
        }
    }
}
