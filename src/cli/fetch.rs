//! `tributary fetch`: one pass over the sources now, a line for each as it ends (or a JSON
//! object), then the totals; Ctrl-C stops the pass and keeps what was downloaded.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use super::{checkpoint, unknown_sources, FetchArgs, PARTIAL_FAILURE};
use crate::app::App;
use crate::config::Config;
use crate::ingest::{Outcome, SourceReport};

pub(super) fn fetch(config: Config, args: &FetchArgs) -> anyhow::Result<ExitCode> {
    if let Some(code) = unknown_sources(&config, &args.sources) {
        return Ok(code);
    }
    let app = App::open_for_fetch(config)?;
    // The requests and their bookkeeping on this thread; parsing and storing go to tokio's
    // blocking threads. With a pool of workers as well, a pass over 10,000 unchanged sources
    // used 1.4-1.6 s of CPU, much of it switching threads, against 0.6-1.0 s on one thread
    // (see docs/BENCHMARKS.md).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let json = args.json;
    let total = app
        .config
        .sources
        .iter()
        .filter(|s| args.sources.is_empty() || args.sources.contains(&s.id))
        .count();
    let bar = progress_bar(total, json);
    let mode = crate::ingest::FetchMode {
        force: args.force,
        reread: args.reread,
    };
    let stopped = std::sync::Arc::new(std::sync::atomic::AtomicI32::new(0));
    stop_on_signal(app.ingest.downloads.clone(), stopped.clone(), bar.clone())?;
    let reports =
        runtime.block_on(app.fetch_pass(&args.sources, mode, |r| print_report(r, json, &bar)));
    bar.finish_and_clear();
    // The pass is over: a signal from now on ends the process at once.
    app.ingest.downloads.cancel();
    if !json {
        print_totals(&app, args, &reports);
    }
    let wrote = reports
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Ok(a) if a.changed_feeds()));
    // The runtime first: its finished tasks may still hold handles on the store. A blocking
    // thread still blocked (a local file whose read timed out or was stopped: a FIFO nobody
    // writes, a hung mount) is not waited for beyond a moment: it holds nothing of the store,
    // and the process is about to exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    if wrote {
        checkpoint(app);
    }
    let signal = stopped.load(std::sync::atomic::Ordering::SeqCst);
    Ok(exit_code(&reports, signal))
}

/// The pass's progress bar over `total` sources.
fn progress_bar(total: usize, json: bool) -> indicatif::ProgressBar {
    // A progress bar on a terminal; plain lines when the output goes to a file or a pipe.
    let bar = indicatif::ProgressBar::new(total as u64);
    if !json && std::io::stderr().is_terminal() && std::io::stdout().is_terminal() {
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "fetching {bar:40} {pos}/{len} sources ({elapsed})",
            )
            .expect("valid template"),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

/// Starts the thread that stops the pass on the first Ctrl-C or SIGTERM (`stopped` takes
/// its exit code, `downloads` is cancelled) and ends the process on the next; returns once
/// it listens.
fn stop_on_signal(
    downloads: tokio_util::sync::CancellationToken,
    stopped: std::sync::Arc<std::sync::atomic::AtomicI32>,
    bar: indicatif::ProgressBar,
) -> anyhow::Result<()> {
    // Ctrl-C (or SIGTERM) stops the pass as it stops the daemon: downloads still running end
    // at once, feeds downloaded are stored, and the states of the sources fetched are written
    // (they were lost with the process: the next pass fetched those sources again without
    // their validators). A second signal ends the process at once, as does one after the
    // pass (while the store is closed). On a thread of its own: the pass's runtime runs only
    // while it is driven.
    let (ready, listening) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                use tokio::signal::unix::{signal, SignalKind};
                let (Ok(mut int), Ok(mut term)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) else {
                    return;
                };
                let _ = ready.send(());
                let code = tokio::select! {
                    _ = int.recv() => 130,
                    _ = term.recv() => 143,
                };
                if downloads.is_cancelled() {
                    std::process::exit(code);
                }
                stopped.store(code, std::sync::atomic::Ordering::SeqCst);
                // Above the progress bar, not through it.
                bar.suspend(|| {
                    eprintln!("stopping: storing what was downloaded (again to stop at once)")
                });
                downloads.cancel();
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
                std::process::exit(code);
            });
        })?;
    // Listening before the pass begins (else the first signal ends the process as before).
    let _ = listening.recv();
    Ok(())
}

/// Writes a source's report as it ends, a line or a JSON object: on stdout when the bar is
/// hidden, above the bar when it is drawn; then moves the bar on.
fn print_report(r: &SourceReport, json: bool, bar: &indicatif::ProgressBar) {
    let line = if json {
        serde_json::to_string(r).expect("reports serialize")
    } else {
        report_line(r)
    };
    if bar.is_hidden() {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    } else {
        bar.println(line);
    }
    bar.inc(1);
}

