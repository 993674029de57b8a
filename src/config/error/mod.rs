//! Configuration errors that point at the file, line and key to fix.

mod rules;

use std::fmt;
use std::path::{Path, PathBuf};

/// One thing wrong with a config file, located precisely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The config file.
    pub file: PathBuf,
    /// 1-based line of the offending key or value.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Dotted key path, e.g. `sources[2].interval`.
    pub key: String,
    /// What is wrong and, where possible, what is expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.key,
            self.message
        )
    }
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read at all.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The path that was tried.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid config; every problem found is listed.
    #[error("{}", list(problems))]
    Invalid {
        /// Each problem, in file order.
        problems: Vec<Problem>,
    },
}

fn list(problems: &[Problem]) -> String {
    let mut out = String::new();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&p.to_string());
    }
    out
}

/// Turns byte offsets of a TOML document into line/column and key paths.
pub(crate) struct Locator<'a> {
    file: &'a Path,
    text: &'a str,
}

impl<'a> Locator<'a> {
    pub(crate) fn new(file: &'a Path, text: &'a str) -> Self {
        Locator { file, text }
    }

    /// A problem at byte `offset` of the document.
    pub(crate) fn problem(
        &self,
        offset: usize,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        Problem {
            file: self.file.to_path_buf(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    /// Offset of the key `name` (bare or quoted, followed by `=`) at or after `from`; `from`
    /// when there is none.
    pub(crate) fn offset_of_key(&self, from: usize, name: &str) -> usize {
        let from = from.min(self.text.len());
        let rest = &self.text[from..];
        for quoted in [name.to_string(), format!("\"{name}\""), format!("'{name}'")] {
            let found = rest.match_indices(&quoted).find(|(at, _)| {
                let before = rest[..*at].chars().next_back();
                let after = rest[at + quoted.len()..].trim_start_matches([' ', '\t']);
                before.is_none_or(|c| c.is_whitespace() || c == '{' || c == ',')
                    && after.starts_with('=')
            });
            if let Some((at, _)) = found {
                return from + at;
            }
        }
        from
    }

    /// The table a byte offset falls in, as a key path (`fetch`, `sources[3]`), by scanning
    /// the table headers above it. Used to name the key of errors serde reports by message only.
    pub(crate) fn table_at(&self, offset: usize) -> String {
        let mut current = String::new();
        let mut array_counts: Vec<(String, usize)> = Vec::new();
        let mut pos = 0;
        for line in self.text.split_inclusive('\n') {
            if pos > offset {
                break;
            }
            let trimmed = bare(line);
            if let Some(name) = trimmed
                .strip_prefix("[[")
                .and_then(|r| r.split("]]").next())
            {
                let name = name.trim().to_string();
                let index = match array_counts.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, count)) => {
                        *count += 1;
                        *count - 1
                    }
                    None => {
                        array_counts.push((name.clone(), 1));
                        0
                    }
                };
                current = format!("{name}[{index}]");
            } else if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.split(']').next()) {
                let name = name.trim();
                // `[sources.filter]` belongs to the last `[[sources]]` so far.
                current = array_counts
                    .iter()
                    .filter_map(|(array, count)| {
                        let rest = name.strip_prefix(array.as_str())?.strip_prefix('.')?;
                        Some((array.len(), format!("{array}[{}].{rest}", count - 1)))
                    })
                    .max_by_key(|(len, _)| *len)
                    .map_or_else(|| name.to_string(), |(_, path)| path);
            }
            pos += line.len();
        }
        current
    }

    /// The key path for a `toml` deserialization error.
    pub(crate) fn toml_problem(&self, err: &toml::de::Error) -> Problem {
        let span = err.span().unwrap_or(0..0);
        let message = quoted_urls_masked(&plain_types(err.message().trim()));
        let table = self.table_at(span.start);
        // serde names the field in the message; the span points at the key or the table.
        let field = message.split('`').nth(1).filter(|_| {
            message.starts_with("unknown field") || message.starts_with("missing field")
        });
        let spanned_text = self
            .text
            .get(span.clone())
            .map(str::trim)
            .filter(|t| !t.is_empty() && !t.contains('\n') && !t.starts_with('['))
            .unwrap_or("");
        // The problem's line, up to the span and from its start.
        let at = span.start.min(self.text.len());
        let line_start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
        // An unknown table (`[fetchh]`): the span is on its header, which `table_at` already
        // counts as the table.
        let on_header = self.text[line_start..].trim_start().starts_with('[');
        // The inline tables the span is inside (`filter = { blok = [] }`), and the key whose
        // value it is, written on its line before it.
        let (inline, key_before) = if on_header {
            (Vec::new(), String::new())
        } else {
            inline_path(&self.text[line_start..at])
        };
        let leaf = field.map(str::to_string).unwrap_or_else(|| {
            // For a bad value the span covers the value; name the key on its line.
            let key = key_before.as_str();
            if key.is_empty() || key.starts_with('[') || key == spanned_text {
                spanned_text.to_string()
            } else {
                key.to_string()
            }
        });
        // A key written without its `=` (`path "/var/x"`): the key its line begins with (not
        // the words of a line inside a value carried over lines, whose errors say otherwise).
        let leaf = match leaf.is_empty() && message.starts_with("key with no value") {
            true => unquoted(leading_key(&self.text[line_start..at])).to_string(),
            false => leaf,
        };
        let names_table = table == leaf || table.ends_with(&format!(".{leaf}"));
        // A key inside an inline table is named under it.
        let leaf = if inline.is_empty() {
            leaf
        } else {
            format!("{}.{leaf}", inline.join("."))
        };
        let key = match (table.is_empty(), leaf.is_empty()) {
            // The span is on a table's own header (an unknown or repeated table).
            (false, false) if on_header && names_table => table,
            (true, _) => leaf,
            (false, true) => table,
            (false, false) => format!("{table}.{leaf}"),
        };
        self.problem(
            span.start,
            if key.is_empty() {
                "(document)".into()
            } else {
                key
            },
            message,
        )
    }
}

