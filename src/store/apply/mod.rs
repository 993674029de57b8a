//! Applying one fetched feed: within-source identity, cross-source matching by link and by
//! title, and every index, all or nothing (see [`super::journal`]); the source's new state
//! once it is on disk.
//!
//! A feed is worked out as one [`Tx`] under the writer lock, entry by entry ([`entry`]): this
//! source's entry seen before ([`recognise`], and under a GUID given anew: [`guids`]), another
//! source's copy of a stored story ([`find`]), or a new story ([`new_story`]). What an entry
//! back again changes is in [`edits`] and [`write`](mod@write); how two texts are compared,
//! in [`texts`].

mod edits;
mod entry;
mod find;
mod guids;
mod new_story;
mod recognise;
mod texts;
mod write;

use std::collections::HashMap;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sled::IVec;

use super::dedupe_keys::DedupeKey;
use super::journal::{Index, Pending};
use super::keys;
use super::{Store, StoreError};
use crate::config::DedupeConfig;
use crate::model::{Identity, Item, ItemId, NewItem, SourceState, TopicMatch};
use texts::Pairs;

#[cfg(test)]
pub(in crate::store) use texts::texts_agree;

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

/// Where the `gone` tree marks that retention recorded the tombstone of an entry told by its
/// link (identity index key `alone`) under the link and the story's title too: a later entry
/// under that link alone is then the removed story only under that title.
pub(super) fn titled_mark(alone: &[u8]) -> [u8; 16] {
    let mut marked = alone.to_vec();
    marked.extend_from_slice(b"\0titled");
    super::matching::ident_hash(&marked)
}

/// Where the `gone` tree keeps the date of a story that retention removed, beside its
/// tombstone under the link-and-title identity key `titled` (see [`Tx::recurs`]).
pub(super) fn titled_date(titled: &[u8]) -> [u8; 16] {
    let mut dated = titled.to_vec();
    dated.extend_from_slice(b"\0date");
    super::matching::ident_hash(&dated)
}

type TxResult<T> = Result<T, StoreError>;

/// What `find_story` read of the link and title indexes when it found no story.
#[derive(Default)]
struct Probe {
    /// That entry names a story that is stored (or says several are): a new story with this
    /// link makes it [`SHARED_LINK`](super::dedupe_keys::SHARED_LINK).
    link_owned: bool,
    /// The stories already stored under each title key.
    titles: [Vec<(ItemId, i64)>; 2],
    /// The new item's link key and title keys
    /// ([`title_keys`](super::dedupe_keys::title_keys)), worked out once.
    link_key: Option<DedupeKey>,
    /// The new item's title keys, worked out with its link key.
    title_keys: [Option<DedupeKey>; 2],
    /// The story found is this source's own, its entry moved to a new GUID and another
    /// page ([`Tx::moved_away`]).
    moved: bool,
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
        keys::raw_hash(&self.value[16..])
    }

    /// What follows the raw hash: for a tombstone of a story told by its GUID, what it keeps of
    /// the story ([`keys::Removed`]); else nothing.
    fn tail(&self) -> &[u8] {
        &self.value[16 + self.hash().len()..]
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
    /// The feed's writes so far, which its later entries read back first.
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
    /// Whether the feed has entries without a GUID of their own (`claimed` is kept for them).
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
    /// The source whose feed this is.
    source: &'a str,
    /// The time the feed is applied at: what it stores is first seen, or changed, then.
    now: DateTime<Utc>,
    /// How copies across sources are told apart (`[dedupe]`).
    dedupe: &'a DedupeConfig,
    /// The topics of a story the feed creates or changes.
    topics_of: TopicsOf<'a>,
}

/// Stories a feed's apply keeps decoded (see [`Tx::get`]).
const READ_KEPT: usize = 64;

/// Stories whose word pairs a feed's apply keeps (see [`Tx::story_pairs`]).
const PAIRS_KEPT: usize = 256;
