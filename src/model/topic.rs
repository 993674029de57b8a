//! Topics as stories carry them: how a topic's id is written, and a topic matched with
//! its reasons.

use serde::{Deserialize, Serialize};

/// A name as a topic id is written: lower case, every run of what is not a letter or a digit
/// one `-`, none at the ends ("Women Caucus" → `women-caucus`).
pub fn topic_slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// A topic an item carries, and why: which rule matched where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicMatch {
    /// The topic name.
    pub topic: String,
    /// Human-readable reasons, e.g. `title: "dijalog"` or `source default`. Stored stories
    /// carry none (those stored by earlier versions may): the reasons are worked out from the
    /// rules when they are shown (`items --json`), rather than kept in every record, of which
    /// they made a fifth.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<String>,
}
