//! The store: the only module that touches sled.
//!
//! Two sled databases in the store directory. The stories and their indexes (the directory
//! itself):
//! - `items`: item id → [`Item`] (JSON, so a store survives field additions; LZ4-compressed)
//! - `by_published`: listed ‖ published ‖ id → the story's language and topics (newest first
//!   when iterated in reverse; listed is where the feeds list it, see
//!   [`crate::model::listed_at`])
//! - `by_seen`: time ‖ id → more ids: the stories a feed brought at that time, in entries of
//!   at most 256 (an entry with an empty value names one story); a story is in it at its
//!   first-seen time and again at the time each later source first carried it
//! - `by_source`: source ‖ 0 ‖ listed ‖ published ‖ id → () (one entry per carrying source,
//!   listed from when that source first carried the story)
//! - `matches`: number → a feed's writes to the identity, link and title indexes, held in
//!   memory (see [`matching`]): a hash of source ‖ 0 ‖ identity → id ‖ raw hash (within-source
//!   de-duplication); the hash of a link's dedupe key → id, the hash of a normalized title →
//!   [(id, published)] (cross-source de-duplication, titles within a time window)
//! - `gone`: the identities of stories that retention removed, keyed as in `matches`, kept
//!   as tombstones on disk alone (see [`prune`])
//! - `digests`: digest name ‖ 0 ‖ period end → [`crate::model::DigestRecord`]
//! - `digests_told`: the same keys, of the digests that have stories → nothing
//! - `meta`: schema version
//! - `journal`: the writes of the feed being applied, until they are made (see [`journal`])
//!
//! and the sources' states (`states/`, small): `sources`: source id → [`SourceState`];
//! `served`: a served document's path → its ETag and since when (see [`Store::served`]);
//! and its own `meta`. A pass that finds nothing new reads and writes only the small one, so
//! `tributary fetch` opens the large one only when a source has something to store
//! ([`Store::open_lazy`]): sled reads a page table proportional to the whole store when it
//! opens it, which on a store of half a million stories takes as long as a pass over 10,000
//! unchanged sources.
//!
//! Each fetched feed is applied all or nothing (through the journal) and flushed; only then
//! is the source's new state (validators, body hash) recorded. After a crash a feed's stories
//! are either all there or none is, and its validators are never newer than its stories, so a
//! feed can never be skipped as "not modified" without its items: at worst it is fetched and
//! read again, and every item is found unchanged.

mod apply;
pub mod backup;
mod blobs;
mod digests;
mod journal;
mod keys;
mod matching;
mod prune;
mod states;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Utc};

use crate::config::StoreConfig;
use crate::model::{Identity, Item, ItemId, SourceState};

pub use apply::{ApplyReport, Staged, TopicsOf};

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
/// Version 7 keeps the sources' states in buckets ([`states`]; moved from one value per
/// source when the states database is first opened; the stories' database only changes its
/// number). Version 8 keeps the link and title indexes in memory, logged in the `matches`
/// tree ([`matching`]), and version 9 the identity index too (the `links`, `titles` and
/// `idents` trees of older versions are moved into it when the store is first opened).
/// Version 10 keys the publication and source indexes by where the feeds list a story
/// ([`crate::model::listed_at`]: a story that arrived late is listed when it arrived) instead
/// of its date (rebuilt from the stories when an older store is first opened). Version 11
/// keys the link and title indexes by forms that read more spellings of one page or title as
/// one (rekeyed from the stories), and its stories may name an entry by its link and title
/// ([`crate::model::Identity::Titled`]). Version 12 indexes a title also without the site's
/// name after it ([`apply::title_keys`]; rekeyed from the stories). Version 13 reads more
/// spellings of a link as one (an AMP cache's copy, `.amp`, a directory's `index.html`;
/// rekeyed from the stories). Older builds refuse
/// a newer version: they would leave entries stale, or take records they cannot read for
/// damage.
pub const SCHEMA_VERSION: u64 = 13;

/// The stories' database's `meta` key present while an upgrade rebuilds the indexes: the
/// schema it upgrades from (one byte).
const REBUILDING_KEY: &str = "rebuilding from";

/// Where the sources' states live, inside the store directory.
const STATES_DIR: &str = "states";

/// The states database's `meta` keys: its schema version, and "the stories' database has
/// been created".
const STATES_SCHEMA_KEY: &str = "schema";
/// Version 1 kept one JSON value per source, and is upgraded when opened. Version 7 keeps
/// them in buckets (see [`states`]): numbered as the store schema that brought it, so that a
/// build reading an older schema refuses the store with that number whichever database it
/// checks first. A later store schema that leaves the states as they are leaves this at 7.
const STATES_SCHEMA_VERSION: u64 = 7;
const STORIES_KEY: &str = "stories";

