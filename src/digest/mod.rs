//! Email digests, the pure half: which stories go into a digest and under which topic, the
//! text and HTML parts rendered from templates, and the RFC 5322 message that carries them.
//!
//! The caller reads the stories first seen in a period from the store, calls [`build`], renders
//! the result with [`Templates`] and wraps both parts with [`message()`]. [`run`] is that caller:
//! periods and marks in the store, the Maildir outbox and SMTP delivery (the only IO here).
//!
//! - `select.rs`: [`build`]: the source filter, one section per topic, each story once.
//! - `entry.rs`: one stored item → one [`Entry`] (title, http(s) link, sources, short summary).
//! - `period.rs`: [`Period`] and how it is named in the digest's time zone.
//! - `templates.rs` + `digest.html` / `digest.txt`: minijinja templates ops may override.
//! - `message.rs`: [`subject`], [`message()`] (mail-builder) and the address checks.
//! - `run/`: building a period from the store, the outbox, SMTP.
//!
//! Everything but `run` is deterministic: no clock, no randomness, no IO except reading override
//! templates in [`Templates::new`]. The same items and spec give the same [`Digest`], the same
//! HTML and text, and the same message bytes (its Message-ID and Date come from the period).

mod entry;
mod message;
mod period;
pub mod run;
mod select;
mod templates;

#[cfg(test)]
mod tests;

use serde::Serialize;

pub use crate::locale::{Labels, Locale, LOCALES};
pub(crate) use message::{check_list_id, check_mailbox, check_unsubscribe_mailto};
pub use message::{message, message_id, subject, with_recipients};
pub use period::Period;
pub use select::build;
pub use templates::Templates;

/// What one configured digest covers and who receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestSpec {
    /// Short stable name (`daily`): part of the Message-ID, so keep it to letters, digits, `-`
    /// and `_`.
    pub name: String,
    /// Heading of the digest and the start of its subject line.
    pub title: String,
    /// The `From` mailbox, e.g. `Tributary <digest@example.org>`; the display name may be
    /// non-ASCII or quoted.
    pub from: String,
    /// Recipients, or one list address.
    pub to: Vec<String>,
    /// `daily.tributary.example.org` → `List-Id: <daily.tributary.example.org>`.
    pub list_id: Option<String>,
    /// An http(s) one-click unsubscribe URL: `List-Unsubscribe` + `List-Unsubscribe-Post`, and
    /// the link in the footer.
    pub unsubscribe_url: Option<String>,
    /// An unsubscribe address (with or without `mailto:`), also named in `List-Unsubscribe`.
    pub unsubscribe_mailto: Option<String>,
    /// Topics covered, in section order. Empty: every topic (in the caller's topic order) and
    /// an "Other news" section for stories without one.
    pub topics: Vec<String>,
    /// Only stories carried by at least one of these sources; empty: all.
    pub sources: Vec<String>,
    /// Only stories in one of these languages (BCP 47 ranges: `sr` also takes `sr-Latn` and
    /// `sr-Cyrl`); empty: all.
    pub languages: Vec<String>,
    /// The zone of every date the digest and its subject show.
    pub time_zone: chrono_tz::Tz,
    /// Whether an entry shows the first http(s) image of the story's own content.
    pub images: bool,
    /// The language the digest speaks around the stories (dates, counts, headings).
    pub locale: Locale,
    /// At most this many stories, the newest; the others are counted (`None`: all).
    pub max_stories: Option<usize>,
    /// Keep the recipients out of the message (`To: undisclosed-recipients:;`): they are only
    /// the SMTP envelope's, so no reader sees the others' addresses.
    pub bcc: bool,
    /// `Auto-Submitted: auto-generated` (RFC 3834), so that recipients' vacation responders
    /// stay quiet. Off for a list address: list servers such as Sympa silently drop a post
    /// that carries it.
    pub auto_submitted: bool,
}

impl DigestSpec {
    /// A spec with every option at its default: all topics, all sources, UTC, no images,
    /// no list headers.
    pub fn new(name: &str, title: &str, from: &str, to: &[&str]) -> DigestSpec {
        DigestSpec {
            name: name.to_string(),
            title: title.to_string(),
            from: from.to_string(),
            to: to.iter().map(|s| s.to_string()).collect(),
            list_id: None,
            unsubscribe_url: None,
            unsubscribe_mailto: None,
            topics: Vec::new(),
            sources: Vec::new(),
            languages: Vec::new(),
            time_zone: chrono_tz::UTC,
            images: false,
            locale: Locale::En,
            max_stories: None,
            bcc: false,
            auto_submitted: false,
        }
    }

    /// Checks what [`message()`] would otherwise have to write as given: the name, the
    /// addresses, the list id and the unsubscribe targets. Config validation calls this once.
    pub fn validate(&self) -> Result<(), DigestError> {
        message::validate(self)
    }
}

