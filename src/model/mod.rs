//! The nouns every stage shares: sources, items and their identities.
//!
//! Nothing here does IO or depends on another module of the crate.
//!
//! Every item is used as `model::X`; the files below only sort them:
//!
//! - `source`: a configured [`Source`], where its feed comes from, how it is fetched, and the
//!   [`SourceState`] kept between fetches;
//! - `item`: stories, as one source carries them ([`NewItem`]) and as stored ([`Item`]);
//! - `identity`: how a story is named ([`ItemId`], [`Identity`]);
//! - `topic`, `digest_record`: the topics a story carries, a built digest;
//! - `error_kind`: what kind of failure a failed fetch was ([`ErrorKind`]);
//! - `links`, `secrets`, `language`: links, credentials in URLs, language tags;
//! - `rfc3339`: how a story's times are written.

mod digest_record;
mod error_kind;
mod identity;
mod item;
mod language;
mod links;
mod rfc3339;
mod secrets;
mod source;
mod topic;

pub use digest_record::DigestRecord;
pub use error_kind::ErrorKind;
pub use identity::{Identity, ItemId};
pub use item::{listed_at, Carrier, Enclosure, Item, NewItem, LATE_NEWS};
pub use language::language_matches;
pub use links::{http_url, page_of, site_name};
pub use secrets::{is_secret_parameter, redact_url_text, secret_parameters};
pub use source::{BasicAuth, Location, Schedule, Source, SourceKind, SourceState};
pub use topic::{topic_slug, TopicMatch};

/// For `skip_serializing_if`: a count or length that is zero (its type's default).
pub(crate) fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}
