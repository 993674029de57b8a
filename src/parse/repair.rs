//! Repairs of an XML document before feed-rs reads it, for what it would reject or drop: an
//! `<rss>` of another version or without `<channel>`, relative RSS enclosures, RSS 1.0 items
//! without a `<link>`.

use url::Url;

use super::markup::{attr_value, root_start};
use super::urls;

/// feed-rs only accepts `<rss version="2.0|0.91|0.92|">`; real feeds also say 0.93, 0.94,
/// 2.01 or nothing. Those are all RSS 2.0 for our purposes.
pub(super) fn repair_rss_version(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = find_root_rss(text) else {
        return text.into();
    };
    let Some(len) = text[start..].find('>') else {
        return text.into();
    };
    let tag = &text[start..start + len];
    let version = attr_value(tag, "version");
    match version {
        Some("2.0" | "0.91" | "0.92" | "") => text.into(),
        Some(v) => {
            let fixed = tag.replacen(&format!("\"{v}\""), "\"2.0\"", 1).replacen(
                &format!("'{v}'"),
                "'2.0'",
                1,
            );
            format!("{}{}{}", &text[..start], fixed, &text[start + len..]).into()
        }
        None => format!(
            "{}<rss version=\"2.0\"{}",
            &text[..start],
            &text[start + 4..]
        )
        .into(),
    }
}

/// An RSS document with its relative `<enclosure url>`s made absolute (`None` when it has
/// none): feed-rs drops an enclosure whose URL is relative. They are resolved as item links
/// are: against the item's `<link>`, else the channel's, else the fetch URL.
pub(super) fn absolute_enclosures(text: &str, fetch_url: Option<&Url>) -> Option<String> {
    if !text.contains("<enclosure") {
        return None;
    }
    let link_in = |part: &str, bases: &[Option<&Url>]| {
        let start = part.find("<link>")? + "<link>".len();
        let end = part[start..].find("</link>")?;
        urls::resolve(&part[start..start + end], bases)
    };
    let first_item = text.find("<item").unwrap_or(text.len());
    let channel_link = link_in(&text[..first_item], &[fetch_url]);
    let mut out = String::new();
    let mut copied = 0;
    let mut from = 0;
    // The item the last enclosure was in: where it starts, and its link. Each part of the
    // document is searched once, however many enclosures or items it has.
    let mut scanned = 0;
    let mut item_start = 0;
    let mut item: Option<(usize, Option<Url>)> = None;
    while let Some(at) = text[from..].find("<enclosure").map(|i| from + i) {
        from = at + 1;
        // The tag ends at the first `>`; a `<` first means it never does.
        let Some(tag_len) = text[at + 1..].find(['>', '<']).map(|i| i + 1) else {
            break;
        };
        if text.as_bytes()[at + tag_len] == b'<' {
            continue;
        }
        let tag = &text[at..at + tag_len];
        let Some(attr) = tag.find("url=") else {
            continue;
        };
        let Some(quote) = tag[attr + 4..]
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
        else {
            continue;
        };
        let value_start = attr + 5;
        let Some(value_len) = tag[value_start..].find(quote) else {
            continue;
        };
        let value = tag[value_start..value_start + value_len].replace("&amp;", "&");
        let value_start = at + value_start;
        if !matches!(
            Url::parse(value.trim()),
            Err(url::ParseError::RelativeUrlWithoutBase)
        ) {
            continue;
        }
        while let Some(off) = text[scanned..at].find("<item") {
            item_start = scanned + off;
            scanned = item_start + 1;
        }
        scanned = scanned.max(at);
        if item.as_ref().is_none_or(|(start, _)| *start != item_start) {
            // The item ends at its `</item>`, or where the next one starts.
            let next = text[at..].find("<item").map_or(text.len(), |e| at + e);
            let end = text[at..next].find("</item>").map_or(next, |e| at + e);
            // The item's link, itself relative now and then, is resolved first.
            let link = link_in(&text[item_start..end], &[channel_link.as_ref(), fetch_url]);
            item = Some((item_start, link));
        }
        let item_link = item.as_ref().and_then(|(_, link)| link.clone());
        let bases = [item_link.as_ref(), channel_link.as_ref(), fetch_url];
        let Some(absolute) = urls::resolve(&value, &bases) else {
            continue;
        };
        out.push_str(&text[copied..value_start]);
        out.push_str(&absolute.as_str().replace('&', "&amp;"));
        copied = value_start + value_len;
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// An RSS 1.0 document whose items without a `<link>` get one from their `rdf:about` (the
/// item's URI, which RSS 1.0 has be its link); `None` when there is none to add. feed-rs
/// drops an RSS 1.0 item that has no link.
pub(super) fn link_from_about(text: &str) -> Option<String> {
    if !text.contains("RDF") || !text.contains("rdf:about") {
        return None;
    }
    let mut out = String::new();
    let mut copied = 0;
    let mut from = 0;
    while let Some(at) = text[from..].find("<item").map(|i| from + i) {
        // The tag ends at the first `>`; a `<` first means it never does. Either way the
        // next search starts there, so no byte is scanned twice (`<item<item<item…` would
        // otherwise cost the square of its length).
        let Some(tag_len) = text[at + 1..].find(['>', '<']).map(|i| i + 1) else {
            break;
        };
        from = at + tag_len;
        if text.as_bytes()[at + tag_len] == b'<' {
            continue;
        }
        let tag = &text[at..at + tag_len];
        if !tag[5..].starts_with(char::is_whitespace) || tag.ends_with('/') {
            continue;
        }
        let Some(about) = attr_value(tag, "rdf:about").filter(|a| !a.trim().is_empty()) else {
            continue;
        };
        let body_start = at + tag_len + 1;
        // The item ends at its `</item>`, or at the next `<item` when that is missing: each
        // byte is looked at once however broken the document.
        let next_item = text[body_start..]
            .find("<item")
            .map_or(text.len(), |e| body_start + e);
        let body_end = text[body_start..next_item]
            .find("</item>")
            .map_or(next_item, |e| body_start + e);
        if text[body_start..body_end].contains("<link") {
            continue;
        }
        out.push_str(&text[copied..body_start]);
        out.push_str("<link>");
        out.push_str(about.trim());
        out.push_str("</link>");
        copied = body_start;
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// `<rss>` whose items sit directly under the root, without `<channel>`: wrap them in one.
pub(super) fn wrap_missing_channel(text: std::borrow::Cow<'_, str>) -> std::borrow::Cow<'_, str> {
    let Some(start) = find_root_rss(&text) else {
        return text;
    };
    if text.contains("<channel") {
        return text;
    }
    let open_end = text[start..].find('>').map(|i| start + i + 1);
    let (Some(open_end), Some(close)) = (open_end, text.rfind("</rss")) else {
        return text;
    };
    if text[..open_end].ends_with("/>") || close < open_end {
        return text;
    }
    let wrapped = format!(
        "{}<channel>{}</channel>{}",
        &text[..open_end],
        &text[open_end..close],
        &text[close..]
    );
    wrapped.into()
}

fn find_root_rss(text: &str) -> Option<usize> {
    let at = root_start(text)?;
    let after = &text[at..];
    let is_rss = after.starts_with("<rss")
        && after[4..].starts_with(|c: char| c.is_whitespace() || c == '>');
    is_rss.then_some(at)
}
