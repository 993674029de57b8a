//! Filter rules: which fetched entries are never stored (Miniflux's block and keep rules).
//!
//! A rule is a regular expression (the `regex` crate's syntax: `(?i)` for case-insensitive,
//! `\b` for word boundaries), optionally preceded by the field it reads:
//!
//! | prefix | reads |
//! |---|---|
//! | none, or `any:` | the title, the link, each author and each category |
//! | `title:` | the title |
//! | `link:` | the canonical link (without a `#fragment`) |
//! | `content:` | the plain-text summary and the sanitized HTML body |
//! | `author:` | each author name |
//! | `category:` | each of the feed's categories |
//!
//! `block` rules drop an entry that any of them matches. `keep` rules, when a level has any,
//! drop an entry that none of them matches. There are two levels, the config's `[filter]`
//! for every source and a source's own `[sources.filter]`: an entry is stored only when it
//! passes both. Rules read an entry once it is normalized (text decoded and collapsed, link
//! canonical) and before it is classified or stored; stories already stored stay.
//!
//! Pure: compiled once with the config, then a verdict per item.

use std::collections::HashMap;
use std::fmt;

use regex::Regex;

use crate::model::NewItem;

/// The part of an entry a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Title, link, authors and categories.
    Any,
    /// The title.
    Title,
    /// The canonical link.
    Link,
    /// The plain-text summary and the sanitized HTML body.
    Content,
    /// Each author name.
    Author,
    /// Each category.
    Category,
}

const PREFIXES: &[(&str, Field)] = &[
    ("any:", Field::Any),
    ("title:", Field::Title),
    ("link:", Field::Link),
    ("content:", Field::Content),
    ("author:", Field::Author),
    ("category:", Field::Category),
];

/// Longest pattern compiled, in bytes of the regex crate's program: a typo such as `.{9999}`
/// is an error in the config, not memory in every fetch.
const SIZE_LIMIT: usize = 1 << 20;

/// One rule as written, compiled.
#[derive(Debug, Clone)]
pub struct Rule {
    field: Field,
    written: String,
    regex: Regex,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.written == other.written
    }
}

impl Eq for Rule {}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

impl Rule {
    /// Compiles a rule as written in the config; the error says what is wrong with it.
    pub fn parse(written: &str) -> Result<Rule, String> {
        let (field, pattern) = PREFIXES
            .iter()
            .find_map(|(prefix, field)| Some((*field, written.strip_prefix(prefix)?)))
            .unwrap_or((Field::Any, written));
        if pattern.trim().is_empty() {
            return Err("the pattern is empty (it would match every entry)".into());
        }
        let regex = regex::RegexBuilder::new(pattern)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| match e {
                // regex draws the pattern and a caret over several lines; `check` prints
                // one line per problem.
                regex::Error::Syntax(detail) => format!(
                    "invalid regular expression: {}",
                    detail
                        .lines()
                        .rev()
                        .find_map(|l| l.trim().strip_prefix("error: "))
                        .unwrap_or("cannot parse it")
                ),
                regex::Error::CompiledTooBig(_) => {
                    "the regular expression is too large once compiled".into()
                }
                other => other.to_string(),
            })?;
        Ok(Rule {
            field,
            written: written.to_string(),
            regex,
        })
    }

    /// The part of the entry it reads.
    pub fn field(&self) -> Field {
        self.field
    }

    fn matches(&self, item: &NewItem) -> bool {
        let re = &self.regex;
        let any_of = |texts: &[String]| texts.iter().any(|t| re.is_match(t));
        let title = || re.is_match(&item.title);
        // The page, without the fragment the published link may keep (`report.pdf#page=3`
        // still ends in `.pdf`).
        let link = || {
            item.link
                .as_deref()
                .map(crate::model::page_of)
                .is_some_and(|l| re.is_match(l))
        };
        match self.field {
            Field::Any => title() || link() || any_of(&item.authors) || any_of(&item.categories),
            Field::Title => title(),
            Field::Link => link(),
            Field::Content => {
                re.is_match(&item.summary)
                    || item.content.as_deref().is_some_and(|c| re.is_match(c))
            }
            Field::Author => any_of(&item.authors),
            Field::Category => any_of(&item.categories),
        }
    }
}

