//! The clap definitions: the global options, the commands and the options of each, with the
//! examples and exit codes their `--help` shows.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