/// sled's cache for the states database: a few MB of states.
const STATES_CACHE: u64 = 8 << 20;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process has the store open.
    #[error("the store at {} is in use by another process (a running tributary daemon, or another tributary command until it ends)", path.display())]
    Locked {
        /// The store directory.
        path: PathBuf,
    },
    /// sled could not open the store (not a folder, not writable, disk full…).
    #[error("cannot open the store at {}: {error}{}", path.display(), room_hint(error))]
    Open {
        /// The store directory.
        path: PathBuf,
        /// What sled said (in the message, not as a source, so it is printed once).
        error: sled::Error,
    },
    /// The store's files are damaged: sled reported corruption, or a folder that held a
    /// database opened without the schema version every store has.
    #[error("the store at {} is damaged ({detail}). Move the folder aside and restore a backup (`tributary import`), or start with an empty store", path.display())]
    Damaged {
        /// The store directory.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The store was written by a newer Tributary.
    #[error("the store at {} has schema version {found}; this tributary reads version {SCHEMA_VERSION} (upgrade tributary, or export/import)", path.display())]
    Schema {
        /// The store directory.
        path: PathBuf,
        /// The version found.
        found: u64,
    },
    /// A read or write failed (disk full, IO error, corruption).
    #[error("store error: {}", sled_message(.0))]
    Sled(sled::Error),
    /// A stored record could not be decoded.
    #[error("corrupt record in tree {tree}: {message}")]
    Corrupt {
        /// The tree holding it.
        tree: &'static str,
        /// The decoding error.
        message: String,
    },
}

/// What to do about a store that cannot be opened for want of room: sled writes as it opens a
/// store, even for a command that only reads it.
fn room_hint(error: &sled::Error) -> &'static str {
    match error {
        // As the system said it, or as sled passes on what its background writer met (see
        // [`sled_message`]).
        sled::Error::Io(io)
            if io.kind() == std::io::ErrorKind::StorageFull
                || io.to_string().contains("StorageFull") =>
        {
            " (the store needs some free space to open, even to be read or exported: free some on its disk, or copy the folder to one with room and use --data-dir)"
        }
        _ => "",
    }
}

// Not `#[from]`, which would make sled's error the source too: printed with its causes, the
// message would say it twice.
impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> StoreError {
        StoreError::Sled(e)
    }
}

/// What sled said, readable: its I/O errors as the system words them ("No space left on
/// device (os error 28)") rather than as Rust writes their structure.
fn sled_message(e: &sled::Error) -> String {
    match e {
        sled::Error::Io(io) => {
            // An error sled met in its background writer comes back to every later call with
            // the first one's structure as its text: `Os { code: 28, kind: StorageFull,
            // message: "No space left on device" }`.
            let text = io.to_string();
            let worded = text
                .strip_prefix("Os { code: ")
                .and_then(|rest| {
                    let (code, rest) = rest.split_once(',')?;
                    let (_, message) = rest.split_once("message: \"")?;
                    Some(format!(
                        "{} (os error {code})",
                        message.strip_suffix("\" }")?
                    ))
                })
                .unwrap_or(text);
            format!("cannot read or write the disk: {worded}")
        }
        other => other.to_string(),
    }
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

/// Which items to list.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only items carried by this source.
    pub source: Option<String>,
    /// Only items with this topic.
    pub topic: Option<String>,
    /// Only items in this language (a BCP 47 range: `sr` also lists `sr-Latn` and `sr-Cyrl`).
    pub lang: Option<String>,
    /// At most this many (newest first).
    pub limit: usize,
}

/// The room [`Store::room_to_reopen`] asks for: a few of sled's log segments (512 KiB each)
/// and its snapshot, with margin.
const ROOM_TO_REOPEN: u64 = 16 << 20;

/// Whether a disk with `available` bytes free to us, mounted read-only or not, has room for a
/// new process to open the store ([`Store::room_to_reopen`]).
fn enough_room(available: u64, read_only: bool) -> std::io::Result<()> {
    if read_only {
        return Err(std::io::Error::new(
            std::io::ErrorKind::ReadOnlyFilesystem,
            "the store's file system is mounted read-only",
        ));
    }
    if available < ROOM_TO_REOPEN {
        return Err(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            format!(
                "{available} bytes free on the store's disk; a new process needs {ROOM_TO_REOPEN} to open it"
            ),
        ));
    }
    Ok(())
}

/// The sled-backed store.
pub struct Store {
    config: StoreConfig,
    /// The sources' states.
    states_db: sled::Db,
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

/// Why the stories' database cannot be opened, for as long as the store is.
enum Unopenable {
    Damaged(String),
    Schema(u64),
}

/// Both of the store's write locks (see [`Store::write_lock`]).
struct WriteGuard<'a> {
    _applying: std::sync::MutexGuard<'a, ()>,
    _writer: std::sync::MutexGuard<'a, ()>,
}

/// The database of stories and indexes.
struct Main {
    db: sled::Db,
    items: sled::Tree,
    by_published: sled::Tree,
    by_seen: sled::Tree,
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

/// `fdatasync` of a sled database's log (`dir/db`): sled 0.34's flush on Linux is a
/// `sync_file_range`, which neither writes the file's new length nor empties the drive's
/// write cache; its background flusher syncs for real only every half second.
fn sync_log(log: &Path) -> Result<(), StoreError> {
    std::fs::File::open(log)
        .and_then(|f| f.sync_data())
        .map_err(|e| StoreError::from(sled::Error::Io(e)))
}

impl Store {
    /// Opens (or creates) the store directory. Every failure names the directory; a damaged
    /// store is an error, never silently replaced by an empty one.
    pub fn open(config: &StoreConfig) -> Result<Store, StoreError> {
        let store = Store::open_lazy(config)?;
        store.main()?;
        Ok(store)
    }

