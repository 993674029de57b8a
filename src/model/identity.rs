//! How a story is named: its stored id ([`ItemId`]) and how its source recognises it again
//! ([`Identity`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::links::page_of;

/// The stable identifier of a stored story: 16 bytes derived from the first source that carried it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(pub [u8; 16]);

impl ItemId {
    /// Derives the id from the source that first carried the story and its identity there,
    /// so the same story gets the same id in every store that ingests the same feeds (stories
    /// stored before the source prefix below was introduced keep the ids they were given).
    ///
    /// The first [`ItemId::SOURCE_PREFIX`] bytes depend on the source alone, so one source's
    /// stories sit next to each other in the store's id-keyed tree: applying a feed writes a
    /// few neighbouring leaves instead of one random leaf per story (a third less store time
    /// in a cold ingest, docs/BENCHMARKS.md). The other 12 bytes hash source and identity.
    pub fn derive(source_id: &str, identity: &Identity) -> ItemId {
        let mut hasher = blake3::Hasher::new();
        hasher.update(source_id.as_bytes());
        let source_hash = hasher.finalize();
        hasher.update(&[0]);
        hasher.update(identity.key().as_bytes());
        let mut id = [0u8; 16];
        id[..Self::SOURCE_PREFIX].copy_from_slice(&source_hash.as_bytes()[..Self::SOURCE_PREFIX]);
        id[Self::SOURCE_PREFIX..]
            .copy_from_slice(&hasher.finalize().as_bytes()[..16 - Self::SOURCE_PREFIX]);
        ItemId(id)
    }

    /// How many leading bytes of a derived id depend on the source alone.
    pub const SOURCE_PREFIX: usize = 4;

    /// Parses the 32-hex-digit form written by `Display`.
    pub fn parse(s: &str) -> Option<ItemId> {
        if s.len() != 32 || !s.is_ascii() {
            return None;
        }
        let mut id = [0u8; 16];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(ItemId(id))
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ItemId({self})")
    }
}

/// Hex digits in text formats (JSON exports, the API), the 16 bytes themselves in the store's
/// binary records.
impl Serialize for ItemId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for ItemId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl serde::de::Visitor<'_> for IdVisitor {
            type Value = ItemId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an item id: 32 hex digits or 16 bytes")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<ItemId, E> {
                ItemId::parse(s).ok_or_else(|| E::custom(format!("bad item id {s:?}")))
            }
            fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<ItemId, E> {
                b.try_into()
                    .map(ItemId)
                    .map_err(|_| E::custom(format!("bad item id: {} bytes", b.len())))
            }
        }
        if d.is_human_readable() {
            d.deserialize_str(IdVisitor)
        } else {
            d.deserialize_bytes(IdVisitor)
        }
    }
}

/// How an item is recognised again within its source, in order of preference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "lowercase")]
pub enum Identity {
    /// The feed's own GUID / Atom id / JSON Feed id.
    Guid(String),
    /// The canonical link, when the feed gives no id.
    Link(String),
    /// A hash of title and text, when the feed gives neither.
    Hash(String),
    /// The link and the title, when several entries of the feed share the link (a section
    /// page) and give no GUID of their own: the link alone would name whichever came first.
    Titled {
        /// The canonical link the entries share.
        link: String,
        /// The entry's title, as stored.
        title: String,
    },
}

impl Identity {
    /// The string stored in the identity index.
    pub fn key(&self) -> String {
        match self {
            Identity::Guid(g) => format!("g:{g}"),
            Identity::Link(l) => format!("l:{l}"),
            Identity::Hash(h) => format!("h:{h}"),
            Identity::Titled { link, title } => format!("t:{link}\n{title}"),
        }
    }

    /// The two forms an entry without a GUID of its own is recorded under by its link: the
    /// link alone, and the link with the entry's title. A story's link may keep a fragment
    /// (`/changelog#v2-3`); its identity is the page without it.
    pub fn link_forms(link: &str, title: &str) -> [Identity; 2] {
        let link = page_of(link);
        [
            Identity::Link(link.to_string()),
            Identity::Titled {
                link: link.to_string(),
                title: title.to_string(),
            },
        ]
    }

    /// The other form an entry told by its link may have been stored under: a link's entry
    /// titled `title` under the link with that title (another entry shared the link then),
    /// a titled one under its link alone (it had the link to itself then). `None` for GUIDs
    /// and hashes.
    pub fn alternate(&self, title: &str) -> Option<Identity> {
        match self {
            Identity::Link(link) => Some(Identity::Titled {
                link: link.clone(),
                title: title.to_string(),
            }),
            Identity::Titled { link, .. } => Some(Identity::Link(link.clone())),
            Identity::Guid(_) | Identity::Hash(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_id_round_trips_through_hex() {
        let id = ItemId::derive("bprg", &Identity::Guid("post-1".into()));
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(ItemId::parse(&text), Some(id));
        assert_eq!(ItemId::parse("zz"), None);
        assert_eq!(ItemId::parse(&"g".repeat(32)), None);
    }

    #[test]
    fn item_id_depends_on_source_and_identity() {
        let a = ItemId::derive("a", &Identity::Guid("1".into()));
        let b = ItemId::derive("b", &Identity::Guid("1".into()));
        let c = ItemId::derive("a", &Identity::Link("1".into()));
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, ItemId::derive("a", &Identity::Guid("1".into())));
    }

    #[test]
    fn item_ids_of_one_source_share_their_first_bytes() {
        let p = ItemId::SOURCE_PREFIX;
        let ids: Vec<ItemId> = (0..50)
            .map(|i| ItemId::derive("kdi", &Identity::Guid(format!("post-{i}"))))
            .collect();
        assert!(ids.iter().all(|id| id.0[..p] == ids[0].0[..p]));
        // The rest still tells the stories apart.
        let tails: std::collections::HashSet<&[u8]> = ids.iter().map(|id| &id.0[p..]).collect();
        assert_eq!(tails.len(), ids.len());
        let other = ItemId::derive("bprg", &Identity::Guid("post-0".into()));
        assert_ne!(other.0[..p], ids[0].0[..p]);
        assert_ne!(other.0[p..], ids[0].0[p..]);
    }
}
