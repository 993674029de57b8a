//! Where a lazily loaded picture's real source is: whether an `<img>` has no picture of its
//! own in `src` (a quick look at the raw markup, before the rewriter reads it), and the
//! largest candidate of a `srcset`.

use crate::parse::markup::attributes;

/// Whether the `srcset` found at `at` is in an `<img>` tag without a usable `src` (none, an
/// empty one or a `data:` placeholder), as a quick look before the rewriter: the tag runs from
/// the last `<img` before it (a `<` that starts no tag, as in `alt="I <3 it"`, passed over) to
/// the `>` after it, where the look ends (returned with the answer).
pub(super) fn in_image_without_src(html: &str, at: usize) -> (bool, usize) {
    let bytes = html.as_bytes();
    let end = memchr::memchr(b'>', &bytes[at..]).map_or(bytes.len(), |e| at + e);
    let mut start = None;
    for lt in memchr::memrchr_iter(b'<', &bytes[..at]) {
        let name = &bytes[lt + 1..at];
        if name.len() > 3
            && name[..3].eq_ignore_ascii_case(b"img")
            && (name[3].is_ascii_whitespace() || name[3] == b'/')
        {
            start = Some(lt + 4);
            break;
        }
        // Another tag's start (a letter, `/`, `!`): the `srcset` is in no `<img>`.
        if name
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!'))
        {
            return (false, end);
        }
    }
    let Some(start) = start else {
        return (false, end);
    };
    let tag = &bytes[start..end];
    let usable_src = attributes(tag).any(|(name, value)| {
        name.eq_ignore_ascii_case(b"src") && value.is_some_and(|v| !is_placeholder(v))
    });
    (!usable_src, end)
}

/// Whether an `<img>`'s `src` is no picture of its own: empty, or a `data:` placeholder that a
/// lazy-loading script replaces.
pub(super) fn is_placeholder(src: &[u8]) -> bool {
    let src = src.trim_ascii();
    src.is_empty()
        || src
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"data:"))
}

/// The candidate of a `srcset` with the largest width or density descriptor (one without
/// counts as `1x`) among those `usable` takes, as the HTML standard splits it: a URL runs to
/// whitespace (a comma at its end ends the candidate), its descriptor to the next comma.
pub(super) fn largest_candidate(srcset: &str, usable: impl Fn(&str) -> bool) -> Option<&str> {
    let mut best: Option<(&str, f64)> = None;
    let mut rest = srcset;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
        if rest.is_empty() {
            break;
        }
        let end = rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let (mut url, after) = rest.split_at(end);
        rest = after;
        let mut descriptor = "";
        if url.ends_with(',') {
            url = url.trim_end_matches(',');
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            descriptor = rest[..end].trim();
            rest = &rest[end..];
        }
        let size = if descriptor.is_empty() {
            Some(1.0)
        } else {
            descriptor
                .strip_suffix(['w', 'x'])
                .and_then(|n| n.parse::<f64>().ok())
                .filter(|n| n.is_finite() && *n > 0.0)
        };
        if let Some(size) = size.filter(|_| !url.is_empty() && usable(url)) {
            if best.is_none_or(|(_, b)| size > b) {
                best = Some((url, size));
            }
        }
    }
    best.map(|(url, _)| url)
}
