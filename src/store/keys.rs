//! Byte layouts of the index keys. Timestamps sort as big-endian with the sign bit flipped,
//! so a tree iterated in reverse yields newest first.

use chrono::{DateTime, Utc};

use crate::model::{Carrier, Item, ItemId};

/// 8 bytes that sort like the timestamp.
pub(crate) fn time_bytes(t: DateTime<Utc>) -> [u8; 8] {
    ((t.timestamp_micros() as u64) ^ (1 << 63)).to_be_bytes()
}

/// `time ‖ id`: a chronological index key.
pub(crate) fn time_key(t: DateTime<Utc>, id: ItemId) -> Vec<u8> {
    let mut k = Vec::with_capacity(24);
    k.extend_from_slice(&time_bytes(t));
    k.extend_from_slice(&id.0);
    k
}

/// The stories of one `by_seen` entry: the id in its key, then those packed in its value (a
/// feed lists all the stories it brought at one time in one entry; an entry written one story
/// at a time has an empty value).
pub(crate) fn seen_ids<'a>(key: &[u8], value: &'a [u8]) -> impl Iterator<Item = ItemId> + 'a {
    id_suffix(key)
        .into_iter()
        .chain(value.chunks_exact(16).filter_map(id_suffix))
}

/// Stories per `by_seen` entry at most: 4 KiB of ids, so that a feed of thousands of new
/// stories makes a few small values, never one large enough for sled to keep apart from its
/// node.
pub(crate) const SEEN_PER_ENTRY: usize = 256;

/// The `by_seen` value of an entry listing `ids`: those after the first (which is in the key).
pub(crate) fn seen_value(ids: &[ItemId]) -> Vec<u8> {
    ids.iter().skip(1).flat_map(|id| id.0).collect()
}

/// `listed ‖ published ‖ id`: where a feed lists a story (see [`crate::model::listed_at`]),
/// then, among stories listed at one time (those that arrived late in the same hour), its
/// own date.
pub(crate) fn listed_key(listed: DateTime<Utc>, published: DateTime<Utc>, id: ItemId) -> Vec<u8> {
    let mut k = Vec::with_capacity(32);
    k.extend_from_slice(&time_bytes(listed));
    k.extend_from_slice(&time_bytes(published));
    k.extend_from_slice(&id.0);
    k
}

/// A story's key in `by_published`: where the merged feeds list it ([`Item::listed_at`]).
pub(crate) fn listing_key(item: &Item) -> Vec<u8> {
    listed_key(item.listed_at(), item.published, item.id)
}

/// A story's key in `by_source` for one of its carriers ([`Item::listed_for`]).
pub(crate) fn carrier_key(item: &Item, c: &Carrier) -> Vec<u8> {
    let mut k = source_prefix(&c.source);
    k.extend_from_slice(&listed_key(item.listed_for(c), item.published, item.id));
    k
}

/// `source ‖ 0`: prefix of one source's keys (source ids never contain a NUL).
pub(crate) fn source_prefix(source: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(source.len() + 25);
    k.extend_from_slice(source.as_bytes());
    k.push(0);
    k
}

/// `source ‖ 0 ‖ identity`: the within-source identity key.
pub(crate) fn ident_key(source: &str, identity_key: &str) -> Vec<u8> {
    let mut k = source_prefix(source);
    k.extend_from_slice(identity_key.as_bytes());
    k
}

/// The item id at the end of an index key.
pub(crate) fn id_suffix(key: &[u8]) -> Option<ItemId> {
    let tail = key.get(key.len().checked_sub(16)?..)?;
    let mut id = [0u8; 16];
    id.copy_from_slice(tail);
    Some(ItemId(id))
}

/// Identity index value: `id ‖ raw hash of this source's version`.
pub(crate) fn ident_value(id: ItemId, hash: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(16 + hash.len());
    v.extend_from_slice(&id.0);
    v.extend_from_slice(hash.as_bytes());
    v
}

/// Splits an identity index value (or a tombstone) into the story's id and the rest: the raw
/// hash ([`raw_hash`]), and for a tombstone of a story told by its GUID what it keeps of the
/// story ([`Removed`]).
pub(crate) fn split_ident_value(v: &[u8]) -> Option<(ItemId, &[u8])> {
    let head = v.get(..16)?;
    let mut id = [0u8; 16];
    id.copy_from_slice(head);
    Some((ItemId(id), &v[16..]))
}

