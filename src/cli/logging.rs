//! Logging: the tracing subscriber as `--log-format` and `RUST_LOG` set it up, and how a
//! panic is said in the log.

use std::io::IsTerminal;

use super::LogFormat;

/// Starts the tracing subscriber on stderr, at `RUST_LOG`'s levels or else `default_level`,
/// and sets how panics are said ([`log_panics`]).
pub(super) fn init_logging(format: LogFormat, default_level: &str) {
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

#[cfg(test)]
mod tests {
    use super::log_filter;

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
        assert!(place.starts_with("src/cli/logging.rs:"), "{place}");
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
}