/// A digest ready to render: sections of entries, and everything the templates show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    /// The spec's name.
    pub name: String,
    /// The spec's title.
    pub title: String,
    /// The period covered.
    pub period: Period,
    /// The period as a reader names it, e.g. `27 Nov 2026` or `21–27 Nov 2026` (in the
    /// digest's language: `27 nën 2026`, `21.–27. nov 2026.`).
    pub period_label: String,
    /// First instant of the period in the digest's zone, e.g. `26 Nov 2026, 08:00 CET`.
    pub period_start: String,
    /// End of the period (exclusive) in the digest's zone.
    pub period_end: String,
    /// IANA name of the zone the dates are shown in.
    pub time_zone: String,
    /// Sections in order; none is empty.
    pub sections: Vec<Section>,
    /// Stories new in the period, shown or left out.
    pub count: usize,
    /// Stories left out over the spec's `max_stories` (the oldest of the period).
    pub left_out: usize,
    /// `70 stories` for [`Digest::left_out`] (empty when none is).
    pub left_out_label: String,
    /// `12 stories`, `1 story`, `no stories` (`12 lajme`, `12 vesti`…).
    pub count_label: String,
    /// The spec's http(s) unsubscribe URL, for the footer.
    pub unsubscribe_url: Option<String>,
    /// The spec's unsubscribe address as a `mailto:` URI, for the footer.
    pub unsubscribe_mailto: Option<String>,
    /// The BCP 47 tag of the language the digest speaks (`en`, `sq`, `sr-Latn`, `sr-Cyrl`).
    pub locale: String,
    /// The words the templates print in that language (see [`Labels`]).
    pub labels: Labels,
}

/// One topic's stories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    /// The topic name; `None` for "Other news" (in the digest's language).
    pub topic: Option<String>,
    /// The topic's title (its name when the caller knows no title).
    pub title: String,
    /// Newest first; ties by id.
    pub entries: Vec<Entry>,
}

/// One story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The stored item id (32 hex digits).
    pub id: String,
    /// Position in the whole digest, from 1: what the text part numbers.
    pub number: usize,
    /// Plain-text title, whitespace collapsed.
    pub title: String,
    /// Link to the original; only ever an absolute http(s) URL.
    pub link: Option<String>,
    /// Titles of every source that carried the story, first carrier first, without repeats.
    pub sources: Vec<String>,
    /// The ids of every source that carried the story (as in the config and the feeds'
    /// URLs), first carrier first, without repeats. Not paired with `sources` by position:
    /// two sources of one title are one title there.
    pub source_ids: Vec<String>,
    /// The story's topics (their names, as in the rules and the feeds' URLs), in the order
    /// stored.
    pub topics: Vec<String>,
    /// Publication date in the digest's zone and language, e.g. `27 Nov 2026, 07:30`.
    pub date: String,
    /// Publication date as RFC 3339 UTC, for templates that want their own format.
    pub published: String,
    /// Plain text of at most ~300 characters, cut at a word boundary; empty when the story has
    /// none or it only repeats the title.
    pub summary: String,
    /// The links of the story's text whose words the summary shows ("Download the brief
    /// (PDF)"), with their addresses, which a plain-text summary would otherwise lose: at most
    /// five, not the story's own link, each address once.
    pub links: Vec<EntryLink>,
    /// Titles of the story's other covered topics, in section order (such a topic has no
    /// section of its own when all its stories sit under earlier topics).
    pub also: Vec<String>,
    /// The first http(s) image of the story's content, only when the spec asks for images.
    pub image: Option<String>,
    /// The image's text alternative as the story gives it (empty: none), which mail
    /// clients show while they hold back images.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_alt: String,
    /// The story's language tag (`sr-Cyrl`, `sq`), when known: the HTML part marks its title
    /// and summary with it, for screen readers and hyphenation in a digest of another language.
    pub lang: Option<String>,
}

/// A link of a story's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryLink {
    /// Its words, as the summary shows them.
    pub text: String,
    /// Its absolute http(s) address.
    pub url: String,
}

/// Why a digest could not be rendered, or a spec is not usable.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    /// An override template exists but could not be read.
    #[error("cannot read digest template {}: {error}", .path.display())]
    Read {
        /// The file (or directory) that failed.
        path: std::path::PathBuf,
        /// The underlying IO error (in the message, not as a source, so it is printed once).
        error: std::io::Error,
    },
    /// A template did not compile or failed while rendering.
    #[error("digest template {file}{}: {message}", line_suffix(*.line))]
    Template {
        /// The override file's path, or `built-in digest.html` / `built-in digest.txt`.
        file: String,
        /// The line in that file, when minijinja knows it.
        line: Option<usize>,
        /// What went wrong.
        message: String,
        /// minijinja's error.
        #[source]
        source: minijinja::Error,
    },
    /// A spec field that cannot go into a message as given.
    #[error("digest {field} {value:?}: {reason}")]
    Spec {
        /// The field, e.g. `from`.
        field: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(" line {l}")).unwrap_or_default()
}
