//! A built digest as the store keeps it, with its delivery state.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::is_zero;

/// A built digest as stored: the period it covers and every rendering of it, so re-running
/// the period, serving it and sending it all use the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestRecord {
    /// The digest's name.
    pub name: String,
    /// Start of the period (first-seen times at or after it).
    pub start: DateTime<Utc>,
    /// End of the period (first-seen times before it); the next period starts here.
    pub end: DateTime<Utc>,
    /// Stories in the digest.
    pub count: usize,
    /// Stories first seen in the period but published more than the digest's `max_age`
    /// before its end, left out (a first fetch of a source's old entries).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub too_old: usize,
    /// The message's Message-ID.
    pub message_id: String,
    /// The message's subject.
    pub subject: String,
    /// The RFC 5322 message.
    pub eml: String,
    /// The HTML part.
    pub html: String,
    /// The text part.
    pub text: String,
    /// The digest as data.
    pub json: serde_json::Value,
    /// When it was handed to the SMTP relay (set once; a digest is never sent twice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// The last delivery error, if the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_error: Option<String>,
    /// Built and not yet written to the outbox. Written once, then cleared: a newsletter tool
    /// that takes the message out of the Maildir does not get it again. (Records from before
    /// the store kept this were written when they were built.)
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outbox_due: bool,
    /// When the message was written to the outbox, if this version wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outboxed_at: Option<DateTime<Utc>>,
    /// Built to be sent (by the daemon with `send = true`, or by `digest --send`): until it
    /// is, each later send of the digest sends it first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deliver: bool,
    /// The last attempt failed after the relay may have taken the message (the connection
    /// broke or timed out during the transaction): the daemon does not send it again, lest
    /// the list get it twice; `digest NAME --send` does, when asked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub send_uncertain: bool,
    /// The relay refused the message for good (a 5xx reply, a relay without what the
    /// message needs): trying again every minute would only repeat the refusal to the relay,
    /// so the daemon does not; `digest NAME --send --at END` does, once the cause is mended.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub send_refused: bool,
}
