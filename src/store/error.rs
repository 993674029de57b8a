//! What can go wrong in the store, and how it reads: sled's errors worded as the system words
//! them, and what to do about a store that cannot be opened.

use std::path::PathBuf;

use super::SCHEMA_VERSION;

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
