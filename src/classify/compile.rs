//! Compiling the rules: each topic's name, numbers and phrases checked (every problem
//! listed, in rule order), and its terms, exclusions and required groups made one automaton.

use super::matcher::{parse_phrase, Matcher, Word};
use super::score::{Term, Topic, Use};
use super::{Classifier, RuleError, Rules, TopicRule};

impl Classifier {
    /// Validates and compiles the rules, or lists every problem in them, in rule order.
    pub fn build(rules: &Rules) -> Result<Classifier, Vec<RuleError>> {
        let mut problems = Vec::new();
        let mut topics: Vec<Topic> = Vec::new();
        let mut phrases: Vec<Vec<Word>> = Vec::new();
        let mut uses = Vec::new();
        for (t, rule) in rules.0.iter().enumerate() {
            let mut topic = check_topic(rule, &topics, &mut problems);
            let mut seen: Vec<(Vec<Word>, &str)> = Vec::new();
            let terms = rule.terms.iter().map(|term| (term, false));
            let context = rule.context.iter().map(|term| (term, true));
            for ((text, weight), context) in terms.chain(context) {
                if !weight.is_finite() || *weight == 0.0 {
                    problems.push(RuleError::BadWeight {
                        topic: rule.name.clone(),
                        term: text.clone(),
                        weight: *weight,
                    });
                }
                let list = if context { "context" } else { "terms" };
                let words = match parse_phrase(text) {
                    Ok(words) => words,
                    Err(problem) => {
                        problems.push(bad(rule, list, text, problem));
                        continue;
                    }
                };
                if let Some((_, earlier)) = seen.iter().find(|(w, _)| *w == words) {
                    problems.push(RuleError::DuplicateTerm {
                        topic: rule.name.clone(),
                        term: text.clone(),
                        earlier: earlier.to_string(),
                    });
                    continue;
                }
                seen.push((words.clone(), text));
                phrases.push(words);
                uses.push(Use::Term {
                    topic: t,
                    term: topic.terms.len(),
                });
                topic.terms.push(Term {
                    quoted: format!("{text:?}"),
                    weight: *weight,
                    context,
                });
            }
            for phrase in &rule.exclude {
                match parse_phrase(phrase) {
                    Ok(words) => {
                        phrases.push(words);
                        uses.push(Use::Exclude {
                            topic: t,
                            phrase: topic.excluded.len(),
                        });
                        topic.excluded.push(format!("{phrase:?}"));
                    }
                    Err(problem) => problems.push(bad(rule, "exclude", phrase, problem)),
                }
            }
            for (group, list) in rule.require.iter().enumerate() {
                if list.is_empty() {
                    problems.push(bad(
                        rule,
                        "require",
                        "[]",
                        "an empty group can never be met: give it a phrase or remove it",
                    ));
                }
                for phrase in list {
                    match parse_phrase(phrase) {
                        Ok(words) => {
                            phrases.push(words);
                            uses.push(Use::Require {
                                topic: t,
                                group,
                                phrase: topic.required.len(),
                            });
                            topic.required.push(format!("{phrase:?}"));
                        }
                        Err(problem) => problems.push(bad(rule, "require", phrase, problem)),
                    }
                }
            }
            topic.groups = rule.require.len();
            topics.push(topic);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let matcher =
            Matcher::new(&phrases).map_err(|e| vec![RuleError::Automaton(e.to_string())])?;
        Ok(Classifier {
            topics,
            matcher,
            uses,
        })
    }
}

fn bad(rule: &TopicRule, list: &'static str, term: &str, problem: &'static str) -> RuleError {
    RuleError::BadTerm {
        topic: rule.name.clone(),
        list,
        term: term.to_string(),
        problem,
    }
}

/// Checks a topic's name and numbers, adding what is wrong to `problems`; its terms are
/// added by the caller.
fn check_topic(rule: &TopicRule, earlier: &[Topic], problems: &mut Vec<RuleError>) -> Topic {
    let name = &rule.name;
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        problems.push(RuleError::BadName {
            topic: name.clone(),
        });
    }
    if earlier.iter().any(|t| t.name == *name) {
        problems.push(RuleError::DuplicateTopic {
            topic: name.clone(),
        });
    }
    let numbers = [
        ("threshold", rule.threshold, false),
        ("title_weight", rule.title_weight, true),
        ("category_weight", rule.category_weight, true),
    ];
    for (key, value, zero_ok) in numbers {
        if !value.is_finite() || value < 0.0 || (value == 0.0 && !zero_ok) {
            problems.push(RuleError::BadNumber {
                topic: name.clone(),
                key,
                value,
                expected: if zero_ok {
                    "at least 0"
                } else {
                    "greater than 0"
                },
            });
        }
    }
    if rule.terms.is_empty() {
        problems.push(RuleError::NoTerms {
            topic: name.clone(),
        });
    }
    Topic {
        name: name.clone(),
        title: rule.title.clone(),
        titles: rule.titles.clone(),
        threshold: rule.threshold,
        title_weight: rule.title_weight,
        category_weight: rule.category_weight,
        terms: Vec::with_capacity(rule.terms.len() + rule.context.len()),
        groups: 0,
        required: Vec::new(),
        excluded: Vec::new(),
    }
}
