//! `tributary digest NAME`: build the digest for the period now ending (or `--at`), write it to
//! the outbox and `--out`, send it with `--send`, or only show it with `--preview`.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::{DigestArgs, PARTIAL_FAILURE};
use crate::app::App;
use crate::config::{Config, DigestConfig};
use crate::digest::run as digest_run;
use crate::model::DigestRecord;

pub(super) fn digest(config: Config, args: &DigestArgs) -> anyhow::Result<ExitCode> {
    let Some(d) = config.digest(&args.name).cloned() else {
        return Ok(unknown_digest(&config, &args.name));
    };
    let at = match period_end(args.at.as_deref(), &d) {
        Ok(at) => at,
        Err(code) => return Ok(code),
    };
    // Refused before the period is built (and used up): there is nothing to send through.
    if args.send && config.mail.smtp.is_none() {
        return Ok(no_relay(&d));
    }
    let app = App::open_existing(config)?;
    if args.preview {
        return show_preview(&app, &d, args, at);
    }
    let sender = Sender::new(&app, &d)?;
    let failed_before = args.send && sender.send_pending(args, at)?;
    let mut record = digest_run::build(&app.config, &app.store, &d, at, args.send)?;
    outln!("digest {}: {}", d.name, period_line(&d, &record));
    write_earlier_to_outbox(&app, &d, &record)?;
    let done = if failed_before {
        ExitCode::from(PARTIAL_FAILURE)
    } else {
        ExitCode::SUCCESS
    };
    if record.count == 0 && !d.send_empty {
        say_nothing_to_send(&record);
        return Ok(done);
    }
    note_not_sent(&d, args, &record);
    let files_failed = write_files(&app, args, &mut record)?;
    let done = if files_failed {
        ExitCode::from(1)
    } else {
        done
    };
    if args.send && sender.send_built(record) && !files_failed {
        return Ok(ExitCode::from(PARTIAL_FAILURE));
    }
    Ok(done)
}

/// Names the configured digests for a name that is none of them: exit 2.
fn unknown_digest(config: &Config, name: &str) -> ExitCode {
    let known: Vec<&str> = config.digests.iter().map(|d| d.name.as_str()).collect();
    eprintln!(
        "unknown digest {:?}; configured digests: {}",
        name,
        known.join(", ")
    );
    ExitCode::from(2)
}

/// The end of the period: `--at` read in the digest's time zone, or now; exit 2 (said) for an
/// `--at` that cannot be read or is in the future.
fn period_end(at: Option<&str>, d: &DigestConfig) -> Result<DateTime<Utc>, ExitCode> {
    match at {
        Some(text) => match digest_run::parse_at(text, d.time_zone) {
            // A period cannot end in the future: stories still to come would fall into it
            // unseen (and the digest would be built as if it ended now).
            Some(t) if t > chrono::Utc::now() => {
                eprintln!(
                    "--at {text:?} is in the future: a digest covers stories already seen; leave --at out for one ending now"
                );
                Err(ExitCode::from(2))
            }
            Some(t) => Ok(t),
            None => {
                eprintln!(
                    "cannot read --at {text:?}: write RFC 3339 or \"YYYY-MM-DD HH:MM\" ({})",
                    d.time_zone
                );
                Err(ExitCode::from(2))
            }
        },
        None => Ok(chrono::Utc::now()),
    }
}

/// Refuses `--send` with no relay configured: exit 2.
fn no_relay(d: &DigestConfig) -> ExitCode {
    eprintln!(
        "--send: no [mail.smtp] relay is configured to send through; `tributary digest {}` without --send writes the digest to the outbox",
        d.name
    );
    ExitCode::from(2)
}

