//! `tributary items`: stored stories, newest first, as lines of text or as JSON lines with the
//! reasons for their topics.

use std::io::Write;
use std::process::ExitCode;

use super::{unknown_sources, ItemsArgs};
use crate::app::App;
use crate::config::Config;
use crate::model::Item;
use crate::store::Query;

pub(super) fn items(config: Config, args: &ItemsArgs) -> anyhow::Result<ExitCode> {
    if let Some(id) = &args.source {
        if let Some(code) = unknown_sources(&config, std::slice::from_ref(id)) {
            return Ok(code);
        }
    }
    if let Some(topic) = &args.topic {
        if !config.classifier.topics().any(|t| t == topic) {
            let known: Vec<&str> = config.classifier.topics().collect();
            eprintln!(
                "unknown topic {topic:?}; configured topics: {}",
                known.join(", ")
            );
            return Ok(ExitCode::from(2));
        }
    }
    let app = App::open_existing(config)?;
    let items = app.store.list(&Query {
        source: args.source.clone(),
        topic: args.topic.clone(),
        lang: args.lang.clone(),
        limit: args.limit,
    })?;
    let mut out = std::io::stdout().lock();
    for item in &items {
        if args.json {
            let explained = app
                .config
                .classifier
                .explain_item(item, &app.config.sources);
            let line = ItemLine::new(item, &explained);
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
        } else {
            let others = item.sources.len().saturating_sub(1);
            let via = if others > 0 {
                format!("{} +{others}", item.source())
            } else {
                item.source().to_string()
            };
            let topics: Vec<&str> = item.topic_names().collect();
            writeln!(
                out,
                "{}{}  {:<20}  {}{}",
                item.published.format("%Y-%m-%d %H:%M UTC"),
                if item.date_inferred { "*" } else { " " },
                via,
                // Stored empty when its entry had nothing to title it by.
                if item.title.trim().is_empty() {
                    "(untitled)"
                } else {
                    &item.title
                },
                if topics.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", topics.join(", "))
                }
            )?;
            if let Some(link) = &item.link {
                writeln!(out, "                    {link}")?;
            }
            if others > 0 {
                let also: Vec<&str> = item.sources[1..]
                    .iter()
                    .map(|c| c.source.as_str())
                    .collect();
                writeln!(
                    out,
                    "                    also carried by {}",
                    also.join(", ")
                )?;
            }
        }
    }
    if !args.json && items.is_empty() {
        let filters: Vec<String> = [
            ("source", &args.source),
            ("topic", &args.topic),
            ("language", &args.lang),
        ]
        .into_iter()
        .filter_map(|(what, v)| v.as_ref().map(|v| format!("{what} {v:?}")))
        .collect();
        // On stderr: what reads the list (`| wc -l`) gets no line that is not an item.
        let stored = app.store.item_count();
        if filters.is_empty() || stored == 0 {
            eprintln!("no items stored yet: run `tributary fetch`");
        } else {
            eprintln!(
                "no stored item matches {} ({stored} stored in all)",
                filters.join(" and ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The `items --json` line format.
#[derive(serde::Serialize)]
struct ItemLine<'a> {
    /// The story's id.
    id: String,
    /// The source that first carried it.
    source: &'a str,
    /// Every source that carries it, the first one first.
    sources: Vec<&'a str>,
    /// Its title (empty when its entry had none).
    title: &'a str,
    /// The link to the original.
    link: Option<&'a str>,
    /// Its publication date (RFC 3339).
    published: String,
    /// True when `published` is the first-seen time: the feed gave no usable date.
    date_inferred: bool,
    /// When it was first stored (RFC 3339).
    first_seen: String,
    /// The names of its stored topics.
    topics: Vec<&'a str>,
    /// Each stored topic with the reasons the rules give it now.
    why: Vec<TopicReasons<'a>>,
    /// The feed's own categories.
    categories: &'a [String],
    /// Its language tag.
    lang: Option<&'a str>,
    /// The plain-text summary.
    summary: &'a str,
    /// The sanitized HTML body.
    content: Option<&'a str>,
}

/// A stored topic of an `items --json` line, with the reasons the rules give it.
#[derive(serde::Serialize)]
struct TopicReasons<'a> {
    /// The topic's name.
    topic: &'a str,
    /// The rules' reasons, or [`NOT_BY_THESE_RULES`].
    why: Vec<&'a str>,
}

/// The reason shown for a stored topic the rules no longer give the story.
const NOT_BY_THESE_RULES: &str =
    "not given by the rules as they are now (`tributary reclassify` applies them)";

impl<'a> ItemLine<'a> {
    /// The line of `i`; `explained` is what the rules give it now, with reasons
    /// ([`crate::classify::Classifier::explain_item`]). Stories are stored without reasons
    /// (those stored by earlier versions have the reasons of their time, not shown).
    fn new(i: &'a Item, explained: &'a [crate::model::TopicMatch]) -> Self {
        let why = i
            .topics
            .iter()
            .map(|t| TopicReasons {
                topic: &t.topic,
                why: explained
                    .iter()
                    .find(|e| e.topic == t.topic)
                    .map(|e| e.why.iter().map(String::as_str).collect())
                    .unwrap_or_else(|| vec![NOT_BY_THESE_RULES]),
            })
            .collect();
        ItemLine {
            id: i.id.to_string(),
            source: i.source(),
            sources: i.sources.iter().map(|c| c.source.as_str()).collect(),
            title: &i.title,
            link: i.link.as_deref(),
            published: i.published.to_rfc3339(),
            date_inferred: i.date_inferred,
            first_seen: i.first_seen.to_rfc3339(),
            topics: i.topic_names().collect(),
            why,
            categories: &i.categories,
            lang: i.lang.as_deref(),
            summary: &i.summary,
            content: i.content.as_deref(),
        }
    }
}
