//! `[store]` and `[dedupe]`, validated: where the stories are kept, how long, and when two
//! sources' copies are one story. `validate` reads both sections in place.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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
