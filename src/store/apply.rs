//! Applying one fetched feed: within-source identity, cross-source matching by link and by
//! title, and every index, all or nothing (see [`super::journal`]); the source's new state
//! once it is on disk.

use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sled::IVec;
use url::Url;

use super::journal::{Index, Pending, EMPTY};
use super::keys;
use super::{decode_item, encode_item, Store, StoreError};
use crate::config::DedupeConfig;
use crate::model::{Carrier, Enclosure, Identity, Item, ItemId, NewItem, SourceState, TopicMatch};
use crate::parse::{html, urls};

/// An item ready to store: normalized by the parse stage.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The normalized item.
    pub item: NewItem,
    /// Its topics should it become a new story carried by this source alone, computed
    /// before the writer lock is taken (None: computed when stored).
    pub topics: Option<Vec<TopicMatch>>,
    /// Read again on purpose (`fetch --reread`): compared with the story it is an entry of
    /// even when its raw form is the one recorded, so a story the parser now reads otherwise
    /// (its link, attachments, dates) is updated.
    pub reread: bool,
}

/// Computes a stored story's topics from its text and the sources that carry it. Called
/// whenever a story is created, changed, or gains a source, so stored topics always equal
/// what `tributary reclassify` would compute.
pub type TopicsOf<'a> = &'a (dyn Fn(&Item) -> Vec<TopicMatch> + Sync);

/// What applying one feed did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// Stories stored for the first time.
    pub new: usize,
    /// Stored stories whose source changed them.
    pub updated: usize,
    /// Items that were stories already stored from another source (or under another id).
    pub duplicate: usize,
    /// Items exactly as already stored.
    pub unchanged: usize,
    /// Of the unchanged, stories that took a new address of their picture, one file's in
    /// another query (a CDN that signs or versions its addresses): no edit, but the feeds
    /// that list them read otherwise.
    #[serde(skip_serializing_if = "crate::model::is_zero")]
    pub refreshed: usize,
    /// Entries dropped by filter rules before they reached the store.
    pub filtered: usize,
}

impl ApplyReport {
    /// Adds another report's counts.
    pub fn add(&mut self, other: &ApplyReport) {
        self.new += other.new;
        self.updated += other.updated;
        self.duplicate += other.duplicate;
        self.unchanged += other.unchanged;
        self.refreshed += other.refreshed;
        self.filtered += other.filtered;
    }

    /// Whether the feeds that list this source's stories read otherwise now: a story new,
    /// updated, carried anew or given its picture's new address.
    pub fn changed_feeds(&self) -> bool {
        self.new + self.updated + self.duplicate + self.refreshed > 0
    }
}

type TxResult<T> = Result<T, StoreError>;

impl Store {
    /// [`Store::apply`] with the time taken under the writer lock: a story's first-seen time
    /// is then never earlier than a digest period that was read before it was committed.
    pub fn apply_now(
        &self,
        source: &str,
        staged: Vec<Staged>,
        state: &SourceState,
        dedupe: &DedupeConfig,
        topics_of: TopicsOf<'_>,
    ) -> Result<ApplyReport, StoreError> {
        self.apply_at(source, staged, state, None, dedupe, topics_of)
    }

    /// Stores one source's items atomically and flushes them to disk, then records the
    /// source's new state ([`Store::put_source_state`]): validators are never on disk before
    /// the items they vouch for. `unchanged` counts items the caller skipped before
    /// normalizing.
    pub fn apply(
        &self,
        source: &str,
        staged: Vec<Staged>,
        state: &SourceState,
        now: DateTime<Utc>,
        dedupe: &DedupeConfig,
        topics_of: TopicsOf<'_>,
    ) -> Result<ApplyReport, StoreError> {
        self.apply_at(source, staged, state, Some(now), dedupe, topics_of)
    }

    /// [`Store::apply`] at `now`, or at the time the writer lock is taken.
    fn apply_at(
        &self,
        source: &str,
        staged: Vec<Staged>,
        state: &SourceState,
        now: Option<DateTime<Utc>>,
        dedupe: &DedupeConfig,
        topics_of: TopicsOf<'_>,
    ) -> Result<ApplyReport, StoreError> {
        // The feed is worked out under the writer lock and its writes queued; they are made
        // under the second lock, in turn, while the next feed is worked out (it reads them
        // first: see `journal`).
        let one_writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let main = self.main()?;
        if super::journal::queued_len(main) >= super::journal::QUEUE_BOUND {
            // Only when making writes keeps failing (a full disk): what is queued is made
            // before anything more is, or this feed fails too, so the queue stays bounded.
            let _applying = main.applying.lock().unwrap_or_else(|e| e.into_inner());
            super::journal::make_queued(main, u64::MAX)?;
        }
        let now = now.unwrap_or_else(Utc::now);
        let (pending, report) = self.stage(source, staged, now, dedupe, topics_of)?;
        // This feed's writes, or with none (every entry as stored), the last queued before
        // it: what it was worked out against must be made before its state is recorded.
        let turn = pending.queue().or_else(|| super::journal::last_turn(main));
        drop(one_writer);
        if let Some(turn) = turn {
            let _applying = main.applying.lock().unwrap_or_else(|e| e.into_inner());
            // Up to this feed's writes: those queued before are made first, here or by the
            // thread that queued them, whichever takes the lock first.
            super::journal::make_queued(main, turn)?;
        }
        // Flushed outside the locks: the next feed is applied while this one's fsync runs, and
        // one fsync often covers several feeds (sled groups concurrent flushes).
        main.flush()?;
        // Only now, with the stories on disk, may the validators that vouch for them be.
        self.put_source_state(source, state)?;
        if super::matching::wants_compaction(main) {
            let (_both, main) = self.write_lock()?;
            super::matching::compact(main);
        }
        Ok(report)
    }

