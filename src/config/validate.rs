//! The [`Validator`]: it walks a [`RawConfig`] into a [`Config`], section by section, and
//! records each problem at its place rather than stopping at the first. The sections' own
//! checks are in the sibling modules.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::error::{Locator, Problem};
use super::raw::RawConfig;
use super::rules::{empty_classifier, unknown_topic};
use super::sources::valid_id;
use super::{Config, DedupeConfig, FetchConfig, StoreConfig};
use crate::classify::Classifier;
use crate::filter::Filters;
use crate::model::{Source, SourceKind};

pub(super) struct Validator<'a> {
    /// Where in the main file an offset is, to place each problem.
    pub(super) loc: &'a Locator<'a>,
    /// The config file's folder, which relative paths in it are resolved against.
    pub(super) base: &'a Path,
    /// Every problem found so far.
    pub(super) problems: Vec<Problem>,
    /// [`cron_min_gap`](super::schedule::cron_min_gap) of each cron expression met so far.
    pub(super) cron_gaps: HashMap<String, Option<Duration>>,
}

impl Validator<'_> {
    pub(super) fn config(
        &mut self,
        raw: RawConfig,
        path: &Path,
        classifier: Option<Classifier>,
    ) -> Config {
        let store = StoreConfig {
            path: raw
                .store
                .path
                .as_ref()
                .map(|p| self.base.join(p.get_ref()))
                .unwrap_or_else(|| self.base.join("tributary-data")),
            cache_capacity: self
                .size(&raw.store.cache_capacity, "store.cache_capacity")
                .unwrap_or(64 * 1024 * 1024),
            max_age: self.duration(&raw.store.max_age, "store.max_age"),
            max_items_per_source: self.count(
                &raw.store.max_items_per_source,
                "store.max_items_per_source",
                1,
                10_000_000,
            ),
        };
        let d = FetchConfig::default();
        let f = &raw.fetch;
        let fetch = FetchConfig {
            user_agent: self
                .user_agent(&f.user_agent, "fetch.user_agent")
                .unwrap_or(d.user_agent),
            timeout: self
                .duration(&f.timeout, "fetch.timeout")
                .unwrap_or(d.timeout),
            connect_timeout: self
                .duration(&f.connect_timeout, "fetch.connect_timeout")
                .unwrap_or(d.connect_timeout),
            max_body_size: self
                .size(&f.max_body_size, "fetch.max_body_size")
                .unwrap_or(d.max_body_size),
            max_redirects: self
                .count(&f.max_redirects, "fetch.max_redirects", 0, 20)
                .unwrap_or(d.max_redirects),
            concurrency: self
                .count(&f.concurrency, "fetch.concurrency", 1, 1024)
                .unwrap_or(d.concurrency),
            per_host_concurrency: self
                .count(&f.per_host_concurrency, "fetch.per_host_concurrency", 1, 64)
                .unwrap_or(d.per_host_concurrency),
            default_interval: self
                .interval(&f.interval, "fetch.interval")
                .unwrap_or(d.default_interval),
            backoff_base: self
                .duration(&f.backoff_base, "fetch.backoff_base")
                .unwrap_or(d.backoff_base),
            backoff_max: self
                .duration(&f.backoff_max, "fetch.backoff_max")
                .unwrap_or(d.backoff_max),
            time_zone: f
                .time_zone
                .as_ref()
                .and_then(|tz| self.time_zone(tz, "fetch.time_zone")),
            proxy: self.proxy(f),
        };
        let server = self.server(&raw.server);
        let dd = DedupeConfig::default();
        let mut dedupe = DedupeConfig {
            title_window: self
                .duration(&raw.dedupe.title_window, "dedupe.title_window")
                .unwrap_or(dd.title_window),
            min_title_chars: self
                .count(
                    &raw.dedupe.min_title_chars,
                    "dedupe.min_title_chars",
                    1,
                    1000,
                )
                .unwrap_or(dd.min_title_chars),
            organizations: Default::default(),
            sites: Default::default(),
        };
        let global_filter = self.filter_rules(&raw.filter, "filter");
        let mut source_filters = HashMap::new();
        let mut sources: Vec<Source> = Vec::new();
        // For each source in `sources`: its index among the `[[sources]]` tables, and its
        // topics as written, to name where an unknown one is.
        let mut placed: Vec<(usize, Vec<toml::Spanned<String>>)> = Vec::new();
        // Id → offset of its first definition; the line is worked out only for a duplicate
        // (a config of thousands of sources must not cost a scan of the file per source).
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(raw.sources.len());
        for (i, rs) in raw.sources.into_iter().enumerate() {
            let key = format!("sources[{i}]");
            let id = rs.id.get_ref().clone();
            if let Some(&first) = seen.get(&id) {
                let line = self.loc.problem(first, "", "").line;
                let msg = format!("duplicate source id {id:?} (first defined on line {line})");
                self.push(rs.id.span().start, format!("{key}.id"), msg);
            } else {
                seen.insert(id.clone(), rs.id.span().start);
            }
            if let Some(raw_filter) = &rs.filter {
                let rules = self.filter_rules(raw_filter, &format!("{key}.filter"));
                source_filters.insert(id.clone(), rules);
            }
            let topics = rs.topics.clone();
            if let Some(source) = self.source(rs, &key, &fetch) {
                sources.push(source);
                placed.push((i, topics));
            }
        }
        dedupe.organizations = Arc::new(
            sources
                .iter()
                .filter(|s| s.kind == SourceKind::Organization)
                .map(|s| s.id.clone())
                .collect(),
        );
        dedupe.sites = Arc::new(
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
        let checked = classifier.is_some();
        let classifier = classifier.unwrap_or_else(empty_classifier);
        for (i, topics) in placed.iter().filter(|_| checked) {
            for (j, t) in topics.iter().enumerate() {
                if valid_id(t.get_ref()) && classifier.title(t.get_ref()).is_none() {
                    let known: Vec<&str> = classifier.topics().collect();
                    self.push(
                        t.span().start,
                        format!("sources[{i}].topics[{j}]"),
                        unknown_topic(t.get_ref(), &known),
                    );
                }
            }
        }
        let mail = self.mail(&raw.mail);
        let topic_names: Vec<String> = classifier.topics().map(str::to_string).collect();
        // With broken rules, as for the sources above: the rules' problems alone.
        let digests = self.digests(
            &raw.digests,
            checked.then_some(topic_names.as_slice()),
            &sources,
            &mail,
        );
        Config {
            file: path.to_path_buf(),
            store,
            fetch,
            dedupe,
            server,
            sources,
            classifier: Arc::new(classifier),
            filters: Arc::new(Filters::new(global_filter, source_filters)),
            mail,
            digests,
        }
    }

    pub(super) fn push(
        &mut self,
        offset: usize,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.problems.push(self.loc.problem(offset, key, message));
    }
}
