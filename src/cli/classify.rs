//! `tributary classify` (stdin JSON lines → topics and why, or `--eval` metrics) and
//! `tributary reclassify` (the whole store, atomically, with a progress bar).

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::classify::eval::{by_group, evaluate, Outcome};
use crate::classify::{Classifier, Input};
use crate::config::Config;
use crate::model::{Item, TopicMatch};

/// One input line.
#[derive(Debug, Deserialize)]
struct Line {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    source: Option<String>,
    /// Expected topics (only read by `--eval`).
    #[serde(default)]
    topics: Option<Vec<String>>,
    /// Language form, used to group `--eval` results.
    #[serde(default)]
    lang: Option<String>,
}

/// One output line.
#[derive(Debug, Serialize)]
struct Classified {
    id: String,
    topics: Vec<String>,
    why: BTreeMap<String, Vec<String>>,
    /// Topics whose score reached the threshold but none of whose `require` phrases occurs,
    /// with their reasons: what to look at when an item is missing from a topic.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    held: BTreeMap<String, Vec<String>>,
    /// Topics with terms in the item whose score stayed under the threshold: how far, and
    /// what counted (negative weights too).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    below: BTreeMap<String, Below>,
    /// Per topic, the term matches its exclusions cancelled (whatever the topic's outcome):
    /// what to look at when an exclusion takes more than it should.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    cancelled: BTreeMap<String, Vec<String>>,
}

/// A topic's score under its threshold.
#[derive(Debug, Serialize)]
struct Below {
    score: f64,
    threshold: f64,
    why: Vec<String>,
}

/// A line of the input that could not be read as an item.
enum BadLine {
    /// No such JSON object, or not UTF-8: the line is passed over.
    Skip(String),
    /// The input cannot be read any further (a directory, a device error).
    Stop(String),
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadLine::Skip(e) | BadLine::Stop(e) => f.write_str(e),
        }
    }
}

/// The input's items, one per non-blank line, each with its id (`line-N` when it has none),
/// as they are read; an error names the line.
fn items(input: impl BufRead) -> impl Iterator<Item = Result<(String, Line), BadLine>> {
    input.lines().enumerate().filter_map(|(n, line)| {
        let read = || {
            let line = line.map_err(|e| {
                let said = format!("line {}: {e}", n + 1);
                if e.kind() == std::io::ErrorKind::InvalidData {
                    BadLine::Skip(said)
                } else {
                    BadLine::Stop(said)
                }
            })?;
            if line.trim().is_empty() {
                return Ok(None);
            }
            let mut parsed: Line = serde_json::from_str(&line)
                .map_err(|e| BadLine::Skip(format!("line {}: {e}", n + 1)))?;
            // As ingest reads a feed's fields: markup and character references to text
            // (`Pri&scaron;tine` is `Prištine`).
            let text = |s: &mut String| {
                if s.contains(['<', '&']) {
                    *s = crate::parse::html::to_text(s);
                }
            };
            text(&mut parsed.title);
            text(&mut parsed.summary);
            parsed.categories.iter_mut().for_each(text);
            let id = parsed
                .id
                .clone()
                .unwrap_or_else(|| format!("line-{}", n + 1));
            Ok(Some((id, parsed)))
        };
        read().transpose()
    })
}

fn read_lines(input: impl BufRead) -> Result<Vec<(String, Line)>, BadLine> {
    items(input).collect()
}

fn input_of(line: &Line) -> Input<'_> {
    Input {
        title: &line.title,
        summary: &line.summary,
        categories: &line.categories,
    }
}

fn topics_of(config: &Config, line: &Line) -> Vec<TopicMatch> {
    let input = input_of(line);
    let defaults: Vec<(&str, &str)> = line
        .source
        .as_deref()
        .and_then(|id| config.source(id))
        .map(|s| {
            s.topics
                .iter()
                .map(|t| (s.id.as_str(), t.as_str()))
                .collect()
        })
        .unwrap_or_default();
    config.classifier.classify_with_defaults(&input, &defaults)
}

