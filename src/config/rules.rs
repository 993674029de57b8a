//! The rules the config compiles: topic rules (`[classify] rules` and the inline
//! `[topics.*]`) into a [`Classifier`], and filter rules (`[filter]` and each source's
//! `filter`) into [`filter::Rules`]; each bad rule a problem at its place.

use std::path::PathBuf;

use toml::Spanned;

use super::error::Locator;
use super::load::structural_problems;
use super::raw::RawFilter;
use super::validate::Validator;
use crate::classify::{Classifier, Rules, RulesFile};
use crate::filter;

/// "unknown topic", and which are defined (or that none is).
pub(super) fn unknown_topic(topic: &str, defined: &[impl AsRef<str>]) -> String {
    if defined.is_empty() {
        return format!("unknown topic {topic:?}: no topics are defined ([topics] in this file, or [classify] rules = FILE)");
    }
    let defined: Vec<&str> = defined.iter().map(AsRef::as_ref).collect();
    format!(
        "unknown topic {topic:?}; defined topics: {}",
        defined.join(", ")
    )
}

impl Validator<'_> {
    /// Compiles one level of filter rules; each bad rule is a problem at its place.
    pub(super) fn filter_rules(&mut self, raw: &RawFilter, key: &str) -> filter::Rules {
        let mut compile = |list: &[Spanned<String>], name: &str| {
            let mut rules = Vec::with_capacity(list.len());
            for (j, written) in list.iter().enumerate() {
                match filter::Rule::parse(written.get_ref()) {
                    Ok(rule) => rules.push(rule),
                    Err(e) => self.push(
                        written.span().start,
                        format!("{key}.{name}[{j}]"),
                        format!("{:?}: {e}", written.get_ref()),
                    ),
                }
            }
            rules
        };
        let block = compile(&raw.block, "block");
        let keep = compile(&raw.keep, "keep");
        filter::Rules { block, keep }
    }

    /// Loads the rules file (if any) and the inline `[topics.*]`, and compiles them.
    pub(super) fn classifier(
        &mut self,
        file: Option<(PathBuf, usize)>,
        inline: Rules,
    ) -> Option<Classifier> {
        let mut rules = Rules::default();
        if let Some((path, offset)) = file {
            match std::fs::read_to_string(&path) {
                Ok(text) => match RulesFile::from_toml(&text) {
                    Ok(f) => rules = f.topics,
                    Err(e) => {
                        let loc = Locator::new(&path, &text);
                        self.problems
                            .extend(structural_problems::<RulesFile>(&text, &loc, &e));
                    }
                },
                Err(e) => self.push(
                    offset,
                    "classify.rules",
                    format!("cannot read topic rules {}: {e}", path.display()),
                ),
            }
            rules.0.extend(inline.0);
            match Classifier::build(&rules) {
                Ok(c) => return Some(c),
                Err(problems) => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let loc = Locator::new(&path, &text);
                    for e in problems {
                        // The topic may be written inline in the main file rather than in the
                        // rules file; defined in both, the main file's is the second.
                        let in_rules = loc.rule_spot(&e);
                        let in_main = self.loc.rule_spot(&e);
                        let main_first =
                            matches!(e, crate::classify::RuleError::DuplicateTopic { .. });
                        match (in_rules, in_main) {
                            (_, Some((at, key))) if main_first => self.push(at, key, e.to_string()),
                            (Some((at, key)), _) => {
                                self.problems.push(loc.problem(at, key, e.to_string()))
                            }
                            (None, Some((at, key))) => self.push(at, key, e.to_string()),
                            (None, None) => {
                                self.problems.push(loc.problem(0, "topics", e.to_string()))
                            }
                        }
                    }
                }
            }
        } else {
            match Classifier::build(&inline) {
                Ok(c) => return Some(c),
                Err(problems) => {
                    for e in problems {
                        let (at, key) = self.loc.rule_spot(&e).unwrap_or((0, "topics".into()));
                        self.push(at, key, e.to_string());
                    }
                }
            }
        }
        None
    }
}

pub(super) fn empty_classifier() -> Classifier {
    Classifier::new(&Rules::default()).expect("an empty rule set compiles")
}