/// The key a line begins with (bare, dotted or not, or quoted, with its quotes), before
/// anything else is written on it; empty when it begins with anything else.
fn leading_key(line: &str) -> &str {
    let line = line.trim_start();
    let end = match line.chars().next() {
        // A basic string's escaped quotes (`"a\"b"`) are inside it.
        Some('"') => closing_quote(&line[1..]).map_or(0, |at| at + 2),
        Some('\'') => line[1..].find('\'').map_or(0, |at| at + 2),
        _ => line
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .unwrap_or(line.len()),
    };
    let rest = line[end..].trim_start();
    match rest.is_empty() || !rest.starts_with(['=', '[', '{']) {
        true => &line[..end],
        false => "",
    }
}

/// Where a basic string's closing quote is, in the text after its opening one.
fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            '"' if !escaped => return Some(at),
            '\\' => escaped = !escaped,
            _ => escaped = false,
        }
    }
    None
}

/// A message with each value it quotes (`invalid type: string "https://user:pass@…"`, as
/// serde quotes a value of the wrong type) masked as a URL is where errors quote one: see
/// [`crate::model::redact_url_text`].
fn quoted_urls_masked(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        // Up to the closing quote, past escaped ones (`\"`).
        let mut escaped = false;
        let close = rest.char_indices().find_map(|(i, c)| {
            let end = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            end.then_some(i)
        });
        let Some(close) = close else {
            break;
        };
        out.push_str(&crate::model::redact_url_text(&rest[..close]));
        out.push('"');
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The keys of the inline tables open at the end of `before` (the text of a line up to a
/// value or key), outermost first, and the key last written before an `=` there:
/// `fetch = { retry = { max = ` gives (`fetch`, `retry`) and `max`. Quoted text is skipped;
/// an array keeps its key (`block = ["a", 3` gives `block`), and a table in an array is named
/// by the array's key.
fn inline_path(before: &str) -> (Vec<String>, String) {
    // The inline tables open, by key, and the arrays open: at how many tables, under which key.
    let mut open: Vec<String> = Vec::new();
    let mut arrays: Vec<(usize, String)> = Vec::new();
    // The key of the pair being read, and where the text of the next key starts.
    let mut key = String::new();
    let mut from = 0;
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in before.char_indices() {
        if let Some(q) = quote {
            if c == q && !escaped {
                quote = None;
            }
            escaped = q == '"' && c == '\\' && !escaped;
            continue;
        }
        let array = arrays.last().filter(|(depth, _)| *depth == open.len());
        let in_array = array.is_some();
        match c {
            '"' | '\'' => quote = Some(c),
            '=' if !in_array => key = unquoted(bare(&before[from..i])).to_string(),
            '{' => {
                open.push(match array {
                    Some((_, named)) => named.clone(),
                    None => std::mem::take(&mut key),
                });
                from = i + 1;
            }
            '}' => {
                open.pop();
            }
            '[' => arrays.push((open.len(), key.clone())),
            ']' => {
                arrays.pop();
            }
            ',' if !in_array => {
                key.clear();
                from = i + 1;
            }
            '#' => break,
            _ => {}
        }
    }
    (open, key)
}

/// A key without the quotes around it where it needs none (`"X-Api-Key"` is `X-Api-Key`;
/// `"festival*"` stays quoted, as a key path must write it).
fn unquoted(key: &str) -> &str {
    let inner = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')));
    match inner {
        Some(name)
            if !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            name
        }
        _ => key,
    }
}

/// serde's type names in words: "expected i64" → "expected an integer".
fn plain_types(message: &str) -> String {
    let mut out = message.to_string();
    for (rust, words) in [
        ("i64", "an integer"),
        ("u64", "a whole number of 0 or more"),
        ("u32", "a whole number of 0 or more"),
        ("u16", "a whole number of 0 or more"),
        ("usize", "a whole number of 0 or more"),
        ("f64", "a number"),
        ("f32", "a number"),
    ] {
        let from = format!("expected {rust}");
        if out.ends_with(&from) || out.contains(&format!("{from} ")) {
            out = out.replace(&from, &format!("expected {words}"));
        }
    }
    out
}

/// A line without the whitespace around it, nor the byte order mark some editors (Windows
/// Notepad) put before the first.
fn bare(line: &str) -> &str {
    line.trim_start_matches('\u{feff}').trim()
}

/// Whether a line (trimmed) is a table header, `[a.b]` or `[[a]]`: its name is keys, bare or
/// quoted, joined by dots, and a comment may follow. An array's line (`[`, `["a", "b"],`) is
/// none.
fn is_header(line: &str) -> bool {
    let double = line.starts_with("[[");
    let Some(rest) = line.strip_prefix(if double { "[[" } else { "[" }) else {
        return false;
    };
    let close = if double { "]]" } else { "]" };
    // The name, up to the closing bracket outside quotes.
    let mut quote = None;
    let mut end = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, ']') => {
                end = Some(i);
                break;
            }
            (None, c) if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | '\t') => {
            }
            (None, _) => return false,
        }
    }
    let Some(end) = end else {
        return false;
    };
    let name = rest[..end].trim();
    let after = rest[end..].strip_prefix(close).map(str::trim_start);
    !name.is_empty()
        && !name.starts_with(['"', '\''])
        && after.is_some_and(|a| a.is_empty() || a.starts_with('#'))
}

#[cfg(test)]
mod tests;
