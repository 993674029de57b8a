//! Topic rules as ops write them in TOML: `[topics.NAME]` tables, read in file order.
//!
//! These are raw values; [`super::Classifier::new`] validates and compiles them. The schema
//! is documented for ops at the top of `config/topics.toml`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// Multiplier for matches in the title when a topic does not set `title_weight`.
pub const DEFAULT_TITLE_WEIGHT: f64 = 2.0;
/// Multiplier for matches in feed categories when a topic does not set `category_weight`.
pub const DEFAULT_CATEGORY_WEIGHT: f64 = 1.5;

/// A standalone rules file such as `config/topics.toml`: nothing but `[topics.*]` tables.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    /// The topics, in file order.
    #[serde(default)]
    pub topics: Rules,
}

impl RulesFile {
    /// Parses a rules file's text.
    pub fn from_toml(text: &str) -> Result<RulesFile, toml::de::Error> {
        toml::from_str(text)
    }
}

/// Every topic's rules in file order (the order topics are reported in). Deserializes from a
/// table of `[topics.NAME]` tables, so a config file can embed it as its `topics` key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules(pub Vec<TopicRule>);

/// One `[topics.NAME]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicRule {
    /// The topic's id (the table's key), as items, source defaults and URLs name it.
    #[serde(skip)]
    pub name: String,
    /// Display name for status pages and digests.
    pub title: String,
    /// The display name in other languages, by language tag (`sq`, `sr-Latn`, `sr-Cyrl`):
    /// what a digest in that language heads the topic's section with.
    #[serde(default)]
    pub titles: std::collections::BTreeMap<String, String>,
    /// Least total score that assigns the topic.
    pub threshold: f64,
    /// Multiplier for term matches in the item's title.
    #[serde(default = "default_title_weight")]
    pub title_weight: f64,
    /// Multiplier for term matches in the feed's categories for the item.
    #[serde(default = "default_category_weight")]
    pub category_weight: f64,
    /// Term → weight, in file order. A term is a word or phrase in any script; a word ending
    /// in `*` matches any word starting with it. Negative weights count against the topic.
    #[serde(deserialize_with = "in_order")]
    pub terms: Vec<(String, f64)>,
    /// Context term → weight: words that only count when a term with a positive weight
    /// matched too (e.g. "parliament" counts for women in politics only next to "women").
    #[serde(default, deserialize_with = "in_order")]
    pub context: Vec<(String, f64)>,
    /// Phrases (same syntax as terms) that cancel the topic's term matches they overlap.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Groups of phrases (same syntax as terms): for the topic to be assigned, whatever its
    /// score, at least one phrase of every group must occur somewhere in the item. What the
    /// topic is necessarily about (for the Kosovo–Serbia dialogue, both sides). Written as a
    /// list of phrases (one group) or a list of lists. Empty: no such condition.
    #[serde(default, deserialize_with = "groups")]
    pub require: Vec<Vec<String>>,
}

fn default_title_weight() -> f64 {
    DEFAULT_TITLE_WEIGHT
}

fn default_category_weight() -> f64 {
    DEFAULT_CATEGORY_WEIGHT
}

impl<'de> Deserialize<'de> for Rules {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let topics: Vec<(String, TopicRule)> = in_order(d)?;
        Ok(Rules(
            topics
                .into_iter()
                .map(|(name, rule)| TopicRule { name, ..rule })
                .collect(),
        ))
    }
}

/// `require`: a list of phrases (one group), or a list of lists of phrases.
fn groups<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        One(Vec<String>),
        Groups(Vec<Vec<String>>),
    }
    match Written::deserialize(d).map_err(|_| {
        serde::de::Error::custom("expected a list of phrases, or a list of lists of phrases")
    })? {
        Written::One(phrases) if phrases.is_empty() => Ok(Vec::new()),
        Written::One(phrases) => Ok(vec![phrases]),
        Written::Groups(groups) => Ok(groups),
    }
}

/// Reads a map as key/value pairs in the order the document wrote them (a `HashMap` or
/// `BTreeMap` would lose the order ops chose).
fn in_order<'de, D, V>(d: D) -> Result<Vec<(String, V)>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Pairs<V>(PhantomData<V>);

    impl<'de, V: Deserialize<'de>> Visitor<'de> for Pairs<V> {
        type Value = Vec<(String, V)>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a table")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some(pair) = map.next_entry()? {
                pairs.push(pair);
            }
            Ok(pairs)
        }
    }

    d.deserialize_map(Pairs(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
        [topics.zeta]
        title = "Last letter"
        threshold = 2
        terms = { "zeta" = 2 }

        [topics.alpha]
        title = "First letter"
        threshold = 1.5
        title_weight = 3
        exclude = ["alpha male"]
        context = { "gamma" = 0.5 }

        [topics.alpha.terms]
        "beta*" = 1
        "alpha" = 0.5
    "#;

    #[test]
    fn topics_and_terms_keep_file_order_and_defaults_apply() {
        let rules = RulesFile::from_toml(SAMPLE).unwrap().topics.0;
        let names: Vec<_> = rules.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha"]);
        assert_eq!(rules[0].threshold, 2.0);
        assert_eq!(rules[0].title_weight, DEFAULT_TITLE_WEIGHT);
        assert_eq!(rules[0].category_weight, DEFAULT_CATEGORY_WEIGHT);
        assert_eq!(rules[1].title_weight, 3.0);
        assert_eq!(
            rules[1].terms,
            [("beta*".to_string(), 1.0), ("alpha".to_string(), 0.5)]
        );
        assert_eq!(rules[1].exclude, ["alpha male"]);
        assert_eq!(rules[1].context, [("gamma".to_string(), 0.5)]);
        assert!(rules[0].context.is_empty());
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let text = "[topics.a]\ntitle = \"A\"\nthreshold = 1\nterms = {}\ntreshold = 2\n";
        let err = RulesFile::from_toml(text).unwrap_err().to_string();
        assert!(err.contains("treshold"), "{err}");
        let err = RulesFile::from_toml("[topic.a]\n").unwrap_err().to_string();
        assert!(err.contains("topic"), "{err}");
    }

    #[test]
    fn an_empty_file_has_no_topics() {
        assert!(RulesFile::from_toml("").unwrap().topics.0.is_empty());
    }
}
