//! Classify: compiled topic rules, item text → the topics it is about and why. Pure: no IO.
//!
//! Rules ([`rules`]) are compiled once by [`Classifier::new`] into a single Aho-Corasick
//! automaton over folded text ([`fold`], `matcher`), so one rule term covers every script,
//! case and diacritics form. For each field of an item (title, summary, each feed category):
//!
//! 1. every term and exclusion of every topic is found at word boundaries;
//! 2. a topic's term matches that overlap one of its exclusions are cancelled, unless the
//!    term match is longer and contains the exclusion (`"dialogue with"` cancels `"dialog*"`
//!    but not `"dialog* with serbia"`);
//! 3. a term match inside a longer match of the same topic is dropped (the longest wins, so
//!    `"women's caucus"` is not also counted as `"caucus"`; of equal spans the heavier wins);
//! 4. each remaining term adds, once however often it occurs in the field, its weight times
//!    the field's multiplier (`title_weight`, 1 for the summary, `category_weight`).
//!
//! Context terms count only when a term with a positive weight matched somewhere in the item.
//! A topic is assigned when its total reaches its threshold and, if it has `require`
//! groups, a phrase of each occurs anywhere in the item (exclusions do not cancel them).
//! [`eval`] measures the rules against a labeled set.

mod compile;
pub mod error;
pub mod eval;
pub mod fold;
mod matcher;
pub mod rules;
mod score;

pub use error::RuleError;
pub use rules::{Rules, RulesFile, TopicRule};

use crate::model::TopicMatch;
use matcher::Matcher;
use score::{Topic, Use};

/// The text of one item that classification looks at.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The item's title.
    pub title: &'a str,
    /// The item's plain-text summary.
    pub summary: &'a str,
    /// The feed's categories for the item.
    pub categories: &'a [String],
}

impl<'a> Input<'a> {
    /// The item with its summary cut after the title it begins with: a feed that repeats the
    /// title as the text's first line, or an item without a title, whose title was made of its
    /// text's first sentence (cut short with "…" when long). Those words then count once, as
    /// the title's, not three times.
    fn without_repeated_title(&self) -> Input<'a> {
        let title = self.title.trim();
        let title = title.strip_suffix('…').map_or(title, str::trim_end);
        let summary = self.summary.trim_start();
        match summary.strip_prefix(title) {
            Some(rest)
                if !title.is_empty() && !rest.chars().next().is_some_and(char::is_alphanumeric) =>
            {
                Input {
                    summary: rest,
                    ..*self
                }
            }
            _ => *self,
        }
    }
}

/// Where in an item a term matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// The title.
    Title,
    /// The summary.
    Summary,
    /// The feed category at this index of [`Input::categories`].
    Category(usize),
}

/// One topic's score for an item, assigned or not (for explaining and tuning rules).
#[derive(Debug, Clone, PartialEq)]
pub struct TopicScore<'c> {
    /// The topic name.
    pub topic: &'c str,
    /// Sum of the weighted matches.
    pub score: f64,
    /// The topic's threshold.
    pub threshold: f64,
    /// One line per term and field that counted, as in [`TopicMatch::why`].
    pub why: Vec<String>,
    /// Whether a phrase of each of the topic's `require` groups occurs in the item (true when
    /// it has none).
    pub required: bool,
    /// One line per term and field an exclusion cancelled: `summary: "dialog*" cancelled by
    /// "dialogue with civil*"`.
    pub cancelled: Vec<String>,
    /// Whether a positive term matched: without one, only evidence against the topic did.
    pub supported: bool,
}

impl TopicScore<'_> {
    /// Whether the score reaches the threshold and the requirement holds.
    pub fn assigned(&self) -> bool {
        self.required && reaches(self.score, self.threshold)
    }

    /// Whether the score reaches the threshold but the topic's `require` groups are not all
    /// met: the topic was held back by its requirement alone.
    pub fn held(&self) -> bool {
        !self.required && reaches(self.score, self.threshold)
    }
}

