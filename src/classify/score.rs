//! Scoring one item against compiled topics: which term matches count, for how much, and
//! the human-readable reasons.

use super::fold::fold;
use super::matcher::{Found, Matcher};
use super::{Field, Input};

/// A compiled topic.
#[derive(Debug, Clone)]
pub(super) struct Topic {
    /// The id items carry.
    pub name: String,
    /// Display name.
    pub title: String,
    /// Least score that assigns the topic.
    pub threshold: f64,
    /// Multiplier for title matches.
    pub title_weight: f64,
    /// Multiplier for category matches.
    pub category_weight: f64,
    /// Terms and context terms, in file order (terms first).
    pub terms: Vec<Term>,
}

/// A term as written, with its weight.
#[derive(Debug, Clone)]
pub(super) struct Term {
    /// As written in the rules, for the reasons.
    pub text: String,
    /// Points per field it matches in, before the field multiplier.
    pub weight: f64,
    /// Counts only when a positive non-context term of the topic matched too.
    pub context: bool,
}

/// What a phrase of the matcher stands for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Use {
    /// A term or context term: indexes into the topics and the topic's terms.
    Term { topic: usize, term: usize },
    /// An exclusion of the topic.
    Exclude { topic: usize },
}

/// One term's contribution in one field: it counts once however often it occurs there.
#[derive(Debug, Clone)]
pub(super) struct Hit {
    /// Where.
    field: Field,
    /// Which term of the topic.
    term: usize,
    /// How often it occurs there (shown, not scored).
    count: u32,
    /// Weight × field multiplier.
    points: f64,
}

/// A term match in one field before it is counted.
#[derive(Debug, Clone, Copy)]
struct Span {
    /// Index of the topic.
    topic: usize,
    /// Index of the term in the topic.
    term: usize,
    /// First word position.
    start: u32,
    /// Position after the last word.
    end: u32,
    /// The term's weight, to prefer the heavier of equal spans.
    weight: f64,
}

/// Finds the matches of every topic in every field of `input`; hits per topic, in field
/// order, then by first position.
pub(super) fn hits(
    topics: &[Topic],
    matcher: &Matcher,
    uses: &[Use],
    input: &Input,
) -> Vec<Vec<Hit>> {
    let mut per_topic = vec![Vec::new(); topics.len()];
    let mut found = Vec::new();
    let mut field = |field: Field, text: &str| {
        found.clear();
        matcher.find(&fold(text), &mut found);
        count(topics, uses, field, &found, &mut per_topic);
    };
    field(Field::Title, input.title);
    field(Field::Summary, input.summary);
    for (i, category) in input.categories.iter().enumerate() {
        field(Field::Category(i), category);
    }
    per_topic
}

/// Turns one field's matches into hits: exclusions cancel what they overlap, the longest
/// match wins, and each term counts once.
fn count(topics: &[Topic], uses: &[Use], field: Field, found: &[Found], out: &mut [Vec<Hit>]) {
    let mut spans = Vec::new();
    let mut excluded = Vec::new();
    for f in found {
        match uses[f.phrase] {
            Use::Term { topic, term } => spans.push(Span {
                topic,
                term,
                start: f.start,
                end: f.end,
                weight: topics[topic].terms[term].weight,
            }),
            Use::Exclude { topic } => excluded.push((topic, f.start, f.end)),
        }
    }
    // An exclusion cancels the matches it overlaps, except a longer match that contains it:
    // the most specific phrase wins ("dialogue with" cancels "dialog*", not "dialogue with
    // Serbia").
    spans.retain(|s| {
        !excluded.iter().any(|&(topic, start, end)| {
            let overlaps = start < s.end && s.start < end;
            let outranks = s.start <= start && end <= s.end && s.end - s.start > end - start;
            topic == s.topic && overlaps && !outranks
        })
    });
    // Longest first, then heaviest: a span inside one already kept is dropped.
    spans.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(b.weight.total_cmp(&a.weight))
    });
    let mut kept: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        let inside = kept
            .iter()
            .any(|k| k.topic == s.topic && k.start <= s.start && s.end <= k.end);
        if !inside {
            kept.push(s);
        }
    }
    kept.sort_by_key(|s| s.start);
    for s in kept {
        let topic = &topics[s.topic];
        let multiplier = match field {
            Field::Title => topic.title_weight,
            Field::Summary => 1.0,
            Field::Category(_) => topic.category_weight,
        };
        let hits = &mut out[s.topic];
        match hits
            .iter_mut()
            .find(|h| h.field == field && h.term == s.term)
        {
            Some(h) => h.count += 1,
            None => hits.push(Hit {
                field,
                term: s.term,
                count: 1,
                points: s.weight * multiplier,
            }),
        }
    }
}

/// The hits that count: context hits only next to a positive term hit.
fn counted<'h>(topic: &'h Topic, hits: &'h [Hit]) -> impl Iterator<Item = &'h Hit> {
    let anchored = hits
        .iter()
        .any(|h| h.points > 0.0 && !topic.terms[h.term].context);
    hits.iter()
        .filter(move |h| anchored || !topic.terms[h.term].context)
}

/// The topic's score from its hits.
pub(super) fn total(topic: &Topic, hits: &[Hit]) -> f64 {
    counted(topic, hits).map(|h| h.points).sum()
}

/// One line per counted hit: `title: "dijalog*" (+4.0)`, `category "Kultura": "kultur*" ×2 (+3.0)`.
pub(super) fn why(topic: &Topic, hits: &[Hit], input: &Input) -> Vec<String> {
    counted(topic, hits)
        .map(|h| {
            let place = match h.field {
                Field::Title => "title".to_string(),
                Field::Summary => "summary".to_string(),
                Field::Category(i) => format!("category {:?}", input.categories[i]),
            };
            let term = &topic.terms[h.term].text;
            let times = if h.count > 1 {
                format!(" ×{}", h.count)
            } else {
                String::new()
            };
            format!("{place}: {term:?}{times} ({:+.1})", h.points)
        })
        .collect()
}
