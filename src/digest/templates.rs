//! The digest templates: built-in `digest.html` and `digest.txt`, either of which ops may
//! replace with a file of the same name in an override directory.
//!
//! Undefined variables are errors (a typo in an override fails when it is loaded, not as a
//! blank in a sent email): [`Templates::new`] renders both templates once against a sample
//! digest and an empty one. `none` prints as nothing. `.html` templates are HTML-escaped.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use super::{Digest, DigestError, Entry, Period, Section};

/// Template names, also the file names looked for in an override directory.
const HTML: &str = "digest.html";
const TEXT: &str = "digest.txt";

const BUILT_IN: [(&str, &str); 2] = [
    (HTML, include_str!("digest.html")),
    (TEXT, include_str!("digest.txt")),
];

/// The compiled templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    /// Template name → what an error calls it: the override's path or `built-in digest.txt`.
    files: HashMap<&'static str, String>,
}

impl Templates {
    /// The built-in templates, each replaced by `digest.html` / `digest.txt` in `override_dir`
    /// when that file exists. Errors name the file and, for template errors, the line.
    pub fn new(override_dir: Option<&Path>) -> Result<Templates, DigestError> {
        if let Some(dir) = override_dir {
            if !dir.is_dir() {
                return Err(DigestError::Read {
                    path: dir.to_path_buf(),
                    error: io::Error::new(io::ErrorKind::NotFound, "not a directory"),
                });
            }
        }
        let mut templates = Templates {
            env: environment(),
            files: HashMap::new(),
        };
        for (name, built_in) in BUILT_IN {
            let path = override_dir.map(|dir| dir.join(name));
            let source = match &path {
                Some(path) => match std::fs::read_to_string(path) {
                    Ok(text) => Some(text),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                    Err(error) => {
                        return Err(DigestError::Read {
                            path: path.clone(),
                            error,
                        })
                    }
                },
                None => None,
            };
            let (file, source) = match (source, path) {
                (Some(text), Some(path)) => (path.display().to_string(), text),
                _ => (format!("built-in {name}"), built_in.to_string()),
            };
            templates.files.insert(name, file);
            templates
                .env
                .add_template_owned(name, source)
                .map_err(|e| templates.error(e))?;
        }
        for d in [sample(), Digest::empty_sample()] {
            templates.html(&d)?;
            templates.text(&d)?;
        }
        Ok(templates)
    }

    /// The HTML part.
    pub fn html(&self, d: &Digest) -> Result<String, DigestError> {
        self.render(HTML, d)
    }

    /// The plain-text part.
    pub fn text(&self, d: &Digest) -> Result<String, DigestError> {
        self.render(TEXT, d)
    }

    fn render(&self, name: &str, d: &Digest) -> Result<String, DigestError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(minijinja::context! { digest => d }))
            .map_err(|e| self.error(e))
    }

    fn error(&self, e: minijinja::Error) -> DigestError {
        let file = e
            .name()
            .map(|n| self.files.get(n).cloned().unwrap_or_else(|| n.to_string()))
            .unwrap_or_else(|| "(unknown template)".to_string());
        let message = match e.detail() {
            Some(detail) => format!("{}: {detail}", e.kind()),
            None => e.kind().to_string(),
        };
        DigestError::Template {
            file,
            line: e.line(),
            message,
            source: e,
        }
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") || name.ends_with(".htm") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    // Escape what HTML needs and nothing more; print `none` as nothing.
    env.set_formatter(crate::publish::html_formatter);
    env.add_filter("wrap", wrap);
    env.add_filter("underline", underline);
    env
}

/// Fills `text` to `width` columns (default 72). Lines after the first start with `indent`;
/// the first starts with `first` padded with spaces to the indent's width. Long words (URLs)
/// stay whole.
fn wrap(
    text: String,
    width: Option<usize>,
    indent: Option<String>,
    first: Option<String>,
) -> String {
    let indent = indent.unwrap_or_default();
    let mut first = first.unwrap_or_default();
    let pad = textwrap::core::display_width(&indent);
    let first_width = textwrap::core::display_width(&first);
    if first_width < pad {
        first.push_str(&" ".repeat(pad - first_width));
    } else if !first.is_empty() && !first.ends_with(' ') {
        first.push(' ');
    }
    let options = textwrap::Options::new(width.unwrap_or(72).max(20))
        .initial_indent(&first)
        .subsequent_indent(&indent)
        .break_words(false)
        // Lines break at spaces only: a hyphen inside a URL or a word ("Kosovo-Serbia") is
        // no place to break (a URL cut there no longer opens).
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::fill(&text, options)
}

/// `text` with a rule of `ch` (default `-`) as wide as it on the next line.
fn underline(text: String, ch: Option<String>) -> String {
    let ch = ch.filter(|c| !c.is_empty()).unwrap_or_else(|| "-".into());
    let width = textwrap::core::display_width(&text).max(1);
    format!("{text}\n{}", ch.repeat(width))
}

impl Digest {
    /// A digest with no stories, to check that templates render one.
    fn empty_sample() -> Digest {
        Digest {
            sections: Vec::new(),
            count: 0,
            count_label: "no stories".into(),
            left_out: 0,
            left_out_label: String::new(),
            unsubscribe_url: None,
            unsubscribe_mailto: None,
            ..sample()
        }
    }
}

/// A digest with every field set, to check that templates render one.
fn sample() -> Digest {
    let entry = Entry {
        id: "00000000000000000000000000000000".into(),
        number: 1,
        title: "Sample story".into(),
        link: Some("https://example.org/story".into()),
        sources: vec!["Sample source".into()],
        source_ids: vec!["sample".into()],
        links: vec![super::EntryLink {
            text: "A sample link".into(),
            url: "https://example.org/sample.pdf".into(),
        }],
        topics: vec!["other-topic".into()],
        date: "1 Jan 2026, 00:00".into(),
        published: "2026-01-01T00:00:00Z".into(),
        summary: "A sample summary.".into(),
        also: vec!["Other topic".into()],
        image: Some("https://example.org/image.jpg".into()),
        image_alt: "A sample picture".into(),
        lang: Some("sr-Latn".into()),
    };
    Digest {
        name: "sample".into(),
        title: "Sample digest".into(),
        period: Period {
            start: chrono::DateTime::UNIX_EPOCH,
            end: chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(1),
        },
        period_label: "2 Jan 1970".into(),
        period_start: "1 Jan 1970, 00:00 UTC".into(),
        period_end: "2 Jan 1970, 00:00 UTC".into(),
        time_zone: "UTC".into(),
        sections: vec![
            Section {
                topic: Some("sample".into()),
                title: "Sample topic".into(),
                entries: vec![entry.clone()],
            },
            Section {
                topic: None,
                title: super::Locale::En.labels().other_news.into(),
                entries: vec![Entry {
                    number: 2,
                    link: None,
                    image: None,
                    summary: String::new(),
                    also: Vec::new(),
                    ..entry
                }],
            },
        ],
        count: 3,
        count_label: "3 stories".into(),
        left_out: 1,
        left_out_label: "1 story".into(),
        unsubscribe_url: Some("https://example.org/unsubscribe".into()),
        unsubscribe_mailto: Some("mailto:unsubscribe@example.org".into()),
        locale: "en".into(),
        labels: super::Locale::En.labels(),
    }
}