/// `--preview`: shows the digest for the period (not stored), or writes its files to `--out`.
fn show_preview(
    app: &App,
    d: &DigestConfig,
    args: &DigestArgs,
    at: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let (record, fresh) = digest_run::preview(&app.config, &app.store, d, at)?;
    // A period built before is shown as the issue it is; one that was no issue (empty,
    // neither written nor sent) is shown, and written, as a preview: it never goes out.
    let preview = fresh || !digest_run::is_issue(&record);
    let (kind, state) = if fresh {
        ("preview of digest", " (not stored)")
    } else if preview {
        ("digest", " built before, neither written nor sent")
    } else {
        ("digest", " built before")
    };
    outln!("{kind} {}{state}: {}", d.name, period_line(d, &record));
    outln!("Subject: {}", record.subject);
    match &args.out {
        Some(dir) => {
            let written = if preview {
                digest_run::export_preview(&record, dir)?
            } else {
                digest_run::export(&record, dir)?
            };
            for p in written {
                outln!("wrote {}", p.display());
            }
        }
        None => out!("\n{}", record.text),
    }
    Ok(ExitCode::SUCCESS)
}

/// Sends digests over the relay, each ending with the process.
struct Sender<'a> {
    app: &'a App,
    d: &'a DigestConfig,
    runtime: tokio::runtime::Runtime,
    stop: CancellationToken,
}

impl<'a> Sender<'a> {
    /// A sender for `d`, with its own runtime.
    fn new(app: &'a App, d: &'a DigestConfig) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Runtime::new()?;
        // A send here ends with the process: a signal ends it as it ends the command (a send
        // under way is marked as one the relay may have taken before the message goes).
        let stop = CancellationToken::new();
        Ok(Sender {
            app,
            d,
            runtime,
            stop,
        })
    }

    /// Sends `record` (not again if it was sent before).
    fn send(&self, record: DigestRecord) -> Result<digest_run::Sent, digest_run::RunError> {
        self.runtime.block_on(digest_run::send(
            &self.app.config.mail,
            self.d,
            &self.app.store,
            record,
            &self.stop,
        ))
    }

    /// Sends the digests built to be sent that did not go out and says the ones not sent
    /// again; whether any of them failed.
    fn send_pending(&self, args: &DigestArgs, at: DateTime<Utc>) -> anyhow::Result<bool> {
        let d = self.d;
        let mut failed_before = false;
        // Digests built to be sent that did not go out (the relay was down) go first, as
        // they were built; not one the relay may have taken or refused for good, which goes
        // only when named with `--at` (built again for its end, it is that digest).
        let (pending, unsettled) = digest_run::automatic_sends(&self.app.store, d, None)?;
        let named = |r: &DigestRecord| args.at.is_some() && r.end == at;
        for r in unsettled.iter().filter(|r| !named(r)) {
            eprintln!("not sent again: {}", digest_run::unsettled_reason(r));
            failed_before = true;
        }
        for record in pending {
            let end = record.end;
            match self.send(record) {
                Ok(sent) => {
                    outln!(
                        "sent the digest ending {} (it had not gone out) to {}",
                        end.to_rfc3339(),
                        sent.accepted(d).join(", ")
                    );
                    failed_before |= told_refused(&sent);
                }
                Err(e) => {
                    eprintln!("{e}");
                    failed_before = true;
                }
            }
        }
        Ok(failed_before)
    }

    /// Sends the digest just built and says how it went; whether it failed (not sent, or
    /// refused for some recipients).
    fn send_built(&self, record: DigestRecord) -> bool {
        let d = self.d;
        let was_sent = record.sent_at.is_some();
        match self.send(record) {
            Ok(sent) if was_sent => {
                outln!(
                    "already sent at {}; not sent again",
                    sent.record
                        .sent_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default()
                );
                false
            }
            Ok(sent) => {
                outln!("sent to {}", sent.accepted(d).join(", "));
                told_refused(&sent)
            }
            Err(e) => {
                eprintln!("{e}");
                if matches!(e, digest_run::RunError::Send { again: true, .. }) {
                    eprintln!(
                        "the digest is stored; the next `tributary digest {} --send` sends it first",
                        d.name
                    );
                }
                true
            }
        }
    }
}

