//! SMTP delivery of a stored digest, at most once: attempts with waits between them while the
//! relay certainly has not taken the message, the outcome kept on the record, and the
//! daemon's stop honoured.

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::relay::{Attempt, Relay, STOPPED_BEFORE};
use super::{resend_hint, spec, RunError};
use crate::config::{DigestConfig, MailConfig};
use crate::digest;
use crate::model::DigestRecord;
use crate::store::Store;

/// How long a send stopped once its message is under way waits for the relay's answer: the
/// answer settles whether the list has the message, and a relay gives it within moments of
/// the message's end. A stop is not held up longer than this.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// Sends a stored digest over SMTP, at most once: a record with `sent_at` is not sent again.
/// Makes three attempts with growing waits between them while the relay certainly has not
/// taken the message; the outcome is stored on the record (a failure too, whatever its cause,
/// so the next send of the digest tries it again, by itself only when it was certainly not
/// taken). `stop` (the daemon stopping) ends the send: at once while the relay cannot have
/// the message, else once the relay answers it or [`STOP_GRACE`] has passed.
pub async fn send(
    mail: &MailConfig,
    d: &DigestConfig,
    store: &Store,
    mut record: DigestRecord,
    stop: &CancellationToken,
) -> Result<Sent, RunError> {
    if record.sent_at.is_some() {
        return Ok(Sent {
            record,
            refused: Vec::new(),
        });
    }
    // The envelope is the config's as it is now: so is the message's `To`.
    if let Some(eml) = digest::with_recipients(&record.eml, &spec(d)) {
        tracing::info!(digest = %record.name, end = %record.end, "the digest's recipients changed since it was built: it goes out with its To header as the config writes it now");
        record.eml = eml;
    }
    let outcome = match Relay::for_digest(mail, d) {
        Err(message) => Attempt::Unsendable(message),
        Ok(relay) => attempts(&relay, store, &record, stop).await?,
    };
    let stopped = matches!(outcome, Attempt::Stopped(_));
    let (message, uncertain, refused) = match outcome {
        Attempt::Sent { refused } => return sent(store, record, refused),
        Attempt::Retry(message) | Attempt::Unsendable(message) | Attempt::Stopped(message) => {
            (message, false, false)
        }
        Attempt::Refused(message) => (
            format!(
                "{message}; the relay refused it for good, so it is not sent again by itself: once the cause is mended, send it with {}",
                resend_hint(&record)
            ),
            false,
            true,
        ),
        Attempt::Uncertain(message) => (
            format!(
                "{message}; the relay may have taken the message, so it is not sent again by itself: check the list, and if it did not arrive send it with {}",
                resend_hint(&record)
            ),
            true,
            false,
        ),
    };
    record.send_error = Some(message.clone());
    record.send_uncertain = uncertain;
    record.send_refused = refused;
    // Asked to be sent: the next send of the digest tries it again (the daemon's only when
    // it was certainly not taken).
    record.deliver = true;
    store.put_digest(&record)?;
    Err(RunError::Send {
        name: record.name,
        message,
        again: !(uncertain || refused),
        stopped,
    })
}

/// Up to three attempts with growing waits between them, while the relay certainly has not
/// taken the message; the record is stored as under way before each, and with the failure
/// after one certainly not taken. What the last attempt gave (a stop said with the failure
/// before it).
async fn attempts(
    relay: &Relay<'_>,
    store: &Store,
    record: &DigestRecord,
    stop: &CancellationToken,
) -> Result<Attempt, RunError> {
    let mut outcome = Attempt::Refused(String::new());
    // The last attempt's failure, said beside a stop that ends the next one.
    let mut before = None;
    for attempt in 0..3u32 {
        if attempt > 0 {
            let wait = tokio::time::sleep(Duration::from_secs(2u64 << attempt));
            tokio::select! {
                () = wait => {}
                () = stop.cancelled() => {
                    outcome = Attempt::Stopped(STOPPED_BEFORE.into());
                    break;
                }
            }
        }
        // Recorded (and flushed) once the relay is ready for the message, before it
        // goes: should the process stop or die while it does, the digest is one the
        // relay may have taken, which is not sent again by itself.
        let under_way = || {
            store.put_digest(&DigestRecord {
                send_error: Some(format!(
                    "a send began at {} and had not ended when this was recorded: it is under way, or tributary stopped during it; the relay may have taken the message, so it is not sent again by itself: check the list, and if it did not arrive send it with {}",
                    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    resend_hint(record)
                )),
                send_uncertain: true,
                send_refused: false,
                deliver: true,
                ..record.clone()
            })
        };
        outcome = relay
            .attempt(record.eml.as_bytes(), under_way, stop)
            .await?;
        let warn = |message: &str| tracing::warn!(digest = %record.name, attempt = attempt + 1, error = %message, "sending the digest failed");
        match &outcome {
            Attempt::Sent { .. } | Attempt::Stopped(_) => break,
            Attempt::Refused(message)
            | Attempt::Uncertain(message)
            | Attempt::Unsendable(message) => {
                warn(message);
                break;
            }
            Attempt::Retry(message) => {
                warn(message);
                before = Some(message.clone());
                // Certainly not taken: so it reads while waiting for the next attempt.
                store.put_digest(&DigestRecord {
                    send_error: Some(message.clone()),
                    send_uncertain: false,
                    send_refused: false,
                    deliver: true,
                    ..record.clone()
                })?;
            }
        }
    }
    Ok(match (outcome, before) {
        (Attempt::Stopped(message), Some(before)) => {
            Attempt::Stopped(format!("{message} (the attempt before: {before})"))
        }
        (outcome, _) => outcome,
    })
}

/// A digest the relay took: stored as sent, with the recipients it refused told in the log.
fn sent(
    store: &Store,
    mut record: DigestRecord,
    refused: Vec<(String, String)>,
) -> Result<Sent, RunError> {
    record.sent_at = Some(Utc::now());
    record.send_error = None;
    record.send_uncertain = false;
    record.send_refused = false;
    if !refused.is_empty() {
        let count = refused.len();
        let told: Vec<String> = refused
            .iter()
            .map(|(to, reply)| format!("{to}: {reply}"))
            .collect();
        let told = told.join("; ");
        tracing::warn!(digest = %record.name, refused = %told, "the relay took the digest but refused some of its recipients");
        // The addresses in the log alone: the record is served (index.json).
        record.send_error = Some(format!(
            "sent; the relay refused {count} of its recipients (their addresses and its replies are in the log)"
        ));
    }
    store.put_digest(&record)?;
    Ok(Sent { record, refused })
}

/// A digest the relay took.
#[derive(Debug)]
pub struct Sent {
    /// Its record, as stored.
    pub record: DigestRecord,
    /// The recipients the relay refused (the digest went to the others), each with its
    /// reply; none when it was sent before.
    pub refused: Vec<(String, String)>,
}

impl Sent {
    /// The recipients of `d` the relay took it for, as the config writes them.
    pub fn accepted<'d>(&self, d: &'d DigestConfig) -> Vec<&'d str> {
        d.to.iter()
            .filter(|t| {
                let address = t
                    .parse::<lettre::message::Mailbox>()
                    .map(|m| m.email.to_string());
                !self
                    .refused
                    .iter()
                    .any(|(to, _)| address.as_deref() == Ok(to.as_str()))
            })
            .map(String::as_str)
            .collect()
    }
}
