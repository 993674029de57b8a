//! Atom 0.3, the draft that Blogger, early WordPress and others served for years, rewritten
//! as Atom 1.0 for feed-rs, which reads only 1.0.
//!
//! The two differ in a few names (`issued` → `published`, `modified` → `updated`,
//! `tagline` → `subtitle`, `copyright` → `rights`, an author's `url` → `uri`) and in text
//! constructs: 0.3 gives a MIME type and a `mode` (`xml`, the default: the markup inline;
//! `escaped`; `base64`), 1.0 a type of `text`, `html` or `xhtml`. Each text construct is
//! rewritten as escaped `text` or `html` holding what the reader of a 0.3 feed would see.

use std::borrow::Cow;

use base64::Engine;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";

/// Elements whose content is a text construct.
const TEXT_CONSTRUCTS: &[&str] = &["title", "tagline", "copyright", "summary", "content"];

/// `text` as Atom 1.0 when it is an Atom 0.3 document (in the default namespace); `None` for
/// anything else, or a document quick-xml cannot read through.
pub(super) fn to_atom10(text: &str) -> Option<String> {
    let root = &text[super::markup::root_start(text)?..];
    let root = &root[..root.find('>')?];
    // The root is `<feed>` in the 0.3 namespace by default (a 1.0 feed that merely declares
    // the old namespace under a prefix is left alone).
    let default_ns = root
        .strip_prefix("<feed")
        .filter(|r| r.starts_with(char::is_whitespace))
        .and_then(|r| super::markup::attr_value(r, "xmlns"));
    if default_ns != Some(ATOM_03) {
        return None;
    }
    let mut reader = Reader::from_str(text);
    let mut writer = Writer::new(Vec::with_capacity(text.len() + text.len() / 8));
    loop {
        match reader.read_event().ok()? {
            Event::Eof => break,
            Event::Start(e) if is_text_construct(&e) => {
                let name = e.name().as_ref().to_string();
                let raw = reader.read_text(e.name()).ok()?;
                let (kind, body) = text_construct(&e, &raw);
                writer
                    .write_event(Event::Start(start(&e, Some(kind))))
                    .ok()?;
                writer
                    .write_event(Event::Text(BytesText::new(&body)))
                    .ok()?;
                writer
                    .write_event(Event::End(BytesEnd::new(renamed(&name))))
                    .ok()?;
            }
            Event::Start(e) if e.name().as_ref() == "info" => {
                // Atom 0.3's note about the feed itself has no place in 1.0.
                reader.read_to_end(e.name()).ok()?;
            }
            Event::Start(e) => writer.write_event(Event::Start(start(&e, None))).ok()?,
            Event::Empty(e) => writer.write_event(Event::Empty(start(&e, None))).ok()?,
            Event::End(e) => {
                let name = renamed(e.name().as_ref()).to_string();
                writer.write_event(Event::End(BytesEnd::new(name))).ok()?;
            }
            other => writer.write_event(other).ok()?,
        }
    }
    String::from_utf8(writer.into_inner()).ok()
}

fn is_text_construct(e: &BytesStart<'_>) -> bool {
    TEXT_CONSTRUCTS.contains(&e.name().as_ref())
}

/// The Atom 1.0 name of an unprefixed Atom 0.3 element (others keep theirs).
fn renamed(name: &str) -> &str {
    match name {
        "issued" => "published",
        "modified" => "updated",
        "tagline" => "subtitle",
        "copyright" => "rights",
        "url" => "uri",
        other => other,
    }
}

/// The start tag renamed, the namespace declared as Atom 1.0, `version` dropped; with `kind`,
/// a text construct's `type` and `mode` replaced by `type="kind"`.
fn start(e: &BytesStart<'_>, kind: Option<&str>) -> BytesStart<'static> {
    let mut out = BytesStart::new(renamed(e.name().as_ref()).to_string());
    for attr in e.attributes().flatten() {
        let key = attr.key.as_ref();
        match key {
            "xmlns" if attr.value == ATOM_03 => out.push_attribute(("xmlns", ATOM_10)),
            "version" if e.name().as_ref() == "feed" => {}
            "type" | "mode" if kind.is_some() => {}
            // The value as written: it is escaped already.
            _ => out.push_attribute(attr),
        }
    }
    if let Some(kind) = kind {
        out.push_attribute(("type", kind));
    }
    out.into_owned()
}

/// A text construct's 1.0 type and its content as that type: `raw` is the element's content
/// as written.
fn text_construct(e: &BytesStart<'_>, raw: &str) -> (&'static str, String) {
    let attr = |name: &str| {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == name)
            .map(|a| a.value.trim().to_ascii_lowercase())
    };
    let mime = attr("type").unwrap_or_else(|| "text/plain".into());
    let mode = attr("mode").unwrap_or_else(|| "xml".into());
    let html = mime.contains("html");
    let body = match mode.as_str() {
        "escaped" => unescape(raw).into_owned(),
        "base64" => {
            let encoded: String = unescape(raw).split_whitespace().collect();
            match base64::engine::general_purpose::STANDARD.decode(encoded.as_bytes()) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(_) => encoded,
            }
        }
        // Inline: the markup as written is the HTML (a CDATA section in it is text);
        // plain text is unescaped.
        _ if html => inline_html(raw),
        _ => unescape(raw).into_owned(),
    };
    (if html { "html" } else { "text" }, body.trim().to_string())
}

