//! Why topic rules could not be compiled: every error names the topic and, where there is
//! one, the term to fix.

/// A problem in the topic rules, found when the [`super::Classifier`] is built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    /// Topic names are used in URLs, source defaults and the store.
    #[error("topic {topic:?}: a topic name must be lowercase letters, digits and '-'")]
    BadName {
        /// The topic as written.
        topic: String,
    },
    /// The same topic name twice (possible when rules are merged from several files).
    #[error("topic {topic:?} is defined twice")]
    DuplicateTopic {
        /// The topic.
        topic: String,
    },
    /// A threshold or field multiplier out of range (thresholds above 0, multipliers from 0).
    #[error("topic {topic:?}: {key} must be a finite number {expected}, not {value}")]
    BadNumber {
        /// The topic.
        topic: String,
        /// `threshold`, `title_weight` or `category_weight`.
        key: &'static str,
        /// The value given.
        value: f64,
        /// The range allowed.
        expected: &'static str,
    },
    /// A topic that could never match.
    #[error("topic {topic:?} has no terms")]
    NoTerms {
        /// The topic.
        topic: String,
    },
    /// A term weight of zero (meaningless) or not finite.
    #[error(
        "topic {topic:?}: term {term:?} has weight {weight}; use a finite number other than 0"
    )]
    BadWeight {
        /// The topic.
        topic: String,
        /// The term as written.
        term: String,
        /// The weight given.
        weight: f64,
    },
    /// A term, exclusion or required phrase that cannot be compiled.
    #[error("topic {topic:?}: {list} {term:?}: {problem}")]
    BadTerm {
        /// The topic.
        topic: String,
        /// `terms`, `context`, `exclude` or `require`.
        list: &'static str,
        /// The term as written.
        term: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// Two terms of a topic that are the same once case, diacritics and script are folded.
    #[error("topic {topic:?}: term {term:?} is the same as {earlier:?} once folded; keep one")]
    DuplicateTerm {
        /// The topic.
        topic: String,
        /// The later term.
        term: String,
        /// The earlier term it repeats.
        earlier: String,
    },
    /// The automaton could not be built (far beyond any realistic rule set).
    #[error("cannot compile the topic rules: {0}")]
    Automaton(String),
}

impl RuleError {
    /// The topic the problem is in (`None` for the automaton's).
    pub fn topic(&self) -> Option<&str> {
        match self {
            RuleError::BadName { topic }
            | RuleError::DuplicateTopic { topic }
            | RuleError::BadNumber { topic, .. }
            | RuleError::NoTerms { topic }
            | RuleError::BadWeight { topic, .. }
            | RuleError::BadTerm { topic, .. }
            | RuleError::DuplicateTerm { topic, .. } => Some(topic),
            RuleError::Automaton(_) => None,
        }
    }
}
