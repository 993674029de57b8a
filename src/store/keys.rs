//! Byte layouts of the index keys. Timestamps sort as big-endian with the sign bit flipped,
//! so a tree iterated in reverse yields newest first.

use chrono::{DateTime, Utc};

use crate::model::ItemId;

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

/// `source ‖ 0 ‖ time ‖ id`: the per-source index key.
pub(crate) fn source_time_key(source: &str, t: DateTime<Utc>, id: ItemId) -> Vec<u8> {
    let mut k = source_prefix(source);
    k.extend_from_slice(&time_key(t, id));
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

/// Splits an identity index value.
pub(crate) fn split_ident_value(v: &[u8]) -> Option<(ItemId, &[u8])> {
    let head = v.get(..16)?;
    let mut id = [0u8; 16];
    id.copy_from_slice(head);
    Some((ItemId(id), &v[16..]))
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

#[cfg(test)]
mod tests {
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
}
