//! The files `--out` writes: a digest's data, HTML, text and message, or a preview's, each
//! put in place whole.

use std::path::{Path, PathBuf};

use super::outbox::put_whole;
use super::{stamp, RunError};
use crate::model::DigestRecord;

/// Writes `.json`, `.html`, `.txt` and `.eml` of a record into `dir` (the `--out` option), the
/// message last: a pipeline that reacts to the `.eml` finds the others in place. Each is
/// written whole and synced under a hidden name, then renamed into place: a pipeline watching
/// `dir` never reads half a file, and one that has the previous file open keeps reading it
/// whole.
pub fn export(record: &DigestRecord, dir: &Path) -> Result<Vec<PathBuf>, RunError> {
    export_as(record, dir, false)
}

/// [`export`] for a preview, a digest not stored and not the one that goes out: its files are
/// named `preview-NAME-…`, its message has an `X-Tributary-Preview` header and its data
/// `"preview": true`, so a pipeline watching the folder can tell it from a digest to send.
pub fn export_preview(record: &DigestRecord, dir: &Path) -> Result<Vec<PathBuf>, RunError> {
    export_as(record, dir, true)
}

fn export_as(record: &DigestRecord, dir: &Path, preview: bool) -> Result<Vec<PathBuf>, RunError> {
    std::fs::create_dir_all(dir).map_err(|error| RunError::Out {
        path: dir.to_path_buf(),
        error,
    })?;
    let mut base = format!("{}-{}", record.name, stamp(record));
    let mut data = record.json.clone();
    let mut eml = std::borrow::Cow::Borrowed(record.eml.as_str());
    if preview {
        base.insert_str(0, "preview-");
        if let Some(object) = data.as_object_mut() {
            object.insert("preview".into(), serde_json::Value::Bool(true));
        }
        let newline = if record.eml.contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        eml = std::borrow::Cow::Owned(format!(
            "X-Tributary-Preview: not stored; not the digest that goes out{newline}{}",
            record.eml
        ));
    }
    let json = serde_json::to_string_pretty(&data).unwrap_or_default();
    let mut written = Vec::new();
    for (ext, body) in [
        ("json", json.as_str()),
        ("html", record.html.as_str()),
        ("txt", record.text.as_str()),
        ("eml", &eml),
    ] {
        let path = dir.join(format!("{base}.{ext}"));
        let tmp = dir.join(format!(".{base}.{ext}.tmp"));
        put_whole(&tmp, &path, body.as_bytes()).map_err(|(path, source)| RunError::Out {
            path,
            error: source,
        })?;
        written.push(path);
    }
    Ok(written)
}
