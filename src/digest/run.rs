//! Digest runs (the IO half of the stage): which period a digest covers, building it from the store, the Maildir outbox,
//! and SMTP delivery that never sends one digest twice.
//!
//! Periods are contiguous: a digest covers stories first seen in `[start, end)`, where `start`
//! is the end of the previous digest of the same name (its mark in the store). A period that
//! was built before is returned as stored, so re-running it reproduces it byte for byte.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, DigestConfig, MailConfig, SmtpSecurity};
use crate::digest::{self, DigestSpec, Period, Templates};
use crate::model::DigestRecord;
use crate::store::Store;

/// The version of a digest's data (`"version"` in its JSON): raised when a field changes
/// meaning or goes; fields are added without raising it.
pub const DATA_VERSION: u32 = 1;

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

fn cron(d: &DigestConfig) -> Result<croner::Cron, RunError> {
    crate::config::parse_cron(&d.cron).map_err(|_| RunError::Schedule(d.name.clone()))
}

/// The latest scheduled time at or before `now`, to the second (croner keeps the fraction of
/// a second it was given).
pub fn last_tick(d: &DigestConfig, now: DateTime<Utc>) -> Result<DateTime<Utc>, RunError> {
    let local = now.with_timezone(&d.time_zone);
    cron(d)?
        .find_previous_occurrence(&local, true)
        .map(|t| t.with_timezone(&Utc).trunc_subsecs(0))
        .map_err(|_| RunError::Schedule(d.name.clone()))
}

/// A period end as digests name it in file names, URLs and Message-IDs: UTC to the second
/// (`20261130T060000Z`, every scheduled end), or to the millisecond when it has a fraction
/// (`20261130T060012.250Z`, an end given by hand), so that two digests built within one
/// second by hand have names of their own.
pub fn time_stamp(t: DateTime<Utc>) -> String {
    if t.timestamp_subsec_millis() == 0 {
        t.format("%Y%m%dT%H%M%SZ").to_string()
    } else {
        t.format("%Y%m%dT%H%M%S%.3fZ").to_string()
    }
}

/// The period a digest built at `end` covers.
fn period(store: &Store, d: &DigestConfig, end: DateTime<Utc>) -> Result<Period, RunError> {
    let start = match store.last_digest(&d.name)? {
        Some(last) if last.end < end => last.end,
        // First run: one schedule step back.
        _ => {
            let local = end.with_timezone(&d.time_zone);
            cron(d)?
                .find_previous_occurrence(&local, false)
                .map(|t| t.with_timezone(&Utc).trunc_subsecs(0))
                .map_err(|_| RunError::Schedule(d.name.clone()))?
        }
    };
    Ok(Period { start, end })
}

/// Builds (or, for a period built before, returns) the digest ending at `end`, and stores it,
/// which advances the digest's mark.
///
/// `deliver` marks a new record as one to send (see [`pending_sends`]).
pub fn build(
    config: &Config,
    store: &Store,
    d: &DigestConfig,
    end: DateTime<Utc>,
    deliver: bool,
) -> Result<DigestRecord, RunError> {
    let (record, new) = compose(config, store, d, end, deliver)?;
    if new {
        store.put_digest(&record)?;
    }
    Ok(record)
}

/// Whether a stored digest is an issue: one with stories, or one written or sent or to be
/// (an empty period with `send_empty`). An empty period that was neither only marks where the
/// next digest starts.
pub fn is_issue(record: &DigestRecord) -> bool {
    record.count > 0
        || record.outbox_due
        || record.outboxed_at.is_some()
        || record.sent_at.is_some()
        || record.deliver
}

/// The digest [`build`] would give for `end`, without storing it: the digest's mark stays
/// where it is, so the next digest covers the same stories. With it, whether it is a preview
/// only (`false`: a digest built before covers `end`, and this is that digest).
pub fn preview(
    config: &Config,
    store: &Store,
    d: &DigestConfig,
    end: DateTime<Utc>,
) -> Result<(DigestRecord, bool), RunError> {
    compose(config, store, d, end, false)
}

