//! What feed-rs leaves out of RSS items, read by a second pass over the document.
//!
//! feed-rs reads an element's text only up to its first child element, so an item whose
//! `<title>`, `<description>` or `<content:encoded>` holds markup that was not escaped (not
//! valid RSS, but common in hand-made feeds) keeps only the text before the first tag, or
//! nothing at all. It also ignores Dublin Core's `dc:title` and `dc:subject` (and
//! `dc:description` outside RSS 1.0), a `media:title` outside `media:content`, and an
//! `itunes:summary` whose namespace is written in another case, and the dates of DCMI terms
//! (`dcterms:issued`, `created`, `modified`) and an item's own `dc:language`. A document where any of this may matter gets one more pass with quick-xml, which
//! reads these elements of every `<item>` in document order; its findings replace what
//! feed-rs read only when the two passes agree on the number of items.

use feed_rs::model::{Content, Entry, Feed, FeedType, Text};
use mediatype::{names, MediaTypeBuf};
use quick_xml::events::Event;
use quick_xml::name::{Namespace, QName, ResolveResult};
use quick_xml::NsReader;

const DUBLIN_CORE: &str = "http://purl.org/dc/elements/1.1/";
const DC_TERMS: &str = "http://purl.org/dc/terms/";
const CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";
/// Matched ignoring case: feeds write it `…/DTDs/Podcast-1.0.dtd` too, which feed-rs misses.
const ITUNES: &str = "http://www.itunes.com/dtds/podcast-1.0.dtd";
pub(super) const MEDIA: &str = "http://search.yahoo.com/mrss/";
/// RSS's own elements: no namespace (0.9x, 2.0), RSS 1.0's, or RSS 0.90's.
pub(super) const RSS: &[&str] = &[
    "http://purl.org/rss/1.0/",
    "http://my.netscape.com/rdf/simple/0.9/",
];

/// An element's content as written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    /// It holds elements: HTML that was not escaped (CDATA sections unwrapped).
    Markup(String),
    /// Text, its entities and CDATA sections decoded.
    Text(String),
}

/// What the second pass found in one `<item>`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Extras {
    title: Option<Value>,
    description: Option<Value>,
    encoded: Option<Value>,
    dc_title: Option<Value>,
    dc_description: Option<Value>,
    /// `media:title` directly in the item (feed-rs reads it only in `media:content` or
    /// `media:group`).
    media_title: Option<Value>,
    itunes_summary: Option<Value>,
    /// `dc:subject`s: categories.
    subjects: Vec<String>,
    /// `dcterms:issued` or `dcterms:created`, whichever comes first: the publication date.
    issued: Option<Value>,
    /// `dcterms:modified`.
    modified: Option<Value>,
    /// `dc:author` (not a Dublin Core element, but written for `dc:creator`).
    dc_author: Option<Value>,
    /// `dc:language`: the item's own.
    dc_language: Option<Value>,
    /// It has a `<link>`: feed-rs drops an RSS 1.0 item without one.
    linked: bool,
}

impl Extras {
    /// Keeps what one wanted element holds (the first of each kind; every `dc:subject`).
    fn take(&mut self, which: Wanted, raw: &str) {
        let slot = match which {
            Wanted::Title => &mut self.title,
            Wanted::Description => &mut self.description,
            Wanted::Encoded => &mut self.encoded,
            Wanted::DcTitle => &mut self.dc_title,
            Wanted::DcDescription => &mut self.dc_description,
            Wanted::MediaTitle => &mut self.media_title,
            Wanted::ItunesSummary => &mut self.itunes_summary,
            Wanted::Issued => &mut self.issued,
            Wanted::Modified => &mut self.modified,
            Wanted::DcAuthor => &mut self.dc_author,
            Wanted::DcLanguage => &mut self.dc_language,
            Wanted::DcSubject => {
                if let Some(Value::Text(t)) = value(raw) {
                    self.subjects.push(t);
                }
                return;
            }
        };
        if slot.is_none() {
            *slot = value(raw);
        }
    }
}

