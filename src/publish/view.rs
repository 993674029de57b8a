//! The one view of a stored item that every renderer reads.
//!
//! Everything format-independent is decided here, once: the stable id, which date is
//! "updated", the carriers resolved to sources, the topics and categories, and the removal of characters
//! XML cannot carry. Renderers only map these fields onto their crate's types.

use crate::locale::Locale;
use chrono::{DateTime, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{FeedMeta, SourceInfo};
use crate::model::{topic_slug, Item};

/// Atom category scheme for topics.
pub const TOPIC_SCHEME: &str = "tag:tributary,2026:topic";
/// RSS category domain for topics.
pub const TOPIC_DOMAIN: &str = "tributary:topic";
/// The media type given for an enclosure whose feed did not declare one.
pub const UNKNOWN_MIME: &str = "application/octet-stream";

/// Characters kept verbatim in the specific part of a `urn:` (the rest is percent-encoded).
const URN_KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// A stored item, cleaned and resolved for rendering.
#[derive(Debug, Clone)]
pub struct ItemView {
    /// `urn:tributary:item:{id}`: the RSS guid, Atom id and JSON Feed id alike.
    pub guid: String,
    /// Plain-text title; empty when the story has none (nothing but blanks).
    pub title: String,
    /// Link to the original, when there is one.
    pub link: Option<String>,
    /// Publication date, whole seconds.
    pub published: DateTime<Utc>,
    /// When the story last changed, whole seconds: the source's own date (its `updated`, else
    /// the publication date) until its source edits it after it was first stored, then that
    /// time. A planet or reader that orders by it sees a story of 2020 as of 2020, not as of
    /// the day Tributary first read it, nor of the day a partner's copy of it arrived; it moves
    /// only when the story's text does.
    pub updated: DateTime<Utc>,
    /// Plain-text summary (possibly empty).
    pub summary: String,
    /// Sanitized HTML body, when there is a non-blank one.
    pub content: Option<String>,
    /// The story's picture (an absolute http(s) URL), for JSON Feed's `image`: the one its
    /// feed named apart from its text, else the first of its body.
    pub image: Option<String>,
    /// Author names as the feed gave them, blanks dropped.
    pub authors: Vec<String>,
    /// Language of the item.
    pub lang: Option<String>,
    /// Topic names in order, without repeats.
    pub topics: Vec<String>,
    /// The story's own categories (tags) as its feed gave them, in order, without blanks,
    /// repeats or topics' names (letter case aside).
    pub categories: Vec<String>,
    /// Every source that carried the item, first-seen first, without repeats.
    pub carriers: Vec<CarrierView>,
    /// Attachments in the feed's order.
    pub enclosures: Vec<EnclosureView>,
}

/// One source that carried an item.
#[derive(Debug, Clone)]
pub struct CarrierView {
    /// The source id as stored on the item.
    pub id: String,
    /// What the caller knows about that source (one no longer configured included, when its
    /// title is known); `None` when it knows nothing of it.
    pub source: Option<SourceInfo>,
}

impl CarrierView {
    /// The source's title, or its id when the source is unknown.
    pub fn name(&self) -> &str {
        self.source.as_ref().map_or(&self.id, |s| &s.title)
    }
}

/// One attachment.
#[derive(Debug, Clone)]
pub struct EnclosureView {
    /// Absolute URL.
    pub url: String,
    /// Declared media type, else the one its file name's extension names ([`mime_of_file`]).
    pub mime: Option<String>,
    /// Declared length in bytes (none when unknown or declared as 0).
    pub length: Option<u64>,
}

/// The media type a file at `url` has by its name's extension (`…/brief.mp3?dl=1`:
/// `audio/mpeg`), for an attachment whose feed declared none: podcast apps play an episode by
/// its type, and RSS requires one. Only a sound, video, picture or document: a name that is a
/// script or page serving the file (`download.php?file=…`, `GetAudio.aspx`) says nothing of
/// it. `None` for a name without such an extension.
fn mime_of_file(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let name = url.path_segments()?.next_back()?;
    if !name.contains('.') {
        return None;
    }
    let mime = mime_guess::from_path(name).first()?;
    // Documents a think tank publishes: PDF, EPUB, Word, Excel, PowerPoint and OpenDocument
    // (not every `vnd.` type: an `.apk` is an app).
    const DOCUMENTS: [&str; 6] = [
        "pdf",
        "epub+zip",
        "msword",
        "vnd.ms-excel",
        "vnd.ms-powerpoint",
        "rtf",
    ];
    let subtype = mime.subtype().as_str();
    let document = mime.type_() == mime_guess::mime::APPLICATION
        && (DOCUMENTS.contains(&subtype)
            || subtype.starts_with("vnd.openxmlformats-officedocument.")
            || subtype.starts_with("vnd.oasis.opendocument."));
    let media = [
        mime_guess::mime::AUDIO,
        mime_guess::mime::VIDEO,
        mime_guess::mime::IMAGE,
    ]
    .contains(&mime.type_());
    (media || document).then(|| mime.essence_str().to_string())
}

impl ItemView {
    /// Cleans `item` and resolves its carriers through `sources`.
    /// `topic_aliases` gives the other names of topics ([`FeedMeta::topic_aliases`]).
    pub fn new(
        item: &Item,
        sources: &dyn Fn(&str) -> Option<SourceInfo>,
        topic_aliases: &[(String, String)],
    ) -> ItemView {
        let mut carriers: Vec<CarrierView> = Vec::with_capacity(item.sources.len());
        for c in &item.sources {
            let id = clean(&c.source);
            if carriers.iter().any(|seen| seen.id == id) {
                continue;
            }
            let source = sources(&c.source).map(|s| clean_source(&s));
            carriers.push(CarrierView { id, source });
        }
        let mut topics: Vec<String> = Vec::with_capacity(item.topics.len());
        for name in item.topic_names().map(clean) {
            if !name.trim().is_empty() && !topics.contains(&name) {
                topics.push(name);
            }
        }
        // Not one that names a topic too, by its name or by one of its titles (`Women Caucus`
        // for `women-caucus`, `Kosovo-Serbia Dialogue` for the dialogue titled `Kosovo–Serbia
        // dialogue`): readers that show categories without their domain or scheme would list
        // it twice.
        let aliases = topic_aliases
            .iter()
            .filter(|(topic, _)| topics.contains(topic))
            .map(|(_, alias)| alias);
        let topic_names: Vec<String> = topics
            .iter()
            .chain(aliases)
            .map(|t| topic_slug(t))
            .collect();
        let mut categories: Vec<String> = Vec::with_capacity(item.categories.len());
        for name in item.categories.iter().filter_map(|c| non_blank(Some(c))) {
            let name = name.trim().to_string();
            let folded = topic_slug(&name);
            if !categories.iter().any(|c| topic_slug(c) == folded) && !topic_names.contains(&folded)
            {
                categories.push(name);
            }
        }
        ItemView {
            guid: item_guid(&item.id.to_string()),
            title: non_blank(Some(&item.title)).unwrap_or_default(),
            link: non_blank(item.link.as_deref()),
            published: whole_seconds(item.published),
            updated: whole_seconds(item.updated_at()),
            summary: clean(&item.summary),
            content: non_blank(item.content.as_deref()),
            image: item.image.clone().or_else(|| {
                item.content
                    .as_deref()
                    .and_then(crate::parse::html::first_image)
            }),
            authors: item
                .authors
                .iter()
                .filter_map(|a| non_blank(Some(a)))
                .collect(),
            lang: non_blank(item.lang.as_deref()),
            topics,
            categories,
            carriers,
            enclosures: item
                .enclosures
                .iter()
                .filter_map(|e| {
                    let url = non_blank(Some(&e.url))?;
                    Some(EnclosureView {
                        mime: non_blank(e.mime.as_deref()).or_else(|| mime_of_file(&url)),
                        url,
                        // RSS writes 0 for "unknown": not a file of no bytes.
                        length: e.length.filter(|&n| n > 0),
                    })
                })
                .collect(),
        }
    }

    /// The first carrier that is a configured source: the one RSS and Atom name as `source`.
    pub fn first_source(&self) -> Option<&SourceInfo> {
        self.carriers
            .iter()
            .find_map(|c| c.source.as_ref().filter(|s| s.configured))
    }
}

/// Removes the characters XML 1.0 forbids: C0 controls other than tab, LF and CR, and the
/// non-characters U+FFFE and U+FFFF. Every string a renderer writes passes through here.
pub fn clean(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            !matches!(c,
                '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
        })
        .collect()
}

