//! The [`Validator`]: it walks a [`RawConfig`] into a [`Config`], section by section, and
//! records each problem at its place rather than stopping at the first. The sections' own
//! checks are in the sibling modules.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::error::{Locator, Problem};
use super::raw::RawConfig;
use super::rules::empty_classifier;
use super::Config;
use crate::classify::Classifier;
use crate::filter::Filters;

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
        let store = self.store(&raw.store);
        let fetch = self.fetch(&raw.fetch);
        let server = self.server(&raw.server);
        let mut dedupe = self.dedupe(&raw.dedupe);
        let global_filter = self.filter_rules(&raw.filter, "filter");
        let (sources, source_filters, placed) = self.sources(raw.sources, &fetch);
        dedupe.set_sources(&sources);
        let checked = classifier.is_some();
        let classifier = classifier.unwrap_or_else(empty_classifier);
        if checked {
            self.source_topics(&placed, &classifier);
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
