//! Export and import: the whole store as JSON lines, a backup that survives sled format changes.
//!
//! The first line is a header; then one line per source state, item, digest and tombstone (the
//! identity of a story retention removed), and an end line that counts them. Import writes into
//! an empty store and rebuilds every index from the items, so an exported and re-imported store
//! serves the same feeds byte for byte; the tombstones go back to the `gone` tree, so a pruned
//! story still in its source's feed is not stored again as new.

use std::io::{BufRead, Write};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dedupe_keys::{link_key, title_keys, SHARED_LINK};
use super::journal::{Index, Pending, EMPTY};
use super::records::{decode_item, encode_item};
use super::{keys, matching, Store, StoreError, SCHEMA_VERSION};
use crate::model::{DigestRecord, Item, ItemId, SourceState};

/// One line of an export.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Record {
    /// The first line.
    Header {
        /// Format of the lines that follow.
        format: u32,
        /// Store schema the export was taken from.
        schema: u64,
        /// When.
        exported_at: DateTime<Utc>,
    },
    /// A source's fetch state.
    Source {
        /// Source id.
        id: String,
        /// Its state.
        state: Box<SourceState>,
    },
    /// A story.
    Item(Box<Item>),
    /// A built digest.
    Digest(Box<DigestRecord>),
    /// The identity of a story retention removed (format 3): the source's entry for it is
    /// not stored again.
    Tombstone {
        /// The hash of source ‖ 0 ‖ identity the store keys it by, as 32 hex digits.
        key: String,
        /// The story it was.
        story: ItemId,
        /// The raw hash of the source's last version of the entry.
        hash: String,
    },
    /// The last line (format 2): how many of each came before it, so an export cut short at
    /// a line boundary (a failed export, a full disk) is told from a whole one.
    End(Counts),
}

/// The export format this build writes when the store holds tombstones (without any it writes
/// format 2, which it is then the same as). It reads this one, format 2 (no tombstones: an
/// export taken before they were exported, which imports as it did, or of a store without
/// any) and format 1 (no `End` line either). Builds that read format 2 at most refuse a format
/// 3 export, whose tombstones they would not restore.
const FORMAT: u32 = 3;

/// The states database's `meta` key that marks an import under way.
const IMPORT_RUNNING: &str = "import running";

/// Empties the stories' database (every tree but its schema version) and the in-memory
/// indexes, writes queued by a story half restored included.
fn empty_but_meta(main: &super::Main) -> Result<(), StoreError> {
    main.queued
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    matching::clear(main);
    for name in main.db.tree_names() {
        if name != "meta" {
            main.db
                .open_tree(name)
                .and_then(|tree| tree.clear())
                .map_err(StoreError::from)?;
        }
    }
    main.flush()?;
    Ok(())
}

/// A source's state read from an export, written once every story is in.
type StateLine = (String, Box<SourceState>);

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading or writing the file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A line is not a record.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The input has no export header at all (an empty file, or the output of a failed
    /// export).
    #[error("the input is empty: not a `tributary export`")]
    Empty,
    /// The export stops before its end line.
    #[error("the export ends after {items} stories without its end line: it was cut short (a failed export, a full disk)")]
    Truncated {
        /// Stories read before it stopped.
        items: usize,
    },
    /// An import failed part way and what it had written was removed.
    #[error("{0}; nothing was imported (the store is empty again)")]
    Undone(Box<BackupError>),
    /// Import only fills an empty store.
    #[error("the target store is not empty ({0} stories): import into a new --data-dir")]
    NotEmpty(usize),
}

/// Counts of what an export or import handled.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Source states.
    pub sources: usize,
    /// Stories.
    pub items: usize,
    /// Digests.
    pub digests: usize,
    /// Tombstones (format 3; left out of the end line when there are none, as format 2 wrote
    /// it).
    #[serde(default, skip_serializing_if = "crate::model::is_zero")]
    pub tombstones: usize,
}