    /// A feed's writes, worked out and not yet made.
    pub(super) fn stage<'a>(
        &'a self,
        source: &str,
        staged: Vec<Staged>,
        now: DateTime<Utc>,
        dedupe: &DedupeConfig,
        topics_of: TopicsOf<'_>,
    ) -> Result<(Pending<'a>, ApplyReport), StoreError> {
        let main = self.main()?;
        let tx = Tx {
            pending: Pending::new(main),
            seen: Default::default(),
            read: Default::default(),
            claims: staged
                .iter()
                .any(|s| !matches!(s.item.identity, Identity::Guid(_))),
            claimed: Default::default(),
            rekeyed: Default::default(),
            guids: staged
                .iter()
                .filter_map(|s| match &s.item.identity {
                    Identity::Guid(g) => Some(g.clone()),
                    _ => None,
                })
                .collect(),
            site_moved: Default::default(),
            moved: Default::default(),
            owners: Default::default(),
            entry_pairs: Default::default(),
            story_pairs: Default::default(),
            source,
            now,
            dedupe,
            topics_of,
        };
        let mut report = ApplyReport::default();
        // The stories entries without a GUID are recorded as by their very content are theirs
        // before any entry is matched: another entry above one on the page is never taken
        // for its story.
        if tx.claims {
            for s in &staged {
                tx.claim_own(&s.item)?;
            }
        }
        for (position, s) in staged.into_iter().enumerate() {
            tx.apply_one(s, position, &mut report)?;
        }
        tx.write_seen()?;
        Ok((tx.pending, report))
    }

    /// [`Store::apply`] stopped by a crash after the feed's journal entry was written.
    #[cfg(test)]
    pub(super) fn apply_interrupted(
        &self,
        source: &str,
        staged: Vec<Staged>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let no_topics = |_: &Item| Vec::new();
        let (pending, _) = self.stage(source, staged, now, &DedupeConfig::default(), &no_topics)?;
        pending.record_only()
    }
}

/// What `find_story` read of the link and title indexes when it found no story.
#[derive(Default)]
struct Probe {
    /// That entry names a story that is stored (or says several are): a new story with this
    /// link makes it [`SHARED_LINK`].
    link_owned: bool,
    /// The stories already stored under each title key.
    titles: [Vec<(ItemId, i64)>; 2],
    /// The new item's link key and title keys ([`title_keys`]), worked out once.
    link_key: Option<DedupeKey>,
    title_keys: [Option<DedupeKey>; 2],
    /// The story found is this source's own, its entry moved to a new GUID and another
    /// page ([`Tx::moved_away`]).
    moved: bool,
}

/// How a source's entry comes back to its story ([`Tx::entry_again`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Again {
    /// As its entry: what reads otherwise is an edit.
    Entry,
    /// Its raw form as recorded, read again only because a reread asked: what reads otherwise
    /// is this version's reading, no edit.
    Reread,
    /// Under a new GUID and another link (the site moved): the link is no edit.
    Moved,
}

/// What a source's entry was recorded as before ([`Tx::recognise`]).
struct Known {
    /// The story it named.
    id: ItemId,
    /// The identity index value (the story's id, then the raw hash of the entry as then).
    value: IVec,
    /// A tombstone of the `gone` tree, at this key.
    gone: Option<[u8; 16]>,
    /// Recorded under the other form of the entry's identity: written under its own too.
    elsewhere: bool,
}

impl Known {
    /// The raw hash of the entry as it was recorded.
    fn hash(&self) -> &[u8] {
        &self.value[16..]
    }

    fn elsewhere(self) -> Known {
        Known {
            elsewhere: true,
            ..self
        }
    }
}

