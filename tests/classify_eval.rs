//! The shipped topic rules (`config/topics.toml`) against the hand-labeled set in
//! `tests/fixtures/classify/labeled.jsonl`: per-topic precision, recall and F1, macro-F1
//! overall and within each language form, and the ids of misclassified items.

use std::path::Path;

use serde::Deserialize;
use tributary::classify::eval::{by_group, evaluate, Outcome, Report};
use tributary::classify::{Classifier, Input, RulesFile};

/// Least macro-F1 accepted, overall and for every language form.
const MIN_MACRO_F1: f64 = 0.90;

/// One line of the labeled set.
#[derive(Debug, Deserialize)]
struct Labeled {
    id: String,
    lang: String,
    title: String,
    summary: String,
    #[serde(default)]
    categories: Vec<String>,
    topics: Vec<String>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn shipped_classifier() -> Classifier {
    let text = std::fs::read_to_string(root().join("config/topics.toml")).unwrap();
    let rules = RulesFile::from_toml(&text).expect("config/topics.toml parses");
    Classifier::new(&rules.topics).expect("config/topics.toml compiles")
}

fn labeled() -> Vec<Labeled> {
    read_set("labeled.jsonl")
}

fn read_set(name: &str) -> Vec<Labeled> {
    let path = root().join("tests/fixtures/classify").join(name);
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("line {}: {e}", i + 1)))
        .collect()
}

fn print(report: &Report) {
    println!("{report}");
}

#[test]
fn shipped_rules_reach_the_target_on_the_labeled_set() {
    check_set(labeled());
}

/// A second set, written independently of the rules and of the first set (first-sight
/// macro-F1 0.958 overall before the rules learned from its misses; see its README).
#[test]
fn shipped_rules_reach_the_target_on_the_holdout_set() {
    check_set(read_set("holdout.jsonl"));
}

/// Headlines a review found the rules getting wrong, each to be classified exactly: words in
/// another sense ("mass grave", "participants", "political actors", "state-of-the-art", a
/// beauty pageant's "izbor"), dialogue headlines the rules missed ("dialogue with …", "talks
/// with Serbia", the Serbian side named by its office or negotiator), and a soft hyphen inside
/// words.
#[test]
fn shipped_rules_get_every_known_confuser_right() {
    let classifier = shipped_classifier();
    let misses: Vec<String> = read_set("confusers.jsonl")
        .into_iter()
        .filter_map(|item| {
            let input = Input {
                title: &item.title,
                summary: &item.summary,
                categories: &item.categories,
            };
            let predicted: Vec<String> = classifier
                .classify(&input)
                .into_iter()
                .map(|m| m.topic)
                .collect();
            (predicted != item.topics).then(|| {
                format!(
                    "{} {:?}: expected {:?}, got {predicted:?}",
                    item.id, item.title, item.topics
                )
            })
        })
        .collect();
    assert!(misses.is_empty(), "{misses:#?}");
}

fn check_set(set: Vec<Labeled>) {
    let classifier = shipped_classifier();
    let topics: Vec<&str> = classifier.topics().collect();
    assert_eq!(topics, ["dialogue", "women-caucus", "culture"]);

    let outcomes: Vec<Outcome> = set
        .into_iter()
        .map(|item| {
            let input = Input {
                title: &item.title,
                summary: &item.summary,
                categories: &item.categories,
            };
            let predicted = classifier
                .classify(&input)
                .into_iter()
                .map(|m| m.topic)
                .collect();
            Outcome {
                id: item.id,
                group: item.lang,
                expected: item.topics,
                predicted,
            }
        })
        .collect();

    let all = evaluate("all", &topics, &outcomes);
    let groups = by_group(&topics, &outcomes);
    print(&all);
    for group in &groups {
        print(group);
    }
    println!("misclassified ({}):", all.misses.len());
    for miss in &all.misses {
        println!(
            "  {:<12} expected {:?}, got {:?}",
            miss.id, miss.expected, miss.predicted
        );
    }

    assert_eq!(groups.len(), 6, "every language form is present");
    for report in std::iter::once(&all).chain(&groups) {
        assert!(
            report.macro_f1() >= MIN_MACRO_F1,
            "{}: macro-F1 {:.3} < {MIN_MACRO_F1}",
            report.label,
            report.macro_f1()
        );
    }
}