/// The rules of one level (the whole config, or one source).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// An entry any of these matches is dropped.
    pub block: Vec<Rule>,
    /// When not empty, an entry none of these matches is dropped.
    pub keep: Vec<Rule>,
}

impl Rules {
    /// No rule at all.
    pub fn is_empty(&self) -> bool {
        self.block.is_empty() && self.keep.is_empty()
    }

    fn check<'a>(&'a self, item: &NewItem, level: Level) -> Result<(), Dropped<'a>> {
        if let Some(rule) = self.block.iter().find(|r| r.matches(item)) {
            return Err(Dropped::Blocked { level, rule });
        }
        if !self.keep.is_empty() && !self.keep.iter().any(|r| r.matches(item)) {
            return Err(Dropped::NotKept { level });
        }
        Ok(())
    }
}

/// Which level of rules dropped an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The config's `[filter]`.
    Global,
    /// The source's own `[sources.filter]`.
    Source,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Global => "[filter]",
            Level::Source => "the source's filter",
        })
    }
}

/// Why an entry is not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped<'a> {
    /// A block rule matched it.
    Blocked {
        /// Whose rule.
        level: Level,
        /// The rule.
        rule: &'a Rule,
    },
    /// A level has keep rules and none matched it.
    NotKept {
        /// Whose rules.
        level: Level,
    },
}

impl fmt::Display for Dropped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dropped::Blocked { level, rule } => write!(f, "blocked by {rule:?} of {level}"),
            Dropped::NotKept { level } => write!(f, "matched no keep rule of {level}"),
        }
    }
}

/// Every level of rules of a config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    global: Rules,
    sources: HashMap<String, Rules>,
}

impl Filters {
    /// The config's rules for every source, and each source's own (sources without rules
    /// may be left out).
    pub fn new(global: Rules, sources: HashMap<String, Rules>) -> Filters {
        let sources = sources.into_iter().filter(|(_, r)| !r.is_empty()).collect();
        Filters { global, sources }
    }

    /// Whether any rule reads the entries of `source`: without one, entries need no check.
    pub fn applies_to(&self, source: &str) -> bool {
        !self.global.is_empty() || self.sources.contains_key(source)
    }

