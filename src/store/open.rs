//! Opening the store: the states database at once, the stories' database on first use, each
//! created or upgraded from an older schema (and a feed a crash left in the journal finished)
//! as it is opened.

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use super::disk::{
    created, has_database, mark_creating, never_written, open_db, schema_of, segment_size,
};
use super::{backup, blobs, digests, journal, matching, states};
use super::{Main, Store, StoreError, Unopenable, SCHEMA_VERSION};
use crate::config::StoreConfig;

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

    /// Opens and closes the store at once, after a session that wrote a lot. sled records a
    /// snapshot of its page table only when it opens a store, and every open replays the log
    /// written since the last snapshot: after a cold fetch of 10,000 feeds that replay made
    /// the next start take 4 s more. Done here, while the log is still in the page cache, the
    /// next start does not pay it.
    pub fn checkpoint(config: &StoreConfig) -> Result<(), StoreError> {
        Store::open(config).map(drop)
    }

    /// The stories' database, opened (and upgraded from an older schema) on first use.
    pub(super) fn main(&self) -> Result<&Main, StoreError> {
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

    /// Opens the stories' database: checks its schema, finishes a feed a crash left in its
    /// journal, and upgrades it from an older schema.
    fn open_main(&self) -> Result<Main, StoreError> {
        let path = &self.config.path;
        // sled replays its log up to the first unreadable record, so a log damaged near its
        // start opens as an empty database; the schema version tells that from a new store.
        let existed = has_database(path);
        let vouched = self.vouched_stories(existed)?;
        let segments = segment_size(path);
        let creating = mark_creating(path, existed);
        let main = self.open_trees(segments)?;
        let meta = main.db.open_tree("meta")?;
        let schema = schema_found(&main, &meta, path, existed, vouched, creating)?;
        finish_journal(&main, path, schema)?;
        let upgrade_from = self.upgrade_trees(&main, &meta, schema)?;
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
            rebuild_indexes(&main, &meta, path, found)?;
        }
        digests::list_told(&main)?;
        Ok(main)
    }

    /// Whether the states database vouches for stories (the stories' database was created);
    /// an error when it does and the stories' database does not exist.
    fn vouched_stories(&self, existed: bool) -> Result<bool, StoreError> {
        let vouched = self
            .states_db
            .open_tree("meta")?
            .get(STORIES_KEY)?
            .is_some();
        if !existed && vouched {
            // The states vouch for stories that are gone: creating an empty database here
            // would have every source answer "not modified" over it for good.
            return Err(StoreError::Damaged {
                path: self.config.path.clone(),
                detail: "its stories' database is missing".into(),
            });
        }
        Ok(vouched)
    }

    /// Opens the stories' database and its trees, with sled's segments of `segments` bytes.
    fn open_trees(&self, segments: usize) -> Result<Main, StoreError> {
        let path = &self.config.path;
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
        Ok(Main {
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
        })
    }

    /// Moves the trees an older schema (`schema`) kept into the matching log, or drops those
    /// an upgrade left behind; for a database just created, writes its schema version. The
    /// schema whose indexes are to be rebuilt, if any.
    fn upgrade_trees(
        &self,
        main: &Main,
        meta: &sled::Tree,
        schema: Option<u64>,
    ) -> Result<Option<u64>, StoreError> {
        let mut upgrade_from = None;
        match schema {
            // An upgrade that was cut short (see `rebuild_indexes`): done again, whole, also by
            // a build of a later schema.
            Some(_) if meta.get(REBUILDING_KEY)?.is_some() => {
                let found = meta
                    .get(REBUILDING_KEY)?
                    .and_then(|v| v.first().copied())
                    .map_or(SCHEMA_VERSION, u64::from);
                if found < 4 {
                    // The log is rebuilt as at the first attempt: emptied, then the older
                    // trees still there (dropped only once the upgrade is done) moved in.
                    main.matches.clear()?;
                    matching::move_trees(main)?;
                }
                upgrade_from = Some(found);
            }
            // Trees that an upgrade from an older schema left behind (a crash before they were
            // dropped).
            Some(SCHEMA_VERSION) => matching::drop_trees(main)?,
            // Its records read as they are; only the stories written from now on differ (6),
            // or nothing in this database does (7: the states' buckets). The link and title
            // trees move into their log (8), and the identities (9). The feeds' indexes are
            // rebuilt (10, `rebuild_indexes`), and the links rekeyed (11). A schema 11 or 12
            // store takes the arm below: no trees to move, its titles (12) and links and titles
            // (13) rekeyed.
            Some(found @ 5..=10) => {
                matching::move_trees(main)?;
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
                matching::move_trees(main)?;
                // Version 2 stories stay as they are: plain JSON records still read.
                upgrade_from = Some(found);
            }
            None => {
                meta.insert("schema", &SCHEMA_VERSION.to_be_bytes())?;
                main.flush()?;
            }
        }
        Ok(upgrade_from)
    }

    /// Copies the states a schema version 1 store kept with its stories into the states
    /// database (a state already there is newer and stays), flushes, then drops the old tree.
    fn move_states_from(&self, main: &sled::Db) -> Result<(), StoreError> {
        states::move_keyed(&main.open_tree("sources")?, &self.states)?;
        self.states_db.flush()?;
        main.drop_tree("sources")?;
        Ok(())
    }
}

