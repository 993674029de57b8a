//! The command line: clap definitions, output formatting and exit codes.
//!
//! Exit codes: 0 success; 1 a runtime error; 2 usage or configuration error; 3 partial
//! failure (the command ran, but a source or a send failed).

mod check;
mod classify;
mod discover;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::app::App;
use crate::config::Config;
use crate::ingest::{Outcome, SourceReport};
use crate::model::Item;
use crate::store::Query;

/// The exit code of a command that ran but where a source or a send failed: apart from 1 (a
/// runtime error), so a timer unit can count it a success without hiding a store it cannot
/// open.
pub(crate) const PARTIAL_FAILURE: u8 = 3;

/// The exit codes, shown under every command's `--help`.
macro_rules! exit_codes {
    () => {
        "\n\nExit codes:\n  0  ok\n  1  runtime error: the command could not do its job (e.g. the store is in use)\n  2  usage or configuration error (the message names file:line:column and key)\n  3  partial failure: the command ran, but a source or a send failed (see its output)"
    };
}

/// Tributary: pulls partner feeds, de-duplicates and classifies their items, and
/// republishes them.
#[derive(Debug, Parser)]
#[command(name = "tributary", version, about, long_about = None, after_help = concat!("Run `tributary COMMAND --help` for a command's options and examples.", exit_codes!()))]
pub struct Cli {
    /// Config file.
    #[arg(
        long,
        global = true,
        env = "TRIBUTARY_CONFIG",
        default_value = "config/tributary.toml",
        help_heading = "Global options"
    )]
    pub config: PathBuf,
    /// Store directory (overrides `[store] path`).
    #[arg(
        long,
        global = true,
        env = "TRIBUTARY_DATA_DIR",
        help_heading = "Global options"
    )]
    pub data_dir: Option<PathBuf>,
    /// Log output format (level from RUST_LOG, e.g. RUST_LOG=tributary=debug).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Pretty, env = "TRIBUTARY_LOG_FORMAT", help_heading = "Global options")]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the config file; exits 2 and names file, line and key on error. Also warns
    /// about sources whose host does not resolve, duplicate feed URLs and unused topics.
    #[command(
        after_help = concat!("Examples:\n  tributary --config config/demo.toml check\n  tributary check --offline   # skip the DNS lookups", exit_codes!())
    )]
    Check(CheckArgs),
    /// Fetch sources once now and store their items; prints a line per source.
    #[command(
        after_help = concat!("Examples:\n  tributary --config config/demo.toml fetch\n  tributary fetch --source balkans-group --force", exit_codes!())
    )]
    Fetch(FetchArgs),
    /// Find the feeds a web page offers (or check a feed URL), or read another reader's OPML
    /// export, and print them as `[[sources]]` tables for the config; exits 1 when there is none.
    #[command(
        after_help = concat!("Examples:\n  tributary discover https://kossev.info/\n  tributary discover https://balkansgroup.org/sq/ --kind organization >> config/tributary.toml\n  tributary discover --opml miniflux-export.opml", exit_codes!())
    )]
    Discover(DiscoverArgs),
    /// List stored items, newest first.
    #[command(
        after_help = concat!("Examples:\n  tributary items --limit 5\n  tributary items --source kspag --json", exit_codes!())
    )]
    Items(ItemsArgs),
    /// Show each source's health: from the store, or from the running daemon (its
    /// /sources.json on the listen address) when the daemon holds the store or it is not readable.
    #[command(
        after_help = concat!("Examples:\n  tributary sources\n  tributary sources --json --listen 127.0.0.1:8080   # while the daemon holds the store", exit_codes!())
    )]
    Sources(SourcesArgs),
    /// Classify JSON lines from stdin (title, summary, optional id, categories, source) with the
    /// configured rules; no store needed. With --eval, measure the rules on a labeled file.
    #[command(
        after_help = concat!("Examples:\n  echo '{\"id\":\"1\",\"title\":\"Дијалог Београда и Приштине\",\"summary\":\"\"}' | tributary classify\n  tributary classify --eval tests/fixtures/classify/labeled.jsonl", exit_codes!())
    )]
    Classify(ClassifyArgs),
    /// Run the daemon: poll every source on its schedule and serve the merged feeds over HTTP.
    /// SIGHUP reloads the config; SIGTERM/SIGINT finish running fetches and exit. Under systemd
    /// (Type=notify) it reports READY=1 once it serves, and pings WatchdogSec= if set.
    #[command(
        after_help = concat!("Examples:\n  tributary --config config/demo.toml run\n  tributary run --listen 0.0.0.0:8080", exit_codes!())
    )]
    Run(RunArgs),
    /// Write one republished feed to stdout, byte for byte as the daemon serves it.
    #[command(
        after_help = concat!("Examples:\n  tributary render --format atom\n  tributary render --format rss --topic dialogue\n  tributary render --format json --source balkans-group\n  tributary render --format rss --language sq\n  tributary render --format rss --topic dialogue --language sq\n  tributary render --format html --topic dialogue > dialogue.html", exit_codes!())
    )]
    Render(RenderArgs),
    /// Build a digest now: the stories first seen since the previous one of that name. Writes it
    /// to the outbox (and --out), advances the digest's mark, and sends it with --send.
    #[command(
        after_help = concat!("Examples:\n  tributary digest daily\n  tributary digest weekly --at '2026-11-23 07:00' --out /tmp/digests --send", exit_codes!())
    )]
    Digest(DigestArgs),
    /// Write the whole store (items, source states, digests, the identities of pruned stories)
    /// as JSON lines: a backup that survives sled format changes. Stop the daemon first (sled
    /// is single-process).
    #[command(
        after_help = concat!("Examples:\n  tributary export --out backup.jsonl\n  tributary export | gzip > backup.jsonl.gz", exit_codes!())
    )]
    Export(ExportArgs),
    /// Restore an export into an empty store (a new --data-dir), rebuilding every index.
    #[command(
        after_help = concat!("Example:\n  tributary --data-dir /var/lib/tributary-new import backup.jsonl", exit_codes!())
    )]
    Import(ImportArgs),
    /// Apply retention now: remove stories older than `[store] max_age` and each source's
    /// oldest beyond `max_items_per_source` (the daemon does this every hour).
    #[command(after_help = concat!("Example:\n  tributary prune", exit_codes!()))]
    Prune,
    /// Re-run the topic rules over every stored item (after a rule change). Each story is
    /// either rewritten whole or left as it was; if interrupted, run it again to finish.
    #[command(after_help = concat!("Example:\n  tributary --config config/demo.toml reclassify", exit_codes!()))]
    Reclassify,
}

