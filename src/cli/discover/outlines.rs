//! The feeds of an OPML subscription list: its outlines read in document order, with the
//! folders they are in, and their addresses read as http(s) URLs.

use url::Url;

use super::Outline;

/// The feeds of an OPML document, in document order (categories are outlines holding
/// outlines): each `xmlUrl` that is an http(s) URL.
pub(super) fn opml_feeds(text: &str) -> Result<Vec<Outline>, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out: Vec<Outline> = Vec::new();
    let mut saw_opml = false;
    // The open outlines: a folder's name, or None for an outline that is no folder.
    let mut open: Vec<Option<String>> = Vec::new();
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        let (e, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                if e.local_name().as_ref().eq_ignore_ascii_case("outline") {
                    open.pop();
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = e.local_name();
        if name.as_ref().eq_ignore_ascii_case("opml") {
            saw_opml = true;
        }
        if !name.as_ref().eq_ignore_ascii_case("outline") {
            continue;
        }
        let (mut url, mut title, mut text, mut category) = (None, None, None, None);
        for attr in e.attributes().flatten() {
            // A value with a broken escape (`&nbsp;`, a bare `&`) is read as written.
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| attr.value.to_string())
                .trim()
                .to_string();
            match attr.key.local_name().as_ref() {
                "xmlUrl" | "xmlurl" => url = Some(value),
                "title" => title = Some(value),
                "text" => text = Some(value),
                "category" => category = Some(value),
                _ => {}
            }
        }
        let title = title
            .filter(|t| !t.is_empty())
            .or(text.filter(|t| !t.is_empty()));
        if !empty {
            open.push(if url.is_none() { title.clone() } else { None });
        }
        let Some(written) = url else { continue };
        let Some(url) = feed_url(&written) else {
            eprintln!("passed over {written:?}: not an http(s) feed address");
            continue;
        };
        if out.iter().any(|o| o.url == url) {
            continue;
        }
        let mut categories: Vec<String> = open.iter().flatten().cloned().collect();
        // OPML 2.0: `category="/Culture,/Partners/Serbia"`, slash-delimited paths.
        for path in category.iter().flat_map(|c| c.split(',')) {
            if let Some(last) = path.split('/').map(str::trim).rfind(|p| !p.is_empty()) {
                categories.push(last.to_string());
            }
        }
        categories.dedup();
        out.push(Outline {
            url,
            title,
            categories,
        });
    }
    if !saw_opml {
        return Err("no <opml> element".into());
    }
    Ok(out)
}

/// An outline's `xmlUrl` as an http(s) URL; the `feed:` pseudo-scheme some readers write
/// (`feed://host/rss`, `feed:https://host/rss`) is read as the address it stands for.
pub(super) fn feed_url(written: &str) -> Option<Url> {
    let written = written.trim();
    let plain = match written.strip_prefix("feed:") {
        Some(rest) if rest.starts_with("//") => format!("http:{rest}"),
        Some(rest) => rest.to_string(),
        None => written.to_string(),
    };
    Url::parse(&plain)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}
