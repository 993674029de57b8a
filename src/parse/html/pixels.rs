//! Tracking pixels: the hosts that serve nothing but read receipts, and the scan of
//! sanitized markup that drops their images and images 0 or 1 pixel wide and high from
//! other sites.

use std::borrow::Cow;

use url::Url;

use super::serialized::{serialized_attribute, serialized_tags};

/// Image hosts that serve nothing but read receipts.
pub(super) const TRACKER_HOSTS: &[&str] = &[
    "feeds.feedburner.com",
    "feedpress.me",
    "pixel.wp.com",
    "stats.wordpress.com",
    "www.google-analytics.com",
    "google-analytics.com",
    "pixel.quantserve.com",
    "sb.scorecardresearch.com",
    "www.facebook.com",
    "pixel.mailchimp.com",
    "ad.doubleclick.net",
];

/// Sanitized HTML without its tracking pixels, found by a scan of its tags (every URL in
/// them is already absolute): the sanitizer's output is html5ever's serialization, whose tags
/// [`serialized_tags`] reads without a second tokenizer.
pub(super) fn drop_tracking_pixels(html: String, item_host: Option<&str>) -> String {
    let mut out = String::new();
    let mut copied = 0;
    for tag in serialized_tags(&html) {
        let pixel = tag.name == "img"
            && is_tracking_pixel(|name| serialized_attribute(tag.attributes, name), item_host);
        if pixel {
            out.push_str(&html[copied..tag.start]);
            copied = tag.end;
        }
    }
    if copied == 0 {
        return html;
    }
    out.push_str(&html[copied..]);
    out
}

/// An image (its `src` absolute) that is a tracking pixel; `attribute` gives the value of
/// one of its attributes.
pub(super) fn is_tracking_pixel<'a>(
    attribute: impl Fn(&str) -> Option<Cow<'a, str>>,
    item_host: Option<&str>,
) -> bool {
    let Some(src) = attribute("src") else {
        return false;
    };
    // Only its host is read: the URL is already absolute and canonical.
    let url = Url::parse(src.trim()).ok();
    let Some(host) = url
        .as_ref()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .and_then(Url::host_str)
    else {
        return false;
    };
    if TRACKER_HOSTS.contains(&host) {
        return true;
    }
    let tiny = |name: &str| attribute(name).is_some_and(|v| is_tiny(&v));
    let foreign = item_host.is_none_or(|h| !same_site(h, host));
    tiny("width") && tiny("height") && foreign
}

/// A width or height of 0 or 1 pixel.
pub(super) fn is_tiny(value: &str) -> bool {
    let v = value.trim().trim_end_matches("px").trim();
    v == "0" || v == "1"
}

fn same_site(a: &str, b: &str) -> bool {
    let strip = |h: &str| h.strip_prefix("www.").unwrap_or(h).to_ascii_lowercase();
    strip(a) == strip(b)
}
