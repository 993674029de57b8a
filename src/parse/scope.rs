//! What an entry inherits that feed-rs does not pass on: the language and the base URL in
//! scope.
//!
//! feed-rs sets an entry's language and base only from `xml:lang`/`xml:base` written on its
//! `<content>` element, and reads neither a JSON Feed item's `language` nor an RSS item's
//! `dc:language`. An Atom entry in a feed with `xml:lang="sq"` on `<entry>`, or content under
//! a feed-level `xml:base`, would be filed under the feed's language and have its relative
//! links resolved against the entry's link instead. A document that declares either more
//! than once gets one more pass, which works out what is in scope for every entry.

use std::rc::Rc;

use feed_rs::model::{Feed, FeedType};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde::Deserialize;
use url::Url;

/// Fills in each entry's language and base URL from its scope, where feed-rs left them out.
pub(super) fn fill(feed: &mut Feed, text: &str, fetch_url: Option<&Url>) {
    let found = match feed.feed_type {
        FeedType::Atom if worth_a_pass(text) => atom_scopes(text, fetch_url),
        FeedType::JSON if item_language_possible(text) => json_languages(text),
        _ => return,
    };
    let Some(found) = found else {
        return;
    };
    if found.len() != feed.entries.len() {
        return;
    }
    for (entry, scope) in feed.entries.iter_mut().zip(found) {
        if entry.language.is_none() {
            entry.language = scope.lang;
        }
        if let Some(base) = scope.base {
            entry.base = Some(base.to_string());
        }
    }
}

/// An entry's scope.
#[derive(Debug, Default, PartialEq)]
struct Scope {
    /// `xml:lang` in scope at the entry (JSON Feed: the item's `language`).
    lang: Option<String>,
    /// `xml:base` in scope at its content (else its summary), resolved.
    base: Option<Url>,
}

/// Only a document with `xml:base`, or `xml:lang` anywhere but on the root alone (which
/// feed-rs reads as the feed's language), can give an entry something feed-rs missed.
fn worth_a_pass(text: &str) -> bool {
    if text.contains("xml:base") {
        return true;
    }
    let root_end = super::markup::root_start(text)
        .and_then(|at| text[at..].find('>').map(|e| at + e))
        .unwrap_or(0);
    text.match_indices("xml:lang").any(|(at, _)| at > root_end)
}

/// A JSON Feed where an item may have a `language`: one written after `"items"` (a
/// top-level `language` written first, as most feeds do, needs no pass).
fn item_language_possible(text: &str) -> bool {
    let Some(items) = text.find("\"items\"") else {
        return false;
    };
    text[items..].contains("\"language\"")
}

/// The scope of every Atom `<entry>` (not nested in another), in document order; `None` when
/// quick-xml cannot read the document.
fn atom_scopes(text: &str, fetch_url: Option<&Url>) -> Option<Vec<Scope>> {
    let mut reader = Reader::from_str(text);
    // (base, lang) of every open element, shared with its parent's when inherited.
    let mut stack: Vec<InScope> = Vec::new();
    let mut entries = Vec::new();
    // The entry being read: its depth, and its scope so far.
    let mut current: Option<(usize, Scope, Option<Url>)> = None;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                let (base, lang) = scope_of(&e, stack.last(), fetch_url);
                let local = local_name(&e);
                match &mut current {
                    None if local == "entry" => {
                        current = Some((
                            stack.len(),
                            Scope {
                                lang: lang.as_deref().map(str::to_string),
                                base: None,
                            },
                            None,
                        ))
                    }
                    Some((depth, scope, summary)) if stack.len() == *depth + 1 => match local {
                        "content" => scope.base = base.as_deref().cloned(),
                        "summary" => *summary = base.as_deref().cloned(),
                        _ => {}
                    },
                    _ => {}
                }
                stack.push((base, lang));
            }
            Event::Empty(e) if current.is_none() && local_name(&e) == "entry" => {
                let (_, lang) = scope_of(&e, stack.last(), fetch_url);
                entries.push(Scope {
                    lang: lang.as_deref().map(str::to_string),
                    base: None,
                });
            }
            Event::End(_) => {
                stack.pop();
                if current
                    .as_ref()
                    .is_some_and(|(depth, ..)| *depth == stack.len())
                {
                    let (_, mut scope, summary) = current.take()?;
                    scope.base = scope.base.or(summary);
                    entries.push(scope);
                }
            }
            Event::Eof => return Some(entries),
            _ => {}
        }
    }
}