/// The schema version the stories' database records (`None` for a new one): an error for
/// one this build does not read, or for a database that `existed` (or that the states
/// `vouched` for) and records none.
fn schema_found(
    main: &Main,
    meta: &sled::Tree,
    path: &Path,
    existed: bool,
    vouched: bool,
    creating: bool,
) -> Result<Option<u64>, StoreError> {
    Ok(match meta.get("schema")? {
        Some(v) => match schema_of(&v, path)? {
            found @ 1..=SCHEMA_VERSION => Some(found),
            found => {
                return Err(StoreError::Schema {
                    path: path.to_path_buf(),
                    found,
                })
            }
        },
        // A database whose first process stopped before writing its schema version holds
        // no more than its trees' names, and the states vouch for no stories yet.
        None if existed && (vouched || !never_written(&main.db, creating)?) => {
            return Err(StoreError::Damaged {
                path: path.to_path_buf(),
                detail: "its database has no schema version".into(),
            })
        }
        None => None,
    })
}

/// Finishes applying a feed that a crash left in the journal; an unreadable journal is damage.
fn finish_journal(main: &Main, path: &Path, schema: Option<u64>) -> Result<(), StoreError> {
    // A feed that a crash left in the journal is finished first. One that a build of an
    // older schema recorded makes its identity, link and title writes to the trees that
    // schema kept them in, which then move into the log (`Store::upgrade_trees`).
    let legacy = schema.is_some_and(|found| found < SCHEMA_VERSION);
    match journal::finish(main, legacy) {
        Ok(true) => tracing::warn!(
            store = %path.display(),
            "finished applying a feed that a crash interrupted"
        ),
        Ok(false) => {}
        Err(StoreError::Corrupt { message, .. }) => {
            return Err(StoreError::Damaged {
                path: path.to_path_buf(),
                detail: format!("its journal is unreadable: {message}"),
            })
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

/// Rebuilds the indexes of a store upgraded from schema `found`, marked as rebuilding while
/// it does, then drops the trees the older schema kept.
fn rebuild_indexes(
    main: &Main,
    meta: &sled::Tree,
    path: &Path,
    found: u64,
) -> Result<(), StoreError> {
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
    let stories = backup::upgrade_indexes(main)?;
    meta.remove(REBUILDING_KEY)?;
    main.flush()?;
    matching::drop_trees(main)?;
    tracing::info!(
        store = %path.display(),
        from = found,
        to = SCHEMA_VERSION,
        stories,
        "upgraded the store: indexes rebuilt"
    );
    Ok(())
}

/// The stories' database's `meta` key present while an upgrade rebuilds the indexes: the
/// schema it upgrades from (one byte).
pub(super) const REBUILDING_KEY: &str = "rebuilding from";

/// Where the sources' states live, inside the store directory.
pub(super) const STATES_DIR: &str = "states";

/// The states database's `meta` keys: its schema version, and "the stories' database has
/// been created".
pub(super) const STATES_SCHEMA_KEY: &str = "schema";

/// Version 1 kept one JSON value per source, and is upgraded when opened. Version 7 keeps
/// them in buckets (see [`states`]): numbered as the store schema that brought it, so that a
/// build reading an older schema refuses the store with that number whichever database it
/// checks first. A later store schema that leaves the states as they are leaves this at 7.
pub(super) const STATES_SCHEMA_VERSION: u64 = 7;
const STORIES_KEY: &str = "stories";

/// sled's cache for the states database: a few MB of states.
const STATES_CACHE: u64 = 8 << 20;
