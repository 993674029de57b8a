//! The command line: clap definitions, output formatting and exit codes.
//!
//! Exit codes: 0 success; 1 a runtime error; 2 usage or configuration error; 3 partial
//! failure (the command ran, but a source or a send failed).
//!
//! This file parses the command line, loads the config and hands each command to its own
//! file; `args` holds the clap definitions, `output` and `logging` what every command shares.

mod args;
mod backup;
mod check;
mod classify;
mod daemon;
mod digest;
mod discover;
mod fetch;
mod items;
mod logging;
mod output;
mod render;
mod sources;

use std::process::ExitCode;

use clap::Parser;

use crate::app::App;
use crate::config::Config;

pub use args::{
    CheckArgs, ClassifyArgs, Cli, Command, DigestArgs, DiscoverArgs, ExportArgs, FetchArgs,
    ImportArgs, ItemsArgs, LogFormat, RenderArgs, RunArgs, SourcesArgs,
};
pub use output::write_stdout;

use daemon::{admin_token, listen_from_env};
use logging::init_logging;
use output::{shown_path, OUTPUT_FAILED};

/// The exit code of a command that ran but where a source or a send failed: apart from 1 (a
/// runtime error), so a timer unit can count it a success without hiding a store it cannot
/// open.
pub(crate) const PARTIAL_FAILURE: u8 = 3;

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    main_with(|| {})
}

/// [`main`], calling `daemon_starts` first when the command is `run` (the binary tunes its
/// allocator for a long-running process there).
pub fn main_with(daemon_starts: fn()) -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Run(_)) {
        daemon_starts();
    }
    // The daemon logs a line per fetch and digest; one-shot commands only warnings.
    let default_level = if matches!(cli.command, Command::Run(_)) {
        "warn,tributary=info"
    } else {
        "warn"
    };
    init_logging(cli.log_format, default_level);
    match run(cli) {
        // Output that could not be written (a full disk under `> file`) is a failure of
        // the command, whatever it did besides.
        Ok(_) if OUTPUT_FAILED.load(std::sync::atomic::Ordering::Relaxed) => ExitCode::from(1),
        Ok(code) => code,
        Err(e) => {
            let broken_pipe = e
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe);
            if broken_pipe {
                // The reader (`| head`) has what it wanted.
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn load_config(cli: &Cli) -> Result<Config, ExitCode> {
    match Config::load(&cli.config) {
        Ok(c) => Ok(c.with_data_dir(cli.data_dir.clone())),
        Err(e) => {
            eprintln!("{e}");
            Err(ExitCode::from(2))
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = match load_config(&cli) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    match &cli.command {
        Command::Check(args) => {
            // `run` refuses a token it cannot use, as it refuses a config error: so does
            // `check`, in the environment it is given.
            if let Err(e) = admin_token() {
                eprintln!("{e} (tributary run refuses to start with it)");
                return Ok(ExitCode::from(2));
            }
            if let Err(e) = listen_from_env() {
                eprintln!("{e} (tributary run refuses to start with it)");
                return Ok(ExitCode::from(2));
            }
            let warnings = check::warnings(&config, !args.offline);
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            let disabled = config.sources.iter().filter(|s| !s.enabled).count();
            let counted =
                |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
            outln!(
                "{}: ok ({}{}, {}, {}, store at {}){}",
                config.file.display(),
                counted(config.sources.len(), "source"),
                if disabled > 0 {
                    format!(" ({disabled} disabled)")
                } else {
                    String::new()
                },
                counted(config.classifier.topics().count(), "topic"),
                counted(config.digests.len(), "digest"),
                shown_path(&config.store.path).display(),
                if warnings.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} warning{}",
                        warnings.len(),
                        if warnings.len() == 1 { "" } else { "s" }
                    )
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Fetch(args) => fetch::fetch(config, args),
        Command::Discover(args) => {
            let kind = if args.kind == "organization" {
                crate::model::SourceKind::Organization
            } else {
                crate::model::SourceKind::Partner
            };
            match (&args.url, &args.opml) {
                (_, Some(file)) => discover::from_opml(&config, file, kind, args.allow_local),
                (Some(url), None) => discover::discover(
                    &config,
                    url,
                    kind,
                    args.allow_local,
                    args.accept_invalid_certificates,
                ),
                (None, None) => unreachable!("clap requires a URL or --opml"),
            }
        }
        Command::Items(args) => items::items(config, args),
        Command::Sources(args) => sources::sources(config, args),
        Command::Classify(args) => match &args.eval {
            Some(file) => classify::eval(&config, file),
            None => classify::classify(&config),
        },
        Command::Reclassify => classify::reclassify(config),
        Command::Run(args) => daemon::run_daemon(&cli, config, args),
        Command::Digest(args) => digest::digest(config, args),
        Command::Export(args) => backup::export(config, args),
        Command::Prune => {
            let app = App::open_existing(config)?;
            let c = &app.config;
            if c.store.max_age.is_none() && c.store.max_items_per_source.is_none() {
                outln!("no retention configured ([store] max_age, max_items_per_source): nothing to do");
                return Ok(ExitCode::SUCCESS);
            }
            let ids: Vec<String> = c.sources.iter().map(|s| s.id.clone()).collect();
            let removed = app.store.prune(
                c.store.max_age,
                c.store.max_items_per_source,
                &ids,
                chrono::Utc::now(),
            )?;
            outln!(
                "pruned {removed} stories; {} remain",
                app.store.item_count()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(args) => backup::import(config, args),
        Command::Render(args) => render::render(config, args),
    }
}

fn unknown_sources(config: &Config, ids: &[String]) -> Option<ExitCode> {
    let unknown: Vec<&String> = ids
        .iter()
        .filter(|id| config.source(id).is_none())
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let known: Vec<&str> = config.sources.iter().map(|s| s.id.as_str()).collect();
    eprintln!(
        "unknown source {}; configured sources: {}",
        unknown
            .iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", "),
        known.join(", ")
    );
    Some(ExitCode::from(2))
}

/// Closes the store and records a sled snapshot of it after a command that wrote a lot (see
/// [`crate::store::Store::checkpoint`]). `app` must hold the last handles on the store: sled
/// lets go of its files when the last one goes.
fn checkpoint(app: App) {
    let store = app.config.store.clone();
    drop(app);
    if let Err(e) = crate::store::Store::checkpoint(&store) {
        tracing::warn!(error = %e, "could not record a snapshot of the store; the next start replays its log");
    }
}
