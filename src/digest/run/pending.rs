//! Which stored digests are still to go out: those to write to the outbox, those to send,
//! and those the daemon leaves to be sent by hand (with the command that does it).

use chrono::{DateTime, Utc};

use super::RunError;
use crate::config::DigestConfig;
use crate::model::DigestRecord;
use crate::store::Store;

/// The digests of `d` built to be sent and not sent yet, oldest first: those after the newest
/// one that was sent (an older one that never went out was given up when a newer one did),
/// within the newest `PENDING_LOOKBACK` periods. `tick`, the daemon's schedule time: the
/// newest record, if it ends then and is unsent, counts whatever it was built for (one built
/// by an older version, without the mark, or by `digest --at` for that very time); a digest
/// built by hand for another time (`digest NAME` for the outbox alone) never does.
pub fn pending_sends(
    store: &Store,
    d: &DigestConfig,
    tick: Option<DateTime<Utc>>,
) -> Result<Vec<DigestRecord>, RunError> {
    let mut pending = Vec::new();
    for (i, record) in store
        .digests_newest_first(&d.name)?
        .take(PENDING_LOOKBACK)
        .enumerate()
    {
        let record = record?;
        if record.sent_at.is_some() {
            break;
        }
        let worth = record.count > 0 || d.send_empty;
        if worth && (record.deliver || (i == 0 && tick == Some(record.end))) {
            pending.push(record);
        }
    }
    pending.reverse();
    Ok(pending)
}

/// The digests of `d` whose message is still to be written to the outbox, oldest first:
/// those after the newest one written, within the newest `PENDING_LOOKBACK` periods,
/// leaving out empty ones (unless built and kept with `send_empty`), which are never written. Written oldest
/// first, a digest whose write failed is written before any newer one is, so the walk can
/// stop at the first one written.
pub fn outbox_pending(store: &Store, d: &DigestConfig) -> Result<Vec<DigestRecord>, RunError> {
    let mut due = Vec::new();
    for record in store.digests_newest_first(&d.name)?.take(PENDING_LOOKBACK) {
        let record = record?;
        // An empty digest is written only if it was to be when built (`send_empty` then),
        // and with `send_empty` now.
        if record.count == 0 && !(d.send_empty && record.outbox_due) {
            continue;
        }
        if !record.outbox_due {
            break;
        }
        due.push(record);
    }
    due.reverse();
    Ok(due)
}

/// [`pending_sends`] split in two: those sent by themselves (by the daemon, by a plain
/// `digest NAME --send`), and those the relay may have taken already (see
/// [`send`](super::send)), sent again only when named ([`resend_hint`]).
pub fn automatic_sends(
    store: &Store,
    d: &DigestConfig,
    tick: Option<DateTime<Utc>>,
) -> Result<(Vec<DigestRecord>, Vec<DigestRecord>), RunError> {
    let (unsettled, sure) = pending_sends(store, d, tick)?
        .into_iter()
        .partition(|r| r.send_uncertain || r.send_refused);
    Ok((sure, unsettled))
}

/// Why a digest [`automatic_sends`] leaves to be sent by hand is not sent by itself, and how
/// to send it.
pub fn unsettled_reason(record: &DigestRecord) -> String {
    let end = record.end.to_rfc3339();
    if record.send_refused {
        format!(
            "the relay refused the digest ending {end} for good ({}); once the cause is mended, {} sends it",
            record.send_error.as_deref().unwrap_or("no reason kept"),
            resend_hint(record)
        )
    } else {
        format!(
            "the relay may have taken the digest ending {end}; if it did not arrive, {} sends it",
            resend_hint(record)
        )
    }
}

/// The command that sends again a digest the relay may have taken.
pub fn resend_hint(record: &DigestRecord) -> String {
    format!(
        "`tributary digest {} --send --at {}`",
        record.name,
        record
            .end
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    )
}

/// How far back [`pending_sends`] looks, at most: digests not sent by then are given up.
const PENDING_LOOKBACK: usize = 64;