/// Fills in what feed-rs dropped from the RSS items of `feed`, parsed from `text`; dates
/// without a zone are in `zone` (UTC when `None`).
pub(super) fn fill(feed: &mut Feed, text: &str, zone: Option<chrono_tz::Tz>) {
    if !matches!(
        feed.feed_type,
        FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2
    ) {
        return;
    }
    let incomplete = feed.entries.iter().any(|e| {
        e.title.is_none()
            || (e.summary.is_none() && e.content.is_none())
            || (e.published.is_none() && e.updated.is_none())
    });
    // `dc:subject` or `dc:language` (perhaps the channel's only).
    let dublin_core = text.contains(":subject>") || text.contains(":language>");
    if !incomplete && !dublin_core && !has_raw_markup(text) {
        return;
    }
    let Some(mut found) = read_items(text) else {
        return;
    };
    if found.len() != feed.entries.len() && feed.feed_type == FeedType::RSS1 {
        found.retain(|x| x.linked);
    }
    if found.len() != feed.entries.len() {
        return;
    }
    for (entry, extras) in feed.entries.iter_mut().zip(found) {
        apply(entry, extras, zone);
    }
}

fn apply(entry: &mut Entry, x: Extras, zone: Option<chrono_tz::Tz>) {
    // Markup always wins: feed-rs read only the text before its first tag.
    match (x.title, x.dc_title.or(x.media_title)) {
        (Some(Value::Markup(m)), _) => entry.title = Some(html(m)),
        (_, Some(other)) if blank(entry.title.as_ref()) => entry.title = Some(text_or_html(other)),
        _ => {}
    }
    // An `itunes:summary` that feed-rs did read is a media description, which
    // [`super::normalize`] falls back to already.
    let media_described = entry.media.iter().any(|m| !blank(m.description.as_ref()));
    let itunes = x.itunes_summary.filter(|_| !media_described);
    match (x.description, x.dc_description.or(itunes)) {
        (Some(Value::Markup(m)), _) => entry.summary = Some(html(m)),
        (_, Some(other)) if blank(entry.summary.as_ref()) => {
            entry.summary = Some(text_or_html(other))
        }
        _ => {}
    }
    let date = |v: Option<Value>| match v {
        Some(Value::Text(t)) => super::dates::parse_date_in(&t, zone),
        _ => None,
    };
    if let (true, Some(Value::Text(name))) = (entry.authors.is_empty(), x.dc_author) {
        entry.authors.push(feed_rs::model::Person {
            name: Some(name),
            uri: None,
            email: None,
            role: None,
        });
    }
    if let (None, Some(Value::Text(lang))) = (&entry.language, x.dc_language) {
        entry.language = Some(lang);
    }
    if entry.published.is_none() {
        entry.published = date(x.issued);
    }
    if entry.updated.is_none() {
        entry.updated = date(x.modified);
    }
    // Checked against a set: an item may carry thousands (the item keeps 20 in the end).
    let mut known: std::collections::HashSet<String> =
        entry.categories.iter().map(|c| c.term.clone()).collect();
    for subject in x.subjects {
        if known.insert(subject.clone()) {
            entry.categories.push(feed_rs::model::Category {
                term: subject,
                scheme: None,
                label: None,
                subcategories: Vec::new(),
            });
        }
    }
    if let Some(Value::Markup(m)) = x.encoded {
        entry.content = Some(Content {
            body: Some(m),
            content_type: MediaTypeBuf::new(names::TEXT, names::HTML),
            length: None,
            src: entry.content.take().and_then(|c| c.src),
        });
    }
}

fn blank(t: Option<&Text>) -> bool {
    t.is_none_or(|t| t.content.trim().is_empty())
}

fn html(content: String) -> Text {
    Text {
        content_type: MediaTypeBuf::new(names::TEXT, names::HTML),
        src: None,
        content,
    }
}

fn text_or_html(v: Value) -> Text {
    match v {
        Value::Markup(m) => html(m),
        Value::Text(content) => Text {
            content_type: MediaTypeBuf::new(names::TEXT, names::PLAIN),
            src: None,
            content,
        },
    }
}

/// Whether an RSS `<title>`, `<description>` or `<content:encoded>` anywhere in `text` holds
/// a tag outside CDATA: a quick look that spares well-formed feeds the second pass.
fn has_raw_markup(text: &str) -> bool {
    ["title", "description", "content:encoded"]
        .iter()
        .any(|name| raw_markup_in(text, name))
}