    /// [`Store::open`], except that the stories' database is opened when first needed: a
    /// fetch whose sources all answer "not modified" reads and writes only their states. An
    /// error opening it is then reported by the first call that needs it.
    pub fn open_lazy(config: &StoreConfig) -> Result<Store, StoreError> {
        let path = config.path.join(STATES_DIR);
        let existed = has_database(&path);
        let main_existed = has_database(&config.path);
        let creating = mark_creating(&path, existed);
        let states_db = open_db(
            &config.path,
            &path,
            sled::Config::new()
                .path(&path)
                .cache_capacity(STATES_CACHE)
                .mode(sled::Mode::LowSpace),
        )?;
        let meta = states_db.open_tree("meta")?;
        let mut keyed_states = false;
        let upgrade = match meta.get(STATES_SCHEMA_KEY)? {
            Some(v) => {
                match schema_of(&v, &config.path)? {
                    STATES_SCHEMA_VERSION => {}
                    1 => keyed_states = true,
                    found => {
                        return Err(StoreError::Schema {
                            path: config.path.clone(),
                            found,
                        })
                    }
                }
                false
            }
            // The states database is marked once the stories' one is known to be opened and
            // upgraded (`Store::mark_states`): until then a schema 1 store is upgraded again.
            // A build of schemas 2–6 cut short in that upgrade may have left states in the
            // keyed layout here already: they are moved into buckets too.
            None if main_existed => {
                keyed_states = true;
                true
            }
            None if existed && !never_written(&states_db, creating)? => {
                return Err(StoreError::Damaged {
                    path: config.path.clone(),
                    detail: "its states database has no schema version".into(),
                })
            }
            None => {
                meta.insert(STATES_SCHEMA_KEY, &STATES_SCHEMA_VERSION.to_be_bytes())?;
                states_db.flush()?;
                false
            }
        };
        // Created, or being upgraded (which a stop part way starts again by itself).
        if creating {
            created(&path);
        }
        let store = Store {
            config: config.clone(),
            states: states::States::new(states_db.open_tree(states::TREE)?),
            served: states_db.open_tree("served")?,
            states_db,
            main: OnceLock::new(),
            opening: Mutex::new(None),
            writer: Mutex::new(()),
        };
        if keyed_states {
            let moved = states::move_keyed(&store.states_db.open_tree("sources")?, &store.states)?;
            store.states_db.flush()?;
            if !upgrade {
                // Otherwise marked with the stories' database (`Store::mark_states`).
                meta.insert(STATES_SCHEMA_KEY, &STATES_SCHEMA_VERSION.to_be_bytes())?;
                store.states_db.flush()?;
            }
            store.states_db.drop_tree("sources")?;
            if moved > 0 {
                tracing::info!(
                    store = %config.path.display(),
                    sources = moved,
                    "upgraded the states database: states kept in buckets"
                );
            }
        }
        if upgrade {
            // A store written before the states had a database of their own: move them now.
            store.main()?;
        }
        Ok(store)
    }

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

    /// The stories' database, opened (and upgraded from an older schema) on first use.
    fn main(&self) -> Result<&Main, StoreError> {
        if let Some(main) = self.main.get() {
            return Ok(main);
        }
        let mut failed = self.opening.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(main) = self.main.get() {
            return Ok(main);
        }
        let path = self.config.path.clone();
        match &*failed {
            Some(Unopenable::Damaged(detail)) => {
                let detail = detail.clone();
                return Err(StoreError::Damaged { path, detail });
            }
            Some(Unopenable::Schema(found)) => {
                return Err(StoreError::Schema {
                    path,
                    found: *found,
                })
            }
            None => {}
        }
        let main = self.open_main().inspect_err(|e| {
            *failed = match e {
                StoreError::Damaged { detail, .. } => Some(Unopenable::Damaged(detail.clone())),
                StoreError::Schema { found, .. } => Some(Unopenable::Schema(*found)),
                _ => None,
            }
        })?;
        self.mark_states()?;
        Ok(self.main.get_or_init(|| main))
    }

    /// Records in the states database that its schema is in force and that the stories'
    /// database exists (so that one missing later is damage, not a new store).
    fn mark_states(&self) -> Result<(), StoreError> {
        let meta = self.states_db.open_tree("meta")?;
        if meta.get(STORIES_KEY)?.is_none() || meta.get(STATES_SCHEMA_KEY)?.is_none() {
            meta.insert(STATES_SCHEMA_KEY, &STATES_SCHEMA_VERSION.to_be_bytes())?;
            meta.insert(STORIES_KEY, &[1])?;
            self.states_db.flush()?;
        }
        Ok(())
    }

