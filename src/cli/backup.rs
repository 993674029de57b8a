//! `tributary export` and `tributary import`: the whole store as JSON lines, and back into an
//! empty store, with a progress bar on a terminal.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use super::{checkpoint, ExportArgs, ImportArgs};
use crate::app::App;
use crate::config::Config;

pub(super) fn export(config: Config, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let app = App::open_existing(config)?;
    let bar = progress_bar("exporting", app.store.item_count() as u64);
    let counts = match &args.out {
        Some(path) => {
            // A file (or none yet) is written beside it under another name and renamed over
            // it once whole and on disk: an export that fails or is interrupted leaves the
            // previous one (last night's backup) as it was, and no half export to be taken for
            // a backup; a link to a file, likewise where the file is (the link stays a link).
            // Anything else (a pipe, a descriptor the shell opened, as `/dev/stdout`) is
            // written as it is.
            let descriptor = ["/dev/stdout", "/dev/stderr", "/dev/stdin"]
                .iter()
                .any(|d| path == std::path::Path::new(d))
                || path.starts_with("/dev/fd")
                || (path.starts_with("/proc") && path.components().any(|c| c.as_os_str() == "fd"));
            let linked = std::fs::symlink_metadata(path)
                .is_ok_and(|m| m.file_type().is_symlink() && !descriptor)
                .then(|| std::fs::canonicalize(path).ok())
                .flatten()
                .filter(|p| p.is_file());
            let path = linked.as_ref().unwrap_or(path);
            let replaceable = std::fs::symlink_metadata(path).map_or(true, |m| m.is_file());
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let target = if replaceable {
                // One name, not one per process: what an export killed on the way left is
                // written over by the next, not kept beside the backups for good.
                path.with_file_name(format!(".{}.partial", name.as_deref().unwrap_or("export")))
            } else {
                path.clone()
            };
            // Anything else is opened to append: `/dev/stdout` opened anew would write from
            // the start of a file the shell opened with `>>`.
            let file = if replaceable {
                std::fs::File::create(&target)
            } else {
                std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&target)
            }
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", target.display()))?;
            let mut out = std::io::BufWriter::new(file);
            let written = app
                .store
                .export(&mut out, &|n| bar.set_position(n))
                .map_err(anyhow::Error::from)
                .and_then(|counts| {
                    // The buffer's last bytes and the disk: a failure here is a failure.
                    let file = out.into_inner().map_err(|e| e.into_error())?;
                    if replaceable {
                        file.sync_all()?;
                        std::fs::rename(&target, path)?;
                    }
                    Ok(counts)
                });
            match written {
                Ok(counts) => {
                    // The rename on disk too; the export is in place either way.
                    let folder = path
                        .parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .unwrap_or(std::path::Path::new("."));
                    let synced = std::fs::File::open(folder).and_then(|f| f.sync_all());
                    if let (true, Err(e)) = (replaceable, synced) {
                        eprintln!("warning: cannot sync {}: {e}", folder.display());
                    }
                    counts
                }
                Err(e) => {
                    if replaceable {
                        let _ = std::fs::remove_file(&target);
                    }
                    return Err(e.context(format!("exporting to {} failed", path.display())));
                }
            }
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let counts = app.store.export(&mut out, &|n| bar.set_position(n))?;
            out.flush()?;
            counts
        }
    };
    bar.finish_and_clear();
    eprintln!(
        "exported {} stories, {} source states, {} digests, {} retention tombstones",
        counts.items, counts.sources, counts.digests, counts.tombstones
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn import(config: Config, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    // The input first: a mistyped file name creates no store.
    let mut input: Box<dyn std::io::BufRead> = if args.file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(&args.file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
        Box::new(std::io::BufReader::new(file))
    };
    let app = App::open(config)?;
    let bar = progress_bar("importing", 0);
    let counts = app.store.import(&mut input, &|n| bar.set_position(n));
    bar.finish_and_clear();
    match counts {
        Ok(c) => {
            outln!(
                "imported {} stories, {} source states, {} digests, {} retention tombstones",
                c.items,
                c.sources,
                c.digests,
                c.tombstones
            );
            checkpoint(app);
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ crate::store::backup::BackupError::NotEmpty(_)) => {
            eprintln!("{e}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}

fn progress_bar(what: &'static str, total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    if std::io::stderr().is_terminal() {
        let template = format!("{what} {{bar:40}} {{pos}}/{{len}} stories ({{elapsed}})");
        bar.set_style(indicatif::ProgressStyle::with_template(&template).expect("valid template"));
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}