fn raw_markup_in(text: &str, name: &str) -> bool {
    let open = format!("<{name}");
    let close = format!("</{name}");
    let mut i = 0;
    while let Some(off) = super::markup::find_in(&text[i..], &open) {
        let start = i + off + open.len();
        let rest = &text[start..];
        // `<title>` or `<title …>`, not `<titles>`; an empty element holds nothing.
        let Some(gt) = rest.find('>') else {
            return false;
        };
        let boundary = rest.starts_with(['>', ' ', '\t', '\r', '\n']);
        let body_start = start + gt + 1;
        if rest[..gt].ends_with('/') {
            // Empty: its "end" would be the next element's.
            i = body_start;
            continue;
        }
        let Some(end) = super::markup::find_in(&text[body_start..], &close) else {
            return false;
        };
        if boundary && !rest[..gt].ends_with('/') && has_tag(&text[body_start..body_start + end]) {
            return true;
        }
        i = body_start + end;
    }
    false
}

/// A tag (`<p`, `</p`, `<br/>`) outside CDATA sections and comments.
fn has_tag(body: &str) -> bool {
    let mut rest = body;
    while let Some(lt) = rest.find('<') {
        let after = &rest[lt..];
        let skip = |open: &str, close: &str| {
            after
                .strip_prefix(open)
                .map(|b| super::markup::find_in(b, close).map_or("", |e| &b[e + close.len()..]))
        };
        if let Some(next) = skip("<![CDATA[", "]]>").or_else(|| skip("<!--", "-->")) {
            rest = next;
            continue;
        }
        if after[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/') {
            return true;
        }
        rest = &after[1..];
    }
    false
}

/// Which of the elements it reads a child of an item is.
#[derive(Clone, Copy)]
enum Wanted {
    Title,
    Description,
    Encoded,
    DcTitle,
    DcDescription,
    MediaTitle,
    ItunesSummary,
    DcSubject,
    Issued,
    Modified,
    DcAuthor,
    DcLanguage,
}

fn wanted(ns: &ResolveResult<'_>, local: &str) -> Option<Wanted> {
    let rss = match ns {
        ResolveResult::Unbound => true,
        ResolveResult::Bound(Namespace(ns)) => RSS.contains(ns),
        ResolveResult::Unknown(_) => false,
    };
    let is = |uri: &str| matches!(ns, ResolveResult::Bound(Namespace(n)) if *n == uri);
    match local {
        "title" if rss => Some(Wanted::Title),
        "description" if rss => Some(Wanted::Description),
        "encoded" if is(CONTENT) => Some(Wanted::Encoded),
        "title" if is(DUBLIN_CORE) => Some(Wanted::DcTitle),
        "description" if is(DUBLIN_CORE) => Some(Wanted::DcDescription),
        "subject" if is(DUBLIN_CORE) => Some(Wanted::DcSubject),
        "issued" | "created" if is(DC_TERMS) => Some(Wanted::Issued),
        "modified" if is(DC_TERMS) => Some(Wanted::Modified),
        "author" if is(DUBLIN_CORE) => Some(Wanted::DcAuthor),
        "language" if is(DUBLIN_CORE) => Some(Wanted::DcLanguage),
        "title" if is(MEDIA) => Some(Wanted::MediaTitle),
        "summary" if matches!(ns, ResolveResult::Bound(Namespace(n)) if n.eq_ignore_ascii_case(ITUNES)) => {
            Some(Wanted::ItunesSummary)
        }
        _ => None,
    }
}

