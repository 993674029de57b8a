//! A JSON document read as a feed through serde: [`Node`] counts its items and authors, and
//! when building, keeps it as a [`Value`] with what is past the bounds left out.

use serde::de::{DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Counts, MAX_AUTHORS, MAX_PERSON};
use crate::parse::build::MAX_ENTRIES;

/// The whole of a JSON `document` read as a feed (see [`Node`]): nothing but whitespace may
/// follow its value, as feed-rs reads it.
pub(super) fn read(
    document: &str,
    counts: &mut Counts,
    build: bool,
) -> Result<Option<Value>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(document);
    let feed = Node {
        at: Place::Feed,
        counts,
        build,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(feed)
}

/// Where a JSON value is in a JSON Feed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    /// The document.
    Feed,
    /// The feed's `items`.
    Items,
    /// One of them.
    Item,
    /// The feed's `authors` (`true`) or an item's.
    Authors(bool),
    /// One of the feed's authors.
    FeedPerson,
    /// Its name or address.
    PersonText,
    /// Anywhere else: read whole.
    Other,
}

/// A JSON value at `at`, read as a [`Value`] with what is past the bounds left out when
/// `build` (else nothing is kept: `None`), and counted in `counts`. A value of another type
/// than the spec's is read as it is.
struct Node<'a> {
    at: Place,
    counts: &'a mut Counts,
    build: bool,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        match (self.at, self.build) {
            (Place::Other, true) => Value::deserialize(d).map(Some),
            (Place::Other, false) => IgnoredAny::deserialize(d).map(|_| None),
            _ => d.deserialize_any(self),
        }
    }
}

impl Node<'_> {
    /// A scalar, kept when building.
    fn keep<E>(&self, v: impl FnOnce() -> Value) -> Result<Option<Value>, E> {
        Ok(self.build.then(v))
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: Error>(self, v: bool) -> Result<Self::Value, E> {
        self.keep(|| Value::Bool(v))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
        self.keep(|| Value::from(v))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
        self.keep(|| Value::from(v))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
        self.keep(|| Value::from(v))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        let mut v = v;
        // A name alone is an author of that name (see `json_mend`).
        if matches!(self.at, Place::PersonText | Place::FeedPerson) && v.len() > MAX_PERSON {
            self.counts.people_cut += 1;
            let end = (0..=MAX_PERSON).rev().find(|&i| v.is_char_boundary(i));
            v = &v[..end.unwrap_or(0)];
        }
        self.keep(|| Value::String(v.to_owned()))
    }

    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        self.keep(|| Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Items and authors past their bounds are counted and left out; anything else in a
        // list is read whole.
        let (element, bound) = match self.at {
            Place::Items => (Place::Item, MAX_ENTRIES),
            Place::Authors(true) => (Place::FeedPerson, MAX_AUTHORS),
            Place::Authors(false) => (Place::Other, MAX_AUTHORS),
            _ => (Place::Other, usize::MAX),
        };
        let mut kept = Vec::new();
        let mut n = 0;
        loop {
            let more = if n < bound {
                let node = Node {
                    at: element,
                    counts: &mut *self.counts,
                    build: self.build,
                };
                seq.next_element_seed(node)?.map(|v| kept.extend(v))
            } else {
                seq.next_element::<IgnoredAny>()?.map(|_| ())
            };
            if more.is_none() {
                break;
            }
            n += 1;
        }
        match self.at {
            Place::Items => self.counts.items += n,
            Place::Authors(_) => self.counts.authors_cut += n.saturating_sub(MAX_AUTHORS),
            _ => {}
        }
        Ok(self.build.then_some(Value::Array(kept)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kept = Map::new();
        let key = Key {
            at: self.at,
            build: self.build,
        };
        while let Some((at, name)) = map.next_key_seed(key)? {
            let node = Node {
                at,
                counts: &mut *self.counts,
                build: self.build,
            };
            if let (Some(value), Some(name)) = (map.next_value_seed(node)?, name) {
                kept.insert(name, value);
            }
        }
        Ok(self.build.then_some(Value::Object(kept)))
    }
}

/// A member's name in an object at `at`: where its value is, and the name itself when
/// building (counting reads it without a copy).
#[derive(Clone, Copy)]
struct Key {
    at: Place,
    build: bool,
}

impl<'de> DeserializeSeed<'de> for Key {
    type Value = (Place, Option<String>);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = (Place, Option<String>);

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a member's name")
    }

    fn visit_str<E: Error>(self, name: &str) -> Result<Self::Value, E> {
        let at = match (self.at, name) {
            (Place::Feed, "items") => Place::Items,
            (Place::Feed, "authors") => Place::Authors(true),
            (Place::Feed, "author") => Place::FeedPerson,
            (Place::Item, "authors") => Place::Authors(false),
            (Place::FeedPerson, "name" | "url") => Place::PersonText,
            _ => Place::Other,
        };
        Ok((at, self.build.then(|| name.to_owned())))
    }
}
