//! Import: an export read back into an empty store, all of it or nothing (what an import
//! cut short or failed wrote is removed, and the next one starts over).

use std::io::BufRead;

use super::{BackupError, Counts, Record, FORMAT};
use crate::model::{ItemId, SourceState};
use crate::store::{keys, matching, Store, StoreError};

/// The states database's `meta` key that marks an import under way.
const IMPORT_RUNNING: &str = "import running";

/// Empties the stories' database (every tree but its schema version) and the in-memory
/// indexes, writes queued by a story half restored included.
fn empty_but_meta(main: &crate::store::Main) -> Result<(), StoreError> {
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

impl Store {
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
                crate::store::matching::compact(main);
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
                    crate::store::digests::write(self.main()?, &record)?;
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
}
