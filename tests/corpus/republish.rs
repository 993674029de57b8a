//! Republishing a parsed corpus document: every rendered RSS and Atom document must be
//! well-formed UTF-8 XML without characters XML forbids, the JSON Feed valid JSON, and no
//! output may carry a script-capable element, an event attribute, or a `javascript:`,
//! `vbscript:` or `data:` URL — in content, links, enclosure URLs or ids. The web page may
//! hold no element or attribute but its template's, whatever the stories say.

use chrono::{DateTime, Utc};
use quick_xml::events::Event;
use quick_xml::Reader;
use tributary::model::{Carrier, Item, ItemId, NewItem};
use tributary::publish::{self, FeedMeta, Format};

/// Stored items as the store would hold them for one source.
pub fn items(normalized: Vec<NewItem>, now: DateTime<Utc>) -> Vec<Item> {
    normalized
        .into_iter()
        .map(|n| Item {
            id: ItemId::derive("corpus", &n.identity),
            sources: vec![Carrier {
                source: "corpus".into(),
                identity: n.identity.clone(),
                link: n.link.clone(),
                first_seen: now,
            }],
            title: n.title,
            link: n.link,
            published: n.published.unwrap_or(now),
            date_inferred: n.published.is_none(),
            updated: n.updated,
            first_seen: now,
            last_changed: now,
            edited: None,
            summary: n.summary,
            content: n.content,
            authors: n.authors,
            categories: n.categories,
            lang: n.lang,
            enclosures: n.enclosures,
            image: None,
            topics: vec![],
            content_hash: n.content_hash,
        })
        .collect()
}

/// Renders every format and returns the first problem found.
pub fn check(items: &[Item]) -> Option<String> {
    let meta = FeedMeta {
        id: "http://127.0.0.1:8000/feeds/all".into(),
        title: "corpus".into(),
        description: "corpus".into(),
        self_url: "http://127.0.0.1:8000/feeds/all.rss".into(),
        site_url: "http://127.0.0.1:8000/".into(),
        page_url: "http://127.0.0.1:8000/feeds/all.html".into(),
        language: None,
        generator: "corpus".into(),
        topic_labels: vec![],
        topic_aliases: vec![],
        updated_when_empty: None,
        title_lang: None,
        topic_pages_in: None,
        icon: None,
        logo: None,
        time_zone: chrono_tz::UTC,
    };
    for format in Format::ALL {
        // The page offers its feeds by its own address's stem.
        let meta = FeedMeta {
            self_url: format!("http://127.0.0.1:8000/feeds/all.{}", format.extension()),
            ..meta.clone()
        };
        let bytes = publish::render(format, &meta, items, &|_| None);
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return Some(format!("{format}: not UTF-8"));
        };
        if let Some(c) = text.chars().find(|c| !xml_char(*c)) {
            return Some(format!(
                "{format}: character U+{:04X} XML forbids",
                c as u32
            ));
        }
        let problem = match format {
            Format::Json => json(text),
            Format::Rss | Format::Atom => xml(text),
            Format::Html => page(text),
        };
        if let Some(p) = problem {
            return Some(format!("{format}: {p}"));
        }
    }
    None
}

/// The elements and attributes of the page's template: a story's text that became markup
/// would add others.
const PAGE_ELEMENTS: [&str; 18] = [
    "html", "head", "meta", "title", "link", "style", "body", "header", "h1", "h2", "h3", "p", "a",
    "main", "section", "article", "time", "footer",
];
const PAGE_ATTRIBUTES: [&str; 10] = [
    "lang", "charset", "name", "content", "rel", "type", "title", "href", "datetime", "class",
];

