//! The OPML list: well-formed, one outline per source with its feed URL, escaped attributes.

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

use super::{assert_well_formed, lookup};
use crate::publish::{render_opml, SourceInfo};

/// The attributes of every `outline`, in document order.
fn outlines(bytes: &[u8]) -> Vec<Vec<(String, String)>> {
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut found = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).expect("well-formed OPML") {
            Event::Empty(e) | Event::Start(e) if e.name().as_ref() == "outline" => {
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.expect("attribute");
                        let key = a.key.as_ref().to_string();
                        let value = a.normalized_value(XmlVersion::Implicit1_0).expect("value");
                        (key, value.into_owned())
                    })
                    .collect();
                found.push(attrs);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    found
}

fn attr<'a>(outline: &'a [(String, String)], key: &str) -> Option<&'a str> {
    outline
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[test]
fn opml_has_one_outline_per_source_with_its_feed_url() {
    let sources: Vec<SourceInfo> = ["bprg", "partner-news"]
        .into_iter()
        .filter_map(lookup)
        .collect();
    let bytes = render_opml("Tributary sources", &sources);
    assert_well_formed(&bytes);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains(r#"<opml version="2.0">"#));
    assert!(text.contains("<title>Tributary sources</title>"));

    let outlines = outlines(&bytes);
    assert_eq!(outlines.len(), 2);
    for (outline, source) in outlines.iter().zip(&sources) {
        assert_eq!(attr(outline, "type"), Some("rss"));
        assert_eq!(attr(outline, "text"), Some(source.title.as_str()));
        assert_eq!(attr(outline, "title"), Some(source.title.as_str()));
        assert_eq!(attr(outline, "xmlUrl"), Some(source.url.as_str()));
        assert_eq!(attr(outline, "htmlUrl"), source.site_url.as_deref());
    }
    // `&` in a title and a query string is escaped, not written raw.
    assert!(text.contains("Partner News &amp; Views"));
    assert!(text.contains("rss?lang=sr&amp;format=2"));
    assert_eq!(
        bytes,
        render_opml("Tributary sources", &sources),
        "stable bytes"
    );
}

#[test]
fn empty_opml_is_well_formed() {
    let bytes = render_opml("No sources \u{1}yet", &[]);
    assert_well_formed(&bytes);
    assert!(outlines(&bytes).is_empty());
    assert!(!bytes.contains(&1u8));
}