/// `--listen ADDR`, or `TRIBUTARY_LISTEN`: an IP address and port. A value from the variable
/// that does not read is named by the variable, not by the flag ops never gave ("invalid value
/// 'garbage' for 'TRIBUTARY_LISTEN'").
#[derive(Debug, Clone)]
struct ListenAddr;

impl clap::builder::TypedValueParser for ListenAddr {
    type Value = std::net::SocketAddr;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        clap::builder::StringValueParser::new()
            .try_map(|text| text.parse::<std::net::SocketAddr>())
            .parse_ref(cmd, arg, value)
    }

    fn parse_ref_(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
        source: clap::parser::ValueSource,
    ) -> Result<Self::Value, clap::Error> {
        use clap::error::{ContextKind, ContextValue};
        self.parse_ref(cmd, arg, value).map_err(|mut e| {
            let var = arg.and_then(clap::Arg::get_env);
            if let (clap::parser::ValueSource::EnvVariable, Some(var)) = (source, var) {
                let var = var.to_string_lossy().into_owned();
                e.insert(ContextKind::InvalidArg, ContextValue::String(var));
            }
            e
        })
    }
}

/// `TRIBUTARY_LISTEN` as `run` reads it, for `check`: the address, none when the variable is
/// unset, or why `run` would refuse it.
fn listen_from_env() -> Result<Option<std::net::SocketAddr>, String> {
    let Some(value) = std::env::var_os("TRIBUTARY_LISTEN") else {
        return Ok(None);
    };
    let text = value.to_string_lossy();
    text.parse().map(Some).map_err(|e| {
        format!("TRIBUTARY_LISTEN: invalid value {text:?}: {e}; write an IP address and port, e.g. 127.0.0.1:8080 or [::]:8080")
    })
}

/// `run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Address to listen on (overrides `[server] listen`).
    #[arg(long, env = "TRIBUTARY_LISTEN", value_name = "ADDR", value_parser = ListenAddr)]
    pub listen: Option<std::net::SocketAddr>,
}

/// `render` options.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Output format (`html`: the feed as a web page).
    #[arg(long, value_parser = ["rss", "atom", "json", "html"])]
    pub format: String,
    /// Only items with this topic (with `--language`, only those in that language).
    #[arg(long, value_name = "TOPIC", conflicts_with = "source")]
    pub topic: Option<String>,
    /// Only items this source carried.
    #[arg(long, value_name = "ID", conflicts_with = "language")]
    pub source: Option<String>,
    /// Only items in this language: a language the sources' `lang` names (`sr`), or a full
    /// tag one of them gives (`sr-Cyrl`).
    #[arg(long, value_name = "TAG", visible_alias = "lang")]
    pub language: Option<String>,
    /// The address the daemon listens on, as `run` takes it: without a `base_url`, the feeds'
    /// own links name it, and the document is then the one the daemon serves.
    #[arg(long, env = "TRIBUTARY_LISTEN", value_name = "ADDR", value_parser = ListenAddr)]
    pub listen: Option<std::net::SocketAddr>,
}