/// The wanted elements of every `<item>` (not nested in another), in document order; `None`
/// when quick-xml cannot read the document.
fn read_items(text: &str) -> Option<Vec<Extras>> {
    let mut reader = NsReader::from_str(text);
    // Unescaped HTML is not always balanced: `<p>` without `</p>` must not stop the pass.
    reader.config_mut().check_end_names = false;
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<(usize, Extras)> = None;
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        match event {
            Event::Start(e) => {
                depth += 1;
                let local = e.local_name();
                let local = local.as_ref();
                match &mut current {
                    None if local == "item" => current = Some((depth, Extras::default())),
                    Some((item_depth, extras)) if depth == *item_depth + 1 => {
                        let which = wanted(&ns, local);
                        let name = e.name().as_ref().to_string();
                        depth -= 1;
                        match which {
                            Some(w) => {
                                let raw = reader.read_text(QName(&name)).ok()?;
                                extras.take(w, &raw);
                            }
                            None => {
                                extras.linked |= local == "link";
                                reader.read_to_end(QName(&name)).ok()?;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::End(_) => {
                if let Some(&(item_depth, _)) = current.as_ref() {
                    if depth == item_depth {
                        items.extend(current.take().map(|(_, x)| x));
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Empty(e) if current.is_none() && e.local_name().as_ref() == "item" => {
                items.push(Extras::default());
            }
            Event::Eof => return Some(items),
            _ => {}
        }
    }
}

/// An element's content as written: markup when it holds a tag, else decoded text.
fn value(raw: &str) -> Option<Value> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if has_tag(raw) {
        return Some(Value::Markup(unwrap_cdata(raw, as_is, as_is)));
    }
    let text = unwrap_cdata(
        raw,
        |s, out| out.push_str(&html_escape::decode_html_entities(s)),
        as_is,
    );
    let text = text.trim();
    (!text.is_empty()).then(|| Value::Text(text.to_string()))
}

/// `raw` with its CDATA sections unwrapped: `inside` writes a section's content, `outside`
/// the rest.
pub(super) fn unwrap_cdata(
    raw: &str,
    outside: impl Fn(&str, &mut String),
    inside: impl Fn(&str, &mut String),
) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find("<![CDATA[") {
        outside(&rest[..at], &mut out);
        let body = &rest[at + "<![CDATA[".len()..];
        let end = body.find("]]>").unwrap_or(body.len());
        inside(&body[..end], &mut out);
        rest = body.get(end + 3..).unwrap_or("");
    }
    outside(rest, &mut out);
    out
}

/// Writes `s` as it is.
pub(super) fn as_is(s: &str, out: &mut String) {
    out.push_str(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_outside_cdata_and_comments_are_markup() {
        assert!(has_tag("Hello <b>world</b>"));
        assert!(has_tag("<p>x"));
        assert!(has_tag("a<br/>b"));
        assert!(!has_tag("<![CDATA[<p>x</p>]]>"));
        assert!(!has_tag("a <!-- <p> --> b"));
        assert!(!has_tag("1 < 2 and 3 > 2"));
        assert!(!has_tag("&lt;p&gt;escaped&lt;/p&gt;"));
    }

    #[test]
    fn the_quick_look_finds_only_unescaped_markup() {
        let escaped =
            "<item><title>A</title><description>&lt;p&gt;x&lt;/p&gt;</description></item>";
        let cdata = "<item><description><![CDATA[<p>x</p>]]></description></item>";
        let raw = "<item><description>Hello <b>world</b></description></item>";
        let raw_title = "<item><title>A <em>b</em></title></item>";
        let encoded = "<item><content:encoded><p>x</p></content:encoded></item>";
        assert!(!has_raw_markup(escaped));
        assert!(!has_raw_markup(cdata));
        assert!(has_raw_markup(raw));
        assert!(has_raw_markup(raw_title));
        assert!(has_raw_markup(encoded));
        assert!(!has_raw_markup("<titles><p>x</p></titles>"));
        assert!(!has_raw_markup("<description/><p>x</p>"));
    }

    #[test]
    fn values_keep_markup_and_decode_text() {
        assert_eq!(
            value(" Hello <b>world</b> <![CDATA[&amp; more]]> "),
            Some(Value::Markup("Hello <b>world</b> &amp; more".into()))
        );
        assert_eq!(
            value("R&amp;D <![CDATA[& co]]>"),
            Some(Value::Text("R&D & co".into()))
        );
        assert_eq!(value("  "), None);
        assert_eq!(value("<![CDATA[ ]]>"), None);
    }

    #[test]
    fn items_are_read_in_order_and_nested_elements_skipped() {
        let doc = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Channel <b>title</b></title>
<item><title>One</title><description><p>First <i>body</i></p></description>
  <source url="http://x.example/"><title>not this</title></source></item>
<item><dc:title>Two</dc:title><dc:description>Second</dc:description></item>
<item/>
</channel></rss>"#;
        let items = read_items(doc).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].title, Some(Value::Text("One".into())));
        assert_eq!(
            items[0].description,
            Some(Value::Markup("<p>First <i>body</i></p>".into()))
        );
        assert_eq!(items[1].dc_title, Some(Value::Text("Two".into())));
        assert_eq!(items[1].dc_description, Some(Value::Text("Second".into())));
        assert_eq!(items[1].title, None);
        assert_eq!(items[2], Extras::default());
    }

    #[test]
    fn rss_1_items_and_unbalanced_html_are_read() {
        let doc = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="x"><title>C</title></channel>
<item rdf:about="a"><title>A</title><description>one<br>two</description></item>
</rdf:RDF>"#;
        let items = read_items(doc).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].description,
            Some(Value::Markup("one<br>two".into()))
        );
    }
}