/// Reads the page as a browser would tokenize it (lol_html): only the template's elements and
/// attributes, and every link an http(s) URL.
pub fn page(text: &str) -> Option<String> {
    use lol_html::{element, HtmlRewriter, Settings};
    let problem: std::cell::RefCell<Option<String>> = std::cell::RefCell::new(None);
    let mut rewriter = HtmlRewriter::new(
        Settings {
            element_content_handlers: vec![element!("*", |el| {
                let name = el.tag_name();
                let mut found = Vec::new();
                if !PAGE_ELEMENTS.contains(&name.as_str()) {
                    found.push(format!("page: element <{name}>"));
                }
                for a in el.attributes() {
                    let attr = a.name();
                    if !PAGE_ATTRIBUTES.contains(&attr.as_str()) {
                        found.push(format!("page: attribute {attr} on <{name}>"));
                    }
                    let value = a.value();
                    if attr == "href"
                        && !(value.starts_with("https://") || value.starts_with("http://"))
                    {
                        found.push(format!("page: link {value:?}"));
                    }
                }
                if let Some(first) = found.into_iter().next() {
                    problem.borrow_mut().get_or_insert(first);
                }
                Ok(())
            })],
            ..Settings::new()
        },
        |_: &[u8]| {},
    );
    if let Err(e) = rewriter.write(text.as_bytes()).and_then(|_| rewriter.end()) {
        return Some(format!("page: not read: {e}"));
    }
    problem.into_inner()
}

/// XML 1.0 `Char`.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Elements whose text is a URL or an identifier.
const URL_ELEMENTS: [&str; 8] = [
    "link", "guid", "id", "uri", "url", "icon", "logo", "comments",
];
/// Elements whose text is HTML: RSS's always, Atom's text constructs when their `type` says so
/// (text is their default, and a reader shows it as text).
const HTML_ELEMENTS: [&str; 2] = ["description", "content:encoded"];
const ATOM_TEXT_ELEMENTS: [&str; 2] = ["content", "summary"];

/// Whether the text of the element `e` opens is HTML.
fn holds_html(e: &quick_xml::events::BytesStart<'_>) -> bool {
    let name = e.name();
    let is = |names: &[&str]| names.contains(&name.as_ref());
    is(&HTML_ELEMENTS)
        || is(&ATOM_TEXT_ELEMENTS)
            && e.attributes()
                .flatten()
                .any(|a| a.key.as_ref() == "type" && a.value == "html")
}

/// Reads the whole document with quick-xml (end names checked, every reference resolved, every
/// attribute parsed) and checks what a reader would follow or render.
pub fn xml(text: &str) -> Option<String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut path: Vec<(String, bool)> = Vec::new();
    let mut roots = 0;
    let mut content = String::new();
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                return Some(format!(
                    "not well-formed at {}: {e}",
                    reader.error_position()
                ))
            }
        };
        match event {
            Event::Start(e) | Event::Empty(e) if path.is_empty() && roots > 0 => {
                return Some(format!("a second root element {:?}", e.name()));
            }
            Event::Start(e) => {
                if path.is_empty() {
                    roots += 1;
                }
                if let Some(p) = attributes(&e) {
                    return Some(p);
                }
                path.push((e.name().as_ref().to_string(), holds_html(&e)));
                content.clear();
            }
            Event::Empty(e) => {
                if path.is_empty() {
                    roots += 1;
                }
                if let Some(p) = attributes(&e) {
                    return Some(p);
                }
            }
            Event::End(_) => {
                let (name, html) = path.pop().unwrap_or_default();
                if let Some(p) = element_text(&name, html, &content) {
                    return Some(p);
                }
                content.clear();
            }
            Event::Text(t) => content.push_str(&t.xml10_content()),
            Event::CData(t) => content.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) if xml_char(c) => content.push(c),
                Ok(Some(c)) => return Some(format!("reference to U+{:04X}", c as u32)),
                Ok(None) => match &*r {
                    "lt" => content.push('<'),
                    "gt" => content.push('>'),
                    "amp" => content.push('&'),
                    "quot" => content.push('"'),
                    "apos" => content.push('\''),
                    other => return Some(format!("undeclared entity &{other};")),
                },
                Err(e) => return Some(format!("bad character reference: {e}")),
            },
            Event::DocType(_) => return Some("a DOCTYPE".into()),
            Event::Eof => break,
            _ => {}
        }
    }
    if !path.is_empty() {
        return Some(format!("unclosed elements {path:?}"));
    }
    (roots != 1).then(|| format!("{roots} root elements"))
}