fn local_name<'a>(e: &'a BytesStart<'_>) -> &'a str {
    let name = e.name().0;
    name.rsplit(':').next().unwrap_or(name)
}

/// An element's base URL and language: its parent's, shared, unless it sets its own.
type InScope = (Option<Rc<Url>>, Option<Rc<str>>);

/// Longest `xml:lang` read (a language tag is a few characters; BCP 47 keeps them under 35).
const MAX_LANG: usize = 64;

/// The base and language in scope inside `e`: its own `xml:base` (resolved against the
/// parent's, else the fetch URL) and `xml:lang`, else the parent's. A base is only ever one
/// that some `xml:base` set; one longer than [`super::xml_base::MAX_BASE`] is not read.
fn scope_of(e: &BytesStart<'_>, parent: Option<&InScope>, fetch_url: Option<&Url>) -> InScope {
    let (mut base, mut lang) = parent.cloned().unwrap_or_default();
    for attr in e.attributes().flatten() {
        let Ok(value) = attr.normalized_value(quick_xml::XmlVersion::Implicit1_0) else {
            continue;
        };
        match attr.key.0 {
            "xml:base" if value.len() <= super::xml_base::MAX_BASE => {
                let against = base.as_deref().or(fetch_url);
                let resolved = match against {
                    Some(b) => b.join(value.trim()).ok(),
                    None => Url::parse(value.trim()).ok(),
                };
                base = resolved.map(Rc::new).or(base);
            }
            "xml:lang" if value.len() <= MAX_LANG => {
                let tag = value.trim();
                lang = (!tag.is_empty()).then(|| Rc::from(tag));
            }
            _ => {}
        }
    }
    (base, lang)
}

/// The `language` of every JSON Feed item, in order.
fn json_languages(text: &str) -> Option<Vec<Scope>> {
    #[derive(Deserialize)]
    struct Doc {
        #[serde(default)]
        items: Vec<Item>,
    }
    #[derive(Deserialize)]
    struct Item {
        #[serde(default)]
        language: Option<serde_json::Value>,
    }
    let doc: Doc = serde_json::from_str(text).ok()?;
    Some(
        doc.items
            .into_iter()
            .map(|i| Scope {
                lang: i
                    .language
                    .as_ref()
                    .and_then(|l| l.as_str())
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string),
                base: None,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_inherit_language_and_base() {
        let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en" xml:base="https://a.example/">
<entry xml:lang="sq"><title>Një</title><content type="html">x</content></entry>
<entry><title>Two</title><content type="html" xml:base="news/2020/">y</content></entry>
<entry xml:base="/other/"><summary>z</summary></entry>
<entry/>
</feed>"#;
        let fetch = Url::parse("http://127.0.0.1:8000/feed.atom").unwrap();
        let s = atom_scopes(doc, Some(&fetch)).unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].lang.as_deref(), Some("sq"));
        assert_eq!(
            s[0].base.as_ref().map(Url::as_str),
            Some("https://a.example/")
        );
        assert_eq!(s[1].lang.as_deref(), Some("en"));
        assert_eq!(
            s[1].base.as_ref().map(Url::as_str),
            Some("https://a.example/news/2020/")
        );
        assert_eq!(
            s[2].base.as_ref().map(Url::as_str),
            Some("https://a.example/other/")
        );
        assert_eq!(s[3].lang.as_deref(), Some("en"));
    }

    #[test]
    fn a_relative_base_resolves_against_the_fetch_url_and_none_is_none() {
        let fetch = Url::parse("http://127.0.0.1:8000/feeds/x.atom").unwrap();
        let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="../site/"><entry><content>x</content></entry></feed>"#;
        let s = atom_scopes(doc, Some(&fetch)).unwrap();
        assert_eq!(
            s[0].base.as_ref().map(Url::as_str),
            Some("http://127.0.0.1:8000/site/")
        );
        let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="sr"><entry><content>x</content></entry></feed>"#;
        assert_eq!(
            atom_scopes(doc, Some(&fetch)).unwrap(),
            vec![Scope {
                lang: Some("sr".into()),
                base: None
            }]
        );
    }

    #[test]
    fn json_items_keep_their_language() {
        let doc = r#"{"version":"https://jsonfeed.org/version/1.1","language":"en","items":[{"id":"1","language":"sq"},{"id":"2"},{"id":"3","language":7}]}"#;
        let langs: Vec<_> = json_languages(doc)
            .unwrap()
            .into_iter()
            .map(|s| s.lang)
            .collect();
        assert_eq!(langs, [Some("sq".to_string()), None, None]);
    }
}
