//! `[store]` and `[dedupe]`, validated: where the stories are kept, how long, and when two
//! sources' copies are one story. Both sections are read here; `[dedupe]` learns the sources'
//! kinds and sites once they are validated.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::raw;
use super::validate::Validator;
use crate::model::{Source, SourceKind};

/// `[store]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// The sled directory.
    pub path: PathBuf,
    /// sled's page cache in bytes (its own default of 1 GiB is far more than a feed store needs).
    pub cache_capacity: u64,
    /// Stories published longer ago than this are pruned (None: kept for ever).
    pub max_age: Option<Duration>,
    /// Each source keeps at most this many stories it alone carries (None: no limit).
    pub max_items_per_source: Option<usize>,
}

/// `[dedupe]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupeConfig {
    /// Two sources' items with the same normalized title are one story when published this close.
    pub title_window: Duration,
    /// Titles shorter than this (after normalizing) never merge stories: "News" is not a story.
    pub min_title_chars: usize,
    /// The sources of `kind = "organization"`: a story one of them carries is theirs, and
    /// their copy leads it (its link and text) over any partner's republished copy.
    pub organizations: Arc<std::collections::BTreeSet<String>>,
    /// The name of each source's site, as its feed's address tells it
    /// ([`crate::model::site_name`]): a link on it is that source's own page.
    pub sites: Arc<std::collections::BTreeMap<String, String>>,
}

impl DedupeConfig {
    /// Whether `source`'s copy of a story outranks copies of sources of another kind.
    pub fn is_organization(&self, source: &str) -> bool {
        self.organizations.contains(source)
    }

    /// The name of `source`'s site, if its address tells one.
    pub fn site_of(&self, source: &str) -> Option<&str> {
        self.sites.get(source).map(String::as_str)
    }

    /// Whether `site` ([`crate::model::site_name`]) is the site of an organisation.
    pub fn is_organization_site(&self, site: &str) -> bool {
        self.sites
            .iter()
            .any(|(source, s)| s == site && self.is_organization(source))
    }

    /// Fills in `organizations` and `sites` from the validated `sources`.
    pub(super) fn set_sources(&mut self, sources: &[Source]) {
        self.organizations = Arc::new(
            sources
                .iter()
                .filter(|s| s.kind == SourceKind::Organization)
                .map(|s| s.id.clone())
                .collect(),
        );
        self.sites = Arc::new(
            sources
                .iter()
                .filter_map(|s| match &s.location {
                    crate::model::Location::Http(url) => {
                        Some((s.id.clone(), crate::model::site_name(url.as_str())?))
                    }
                    crate::model::Location::File(_) => None,
                })
                .collect(),
        );
    }
}

impl Default for DedupeConfig {
    fn default() -> Self {
        DedupeConfig {
            title_window: Duration::from_secs(72 * 3600),
            min_title_chars: 20,
            organizations: Default::default(),
            sites: Default::default(),
        }
    }
}

impl Validator<'_> {
    /// `[store]`: the store's folder (`tributary-data` beside the config unless set, a
    /// relative one resolved against the config's folder), its cache and its limits.
    pub(super) fn store(&mut self, raw: &raw::RawStore) -> StoreConfig {
        StoreConfig {
            path: raw
                .path
                .as_ref()
                .map(|p| self.base.join(p.get_ref()))
                .unwrap_or_else(|| self.base.join("tributary-data")),
            cache_capacity: self
                .size(&raw.cache_capacity, "store.cache_capacity")
                .unwrap_or(64 * 1024 * 1024),
            max_age: self.duration(&raw.max_age, "store.max_age"),
            max_items_per_source: self.count(
                &raw.max_items_per_source,
                "store.max_items_per_source",
                1,
                10_000_000,
            ),
        }
    }

    /// `[dedupe]`: its window and shortest title; the sources' kinds and sites are filled in
    /// once the sources are validated ([`DedupeConfig::set_sources`]).
    pub(super) fn dedupe(&mut self, raw: &raw::RawDedupe) -> DedupeConfig {
        let dd = DedupeConfig::default();
        DedupeConfig {
            title_window: self
                .duration(&raw.title_window, "dedupe.title_window")
                .unwrap_or(dd.title_window),
            min_title_chars: self
                .count(&raw.min_title_chars, "dedupe.min_title_chars", 1, 1000)
                .unwrap_or(dd.min_title_chars),
            organizations: Default::default(),
            sites: Default::default(),
        }
    }
}