/// The raw hash in what follows an identity value's story id: all of it, or what comes before
/// a `\n`, after which a tombstone keeps what is left of its story ([`Removed`]).
pub(crate) fn raw_hash(rest: &[u8]) -> &[u8] {
    memchr::memchr(b'\n', rest).map_or(rest, |i| &rest[..i])
}

/// What a tombstone of a story told by its GUID keeps of the story that retention removed,
/// after its raw hash and a `\n`, so that the GUID handed to another story later (a site's
/// new CMS numbering its posts anew) is told apart from the story edited or listed again:
/// when it was removed, its date, its link's key and its title. Written as text
/// (`1577836800 1583020800 <32 hex digits> 0 Title words`), as the export carries a
/// tombstone's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Removed {
    /// When the story was published, in seconds since the epoch.
    pub published: i64,
    /// When retention removed it, in seconds since the epoch.
    pub removed_at: i64,
    /// The key of this source's link for it (`None` without one).
    pub link: Option<[u8; 16]>,
    /// Its date was when it was first seen: its feed gave none.
    pub date_inferred: bool,
    /// Its title (on one line).
    pub title: String,
}

impl Removed {
    /// The text that follows the raw hash, `\n` included.
    pub(crate) fn encode(&self) -> String {
        let link = self
            .link
            .map_or_else(|| "-".to_string(), |k| ItemId(k).to_string());
        let title = self.title.replace(['\n', '\r'], " ");
        format!(
            "\n{} {} {link} {} {title}",
            self.published,
            self.removed_at,
            u8::from(self.date_inferred)
        )
    }

    /// What a tombstone's rest (after the story id) keeps, if anything.
    pub(crate) fn decode(rest: &[u8]) -> Option<Removed> {
        let tail = rest.get(raw_hash(rest).len() + 1..)?;
        let mut parts = std::str::from_utf8(tail).ok()?.splitn(5, ' ');
        let published = parts.next()?.parse().ok()?;
        let removed_at = parts.next()?.parse().ok()?;
        let link = match parts.next()? {
            "-" => None,
            hex => Some(ItemId::parse(hex)?.0),
        };
        let date_inferred = match parts.next()? {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        Some(Removed {
            published,
            removed_at,
            link,
            date_inferred,
            title: parts.next()?.to_string(),
        })
    }
}

/// Title index value: up to [`MAX_TITLE_MATCHES`] entries of `id ‖ published seconds`.
pub(crate) const MAX_TITLE_MATCHES: usize = 32;

pub(crate) fn decode_title_entries(v: &[u8]) -> Vec<(ItemId, i64)> {
    v.chunks_exact(24)
        .map(|c| {
            let mut id = [0u8; 16];
            id.copy_from_slice(&c[..16]);
            let mut ts = [0u8; 8];
            ts.copy_from_slice(&c[16..]);
            (ItemId(id), i64::from_be_bytes(ts))
        })
        .collect()
}

pub(crate) fn encode_title_entries(entries: &[(ItemId, i64)]) -> Vec<u8> {
    let start = entries.len().saturating_sub(MAX_TITLE_MATCHES);
    let mut v = Vec::with_capacity(24 * (entries.len() - start));
    for (id, ts) in &entries[start..] {
        v.extend_from_slice(&id.0);
        v.extend_from_slice(&ts.to_be_bytes());
    }
    v
}

/// First byte of a `by_published` value that lists a story's language and topics; an empty
/// value (stories stored by builds before it) says nothing, and the story is read instead.
const SCOPE_META: u8 = 1;

/// The `by_published` value of a story: its language and topic names, so listing a topic or
/// language feed passes over other stories without reading them. `1 ‖ lang (‖ 0 ‖ topic)*`
/// (neither a tag nor a topic name holds a 0 byte).
pub(crate) fn scope_meta(item: &Item) -> Vec<u8> {
    let mut out = vec![SCOPE_META];
    out.extend_from_slice(item.lang.as_deref().unwrap_or("").as_bytes());
    for topic in item.topic_names() {
        out.push(0);
        out.extend_from_slice(topic.as_bytes());
    }
    out
}

/// Whether a story with this `by_published` value can be in the feed of `topic` and `lang`
/// (each `None` for any): `Some(false)` rules it out without reading it, `None` when the
/// value says nothing (the story must be read).
pub(crate) fn scope_meta_allows(
    value: &[u8],
    topic: Option<&str>,
    lang: Option<&str>,
) -> Option<bool> {
    let (&SCOPE_META, rest) = value.split_first()? else {
        return None;
    };
    let mut parts = rest.split(|&b| b == 0);
    let tag = std::str::from_utf8(parts.next().unwrap_or_default()).ok()?;
    let lang_ok = lang.is_none_or(|range| crate::model::language_matches(tag, range));
    let topic_ok = topic.is_none_or(|t| parts.any(|p| p == t.as_bytes()));
    Some(lang_ok && topic_ok)
}

#[cfg(test)]
mod tests {
    use crate::model::{Item, TopicMatch};