/// `digest` options.
#[derive(Debug, Args)]
pub struct DigestArgs {
    /// The digest's name in the config.
    pub name: String,
    /// End of the period (RFC 3339, or "YYYY-MM-DD HH:MM" in the digest's time zone); default now.
    /// A time that ends an earlier digest reproduces it.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Also write the .eml, .html, .txt and .json into this folder (each written whole under a
    /// hidden name, then renamed into place).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Send it over the configured SMTP relay (never twice).
    #[arg(long)]
    pub send: bool,
    /// Show the digest without storing it: its subject and text part (with --out, its files,
    /// named preview-NAME-…, the message with an X-Tributary-Preview header and the data with
    /// "preview": true). The period is not used up: the next digest still covers these stories.
    #[arg(long, conflicts_with = "send")]
    pub preview: bool,
}

/// `export` options.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `import` options.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export to read ("-" for stdin).
    pub file: PathBuf,
}

/// `classify` options.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// A JSON-lines file whose items carry the expected `topics` (and optionally `lang`):
    /// prints precision, recall and F1 per topic, macro-F1, and the misclassified items.
    #[arg(long, value_name = "FILE")]
    pub eval: Option<PathBuf>,
}

/// `check` options.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Do not look up the sources' host names.
    #[arg(long)]
    pub offline: bool,
}

/// `fetch` options.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Only these sources (repeatable).
    #[arg(long = "source", value_name = "ID")]
    pub sources: Vec<String>,
    /// Fetch even sources that are backing off after errors or were told to retry later.
    #[arg(long)]
    pub force: bool,
    /// Download and read every feed even if it has not changed (no conditional request, no
    /// same-content shortcut), and every entry even if it is as stored, so stored stories are
    /// read again with the config and parser as they are now, after a change of `time_zone` or
    /// `lang`, say, or an upgrade; stories that come out different are updated.
    #[arg(long)]
    pub reread: bool,
    /// Print one JSON object per source instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `items` options.
#[derive(Debug, Args)]
pub struct ItemsArgs {
    /// Only items carried by this source.
    #[arg(long, value_name = "ID")]
    pub source: Option<String>,
    /// Only items with this topic.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    /// Only items in this language (`sr` also lists `sr-Latn` and `sr-Cyrl`).
    #[arg(long, value_name = "TAG", visible_alias = "language")]
    pub lang: Option<String>,
    /// At most this many items (0 = all).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// JSON lines: id, source, sources, title, link, published, date_inferred, first_seen,
    /// topics, why, categories, lang, summary, content.
    #[arg(long)]
    pub json: bool,
}

/// `discover` options.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["url", "opml"])))]
pub struct DiscoverArgs {
    /// A web page (its `<link rel="alternate">` feeds, else the usual feed paths) or a feed.
    pub url: Option<String>,
    /// Read the feeds of an OPML subscription list (exported by another reader) instead.
    #[arg(long, value_name = "FILE")]
    pub opml: Option<PathBuf>,
    /// Also fetch feeds on this host or a private network that a public page or the list
    /// names (by default they are passed over, or printed commented out).
    #[arg(long)]
    pub allow_local: bool,
    /// The `kind` the printed sources get.
    #[arg(long, default_value = "partner", value_parser = ["partner", "organization"])]
    pub kind: String,
    /// Fetch the page and its feeds whatever their HTTPS certificates (expired, self-signed,
    /// for another name); the sources printed then set `accept_invalid_certificates = true`.
    #[arg(long, conflicts_with = "opml")]
    pub accept_invalid_certificates: bool,
}

/// `sources` options.
#[derive(Debug, Args)]
pub struct SourcesArgs {
    /// One JSON object per source.
    #[arg(long)]
    pub json: bool,
    /// Where the running daemon listens, asked when the store cannot be opened (default
    /// `[server] listen`; a wildcard address means this host).
    #[arg(long, env = "TRIBUTARY_LISTEN", value_name = "ADDR", value_parser = ListenAddr)]
    pub listen: Option<std::net::SocketAddr>,
}

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

/// Set when command output could not be written for another reason than its reader having
/// gone: the command then exits 1.
static OUTPUT_FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes command output (see `outln!`): stops writing, without an error, once the reader of
/// stdout has gone; any other failure to write is reported once on stderr, and the command
/// exits 1.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static GONE: AtomicBool = AtomicBool::new(false);
    if GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        GONE.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            OUTPUT_FAILED.store(true, Ordering::Relaxed);
            eprintln!("error: cannot write the output: {e}");
        }
    }
}