/// The digest ending at `end` (to the millisecond, as its stamp names it), and whether
/// it is new rather than one built before.
fn compose(
    config: &Config,
    store: &Store,
    d: &DigestConfig,
    end: DateTime<Utc>,
    deliver: bool,
) -> Result<(DigestRecord, bool), RunError> {
    // Ends are kept to the millisecond, as their stamps are (see [`time_stamp`]).
    let end = end.trunc_subsecs(3);
    if let Some(existing) = store.digest_at(&d.name, end)? {
        return Ok((existing, false));
    }
    if let Some(last) = store.last_digest(&d.name)? {
        if last.end > end {
            // A time inside an already covered period: give the digest that covered it.
            if let Some(covering) = store
                .digests(&d.name)?
                .into_iter()
                .find(|r| r.start <= end && end < r.end)
            {
                return Ok((covering, false));
            }
        }
    }
    // A period cannot end in the future: stories still to come would fall into it unseen.
    let end = end.min(Utc::now().trunc_subsecs(3));
    let period = period(store, d, end)?;
    let (items, old): (Vec<_>, Vec<_>) = store
        .first_seen_between(period.start, period.end)?
        .into_iter()
        .filter(|i| d.sources.is_empty() || i.sources.iter().any(|c| d.sources.contains(&c.source)))
        .partition(|i| !too_old(d, i, period.end));
    let spec = spec(d);
    let topic_order: Vec<String> = config.classifier.topics().map(str::to_string).collect();
    let topic_title = |t: &str| {
        config
            .classifier
            .title_in(t, d.locale.tag())
            .map(str::to_string)
    };
    // A source removed from the config (its stories stay until retention) by the title its
    // feed last had.
    let source_title = |s: &str| {
        config.source(s).map(|s| s.title.clone()).or_else(|| {
            store
                .source_state(s)
                .ok()
                .and_then(|state| state.feed_title)
                .filter(|t| !t.trim().is_empty())
        })
    };
    let built = digest::build(
        &spec,
        period,
        &items,
        &topic_title,
        &topic_order,
        &source_title,
    );
    let templates = Templates::new(d.template_dir.as_deref())?;
    let html = templates.html(&built)?;
    let text = templates.text(&built)?;
    let eml = digest::message(&spec, &built, &html, &text, &config.mail.domain);
    let eml = String::from_utf8_lossy(&eml).into_owned();
    let message_id = eml
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("message-id")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    let subject = digest::subject(&spec, &built);
    // The data names the message it goes with (its subject and Message-ID) and its own
    // version, for a pipeline that reads it beside the message.
    let mut json = serde_json::to_value(&built).unwrap_or_default();
    if let Some(object) = json.as_object_mut() {
        object.insert("version".into(), DATA_VERSION.into());
        object.insert("subject".into(), subject.clone().into());
        object.insert("message_id".into(), message_id.clone().into());
    }
    let record = DigestRecord {
        name: d.name.clone(),
        start: period.start,
        end: period.end,
        count: built.count,
        too_old: old.len(),
        message_id,
        subject,
        eml,
        html,
        text,
        json,
        sent_at: None,
        send_error: None,
        // An empty digest is written (and sent) only with `send_empty` as it is now: one
        // turned on later does not bring back the empty issues built before.
        outbox_due: built.count > 0 || d.send_empty,
        outboxed_at: None,
        deliver: deliver && (built.count > 0 || d.send_empty),
        send_uncertain: false,
        send_refused: false,
    };
    Ok((record, true))
}

/// Whether a story is older news than digest `d` takes: published (by its own date, not one
/// inferred from when it was first seen) more than `max_age` before the period's `end`.
fn too_old(d: &DigestConfig, item: &crate::model::Item, end: DateTime<Utc>) -> bool {
    let Some(max_age) = d.max_age.and_then(|a| chrono::Duration::from_std(a).ok()) else {
        return false;
    };
    !item.date_inferred
        && end
            .checked_sub_signed(max_age)
            .is_some_and(|oldest| item.published < oldest)
}

/// How far back [`pending_sends`] looks, at most: digests not sent by then are given up.
const PENDING_LOOKBACK: usize = 64;

/// The digests of `d` built to be sent and not sent yet, oldest first: those after the newest
/// one that was sent (an older one that never went out was given up when a newer one did),
/// within the newest [`PENDING_LOOKBACK`] periods. `tick`, the daemon's schedule time: the
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
/// those after the newest one written, within the newest [`PENDING_LOOKBACK`] periods,
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
/// `digest NAME --send`), and those the relay may have taken already (see [`send`]), sent
/// again only when named ([`resend_hint`]).
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

/// A [`time_stamp`] read back (a digest's name in URLs).
pub fn parse_time_stamp(text: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%S%.fZ")
        .ok()
        .map(|t| t.and_utc())
}

/// A file-name stamp for a record: its end in UTC.
pub fn stamp(record: &DigestRecord) -> String {
    time_stamp(record.end)
}

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

