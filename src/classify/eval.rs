//! Measuring topic rules: precision, recall and F1 per topic and macro-F1, over a labeled
//! set and within each group of it (e.g. per language form). Pure: values in, values out.
//!
//! Empty cases are scored so that doing nothing wrong scores 1: precision with no predictions
//! is 1, recall with nothing to find is 1, and F1 is 0 when both precision and recall are 0.

use std::fmt;

/// One labeled item and what the classifier said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The item's id, for listing mistakes.
    pub id: String,
    /// The group the item is reported under (e.g. its language form).
    pub group: String,
    /// Topics a human assigned.
    pub expected: Vec<String>,
    /// Topics the classifier assigned.
    pub predicted: Vec<String>,
}

/// Confusion counts of one topic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Predicted and expected.
    pub true_pos: usize,
    /// Predicted, not expected.
    pub false_pos: usize,
    /// Expected, not predicted.
    pub false_neg: usize,
}

impl Counts {
    /// Share of predictions that were right (1 when nothing was predicted).
    pub fn precision(&self) -> f64 {
        ratio(self.true_pos, self.true_pos + self.false_pos)
    }

    /// Share of expected topics that were found (1 when nothing was expected).
    pub fn recall(&self) -> f64 {
        ratio(self.true_pos, self.true_pos + self.false_neg)
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// An item whose predicted topics differ from the expected ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    /// The item's id.
    pub id: String,
    /// Topics a human assigned.
    pub expected: Vec<String>,
    /// Topics the classifier assigned.
    pub predicted: Vec<String>,
}

/// Metrics over one set of outcomes.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// What the set is (`all`, or a group name).
    pub label: String,
    /// How many items.
    pub items: usize,
    /// Counts per topic, in the order the topics were given.
    pub topics: Vec<(String, Counts)>,
    /// Items with any wrong or missing topic, in input order.
    pub misses: Vec<Miss>,
}

impl Report {
    /// Unweighted mean of the topics' F1 (0 when there are no topics).
    pub fn macro_f1(&self) -> f64 {
        if self.topics.is_empty() {
            return 0.0;
        }
        self.topics.iter().map(|(_, c)| c.f1()).sum::<f64>() / self.topics.len() as f64
    }
}

/// Scores `outcomes` for `topics`; predicted or expected topics not in `topics` are ignored.
pub fn evaluate<'a>(
    label: &str,
    topics: &[&str],
    outcomes: impl IntoIterator<Item = &'a Outcome>,
) -> Report {
    let mut counts = vec![Counts::default(); topics.len()];
    let mut items = 0;
    let mut misses = Vec::new();
    for o in outcomes {
        items += 1;
        let mut wrong = false;
        for (topic, c) in topics.iter().zip(&mut counts) {
            let expected = o.expected.iter().any(|t| t == topic);
            let predicted = o.predicted.iter().any(|t| t == topic);
            match (expected, predicted) {
                (true, true) => c.true_pos += 1,
                (false, true) => c.false_pos += 1,
                (true, false) => c.false_neg += 1,
                (false, false) => {}
            }
            wrong |= expected != predicted;
        }
        if wrong {
            misses.push(Miss {
                id: o.id.clone(),
                expected: o.expected.clone(),
                predicted: o.predicted.clone(),
            });
        }
    }
    Report {
        label: label.to_string(),
        items,
        topics: topics.iter().map(|t| t.to_string()).zip(counts).collect(),
        misses,
    }
}

/// One report per group, groups in the order they first appear.
pub fn by_group(topics: &[&str], outcomes: &[Outcome]) -> Vec<Report> {
    let mut groups: Vec<&str> = Vec::new();
    for o in outcomes {
        if !groups.contains(&o.group.as_str()) {
            groups.push(&o.group);
        }
    }
    groups
        .into_iter()
        .map(|g| evaluate(g, topics, outcomes.iter().filter(|o| o.group == g)))
        .collect()
}

impl fmt::Display for Report {
    /// A small table: one line per topic, then macro-F1.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({} items)", self.label, self.items)?;
        for (topic, c) in &self.topics {
            writeln!(
                f,
                "  {topic:<14} P {:.3}  R {:.3}  F1 {:.3}  (tp {} fp {} fn {})",
                c.precision(),
                c.recall(),
                c.f1(),
                c.true_pos,
                c.false_pos,
                c.false_neg
            )?;
        }
        write!(f, "  macro-F1 {:.3}", self.macro_f1())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(id: &str, group: &str, expected: &[&str], predicted: &[&str]) -> Outcome {
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Outcome {
            id: id.into(),
            group: group.into(),
            expected: own(expected),
            predicted: own(predicted),
        }
    }

    #[test]
    fn counts_give_precision_recall_and_f1() {
        let c = Counts {
            true_pos: 3,
            false_pos: 1,
            false_neg: 2,
        };
        assert_eq!(c.precision(), 0.75);
        assert_eq!(c.recall(), 0.6);
        assert!((c.f1() - 2.0 * 0.75 * 0.6 / 1.35).abs() < 1e-12);
    }

    #[test]
    fn empty_cases_score_one_unless_something_was_missed() {
        assert_eq!(Counts::default().f1(), 1.0);
        let missed_all = Counts {
            false_neg: 2,
            ..Counts::default()
        };
        assert_eq!(missed_all.precision(), 1.0);
        assert_eq!(missed_all.f1(), 0.0);
    }

    #[test]
    fn reports_count_per_topic_and_list_misses_per_group() {
        let outcomes = [
            outcome("en-1", "en", &["a"], &["a"]),
            outcome("en-2", "en", &["a", "b"], &["a"]),
            outcome("sq-1", "sq", &[], &["b"]),
            outcome("sq-2", "sq", &["b"], &["b", "other"]),
        ];
        let all = evaluate("all", &["a", "b"], &outcomes);
        assert_eq!(all.items, 4);
        assert_eq!(
            all.topics[1].1,
            Counts {
                true_pos: 1,
                false_pos: 1,
                false_neg: 1
            }
        );
        assert_eq!(all.macro_f1(), (1.0 + 0.5) / 2.0);
        let ids: Vec<_> = all.misses.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["en-2", "sq-1"]);

        let groups = by_group(&["a", "b"], &outcomes);
        let labels: Vec<_> = groups.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["en", "sq"]);
        assert_eq!(groups[1].topics[0].1, Counts::default());
        assert_eq!(groups[1].macro_f1(), (1.0 + 2.0 / 3.0) / 2.0);
        assert!(groups[0].to_string().contains("macro-F1 0.500"));
    }
}
