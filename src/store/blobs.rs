//! Syncing the tree nodes sled keeps outside its log.
//!
//! sled writes a tree node larger than a quarter of a log segment (512 KiB here) to a file of
//! its own under `blobs/`, named by the node's log sequence number, and its log holds only a
//! pointer to that file. Its flush syncs the log and never the files: after a power failure
//! the log can name a node whose file never reached the disk, and every story of that node
//! is unreadable. Leaves of the `items` tree get there when they hold long stories (sled
//! writes leaves of about 9 to 17 stories; from some 50 KB a story once compressed, as
//! full-text feeds can carry). So the store syncs the node files sled wrote before it
//! flushes the log that points to them ([`Blobs::sync`]).
//!
//! This narrows the window without closing it: sled also syncs its log by itself (its flusher
//! every 500 ms, an IO buffer that fills), and another feed can write a node file between this
//! sync and the flush that follows. Only a power failure, not a crash of the process, can hit
//! it; closing it would take a change in sled (syncing the file as it writes it).

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The node files of one sled database and which of them are synced.
pub(super) struct Blobs {
    dir: PathBuf,
    /// File name (the node's log sequence number) → its length when synced. sled writes a
    /// file once and never changes it, but one written while the folder was read may have been
    /// synced half written: a length that changed since is synced again.
    pub(super) synced: Mutex<HashMap<u64, u64>>,
}

impl Blobs {
    /// The node files of the sled database in `store`. None is taken as synced yet: the first
    /// [`Blobs::sync`] syncs those a previous process wrote.
    pub(super) fn new(store: &Path) -> Blobs {
        Blobs {
            dir: store.join("blobs"),
            synced: Mutex::new(HashMap::new()),
        }
    }

    /// Syncs every node file not synced at its present length, then the folder that names
    /// them. Returns how many files it synced. Files sled removes meanwhile (it removes those
    /// no longer referenced) are passed over.
    pub(super) fn sync(&self) -> io::Result<usize> {
        let mut synced = self.synced.lock().unwrap_or_else(|e| e.into_inner());
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(named(e, &self.dir)),
        };
        let mut present = HashMap::with_capacity(synced.len());
        let mut count = 0;
        for entry in entries {
            let entry = entry.map_err(|e| named(e, &self.dir))?;
            let Some(lsn) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            let path = entry.path();
            let file = match File::open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(named(e, &path)),
            };
            let len = file.metadata().map_err(|e| named(e, &path))?.len();
            if synced.get(&lsn) != Some(&len) {
                file.sync_all().map_err(|e| named(e, &path))?;
                count += 1;
            }
            present.insert(lsn, len);
        }
        if count > 0 {
            File::open(&self.dir)
                .and_then(|dir| dir.sync_all())
                .map_err(|e| named(e, &self.dir))?;
        }
        *synced = present;
        Ok(count)
    }
}

fn named(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("syncing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syncs_each_file_once_at_each_length_and_forgets_removed_ones() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(dir.path());
        assert_eq!(blobs.sync().unwrap(), 0, "no folder yet");

        let folder = dir.path().join("blobs");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("4096"), b"node").unwrap();
        std::fs::write(folder.join("8192"), b"node").unwrap();
        std::fs::write(folder.join("not-a-node"), b"x").unwrap();
        assert_eq!(blobs.sync().unwrap(), 2);
        assert_eq!(blobs.sync().unwrap(), 0, "nothing new");

        std::fs::write(folder.join("8192"), b"node, written further").unwrap();
        std::fs::write(folder.join("12288"), b"node").unwrap();
        assert_eq!(blobs.sync().unwrap(), 2, "the grown file and the new one");

        std::fs::remove_file(folder.join("4096")).unwrap();
        assert_eq!(blobs.sync().unwrap(), 0);
        assert_eq!(blobs.synced.lock().unwrap().len(), 2);
    }
}
