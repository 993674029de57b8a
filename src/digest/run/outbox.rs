//! The Maildir outbox: a digest's data and message written whole (`{outbox}/{name}/json/`,
//! then `{outbox}/{name}/new/` via `tmp/`), and the mark in the store that keeps a digest
//! from being written there twice.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{stamp, RunError};
use crate::config::MailConfig;
use crate::model::DigestRecord;
use crate::store::Store;

/// Where [`deliver_to_outbox`] put a digest's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outboxed {
    /// Written now, to this file.
    Written(PathBuf),
    /// Written before (at this time, when this version wrote it), to this file; the newsletter
    /// tool may have taken it since.
    Before(Option<DateTime<Utc>>, PathBuf),
}

/// Delivers a digest's message to the outbox once: writes it (see [`write_outbox`]) if the
/// record is due, then records in the store that it is not. A message the newsletter tool has
/// taken out of `new/` or `cur/` is never written again.
pub fn deliver_to_outbox(
    mail: &MailConfig,
    store: &Store,
    record: &mut DigestRecord,
) -> Result<Outboxed, RunError> {
    if !record.outbox_due {
        return Ok(Outboxed::Before(
            record.outboxed_at,
            maildir_path(mail, record),
        ));
    }
    // Idempotent: after a crash between writing and recording, the file is still there.
    let path = write_outbox(mail, record)?;
    record.outbox_due = false;
    record.outboxed_at = Some(Utc::now());
    store.put_digest(record)?;
    Ok(Outboxed::Written(path))
}

/// Writes the digest's data (`{outbox}/{name}/json/`), then the message into its Maildir
/// (`{outbox}/{name}/new/`, via `tmp/`): a newsletter tool that reacts to a message in `new/`
/// always finds its data in place, whenever a failure or a crash stopped the writing.
/// Idempotent: a message already delivered to the Maildir (in `new/` or picked up into
/// `cur/`) is not written again.
pub fn write_outbox(mail: &MailConfig, record: &DigestRecord) -> Result<PathBuf, RunError> {
    let root = mail.outbox.join(&record.name);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RunError::Outbox {
            path,
            error: source,
        }
    };
    for sub in ["tmp", "new", "cur", "json"] {
        std::fs::create_dir_all(root.join(sub)).map_err(io(&root.join(sub)))?;
    }
    let file = maildir_name(record);
    let target = root.join("new").join(&file);
    let picked_up = std::fs::read_dir(root.join("cur"))
        .map_err(io(&root.join("cur")))?
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with(&file));
    // The data first, written whole under a hidden name and renamed, so a pipeline never
    // reads half of it; one a crash left short is written again.
    let json = root.join("json").join(format!("{}.json", stamp(record)));
    let data = serde_json::to_vec_pretty(&record.json).unwrap_or_default();
    if std::fs::read(&json).ok().as_deref() != Some(data.as_slice()) {
        let tmp = root
            .join("json")
            .join(format!(".{}.json.tmp", stamp(record)));
        put_whole(&tmp, &json, &data).map_err(|(path, source)| RunError::Outbox {
            path,
            error: source,
        })?;
    }
    if !target.exists() && !picked_up {
        // Maildir delivery, last: write and sync in tmp/, then rename into new/ and sync the
        // folder, so a crash never leaves an empty or partial message for the newsletter tool.
        let tmp = root.join("tmp").join(&file);
        put_whole(&tmp, &target, record.eml.as_bytes()).map_err(|(path, source)| {
            RunError::Outbox {
                path,
                error: source,
            }
        })?;
    }
    Ok(target)
}

/// The file a digest's message is delivered to, in `new/`.
fn maildir_path(mail: &MailConfig, record: &DigestRecord) -> PathBuf {
    mail.outbox
        .join(&record.name)
        .join("new")
        .join(maildir_name(record))
}

fn maildir_name(record: &DigestRecord) -> String {
    format!("{}.{}.tributary", stamp(record), record.name)
}

/// Puts `bytes` at `path` whole: written and synced at `tmp` (removed again if that fails),
/// renamed into place, and the folder synced, so neither a reader nor a crash ever finds half
/// of it. The error names the file or folder it is about.
pub(super) fn put_whole(
    tmp: &Path,
    path: &Path,
    bytes: &[u8],
) -> Result<(), (PathBuf, std::io::Error)> {
    let placed = write_synced(tmp, bytes)
        .map_err(|e| (tmp.to_path_buf(), e))
        .and_then(|()| std::fs::rename(tmp, path).map_err(|e| (path.to_path_buf(), e)));
    if placed.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    placed?;
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::File::open(folder)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| (folder.to_path_buf(), e))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
