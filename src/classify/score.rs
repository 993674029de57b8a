//! Scoring one item against compiled topics: which term matches count, for how much, and
//! the human-readable reasons.

use std::fmt::Write;

use super::fold::fold_into;
use super::matcher::{Found, Matcher};
use super::{Field, Input};

/// A compiled topic.
#[derive(Debug, Clone)]
pub(super) struct Topic {
    /// The id items carry.
    pub name: String,
    /// Display name.
    pub title: String,
    /// Display names in other languages, by language tag.
    pub titles: std::collections::BTreeMap<String, String>,
    /// Least score that assigns the topic.
    pub threshold: f64,
    /// Multiplier for title matches.
    pub title_weight: f64,
    /// Multiplier for category matches.
    pub category_weight: f64,
    /// Terms and context terms, in file order (terms first).
    pub terms: Vec<Term>,
    /// How many groups of `require` phrases the topic has: one phrase of each must occur.
    pub groups: usize,
    /// The required phrases as written, quoted, by their index in `Use::Require`.
    pub required: Vec<String>,
    /// The exclusions as written, quoted, by their index in `Use::Exclude`.
    pub excluded: Vec<String>,
}

/// A term as written, with its weight.
#[derive(Debug, Clone)]
pub(super) struct Term {
    /// As written in the rules, quoted and escaped as the reasons show it (`"dijalog*"`).
    pub quoted: String,
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
    /// An exclusion of the topic, and its index in `Topic::excluded`.
    Exclude { topic: usize, phrase: usize },
    /// One of the phrases the topic requires: its group, and its index in `Topic::required`.
    Require {
        topic: usize,
        group: usize,
        phrase: usize,
    },
}

/// What one topic found in an item.
#[derive(Debug, Clone, Default)]
pub(super) struct TopicHits {
    /// The term hits, in field order, then by first position.
    hits: Vec<Hit>,
    /// Per group of required phrases, the first that occurred (`Topic::required` index).
    met: Vec<Option<usize>>,
    /// The term matches exclusions cancelled: (field, term, `Topic::excluded` index), each once.
    cancelled: Vec<(Field, usize, usize)>,
}