fn init_logging(format: LogFormat, default_level: &str) {
    let from_env = std::env::var("RUST_LOG").ok();
    let (mut filter, warning) = log_filter(from_env.as_deref(), default_level);
    if let Some(warning) = warning {
        eprintln!("warning: {warning}");
    }
    // The scheduler crate narrates its own bookkeeping at info ("Job creator created", once
    // per source at every start and reload): only its warnings, unless RUST_LOG names it.
    if !from_env
        .as_deref()
        .is_some_and(|f| f.contains("tokio_cron_scheduler"))
    {
        if let Ok(quiet) = "tokio_cron_scheduler=warn".parse() {
            filter = filter.add_directive(quiet);
        }
    }
    // The HTML parser under the sanitizer warns of the markup it mends, a line per node: a
    // feed's body of a few kilobytes can make hundreds of thousands of lines (and fill a
    // disk). Its errors only, unless RUST_LOG names it.
    for quiet in ["html5ever", "markup5ever"] {
        if !from_env.as_deref().is_some_and(|f| f.contains(quiet)) {
            if let Ok(directive) = format!("{quiet}=error").parse() {
                filter = filter.add_directive(directive);
            }
        }
    }
    // Colours only on a terminal: journald, files and pipes get plain text. A log line that
    // cannot be written (stderr closed) is dropped: the subscriber's default reports it with
    // eprintln!, which panics on that same closed stderr.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .log_internal_errors(false);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    log_panics(matches!(format, LogFormat::Json));
}

/// How panics are said. One in feed-rs, which is caught and becomes the document's error (a
/// broken feed), is a warning of the log's; it was a crash's "thread panicked" lines, which a
/// broken partner feed printed at every poll. Any other, with `json`, is one JSON error event:
/// the default hook's plain lines among the JSON ones were split by log shippers into records
/// without level or fields. A filter that leaves out this module's errors
/// (`RUST_LOG=tributary::ingest=debug`, `off`) would leave such a panic without a trace: the
/// default hook's lines then, as without `json`.
fn log_panics(json: bool) {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Raised in feed-rs or the crates under it, not in our own code it calls back (the
        // date parser), whose bug is said as any other panic.
        let theirs = info
            .location()
            .is_some_and(|l| !l.file().starts_with("src/"));
        if crate::parse::in_feed_parser() && theirs && tracing::enabled!(tracing::Level::WARN) {
            let place = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            tracing::warn!(panic.message = %panic_message(info), panic.location = %place, "the feed parser panicked on a document: it is rejected, and its source gets the error");
        } else if json && tracing::enabled!(tracing::Level::ERROR) {
            log_panic(info);
        } else {
            default(info);
        }
    }));
}

/// A panic's message, as `panic!` wrote it.
fn panic_message(info: &std::panic::PanicHookInfo<'_>) -> String {
    crate::parse::panic_text(info.payload())
}

/// Logs a panic as one error event (JSON log mode): its message, where it was raised, the
/// thread, and the backtrace when `RUST_BACKTRACE` asks for one.
fn log_panic(info: &std::panic::PanicHookInfo<'_>) {
    let message = panic_message(info);
    let location = info
        .location()
        .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
        .unwrap_or_default();
    let thread = std::thread::current();
    let thread = thread.name().unwrap_or("unnamed");
    let backtrace = std::backtrace::Backtrace::capture();
    if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
        tracing::error!(panic.message = %message, panic.location = %location, thread, backtrace = %backtrace, "a thread panicked: {message}");
    } else {
        tracing::error!(panic.message = %message, panic.location = %location, thread, "a thread panicked: {message}");
    }
}