    fn open_main(&self) -> Result<Main, StoreError> {
        let path = &self.config.path;
        // sled replays its log up to the first unreadable record, so a log damaged near its
        // start opens as an empty database; the schema version tells that from a new store.
        let existed = has_database(path);
        let vouched = self
            .states_db
            .open_tree("meta")?
            .get(STORIES_KEY)?
            .is_some();
        if !existed && vouched {
            // The states vouch for stories that are gone: creating an empty database here
            // would have every source answer "not modified" over it for good.
            return Err(StoreError::Damaged {
                path: path.clone(),
                detail: "its stories' database is missing".into(),
            });
        }
        let segments = segment_size(path);
        let creating = mark_creating(path, existed);
        let db = open_db(
            path,
            path,
            sled::Config::new()
                .path(path)
                .segment_size(segments)
                .cache_capacity(self.config.cache_capacity)
                .mode(sled::Mode::LowSpace),
        )?;
        let tree = |name: &str| db.open_tree(name);
        let main = Main {
            items: tree("items")?,
            by_published: tree("by_published")?,
            by_seen: tree("by_seen")?,
            by_source: tree("by_source")?,
            next_match: std::sync::atomic::AtomicU64::new(matching::next_number(&tree(
                "matches",
            )?)?),
            matches: tree("matches")?,
            gone: tree("gone")?,
            matching: std::sync::RwLock::new(None),
            digests: tree("digests")?,
            told: tree("digests_told")?,
            journal: tree("journal")?,
            segment_size: segments,
            blobs: blobs::Blobs::new(path),
            log: path.join("db"),
            net_stories: std::sync::atomic::AtomicI64::new(0),
            applying: Mutex::new(()),
            queued: std::sync::RwLock::new(journal::Queue::new()),
            next_turn: std::sync::atomic::AtomicU64::new(0),
            db,
        };
        let meta = main.db.open_tree("meta")?;
        let schema = match meta.get("schema")? {
            Some(v) => match schema_of(&v, path)? {
                found @ 1..=SCHEMA_VERSION => Some(found),
                found => {
                    return Err(StoreError::Schema {
                        path: path.clone(),
                        found,
                    })
                }
            },
            // A database whose first process stopped before writing its schema version holds
            // no more than its trees' names, and the states vouch for no stories yet.
            None if existed && (vouched || !never_written(&main.db, creating)?) => {
                return Err(StoreError::Damaged {
                    path: path.clone(),
                    detail: "its database has no schema version".into(),
                })
            }
            None => None,
        };
        // A feed that a crash left in the journal is finished first. One that a build of an
        // older schema recorded makes its identity, link and title writes to the trees that
        // schema kept them in, which then move into the log (below).
        let legacy = schema.is_some_and(|found| found < SCHEMA_VERSION);
        match journal::finish(&main, legacy) {
            Ok(true) => tracing::warn!(
                store = %path.display(),
                "finished applying a feed that a crash interrupted"
            ),
            Ok(false) => {}
            Err(StoreError::Corrupt { message, .. }) => {
                return Err(StoreError::Damaged {
                    path: path.clone(),
                    detail: format!("its journal is unreadable: {message}"),
                })
            }
            Err(e) => return Err(e),
        }
        let mut upgrade_from = None;
        match schema {
            // An upgrade that was cut short (see below): done again, whole, also by a build
            // of a later schema.
            Some(_) if meta.get(REBUILDING_KEY)?.is_some() => {
                let found = meta
                    .get(REBUILDING_KEY)?
                    .and_then(|v| v.first().copied())
                    .map_or(SCHEMA_VERSION, u64::from);
                if found < 4 {
                    // The log is rebuilt as at the first attempt: emptied, then the older
                    // trees still there (dropped only once the upgrade is done) moved in.
                    main.matches.clear()?;
                    matching::move_trees(&main)?;
                }
                upgrade_from = Some(found);
            }
            // Trees that an upgrade from an older schema left behind (a crash before they were
            // dropped).
            Some(SCHEMA_VERSION) => matching::drop_trees(&main)?,
            // Its records read as they are; only the stories written from now on differ (6),
            // or nothing in this database does (7: the states' buckets). The link and title
            // trees move into their log (8), and the identities (9). The feeds' indexes are
            // rebuilt (10, below), and the links rekeyed (11). A schema 11 or 12 store takes the
            // arm below: no trees to move, its titles (12) and links and titles (13) rekeyed.
            Some(found @ 5..=10) => {
                matching::move_trees(&main)?;
                upgrade_from = Some(found);
            }
            Some(found) => {
                if found == 1 {
                    self.move_states_from(&main.db)?;
                }
                if found < 4 {
                    // Links and titles keyed by their text: rebuilt from the stories below,
                    // into a log that holds nothing else yet (what an upgrade that a crash cut
                    // short logged goes).
                    main.matches.clear()?;
                    for name in ["links", "titles"] {
                        main.db.drop_tree(name)?;
                    }
                }
                matching::move_trees(&main)?;
                // Version 2 stories stay as they are: plain JSON records still read.
                upgrade_from = Some(found);
            }
            None => {
                meta.insert("schema", &SCHEMA_VERSION.to_be_bytes())?;
                main.flush()?;
            }
        }
        // A schema version found or written: a mark left by a process that stopped after
        // writing it must not make a later damaged log pass for a new store.
        if creating {
            created(path);
        }
        // After a feed finished above, or the trees moved: they took the numbers after the
        // log's last entry.
        main.next_match.store(
            matching::next_number(&main.matches)?,
            std::sync::atomic::Ordering::Relaxed,
        );
        if let Some(found) = upgrade_from {
            tracing::info!(
                store = %path.display(),
                from = found,
                to = SCHEMA_VERSION,
                stories = main.items.len(),
                "upgrading the store: rebuilding its indexes (reads every story once)"
            );
            // Marked first as this schema, rebuilding: an older build refuses the store while
            // its indexes are partly rewritten (it would read them as whole), and this one
            // starts the rebuild over if it is cut short.
            meta.insert(REBUILDING_KEY, &[u8::try_from(found).unwrap_or(u8::MAX)])?;
            meta.insert("schema", &SCHEMA_VERSION.to_be_bytes())?;
            main.flush()?;
            let stories = backup::upgrade_indexes(&main)?;
            meta.remove(REBUILDING_KEY)?;
            main.flush()?;
            matching::drop_trees(&main)?;
            tracing::info!(
                store = %path.display(),
                from = found,
                to = SCHEMA_VERSION,
                stories,
                "upgraded the store: indexes rebuilt"
            );
        }
        digests::list_told(&main)?;
        Ok(main)
    }

