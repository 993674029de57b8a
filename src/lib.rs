//! Tributary: a feed aggregation and syndication daemon.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! config (TOML) ─► fetch ─► parse/normalize ─► (classify) ─► store (sled)
//!                                                               │
//!                                publish (RSS/Atom/JSON/OPML) ◄─┤
//!                                    digest (text/HTML/email) ◄─┘
//! ```
//!
//! - [`model`]: the nouns (`Source`, `Item`, `ItemId`, `Identity`, `SourceState`); depends on nothing.
//! - [`config`]: TOML → validated [`config::Config`]; errors name file, line and key.
//! - [`fetch`]: reqwest client with conditional GET, limits, per-host politeness; bytes out.
//! - [`parse`]: feed-rs bytes → identified, hashed entries → normalized items; pure.
//! - [`store`]: the only module that touches sled: items, indexes, source state.
//! - [`filter`]: block and keep rules (regular expressions per field) → which fetched entries
//!   are never stored; pure.
//! - [`classify`]: topic rules compiled once (Aho-Corasick over script-folded text) → topics
//!   with the reasons; pure.
//! - [`publish`]: stored items → RSS 2.0, Atom 1.0 and JSON Feed 1.1 bytes, sources → OPML;
//!   pure and deterministic (no clock: same items, same bytes).
//! - [`locale`]: the words and dates Tributary writes in English, Albanian and Serbian (both
//!   scripts), for digests and feed pages; pure.
//! - [`digest`]: a period's stories → topic sections → text and HTML (minijinja templates ops
//!   may override) → an RFC 5322 multipart message; pure and deterministic, except
//!   `digest::run`: periods and marks in the store, the Maildir outbox, SMTP.
//! - [`server`]: axum router over rendered feeds, digests, status, health and metrics, the
//!   token-guarded admin routes, and the HTTP/1.1 loop with its timeouts and connection limit.
//! - [`schedule`]: the daemon: per-source and per-digest jobs, reload, shutdown, systemd
//!   readiness and watchdog (`schedule::notify`).
//! - [`ingest`]: one source through fetch → parse → store, with backoff bookkeeping.
//! - [`app`]: wiring (open store, build fetcher, run passes); [`cli`]: clap and exit codes.
//!
//! Invariants:
//! - `parse` does no IO and cannot fail the process: feed-rs runs under `catch_unwind`, and
//!   every document yields items plus warnings, or a typed error.
//! - `classify` does no IO and cannot fail: rules are validated when compiled, then every item
//!   gets a (possibly empty) list of topics with reasons.
//! - `publish` does no IO and cannot fail: every input renders to a well-formed document, with
//!   characters XML cannot carry removed.
//! - `digest` (but `digest::run`) does no IO beyond reading override templates when they are
//!   loaded, and reads no clock: the same stories and period give the same message bytes.
//! - `server` never fetches: it serves bytes rendered when the store changed; its admin routes
//!   (only with `TRIBUTARY_ADMIN_TOKEN`) queue commands for the daemon.
//! - Only `store` knows sled; only `fetch` opens network connections or reads feed files.
//! - One fetched feed is applied all or nothing (its stories and every index, through the
//!   store's journal) and flushed before it is reported, then its validators are recorded: a
//!   crash never leaves half a feed once the store is opened again, and a feed is never
//!   marked "not modified" without its items.
//! - A source's failure is recorded on that source (unhealthy, backing off) and never stops
//!   the others.

/// `println!` for command output. Once stdout's reader has gone (`tributary items | head -1`),
/// the rest of the output is dropped and the command carries on to its end (a fetch still
/// stores what it fetched), where `println!` would panic.
macro_rules! outln {
    () => {
        $crate::cli::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for command output, as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}

pub mod app;
pub mod classify;
pub mod cli;
pub mod config;
pub mod digest;
pub mod fetch;
pub mod filter;
pub mod ingest;
pub mod locale;
pub mod model;
pub mod parse;
pub mod publish;
pub mod schedule;
pub mod server;
pub mod store;
