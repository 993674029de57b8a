//! Digest runs (the IO half of the stage): which period a digest covers, building it from the store, the Maildir outbox,
//! and SMTP delivery that never sends one digest twice.
//!
//! Periods are contiguous: a digest covers stories first seen in `[start, end)`, where `start`
//! is the end of the previous digest of the same name (its mark in the store). A period that
//! was built before is returned as stored, so re-running it reproduces it byte for byte.
//!
//! - `times.rs`: the schedule's latest tick, the stamps that name a period's end, `--at`.
//! - `record.rs`: the period from the stored mark; building the record and storing it.
//! - `pending.rs`: which stored digests are still to be written to the outbox or sent.
//! - `outbox.rs`: the Maildir outbox (the message and its data), each digest written once.
//! - `export.rs`: the files `--out` writes.
//! - `smtp.rs`: SMTP delivery at most once, its outcome kept on the record.
//! - `relay.rs`: one attempt at the relay: connecting, the envelope, the message.

mod export;
mod outbox;
mod pending;
mod record;
mod relay;
mod smtp;
mod times;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use crate::config::DigestConfig;
use crate::digest::DigestSpec;

pub use export::{export, export_preview};
pub use outbox::{deliver_to_outbox, write_outbox, Outboxed};
pub use pending::{automatic_sends, outbox_pending, pending_sends, resend_hint, unsettled_reason};
pub use record::{build, is_issue, preview, DATA_VERSION};
pub use smtp::{send, Sent, STOP_GRACE};
pub use times::{last_tick, parse_at, parse_time_stamp, stamp, time_stamp};

/// Why a digest could not be built or delivered.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A template failed.
    #[error(transparent)]
    Digest(#[from] crate::digest::DigestError),
    /// Writing the outbox failed.
    #[error("cannot write the outbox {}: {error}", path.display())]
    Outbox {
        /// The path.
        path: PathBuf,
        /// The IO error (in the message, not as a source, so it is printed once).
        error: std::io::Error,
    },
    /// Writing the digest's files where `--out` asked failed.
    #[error("cannot write {}: {error}", path.display())]
    Out {
        /// The path.
        path: PathBuf,
        /// The IO error (in the message, not as a source, so it is printed once).
        error: std::io::Error,
    },
    /// Delivery failed after every retry.
    #[error("sending digest {name} failed: {message}")]
    Send {
        /// The digest.
        name: String,
        /// The last error.
        message: String,
        /// Whether the next send of the digest tries it again by itself (not when the relay
        /// refused it for good or may have taken it).
        again: bool,
        /// The send was stopped (the daemon was stopping) before the relay had the message.
        stopped: bool,
    },
    /// The schedule cannot say when a period starts.
    #[error("digest {0}: cannot compute its period from the cron expression")]
    Schedule(String),
}

/// The spec the pure digest stage needs, from the config.
pub fn spec(d: &DigestConfig) -> DigestSpec {
    DigestSpec {
        name: d.name.clone(),
        title: d.title.clone(),
        from: d.from.clone(),
        to: d.to.clone(),
        list_id: d.list_id.clone(),
        unsubscribe_url: d.unsubscribe_url.clone(),
        unsubscribe_mailto: d.unsubscribe_mailto.clone(),
        topics: d.topics.clone(),
        sources: d.sources.clone(),
        languages: d.languages.clone(),
        time_zone: d.time_zone,
        images: d.images,
        locale: d.locale,
        max_stories: d.max_stories,
        bcc: d.bcc,
        auto_submitted: d.auto_submitted,
    }
}