impl Store {
    /// Writes the whole store as JSON lines; `progress` gets the number of stories written.
    pub fn export(
        &self,
        out: &mut dyn Write,
        progress: &dyn Fn(u64),
    ) -> Result<Counts, BackupError> {
        // Source states kept in memory are part of the store.
        self.flush()?;
        let mut counts = Counts::default();
        // Format 3 only when there are tombstones to carry: an export without any is the same
        // as format 2's, and builds that read format 2 at most still import it.
        let stale = self.stale_idents()?;
        let format = if stale.is_empty() && self.main()?.gone.is_empty() {
            2
        } else {
            FORMAT
        };
        let line = |r: &Record, out: &mut dyn Write| -> Result<(), BackupError> {
            serde_json::to_writer(&mut *out, r).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
            Ok(())
        };
        line(
            &Record::Header {
                format,
                schema: SCHEMA_VERSION,
                exported_at: Utc::now(),
            },
            out,
        )?;
        for (id, state) in self.source_states()? {
            line(
                &Record::Source {
                    id,
                    state: Box::new(state),
                },
                out,
            )?;
            counts.sources += 1;
        }
        // Items in publication order, so an export diffs well and imports in a natural order.
        for kv in self.main()?.by_published.iter() {
            let (k, _) = kv.map_err(StoreError::from)?;
            let Some(id) = keys::id_suffix(&k) else {
                continue;
            };
            if let Some(item) = self.item(id)? {
                line(&Record::Item(Box::new(item)), out)?;
                counts.items += 1;
                if counts.items % 512 == 0 {
                    progress(counts.items as u64);
                }
            }
        }
        for kv in self.main()?.digests.iter() {
            let (_, v) = kv.map_err(StoreError::from)?;
            let record: DigestRecord =
                serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt {
                    tree: "digests",
                    message: e.to_string(),
                })?;
            line(&Record::Digest(Box::new(record)), out)?;
            counts.digests += 1;
        }
        self.each_tombstone(stale, |key, value| {
            // A value that names no story is no tombstone: a feed does not read it as one.
            let Some((story, hash)) = keys::split_ident_value(value) else {
                return Ok(());
            };
            line(
                &Record::Tombstone {
                    key: ItemId(key).to_string(),
                    story,
                    // Written from a `String`; anything else only costs the entry one more
                    // reading, after which its tombstone takes the hash it has then.
                    hash: String::from_utf8_lossy(hash).into_owned(),
                },
                out,
            )?;
            counts.tombstones += 1;
            Ok(())
        })?;
        line(&Record::End(counts), out)?;
        progress(counts.items as u64);
        out.flush()?;
        Ok(counts)
    }

    /// Reads an export into this (empty) store, rebuilding every index.
    pub fn import(
        &self,
        input: &mut dyn BufRead,
        progress: &dyn Fn(u64),
    ) -> Result<Counts, BackupError> {
        let existing = self.item_count();
        let interrupted = self.import_interrupted()?;
        if existing > 0 && !interrupted {
            return Err(BackupError::NotEmpty(existing));
        }
        let (_one_writer, main) = self.write_lock()?;
        if interrupted {
            // What an import cut short (a crash, a kill) left: it starts over.
            empty_but_meta(main)?;
        }
        // Marked until every story is restored and flushed: one cut short leaves the mark,
        // and the next import starts over instead of refusing a store that is not empty.
        self.mark_import(true)?;
        match self.import_lines(input, progress) {
            Ok((counts, states)) => {
                // Recorded only once every story is restored and flushed: validators on disk
                // vouch for stories. A state that fails to be written only makes its source
                // fetched in full.
                for (id, state) in states {
                    self.put_source_state(&id, &state)?;
                }
                // Each story restored logged its writes on its own.
                super::matching::compact(main);
                self.flush()?;
                self.mark_import(false)?;
                progress(counts.items as u64);
                Ok(counts)
            }
            Err(e) => {
                // The store was empty: it is again, so the import can simply be run again.
                empty_but_meta(main)?;
                self.mark_import(false)?;
                Err(BackupError::Undone(Box::new(e)))
            }
        }
    }

    /// Whether an import into this store was cut short (see [`Store::import`]).
    pub fn import_interrupted(&self) -> Result<bool, StoreError> {
        Ok(self
            .states_db
            .open_tree("meta")?
            .contains_key(IMPORT_RUNNING)?)
    }

    /// Marks an import under way (`running`), or done, on disk.
    pub(crate) fn mark_import(&self, running: bool) -> Result<(), StoreError> {
        let meta = self.states_db.open_tree("meta")?;
        if running {
            meta.insert(IMPORT_RUNNING, &[1u8])?;
        } else {
            meta.remove(IMPORT_RUNNING)?;
        }
        self.states_db.flush()?;
        Ok(())
    }

    fn import_lines(
        &self,
        input: &mut dyn BufRead,
        progress: &dyn Fn(u64),
    ) -> Result<(Counts, Vec<StateLine>), BackupError> {
        let mut counts = Counts::default();
        let mut states = Vec::new();
        // The header's format, once read; whether the end line was.
        let mut header: Option<u32> = None;
        let mut ended = false;
        for (n, line) in input.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let record: Record = serde_json::from_str(&line).map_err(|e| BackupError::Line {
                line: n + 1,
                message: e.to_string(),
            })?;
            if ended {
                return Err(BackupError::Line {
                    line: n + 1,
                    message: "a line after the export's end line".into(),
                });
            }
            match record {
                Record::Header { format, .. } if format > FORMAT || format == 0 => {
                    return Err(BackupError::Line {
                        line: n + 1,
                        message: format!(
                            "export format {format} is newer than this tributary reads"
                        ),
                    })
                }
                Record::Header { format, .. } if header.is_none() => header = Some(format),
                Record::Header { .. } => {
                    return Err(BackupError::Line {
                        line: n + 1,
                        message: "a second header: two exports run together?".into(),
                    })
                }
                _ if header.is_none() => {
                    return Err(BackupError::Line {
                        line: n + 1,
                        message: "no header line before it: not the start of a `tributary export`"
                            .into(),
                    })
                }
                Record::Source { id, state } => {
                    states.push((id, state));
                    counts.sources += 1;
                }
                Record::Item(item) => {
                    self.restore_item(&item)?;
                    counts.items += 1;
                    if counts.items % 512 == 0 {
                        progress(counts.items as u64);
                    }
                }
                Record::Digest(record) => {
                    super::digests::write(self.main()?, &record)?;
                    counts.digests += 1;
                }
                Record::Tombstone { key, story, hash } => {
                    // The same 32 hex digits as a story id.
                    let key = ItemId::parse(&key).ok_or_else(|| BackupError::Line {
                        line: n + 1,
                        message: format!("tombstone key {key:?} is not 32 hex digits"),
                    })?;
                    self.main()?
                        .gone
                        .insert(key.0, keys::ident_value(story, &hash))
                        .map_err(StoreError::from)?;
                    counts.tombstones += 1;
                }
                Record::End(said) => {
                    if said != counts {
                        return Err(BackupError::Line {
                            line: n + 1,
                            message: format!(
                                "the export says it holds {} source states, {} stories, {} digests and {} tombstones, but {}, {}, {} and {} came before it",
                                said.sources, said.items, said.digests, said.tombstones,
                                counts.sources, counts.items, counts.digests, counts.tombstones
                            ),
                        });
                    }
                    ended = true;
                }
            }
        }
        match header {
            None => return Err(BackupError::Empty),
            Some(format) if format >= 2 && !ended => {
                return Err(BackupError::Truncated {
                    items: counts.items,
                })
            }
            Some(_) => {}
        }
        self.flush()?;
        Ok((counts, states))
    }

    /// The identity entries that name a story no longer stored, in key order (see
    /// [`Store::each_tombstone`]). A log of the identity index that cannot be read (export and
    /// import are how it is rebuilt) gives none, with a warning.
    fn stale_idents(&self) -> Result<Vec<([u8; 16], sled::IVec)>, BackupError> {
        let main = self.main()?;
        match matching::idents_where(main, |value| {
            Ok(match keys::split_ident_value(value) {
                Some((id, _)) => !main.items.contains_key(id.0)?,
                None => false,
            })
        }) {
            Ok(stale) => Ok(stale),
            Err(StoreError::Corrupt {
                tree: "matches",
                message,
            }) => {
                tracing::warn!(
                    error = %message,
                    "the identity index cannot be read: the export leaves out the tombstones it held (those in the `gone` tree are exported)"
                );
                Ok(Vec::new())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Calls `f` with each identity of a story retention removed, in key order (the hash of
    /// source ‖ 0 ‖ identity, and story id ‖ raw hash): the `gone` tree, and the identity
    /// entries that name a story no longer stored (`stale`, from [`Store::stale_idents`]).
    /// Those are identities of a story that are not its carriers' (the same source's entry
    /// under another identity), which prune leaves where they are, and those of stories that
    /// builds before the `gone` tree pruned. A feed reads both as tombstones; import writes
    /// both to `gone`.
    fn each_tombstone(
        &self,
        stale: Vec<([u8; 16], sled::IVec)>,
        mut f: impl FnMut([u8; 16], &[u8]) -> Result<(), BackupError>,
    ) -> Result<(), BackupError> {
        let main = self.main()?;
        let mut stale = stale.into_iter().peekable();
        // Both in key order, merged: the `gone` tree is read as it is written out.
        for kv in main.gone.iter() {
            let (key, value) = kv.map_err(StoreError::from)?;
            let Ok(key) = <[u8; 16]>::try_from(&key[..]) else {
                continue;
            };
            while let Some((k, v)) = stale.next_if(|(k, _)| *k < key) {
                f(k, &v)?;
            }
            // An identity entry is read before the `gone` tree: it is the one that counts.
            if stale.peek().is_some_and(|(k, _)| *k == key) {
                continue;
            }
            f(key, &value)?;
        }
        for (k, v) in stale {
            f(k, &v)?;
        }
        Ok(())
    }

    /// Writes one story and all its index entries, all or nothing (see [`super::journal`]).
    fn restore_item(&self, item: &Item) -> Result<(), StoreError> {
        let tx = Pending::new(self.main()?);
        tx.insert(Index::Items, &item.id.0[..], encode_item(item));
        tx.insert(
            Index::ByPublished,
            keys::listing_key(item),
            keys::scope_meta(item),
        );
        tx.insert(
            Index::BySeen,
            keys::time_key(item.first_seen, item.id),
            EMPTY,
        );
        for (i, c) in item.sources.iter().enumerate() {
            tx.insert(Index::BySource, keys::carrier_key(item, c), EMPTY);
            tx.insert(Index::BySeen, keys::time_key(c.first_seen, item.id), EMPTY);
            // The raw hash is known for the source whose text is stored; others get it
            // again on their next fetch.
            let hash = if i == 0 {
                item.content_hash.as_str()
            } else {
                ""
            };
            tx.insert(
                Index::Idents,
                keys::ident_key(&c.source, &c.identity.key()),
                keys::ident_value(item.id, hash),
            );
        }
        dedupe_entries(&tx, item)?;
        tx.commit()
    }
}

/// Writes a story's entries in the link and title indexes (the links of every source that
/// carries it; a link already taken stays with its story).
fn dedupe_entries(tx: &Pending, item: &Item) -> Result<(), StoreError> {
    let links = item
        .link
        .iter()
        .chain(item.sources.iter().flat_map(|c| c.link.iter()));
    for link in links {
        if let Some(k) = link_key(link) {
            match tx.get(Index::Links, &k)? {
                None => tx.insert(Index::Links, k, &item.id.0[..]),
                // Another story of a source that carries this one has it too (a section page
                // of that source): it tells neither (see `SHARED_LINK`), as when fetched.
                Some(v) if v[..] != item.id.0[..] && v[..] != SHARED_LINK[..] => {
                    // (A record that does not decode shares nothing: the rebuild leaves it out
                    // with a warning.) A read that fails stops the rebuild, to be run again.
                    let other = match keys::id_suffix(&v) {
                        Some(id) => tx.get(Index::Items, &id.0)?,
                        None => None,
                    };
                    let shares_a_source =
                        other
                            .and_then(|r| decode_item(&r).ok())
                            .is_some_and(|other| {
                                other.sources.iter().any(|c| item.carried_by(&c.source))
                            });
                    if shares_a_source {
                        tx.insert(Index::Links, k, &SHARED_LINK[..]);
                    }
                }
                Some(_) => {}
            }
        }
    }
    for t in title_keys(&item.title, 1).into_iter().flatten() {
        let mut entries = tx
            .get(Index::Titles, &t)?
            .map(|v| keys::decode_title_entries(&v))
            .unwrap_or_default();
        entries.push((item.id, item.published.timestamp()));
        tx.insert(Index::Titles, t, keys::encode_title_entries(&entries));
    }
    Ok(())
}

/// Brings an older store's indexes up to this schema from its stories: the publication and
/// source indexes are written afresh, each entry where the feeds list the story (schema 10)
/// and carrying the story's language and topics (schema 5), and the link and title indexes
/// are rekeyed (schema 3 keyed them by their text, schema 4 by a hash of it; schema 11 reads
/// more spellings of a link and of a title as one: see [`crate::parse::urls::dedupe_key`] and
/// [`super::dedupe_keys::title_key`]; schema 12 keys a title also without the site's name
/// after it: see [`super::dedupe_keys::title_keys`]; schema 13 reads more spellings of a link
/// as one). Every time the upgrade runs it starts from empty indexes, so
/// one that a crash cut short is simply run again. A story that cannot be read is left as it
/// was (with a warning) rather than keeping the whole store from opening: it could not be
/// matched or shown before either. Returns the number of stories read.
pub(super) fn upgrade_indexes(main: &super::Main) -> Result<u64, StoreError> {
    let mut stories = 0;
    // The feeds' indexes are written afresh: they list stories where the feeds do now (see
    // `Item::listed_at`), which a store older than version 10 did not.
    main.by_published.clear()?;
    main.by_source.clear()?;
    let mut tx = Pending::new(main);
    // The links and titles under their older keys go, in the first batch, before any is
    // written anew.
    for index in [Index::Links, Index::Titles] {
        for key in super::matching::keys(main, index)? {
            tx.remove(index, key.to_vec());
        }
    }
    for kv in main.items.iter() {
        let (key, value) = kv?;
        let item = match decode_item(&value) {
            Ok(item) => item,
            Err(StoreError::Corrupt { message, .. }) => {
                tracing::warn!(
                    story = %keys::id_suffix(&key).map(|id| id.to_string()).unwrap_or_default(),
                    error = %message,
                    "a stored story cannot be read: left out of the rebuilt indexes"
                );
                continue;
            }
            Err(e) => return Err(e),
        };
        tx.insert(
            Index::ByPublished,
            keys::listing_key(&item),
            keys::scope_meta(&item),
        );
        for c in &item.sources {
            tx.insert(Index::BySource, keys::carrier_key(&item, c), EMPTY);
        }
        dedupe_entries(&tx, &item)?;
        stories += 1;
        if stories % 1000 == 0 {
            tx.commit()?;
            tx = Pending::new(main);
        }
    }
    tx.commit()?;
    main.flush()?;
    Ok(stories)
}