    #[test]
    fn publication_entries_rule_stories_out_by_topic_and_language() {
        let mut item: Item = serde_json::from_str(
            r#"{"id":"00000000000000000000000000000001","sources":[],"title":"t","published":"2026-03-01T00:00:00Z","first_seen":"2026-03-01T00:00:00Z","last_changed":"2026-03-01T00:00:00Z","summary":"","content_hash":"h"}"#,
        )
        .unwrap();
        item.lang = Some("sr-Cyrl".into());
        item.topics = ["dialogue", "culture"]
            .map(|t| TopicMatch {
                topic: t.into(),
                why: vec![],
            })
            .to_vec();
        let meta = scope_meta(&item);
        assert_eq!(scope_meta_allows(&meta, Some("culture"), None), Some(true));
        assert_eq!(scope_meta_allows(&meta, Some("cult"), None), Some(false));
        assert_eq!(
            scope_meta_allows(&meta, Some("women-caucus"), None),
            Some(false)
        );
        assert_eq!(scope_meta_allows(&meta, None, Some("sr")), Some(true));
        assert_eq!(
            scope_meta_allows(&meta, Some("dialogue"), Some("sr-Latn")),
            Some(false)
        );
        assert_eq!(scope_meta_allows(&meta, None, None), Some(true));
        assert_eq!(
            scope_meta_allows(&[], Some("culture"), None),
            None,
            "older entries"
        );
        item.lang = None;
        item.topics.clear();
        let bare = scope_meta(&item);
        assert_eq!(scope_meta_allows(&bare, None, Some("en")), Some(false));
        assert_eq!(scope_meta_allows(&bare, Some("culture"), None), Some(false));
        assert_eq!(scope_meta_allows(&bare, None, None), Some(true));
    }

    use super::*;
    use chrono::TimeZone;

    #[test]
    fn time_keys_sort_chronologically_across_the_epoch() {
        let id = ItemId([7; 16]);
        let a = time_key(Utc.with_ymd_and_hms(1960, 1, 1, 0, 0, 0).unwrap(), id);
        let b = time_key(Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 1).unwrap(), id);
        let c = time_key(Utc.with_ymd_and_hms(2020, 2, 25, 0, 0, 0).unwrap(), id);
        assert!(a < b && b < c);
        assert_eq!(id_suffix(&c), Some(id));
    }

    #[test]
    fn title_entries_round_trip_and_are_capped() {
        let entries: Vec<(ItemId, i64)> = (0..40).map(|i| (ItemId([i as u8; 16]), i)).collect();
        let decoded = decode_title_entries(&encode_title_entries(&entries));
        assert_eq!(decoded.len(), MAX_TITLE_MATCHES);
        assert_eq!(decoded.last(), entries.last());
    }

    #[test]
    fn a_tombstone_keeps_its_story_after_its_raw_hash() {
        let kept = Removed {
            published: -86_400,
            removed_at: 1_583_020_800,
            link: Some([0xab; 16]),
            date_inferred: false,
            title: "Workshop on the Brussels dialogue".into(),
        };
        let mut value = ident_value(ItemId([1; 16]), "0f3a");
        value.extend_from_slice(kept.encode().as_bytes());
        let (id, rest) = split_ident_value(&value).unwrap();
        assert_eq!((id, raw_hash(rest)), (ItemId([1; 16]), &b"0f3a"[..]));
        assert_eq!(Removed::decode(rest), Some(kept.clone()));
        // One written before kept nothing.
        assert_eq!(raw_hash(b"0f3a"), b"0f3a");
        assert_eq!(Removed::decode(b"0f3a"), None);
        assert_eq!(Removed::decode(b"0f3a\n12 13 zz 0 A"), None);
        let untitled = Removed {
            link: None,
            date_inferred: true,
            title: String::new(),
            ..kept
        };
        let rest = format!("0f3a{}", untitled.encode());
        assert_eq!(Removed::decode(rest.as_bytes()), Some(untitled));
    }
}
