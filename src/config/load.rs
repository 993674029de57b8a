//! Reading a config file: the text parsed into [`RawConfig`] and handed to the [`Validator`],
//! and every problem gathered, a file that does not even deserialize included.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::error::{self, Locator};
use super::raw::RawConfig;
use super::validate::Validator;
use super::{Config, ConfigError};

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_str(&text, path)
    }

    /// Validates config text as if read from `path` (relative paths resolve against its folder).
    pub fn from_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let loc = Locator::new(path, text);
        // Nothing but blanks and comments: most likely a file cut short while an editor or a
        // deploy wrote it (a daemon reloading it would drop every source, and one starting on
        // it would open a new store beside it), not a config.
        let said = text
            .lines()
            .map(str::trim)
            .any(|l| !l.is_empty() && !l.starts_with('#'));
        if !said {
            return Err(ConfigError::Invalid {
                problems: vec![loc.problem(
                    0,
                    "(file)",
                    "the config is empty: no settings and no [[sources]] (was it cut short while it was written?)",
                )],
            });
        }
        let mut raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            problems: structural_problems::<RawConfig>(text, &loc, &e),
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut v = Validator {
            loc: &loc,
            base: &base,
            problems: Vec::new(),
            cron_gaps: HashMap::new(),
        };
        let rules_path = raw
            .classify
            .rules
            .as_ref()
            .map(|r| (base.join(r.get_ref()), r.span().start));
        let inline = std::mem::take(&mut raw.topics);
        let classifier = v.classifier(rules_path, inline);
        // With broken rules every source default would look unknown: report the rules only.
        let rules_ok = v.problems.is_empty();
        let config = v.config(raw, path, classifier.filter(|_| rules_ok));
        if v.problems.is_empty() {
            Ok(config)
        } else {
            v.problems.sort_by_key(|p| (p.line, p.column));
            Err(ConfigError::Invalid {
                problems: v.problems,
            })
        }
    }
}

/// Every structural problem (an unknown key, a value of the wrong type, a missing one) of a
/// file that does not deserialize as a whole: each top-level table, each `[[sources]]` and
/// `[[digests]]` entry and each `[topics.NAME]` is deserialized on its own, so `check` names
/// every wrong key at once rather than the first alone. A file that is not TOML at all (or
/// none of whose parts fails alone) gets its one error.
pub(super) fn structural_problems<T: serde::de::DeserializeOwned>(
    text: &str,
    loc: &Locator,
    whole: &toml::de::Error,
) -> Vec<error::Problem> {
    use toml::de::{DeArray, DeString, DeTable, DeValue, Deserializer};
    let Ok(doc) = DeTable::parse(text) else {
        return vec![loc.toml_problem(whole)];
    };
    let file = doc.span();
    let mut problems: Vec<error::Problem> = Vec::new();
    let mut part = |key: &Spanned<DeString<'_>>, value: Spanned<DeValue<'_>>| {
        let mut table = DeTable::new();
        table.insert(key.clone(), value);
        let alone = Deserializer::from(Spanned::new(file.clone(), table));
        if let Err(e) = T::deserialize(alone) {
            let problem = loc.toml_problem(&e);
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    };
    for (key, value) in doc.get_ref() {
        let span = value.span();
        match value.get_ref() {
            // `[[sources]]`, `[[digests]]`: entry by entry.
            DeValue::Array(entries)
                if !entries.is_empty()
                    && entries
                        .iter()
                        .all(|e| matches!(e.get_ref(), DeValue::Table(_))) =>
            {
                for entry in entries.iter() {
                    let mut one = DeArray::new();
                    one.push(entry.clone());
                    part(key, Spanned::new(span.clone(), DeValue::Array(one)));
                }
            }
            // `[topics.NAME]`: topic by topic.
            DeValue::Table(topics) if key.get_ref().as_ref() == "topics" => {
                for (name, topic) in topics {
                    let mut one = DeTable::new();
                    one.insert(name.clone(), topic.clone());
                    part(key, Spanned::new(span.clone(), DeValue::Table(one)));
                }
            }
            _ => part(key, value.clone()),
        }
    }
    if problems.is_empty() {
        vec![loc.toml_problem(whole)]
    } else {
        problems.sort_by_key(|p| (p.line, p.column));
        problems
    }
}
