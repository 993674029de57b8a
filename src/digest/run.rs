//! Digest runs (the IO half of the stage): which period a digest covers, building it from the store, the Maildir outbox,
//! and SMTP delivery that never sends one digest twice.
//!
//! Periods are contiguous: a digest covers stories first seen in `[start, end)`, where `start`
//! is the end of the previous digest of the same name (its mark in the store). A period that
//! was built before is returned as stored, so re-running it reproduces it byte for byte.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use crate::config::{Config, DigestConfig, MailConfig, SmtpSecurity};
use crate::digest::{self, DigestSpec, Period, Templates};
use crate::model::DigestRecord;
use crate::store::Store;

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
    #[error("cannot write the outbox {}: {source}", path.display())]
    Outbox {
        /// The path.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// Delivery failed after every retry.
    #[error("sending digest {name} failed: {message}")]
    Send {
        /// The digest.
        name: String,
        /// The last error.
        message: String,
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
    }
}

fn cron(d: &DigestConfig) -> Result<croner::Cron, RunError> {
    crate::config::parse_cron(&d.cron).map_err(|_| RunError::Schedule(d.name.clone()))
}

/// The latest scheduled time at or before `now`.
pub fn last_tick(d: &DigestConfig, now: DateTime<Utc>) -> Result<DateTime<Utc>, RunError> {
    let local = now.with_timezone(&d.time_zone);
    cron(d)?
        .find_previous_occurrence(&local, true)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| RunError::Schedule(d.name.clone()))
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
                .map(|t| t.with_timezone(&Utc))
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
    if let Some(existing) = store.digest_at(&d.name, end)? {
        return Ok(existing);
    }
    if let Some(last) = store.last_digest(&d.name)? {
        if last.end > end {
            // A time inside an already covered period: give the digest that covered it.
            if let Some(covering) = store
                .digests(&d.name)?
                .into_iter()
                .find(|r| r.start <= end && end < r.end)
            {
                return Ok(covering);
            }
        }
    }
    // A period cannot end in the future: stories still to come would fall into it unseen.
    let end = end.min(Utc::now());
    let period = period(store, d, end)?;
    let items: Vec<_> = store
        .first_seen_between(period.start, period.end)?
        .into_iter()
        .filter(|i| d.sources.is_empty() || i.sources.iter().any(|c| d.sources.contains(&c.source)))
        .collect();
    let spec = spec(d);
    let topic_order: Vec<String> = config.classifier.topics().map(str::to_string).collect();
    let topic_title = |t: &str| config.classifier.title(t).map(str::to_string);
    let source_title = |s: &str| config.source(s).map(|s| s.title.clone());
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
    let record = DigestRecord {
        name: d.name.clone(),
        start: period.start,
        end: period.end,
        count: built.count,
        message_id,
        subject: digest::subject(&spec, &built),
        eml,
        html,
        text,
        json: serde_json::to_value(&built).unwrap_or_default(),
        sent_at: None,
        send_error: None,
        deliver: deliver && (built.count > 0 || d.send_empty),
    };
    store.put_digest(&record)?;
    Ok(record)
}

/// How far back [`pending_sends`] looks, at most: digests not sent by then are given up.
const PENDING_LOOKBACK: usize = 64;

/// The digests of `d` built to be sent and not sent yet, oldest first: those after the newest
/// one that was sent (an older one that never went out was given up when a newer one did),
/// within the newest [`PENDING_LOOKBACK`] periods. `newest_too` also counts the newest record
/// if it is unsent, whatever it was built for (the daemon's own, built by an older version).
pub fn pending_sends(
    store: &Store,
    d: &DigestConfig,
    newest_too: bool,
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
        if worth && (record.deliver || (i == 0 && newest_too)) {
            pending.push(record);
        }
    }
    pending.reverse();
    Ok(pending)
}