/// Puts `bytes` at `path` whole: written and synced at `tmp` (removed again if that fails),
/// renamed into place, and the folder synced, so neither a reader nor a crash ever finds half
/// of it. The error names the file or folder it is about.
fn put_whole(tmp: &Path, path: &Path, bytes: &[u8]) -> Result<(), (PathBuf, std::io::Error)> {
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
        Ok(relay) => {
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
                            resend_hint(&record)
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
            match (outcome, before) {
                (Attempt::Stopped(message), Some(before)) => {
                    Attempt::Stopped(format!("{message} (the attempt before: {before})"))
                }
                (outcome, _) => outcome,
            }
        }
    };
    let stopped = matches!(outcome, Attempt::Stopped(_));
    let (message, uncertain, refused) = match outcome {
        Attempt::Sent { refused } => {
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
            return Ok(Sent { record, refused });
        }
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

/// How one attempt to hand a digest to the relay ended.
enum Attempt {
    /// The relay accepted the message, for every recipient but those it refused (each
    /// with its reply).
    Sent { refused: Vec<(String, String)> },
    /// Certainly not taken, and another attempt may go through (no connection, a relay that
    /// did not answer before the message, a 4xx reply, a failed TLS handshake).
    Retry(String),
    /// Refused for good by the relay (a 5xx reply, a relay without what the message needs):
    /// not tried again until asked.
    Refused(String),
    /// The setup cannot send it (no relay configured, a password not set, a login or STARTTLS
    /// the relay refuses): not tried again in this send; the next may follow a mended config.
    Unsendable(String),
    /// The relay may have taken it (the connection broke or went quiet once the message was
    /// under way, a reply that does not parse, a stop it did not answer in time).
    Uncertain(String),
    /// Stopped before the relay had the message (the daemon was stopping): certainly not
    /// taken, and tried again by the next send.
    Stopped(String),
}

/// Why a send the daemon's stop ended did not go out.
const STOPPED_BEFORE: &str = "tributary stopped before the relay had the message: it did not go out, and the next send of the digest sends it";

/// Where an attempt was when an SMTP error ended it.
#[derive(Clone, Copy)]
enum Stage {
    /// Connecting, greeting, TLS, logging in: a refusal here is the relay's or the config's
    /// (a wrong password, no STARTTLS), which a mended config and a reload put right.
    Connect,
    /// The envelope (`MAIL`, `RCPT`, `DATA`): the relay cannot have taken a message it was
    /// not given, and a refusal here is of this message.
    Envelope,
    /// The message was under way.
    Message,
}

/// How an SMTP error at `stage` ends the attempt. Before the message, anything but a refusal
/// is worth another attempt; once it was under way, only what says the relay certainly did
/// not take it (a 4xx reply, a failed TLS handshake), and a broken connection or a reply that
/// does not parse leaves it uncertain. A refusal (a 5xx reply, or the client refusing before
/// it sends anything) of the envelope or the message is this message's, for good; one while
/// connecting or logging in is the setup's, tried again at the next send.
fn failed(e: &lettre::transport::smtp::Error, stage: Stage) -> Attempt {
    let message = e.to_string();
    let refusal = e.is_permanent() || e.is_client();
    match stage {
        Stage::Connect if refusal => Attempt::Unsendable(message),
        Stage::Envelope | Stage::Message if refusal => Attempt::Refused(message),
        Stage::Connect | Stage::Envelope => Attempt::Retry(message),
        Stage::Message if e.is_transient() || e.is_tls() => Attempt::Retry(message),
        Stage::Message => Attempt::Uncertain(message),
    }
}

/// `[mail.smtp]` and one digest's envelope, ready for attempts.
struct Relay<'a> {
    smtp: &'a crate::config::SmtpConfig,
    envelope: lettre::address::Envelope,
    credentials: Option<lettre::transport::smtp::authentication::Credentials>,
}