/// `classify`: JSON lines on stdin, one JSON line out per input, each as soon as its input
/// line is read (`tail -f items.jsonl | tributary classify`); a line that is no such object
/// is named on stderr and passed over (one bad record in a stream costs that record, not the
/// rest), and the exit status is then 2.
pub fn classify(config: &Config) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut bad = 0usize;
    for item in items(std::io::stdin().lock()) {
        let (id, line) = match item {
            Ok(item) => item,
            Err(BadLine::Skip(e)) => {
                bad += 1;
                eprintln!("stdin {e} (expected JSON objects with title, summary, optional id, categories, source); the line is passed over");
                continue;
            }
            Err(BadLine::Stop(e)) => {
                eprintln!("cannot read stdin: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        let (id, line) = (&id, &line);
        let matched = topics_of(config, line);
        let mut held = BTreeMap::new();
        let mut below = BTreeMap::new();
        let mut cancelled = BTreeMap::new();
        for mut s in config.classifier.scores(&input_of(line)) {
            if !s.cancelled.is_empty() {
                cancelled.insert(s.topic.to_string(), std::mem::take(&mut s.cancelled));
            }
            if matched.iter().any(|m| m.topic == s.topic) {
                continue;
            }
            if s.held() {
                held.insert(s.topic.to_string(), s.why);
            } else if s.supported && s.score.abs() > 1e-9 {
                // Rounded as a person reads it (0.1 + 0.2 is 0.3; no -0).
                let round = |x: f64| (x * 1000.0).round() / 1000.0 + 0.0;
                below.insert(
                    s.topic.to_string(),
                    Below {
                        score: round(s.score),
                        threshold: s.threshold,
                        why: s.why,
                    },
                );
            }
        }
        let result = Classified {
            id: id.clone(),
            topics: matched.iter().map(|m| m.topic.clone()).collect(),
            why: matched.into_iter().map(|m| (m.topic, m.why)).collect(),
            held,
            below,
            cancelled,
        };
        writeln!(out, "{}", serde_json::to_string(&result)?)?;
        out.flush()?;
    }
    if bad > 0 {
        eprintln!(
            "{bad} line{} of stdin passed over",
            if bad == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// `classify --eval FILE`: precision, recall and F1 per topic and macro-averaged, overall and
/// per `lang`, then the misclassified items.
pub fn eval(config: &Config, file: &Path) -> anyhow::Result<ExitCode> {
    let reader = match std::fs::File::open(file) {
        Ok(f) => std::io::BufReader::new(f),
        Err(e) => {
            eprintln!("cannot read {}: {e}", file.display());
            return Ok(ExitCode::from(2));
        }
    };
    let lines = match read_lines(reader) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return Ok(ExitCode::from(2));
        }
    };
    let mut outcomes = Vec::with_capacity(lines.len());
    for (id, line) in &lines {
        let Some(expected) = line.topics.clone() else {
            eprintln!("{}: item {id} has no expected \"topics\"", file.display());
            return Ok(ExitCode::from(2));
        };
        outcomes.push(Outcome {
            id: id.clone(),
            group: line.lang.clone().unwrap_or_else(|| "all".into()),
            expected,
            predicted: topics_of(config, line)
                .into_iter()
                .map(|m| m.topic)
                .collect(),
        });
    }
    let classifier: &Classifier = &config.classifier;
    let topics: Vec<&str> = classifier.topics().collect();
    let overall = evaluate("all items", &topics, &outcomes);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{overall}")?;
    let groups = by_group(&topics, &outcomes);
    if groups.len() > 1 {
        for g in &groups {
            writeln!(out, "\n{g}")?;
        }
    }
    writeln!(out, "\nmisclassified: {}", overall.misses.len())?;
    for m in &overall.misses {
        writeln!(
            out,
            "  {}: expected [{}], got [{}]",
            m.id,
            m.expected.join(", "),
            m.predicted.join(", ")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `reclassify`: every stored item through the current rules, in bounded atomic batches.
pub fn reclassify(config: Config) -> anyhow::Result<ExitCode> {
    let app = App::open_existing(config)?;
    let total = app.store.item_count() as u64;
    let bar = indicatif::ProgressBar::new(total);
    if std::io::stderr().is_terminal() {
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "reclassifying {bar:40} {pos}/{len} items ({eta})",
            )
            .expect("valid template"),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let config = &app.config;
    let (items, changed) = app.store.reclassify(
        |item: &Item| config.classifier.item_topics(item, &config.sources),
        |done, _| bar.set_position(done),
    )?;
    bar.finish_and_clear();
    outln!("reclassified {items} items: {changed} changed topics");
    if changed > 0 {
        super::checkpoint(app);
    }
    Ok(ExitCode::SUCCESS)
}
