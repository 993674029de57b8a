//! Where a topic-rules problem is written in a config file: the term, the setting or the
//! topic's header, found in the topic's tables.

use super::{bare, is_header, Locator};

impl Locator<'_> {
    /// Where a topic-rules problem is written in this document, and its key: the term, the
    /// setting or the topic's header. `None` when the topic is not defined here.
    pub(crate) fn rule_spot(&self, e: &crate::classify::RuleError) -> Option<(usize, String)> {
        use crate::classify::RuleError;
        let topic = e.topic()?;
        let tables = self.topic_tables(topic);
        let (header, _, _) = tables.first()?;
        let main = format!("topics.{topic}");
        let (written, list) = match e {
            RuleError::BadWeight { term, .. }
            | RuleError::DuplicateTerm { term, .. }
            | RuleError::BadTerm {
                term,
                list: "terms" | "context",
                ..
            } => {
                return self
                    .term_spot(&tables, &main, term)
                    .or(Some((*header, main)));
            }
            RuleError::BadTerm { term, list, .. } => (term.as_str(), *list),
            RuleError::BadNumber { key, .. } => {
                return tables.iter().find_map(|(start, _, end)| {
                    let at = self.offset_of_key(*start, key);
                    (at != *start && at < *end).then(|| (at, format!("{main}.{key}")))
                });
            }
            _ => return Some((*header, main)),
        };
        self.listed_spot(&tables, &main, written, list)
            .or(Some((*header, main)))
    }

    /// The tables of the topic `topic` (`[topics.NAME]`, `[topics.NAME.terms]`…): each
    /// header's offset, its name, and where the table ends.
    fn topic_tables(&self, topic: &str) -> Vec<(usize, String, usize)> {
        let mut tables: Vec<(usize, String, usize)> = Vec::new();
        let mut pos = 0;
        for line in self.text.split_inclusive('\n') {
            let trimmed = bare(line);
            if is_header(trimmed) {
                if let Some(open) = tables.last_mut().filter(|t| t.2 == usize::MAX) {
                    open.2 = pos;
                }
                let name = trimmed
                    .trim_start_matches('[')
                    .split(']')
                    .next()
                    .unwrap_or("")
                    .split('.')
                    .map(|part| part.trim().trim_matches(['"', '\'']))
                    .collect::<Vec<_>>()
                    .join(".");
                let ours = name
                    .strip_prefix("topics.")
                    .and_then(|rest| rest.strip_prefix(topic))
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'));
                if ours {
                    tables.push((pos + line.find('[').unwrap_or(0), name, usize::MAX));
                }
            }
            pos += line.len();
        }
        if let Some(open) = tables.last_mut().filter(|t| t.2 == usize::MAX) {
            open.2 = self.text.len();
        }
        tables
    }

    /// Where the term `term`, a key of `terms` or `context`, is written in the topic's
    /// `tables` (the topic's own is `main`), and its key: the last one so written (a term
    /// repeated is the second time).
    fn term_spot(
        &self,
        tables: &[(usize, String, usize)],
        main: &str,
        term: &str,
    ) -> Option<(usize, String)> {
        tables.iter().rev().find_map(|(start, name, end)| {
            let at = self.offset_of_key(*start, term);
            (at != *start && at < *end).then(|| {
                let key = if name == main {
                    format!("{main}.terms")
                } else {
                    name.clone()
                };
                (at, key)
            })
        })
    }

    /// Where a phrase of `exclude` or `require` (`list`), or a term of theirs, is written in
    /// the topic's `tables` (the topic's own is `main`), and its key: in that list's array, in
    /// the topic's table; else wherever it is written as a key.
    fn listed_spot(
        &self,
        tables: &[(usize, String, usize)],
        main: &str,
        written: &str,
        list: &str,
    ) -> Option<(usize, String)> {
        for (start, name, end) in tables {
            let listed = self.offset_of_key(*start, list);
            let from = if name == main && listed != *start && listed < *end {
                listed
            } else {
                *start
            };
            let table = &self.text[from..*end];
            let found = [format!("\"{written}\""), format!("'{written}'")]
                .iter()
                .find_map(|quoted| table.find(quoted.as_str()));
            if let Some(at) = found {
                let key = if name == main {
                    format!("{main}.{list}")
                } else {
                    name.clone()
                };
                return Some((from + at, key));
            }
        }
        None
    }
}