/// A file-name stamp for a record: its end in UTC.
pub fn stamp(record: &DigestRecord) -> String {
    record.end.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Writes the message into the digest's Maildir (`{outbox}/{name}/new/`, via `tmp/`) and the
/// data beside it (`{outbox}/{name}/json/`). Idempotent: a message already delivered to the
/// Maildir (in `new/` or picked up into `cur/`) is not written again.
pub fn write_outbox(mail: &MailConfig, record: &DigestRecord) -> Result<PathBuf, RunError> {
    let root = mail.outbox.join(&record.name);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RunError::Outbox { path, source }
    };
    for sub in ["tmp", "new", "cur", "json"] {
        std::fs::create_dir_all(root.join(sub)).map_err(io(&root.join(sub)))?;
    }
    let file = format!("{}.{}.tributary", stamp(record), record.name);
    let target = root.join("new").join(&file);
    let picked_up = std::fs::read_dir(root.join("cur"))
        .map_err(io(&root.join("cur")))?
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with(&file));
    if !target.exists() && !picked_up {
        // Maildir delivery: write and sync in tmp/, then rename into new/ and sync the folder,
        // so a crash never leaves an empty or partial message for the newsletter tool.
        let tmp = root.join("tmp").join(&file);
        write_synced(&tmp, record.eml.as_bytes()).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &target).map_err(io(&target))?;
        std::fs::File::open(root.join("new"))
            .and_then(|dir| dir.sync_all())
            .map_err(io(&root.join("new")))?;
    }
    let json = root.join("json").join(format!("{}.json", stamp(record)));
    if !json.exists() {
        let data = serde_json::to_vec_pretty(&record.json).unwrap_or_default();
        write_synced(&json, &data).map_err(io(&json))?;
    }
    Ok(target)
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Writes `.eml`, `.html`, `.txt` and `.json` of a record into `dir` (the `--out` option).
pub fn export(record: &DigestRecord, dir: &Path) -> Result<Vec<PathBuf>, RunError> {
    std::fs::create_dir_all(dir).map_err(|source| RunError::Outbox {
        path: dir.to_path_buf(),
        source,
    })?;
    let base = format!("{}-{}", record.name, stamp(record));
    let json = serde_json::to_string_pretty(&record.json).unwrap_or_default();
    let mut written = Vec::new();
    for (ext, body) in [
        ("eml", &record.eml),
        ("html", &record.html),
        ("txt", &record.text),
        ("json", &json),
    ] {
        let path = dir.join(format!("{base}.{ext}"));
        std::fs::write(&path, body.as_bytes()).map_err(|source| RunError::Outbox {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Sends a stored digest over SMTP, at most once: a record with `sent_at` is not sent again.
/// Makes three attempts with growing waits between them; the outcome is stored on the record
/// (a failure too, whatever its cause, so the next send of the digest tries it again).
pub async fn send(
    mail: &MailConfig,
    d: &DigestConfig,
    store: &Store,
    mut record: DigestRecord,
) -> Result<DigestRecord, RunError> {
    if record.sent_at.is_some() {
        return Ok(record);
    }
    match deliver(mail, d, &record).await {
        Ok(()) => {
            record.sent_at = Some(Utc::now());
            record.send_error = None;
            store.put_digest(&record)?;
            Ok(record)
        }
        Err(message) => {
            record.send_error = Some(message.clone());
            // Asked to be sent: the next send of the digest tries it again.
            record.deliver = true;
            store.put_digest(&record)?;
            Err(RunError::Send {
                name: record.name,
                message,
            })
        }
    }
}

/// One digest through `[mail.smtp]`, or why not.
async fn deliver(mail: &MailConfig, d: &DigestConfig, record: &DigestRecord) -> Result<(), String> {
    let Some(smtp) = &mail.smtp else {
        return Err("no [mail.smtp] relay is configured".into());
    };
    use lettre::AsyncTransport;
    let from: lettre::message::Mailbox = d.from.parse().map_err(|e| format!("bad from: {e}"))?;
    let to: Vec<lettre::Address> =
        d.to.iter()
            .filter_map(|t| t.parse::<lettre::message::Mailbox>().ok().map(|m| m.email))
            .collect();
    if to.is_empty() {
        return Err("the digest has no recipients".into());
    }
    let envelope =
        lettre::address::Envelope::new(Some(from.email), to).map_err(|e| e.to_string())?;
    let mut builder = match smtp.security {
        SmtpSecurity::Tls => {
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::relay(&smtp.host)
        }
        SmtpSecurity::StartTls => {
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::starttls_relay(&smtp.host)
        }
        SmtpSecurity::None => {
            Ok(lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(&smtp.host))
        }
    }
    .map_err(|e| e.to_string())?
    .port(smtp.port)
    .timeout(Some(smtp.timeout));
    if let Some(user) = &smtp.username {
        let password = std::env::var(&smtp.password_env).map_err(|_| {
            format!(
                "the SMTP password is read from ${}, which is not set",
                smtp.password_env
            )
        })?;
        builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
            user.clone(),
            password,
        ));
    }
    let transport = builder.build();
    let mut last = String::new();
    for attempt in 0..3u32 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(2u64 << attempt)).await;
        }
        match transport.send_raw(&envelope, record.eml.as_bytes()).await {
            Ok(_) => return Ok(()),
            Err(e) => {
                last = e.to_string();
                tracing::warn!(digest = %record.name, attempt = attempt + 1, error = %last, "sending the digest failed");
            }
        }
    }
    Err(last)
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
            return tz
                .from_local_datetime(&n)
                .earliest()
                .map(|t| t.with_timezone(&Utc));
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
        }
    }

    fn record(name: &str, day: u32, count: usize, deliver: bool, sent: bool) -> DigestRecord {
        let end = Utc.with_ymd_and_hms(2026, 11, day, 7, 0, 0).unwrap();
        DigestRecord {
            name: name.into(),
            start: end - chrono::Duration::days(1),
            end,
            count,
            message_id: String::new(),
            subject: String::new(),
            eml: String::new(),
            html: String::new(),
            text: String::new(),
            json: serde_json::Value::Null,
            sent_at: sent.then_some(end),
            send_error: None,
            deliver,
        }
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
        assert_eq!(ends(pending_sends(&store, &d, false).unwrap()), [3, 6]);
        store
            .put_digest(&record("daily", 8, 1, false, false))
            .unwrap();
        assert_eq!(ends(pending_sends(&store, &d, false).unwrap()), [3, 6]);
        // The daemon's newest, built by an older version without the mark, counts too.
        assert_eq!(ends(pending_sends(&store, &d, true).unwrap()), [3, 6, 8]);
        // Once a newer one went out, the older unsent ones are given up.
        store
            .put_digest(&record("daily", 9, 1, true, true))
            .unwrap();
        assert!(pending_sends(&store, &d, true).unwrap().is_empty());
        assert_eq!(
            ends(pending_sends(&store, &config("daily-2"), false).unwrap()),
            [7]
        );
    }
}
