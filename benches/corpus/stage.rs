//! The generated feeds made ready for the store, as the ingest makes fetched ones ready:
//! shared by the benchmarks that measure the store stage.

use chrono::{TimeZone, Utc};
use tributary::classify::{Classifier, RulesFile};
use tributary::model::{Location, Schedule, Source, SourceKind};
use tributary::parse::{self, Context};
use tributary::store::Staged;

/// The parse context: a fixed "now", no fetch URL or HTTP headers.
pub fn ctx() -> Context<'static> {
    Context {
        fetch_url: None,
        content_type: None,
        default_lang: None,
        now: Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
        time_zone: None,
    }
}

/// The shipped topic rules.
pub fn classifier() -> Classifier {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/topics.toml"))
        .expect("config/topics.toml");
    Classifier::new(&RulesFile::from_toml(&text).unwrap().topics).unwrap()
}

/// The source serving feed `i`.
pub fn source(i: usize) -> Source {
    Source {
        id: format!("p{i:05}"),
        title: format!("Partner {i}"),
        location: Location::File(format!("/dev/null/{i}").into()),
        kind: SourceKind::Partner,
        lang: None,
        schedule: Schedule::Interval(std::time::Duration::from_secs(1800)),
        topics: Vec::new(),
        enabled: true,
        user_agent: None,
        auth: None,
        headers: vec![],
        accept_invalid_certificates: false,
        time_zone: None,
    }
}

/// One feed parsed, normalized and classified: what the store stage takes from `source`.
pub fn staged(bytes: &[u8], source: &Source, classifier: &Classifier) -> Vec<Staged> {
    let parsed = parse::parse(bytes, &ctx()).expect("generated feeds parse");
    parsed
        .entries
        .iter()
        .map(|raw| {
            let item = parse::normalize(raw, &parsed, &ctx());
            let topics = Some(classifier.new_story_topics(&item, source));
            Staged {
                item,
                topics,
                reread: false,
            }
        })
        .collect()
}