    /// Copies the states a schema version 1 store kept with its stories into the states
    /// database (a state already there is newer and stays), flushes, then drops the old tree.
    fn move_states_from(&self, main: &sled::Db) -> Result<(), StoreError> {
        states::move_keyed(&main.open_tree("sources")?, &self.states)?;
        self.states_db.flush()?;
        main.drop_tree("sources")?;
        Ok(())
    }

    /// Opens and closes the store at once, after a session that wrote a lot. sled records a
    /// snapshot of its page table only when it opens a store, and every open replays the log
    /// written since the last snapshot: after a cold fetch of 10,000 feeds that replay made
    /// the next start take 4 s more. Done here, while the log is still in the page cache, the
    /// next start does not pay it.
    pub fn checkpoint(config: &StoreConfig) -> Result<(), StoreError> {
        Store::open(config).map(drop)
    }

    /// Reads the indexes that match fetched entries to stored stories into memory now (see
    /// [`matching`]), rather than when the first entry is stored: the daemon does it once it
    /// serves, so its first fetch with something new does not wait for it.
    pub fn load_matching(&self) -> Result<(), StoreError> {
        matching::with(self.main()?, |_| ())
    }

    /// Number of stored stories. Counted on the publication index (one small key per story),
    /// not on the stories themselves: sled counts by visiting every entry, and visiting the
    /// stories would read the whole store into memory.
    /// 0 when the stories' database cannot be opened (the error is reported where it matters).
    pub fn item_count(&self) -> usize {
        self.main().map_or(0, |m| m.by_published.len())
    }

    /// The stories in the store counted (a walk of the publication index) with the writer
    /// held, and [`Store::net_stories`] at that moment: the count at any later time is the
    /// first plus how much the second has moved since, without walking the index again.
    pub fn counted_stories(&self) -> Result<(usize, i64), StoreError> {
        let (_one_writer, main) = self.write_lock()?;
        Ok((
            main.by_published.len(),
            main.net_stories.load(std::sync::atomic::Ordering::Acquire),
        ))
    }

    /// Story records created less story records removed since the stories' database was
    /// opened, through this handle (0 while it is not open).
    pub fn net_stories(&self) -> i64 {
        self.main.get().map_or(0, |m| {
            m.net_stories.load(std::sync::atomic::Ordering::Acquire)
        })
    }

    /// [`Store::item_count`] when the stories' database is open, without opening it.
    pub fn item_count_if_open(&self) -> Option<usize> {
        self.main.get().map(|m| m.by_published.len())
    }

    /// The ETag the document served at `path` last had, and since when, if it was recorded
    /// ([`Store::record_served`]).
    pub fn served(&self, path: &str) -> Option<(String, DateTime<Utc>)> {
        let value = self.served.get(path).ok()??;
        let (tag, secs) = value.split_at(value.iter().position(|&b| b == 0)?);
        let secs = i64::from_be_bytes(secs.get(1..9)?.try_into().ok()?);
        Some((
            String::from_utf8(tag.to_vec()).ok()?,
            DateTime::from_timestamp(secs, 0)?,
        ))
    }

    /// Records that the document at `path` has had the ETag `etag` since `since`. Written
    /// with sled's next flush (within half a second): a crash in that moment leaves the
    /// record before, which only ever dates a document anew or as it was served then.
    pub fn record_served(&self, path: &str, etag: &str, since: DateTime<Utc>) {
        let mut value = Vec::with_capacity(etag.len() + 9);
        value.extend_from_slice(etag.as_bytes());
        value.push(0);
        value.extend_from_slice(&since.timestamp().to_be_bytes());
        if let Err(e) = self.served.insert(path, value) {
            tracing::debug!(error = %e, path, "cannot record a served document's date");
        }
    }

    /// One item by id.
    pub fn item(&self, id: ItemId) -> Result<Option<Item>, StoreError> {
        self.main()?
            .items
            .get(id.0)?
            .map(|v| decode_item(&v))
            .transpose()
    }

    /// For each (identity, raw hash) of a source's feed: true when that exact version is stored,
    /// so the caller can skip normalizing it.
    pub fn unchanged(
        &self,
        source: &str,
        entries: &[(&Identity, &str)],
    ) -> Result<Vec<bool>, StoreError> {
        let main = self.main()?;
        entries
            .iter()
            .map(|(identity, hash)| {
                let key = keys::ident_key(source, &identity.key());
                let stored = match matching::get(main, journal::Index::Idents, &key)? {
                    Some(v) => Some(v),
                    None => main.gone.get(matching::ident_hash(&key))?,
                };
                Ok(stored
                    .as_deref()
                    .and_then(keys::split_ident_value)
                    .is_some_and(|(_, h)| h == hash.as_bytes()))
            })
            .collect()
    }

    /// Stored state of a source (default when never fetched).
    pub fn source_state(&self, source: &str) -> Result<SourceState, StoreError> {
        self.states.get(source)
    }