fn attributes(e: &quick_xml::events::BytesStart<'_>) -> Option<String> {
    for attr in e.attributes().with_checks(true) {
        let attr = match attr {
            Ok(a) => a,
            Err(err) => return Some(format!("bad attribute: {err}")),
        };
        let value = match attr.normalized_value(quick_xml::XmlVersion::Explicit1_0) {
            Ok(v) => v,
            Err(err) => return Some(format!("bad attribute value: {err}")),
        };
        if let Some(c) = value.chars().find(|c| !xml_char(*c)) {
            return Some(format!("attribute with U+{:04X}", c as u32));
        }
        if let Some(scheme) = dangerous_url(&value) {
            let name = attr.key.as_ref().to_string();
            return Some(format!("{scheme} URL in attribute {name}: {value}"));
        }
    }
    None
}

fn element_text(name: &str, html: bool, text: &str) -> Option<String> {
    if URL_ELEMENTS.contains(&name) {
        if let Some(scheme) = dangerous_url(text) {
            return Some(format!("{scheme} URL in <{name}>: {text}"));
        }
    }
    if html {
        if let Some(p) = unsafe_html(text) {
            return Some(format!("<{name}>: {p}"));
        }
    }
    None
}

fn json(text: &str) -> Option<String> {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Some(format!("not JSON: {e}")),
    };
    let mut problem = None;
    walk(&value, "", &mut problem);
    problem
}

fn walk(v: &serde_json::Value, key: &str, problem: &mut Option<String>) {
    if problem.is_some() {
        return;
    }
    match v {
        serde_json::Value::String(s) => {
            let url_key = [
                "url",
                "external_url",
                "id",
                "image",
                "banner_image",
                "icon",
                "favicon",
            ]
            .contains(&key)
                || key.ends_with("_url");
            if url_key {
                if let Some(scheme) = dangerous_url(s) {
                    *problem = Some(format!("{scheme} URL in {key}: {s}"));
                }
            } else if key == "content_html" {
                *problem = unsafe_html(s).map(|p| format!("content_html: {p}"));
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, key, problem)),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| walk(x, k, problem)),
        _ => {}
    }
}

/// Lowercased without ASCII whitespace and control characters (how browsers read a URL
/// scheme, and how obfuscated markup hides one).
fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .flat_map(char::to_lowercase)
        .collect()
}

fn dangerous_url(value: &str) -> Option<&'static str> {
    let v = squeeze(value);
    ["javascript:", "vbscript:", "data:"]
        .into_iter()
        .find(|scheme| v.starts_with(scheme))
}

/// Script-capable markup in an HTML string (already entity-decoded once by the XML layer).
pub fn unsafe_html(html: &str) -> Option<String> {
    let squeezed = squeeze(html);
    for bad in [
        "<script",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<meta",
        "<base",
        "<style",
        "<frame",
        "<applet",
        "<svg",
        "<math",
        "<link",
        "javascript:",
        "vbscript:",
        "=\"data:",
        "='data:",
        "=data:",
    ] {
        if squeezed.contains(bad) {
            return Some(format!("contains {bad}"));
        }
    }
    // An event handler: ` on…=` inside a tag.
    let lower = html.to_lowercase();
    let mut in_tag = false;
    let bytes = lower.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'<' => in_tag = true,
            b'>' => in_tag = false,
            b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'"' | b'\'' if in_tag => {
                let rest = &lower[i + 1..];
                if rest.starts_with("on") {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                        .collect();
                    let after = rest[name.len()..].trim_start();
                    if name.len() > 2 && after.starts_with('=') {
                        return Some(format!("event attribute {name}"));
                    }
                }
            }
            _ => {}
        }
    }
    None
}