/// Writes to the outbox the digests before `record` whose outbox write failed.
fn write_earlier_to_outbox(
    app: &App,
    d: &DigestConfig,
    record: &DigestRecord,
) -> anyhow::Result<()> {
    // Earlier digests whose outbox write failed go first.
    for mut due in digest_run::outbox_pending(&app.store, d)? {
        if due.end >= record.end {
            break;
        }
        if let digest_run::Outboxed::Written(path) =
            digest_run::deliver_to_outbox(&app.config.mail, &app.store, &mut due)?
        {
            outln!(
                "outbox: {} (the digest ending {}, not written before)",
                path.display(),
                due.end.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            );
        }
    }
    Ok(())
}

/// Says why an empty digest is not sent.
fn say_nothing_to_send(record: &DigestRecord) {
    if record.too_old > 0 {
        outln!("nothing to send: the stories first seen in the period were all published over max_age before its end (old entries of a source's first fetch, most often)");
    } else {
        outln!("nothing to send: no new stories since the last digest (set send_empty = true to send empty digests)");
    }
}

/// Notes a digest with `send = true` that neither this run nor the daemon sends.
fn note_not_sent(d: &DigestConfig, args: &DigestArgs, record: &DigestRecord) {
    // Not one the daemon sends anyway: built to be sent (by it, or by `--send` before), or
    // ending on a time of its schedule (it takes that one for its own).
    let daemon_sends =
        record.deliver || digest_run::last_tick(d, record.end).is_ok_and(|tick| tick == record.end);
    if d.send && !args.send && record.sent_at.is_none() && !daemon_sends {
        // The daemon sends the digests it builds; this period is built now, so its next
        // digest starts after it.
        eprintln!(
            "note: digest {} has send = true, but this run does not send it, and the daemon's next digest starts after its period: {} sends it",
            d.name,
            digest_run::resend_hint(record)
        );
    }
}

/// Writes the digest to the outbox and to `--out`; whether a write failed (said) with
/// `--send`, which it does not hold back. Without `--send`, a failed write is the error.
fn write_files(app: &App, args: &DigestArgs, record: &mut DigestRecord) -> anyhow::Result<bool> {
    // A write that fails (the outbox, `--out`) does not hold back sending; the command still
    // ends as the disk error it is.
    let mut files_failed = false;
    match digest_run::deliver_to_outbox(&app.config.mail, &app.store, record) {
        Ok(digest_run::Outboxed::Written(path)) => outln!("outbox: {}", path.display()),
        Ok(digest_run::Outboxed::Before(at, path)) => outln!(
            "outbox: written before{} ({}); not written again",
            at.map(|t| format!(
                ", at {}",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ))
            .unwrap_or_default(),
            path.display()
        ),
        Err(e) if args.send => {
            eprintln!("{e}");
            files_failed = true;
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(dir) = &args.out {
        match digest_run::export(record, dir) {
            Ok(written) => {
                for p in written {
                    outln!("wrote {}", p.display());
                }
            }
            // As for the outbox: the files asked for are not the digest's delivery.
            Err(e) if args.send => {
                eprintln!("{e}");
                files_failed = true;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(files_failed)
}

/// Says which recipients the relay refused a digest it took for the others, if any: a
/// partial failure.
fn told_refused(sent: &digest_run::Sent) -> bool {
    for (to, reply) in &sent.refused {
        eprintln!("the relay refused the recipient {to}: {reply}");
    }
    !sent.refused.is_empty()
}

/// "3 stories first seen 2026-11-28 07:00 → 2026-11-29 07:00 (Europe/Belgrade)".
fn period_line(d: &DigestConfig, record: &DigestRecord) -> String {
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&d.time_zone)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let old = match (record.too_old, d.max_age) {
        (0, _) | (_, None) => String::new(),
        (n, Some(age)) => format!(
            "; {n} more published over max_age ({}) before its end left out",
            humantime::format_duration(age)
        ),
    };
    format!(
        "{} {} first seen {} → {} ({}){old}",
        record.count,
        if record.count == 1 {
            "story"
        } else {
            "stories"
        },
        local(record.start),
        local(record.end),
        d.time_zone
    )
}
