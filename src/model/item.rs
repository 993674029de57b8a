//! Stories: an item as one source carries it ([`NewItem`]), a stored story ([`Item`]) and
//! the sources that carried it, and where feeds list a story in time.

use chrono::{DateTime, DurationRound, Utc};
use serde::{Deserialize, Serialize};

use super::identity::{Identity, ItemId};
use super::rfc3339;
use super::topic::TopicMatch;

/// An enclosure (podcast audio, attached PDF) carried by an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enclosure {
    /// Absolute http(s) URL of the attachment.
    pub url: String,
    /// MIME type as the feed declared it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    /// Length in bytes as the feed declared it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
}

/// A normalized item as one source carries it, ready to be de-duplicated and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewItem {
    /// How the source identifies it.
    pub identity: Identity,
    /// Title, whitespace collapsed; derived from the text when the feed has none.
    pub title: String,
    /// Canonical absolute http(s) link to the original, if any.
    pub link: Option<String>,
    /// Publication date the feed gave (None when missing, unparseable or far in the future).
    pub published: Option<DateTime<Utc>>,
    /// Last-updated date the feed gave.
    pub updated: Option<DateTime<Utc>>,
    /// Plain-text summary.
    pub summary: String,
    /// Sanitized HTML body (content, else the HTML summary).
    pub content: Option<String>,
    /// Author names.
    pub authors: Vec<String>,
    /// The feed's own categories / tags.
    pub categories: Vec<String>,
    /// Language of the item, from the feed or the source's config.
    pub lang: Option<String>,
    /// Attachments with absolute http(s) URLs.
    pub enclosures: Vec<Enclosure>,
    /// The item's picture as the feed names it apart from its text (JSON Feed's `image`, a
    /// Media RSS thumbnail): an absolute http(s) URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Hash of the raw entry as the source sent it: a changed hash means a changed item.
    pub content_hash: String,
}

/// One source's record of carrying a stored story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    /// The source id.
    pub source: String,
    /// The item's identity in that source.
    pub identity: Identity,
    /// The link that source gave (canonical form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// When this source was first seen carrying the story.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub first_seen: DateTime<Utc>,
}

/// A stored story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stable id (never changes once stored).
    pub id: ItemId,
    /// Every source that carried the story; the first is where it was first seen.
    pub sources: Vec<Carrier>,
    /// Title.
    pub title: String,
    /// Canonical link to the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Publication date; the first-seen time when the feed gave none.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub published: DateTime<Utc>,
    /// True when `published` is the first-seen time because the feed gave no usable date.
    #[serde(default)]
    pub date_inferred: bool,
    /// Last-updated date the feed gave.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "rfc3339::serialize_some"
    )]
    pub updated: Option<DateTime<Utc>>,
    /// When Tributary first stored the story; set once, never moves.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub first_seen: DateTime<Utc>,
    /// When the stored content last changed: an edit, another source carrying it, its
    /// topics.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub last_changed: DateTime<Utc>,
    /// When its source last edited the story after it was first stored (`None`: never). Another
    /// source carrying it, or its topics changing, is no edit.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "rfc3339::serialize_some"
    )]
    pub edited: Option<DateTime<Utc>>,
    /// Plain-text summary.
    pub summary: String,
    /// Sanitized HTML body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Author names.
    #[serde(default)]
    pub authors: Vec<String>,
    /// The feed's own categories.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Attachments.
    #[serde(default)]
    pub enclosures: Vec<Enclosure>,
    /// The story's picture as its feed names it apart from its text (see [`NewItem::image`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Topics assigned, with the reasons.
    #[serde(default)]
    pub topics: Vec<TopicMatch>,
    /// Hash of the raw entry from the source that last changed it.
    pub content_hash: String,
}

impl Item {
    /// When the story last changed as its readers see it: its own date (its `updated`, else
    /// its publication date), or a later edit by its source ([`Item::edited`]).
    pub fn updated_at(&self) -> DateTime<Utc> {
        let own = self
            .updated
            .map_or(self.published, |u| u.max(self.published));
        self.edited.map_or(own, |edited| own.max(edited))
    }

    /// The id of the source that first carried the story.
    pub fn source(&self) -> &str {
        self.sources
            .first()
            .map(|c| c.source.as_str())
            .unwrap_or("")
    }

    /// Topic names in order.
    pub fn topic_names(&self) -> impl Iterator<Item = &str> {
        self.topics.iter().map(|t| t.topic.as_str())
    }

    /// Whether `source` carried this story.
    pub fn carried_by(&self, source: &str) -> bool {
        self.sources.iter().any(|c| c.source == source)
    }

    /// Where the merged, topic and language feeds list the story: see [`listed_at`], from
    /// when it was first stored.
    pub fn listed_at(&self) -> DateTime<Utc> {
        listed_at(self.published, self.first_seen)
    }

    /// Where the feed of the source `c` lists the story: see [`listed_at`], from when that
    /// source first carried it.
    pub fn listed_for(&self, c: &Carrier) -> DateTime<Utc> {
        listed_at(self.published, c.first_seen)
    }
}

/// How late a story may reach Tributary and still be listed as news when it arrives (see
/// [`listed_at`]); one older than this when it arrives (a new source's back catalogue) keeps
/// its own date.
pub const LATE_NEWS: chrono::TimeDelta = chrono::TimeDelta::days(3);

/// The time a feed lists a story at, newest first: the date it gives, unless that is before
/// the hour in which the story reached Tributary (`arrived`), when it is listed at the start
/// of that hour (its own date still shown). Feeds show their newest stories only, and a
/// story that arrives late (its source was down, polls rarely, or dates its entries when
/// they were drafted) would otherwise fall below that window straight away and never reach a
/// subscriber. The hour, not the instant: the stories of one pass keep the order of their
/// dates (the index orders those listed at one time by their dates). A date in the future
/// counts as the arrival; one more than [`LATE_NEWS`] before it (a back catalogue) stays as
/// it is.
pub fn listed_at(published: DateTime<Utc>, arrived: DateTime<Utc>) -> DateTime<Utc> {
    if published > arrived {
        return arrived;
    }
    if arrived - published > LATE_NEWS {
        return published;
    }
    let hour = arrived
        .duration_trunc(chrono::TimeDelta::hours(1))
        .unwrap_or(arrived);
    published.max(hour)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_story_is_listed_by_its_date_or_when_it_arrived_late() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let arrived = t("2026-11-30T10:25:00Z");
        // On time: its own date.
        assert_eq!(
            listed_at(t("2026-11-30T10:20:00Z"), arrived),
            t("2026-11-30T10:20:00Z")
        );
        // Late: the start of the hour it arrived in.
        assert_eq!(
            listed_at(t("2026-11-30T05:00:00Z"), arrived),
            t("2026-11-30T10:00:00Z")
        );
        assert_eq!(
            listed_at(t("2026-11-28T05:00:00Z"), arrived),
            t("2026-11-30T10:00:00Z")
        );
        // A back catalogue keeps its dates.
        assert_eq!(
            listed_at(t("2026-11-20T05:00:00Z"), arrived),
            t("2026-11-20T05:00:00Z")
        );
        // A date ahead of the clock (a zone written as UTC) counts as the arrival.
        assert_eq!(listed_at(t("2026-11-30T11:30:00Z"), arrived), arrived);
    }
}