    /// Records a source's state after a fetch (applying a feed records it once the feed's
    /// stories are flushed). Kept in memory and written with every other such state in one
    /// batch by [`Store::flush`] (at the end of a `fetch`, every few seconds in the daemon, on
    /// exit): a warm pass over thousands of unchanged sources would otherwise rewrite sled's
    /// pages once per source. Reads see it at once. A crash can lose only states: the time of
    /// the last attempt, an error count, or validators newer than the stored ones. Never a
    /// story: the next fetch asks again with the older validators and finds its items stored.
    pub fn put_source_state(&self, source: &str, state: &SourceState) -> Result<(), StoreError> {
        self.states.put(source, state)
    }

    /// Every recorded source state, by source id (sources no longer configured included).
    pub fn source_states(&self) -> Result<Vec<(String, SourceState)>, StoreError> {
        self.states.all()
    }

    /// Items, newest first where the feeds list them (by publication date, a story that
    /// arrived late at the hour it arrived: see [`crate::model::listed_at`]).
    pub fn list(&self, q: &Query) -> Result<Vec<Item>, StoreError> {
        let limit = if q.limit == 0 { usize::MAX } else { q.limit };
        let keys: Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>> = match &q.source
        {
            Some(s) => Box::new(
                self.main()?
                    .by_source
                    .scan_prefix(keys::source_prefix(s))
                    .rev(),
            ),
            None => Box::new(self.main()?.by_published.iter().rev()),
        };
        let mut out = Vec::new();
        let mut listed = std::collections::HashSet::new();
        // Publication entries name a story's language and topics: a topic or language feed
        // reads only the stories that can be in it (source entries carry nothing).
        let by_meta = q.source.is_none() && (q.topic.is_some() || q.lang.is_some());
        for kv in keys {
            let (k, v) = kv?;
            if by_meta
                && keys::scope_meta_allows(&v, q.topic.as_deref(), q.lang.as_deref()) == Some(false)
            {
                continue;
            }
            let Some(id) = keys::id_suffix(&k) else {
                continue;
            };
            // A story whose publication time a feed being applied is changing can be listed
            // under both times for a moment (or, moved later, under neither).
            if !listed.insert(id) {
                continue;
            }
            let Some(item) = self.item(id)? else { continue };
            if let Some(t) = &q.topic {
                if !item.topic_names().any(|n| n == t) {
                    continue;
                }
            }
            if let Some(range) = &q.lang {
                let in_it = item
                    .lang
                    .as_deref()
                    .is_some_and(|tag| crate::model::language_matches(tag, range));
                if !in_it {
                    continue;
                }
            }
            out.push(item);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Stories first stored, or first carried by another source, in `[from, to)`, each once,
    /// in the order of that time (for digests, which tell the two apart).
    pub fn first_seen_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Item>, StoreError> {
        // Under the writer lock: a feed being applied is either wholly visible here or gets a
        // first-seen time after this read (see `apply_now`).
        let (_no_writer, main) = self.write_lock()?;
        let range = keys::time_bytes(from).to_vec()..keys::time_bytes(to).to_vec();
        let mut out = Vec::new();
        let mut listed = std::collections::HashSet::new();
        for kv in main.by_seen.range(range) {
            let (k, v) = kv?;
            for id in keys::seen_ids(&k, &v) {
                if !listed.insert(id) {
                    continue;
                }
                if let Some(item) = self.item(id)? {
                    out.push(item);
                }
            }
        }
        Ok(out)
    }

    /// Recomputes every item's topics with `topics_of` and writes the changed stories (record
    /// and publication entry) in batches of about [`RECLASSIFY_BATCH_BYTES`], each applied
    /// all or nothing through the journal: memory stays bounded whatever the store's size (one
    /// batch for a whole store of 100,000 stories, half of them changed, held 1 GB). Every
    /// story is either as it was or reclassified, and running it again after an interruption
    /// finishes the job. `progress` is called with (items done, items total). Returns (items,
    /// items whose topics changed).
    pub fn reclassify(
        &self,
        topics_of: impl Fn(&Item) -> Vec<crate::model::TopicMatch>,
        progress: impl Fn(u64, u64),
    ) -> Result<(usize, usize), StoreError> {
        self.reclassify_in_batches(RECLASSIFY_BATCH_BYTES, topics_of, progress)
            .map(|(seen, changed, _)| (seen, changed))
    }

    /// [`Store::reclassify`] in batches of about `batch_limit` bytes; also returns how many
    /// batches were written.
    fn reclassify_in_batches(
        &self,
        batch_limit: usize,
        topics_of: impl Fn(&Item) -> Vec<crate::model::TopicMatch>,
        progress: impl Fn(u64, u64),
    ) -> Result<(usize, usize, usize), StoreError> {
        let (_one_writer, main) = self.write_lock()?;
        let total = main.items.len() as u64;
        let mut tx = journal::Pending::new(main);
        let mut batch_bytes = 0;
        let (mut seen, mut changed, mut batches) = (0usize, 0usize, 0usize);
        let now = chrono::Utc::now();
        for kv in main.items.iter() {
            let (key, value) = kv?;
            let mut item = decode_item(&value)?;
            let topics = topics_of(&item);
            seen += 1;
            // A story stored with reasons (as earlier versions stored them) is rewritten
            // without, but counts as changed only if its topics did.
            let moved = topics
                .iter()
                .map(|t| &t.topic)
                .ne(item.topics.iter().map(|t| &t.topic));
            if topics != item.topics {
                item.topics = topics;
                // Its categories in the feeds changed: the feeds that list it are rendered
                // again and their own date moves, as when ingest changes a story's topics (the
                // entry's `updated` stays: no edit of its source).
                if moved {
                    item.last_changed = item.last_changed.max(now);
                }
                let record = encode_item(&item);
                batch_bytes += key.len() + record.len();
                tx.insert(
                    journal::Index::ByPublished,
                    keys::listing_key(&item),
                    keys::scope_meta(&item),
                );
                tx.insert(journal::Index::Items, key.to_vec(), record);
                changed += usize::from(moved);
                if batch_bytes >= batch_limit {
                    std::mem::replace(&mut tx, journal::Pending::new(main)).commit()?;
                    batches += 1;
                    batch_bytes = 0;
                }
            }
            if seen % 256 == 0 {
                progress(seen as u64, total);
            }
        }
        if batch_bytes > 0 {
            tx.commit()?;
            batches += 1;
        }
        main.flush()?;
        progress(seen as u64, total);
        Ok((seen, changed, batches))
    }

    /// Number of items each source carries.
    pub fn count_for_source(&self, source: &str) -> usize {
        self.main().map_or(0, |m| {
            m.by_source.scan_prefix(keys::source_prefix(source)).count()
        })
    }

    /// Bytes the store takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        let main = self
            .main
            .get()
            .map_or(0, |m| m.db.size_on_disk().unwrap_or(0));
        main + self.states_db.size_on_disk().unwrap_or(0)
    }

    /// Whether a new process could open this store: the disk it is on is writable and has
    /// [`ROOM_TO_REOPEN`] bytes free (asked of the file system, so that waiting for room takes
    /// none of what ops are freeing). sled keeps an I/O error (a full disk) for the rest of the
    /// process, and writes as it opens: a daemon whose store failed that restarts before there
    /// is room would serve nothing at all.
    pub fn room_to_reopen(&self) -> std::io::Result<()> {
        let stat = rustix::fs::statvfs(&self.config.path)?;
        enough_room(
            stat.f_bavail.saturating_mul(stat.f_frsize),
            stat.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY),
        )
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

/// How often, and how far apart, opening a locked store is tried again (half a second in all).
const LOCK_RETRIES: u32 = 25;
const LOCK_RETRY_EVERY: std::time::Duration = std::time::Duration::from_millis(20);

/// Whether `dir` holds a sled database that has been written to.
fn has_database(dir: &Path) -> bool {
    std::fs::metadata(dir.join("db")).is_ok_and(|m| m.len() > 0)
}

/// Opens one of the store's sled databases; errors name the store directory `store`.
fn open_db(store: &Path, dir: &Path, config: sled::Config) -> Result<sled::Db, StoreError> {
    let try_open = || {
        config.open().map_err(|error| match &error {
            sled::Error::Io(e) if e.to_string().contains("lock") => StoreError::Locked {
                path: store.to_path_buf(),
            },
            sled::Error::Corruption { .. } => StoreError::Damaged {
                path: store.to_path_buf(),
                detail: "sled found corrupted data".into(),
            },
            _ => StoreError::Open {
                path: store.to_path_buf(),
                error,
            },
        })
    };
    // A store closed a moment ago in this process can still be locked: sled's IO threads
    // let go of its file just after the handle is dropped. Another process's lock lasts.
    let mut opened = try_open();
    for _ in 0..LOCK_RETRIES {
        if !matches!(opened, Err(StoreError::Locked { .. })) {
            break;
        }
        std::thread::sleep(LOCK_RETRY_EVERY);
        opened = try_open();
    }
    // sled reported damage after taking its lock (so no other process is opening the store):
    // once more without a snapshot a killed process left unfinished, if there was one.
    if matches!(opened, Err(StoreError::Damaged { .. })) && drop_unfinished_snapshots(dir) > 0 {
        opened = try_open();
    }
    opened
}

/// Removes the snapshots sled was writing when its process stopped (`snap.….generating`,
/// renamed to `snap.…` once whole and on disk), and says how many. sled reads the last
/// snapshot file by name, and that name sorts after the snapshot it would have replaced: an
/// empty or partial one, which sled reports as corruption of an intact database. Without it,
/// sled replays its log from the last snapshot it finished, as after a crash just before it
/// began the next. Only while no process has the store open: a live one may be writing it.
fn drop_unfinished_snapshots(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => {
                    removed += 1;
                    tracing::warn!(
                    file = %entry.path().display(),
                    "removed a snapshot the store's last process left unfinished"
                    )
                }
                Err(e) => tracing::warn!(
                    file = %entry.path().display(),
                    error = %e,
                    "cannot remove an unfinished snapshot"
                ),
            }
        }
    }
    removed
}