    /// Whether an entry of `source` is stored: `Err` says which rule dropped it.
    pub fn check(&self, source: &str, item: &NewItem) -> Result<(), Dropped<'_>> {
        self.global.check(item, Level::Global)?;
        match self.sources.get(source) {
            Some(own) => own.check(item, Level::Source),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Identity;

    fn item(title: &str) -> NewItem {
        NewItem {
            identity: Identity::Guid("g".into()),
            title: title.into(),
            link: Some("https://partner.example/news/2026/ballot".into()),
            published: None,
            updated: None,
            summary: "The Women's Caucus met in Prishtina.".into(),
            content: Some("<p>The <b>Women's Caucus</b> met in Prishtina.</p>".into()),
            authors: vec!["Arta Krasniqi".into()],
            categories: vec!["Sponsored".into(), "Events".into()],
            lang: None,
            enclosures: vec![],
            image: None,
            content_hash: "h".into(),
        }
    }

    fn rules(block: &[&str], keep: &[&str]) -> Rules {
        let parse = |l: &[&str]| l.iter().map(|r| Rule::parse(r).unwrap()).collect();
        Rules {
            block: parse(block),
            keep: parse(keep),
        }
    }

    fn only(source: &str, r: Rules) -> Filters {
        Filters::new(Rules::default(), HashMap::from([(source.to_string(), r)]))
    }

    #[test]
    fn each_field_reads_its_own_part_of_the_entry() {
        let it = item("Workshop on the dialogue");
        let hits = |rule: &str| Rule::parse(rule).unwrap().matches(&it);
        assert!(hits("(?i)workshop"));
        assert!(hits("title:Workshop"));
        assert!(!hits("title:Caucus"));
        assert!(hits("content:Women's Caucus"), "the plain-text summary");
        assert!(hits("content:<b>Women"), "the HTML body");
        assert!(!hits("Caucus"), "without a prefix the text is not read");
        assert!(hits("link:/news/2026/"));
        assert!(
            hits("partner\\.example"),
            "the link is read without a prefix"
        );
        assert!(hits("author:^Arta"));
        assert!(!hits("title:^Arta"));
        assert!(hits("category:^Sponsored$"));
        assert!(hits("any:^Events$"));
        assert!(!hits("(?-i)workshop"));
    }

    /// A link rule reads the page: the fragment a published link keeps is not part of it.
    #[test]
    fn link_rules_read_the_page_without_its_fragment() {
        let mut entry = item("Annual report");
        entry.link = Some("https://partner.example/report.pdf#page=3".into());
        let reads = |rule: &str| Rule::parse(rule).unwrap().matches(&entry);
        assert!(reads(r"link:\.pdf$"));
        assert!(!reads("(?i)page=3"));
    }

    #[test]
    fn blocking_wins_and_keep_rules_drop_what_none_of_them_match() {
        let f = only("p", rules(&["category:(?i)^sponsored$"], &["(?i)dialogue"]));
        let blocked = item("A dialogue event");
        assert!(matches!(
            f.check("p", &blocked),
            Err(Dropped::Blocked { level: Level::Source, rule }) if rule.to_string() == "category:(?i)^sponsored$"
        ));
        let mut kept = item("A dialogue event");
        kept.categories.clear();
        assert_eq!(f.check("p", &kept), Ok(()));
        let mut other = item("Film festival opens");
        other.categories.clear();
        assert_eq!(
            f.check("p", &other),
            Err(Dropped::NotKept {
                level: Level::Source
            })
        );
        assert_eq!(f.check("another-source", &other), Ok(()));
        assert!(!f.applies_to("another-source"));
    }

    #[test]
    fn an_entry_must_pass_the_global_rules_and_its_sources() {
        let f = Filters::new(
            rules(&["(?i)horoscope"], &[]),
            HashMap::from([("p".to_string(), rules(&[], &["(?i)kosov"]))]),
        );
        assert!(f.applies_to("anyone"));
        assert!(matches!(
            f.check("q", &item("Daily horoscope")),
            Err(Dropped::Blocked {
                level: Level::Global,
                ..
            })
        ));
        assert_eq!(f.check("q", &item("Budget debate")), Ok(()));
        assert!(f.check("p", &item("Budget debate")).is_err());
        assert_eq!(f.check("p", &item("Kosovo budget debate")), Ok(()));
        assert!(f.check("p", &item("Kosovo horoscope")).is_err());
    }

    #[test]
    fn bad_rules_are_refused_with_the_reason() {
        let e = Rule::parse("title:(unclosed").unwrap_err();
        assert!(e.contains("invalid regular expression"), "{e}");
        assert!(e.contains("unclosed"), "{e}");
        assert!(Rule::parse("title:").unwrap_err().contains("empty"));
        assert!(Rule::parse("  ").unwrap_err().contains("empty"));
        assert!(Rule::parse("a{1000}{1000}")
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn rules_compare_by_what_is_written() {
        assert_eq!(rules(&["a"], &[]), rules(&["a"], &[]));
        assert_ne!(rules(&["a"], &[]), rules(&["title:a"], &[]));
        assert_eq!(Rule::parse("content:x").unwrap().field(), Field::Content);
    }
}
