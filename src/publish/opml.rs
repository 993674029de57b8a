//! OPML 2.0 subscription list, written with quick-xml so every attribute is escaped.
//!
//! One `<outline type="rss">` per source with `text` and `title` (its name), `xmlUrl` (its
//! feed) and `htmlUrl` when its site is known. No dates in `<head>`: the same sources give
//! the same bytes.

use std::io;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use super::view;
use super::SourceInfo;

/// Renders the list.
pub fn render(title: &str, sources: &[SourceInfo]) -> Vec<u8> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    let result = write(&mut writer, &view::clean(title), sources);
    view::written(result.map(|()| {
        let mut bytes = writer.into_inner();
        bytes.push(b'\n');
        bytes
    }))
}

fn write(w: &mut Writer<Vec<u8>>, title: &str, sources: &[SourceInfo]) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("opml")
        .with_attribute(("version", "2.0"))
        .write_inner_content(|w| {
            w.create_element("head").write_inner_content(|w| {
                w.create_element("title")
                    .write_text_content(BytesText::new(title))?;
                Ok(())
            })?;
            w.create_element("body").write_inner_content(|w| {
                for source in sources {
                    outline(w, &view::clean_source(source))?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

fn outline(w: &mut Writer<Vec<u8>>, s: &SourceInfo) -> io::Result<()> {
    let mut element = w.create_element("outline").with_attributes([
        ("type", "rss"),
        ("text", s.title.as_str()),
        ("title", s.title.as_str()),
        ("xmlUrl", s.url.as_str()),
    ]);
    if let Some(site) = &s.site_url {
        element = element.with_attribute(("htmlUrl", site.as_str()));
    }
    element.write_empty()?;
    Ok(())
}