/// One feed being applied.
struct Tx<'s, 'a> {
    pending: Pending<'s>,
    /// Stories this feed brought or carried anew, in order, for its `by_seen` entry.
    seen: std::cell::RefCell<(Vec<ItemId>, std::collections::HashSet<ItemId>)>,
    /// Stories read while applying this feed, decoded, at most [`READ_KEPT`] of them: a feed
    /// whose entries share one link or title reads the story it points to once, not once per
    /// entry (its record may be megabytes).
    read: std::cell::RefCell<HashMap<ItemId, Rc<Item>>>,
    /// Stories an entry of this feed was found to be: another entry without a GUID of its own
    /// is never taken for one of them too (two stories a page lists are never one). Kept only
    /// when the feed has such entries (`claims`).
    claimed: std::cell::RefCell<std::collections::HashSet<ItemId>>,
    claims: bool,
    /// Stories whose GUID an entry of this feed gave to another story ([`Tx::rekey`]): another
    /// entry of the feed may be one of them under another GUID ([`Tx::same_entry_moved`]).
    rekeyed: std::cell::RefCell<std::collections::HashSet<ItemId>>,
    /// The GUIDs of this feed's entries.
    guids: std::collections::HashSet<String>,
    /// Whether none of them named a story before this fetch ([`Tx::site_moved`]), once asked.
    site_moved: std::cell::Cell<Option<bool>>,
    /// Stories an entry of this feed was found to be as moved ([`Tx::moved_away`]): no other
    /// entry is taken for one of them too.
    moved: std::cell::RefCell<std::collections::HashSet<ItemId>>,
    /// The raw hashes of the entries of this feed that claimed each story by their content.
    owners: std::cell::RefCell<HashMap<ItemId, Vec<String>>>,
    /// The word pairs of the text of the entry being applied, worked out when it is first
    /// compared with a story's (most entries never are), then kept until the next entry.
    entry_pairs: std::cell::RefCell<Option<Rc<Pairs>>>,
    /// The word pairs of stored stories' texts compared with this feed's entries, at most
    /// [`PAIRS_KEPT`] of them: entries under one title are each compared with the same stories
    /// (up to [`keys::MAX_TITLE_MATCHES`]). A story written again ([`Tx::put`]) is worked out
    /// anew.
    story_pairs: std::cell::RefCell<HashMap<ItemId, Rc<Pairs>>>,
    source: &'a str,
    now: DateTime<Utc>,
    dedupe: &'a DedupeConfig,
    topics_of: TopicsOf<'a>,
}

/// Stories a feed's apply keeps decoded (see [`Tx::get`]).
const READ_KEPT: usize = 64;

/// Stories whose word pairs a feed's apply keeps (see [`Tx::story_pairs`]).
const PAIRS_KEPT: usize = 256;

/// Lists `ids` in `by_seen` at time `t`, in entries of at most [`keys::SEEN_PER_ENTRY`]
/// stories. An entry already at one of their keys (another feed applied at the same
/// microsecond and led by the same story, or one that prune rewrote) keeps its stories; what
/// does not fit in it goes on to an entry of its own.
pub(super) fn put_seen(pending: &Pending, t: DateTime<Utc>, ids: &[ItemId]) -> TxResult<()> {
    let mut queue: std::collections::VecDeque<Vec<ItemId>> = ids
        .chunks(keys::SEEN_PER_ENTRY)
        .map(<[ItemId]>::to_vec)
        .collect();
    while let Some(mut chunk) = queue.pop_front() {
        let key = keys::time_key(t, chunk[0]);
        if let Some(old) = pending.get(Index::BySeen, &key)? {
            let mut merged: Vec<ItemId> = keys::seen_ids(&key, &old).collect();
            let known: std::collections::HashSet<ItemId> = merged.iter().copied().collect();
            merged.extend(chunk.into_iter().filter(|id| !known.contains(id)));
            chunk = merged;
        }
        if chunk.len() > keys::SEEN_PER_ENTRY {
            queue.push_back(chunk.split_off(keys::SEEN_PER_ENTRY));
        }
        pending.insert(Index::BySeen, key, keys::seen_value(&chunk));
    }
    Ok(())
}