impl TopicHits {
    /// Whether the topic's requirement holds: a phrase of every group occurred (or it has none).
    pub fn required(&self) -> bool {
        self.met.iter().all(Option::is_some)
    }
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
) -> Vec<TopicHits> {
    let mut per_topic: Vec<TopicHits> = topics
        .iter()
        .map(|t| TopicHits {
            hits: Vec::new(),
            met: vec![None; t.groups],
            cancelled: Vec::new(),
        })
        .collect();
    let mut found = Vec::new();
    let mut folded = String::new();
    let mut field = |field: Field, text: &str| {
        found.clear();
        fold_into(text, &mut folded);
        matcher.find(&folded, &mut found);
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
fn count(topics: &[Topic], uses: &[Use], field: Field, found: &[Found], out: &mut [TopicHits]) {
    if found.is_empty() {
        return;
    }
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
            Use::Exclude { topic, phrase } => excluded.push((topic, phrase, f.start, f.end)),
            Use::Require {
                topic,
                group,
                phrase,
            } => {
                out[topic].met[group].get_or_insert(phrase);
            }
        }
    }
    // An exclusion cancels the matches it overlaps, except a longer match that contains it:
    // the most specific phrase wins ("dialogue with" cancels "dialog*", not "dialogue with
    // Serbia"). It takes another sense of a word out of the topic's evidence: a negative
    // term, evidence against the topic, stays.
    if !excluded.is_empty() {
        spans.retain(|s| {
            if s.weight < 0.0 {
                return true;
            }
            let Some(&(_, phrase, _, _)) = excluded.iter().find(|&&(topic, _, start, end)| {
                let overlaps = start < s.end && s.start < end;
                let outranks = s.start <= start && end <= s.end && s.end - s.start > end - start;
                topic == s.topic && overlaps && !outranks
            }) else {
                return true;
            };
            let cancelled = &mut out[s.topic].cancelled;
            if !cancelled.contains(&(field, s.term, phrase)) {
                cancelled.push((field, s.term, phrase));
            }
            false
        });
    }
    let kept = if spans.iter().all(|s| s.end - s.start == 1) {
        one_word_spans(spans)
    } else {
        longest_spans(spans)
    };
    for s in kept {
        let topic = &topics[s.topic];
        let multiplier = match field {
            Field::Title => topic.title_weight,
            Field::Summary => 1.0,
            Field::Category(_) => topic.category_weight,
        };
        let hits = &mut out[s.topic].hits;
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

/// The spans that count, by first position: longest first, then heaviest, a span inside one
/// of its topic already kept is dropped.
fn longest_spans(mut spans: Vec<Span>) -> Vec<Span> {
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
    kept
}

/// [`longest_spans`] for spans of one word each, as most fields hold only: one span is inside
/// another only at the same word, so at each word each topic keeps its heaviest span (the
/// first of equals), with no sorting. `spans` come by first position (as the matcher finds
/// them); what is kept stays in that order, which is all the hits' order depends on (spans of
/// different topics at one word go to different topics' hits).
fn one_word_spans(spans: Vec<Span>) -> Vec<Span> {
    debug_assert!(spans.windows(2).all(|w| w[0].start <= w[1].start));
    let mut kept: Vec<Span> = Vec::with_capacity(spans.len());
    // Where the spans kept at the current word begin.
    let mut here = 0;
    for s in spans {
        if kept.last().is_some_and(|k| k.start != s.start) {
            here = kept.len();
        }
        match kept[here..].iter_mut().find(|k| k.topic == s.topic) {
            Some(k) if s.weight.total_cmp(&k.weight).is_gt() => *k = s,
            Some(_) => {}
            None => kept.push(s),
        }
    }
    kept
}

/// The hits that count: context hits only next to a positive term hit.
fn counted<'h>(topic: &'h Topic, hits: &'h TopicHits) -> impl Iterator<Item = &'h Hit> {
    let hits = &hits.hits;
    let anchored = hits
        .iter()
        .any(|h| h.points > 0.0 && !topic.terms[h.term].context);
    hits.iter()
        .filter(move |h| anchored || !topic.terms[h.term].context)
}

/// The topic's score from its hits.
pub(super) fn total(topic: &Topic, hits: &TopicHits) -> f64 {
    counted(topic, hits).map(|h| h.points).sum()
}

/// Whether the topic is assigned: its score reaches the threshold and its requirement holds.
pub(super) fn assigned(topic: &Topic, hits: &TopicHits) -> bool {
    hits.required() && super::reaches(total(topic, hits), topic.threshold)
}

/// One line per counted hit: `title: "dijalog*" (+4.0)`, `category "Kultura": "kultur*" ×2 (+3.0)`;
/// then, for a topic with required phrases, the phrase that met each group
/// (`required: "kosov*"`), or a line saying the requirement does not hold.
pub(super) fn why(topic: &Topic, hits: &TopicHits, input: &Input) -> Vec<String> {
    let mut lines: Vec<String> = counted(topic, hits)
        .map(|h| {
            let term = &topic.terms[h.term].quoted;
            let mut line = String::with_capacity(term.len() + 24);
            match h.field {
                Field::Title => line.push_str("title"),
                Field::Summary => line.push_str("summary"),
                Field::Category(i) => {
                    let _ = write!(line, "category {:?}", input.categories[i]);
                }
            }
            line.push_str(": ");
            line.push_str(term);
            if h.count > 1 {
                line.push_str(" ×");
                line.push_str(itoa::Buffer::new().format(h.count));
            }
            line.push_str(" (");
            push_points(&mut line, h.points);
            line.push(')');
            line
        })
        .collect();
    if !hits.required() {
        lines.push(if topic.groups > 1 {
            "not every group of required phrases occurs".to_string()
        } else {
            "none of the required phrases occurs".to_string()
        });
    } else {
        // A phrase that stands for several groups (the Brussels Agreement names both sides)
        // is said once.
        for phrase in hits.met.iter().flatten() {
            let line = format!("required: {}", topic.required[*phrase]);
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
    }
    lines
}

/// One line per term and field an exclusion cancelled, in the order they were found:
/// `summary: "dialog*" cancelled by "dialogue with civil*"`.
pub(super) fn cancelled(topic: &Topic, hits: &TopicHits, input: &Input) -> Vec<String> {
    hits.cancelled
        .iter()
        .map(|&(field, term, phrase)| {
            format!(
                "{}: {} cancelled by {}",
                field_name(field, input),
                topic.terms[term].quoted,
                topic.excluded[phrase]
            )
        })
        .collect()
}

/// How the reasons name a field: `title`, `summary`, `category "Kultura"`.
fn field_name(field: Field, input: &Input) -> String {
    match field {
        Field::Title => "title".to_string(),
        Field::Summary => "summary".to_string(),
        Field::Category(i) => format!("category {:?}", input.categories[i]),
    }
}

/// Appends `points` with a sign and one decimal, or two when a second is needed (1.5 × 1.5
/// is `+2.25`, not a rounded `+2.2` that the reasons' sum would not match). Points are almost
/// always whole tenths or hundredths (weights like 2 or 1.5 times multipliers like 2): those
/// are written from an integer, which is exact and much cheaper than formatting the float.
fn push_points(line: &mut String, points: f64) {
    let hundredths = points * 100.0;
    if hundredths == hundredths.trunc() && hundredths.abs() < 1e15 {
        let h = (hundredths as i64).unsigned_abs();
        line.push(if points.is_sign_negative() { '-' } else { '+' });
        line.push_str(itoa::Buffer::new().format(h / 100));
        line.push('.');
        line.push(char::from(b'0' + (h / 10 % 10) as u8));
        if h % 10 != 0 {
            line.push(char::from(b'0' + (h % 10) as u8));
        }
    } else {
        let _ = write!(line, "{points:+.2}");
        if line.ends_with('0') {
            line.pop();
        }
    }
}

/// Whether any of the topic's matches counts for it (a positive term): a topic with only
/// evidence against it is no near miss.
pub(super) fn supported(hits: &TopicHits) -> bool {
    hits.hits.iter().any(|h| h.points > 0.0)
}

#[cfg(test)]
mod tests {
    use super::{longest_spans, one_word_spans, push_points, Span};

    /// Each topic's kept spans (term, word), in order: all the hits are made of.
    fn per_topic(kept: &[Span], topics: usize) -> Vec<Vec<(usize, u32)>> {
        (0..topics)
            .map(|t| {
                kept.iter()
                    .filter(|s| s.topic == t)
                    .map(|s| (s.term, s.start))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn one_word_spans_keep_what_the_general_rule_keeps() {
        let mut rng = fastrand::Rng::with_seed(19);
        for _ in 0..2_000 {
            let topics = rng.usize(1..4);
            let mut spans = Vec::new();
            let mut word = 0;
            for _ in 0..rng.usize(0..40) {
                // Several spans at one word now and then, as where terms of several topics
                // (or two terms of one, like a stem and a word) match the same word.
                word += rng.u32(0..3);
                spans.push(Span {
                    topic: rng.usize(..topics),
                    term: rng.usize(..6),
                    start: word,
                    end: word + 1,
                    // Few distinct weights: ties are common, and the first of them wins.
                    weight: [0.5, 1.0, 1.0, 2.0, -1.0][rng.usize(..5)],
                });
            }
            assert_eq!(
                per_topic(&one_word_spans(spans.clone()), topics),
                per_topic(&longest_spans(spans.clone()), topics),
                "{spans:?}"
            );
        }
    }

    /// As the float format writes them with two decimals, the second left out when it is 0.
    #[test]
    fn points_are_written_as_the_float_format_writes_them() {
        let mut values = vec![
            0.0, -0.0, 0.1, 0.25, 0.75, 1.5, -1.5, 2.0, 4.0, -3.0, 1e16, 0.05,
        ];
        for w in [
            0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, -1.0, -2.5, 0.3, 0.7,
        ] {
            for m in [0.5, 1.0, 1.5, 2.0, 3.0, 0.25, 1.2] {
                values.push(w * m);
            }
        }
        for v in values {
            let mut line = String::new();
            push_points(&mut line, v);
            let mut expected = format!("{v:+.2}");
            if expected.ends_with('0') {
                expected.pop();
            }
            assert_eq!(line, expected, "{v}");
        }
    }
}