impl<'a> Relay<'a> {
    /// Everything an attempt needs that does not depend on the relay; an error here is the
    /// config's (checked when it loads) or the environment's, and no attempt would change it.
    fn for_digest(mail: &'a MailConfig, d: &DigestConfig) -> Result<Relay<'a>, String> {
        let Some(smtp) = &mail.smtp else {
            return Err("no [mail.smtp] relay is configured".into());
        };
        let from: lettre::message::Mailbox =
            d.from.parse().map_err(|e| format!("bad from: {e}"))?;
        let to: Vec<lettre::Address> =
            d.to.iter()
                .filter_map(|t| t.parse::<lettre::message::Mailbox>().ok().map(|m| m.email))
                .collect();
        if to.is_empty() {
            return Err("the digest has no recipients".into());
        }
        let envelope =
            lettre::address::Envelope::new(Some(from.email), to).map_err(|e| e.to_string())?;
        let credentials = match &smtp.username {
            None => None,
            Some(user) => {
                let password = std::env::var(&smtp.password_env).map_err(|_| {
                    format!(
                        "the SMTP password is read from ${}, which is not set",
                        smtp.password_env
                    )
                })?;
                Some(lettre::transport::smtp::authentication::Credentials::new(
                    user.clone(),
                    password,
                ))
            }
        };
        Ok(Relay {
            smtp,
            envelope,
            credentials,
        })
    }

    /// One attempt: [`Relay::connect`], [`Relay::envelope`], then `under_way` (the record's
    /// mark) and the message itself within `[mail.smtp] timeout`. Until the message goes,
    /// the relay cannot have taken it, whatever goes wrong, and `stop` ends the attempt at
    /// once; once it goes, the relay's answer is waited for up to [`STOP_GRACE`] after `stop`.
    async fn attempt(
        &self,
        eml: &[u8],
        under_way: impl FnOnce() -> Result<(), crate::store::StoreError>,
        stop: &CancellationToken,
    ) -> Result<Attempt, crate::store::StoreError> {
        let connected = tokio::select! {
            connected = self.connect() => connected,
            () = stop.cancelled() => return Ok(Attempt::Stopped(STOPPED_BEFORE.into())),
        };
        let mut conn = match connected {
            Ok(conn) => conn,
            Err(failure) => return Ok(failure),
        };
        let envelope = tokio::select! {
            envelope = self.envelope(&mut conn, eml) => Some(envelope),
            () = stop.cancelled() => None,
        };
        let outcome = match envelope {
            None => Attempt::Stopped(STOPPED_BEFORE.into()),
            Some(Err(failure)) => failure,
            Some(Ok(refused)) => {
                under_way()?;
                let stopped = async {
                    stop.cancelled().await;
                    tokio::time::sleep(STOP_GRACE).await;
                };
                tokio::select! {
                    message = tokio::time::timeout(self.smtp.timeout, conn.message(eml)) => match message {
                        Err(_) => Attempt::Uncertain(format!(
                            "the relay did not finish the delivery within {}",
                            humantime::format_duration(self.smtp.timeout)
                        )),
                        Ok(Err(e)) => failed(&e, Stage::Message),
                        Ok(Ok(_)) => Attempt::Sent { refused },
                    },
                    () = stopped => Attempt::Uncertain(format!(
                        "tributary stopped while the relay was taking the message, which it had not answered {} later",
                        humantime::format_duration(STOP_GRACE)
                    )),
                }
            }
        };
        // QUIT, as lettre does; its answer changes nothing, and a stop does not wait for it.
        if !stop.is_cancelled() {
            let _ = tokio::time::timeout(Duration::from_secs(5), conn.abort()).await;
        }
        Ok(outcome)
    }

    /// Connecting, greeting, TLS and logging in, within twice `[mail.smtp] timeout` (lettre
    /// bounds the TCP connection to each of the relay's addresses by it, so a second one is
    /// tried).
    async fn connect(
        &self,
    ) -> Result<lettre::transport::smtp::client::AsyncSmtpConnection, Attempt> {
        use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
        let smtp = self.smtp;
        let hello = lettre::transport::smtp::extension::ClientId::default();
        let tls = || TlsParameters::new(smtp.host.clone());
        let connect = async {
            let wrapped = match smtp.security {
                SmtpSecurity::Tls => Some(tls()?),
                SmtpSecurity::StartTls | SmtpSecurity::None => None,
            };
            let mut conn = AsyncSmtpConnection::connect_tokio1(
                (smtp.host.as_str(), smtp.port),
                Some(smtp.timeout),
                &hello,
                wrapped,
                None,
            )
            .await?;
            if smtp.security == SmtpSecurity::StartTls {
                conn.starttls(tls()?, &hello).await?;
            }
            if let Some(credentials) = &self.credentials {
                conn.auth(
                    lettre::transport::smtp::authentication::DEFAULT_MECHANISMS,
                    credentials,
                )
                .await?;
            }
            Ok::<_, lettre::transport::smtp::Error>(conn)
        };
        let within = smtp.timeout.saturating_mul(2);
        match tokio::time::timeout(within, connect).await {
            Err(_) => Err(Attempt::Retry(format!(
                "the relay did not let the message be sent within {}",
                humantime::format_duration(within)
            ))),
            Ok(Err(e)) => Err(failed(&e, Stage::Connect)),
            Ok(Ok(conn)) => Ok(conn),
        }
    }

    /// The envelope (`MAIL`, `RCPT`, `DATA`) within `[mail.smtp] timeout`, as lettre's `send`
    /// writes it (SMTPUTF8 for addresses that need it, 8BITMIME for a body that does), a
    /// command at a time. lettre's `send` gives no point between the envelope and the
    /// message, which is where the "may have been taken" mark must be stored. A recipient
    /// the relay refuses does not stop the others (RFC 5321, 3.3): the message goes to those
    /// it accepts, and the refused ones are returned with the relay's replies; with none
    /// accepted the attempt ends as the first refusal says.
    async fn envelope(
        &self,
        conn: &mut lettre::transport::smtp::client::AsyncSmtpConnection,
        eml: &[u8],
    ) -> Result<Vec<(String, String)>, Attempt> {
        use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
        use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};
        let mut options = Vec::new();
        let mut addresses = self.envelope.from().into_iter().chain(self.envelope.to());
        if addresses.any(|a: &lettre::Address| !AsRef::<str>::as_ref(a).is_ascii()) {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(Attempt::Refused(
                    "the recipients or sender need SMTPUTF8, which the relay does not offer".into(),
                ));
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !eml.is_ascii() {
            if !conn.server_info().supports_feature(Extension::EightBitMime) {
                return Err(Attempt::Refused(
                    "the message needs 8BITMIME, which the relay does not offer".into(),
                ));
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let commands = async {
            conn.command(Mail::new(self.envelope.from().cloned(), options))
                .await?;
            let mut refused = Vec::new();
            let mut first_refusal = None;
            for to in self.envelope.to() {
                match conn.command(Rcpt::new(to.clone(), vec![])).await {
                    Ok(_) => {}
                    // Refused for good: the others still get it.
                    Err(e) if e.is_permanent() => {
                        refused.push((to.to_string(), e.to_string()));
                        first_refusal.get_or_insert(e);
                    }
                    // Not now (greylisting, too many recipients at once): nobody has the
                    // message yet, so the whole attempt waits for the next.
                    Err(e) => return Err(e),
                }
            }
            if let Some(e) = first_refusal.filter(|_| refused.len() == self.envelope.to().len()) {
                return Err(e);
            }
            conn.command(Data).await?;
            Ok(refused)
        };
        match tokio::time::timeout(self.smtp.timeout, commands).await {
            Err(_) => Err(Attempt::Retry(format!(
                "the relay did not take the envelope within {}",
                humantime::format_duration(self.smtp.timeout)
            ))),
            Ok(Err(e)) => Err(failed(&e, Stage::Envelope)),
            Ok(Ok(refused)) => Ok(refused),
        }
    }
}

/// Parses `--at`: RFC 3339, or `YYYY-MM-DD HH:MM` / `YYYY-MM-DDTHH:MM` in the digest's zone.
pub fn parse_at(text: &str, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(text, f) {
            // A time the clocks skipped is read with the offset before the change, as a
            // feed's dates are.
            return crate::parse::dates::in_zone(n, Some(tz));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn config(name: &str) -> DigestConfig {
        DigestConfig {
            name: name.into(),
            title: "Daily".into(),
            cron: "0 0 7 * * *".into(),
            time_zone: chrono_tz::UTC,
            topics: vec![],
            sources: vec![],
            languages: vec![],
            from: "d@example.org".into(),
            to: vec!["list@example.org".into()],
            list_id: None,
            unsubscribe_url: None,
            unsubscribe_mailto: None,
            template_dir: None,
            send: true,
            send_empty: false,
            images: false,
            max_age: None,
            locale: crate::digest::Locale::En,
            max_stories: None,
            bcc: false,
            auto_submitted: false,
        }
    }

    #[test]
    fn out_files_replace_the_previous_ones_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = record("daily", 20, 1, false, false);
        r.eml = "Subject: first\r\n\r\nfirst".into();
        let written = export(&r, dir.path()).unwrap();
        let eml = written
            .iter()
            .find(|p| p.extension() == Some("eml".as_ref()))
            .unwrap();
        // A reader of the first file (here a second name for it) keeps it whole.
        let kept = dir.path().join("kept.eml");
        std::fs::hard_link(eml, &kept).unwrap();
        r.eml = "Subject: second\r\n\r\nsecond".into();
        assert_eq!(export(&r, dir.path()).unwrap(), written);
        assert_eq!(std::fs::read_to_string(eml).unwrap(), r.eml);
        assert_eq!(
            std::fs::read_to_string(&kept).unwrap(),
            "Subject: first\r\n\r\nfirst"
        );
        // Nothing but the four files (and the reader's name) is left.
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 5, "{names:?}");
        assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    }

    #[test]
    fn an_out_file_that_cannot_be_put_in_place_leaves_nothing_half_written() {
        let dir = tempfile::tempdir().unwrap();
        let r = record("daily", 20, 1, false, false);
        let written = export(&r, dir.path()).unwrap();
        // The .html's name taken by a folder: its rename fails.
        let html = written
            .iter()
            .find(|p| p.extension() == Some("html".as_ref()))
            .unwrap();
        std::fs::remove_file(html).unwrap();
        std::fs::create_dir(html).unwrap();
        assert!(matches!(export(&r, dir.path()), Err(RunError::Out { .. })));
        let hidden: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(hidden.is_empty(), "{hidden:?}");
    }

    fn record(name: &str, day: u32, count: usize, deliver: bool, sent: bool) -> DigestRecord {
        let end = Utc.with_ymd_and_hms(2026, 11, day, 7, 0, 0).unwrap();
        DigestRecord {
            name: name.into(),
            start: end - chrono::Duration::days(1),
            end,
            count,
            too_old: 0,
            message_id: String::new(),
            subject: String::new(),
            eml: String::new(),
            html: String::new(),
            text: String::new(),
            json: serde_json::Value::Null,
            sent_at: sent.then_some(end),
            send_error: None,
            outbox_due: true,
            outboxed_at: None,
            deliver,
            send_uncertain: false,
            send_refused: false,
        }
    }

    fn mail(outbox: &Path) -> MailConfig {
        MailConfig {
            outbox: outbox.to_path_buf(),
            domain: "example.org".into(),
            smtp: None,
        }
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// `--at` in the digest's zone, a time the clocks skipped read with the offset before the
    /// change (not refused as if it were written wrong).
    #[test]
    fn at_times_are_read_in_the_digests_zone_across_the_clock_change() {
        let tz = chrono_tz::Europe::Belgrade;
        assert_eq!(
            parse_at("2026-11-30 07:00", tz).unwrap().to_rfc3339(),
            "2026-11-30T06:00:00+00:00"
        );
        assert_eq!(
            parse_at("2026-03-29 02:30", tz).unwrap().to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
        assert_eq!(
            parse_at("2026-03-29T05:00:00Z", tz).unwrap().to_rfc3339(),
            "2026-03-29T05:00:00+00:00"
        );
        assert!(parse_at("29.03.2026", tz).is_none());
    }

    #[test]
    fn a_scheduled_period_ends_on_the_second_of_its_schedule() {
        let mut d = config("daily");
        d.cron = "0 0 7 * * *".into();
        let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 32, 10).unwrap()
            + chrono::Duration::milliseconds(181);
        assert_eq!(
            last_tick(&d, now).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 2, 7, 0, 0).unwrap()
        );
    }

    #[test]
    fn digests_ending_within_one_second_have_names_of_their_own() {
        let scheduled = Utc.with_ymd_and_hms(2026, 11, 30, 6, 0, 0).unwrap();
        assert_eq!(time_stamp(scheduled), "20261130T060000Z");
        let by_hand = scheduled + chrono::Duration::microseconds(250_700);
        assert_eq!(time_stamp(by_hand.trunc_subsecs(3)), "20261130T060000.250Z");
        for t in [scheduled, by_hand.trunc_subsecs(3)] {
            assert_eq!(parse_time_stamp(&time_stamp(t)), Some(t));
        }
        assert_eq!(parse_time_stamp("20261130T0600Z"), None);

        let dir = tempfile::tempdir().unwrap();
        let mail = mail(dir.path());
        let mut a = record("daily", 30, 2, false, false);
        let mut b = record("daily", 30, 1, false, false);
        a.end += chrono::Duration::milliseconds(250);
        a.eml = "first".into();
        b.start = a.end;
        b.end += chrono::Duration::milliseconds(750);
        b.eml = "second".into();
        let (pa, pb) = (
            write_outbox(&mail, &a).unwrap(),
            write_outbox(&mail, &b).unwrap(),
        );
        assert_ne!(pa, pb);
        assert_eq!(std::fs::read_to_string(pa).unwrap(), "first");
        assert_eq!(std::fs::read_to_string(pb).unwrap(), "second");
    }

    #[test]
    fn a_digest_reaches_the_outbox_once_even_after_the_newsletter_tool_took_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::store::test_config(&dir.path().join("store"))).unwrap();
        let mail = mail(&dir.path().join("outbox"));
        let mut r = record("daily", 2, 3, true, false);
        r.eml = "Subject: daily\r\n\r\nthree stories\r\n".into();
        store.put_digest(&r).unwrap();
        let new = dir.path().join("outbox/daily/new");

        let Outboxed::Written(path) = deliver_to_outbox(&mail, &store, &mut r).unwrap() else {
            panic!("the first delivery writes the message");
        };
        assert_eq!(std::fs::read_to_string(&path).unwrap(), r.eml);
        assert_eq!(files(&new).len(), 1);
        // The mark is kept in the store, not only in the caller's copy.
        let stored = store.digest_at("daily", r.end).unwrap().unwrap();
        assert_eq!(stored.outboxed_at, r.outboxed_at);
        assert!(stored.outboxed_at.is_some());

        // The newsletter tool takes the message away; later checks (the daemon's, every
        // minute) do not put it back.
        std::fs::remove_file(&path).unwrap();
        let mut again = store.digest_at("daily", r.end).unwrap().unwrap();
        assert!(!again.outbox_due);
        assert!(matches!(
            deliver_to_outbox(&mail, &store, &mut again).unwrap(),
            Outboxed::Before(at, p) if at == r.outboxed_at && p == path
        ));
        assert!(files(&new).is_empty());

        // A record stored before the store kept this (written when it was built, as every
        // digest was) is not written again either, after an upgrade or an import.
        let mut old = record("daily", 4, 2, true, false);
        old.outbox_due = false;
        store.put_digest(&old).unwrap();
        assert!(matches!(
            deliver_to_outbox(&mail, &store, &mut old).unwrap(),
            Outboxed::Before(None, _)
        ));
        assert!(files(&new).is_empty());
        let json: serde_json::Value = serde_json::to_value(&old).unwrap();
        assert!(json.get("outbox_due").is_none());
        let legacy: DigestRecord = serde_json::from_value(serde_json::json!({
            "name": "daily", "start": "2026-11-01T07:00:00Z", "end": "2026-11-02T07:00:00Z",
            "count": 1, "message_id": "", "subject": "", "eml": "", "html": "", "text": "",
            "json": null
        }))
        .unwrap();
        assert!(!legacy.outbox_due && legacy.outboxed_at.is_none());
    }