impl Tx<'_, '_> {
    /// Claims the story that `new`, an entry without a GUID, is recorded as under any form
    /// with its raw hash (see [`Tx::recognise`]).
    fn claim_own(&self, new: &NewItem) -> TxResult<()> {
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
    fn told_newer(&self, new: &NewItem, id: ItemId) -> TxResult<bool> {
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
    fn recorded(&self, new: &NewItem, with_content: bool) -> TxResult<Vec<(Vec<u8>, Known)>> {
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

    fn claim(&self, id: ItemId) {
        if self.claims {
            self.claimed.borrow_mut().insert(id);
        }
    }

    fn saw(&self, id: ItemId) {
        let (order, set) = &mut *self.seen.borrow_mut();
        if set.insert(id) {
            order.push(id);
        }
    }

    /// One `by_seen` entry for the whole feed (a few for a very large one), instead of one per
    /// story: a fetch of a new source writes a key fewer per story.
    fn write_seen(&self) -> TxResult<()> {
        put_seen(&self.pending, self.now, &self.seen.borrow().0)
    }

    /// Applies one entry; its fields move into the story it creates or updates.
    /// Applies the feed's entry at `position` among those staged (in the feed's order).
    fn apply_one(&self, mut s: Staged, position: usize, report: &mut ApplyReport) -> TxResult<()> {
        self.entry_pairs.borrow_mut().take();
        let (identity, ident_key, known) = self.recognise(&s.item)?;
        let reread = s.reread;
        if let Some(identity) = identity {
            s.item.identity = identity;
        }
        let new = &s.item;
        let ident_value = |id: ItemId| keys::ident_value(id, &new.content_hash);

        // Whether the entry's GUID named another story before (see `Tx::recycled`).
        let mut recycled = false;
        // 1. Seen before in this source.
        if let Some(known) = known {
            let claimed_before = self.claimed.borrow().contains(&known.id);
            self.claim(known.id);
            if let Some(gone_key) = known.gone {
                // 1b. Carried before by this source, and removed by retention: a tombstone,
                // which takes the entry's new hash (the next fetch skips the entry before
                // normalizing it).
                if known.hash() != new.content_hash.as_bytes() {
                    self.pending
                        .insert(Index::Gone, gone_key.to_vec(), ident_value(known.id));
                }
                report.unchanged += 1;
                return Ok(());
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
                    .get(Index::Idents, &ident_key)?
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
                return Ok(());
            }
            if record {
                self.pending
                    .insert(Index::Idents, ident_key.clone(), ident_value(id));
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
                    recycled = true;
                    // The GUID may name again a story it named before (a cache serving the
                    // feed as it was): that story, found by its link, title and date, known
                    // by its GUID again.
                    if let Some(earlier) = self.named_before(new)? {
                        self.claim(earlier.id);
                        let earlier = self.guid_again(earlier, &new.identity)?;
                        self.pending
                            .insert(Index::Idents, ident_key, ident_value(earlier.id));
                        return self.entry_again(earlier, s.item, Again::Entry, report);
                    }
                }
                Some(item) => {
                    // Its raw form as recorded, read again only because a reread asked (not
                    // an entry back as it was before an edit: that is its publisher's change).
                    let how = if reread && !stale && known.hash() == s.item.content_hash.as_bytes()
                    {
                        Again::Reread
                    } else {
                        Again::Entry
                    };
                    return self.entry_again(Rc::unwrap_or_clone(item), s.item, how, report);
                }
                // The story was pruned by retention before its identity would have moved to
                // the `gone` tree: a tombstone all the same, so the source's old entries are
                // not stored again. It took the entry's new hash above, so the next fetch
                // skips the entry before normalizing it.
                None => {
                    report.unchanged += 1;
                    return Ok(());
                }
            }
        }

        // 2. The same story from another source (or this one under another id).
        let mut probe = Probe::default();
        if let Some(mut item) = self.find_story(new, &mut probe)? {
            self.claim(item.id);
            // This source's identity entry names the story, with the hash of this entry.
            let carried = ident_value(item.id);
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
                    self.update(&mut item, s.item, false, false)?;
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
                let item = if matches!(s.item.identity, Identity::Guid(_))
                    && self.rekeyed.borrow().contains(&item.id)
                {
                    self.guid_again(item, &s.item.identity)?
                } else {
                    item
                };
                self.pending.insert(Index::Idents, ident_key, carried);
                let how = if probe.moved {
                    Again::Moved
                } else {
                    Again::Entry
                };
                return self.entry_again(item, s.item, how, report);
            }
            self.pending.insert(Index::Idents, ident_key, carried);
            report.duplicate += 1;
            return Ok(());
        }

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
        self.put(&item)?;
        self.pending.insert(Index::Idents, ident_key, ident);
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
        self.saw(id);
        self.pending.insert(
            Index::BySource,
            keys::carrier_key(&item, &item.sources[0]),
            EMPTY,
        );
        report.new += 1;
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
    fn entry_again(
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
    fn recognise(&self, new: &NewItem) -> TxResult<(Option<Identity>, Vec<u8>, Option<Known>)> {
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
        let gone_key = super::matching::ident_hash(key);
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
    fn same_title_dated(&self, new: &NewItem, item: &Item) -> bool {
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
    fn retitled(&self, new: &NewItem, item: &Item) -> TxResult<bool> {
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

    /// Whether `new`, an entry under a GUID this source gave the stored `item` before, is
    /// another story under that GUID used again: a feed that numbers its entries by their
    /// place (`<guid>1</guid>` for the newest), or ids a site's new CMS hands out anew. Only
    /// with everything else another: its link (this source's own for the story), its title,
    /// its date further than `title_window` from the story's, and its text (when both have
    /// one) not telling the same story. A story edited changes some of these, not all: a
    /// retitle with its slug keeps its date, a date moved keeps the link.
    fn recycled(&self, new: &NewItem, item: &Item) -> bool {
        if !matches!(new.identity, Identity::Guid(_)) || item.date_inferred {
            return false;
        }
        let Some(published) = new.published else {
            return false;
        };
        let own_link = item
            .sources
            .iter()
            .find(|c| c.source == self.source)
            .and_then(|c| c.link.as_deref())
            .or(item.link.as_deref());
        let (Some(a), Some(b)) = (
            new.link.as_deref().and_then(link_key),
            own_link.and_then(link_key),
        ) else {
            return false;
        };
        let far = (published - item.published)
            .abs()
            .to_std()
            .unwrap_or(Duration::MAX)
            > self.dedupe.title_window;
        // A title with words added or cut (" | Portal", "(video)") is the story's retitled.
        // (Two words at least in the shorter: "Update" and "Update 2" are two stories.)
        let (old, renamed) = (title_words(&item.title), title_words(&new.title));
        let retitled = old.len().min(renamed.len()) >= 2
            && (old.is_subset(&renamed) || renamed.is_subset(&old));
        a != b && far && !retitled && title_key(&new.title, 1) != title_key(&item.title, 1) && {
            let (x, y) = (self.pairs_of_entry(new), self.pairs_of_story(item));
            x.is_empty() || y.is_empty() || !self.texts_agree(new, item)
        }
    }

    /// Records that this source's carrier of the stored `item` under `identity` (a GUID now
    /// given to another story, [`Tx::recycled`]) is known by the raw hash `hash` of its entry
    /// instead, under which the identity index names the story.
    fn rekey(&self, mut item: Item, identity: &Identity, hash: &[u8]) -> TxResult<()> {
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
    fn guid_again(&self, mut item: Item, identity: &Identity) -> TxResult<Item> {
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
    fn named_before(&self, new: &NewItem) -> TxResult<Option<Item>> {
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
    fn same_entry_moved(&self, new: &NewItem, item: &Item) -> bool {
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
    fn moved_away(&self, new: &NewItem, item: &Item) -> TxResult<bool> {
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
            let gone = super::matching::ident_hash(&key);
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

    /// The stored story a new item duplicates: same link, or same title close in time from a
    /// source that does not carry it yet.
    fn find_story(&self, new: &NewItem, probe: &mut Probe) -> TxResult<Option<Item>> {
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
    fn same_story(&self, new: &NewItem, item: &Item, new_title: Option<DedupeKey>) -> bool {
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

    /// Whether the texts of `new` and `item`, whose titles share a key of the title index,
    /// tell one story ([`pairs_agree`]). Titles that are one only without the site's name
    /// after them ("Konferencija – Beograd" and "Konferencija – Priština" read alike) need
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

    /// [`pairs_agree`] of `new`'s text and the stored `item`'s.
    fn texts_agree(&self, new: &NewItem, item: &Item) -> bool {
        pairs_agree(
            (&self.pairs_of_entry(new), &new.summary, new.link.as_deref()),
            (
                &self.pairs_of_story(item),
                &item.summary,
                item.link.as_deref(),
            ),
        )
    }

    /// The word pairs of the text of `new`, the entry being applied ([`Tx::entry_pairs`]).
    fn pairs_of_entry(&self, new: &NewItem) -> Rc<Pairs> {
        self.entry_pairs
            .borrow_mut()
            .get_or_insert_with(|| Rc::new(word_pairs(&new.summary)))
            .clone()
    }

    /// The word pairs of the text of `item`, a story as stored ([`Tx::story_pairs`]).
    fn pairs_of_story(&self, item: &Item) -> Rc<Pairs> {
        if let Some(pairs) = self.story_pairs.borrow().get(&item.id) {
            return pairs.clone();
        }
        let pairs = Rc::new(word_pairs(&item.summary));
        let mut kept = self.story_pairs.borrow_mut();
        if kept.len() >= PAIRS_KEPT {
            kept.clear();
        }
        kept.insert(item.id, pairs.clone());
        pairs
    }

    /// Rewrites a story with a newer copy of it, whose fields move into it: the lead's own
    /// entry again (`relisted`; shown as edited now with `edit`), or another source's copy
    /// taking the lead.
    fn update(&self, item: &mut Item, new: NewItem, relisted: bool, edit: bool) -> TxResult<()> {
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
    fn take_link(&self, item: &mut Item, link: Option<String>) -> TxResult<()> {
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
    fn get(&self, id: ItemId) -> TxResult<Option<Rc<Item>>> {
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
    fn put(&self, item: &Item) -> TxResult<()> {
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

/// The story `item`'s publication date, whether the store made it up, and its `updated`, once
/// `new` updates it: its source's entry again (`relisted`), or another source's copy taking the
/// lead. A story keeps the date it was published on (as Miniflux and FreshRSS keep it): an old
/// story its source lists again under today's date is not news again, at the top of every
/// feed; the later date is when it was updated. A date the store made up (an undated entry)
/// gives way to the feed's, and a copy taking the lead brings its own. A later date up to a
/// day after the story first arrived is a correction of when it was published (a draft's
/// date, a zone written wrong), taken as the date.
fn dates_after(
    item: &Item,
    new: &NewItem,
    relisted: bool,
) -> (DateTime<Utc>, bool, Option<DateTime<Utc>>) {
    let correction = |p: DateTime<Utc>| p <= item.first_seen + chrono::Duration::days(1);
    match new.published {
        Some(p) if !relisted || item.date_inferred || p <= item.published || correction(p) => {
            (p, false, new.updated)
        }
        Some(p) => (
            item.published,
            item.date_inferred,
            Some(new.updated.map_or(p, |u| u.max(p))),
        ),
        None => (item.published, item.date_inferred, new.updated),
    }
}

/// Whether `new`, an entry of the source that leads the stored `item`, shows its readers what
/// the story already does: its raw form changed, not its title, link, dates, text, authors,
/// categories, language, attachments or picture (what [`Tx::update`] would leave as it is
/// counts as the same: a missing link, date or language keeps the story's). A picture whose
/// address changed in its query alone is the same picture ([`same_pictures`]).
fn reads_the_same(item: &Item, new: &NewItem, moved: bool) -> bool {
    dates_after(item, new, true) == (item.published, item.date_inferred, item.updated)
        && (item.title == new.title || is_legacy_untitled(&item.title, &new.title))
        && new
            .link
            .as_deref()
            .is_none_or(|l| moved || item.link.as_deref().is_some_and(|old| same_page(old, l)))
        && item.summary == new.summary
        && same_pictures(
            item.content.as_deref(),
            new.content.as_deref(),
            html::same_but_media_queries,
        )
        && item.authors == new.authors
        && item.categories == new.categories
        && new
            .lang
            .as_ref()
            .is_none_or(|l| item.lang.as_ref() == Some(l))
        && same_enclosures(&item.enclosures, &new.enclosures)
        && same_pictures(
            item.image.as_deref(),
            new.image.as_deref(),
            urls::same_but_query,
        )
}

/// Whether a story's link, as stored (`old`) and in its entry again (`new`), names the same
/// page: the same address, or one spelled otherwise ([`urls::dedupe_key`]: a site moved to
/// https or off `www.`, a trailing slash added, a tracking parameter) with the same fragment
/// (another `#…` on one page may be another note of a changelog).
fn same_page(old: &str, new: &str) -> bool {
    old == new
        || match (Url::parse(old), Url::parse(new)) {
            (Ok(a), Ok(b)) => {
                a.fragment() == b.fragment()
                    && urls::dedupe_key(&a).is_some_and(|k| urls::dedupe_key(&b) == Some(k))
            }
            _ => false,
        }
}

/// Whether a stored title is the English "(untitled)" that earlier versions stored for an
/// entry with nothing to title it by, and `new` that entry's title now (none): the same
/// title, which the story takes without an edit.
fn is_legacy_untitled(stored: &str, new: &str) -> bool {
    stored == LEGACY_UNTITLED && new.is_empty()
}

/// The title earlier versions stored for an entry with no title, text or link.
const LEGACY_UNTITLED: &str = "(untitled)";

/// Whether a story's attachments, as stored (`old`) and in its entry again (`new`), are the
/// same files: each of the same type and length, at the same address but maybe for its query
/// ([`urls::same_but_query`]: a private podcast's signed `?X-Amz-Signature=…`, renewed at every
/// fetch). Another file, type or length, or one added or removed, is an edit.
fn same_enclosures(old: &[Enclosure], new: &[Enclosure]) -> bool {
    old.len() == new.len()
        && old.iter().zip(new).all(|(a, b)| {
            a.mime == b.mime && a.length == b.length && urls::same_but_query(&a.url, &b.url)
        })
}

/// Whether a story's picture or body, as stored (`old`) and in its entry again (`new`), shows
/// the same by `same`, which lets the pictures' addresses differ in their queries: a CDN that
/// signs its addresses for an hour (`?sig=…&exp=…`) or versions them (`?v=…`, Drupal's
/// `?itok=…`) gives an unchanged story new ones at every fetch, which would date it as edited
/// at every poll. A picture at another path, or one added or removed, is an edit.
fn same_pictures(old: Option<&str>, new: Option<&str>, same: impl Fn(&str, &str) -> bool) -> bool {
    match (old, new) {
        (Some(old), Some(new)) => same(old, new),
        (old, new) => old == new,
    }
}

/// Where the `gone` tree marks that retention recorded the tombstone of an entry told by its
/// link (identity index key `alone`) under the link and the story's title too: a later entry
/// under that link alone is then the removed story only under that title.
pub(super) fn titled_mark(alone: &[u8]) -> [u8; 16] {
    let mut marked = alone.to_vec();
    marked.extend_from_slice(b"\0titled");
    super::matching::ident_hash(&marked)
}

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

/// Where the `gone` tree keeps the date of a story that retention removed, beside its
/// tombstone under the link-and-title identity key `titled` (see [`Tx::recurs`]).
pub(super) fn titled_date(titled: &[u8]) -> [u8; 16] {
    let mut dated = titled.to_vec();
    dated.extend_from_slice(b"\0date");
    super::matching::ident_hash(&dated)
}

/// The link index's value for a link that several stored stories have (a section page a
/// source gives several of its stories): it names none of them, and matches nothing, like a
/// front page. No story id is this (ids are hashes).
pub(crate) const SHARED_LINK: [u8; 16] = [0xff; 16];

/// The cross-source key of a link; `None` for a site's front page, which many feeds give as
/// every item's link and which therefore identifies nothing.
pub(crate) fn link_key(link: &str) -> Option<DedupeKey> {
    let url = Url::parse(link).ok()?;
    Some(dedupe_key(&urls::dedupe_key(&url)?))
}

/// The key of a link or title in the link and title indexes: a hash of its canonical text, so
/// every key is 16 bytes however long the URL or title (the indexes in memory and their log
/// hold fixed-size keys).
pub(crate) type DedupeKey = [u8; 16];

pub(super) fn dedupe_key(text: &str) -> DedupeKey {
    let mut key = [0; 16];
    key.copy_from_slice(&blake3::hash(text.as_bytes()).as_bytes()[..16]);
    key
}

/// Whether two copies under one title tell the same story, by their texts, each with its word
/// pairs ([`word_pairs`]) and where the copy lives:
/// - two texts of some length ([`LONG_TEXT`] word pairs or more each) agree when at least half
///   of the word pairs of the shorter are in the other (case and punctuation aside): a
///   republisher that adds a line of its own or cuts the text short still agrees, two sites'
///   different newsletters do not;
/// - when one is shorter (a teaser, a republisher's blurb of its own), they agree the same way,
///   or when one names the other's site ("Preuzeto od BFPE" for a copy on bfpe.example);
/// - a copy with no text at all (a feed of titles alone) agrees with any: the title decides.
fn pairs_agree(
    (pairs_a, a, a_link): (&Pairs, &str, Option<&str>),
    (pairs_b, b, b_link): (&Pairs, &str, Option<&str>),
) -> bool {
    // No text to speak of (none, one word, an ellipsis): the title decides.
    if pairs_a.is_empty() || pairs_b.is_empty() {
        return true;
    }
    let shorter = pairs_a.len().min(pairs_b.len());
    let shared = pairs_a.intersection(pairs_b).count();
    if shared * 2 >= shorter {
        return true;
    }
    if pairs_a.len() >= LONG_TEXT && pairs_b.len() >= LONG_TEXT {
        return false;
    }
    names_site(a, b_link) || names_site(b, a_link)
}

/// [`pairs_agree`] of two texts and where each copy lives.
#[cfg(test)]
pub(crate) fn texts_agree(a: &str, a_link: Option<&str>, b: &str, b_link: Option<&str>) -> bool {
    pairs_agree((&word_pairs(a), a, a_link), (&word_pairs(b), b, b_link))
}

/// Whether two texts, by their word pairs ([`word_pairs`]), tell one story nearly word for
/// word: the shorter has a sentence or two ([`UNTOUCHED_TEXT`] word pairs or more) and four in
/// five of its word pairs are in the other.
fn texts_alike(pairs_a: &Pairs, pairs_b: &Pairs) -> bool {
    let shorter = pairs_a.len().min(pairs_b.len());
    shorter >= UNTOUCHED_TEXT && pairs_a.intersection(pairs_b).count() * 5 >= shorter * 4
}

/// How long a story has been in the feeds before another copy taking its lead keeps its
/// last shown date ([`Tx::update`]): longer than a fetch cycle of every source takes, shorter
/// than readers poll.
const SHOWN_FOR: chrono::Duration = chrono::Duration::minutes(10);

/// Texts with at least this many word pairs (about as many words) are long enough to be
/// compared on their own.
const LONG_TEXT: usize = 30;

/// A text with at least this many word pairs (a sentence or two), the same word for word
/// under the same date, makes a GUID-less entry with another title on its link the story it
/// was ([`Tx::retitled`]).
const UNTOUCHED_TEXT: usize = 8;

/// Whether `text` names, as a word, the site of `link` ([`crate::model::site_name`]).
fn names_site(text: &str, link: Option<&str>) -> bool {
    let Some(name) = link.and_then(crate::model::site_name) else {
        return false;
    };
    text.split(|c: char| !c.is_alphanumeric() && c != '-')
        .any(|w| w.eq_ignore_ascii_case(&name))
}

/// A title's words, as [`match_words`] reads them.
fn title_words(title: &str) -> std::collections::HashSet<String> {
    let mut words = std::collections::HashSet::new();
    match_words(title, |w| {
        words.insert(w.to_string());
    });
    words
}

/// A text's word pairs ([`word_pairs`]).
type Pairs = std::collections::HashSet<u64>;

/// Hashes of a text's consecutive words, as [`match_words`] reads them: each pair hashed as
/// the two words' slice, the last word kept in one buffer (no string of its own per word).
fn word_pairs(text: &str) -> Pairs {
    use std::hash::{Hash, Hasher};
    let mut pairs = Pairs::new();
    let mut last = String::new();
    match_words(text, |w| {
        if !last.is_empty() {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            [last.as_str(), w].hash(&mut h);
            pairs.insert(h.finish());
        }
        last.clear();
        last.push_str(w);
    });
    pairs
}

/// A title reduced to its words ([`match_words`]) joined by single spaces, for matching
/// republished copies; `None` when shorter than `min_chars` characters.
pub(crate) fn title_key(title: &str, min_chars: usize) -> Option<DedupeKey> {
    let mut key = String::with_capacity(title.len());
    match_words(title, |w| {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(w);
    });
    (key.chars().count() >= min_chars).then(|| dedupe_key(&key))
}

/// The keys a story's title is indexed under in the title index: [`title_key`] of the title,
/// and of its head without the site's name a copy may carry after it ([`title_head`]: "… |
/// KCSS", "… – Kosovo Online") when that is another. A copy is looked up under both: the
/// original's "Radionica o dijalogu" is found from a partner's "Radionica o dijalogu |
/// Partner" and the other way round, and "Dijalog: šta dalje?" from "Dijalog — šta dalje" by
/// the whole title.
pub(crate) fn title_keys(title: &str, min_chars: usize) -> [Option<DedupeKey>; 2] {
    let full = title_key(title, min_chars);
    let head = title_head(title);
    let head = if head.len() < title.trim_end().len() {
        title_key(head, min_chars).filter(|k| Some(*k) != full)
    } else {
        None
    };
    [full, head]
}

/// `title` without its last segments that may be a site's name: each of one to four words,
/// after a spaced separator (`|`, a dash, `·`, `»`, `::`), with at least three words before
/// it; at most [`TITLE_ENDINGS`] of them, and none of a title longer than [`TITLE_HEAD_MAX`]
/// bytes (feeds' titles are cut to 300 characters; an imported record's is not). A copy's
/// "Radionica o dijalogu – Portal | Partner" and the original's "Radionica o dijalogu –
/// Portal" both read "Radionica o dijalogu".
fn title_head(title: &str) -> &str {
    let words = |t: &str| {
        let mut n = 0;
        match_words(t, |_| n += 1);
        n
    };
    let mut head = title.trim_end();
    if head.len() > TITLE_HEAD_MAX {
        return head;
    }
    for _ in 0..TITLE_ENDINGS {
        let Some((at, len)) = TITLE_SEPARATORS
            .iter()
            .filter_map(|s| head.rfind(s).map(|at| (at, s.len())))
            .max_by_key(|&(at, _)| at)
        else {
            break;
        };
        let (before, after) = (&head[..at], &head[at + len..]);
        if !(1..=4).contains(&words(after)) || words(before) < 3 {
            break;
        }
        head = before.trim_end();
    }
    head
}

/// The separators after which a title's ending may be a site's name ([`title_head`]).
const TITLE_SEPARATORS: [&str; 7] = [" | ", " - ", " – ", " — ", " · ", " » ", " :: "];

/// The first of the endings [`title_head`] takes off a title ("No. 13" of "… – No. 13 |
/// Kosovo 2.0"), as its words other than numbers and its numbers, each as
/// [`match_words`] reads them.
fn first_ending(title: &str) -> (Vec<String>, Vec<String>) {
    let mut ending = &title.trim_end()[title_head(title).len()..];
    if let Some(rest) = TITLE_SEPARATORS.iter().find_map(|s| ending.strip_prefix(s)) {
        ending = rest;
    }
    if let Some(end) = TITLE_SEPARATORS.iter().filter_map(|s| ending.find(s)).min() {
        ending = &ending[..end];
    }
    let (mut words, mut numbers) = (Vec::new(), Vec::new());
    match_words(ending, |w| {
        if w.bytes().all(|b| b.is_ascii_digit()) {
            numbers.push(w.to_string());
        } else {
            words.push(w.to_string());
        }
    });
    (words, numbers)
}

/// Whether two titles' first endings are one marker of a series with other numbers: "No. 12"
/// and "No. 13", "Part 1" and "Part 2" (issues or parts, never one story). Endings of other
/// words ("Kosovo 2.0" and "RTV 21": sites' names) are not.
pub(super) fn other_issues(a: &str, b: &str) -> bool {
    let (a, b) = (first_ending(a), first_ending(b));
    !a.1.is_empty() && !b.1.is_empty() && a.0 == b.0 && a.1 != b.1
}

/// How many site names [`title_head`] takes off a title's end, at most.
const TITLE_ENDINGS: usize = 3;

/// The longest title, in bytes, of which [`title_head`] takes anything off.
const TITLE_HEAD_MAX: usize = 1000;

/// Calls `word` with each word of `text` as copies of a story are compared: its letters and
/// digits lowercased and without their accents (`ë` and `e`, `č`, `ć` and `c` are one, in
/// composed or decomposed form; `đ` is written `dj`), so a partner that writes Albanian or
/// Serbian Latin without them still matches. Scripts stay apart: a story in Cyrillic and its
/// Latin edition are two (the language feeds list each).
fn match_words(text: &str, mut word: impl FnMut(&str)) {
    use unicode_normalization::char::{decompose_canonical, is_combining_mark};
    let mut w = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            w.push(c.to_ascii_lowercase());
            continue;
        }
        // Combining marks, and the joiners text keeps within a word (an emoji family, Persian),
        // are no break: a copy written with them matches one written without.
        if !c.is_ascii() && (is_combining_mark(c) || matches!(c, '\u{200c}' | '\u{200d}')) {
            continue;
        }
        if c.is_alphanumeric() {
            match c {
                'đ' | 'Đ' => w.push_str("dj"),
                _ => decompose_canonical(c, |d| {
                    if !is_combining_mark(d) {
                        w.extend(d.to_lowercase());
                    }
                }),
            }
            continue;
        }
        if !w.is_empty() {
            word(&w);
            w.clear();
        }
    }
    if !w.is_empty() {
        word(&w);
    }
}
