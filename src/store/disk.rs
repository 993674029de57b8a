//! The store's sled databases as folders on disk: opening one (a lock another handle still
//! holds, a snapshot a killed process left unfinished), the mark of one being created, its
//! schema version and log segment size, syncing its log, and the room it needs.

use std::path::Path;

use super::{Store, StoreError};

impl Store {
    /// Bytes the store takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        let main = self
            .main
            .get()
            .map_or(0, |m| m.db.size_on_disk().unwrap_or(0));
        main + self.states_db.size_on_disk().unwrap_or(0)
    }

    /// Whether a new process could open this store: the disk it is on is writable and has
    /// `ROOM_TO_REOPEN` bytes free (asked of the file system, so that waiting for room takes
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
}

/// `fdatasync` of a sled database's log (`dir/db`): sled 0.34's flush on Linux is a
/// `sync_file_range`, which neither writes the file's new length nor empties the drive's
/// write cache; its background flusher syncs for real only every half second.
pub(super) fn sync_log(log: &Path) -> Result<(), StoreError> {
    std::fs::File::open(log)
        .and_then(|f| f.sync_data())
        .map_err(|e| StoreError::from(sled::Error::Io(e)))
}

/// The room [`Store::room_to_reopen`] asks for: a few of sled's log segments (512 KiB each)
/// and its snapshot, with margin.
pub(super) const ROOM_TO_REOPEN: u64 = 16 << 20;

/// Whether a disk with `available` bytes free to us, mounted read-only or not, has room for a
/// new process to open the store ([`Store::room_to_reopen`]).
pub(super) fn enough_room(available: u64, read_only: bool) -> std::io::Result<()> {
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

/// How often, and how far apart, opening a locked store is tried again (half a second in all).
const LOCK_RETRIES: u32 = 25;
const LOCK_RETRY_EVERY: std::time::Duration = std::time::Duration::from_millis(20);

/// Whether `dir` holds a sled database that has been written to.
pub(super) fn has_database(dir: &Path) -> bool {
    std::fs::metadata(dir.join("db")).is_ok_and(|m| m.len() > 0)
}

/// Opens one of the store's sled databases; errors name the store directory `store`.
pub(super) fn open_db(
    store: &Path,
    dir: &Path,
    config: sled::Config,
) -> Result<sled::Db, StoreError> {
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
pub(super) fn mark_creating(dir: &Path, existed: bool) -> bool {
    let marker = dir.join(CREATING);
    if !existed {
        let _ = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&marker, b""));
    }
    marker.exists()
}

/// Removes [`CREATING`] once the schema version is written.
pub(super) fn created(dir: &Path) {
    if let Err(e) = std::fs::remove_file(dir.join(CREATING)) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(error = %e, dir = %dir.display(), "cannot remove the creation mark");
        }
    }
}

/// Whether `db`, marked as being created ([`CREATING`]), holds nothing: its first process
/// stopped before writing its schema version.
pub(super) fn never_written(db: &sled::Db, creating: bool) -> Result<bool, StoreError> {
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
pub(super) fn schema_of(v: &[u8], store: &Path) -> Result<u64, StoreError> {
    let bytes = <[u8; 8]>::try_from(v).map_err(|_| StoreError::Corrupt {
        tree: "meta",
        message: format!(
            "unreadable schema version in the store at {}",
            store.display()
        ),
    })?;
    Ok(u64::from_be_bytes(bytes))
}

/// sled's log segment size for new stores. sled's 512 KiB default means thousands of segments
/// in a store of a few GB, and sled scans every segment each time it seals one (a sixth of
/// the CPU of a warm pass over 10,000 sources): 2 MiB segments make that four times cheaper,
/// and writes cost the same (larger ones made them slower).
pub(super) const SEGMENT_SIZE: usize = 2 << 20;

/// The segment size of the store at `path`: the one it was created with (sled refuses to open
/// a store with another), else [`SEGMENT_SIZE`].
pub(super) fn segment_size(path: &std::path::Path) -> usize {
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
