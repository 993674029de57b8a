//! The store: the only module that touches sled.
//!
//! Two sled databases in the store directory. The stories and their indexes (the directory
//! itself):
//! - `items`: item id → [`Item`](crate::model::Item) (MessagePack with named fields, so a
//!   store survives field additions; LZ4-compressed; see `records`)
//! - `by_published`: listed ‖ published ‖ id → the story's language and topics (newest first
//!   when iterated in reverse; listed is where the feeds list it, see
//!   [`crate::model::listed_at`])
//! - `by_seen`: time ‖ id → more ids: the stories a feed brought at that time, in entries of
//!   at most 256 (an entry with an empty value names one story); a story is in it at its
//!   first-seen time and again at the time each later source first carried it
//! - `by_source`: source ‖ 0 ‖ listed ‖ published ‖ id → () (one entry per carrying source,
//!   listed from when that source first carried the story)
//! - `matches`: number → a feed's writes to the identity, link and title indexes, held in
//!   memory (see `matching`): a hash of source ‖ 0 ‖ identity → id ‖ raw hash (within-source
//!   de-duplication); the hash of a link's dedupe key → id, the hash of a normalized title →
//!   [(id, published)] (cross-source de-duplication, titles within a time window)
//! - `gone`: the identities of stories that retention removed, keyed as in `matches`, kept
//!   as tombstones on disk alone (see `prune`)
//! - `digests`: digest name ‖ 0 ‖ period end → [`crate::model::DigestRecord`]
//! - `digests_told`: the same keys, of the digests that have stories → nothing
//! - `meta`: schema version
//! - `journal`: the writes of the feed being applied, until they are made (see `journal`)
//!
//! and the sources' states (`states/`, small): `sources`: source id →
//! [`SourceState`](crate::model::SourceState); `served`: a served document's path → its ETag
//! and since when (see [`Store::served`]); and its own `meta`. A pass that finds nothing new
//! reads and writes only the small one, so `tributary fetch` opens the large one only when a
//! source has something to store ([`Store::open_lazy`]): sled reads a page table proportional
//! to the whole store when it opens it, which on a store of half a million stories takes as
//! long as a pass over 10,000 unchanged sources.
//!
//! Each fetched feed is applied all or nothing (through the journal) and flushed; only then
//! is the source's new state (validators, body hash) recorded. After a crash a feed's stories
//! are either all there or none is, and its validators are never newer than its stories, so a
//! feed can never be skipped as "not modified" without its items: at worst it is fetched and
//! read again, and every item is found unchanged.

mod apply;
pub mod backup;
mod blobs;
mod dedupe_keys;
mod digests;
mod disk;
mod error;
mod journal;
mod keys;
mod matching;
mod open;
mod prune;
mod read;
mod reclassify;
mod records;
mod sources;
mod states;

#[cfg(test)]
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use crate::config::StoreConfig;

use disk::sync_log;
use open::STATES_DIR;

pub use apply::{ApplyReport, Staged, TopicsOf};
pub use error::StoreError;
pub use read::Query;

/// The store schema this build reads and writes. Version 1 kept the sources' states with the
/// stories; they are moved to their own database when a version 1 store is first opened.
/// Version 2 stored stories as plain JSON; version 3 compresses the ones it writes (and reads
/// both). Version 4 keys the `links` and `titles` trees by a 16-byte hash of the canonical
/// link or title instead of its text (they are rebuilt from the stories when an older store
/// is first opened), and packs a feed's stories into one `by_seen` entry (entries of one
/// story, as older versions wrote them, still read). Version 5 writes each story's language
/// and topics into its publication entry (filled in from the stories when an older store is
/// first opened; an empty entry still reads). Version 6 writes story records as MessagePack
/// (the JSON records of earlier versions still read, so a version 5 store needs no change).
/// Version 7 keeps the sources' states in buckets (`states`; moved from one value per
/// source when the states database is first opened; the stories' database only changes its
/// number). Version 8 keeps the link and title indexes in memory, logged in the `matches`
/// tree (`matching`), and version 9 the identity index too (the `links`, `titles` and
/// `idents` trees of older versions are moved into it when the store is first opened).
/// Version 10 keys the publication and source indexes by where the feeds list a story
/// ([`crate::model::listed_at`]: a story that arrived late is listed when it arrived) instead
/// of its date (rebuilt from the stories when an older store is first opened). Version 11
/// keys the link and title indexes by forms that read more spellings of one page or title as
/// one (rekeyed from the stories), and its stories may name an entry by its link and title
/// ([`crate::model::Identity::Titled`]). Version 12 indexes a title also without the site's
/// name after it (`dedupe_keys::title_keys`; rekeyed from the stories). Version 13 reads more
/// spellings of a link as one (an AMP cache's copy, `.amp`, a directory's `index.html`;
/// rekeyed from the stories). Older builds refuse
/// a newer version: they would leave entries stale, or take records they cannot read for
/// damage.
pub const SCHEMA_VERSION: u64 = 13;