    #[test]
    fn digests_not_written_to_the_outbox_are_due_oldest_first_after_the_newest_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::store::test_config(&dir.path().join("store"))).unwrap();
        let d = config("daily");
        let days = |due: Vec<DigestRecord>| {
            due.iter()
                .map(|r| chrono::Datelike::day(&r.end))
                .collect::<Vec<_>>()
        };
        let mut written = record("daily", 2, 3, false, false);
        written.outbox_due = false;
        store.put_digest(&written).unwrap();
        // Two whose writes failed (the outbox was not mounted), an empty one between them,
        // built without `send_empty` (so never to be written).
        store
            .put_digest(&record("daily", 3, 1, false, false))
            .unwrap();
        let mut empty = record("daily", 4, 0, false, false);
        empty.outbox_due = false;
        store.put_digest(&empty).unwrap();
        store
            .put_digest(&record("daily", 5, 2, false, false))
            .unwrap();
        assert_eq!(days(outbox_pending(&store, &d).unwrap()), [3, 5]);
        // `send_empty` turned on later: the empty one built before is not written now; one
        // built with it is.
        let every = DigestConfig {
            send_empty: true,
            ..config("daily")
        };
        assert_eq!(days(outbox_pending(&store, &every).unwrap()), [3, 5]);
        store
            .put_digest(&record("daily", 6, 0, false, false))
            .unwrap();
        assert_eq!(days(outbox_pending(&store, &every).unwrap()), [3, 5, 6]);
        assert_eq!(days(outbox_pending(&store, &d).unwrap()), [3, 5]);
        // Written, oldest first: none is due any more.
        let mail = mail(&dir.path().join("outbox"));
        for mut due in outbox_pending(&store, &every).unwrap() {
            deliver_to_outbox(&mail, &store, &mut due).unwrap();
        }
        assert!(outbox_pending(&store, &every).unwrap().is_empty());
        assert_eq!(files(&dir.path().join("outbox/daily/new")).len(), 3);
    }

    #[test]
    fn a_message_written_before_a_crash_kept_the_mark_is_not_written_twice() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::store::test_config(&dir.path().join("store"))).unwrap();
        let mail = mail(&dir.path().join("outbox"));
        // Written, then a crash before the mark was stored; the reader moved it to cur/.
        let mut r = record("daily", 3, 2, true, false);
        r.eml = "Subject: daily\r\n\r\ntwo stories\r\n".into();
        let path = write_outbox(&mail, &r).unwrap();
        let cur = dir.path().join("outbox/daily/cur");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::rename(&path, cur.join(format!("{name}:2,S"))).unwrap();

        assert!(matches!(
            deliver_to_outbox(&mail, &store, &mut r).unwrap(),
            Outboxed::Written(_)
        ));
        assert!(files(&dir.path().join("outbox/daily/new")).is_empty());
        assert_eq!(files(&cur), [format!("{name}:2,S")]);
        assert!(r.outboxed_at.is_some() && !r.outbox_due);
    }

    /// The data file beside a message is written whole or not at all, and one a crash left
    /// short is written again; nothing of the writing is left under a name a pipeline reads.
    #[test]
    fn the_data_file_is_written_whole_and_mended_when_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        let mail = mail(&dir.path().join("outbox"));
        let mut r = record("daily", 3, 2, true, false);
        r.json = serde_json::json!({"count": 2, "stories": ["one", "two"]});
        write_outbox(&mail, &r).unwrap();
        let json_dir = dir.path().join("outbox/daily/json");
        let written = files(&json_dir);
        assert_eq!(written.len(), 1, "{written:?}");
        let path = json_dir.join(&written[0]);
        let whole = std::fs::read(&path).unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&whole).unwrap(),
            r.json
        );
        // Cut short by a crash: the next write of the digest mends it.
        std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
        write_outbox(&mail, &r).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), whole);
        assert_eq!(files(&json_dir), written);
    }

    #[test]
    fn a_message_reaches_new_only_once_its_data_is_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let mail = mail(&dir.path().join("outbox"));
        let r = record("daily", 4, 2, true, false);
        // The data file's name taken by a folder: its rename fails, and the message stays out
        // of new/ (a newsletter tool reacting to it would find no data).
        let json_dir = dir.path().join("outbox/daily/json");
        std::fs::create_dir_all(json_dir.join(format!("{}.json", stamp(&r)))).unwrap();
        assert!(matches!(
            write_outbox(&mail, &r),
            Err(RunError::Outbox { .. })
        ));
        assert!(files(&dir.path().join("outbox/daily/new")).is_empty());
        std::fs::remove_dir(json_dir.join(format!("{}.json", stamp(&r)))).unwrap();
        let delivered = write_outbox(&mail, &r).unwrap();
        assert!(delivered.exists());
        assert_eq!(files(&json_dir).len(), 1);
        // --out writes the message last too.
        let out = dir.path().join("out");
        std::fs::create_dir_all(out.join(format!("daily-{}.txt", stamp(&r)))).unwrap();
        assert!(matches!(export(&r, &out), Err(RunError::Out { .. })));
        assert!(
            !files(&out).iter().any(|n| n.ends_with(".eml")),
            "{:?}",
            files(&out)
        );
    }

    #[test]
    fn a_damaged_older_record_does_not_keep_newer_digests_from_going_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::store::test_config(dir.path())).unwrap();
        let d = config("daily");
        let (older, newer) = (
            record("daily", 3, 3, true, false),
            record("daily", 6, 4, true, false),
        );
        for r in [&older, &newer] {
            let mut r = r.clone();
            r.outbox_due = true;
            store.put_digest(&r).unwrap();
        }
        store.damage_digest("daily", older.end);
        let ends = |v: Vec<DigestRecord>| v.iter().map(|r| r.end).collect::<Vec<_>>();
        assert_eq!(ends(pending_sends(&store, &d, None).unwrap()), [newer.end]);
        assert_eq!(ends(outbox_pending(&store, &d).unwrap()), [newer.end]);
    }

    #[test]
    fn pending_sends_are_those_to_send_after_the_newest_sent_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::store::test_config(dir.path())).unwrap();
        let d = config("daily");
        let ends = |v: Vec<DigestRecord>| v.iter().map(|r| r.end.day()).collect::<Vec<_>>();
        use chrono::Datelike;
        for r in [
            record("daily", 1, 3, true, false), // before the newest sent: given up
            record("daily", 2, 3, true, true),
            record("daily", 3, 3, true, false), // the relay was down
            record("daily", 4, 0, true, false), // nothing to send
            record("daily", 5, 2, false, false), // a preview (`digest daily --out`)
            record("daily", 6, 4, true, false), // the relay was down again
            record("daily-2", 7, 1, true, false), // another digest whose name starts alike
        ] {
            store.put_digest(&r).unwrap();
        }
        assert_eq!(ends(pending_sends(&store, &d, None).unwrap()), [3, 6]);
        let eight = record("daily", 8, 1, false, false);
        let tick = eight.end;
        store.put_digest(&eight).unwrap();
        assert_eq!(ends(pending_sends(&store, &d, None).unwrap()), [3, 6]);
        // The daemon's newest, built for its tick by an older version without the mark,
        // counts too; a digest built by hand for another time does not.
        assert_eq!(
            ends(pending_sends(&store, &d, Some(tick)).unwrap()),
            [3, 6, 8]
        );
        let later = tick + chrono::Duration::hours(1);
        assert_eq!(
            ends(pending_sends(&store, &d, Some(later)).unwrap()),
            [3, 6]
        );
        // Once a newer one went out, the older unsent ones are given up.
        store
            .put_digest(&record("daily", 9, 1, true, true))
            .unwrap();
        assert!(pending_sends(&store, &d, Some(tick)).unwrap().is_empty());
        assert_eq!(
            ends(pending_sends(&store, &config("daily-2"), None).unwrap()),
            [7]
        );
    }

    #[test]
    fn the_daemon_leaves_a_digest_the_relay_may_have_taken_to_be_sent_by_hand() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::store::test_config(dir.path())).unwrap();
        let d = config("daily");
        let mut uncertain = record("daily", 2, 3, true, false);
        uncertain.send_uncertain = true;
        store.put_digest(&uncertain).unwrap();
        store
            .put_digest(&record("daily", 3, 1, true, false))
            .unwrap();
        let ends = |v: Vec<DigestRecord>| {
            use chrono::Datelike;
            v.iter().map(|r| r.end.day()).collect::<Vec<_>>()
        };
        let (sure, left) = automatic_sends(&store, &d, None).unwrap();
        assert_eq!((ends(sure), ends(left)), (vec![3], vec![2]));
        assert_eq!(ends(pending_sends(&store, &d, None).unwrap()), [2, 3]);
    }
}