/// `clean`ed, or `None` when nothing but whitespace is left.
fn non_blank(s: Option<&str>) -> Option<String> {
    let s = clean(s?);
    (!s.trim().is_empty()).then_some(s)
}

/// What a story without a title is called where a format requires a title, and the language
/// tag of those words: in the story's language when Tributary speaks it, else the feed's, else
/// English ("(pa titull)", "(без наслова)", "(untitled)").
pub fn untitled(v: &ItemView, feed_lang: Option<&str>) -> (&'static str, &'static str) {
    let locale = v
        .lang
        .as_deref()
        .and_then(Locale::parse)
        .or_else(|| feed_lang.and_then(Locale::parse))
        .unwrap_or_default();
    (locale.page_labels().untitled, locale.tag())
}

/// The language every one of `views` is in (letter case aside, as the first writes it), if
/// there are any and they share one.
pub fn common_language(views: &[ItemView]) -> Option<String> {
    let first = views.first()?.lang.as_deref()?;
    views
        .iter()
        .all(|v| {
            v.lang
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(first))
        })
        .then(|| first.to_string())
}

/// The feed metadata with every string cleaned.
pub fn clean_meta(meta: &FeedMeta) -> FeedMeta {
    FeedMeta {
        id: clean(&meta.id),
        title: clean(&meta.title),
        description: clean(&meta.description),
        self_url: clean(&meta.self_url),
        site_url: clean(&meta.site_url),
        page_url: clean(&meta.page_url),
        language: non_blank(meta.language.as_deref()),
        generator: clean(&meta.generator),
        updated_when_empty: meta.updated_when_empty,
        title_lang: non_blank(meta.title_lang.as_deref()),
        topic_pages_in: non_blank(meta.topic_pages_in.as_deref()),
        icon: non_blank(meta.icon.as_deref()),
        logo: non_blank(meta.logo.as_deref()),
        time_zone: meta.time_zone,
        topic_labels: meta
            .topic_labels
            .iter()
            .map(|(t, l)| (clean(t), clean(l)))
            .collect(),
        topic_aliases: meta.topic_aliases.clone(),
    }
}