/// The log filter `RUST_LOG` (`from_env`) sets, or `default_level` when it is unset or blank,
/// and a warning when some of it does not read. A directive that does not read
/// (`tributary=verbose`) is left out and the others kept: the whole setting thrown away for
/// the default, in silence, hid the logs that were asked for. When what is kept sets no level
/// for every target (the directive left out may have been the one), the default's is added, so
/// a typo leaves no target with no log at all.
fn log_filter(
    from_env: Option<&str>,
    default_level: &str,
) -> (tracing_subscriber::EnvFilter, Option<String>) {
    use tracing_subscriber::filter::{Directive, LevelFilter};
    use tracing_subscriber::EnvFilter;
    let directives = |text: &str| -> Vec<String> {
        text.split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect()
    };
    let given = from_env.map(directives).unwrap_or_default();
    if given.is_empty() {
        return (EnvFilter::new(default_level), None);
    }
    let (kept, bad): (Vec<String>, Vec<String>) = given
        .into_iter()
        .partition(|d| d.parse::<Directive>().is_ok());
    if bad.is_empty() {
        return (EnvFilter::new(kept.join(",")), None);
    }
    let ignored = bad
        .iter()
        .map(|d| {
            let why = d.parse::<Directive>().err().map(|e| e.to_string());
            format!("`{d}` ({})", why.unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join(", ");
    if kept.is_empty() {
        return (
            EnvFilter::new(default_level),
            Some(format!(
                "RUST_LOG: ignoring {ignored}; logging at the default level, `{default_level}`"
            )),
        );
    }
    // A bare level (`debug`) is the one for every target.
    let is_level = |d: &String| d.parse::<LevelFilter>().is_ok();
    let mut used = kept.clone();
    if !kept.iter().any(is_level) {
        used.extend(directives(default_level).into_iter().filter(is_level));
    }
    let used = used.join(",");
    (
        EnvFilter::new(&used),
        Some(format!(
            "RUST_LOG: ignoring {ignored}; logging with `{used}`"
        )),
    )
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
        Command::Fetch(args) => fetch(config, args),
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
        Command::Items(args) => items(config, args),
        Command::Sources(args) => sources(config, args),
        Command::Classify(args) => match &args.eval {
            Some(file) => classify::eval(&config, file),
            None => classify::classify(&config),
        },
        Command::Reclassify => classify::reclassify(config),
        Command::Run(args) => run_daemon(&cli, config, args),
        Command::Digest(args) => digest(config, args),
        Command::Export(args) => export(config, args),
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
        Command::Import(args) => import(config, args),
        Command::Render(args) => render(config, args),
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

fn fetch(config: Config, args: &FetchArgs) -> anyhow::Result<ExitCode> {
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
    let mode = crate::ingest::FetchMode {
        force: args.force,
        reread: args.reread,
    };
    // Ctrl-C (or SIGTERM) stops the pass as it stops the daemon: downloads still running end
    // at once, feeds downloaded are stored, and the states of the sources fetched are written
    // (they were lost with the process: the next pass fetched those sources again without
    // their validators). A second signal ends the process at once, as does one after the
    // pass (while the store is closed). On a thread of its own: the pass's runtime runs only
    // while it is driven.
    let stopped = std::sync::Arc::new(std::sync::atomic::AtomicI32::new(0));
    {
        let downloads = app.ingest.downloads.clone();
        let stopped = stopped.clone();
        let bar = bar.clone();
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
    }
    let reports = runtime.block_on(app.fetch_pass(&args.sources, mode, |r| {
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
    }));
    bar.finish_and_clear();
    // The pass is over: a signal from now on ends the process at once.
    app.ingest.downloads.cancel();
    let failed = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Error { .. }) && !r.outcome.stopped())
        .count();
    if !json {
        outln!("{}", totals(&reports, app.store.item_count_if_open()));
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
    // The store failing (a full disk, a store it cannot open) is the command's failure, not
    // a source's: exit 1, which a timer does not count a success.
    let store_failed = reports.iter().any(|r| r.store_failed);
    let signal = stopped.load(std::sync::atomic::Ordering::SeqCst);
    Ok(if signal != 0 {
        // As a shell reports a process its signal ended.
        ExitCode::from(signal as u8)
    } else if store_failed {
        ExitCode::from(1)
    } else if failed > 0 {
        ExitCode::from(PARTIAL_FAILURE)
    } else {
        ExitCode::SUCCESS
    })
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
            outcome if outcome.stopped() => stopped += 1,
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

fn items(config: Config, args: &ItemsArgs) -> anyhow::Result<ExitCode> {
    if let Some(id) = &args.source {
        if let Some(code) = unknown_sources(&config, std::slice::from_ref(id)) {
            return Ok(code);
        }
    }
    if let Some(topic) = &args.topic {
        if !config.classifier.topics().any(|t| t == topic) {
            let known: Vec<&str> = config.classifier.topics().collect();
            eprintln!(
                "unknown topic {topic:?}; configured topics: {}",
                known.join(", ")
            );
            return Ok(ExitCode::from(2));
        }
    }
    let app = App::open_existing(config)?;
    let items = app.store.list(&Query {
        source: args.source.clone(),
        topic: args.topic.clone(),
        lang: args.lang.clone(),
        limit: args.limit,
    })?;
    let mut out = std::io::stdout().lock();
    for item in &items {
        if args.json {
            let explained = app
                .config
                .classifier
                .explain_item(item, &app.config.sources);
            let line = ItemLine::new(item, &explained);
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
        } else {
            let others = item.sources.len().saturating_sub(1);
            let via = if others > 0 {
                format!("{} +{others}", item.source())
            } else {
                item.source().to_string()
            };
            let topics: Vec<&str> = item.topic_names().collect();
            writeln!(
                out,
                "{}{}  {:<20}  {}{}",
                item.published.format("%Y-%m-%d %H:%M UTC"),
                if item.date_inferred { "*" } else { " " },
                via,
                // Stored empty when its entry had nothing to title it by.
                if item.title.trim().is_empty() {
                    "(untitled)"
                } else {
                    &item.title
                },
                if topics.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", topics.join(", "))
                }
            )?;
            if let Some(link) = &item.link {
                writeln!(out, "                    {link}")?;
            }
            if others > 0 {
                let also: Vec<&str> = item.sources[1..]
                    .iter()
                    .map(|c| c.source.as_str())
                    .collect();
                writeln!(
                    out,
                    "                    also carried by {}",
                    also.join(", ")
                )?;
            }
        }
    }
    if !args.json && items.is_empty() {
        let filters: Vec<String> = [
            ("source", &args.source),
            ("topic", &args.topic),
            ("language", &args.lang),
        ]
        .into_iter()
        .filter_map(|(what, v)| v.as_ref().map(|v| format!("{what} {v:?}")))
        .collect();
        // On stderr: what reads the list (`| wc -l`) gets no line that is not an item.
        let stored = app.store.item_count();
        if filters.is_empty() || stored == 0 {
            eprintln!("no items stored yet: run `tributary fetch`");
        } else {
            eprintln!(
                "no stored item matches {} ({stored} stored in all)",
                filters.join(" and ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The `items --json` line format.
#[derive(serde::Serialize)]
struct ItemLine<'a> {
    id: String,
    source: &'a str,
    sources: Vec<&'a str>,
    title: &'a str,
    link: Option<&'a str>,
    published: String,
    date_inferred: bool,
    first_seen: String,
    topics: Vec<&'a str>,
    why: Vec<TopicReasons<'a>>,
    categories: &'a [String],
    lang: Option<&'a str>,
    summary: &'a str,
    content: Option<&'a str>,
}

/// A stored topic of an `items --json` line, with the reasons the rules give it.
#[derive(serde::Serialize)]
struct TopicReasons<'a> {
    topic: &'a str,
    why: Vec<&'a str>,
}

/// The reason shown for a stored topic the rules no longer give the story.
const NOT_BY_THESE_RULES: &str =
    "not given by the rules as they are now (`tributary reclassify` applies them)";

impl<'a> ItemLine<'a> {
    /// The line of `i`; `explained` is what the rules give it now, with reasons
    /// ([`crate::classify::Classifier::explain_item`]). Stories are stored without reasons
    /// (those stored by earlier versions have the reasons of their time, not shown).
    fn new(i: &'a Item, explained: &'a [crate::model::TopicMatch]) -> Self {
        let why = i
            .topics
            .iter()
            .map(|t| TopicReasons {
                topic: &t.topic,
                why: explained
                    .iter()
                    .find(|e| e.topic == t.topic)
                    .map(|e| e.why.iter().map(String::as_str).collect())
                    .unwrap_or_else(|| vec![NOT_BY_THESE_RULES]),
            })
            .collect();
        ItemLine {
            id: i.id.to_string(),
            source: i.source(),
            sources: i.sources.iter().map(|c| c.source.as_str()).collect(),
            title: &i.title,
            link: i.link.as_deref(),
            published: i.published.to_rfc3339(),
            date_inferred: i.date_inferred,
            first_seen: i.first_seen.to_rfc3339(),
            topics: i.topic_names().collect(),
            why,
            categories: &i.categories,
            lang: i.lang.as_deref(),
            summary: &i.summary,
            content: i.content.as_deref(),
        }
    }
}

fn sources(config: Config, args: &SourcesArgs) -> anyhow::Result<ExitCode> {
    let listen = args.listen.unwrap_or(config.server.listen);
    let health = if let Err(missing) = crate::app::ensure_store_exists(&config) {
        // Not there (a mistyped --data-dir): a daemon may still answer; else say so.
        from_daemon(listen, &config, &missing.to_string())?
    } else {
        match crate::store::Store::open(&config.store) {
            Ok(store) => crate::app::source_health(&store, &config)?,
            // The daemon holds the store (sled is single-process), or the store is not ours
            // to read (systemd's private state directory): ask the daemon instead.
            Err(e) => from_daemon(listen, &config, &e.to_string())?,
        }
    };
    let mut out = std::io::stdout().lock();
    if !args.json {
        writeln!(
            out,
            "{:<24} {:<12} {:<14} {:>6}  {:<23}  notes",
            "SOURCE", "KIND", "HEALTH", "ITEMS", "LAST SUCCESS"
        )?;
    }
    for s in health {
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&s)?)?;
        } else {
            writeln!(
                out,
                "{:<24} {:<12} {:<14} {:>6}  {:<23}  {}",
                s.id,
                s.kind,
                s.health,
                s.items,
                s.state
                    .last_success
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_else(|| "never".into()),
                s.notes()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Source health from the running daemon's `/sources.json`: a daemon that serves none of
/// `config`'s sources is another config's (the demo's on the default address), not this
/// store's.
fn from_daemon(
    listen: std::net::SocketAddr,
    config: &Config,
    why: &str,
) -> anyhow::Result<Vec<crate::app::SourceHealth>> {
    // The daemon itself, not the public URL a proxy may publish.
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let url = format!("http://{addr}/sources.json");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let response = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()?
            .get(&url)
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "{why}; asking the daemon at {url} instead failed: {e} (a daemon listening elsewhere is asked with --listen ADDR or TRIBUTARY_LISTEN)"
                )
            })?;
        let bytes = response.error_for_status()?.bytes().await?;
        let health: Vec<crate::app::SourceHealth> = serde_json::from_slice(&bytes)?;
        if !config.sources.is_empty()
            && !health
                .iter()
                .any(|h| config.sources.iter().any(|s| s.id == h.id))
        {
            anyhow::bail!(
                "{why}; the daemon at {url} serves none of this config's sources: another config's daemon (a daemon listening elsewhere is asked with --listen ADDR or TRIBUTARY_LISTEN)"
            );
        }
        // Said, so that a mistyped --data-dir is not taken for this store's health.
        eprintln!("(from the running daemon at {url})");
        Ok(health)
    })
}

fn run_daemon(cli: &Cli, mut config: Config, args: &RunArgs) -> anyhow::Result<ExitCode> {
    if let Some(listen) = args.listen {
        config.server = config.server.with_listen(listen);
    }
    // A token that cannot be used is a configuration error, like one in the file.
    let admin_token = match admin_token() {
        Ok(token) => token,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let origin = crate::schedule::Origin {
        config_path: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        listen: args.listen,
        admin_token,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let ran = runtime.block_on(crate::schedule::run(origin, config));
    // The store is flushed: whatever still runs (a feed being applied when a second signal
    // came, which the journal keeps whole or undoes) is not waited for beyond a moment.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    ran?;
    Ok(ExitCode::SUCCESS)
}

/// `TRIBUTARY_ADMIN_TOKEN` (only ever from the environment): enables the admin routes.
fn admin_token() -> anyhow::Result<Option<crate::server::admin::AdminToken>> {
    match std::env::var("TRIBUTARY_ADMIN_TOKEN") {
        Ok(t) if t.trim().is_empty() => Ok(None),
        Ok(t) => Ok(Some(
            crate::server::admin::AdminToken::new(&t)
                .map_err(|e| anyhow::anyhow!("TRIBUTARY_ADMIN_TOKEN: {e}"))?,
        )),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            anyhow::bail!("TRIBUTARY_ADMIN_TOKEN is not valid UTF-8")
        }
    }
}

fn render(mut config: Config, args: &RenderArgs) -> anyhow::Result<ExitCode> {
    use crate::server::feeds::{FeedSet, Scope};
    if let Some(listen) = args.listen {
        config.server = config.server.with_listen(listen);
    }
    let format: crate::publish::Format = args
        .format
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown format {}", args.format))?;
    let language = |l: &String| config.language(l).unwrap_or_else(|| l.clone());
    let scope = match (&args.topic, &args.source, &args.language) {
        (Some(t), _, Some(l)) => Scope::TopicLanguage(t.clone(), language(l)),
        (Some(t), _, None) => Scope::Topic(t.clone()),
        (None, Some(s), _) => Scope::Source(s.clone()),
        (None, None, Some(l)) => Scope::Language(language(l)),
        (None, None, None) => Scope::All,
    };
    let app = App::open_existing(config)?;
    match FeedSet::render_one(&app.store, &app.config, &scope, format)? {
        Some(doc) => {
            std::io::stdout().lock().write_all(&doc.body)?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let config = &app.config;
            let topics = || config.classifier.topics().map(str::to_string).collect();
            let (what, known): (String, Vec<String>) = match &scope {
                Scope::Topic(t) => (format!("topic {t:?}"), topics()),
                Scope::TopicLanguage(t, _) if config.classifier.title(t).is_none() => {
                    (format!("topic {t:?}"), topics())
                }
                Scope::Language(l) | Scope::TopicLanguage(_, l) => {
                    (format!("language {l:?}"), config.languages())
                }
                Scope::Source(s) => (
                    format!("source {s:?}"),
                    config.sources.iter().map(|s| s.id.clone()).collect(),
                ),
                Scope::All => ("feed".to_string(), vec![]),
            };
            eprintln!("unknown {what}; configured: {}", known.join(", "));
            Ok(ExitCode::from(2))
        }
    }
}

fn digest(config: Config, args: &DigestArgs) -> anyhow::Result<ExitCode> {
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

/// A path as `check` shows it: its nearest folder that exists, resolved, then the rest as
/// configured (`config/../var/demo` before the first run is `/srv/tributary/var/demo`).
fn shown_path(path: &std::path::Path) -> PathBuf {
    for folder in path.ancestors() {
        let Ok(real) = folder.canonicalize() else {
            continue;
        };
        return match path.strip_prefix(folder) {
            Ok(rest) if !rest.as_os_str().is_empty() => real.join(rest),
            _ => real,
        };
    }
    path.to_path_buf()
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

fn export(config: Config, args: &ExportArgs) -> anyhow::Result<ExitCode> {
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

fn import(config: Config, args: &ImportArgs) -> anyhow::Result<ExitCode> {
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

#[cfg(test)]
mod tests {
    use super::{log_filter, shown_path};

    /// In JSON log mode a panic is one JSON error event with its message and place, not the
    /// default hook's plain lines among the JSON ones; one feed-rs has on a broken document,
    /// caught, is a warning that says so (in either mode).
    #[test]
    fn a_panic_in_json_log_mode_is_one_json_error_event() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Lines(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Lines {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Lines {
            type Writer = Lines;
            fn make_writer(&'a self) -> Lines {
                self.clone()
            }
        }
        let lines = Lines::default();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_writer(lines.clone())
            .finish();
        // The hook is the process's: other tests' panics meanwhile go through it too (and to
        // no subscriber, on their threads), which changes nothing for them.
        let previous = std::panic::take_hook();
        super::log_panics(true);
        // A UTF-16 document whose declaration names its encoding: feed-rs 3.0.0 (quick-xml
        // 0.42) panics on it, read as it came (the pipeline decodes such text before).
        let mut utf16 = vec![0xfe, 0xff];
        let text = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\n<rss version=\"2.0\"><channel><title>t</title></channel></rss>";
        for unit in text.encode_utf16() {
            utf16.extend_from_slice(&unit.to_be_bytes());
        }
        let (caught, parsed) = tracing::subscriber::with_default(subscriber, || {
            (
                std::panic::catch_unwind(|| panic!("feed {} broke", 7)),
                crate::parse::run_feed_rs(&utf16, None, None),
            )
        });
        std::panic::set_hook(previous);
        assert!(caught.is_err());
        assert!(
            matches!(parsed, Err(crate::parse::ParseError::ParserPanic(_))),
            "{parsed:?}"
        );
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let events: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        assert_eq!(events.len(), 2, "{text}");
        let parser = &events[1];
        assert_eq!(parser["level"], "WARN", "{text}");
        assert!(
            parser["fields"]["message"]
                .as_str()
                .unwrap()
                .starts_with("the feed parser panicked on a document"),
            "{text}"
        );
        assert!(
            parser["fields"]["panic.message"]
                .as_str()
                .unwrap()
                .contains("set_encoding"),
            "{text}"
        );
        let fields = &events[0]["fields"];
        assert_eq!(events[0]["level"], "ERROR", "{text}");
        assert_eq!(fields["panic.message"], "feed 7 broke", "{text}");
        assert_eq!(
            fields["message"], "a thread panicked: feed 7 broke",
            "{text}"
        );
        let place = fields["panic.location"].as_str().unwrap();
        assert!(place.starts_with("src/cli/mod.rs:"), "{place}");
    }

    #[test]
    fn a_bad_log_directive_is_left_out_with_a_warning_and_the_others_kept() {
        let run = "warn,tributary=info";
        let said = |env: Option<&str>| {
            let (filter, warning) = log_filter(env, run);
            (filter.to_string(), warning)
        };
        // As a filter writes itself (most specific first).
        let written = |d: &str| tracing_subscriber::EnvFilter::new(d).to_string();
        // Unset, blank or valid: no warning.
        assert_eq!(said(None), (written(run), None));
        assert_eq!(said(Some(" ")), (written(run), None));
        assert_eq!(said(Some("tributary=debug")).1, None);
        // The valid ones kept; the bad one named, with what is used.
        let (filter, warning) = said(Some("debug,tributary=verbose"));
        assert_eq!(filter, "debug");
        let warning = warning.unwrap();
        assert!(
            warning.starts_with("RUST_LOG: ignoring `tributary=verbose` (")
                && warning.ends_with("; logging with `debug`"),
            "{warning}"
        );
        // Nothing left that sets every target's level: the default's is added.
        let (filter, warning) = said(Some("sled=debug,tributary=verbose"));
        assert_eq!(filter, written("sled=debug,warn"));
        assert!(warning
            .unwrap()
            .ends_with("; logging with `sled=debug,warn`"));
        // Nothing valid: the default, said so.
        let (filter, warning) = said(Some("tributary=verbose"));
        assert_eq!(filter, written(run));
        assert!(warning
            .unwrap()
            .ends_with("; logging at the default level, `warn,tributary=info`"),);
    }

    #[test]
    fn a_path_is_shown_through_its_nearest_real_folder() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        let configured = dir.path().join("config/../var/demo");
        assert_eq!(shown_path(&configured), real.join("var/demo"));
        std::fs::create_dir_all(dir.path().join("var/demo")).unwrap();
        assert_eq!(shown_path(&configured), real.join("var/demo"));
        let nowhere = std::path::Path::new("/nonexistent-tributary-root/store");
        assert_eq!(shown_path(nowhere), nowhere);
    }
}