/// Inline XML content read as HTML: the markup as written, a CDATA section's text escaped.
fn inline_html(raw: &str) -> String {
    use super::rss_extras::{as_is, unwrap_cdata};
    unwrap_cdata(raw, as_is, |s, out| {
        out.push_str(&html_escape::encode_text(s))
    })
}

/// The text of XML content as written: entities decoded, CDATA sections as they are.
fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') && !raw.contains("<![CDATA[") {
        return raw.into();
    }
    super::rss_extras::unwrap_cdata(
        raw,
        |s, out| {
            out.push_str(
                &quick_xml::escape::unescape(s)
                    .unwrap_or_else(|_| html_escape::decode_html_entities(s)),
            )
        },
        super::rss_extras::as_is,
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(body: &str) -> String {
        let doc =
            format!(r#"<?xml version="1.0"?><feed version="0.3" xmlns="{ATOM_03}">{body}</feed>"#);
        to_atom10(&doc).unwrap()
    }

    #[test]
    fn only_atom_03_documents_are_rewritten() {
        assert_eq!(
            to_atom10(r#"<feed xmlns="http://www.w3.org/2005/Atom"></feed>"#),
            None
        );
        assert_eq!(to_atom10("<rss version=\"2.0\"><channel/></rss>"), None);
        let out = convert("<title>T</title>");
        assert!(
            out.contains(&format!(r#"<feed xmlns="{ATOM_10}">"#)),
            "{out}"
        );
        assert!(!out.contains("version=\"0.3\""), "{out}");
    }

    #[test]
    fn names_change_to_their_atom_1_forms() {
        let out = convert(
            "<tagline>S</tagline><copyright>C</copyright><info>about</info><entry>\
             <issued>2004-01-01T00:00:00Z</issued><modified>2004-01-02T00:00:00Z</modified>\
             <author><name>N</name><url>http://a.example/</url></author></entry>",
        );
        for want in [
            r#"<subtitle type="text">S</subtitle>"#,
            r#"<rights type="text">C</rights>"#,
            "<published>2004-01-01T00:00:00Z</published>",
            "<updated>2004-01-02T00:00:00Z</updated>",
            "<uri>http://a.example/</uri>",
        ] {
            assert!(out.contains(want), "{want} not in {out}");
        }
        assert!(!out.contains("about"), "{out}");
    }

    #[test]
    fn text_constructs_become_escaped_text_or_html() {
        let out = convert(
            r#"<entry>
            <title type="text/html" mode="escaped">&lt;b&gt;Bold&lt;/b&gt; &amp;amp;</title>
            <summary type="text/html" mode="xml">Inline <b>markup</b></summary>
            <content type="text/html" mode="base64">PHA+SGVsbG88L3A+</content>
            </entry>"#,
        );
        assert!(
            out.contains(r#"<title type="html">&lt;b&gt;Bold&lt;/b&gt; &amp;amp;</title>"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<summary type="html">Inline &lt;b&gt;markup&lt;/b&gt;</summary>"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<content type="html">&lt;p&gt;Hello&lt;/p&gt;</content>"#),
            "{out}"
        );
        assert_eq!(
            inline_html("<b>x</b><![CDATA[<i> & ]]>"),
            "<b>x</b>&lt;i&gt; &amp; "
        );
        let plain = convert("<entry><title><![CDATA[R&D <now>]]> &amp; co</title></entry>");
        assert!(
            plain.contains(r#"<title type="text">R&amp;D &lt;now&gt; &amp; co</title>"#),
            "{plain}"
        );
    }
}