/// A source with every string cleaned.
pub fn clean_source(s: &SourceInfo) -> SourceInfo {
    SourceInfo {
        id: clean(&s.id),
        title: clean(&s.title),
        url: clean(&s.url),
        site_url: non_blank(s.site_url.as_deref()),
        configured: s.configured,
    }
}

/// The stable id every format gives an item.
pub fn item_guid(item_id: &str) -> String {
    format!("urn:tributary:item:{item_id}")
}

/// A stable URI for a source (Atom `source/id` must be an IRI; a config id is not).
pub fn source_urn(source_id: &str) -> String {
    format!(
        "urn:tributary:source:{}",
        utf8_percent_encode(source_id, URN_KEEP)
    )
}

/// The feed-level update time: the newest `last_changed` among the items (`None` for an empty
/// feed). Never the render time, so an unchanged store renders unchanged bytes.
pub fn feed_updated(items: &[Item]) -> Option<DateTime<Utc>> {
    items.iter().map(|i| whole_seconds(i.last_changed)).max()
}

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years every format here can write.
const FIRST_SECOND: i64 = -62_167_219_200;
const LAST_SECOND: i64 = 253_402_300_799;

/// Whole seconds (sub-second noise from `now()` would only make bytes differ), within years
/// 0–9999: RFC 2822 has no other years, and chrono's `to_rfc2822` panics outside them.
pub fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp().clamp(FIRST_SECOND, LAST_SECOND);
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// The bytes a crate writer produced. Writing into a `Vec` cannot fail; should a crate ever
/// report an error anyway, an empty body is returned rather than taking the daemon down.
pub fn written<E: std::fmt::Debug>(result: Result<Vec<u8>, E>) -> Vec<u8> {
    match result {
        Ok(bytes) => bytes,
        Err(e) => {
            debug_assert!(false, "writing a feed into memory failed: {e:?}");
            Vec::new()
        }
    }
}