/// Prints the totals, and the disabled sources a plain pass left out.
fn print_totals(app: &App, args: &FetchArgs, reports: &[SourceReport]) {
    outln!("{}", totals(reports, app.store.item_count_if_open()));
    // A plain pass leaves disabled sources out: say so, so that they are not forgotten.
    let disabled: Vec<&str> = app
        .config
        .sources
        .iter()
        .filter(|s| !s.enabled && args.sources.is_empty())
        .map(|s| s.id.as_str())
        .collect();
    if !disabled.is_empty() {
        outln!(
            "not fetched: {} disabled ({}); name one to fetch it anyway",
            disabled.len(),
            disabled.join(", ")
        );
    }
}

/// The pass's exit code: the signal that stopped it (`signal`, 0 if none), 1 when the store
/// failed, `PARTIAL_FAILURE` when a source failed, else success.
fn exit_code(reports: &[SourceReport], signal: i32) -> ExitCode {
    let failed = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Error { .. }))
        .count();
    // The store failing (a full disk, a store it cannot open) is the command's failure, not
    // a source's: exit 1, which a timer does not count a success.
    let store_failed = reports.iter().any(|r| r.store_failed);
    if signal != 0 {
        // As a shell reports a process its signal ended.
        ExitCode::from(signal as u8)
    } else if store_failed {
        ExitCode::from(1)
    } else if failed > 0 {
        ExitCode::from(PARTIAL_FAILURE)
    } else {
        ExitCode::SUCCESS
    }
}

fn report_line(r: &SourceReport) -> String {
    let detail = match &r.outcome {
        Outcome::Ok(a) => {
            let mut counts = format!(
                "new {}, updated {}, duplicate {}, unchanged {}",
                a.new, a.updated, a.duplicate, a.unchanged
            );
            if a.refreshed > 0 {
                counts.push_str(&format!(" ({} of them at a picture's new address)", a.refreshed));
            }
            if a.filtered > 0 {
                counts.push_str(&format!(", filtered out {}", a.filtered));
            }
            counts
        }
        Outcome::NotModified => "not modified (304)".into(),
        Outcome::Unchanged => "same content as last fetch".into(),
        Outcome::Deferred {
            until,
            paused_by: None,
        } => format!(
            "backing off until {} (use --force)",
            until.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        Outcome::Deferred {
            until,
            paused_by: Some(by),
        } => format!(
            "not fetched until {}: its host answered source {by} with 429 Too Many Requests (use --force)",
            until.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        Outcome::Error { message, .. } => message.clone(),
        Outcome::Stopped => "not fetched: stopping".into(),
    };
    let status = r.outcome.status();
    // Waiting for a slot (the host's other sources first) is said apart from the time the
    // source itself took, when it is long enough to matter.
    let queued = if r.queued_millis >= 1000 {
        format!(
            "; waited {:.1} s for a free slot first",
            r.queued_millis as f64 / 1000.0
        )
    } else {
        String::new()
    };
    let mut line = format!(
        "{status:<12} {:<24} {detail} ({}, {} ms{queued})",
        r.source,
        bytesize::ByteSize(r.bytes as u64),
        r.millis
    );
    for w in &r.warnings {
        line.push_str(&format!("\n             warning: {w}"));
    }
    line
}

/// The summary line; `stored` is left out when the pass never opened the stories' database.
fn totals(reports: &[SourceReport], stored: Option<usize>) -> String {
    let mut new = 0;
    let mut updated = 0;
    let mut duplicate = 0;
    let mut unchanged = 0;
    let mut filtered = 0;
    let (mut not_modified, mut same, mut errors, mut deferred) = (0, 0, 0, 0);
    let mut stopped = 0;
    for r in reports {
        match &r.outcome {
            Outcome::Ok(a) => {
                new += a.new;
                updated += a.updated;
                duplicate += a.duplicate;
                unchanged += a.unchanged;
                filtered += a.filtered;
            }
            Outcome::NotModified => not_modified += 1,
            Outcome::Unchanged => same += 1,
            Outcome::Deferred { .. } => deferred += 1,
            Outcome::Stopped => stopped += 1,
            Outcome::Error { .. } => errors += 1,
        }
    }
    let stored = stored.map_or(String::new(), |n| format!("; {n} stories stored"));
    let stopped = if stopped > 0 {
        format!(", {stopped} not fetched (stopping)")
    } else {
        String::new()
    };
    let filtered = if filtered > 0 {
        format!(", {filtered} filtered out")
    } else {
        String::new()
    };
    format!(
        "total: {} sources: {new} new, {updated} updated, {duplicate} duplicate, {unchanged} unchanged{filtered} items; {not_modified} not modified (304), {same} with the same content, {deferred} deferred, {errors} failed{stopped}{stored}",
        reports.len()
    )
}