/// Topic rules compiled for matching; build once, share freely (it is `Send + Sync`).
#[derive(Debug, Clone)]
pub struct Classifier {
    /// Compiled topics in rule order.
    topics: Vec<Topic>,
    /// Every term and exclusion of every topic.
    matcher: Matcher,
    /// Phrase index in the matcher → what it is.
    uses: Vec<Use>,
}

impl Classifier {
    /// Validates and compiles the rules; the error names the topic and term to fix (the
    /// first problem; [`Classifier::build`] gives all of them).
    pub fn new(rules: &Rules) -> Result<Classifier, RuleError> {
        Classifier::build(rules).map_err(|mut problems| problems.swap_remove(0))
    }

    /// Topic names in rule order.
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.topics.iter().map(|t| t.name.as_str())
    }

    /// Every display name of a topic: its title, then its titles in other languages.
    pub fn titles(&self, topic: &str) -> Vec<&str> {
        self.topics
            .iter()
            .filter(|t| t.name == topic)
            .flat_map(|t| std::iter::once(&t.title).chain(t.titles.values()))
            .map(String::as_str)
            .collect()
    }

    /// A topic's display name.
    pub fn title(&self, topic: &str) -> Option<&str> {
        self.topics
            .iter()
            .find(|t| t.name == topic)
            .map(|t| t.title.as_str())
    }

    /// A topic's display name in the language `tag` names (`sr-Latn`: its own title for
    /// `sr-Latn`, else for `sr`; `sr`: its own, else its Latin script's, else another
    /// script's), else its `title`.
    pub fn title_in(&self, topic: &str, tag: &str) -> Option<&str> {
        let t = self.topics.iter().find(|t| t.name == topic)?;
        let language = tag.split('-').next().unwrap_or(tag);
        let named = |wanted: &str| {
            t.titles
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(wanted))
                .map(|(_, v)| v.as_str())
        };
        let in_a_script = || {
            named(&format!("{language}-Latn")).or_else(|| {
                t.titles
                    .iter()
                    .find(|(k, _)| {
                        k.split_once('-')
                            .is_some_and(|(l, _)| l.eq_ignore_ascii_case(language))
                    })
                    .map(|(_, v)| v.as_str())
            })
        };
        Some(
            named(tag)
                .or_else(|| named(language))
                .or_else(|| (tag == language).then(in_a_script).flatten())
                .unwrap_or(t.title.as_str()),
        )
    }

    /// The topics the item is about, in rule order, each with the matches that put it there.
    pub fn classify(&self, input: &Input) -> Vec<TopicMatch> {
        self.matched(input, true)
    }

    /// [`Classifier::classify`], with the reasons only when `reasons`.
    fn matched(&self, input: &Input, reasons: bool) -> Vec<TopicMatch> {
        let input = &input.without_repeated_title();
        let hits = score::hits(&self.topics, &self.matcher, &self.uses, input);
        self.topics
            .iter()
            .zip(&hits)
            .filter(|(topic, hits)| score::assigned(topic, hits))
            .map(|(topic, hits)| TopicMatch {
                topic: topic.name.clone(),
                why: if reasons {
                    score::why(topic, hits, input)
                } else {
                    Vec::new()
                },
            })
            .collect()
    }

    /// [`Classifier::classify`] plus the default topics of the sources that carry the item:
    /// `defaults` are `(source id, topic)` pairs. Results stay in rule order; a default topic
    /// the rules also matched keeps both reasons.
    pub fn classify_with_defaults(
        &self,
        input: &Input,
        defaults: &[(&str, &str)],
    ) -> Vec<TopicMatch> {
        self.with_defaults(input, defaults, true)
    }

    /// [`Classifier::classify_with_defaults`], with the reasons only when `reasons`.
    fn with_defaults(
        &self,
        input: &Input,
        defaults: &[(&str, &str)],
        reasons: bool,
    ) -> Vec<TopicMatch> {
        let mut matched = self.matched(input, reasons);
        for (source, topic) in defaults {
            let reason = || format!("source default ({source})");
            match matched.iter_mut().find(|m| m.topic == *topic) {
                Some(m) => {
                    if reasons {
                        let reason = reason();
                        if !m.why.contains(&reason) {
                            m.why.push(reason);
                        }
                    }
                }
                None => matched.push(TopicMatch {
                    topic: topic.to_string(),
                    why: if reasons { vec![reason()] } else { Vec::new() },
                }),
            }
        }
        let rank = |name: &str| {
            self.topics
                .iter()
                .position(|t| t.name == name)
                .unwrap_or(usize::MAX)
        };
        matched.sort_by_key(|m| rank(&m.topic));
        matched
    }

    /// The topics of a stored story: its text through the rules, plus the default topics of
    /// every configured source that carries it, without reasons (stories are stored without
    /// them; [`Classifier::explain_item`] gives them). The one definition used by ingest and
    /// by `reclassify`, so both always agree.
    pub fn item_topics(
        &self,
        item: &crate::model::Item,
        sources: &[crate::model::Source],
    ) -> Vec<TopicMatch> {
        self.stored_item(item, sources, false)
    }

    /// [`Classifier::item_topics`] with the reasons for each topic: what `items --json` shows.
    pub fn explain_item(
        &self,
        item: &crate::model::Item,
        sources: &[crate::model::Source],
    ) -> Vec<TopicMatch> {
        self.stored_item(item, sources, true)
    }

    fn stored_item(
        &self,
        item: &crate::model::Item,
        sources: &[crate::model::Source],
        reasons: bool,
    ) -> Vec<TopicMatch> {
        let input = Input {
            title: &item.title,
            summary: &item.summary,
            categories: &item.categories,
        };
        let defaults: Vec<(&str, &str)> = item
            .sources
            .iter()
            .filter_map(|c| sources.iter().find(|s| s.id == c.source))
            .flat_map(|s| s.topics.iter().map(move |t| (s.id.as_str(), t.as_str())))
            .collect();
        self.with_defaults(&input, &defaults, reasons)
    }

    /// What [`Classifier::item_topics`] gives `item` once stored as a new story that `source`
    /// alone carries. Ingest computes it before taking the store's writer lock.
    pub fn new_story_topics(
        &self,
        item: &crate::model::NewItem,
        source: &crate::model::Source,
    ) -> Vec<TopicMatch> {
        let input = Input {
            title: &item.title,
            summary: &item.summary,
            categories: &item.categories,
        };
        let defaults: Vec<(&str, &str)> = source
            .topics
            .iter()
            .map(|t| (source.id.as_str(), t.as_str()))
            .collect();
        self.with_defaults(&input, &defaults, false)
    }

    /// Every topic's score for the item, assigned or not, in rule order (for explaining and
    /// tuning rules).
    pub fn scores(&self, input: &Input) -> Vec<TopicScore<'_>> {
        let input = &input.without_repeated_title();
        let hits = score::hits(&self.topics, &self.matcher, &self.uses, input);
        self.topics
            .iter()
            .zip(&hits)
            .map(|(topic, hits)| TopicScore {
                topic: &topic.name,
                score: score::total(topic, hits),
                threshold: topic.threshold,
                why: score::why(topic, hits, input),
                required: hits.required(),
                cancelled: score::cancelled(topic, hits, input),
                supported: score::supported(hits),
            })
            .collect()
    }
}

/// `score >= threshold`, forgiving float rounding (0.1 + 0.2 reaches 0.3).
pub(super) fn reaches(score: f64, threshold: f64) -> bool {
    score >= threshold - 1e-9
}

#[cfg(test)]
mod tests;
