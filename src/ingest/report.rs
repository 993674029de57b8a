//! What a pass reports for each source: its [`Outcome`], with the kinds of failure it
//! tells apart, and the [`SourceReport`] the CLI prints and the daemon counts.

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::model::ErrorKind;
use crate::model::Source;
use crate::store::ApplyReport;

/// What happened to one source in one pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    /// A document was parsed and applied.
    Ok(ApplyReport),
    /// The server said 304.
    NotModified,
    /// Same bytes as last time: not parsed.
    Unchanged,
    /// Not fetched: the source is backing off or the server asked us to wait.
    Deferred {
        /// When the next attempt is allowed.
        until: DateTime<Utc>,
        /// Another source of the same host, whose request the host answered with 429 (Too
        /// Many Requests) and a wait: `None` when the source itself is backing off.
        #[serde(skip_serializing_if = "Option::is_none")]
        paused_by: Option<String>,
    },
    /// Fetching or parsing failed.
    Error {
        /// What went wrong.
        message: String,
        /// Its kind, for alerts and dashboards to group by.
        kind: ErrorKind,
    },
    /// Not fetched, or its download left unread: the process is stopping. No failure of its
    /// source, whose state stays as it was for the next start.
    Stopped,
}

impl Outcome {
    /// Every [`Outcome::status`] the `fetches` metric counts (not `stopped`: a fetch the
    /// process's stop cut short is not counted).
    pub const STATUSES: [&'static str; 5] =
        ["ok", "not-modified", "unchanged", "deferred", "error"];

    /// The outcome's name, as in the JSON report and the `fetches` metric: `ok`,
    /// `not-modified`, `unchanged`, `deferred`, `error` or `stopped`.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Ok(_) => "ok",
            Outcome::NotModified => "not-modified",
            Outcome::Unchanged => "unchanged",
            Outcome::Deferred { .. } => "deferred",
            Outcome::Error { .. } => "error",
            Outcome::Stopped => "stopped",
        }
    }
}

/// One source's result in a pass.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    /// The source id.
    pub source: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Body bytes downloaded.
    pub bytes: usize,
    /// Wall time of the whole pipeline for this source (fetch, parse, store), in milliseconds,
    /// without the wait for a fetch slot of its host or of the pass (`queued_millis`).
    pub millis: u128,
    /// How long the fetch waited for a free slot before it began, in milliseconds.
    #[serde(skip_serializing_if = "crate::model::is_zero")]
    pub queued_millis: u128,
    /// Oddities that did not stop the source.
    pub warnings: Vec<String>,
    /// The store could not be read or written (the outcome is an error, and not the
    /// source's own: a full disk, say).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub store_failed: bool,
    /// The source was failing before this fetch, which did not fail: how many fetches in a
    /// row had failed.
    #[serde(skip_serializing_if = "crate::model::is_zero")]
    pub recovered_after: u32,
}

impl SourceReport {
    /// The report of a turn of `source` that has not begun.
    pub fn empty(source: &Source) -> SourceReport {
        SourceReport {
            source: source.id.clone(),
            outcome: Outcome::Unchanged,
            bytes: 0,
            millis: 0,
            queued_millis: 0,
            warnings: Vec::new(),
            store_failed: false,
            recovered_after: 0,
        }
    }
}
