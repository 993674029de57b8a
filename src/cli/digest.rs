//! `tributary digest NAME`: build the digest for the period now ending (or `--at`), write it to
//! the outbox and `--out`, send it with `--send`, or only show it with `--preview`.

use std::process::ExitCode;

use super::{DigestArgs, PARTIAL_FAILURE};
use crate::app::App;
use crate::config::Config;

pub(super) fn digest(config: Config, args: &DigestArgs) -> anyhow::Result<ExitCode> {
    use crate::digest::run as digest_run;
    let Some(d) = config.digest(&args.name).cloned() else {
        let known: Vec<&str> = config.digests.iter().map(|d| d.name.as_str()).collect();
        eprintln!(
            "unknown digest {:?}; configured digests: {}",
            args.name,
            known.join(", ")
        );
        return Ok(ExitCode::from(2));
    };
    let at = match &args.at {
        Some(text) => match digest_run::parse_at(text, d.time_zone) {
            // A period cannot end in the future: stories still to come would fall into it
            // unseen (and the digest would be built as if it ended now).
            Some(t) if t > chrono::Utc::now() => {
                eprintln!(
                    "--at {text:?} is in the future: a digest covers stories already seen; leave --at out for one ending now"
                );
                return Ok(ExitCode::from(2));
            }
            Some(t) => t,
            None => {
                eprintln!(
                    "cannot read --at {text:?}: write RFC 3339 or \"YYYY-MM-DD HH:MM\" ({})",
                    d.time_zone
                );
                return Ok(ExitCode::from(2));
            }
        },
        None => chrono::Utc::now(),
    };
    // Refused before the period is built (and used up): there is nothing to send through.
    if args.send && config.mail.smtp.is_none() {
        eprintln!(
            "--send: no [mail.smtp] relay is configured to send through; `tributary digest {}` without --send writes the digest to the outbox",
            d.name
        );
        return Ok(ExitCode::from(2));
    }
    let app = App::open_existing(config)?;
    if args.preview {
        let (record, fresh) = digest_run::preview(&app.config, &app.store, &d, at)?;
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
        outln!("{kind} {}{state}: {}", d.name, period_line(&d, &record));
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
        return Ok(ExitCode::SUCCESS);
    }
    let runtime = tokio::runtime::Runtime::new()?;
    // A send here ends with the process: a signal ends it as it ends the command (a send
    // under way is marked as one the relay may have taken before the message goes).
    let stop = tokio_util::sync::CancellationToken::new();
    let mut failed_before = false;
    if args.send {
        // Digests built to be sent that did not go out (the relay was down) go first, as
        // they were built; not one the relay may have taken or refused for good, which goes
        // only when named with `--at` (built again for its end, it is that digest).
        let (pending, unsettled) = digest_run::automatic_sends(&app.store, &d, None)?;
        let named = |r: &crate::model::DigestRecord| args.at.is_some() && r.end == at;
        for r in unsettled.iter().filter(|r| !named(r)) {
            eprintln!("not sent again: {}", digest_run::unsettled_reason(r));
            failed_before = true;
        }
        for record in pending {
            let end = record.end;
            match runtime.block_on(digest_run::send(
                &app.config.mail,
                &d,
                &app.store,
                record,
                &stop,
            )) {
                Ok(sent) => {
                    outln!(
                        "sent the digest ending {} (it had not gone out) to {}",
                        end.to_rfc3339(),
                        sent.accepted(&d).join(", ")
                    );
                    failed_before |= told_refused(&sent);
                }
                Err(e) => {
                    eprintln!("{e}");
                    failed_before = true;
                }
            }
        }
    }
    let record = digest_run::build(&app.config, &app.store, &d, at, args.send)?;
    outln!("digest {}: {}", d.name, period_line(&d, &record));
    // Earlier digests whose outbox write failed go first.
    for mut due in digest_run::outbox_pending(&app.store, &d)? {
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
    let done = if failed_before {
        ExitCode::from(PARTIAL_FAILURE)
    } else {
        ExitCode::SUCCESS
    };
    if record.count == 0 && !d.send_empty {
        if record.too_old > 0 {
            outln!("nothing to send: the stories first seen in the period were all published over max_age before its end (old entries of a source's first fetch, most often)");
        } else {
            outln!("nothing to send: no new stories since the last digest (set send_empty = true to send empty digests)");
        }
        return Ok(done);
    }
    // Not one the daemon sends anyway: built to be sent (by it, or by `--send` before), or
    // ending on a time of its schedule (it takes that one for its own).
    let daemon_sends = record.deliver
        || digest_run::last_tick(&d, record.end).is_ok_and(|tick| tick == record.end);
    if d.send && !args.send && record.sent_at.is_none() && !daemon_sends {
        // The daemon sends the digests it builds; this period is built now, so its next
        // digest starts after it.
        eprintln!(
            "note: digest {} has send = true, but this run does not send it, and the daemon's next digest starts after its period: {} sends it",
            d.name,
            digest_run::resend_hint(&record)
        );
    }
    let mut record = record;
    // A write that fails (the outbox, `--out`) does not hold back sending; the command still
    // ends as the disk error it is.
    let mut files_failed = false;
    match digest_run::deliver_to_outbox(&app.config.mail, &app.store, &mut record) {
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
        match digest_run::export(&record, dir) {
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
    let done = if files_failed {
        ExitCode::from(1)
    } else {
        done
    };
    if args.send {
        let was_sent = record.sent_at.is_some();
        match runtime.block_on(digest_run::send(
            &app.config.mail,
            &d,
            &app.store,
            record,
            &stop,
        )) {
            Ok(sent) if was_sent => outln!(
                "already sent at {}; not sent again",
                sent.record
                    .sent_at
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default()
            ),
            Ok(sent) => {
                outln!("sent to {}", sent.accepted(&d).join(", "));
                if told_refused(&sent) && !files_failed {
                    return Ok(ExitCode::from(PARTIAL_FAILURE));
                }
            }
            Err(e) => {
                eprintln!("{e}");
                if matches!(e, digest_run::RunError::Send { again: true, .. }) {
                    eprintln!(
                        "the digest is stored; the next `tributary digest {} --send` sends it first",
                        d.name
                    );
                }
                return Ok(if files_failed {
                    done
                } else {
                    ExitCode::from(PARTIAL_FAILURE)
                });
            }
        }
    }
    Ok(done)
}

/// Says which recipients the relay refused a digest it took for the others, if any: a
/// partial failure.
fn told_refused(sent: &crate::digest::run::Sent) -> bool {
    for (to, reply) in &sent.refused {
        eprintln!("the relay refused the recipient {to}: {reply}");
    }
    !sent.refused.is_empty()
}

/// "3 stories first seen 2026-11-28 07:00 → 2026-11-29 07:00 (Europe/Belgrade)".
fn period_line(d: &crate::config::DigestConfig, record: &crate::model::DigestRecord) -> String {
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
