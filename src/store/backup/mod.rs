//! Export and import: the whole store as JSON lines, a backup that survives sled format changes.
//!
//! The first line is a header; then one line per source state, item, digest and tombstone (the
//! identity of a story retention removed), and an end line that counts them. Import writes into
//! an empty store and rebuilds every index from the items, so an exported and re-imported store
//! serves the same feeds byte for byte; the tombstones go back to the `gone` tree, so a pruned
//! story still in its source's feed is not stored again as new.
//!
//! This file declares the lines of an export ([`Record`]), their [`Counts`] and the errors;
//! `export.rs` writes them, `import.rs` reads them back into an empty store, and `indexes.rs`
//! writes a story's index entries, for an import and for the upgrade of an older store's
//! indexes.

mod export;
mod import;
mod indexes;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::model::{DigestRecord, Item, ItemId, SourceState};

pub(super) use indexes::upgrade_indexes;

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