/// A file in a database's folder from before sled creates the database until its schema
/// version is written: a process that stops in between leaves it, and the next one knows
/// the database for a new one not finished (not one damaged near its start, which also
/// opens with empty trees).
const CREATING: &str = "creating";

/// Marks the database in `dir` as being created ([`CREATING`]), if it is not there yet;
/// whether it is so marked (now, or by a creation cut short before). A folder that cannot be
/// written is left for sled's open to report, naming the store.
fn mark_creating(dir: &Path, existed: bool) -> bool {
    let marker = dir.join(CREATING);
    if !existed {
        let _ = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&marker, b""));
    }
    marker.exists()
}

/// Removes [`CREATING`] once the schema version is written.
fn created(dir: &Path) {
    if let Err(e) = std::fs::remove_file(dir.join(CREATING)) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(error = %e, dir = %dir.display(), "cannot remove the creation mark");
        }
    }
}

/// Whether `db`, marked as being created ([`CREATING`]), holds nothing: its first process
/// stopped before writing its schema version.
fn never_written(db: &sled::Db, creating: bool) -> Result<bool, StoreError> {
    if !creating {
        return Ok(false);
    }
    for name in db.tree_names() {
        if !db.open_tree(&name)?.is_empty() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The schema version stored in a `meta` tree.
fn schema_of(v: &[u8], store: &Path) -> Result<u64, StoreError> {
    let bytes = <[u8; 8]>::try_from(v).map_err(|_| StoreError::Corrupt {
        tree: "meta",
        message: format!(
            "unreadable schema version in the store at {}",
            store.display()
        ),
    })?;
    Ok(u64::from_be_bytes(bytes))
}

/// The changed records [`Store::reclassify`] writes in one batch at most (bytes).
const RECLASSIFY_BATCH_BYTES: usize = 8 << 20;

/// sled's log segment size for new stores. sled's 512 KiB default means thousands of segments
/// in a store of a few GB, and sled scans every segment each time it seals one (a sixth of
/// the CPU of a warm pass over 10,000 sources): 2 MiB segments make that four times cheaper,
/// and writes cost the same (larger ones made them slower).
const SEGMENT_SIZE: usize = 2 << 20;

/// The segment size of the store at `path`: the one it was created with (sled refuses to open
/// a store with another), else [`SEGMENT_SIZE`].
fn segment_size(path: &std::path::Path) -> usize {
    std::fs::read(path.join("conf"))
        .ok()
        .and_then(|conf| {
            String::from_utf8_lossy(&conf)
                .lines()
                .find_map(|l| l.strip_prefix("segment_size: ")?.trim().parse().ok())
        })
        .filter(|size: &usize| size.is_power_of_two())
        .unwrap_or(SEGMENT_SIZE)
}

/// First byte of a story record: its JSON, LZ4-compressed (block format, with its length
/// first). A record that starts with `{` is plain JSON, as every story stored before this
/// format was.
const LZ4_RECORD: u8 = 1;

/// First byte of a story record as written now: MessagePack with named fields,
/// LZ4-compressed like [`LZ4_RECORD`]. JSON escaped every quote of the HTML body and wrote
/// dates and ids a character at a time: serializing was half of the cost of encoding a record.
const PACKED_RECORD: u8 = 2;

/// A story's record in the `items` tree, compressed: feed HTML shrinks to about a third, and
/// sled copies and writes every record several times as its pages split and are rewritten.
fn encode_item(item: &Item) -> Vec<u8> {
    ENCODER.with_borrow_mut(
        |Encoder {
             packed,
             table,
             block,
         }| {
            packed.clear();
            rmp_serde::encode::write_named(packed, item).expect("items serialize");
            let room = lz4_flex::block::get_maximum_output_size(packed.len());
            if block.len() < room {
                block.resize(room, 0);
            }
            let len = lz4_flex::block::compress_into_with_table(packed, &mut block[..room], table)
                .expect("the block has room for the worst case");
            // Marker, length (little-endian u32, as `decode_item` reads it), then the block.
            let mut out = Vec::with_capacity(5 + len);
            out.push(PACKED_RECORD);
            out.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            out.extend_from_slice(&block[..len]);
            // A very long story (a whole book in a feed) does not keep its buffers' size held.
            for buffer in [packed, block] {
                if buffer.capacity() > KEPT_BUFFER {
                    *buffer = Vec::new();
                }
            }
            out
        },
    )
}

/// The most an [`Encoder`] buffer keeps between records.
const KEPT_BUFFER: usize = 1 << 20;

/// What encoding a record needs besides the record, kept by each thread for the next one:
/// allocating LZ4's hash table for every record (and zeroing it) and growing the buffers
/// again took a seventh of the encoding's instructions.
#[derive(Default)]
struct Encoder {
    /// The record as MessagePack.
    packed: Vec<u8>,
    table: lz4_flex::block::CompressTable,
    /// The compressed block, before it is copied out at its length.
    block: Vec<u8>,
}

thread_local! {
    static ENCODER: std::cell::RefCell<Encoder> = std::cell::RefCell::default();
}

fn decode_item(bytes: &[u8]) -> Result<Item, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        tree: "items",
        message,
    };
    let unpack = |packed: &[u8]| {
        // LZ4 expands at most ~255 times: a larger length is damage, not a reason to
        // allocate it.
        let (len, block) = packed
            .split_first_chunk::<4>()
            .ok_or_else(|| corrupt("compressed record too short".into()))?;
        let len = u32::from_le_bytes(*len) as usize;
        if len > block.len().saturating_mul(255).saturating_add(16) {
            return Err(corrupt(format!("compressed record claims {len} bytes")));
        }
        lz4_flex::block::decompress(block, len).map_err(|e| corrupt(e.to_string()))
    };
    match bytes.split_first() {
        Some((&PACKED_RECORD, packed)) => {
            rmp_serde::from_slice(&unpack(packed)?).map_err(|e| corrupt(e.to_string()))
        }
        Some((&LZ4_RECORD, packed)) => {
            serde_json::from_slice(&unpack(packed)?).map_err(|e| corrupt(e.to_string()))
        }
        _ => serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string())),
    }
}

#[cfg(test)]
mod tests;