/// The sled-backed store.
pub struct Store {
    /// Where the store lives, its cache size and its retention, as configured.
    config: StoreConfig,
    /// The sources' states.
    states_db: sled::Db,
    /// The sources' states, held in memory and written back in buckets ([`states`]).
    states: states::States,
    /// The served documents' validators: URL path → ETag ‖ 0 ‖ Last-Modified (seconds), so a
    /// document the daemon renders again after a restart, byte for byte the same, keeps its
    /// date (see [`Store::served`]).
    served: sled::Tree,
    /// The stories and their indexes, opened on first use by [`Store::open_lazy`].
    main: OnceLock<Main>,
    /// Held while the stories' database opens; keeps why it could not be, when that is
    /// permanent (damaged, newer schema), so later calls fail at once instead of each reading
    /// the whole store again.
    opening: Mutex<Option<Unopenable>>,
    /// One feed is worked out at a time, so cross-source matching sees every earlier feed
    /// (including those whose writes are still queued: see [`journal`]).
    writer: Mutex<()>,
}

/// A store at `path` with a small cache and no retention, for tests.
#[cfg(test)]
pub(crate) fn test_config(path: &Path) -> StoreConfig {
    StoreConfig {
        path: path.to_path_buf(),
        cache_capacity: 8 << 20,
        max_age: None,
        max_items_per_source: None,
    }
}

/// Why the stories' database cannot be opened, for as long as the store is.
enum Unopenable {
    /// Its files are damaged: what is wrong.
    Damaged(String),
    /// A newer build wrote it: the schema version found.
    Schema(u64),
}

/// Both of the store's write locks (see [`Store::write_lock`]).
struct WriteGuard<'a> {
    /// The lock queued writes are made under ([`Main::applying`]).
    _applying: std::sync::MutexGuard<'a, ()>,
    /// The lock a feed is worked out under ([`Store::writer`]).
    _writer: std::sync::MutexGuard<'a, ()>,
}

/// The database of stories and indexes.
struct Main {
    /// The stories' sled database, which holds every tree below.
    db: sled::Db,
    /// The stories' records by id ([`records`]).
    items: sled::Tree,
    /// Each story where the feeds list it, with its language and topics.
    by_published: sled::Tree,
    /// The stories a feed brought, or carried anew, at each time.
    by_seen: sled::Tree,
    /// Each source's stories, where the feeds list them.
    by_source: sled::Tree,
    /// The log of the identity, link and title indexes ([`matching`]).
    matches: sled::Tree,
    /// The identities of stories that retention removed: 16-byte hash of source ‖ 0 ‖
    /// identity (as [`matching`] keys them) → id ‖ raw hash. On disk only, so that a daemon's
    /// memory does not grow with every story it ever removed.
    gone: sled::Tree,
    /// The identity, link and title indexes, once read from their log.
    matching: std::sync::RwLock<Option<matching::Matching>>,
    /// The number of the next entry of their log.
    next_match: std::sync::atomic::AtomicU64,
    /// The digests built, by name and period end ([`digests`]).
    digests: sled::Tree,
    /// The digests that have stories: the same keys as `digests`, no values (see
    /// [`digests`]).
    told: sled::Tree,
    /// The writes of the feed being applied (see [`journal`]).
    journal: sled::Tree,
    /// sled's log segment size for this store.
    segment_size: usize,
    /// sled's log file ([`Main::sync`]).
    log: std::path::PathBuf,
    /// The tree nodes sled keeps in files of their own.
    blobs: blobs::Blobs,
    /// Story records created less story records removed since the database was opened,
    /// moved by [`journal`] as it makes each write (so a feed finished after a failure or a
    /// crash counts too).
    net_stories: std::sync::atomic::AtomicI64,
    /// Held while queued writes are made (see [`journal`]); taken after the writer lock
    /// when both are held.
    applying: Mutex<()>,
    /// Feeds' writes worked out and not yet made: later feeds read them first
    /// ([`journal::Pending::get`]).
    queued: std::sync::RwLock<journal::Queue>,
    /// The turn of the next writes queued.
    next_turn: std::sync::atomic::AtomicU64,
}

impl Main {
    /// Makes every write so far durable: the node files sled wrote outside its log (see
    /// [`blobs`]), then its log.
    fn flush(&self) -> Result<(), StoreError> {
        self.blobs.sync().map_err(sled::Error::Io)?;
        self.db.flush()?;
        Ok(())
    }

    /// [`Main::flush`], and through the disk's own cache: sled's flush waits for its log's
    /// pages to be written ([`sync_log`]), which a power cut can still take back. For what
    /// must not go back (a digest's send marks, the stories under the states written next).
    fn sync(&self) -> Result<(), StoreError> {
        self.flush()?;
        sync_log(&self.log)
    }
}

impl Store {
    /// Both write locks, once every feed's writes are made (and one that failed part way is
    /// finished): whoever holds them sees the store as the last feed left it (see
    /// [`journal`]).
    fn write_lock(&self) -> Result<(WriteGuard<'_>, &Main), StoreError> {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let main = self.main()?;
        let applying = main.applying.lock().unwrap_or_else(|e| e.into_inner());
        journal::make_queued(main, u64::MAX)?;
        Ok((
            WriteGuard {
                _applying: applying,
                _writer: writer,
            },
            main,
        ))
    }

    /// Writes everything to disk, source states kept in memory included.
    pub fn flush(&self) -> Result<(), StoreError> {
        // The stories first: a state must never reach the disk before them.
        if let Some(main) = self.main.get() {
            main.sync()?;
        }
        self.states.write()?;
        self.states_db.flush()?;
        sync_log(&self.config.path.join(STATES_DIR).join("db"))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // Best effort: every caller that can report an error flushes before this.
        if let Err(e) = self.flush() {
            tracing::error!(error = %e, "could not write source states on close");
        }
    }
}

#[cfg(test)]
mod tests;
