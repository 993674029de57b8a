//! The maps themselves: each entry in its smallest form, given back byte for byte, and one
//! log entry's writes made to them.

use sled::IVec;

use super::{Matching, SLACK};
use crate::store::journal::{self, Index};

/// An identity entry's value: the story's id, then the raw hash of the source's version (32
/// lowercase hex digits as ingest writes it, packed here into 16 bytes), or as written when
/// the hash is another string (empty: not known).
pub(super) enum Ident {
    Packed([u8; 32]),
    Other(Box<[u8]>),
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Ident {
    pub(super) fn new(value: &[u8]) -> Ident {
        let nibble = |c: u8| HEX.iter().position(|&h| h == c).map(|n| n as u8);
        if value.len() == 48 {
            let mut packed = [0; 32];
            packed[..16].copy_from_slice(&value[..16]);
            let digits = value[16..].chunks(2).enumerate().all(|(i, pair)| {
                match (nibble(pair[0]), nibble(pair[1])) {
                    (Some(hi), Some(lo)) => {
                        packed[16 + i] = hi << 4 | lo;
                        true
                    }
                    _ => false,
                }
            });
            if digits {
                return Ident::Packed(packed);
            }
        }
        Ident::Other(value.into())
    }

    pub(super) fn value(&self) -> IVec {
        match self {
            Ident::Packed(packed) => {
                let mut v = Vec::with_capacity(48);
                v.extend_from_slice(&packed[..16]);
                for b in &packed[16..] {
                    v.push(HEX[usize::from(b >> 4)]);
                    v.push(HEX[usize::from(b & 15)]);
                }
                v.into()
            }
            Ident::Other(v) => IVec::from(&v[..]),
        }
    }
}

impl Matching {
    /// The value at `key`, a key as logged ([`map_key`](super::map_key)).
    pub(super) fn get(&self, index: Index, key: &[u8; 16]) -> Option<IVec> {
        match index {
            Index::Idents => self.idents.get(key).map(Ident::value),
            Index::Links => self.links.get(key).map(|v| IVec::from(&v[..])),
            Index::Titles => self.titles.get(key).map(|v| IVec::from(&v[..])),
            _ => None,
        }
    }

    /// Sets or removes the entry at `key`, a key as logged ([`map_key`](super::map_key)).
    pub(super) fn set(&mut self, index: Index, key: &[u8], value: Option<&[u8]>) {
        let Ok(key) = <[u8; 16]>::try_from(key) else {
            return;
        };
        match (index, value) {
            (Index::Idents, Some(v)) => {
                self.idents.insert(key, Ident::new(v));
            }
            (Index::Links, Some(v)) => match <[u8; 16]>::try_from(v) {
                Ok(id) => {
                    self.links.insert(key, id);
                }
                // No story id: names nothing.
                Err(_) => {
                    self.links.remove(&key);
                }
            },
            (Index::Titles, Some(v)) => {
                self.titles.insert(key, v.into());
            }
            (Index::Idents, None) => {
                self.idents.remove(&key);
            }
            (Index::Links, None) => {
                self.links.remove(&key);
            }
            (Index::Titles, None) => {
                self.titles.remove(&key);
            }
            _ => {}
        }
    }

    /// Every entry of `index`, as logged.
    pub(super) fn iter(&self, index: Index) -> Box<dyn Iterator<Item = ([u8; 16], IVec)> + '_> {
        match index {
            Index::Idents => Box::new(self.idents.iter().map(|(k, v)| (*k, v.value()))),
            Index::Links => Box::new(self.links.iter().map(|(k, v)| (*k, IVec::from(&v[..])))),
            Index::Titles => Box::new(self.titles.iter().map(|(k, v)| (*k, IVec::from(&v[..])))),
            _ => Box::new(std::iter::empty()),
        }
    }

    /// Makes the writes of one log entry (`None`: it does not read; those before the damage
    /// are made).
    pub(super) fn replay(&mut self, entry: &[u8]) -> Option<()> {
        self.entries += 1;
        journal::for_each_write(entry, |index, key, value| {
            self.set(index, key, value);
            self.logged += 1;
        })
    }

    pub(super) fn live(&self) -> u64 {
        (self.idents.len() + self.links.len() + self.titles.len()) as u64
    }

    /// Whether the log holds many overwritten writes, or its writes in many small entries
    /// (an import logs each story's on its own), and is worth rewriting.
    pub(super) fn wants_compaction(&self) -> bool {
        let live = self.live();
        self.logged > 2 * live + SLACK || self.entries > 2 * self.rewritten + SLACK / 10
    }
}
