//! Link resolution and canonical URLs.
//!
//! The canonical form is what we store and republish: lowercase scheme and host (the `url`
//! crate does that and drops default ports), no fragment, no tracking parameters, every other
//! parameter kept in order. The *dedupe key* goes further, ignoring `http`/`https` and a
//! leading `www.`, so a partner that links the same story differently still matches it.

use url::Url;

/// Query parameters that only track the reader and never select content.
const TRACKING_EXACT: &[&str] = &[
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "igshid",
    "igsh",
    "mibextid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "__hssc",
    "__hstc",
    "__hsfp",
    "hsctatracking",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "rb_clickid",
    "s_cid",
    "vero_conv",
    "vero_id",
    "wickedid",
    "ncid",
    "sr_share",
    "at_medium",
    "at_campaign",
    "at_custom1",
    "at_custom2",
    "at_custom3",
    "at_custom4",
    "spm",
    "share",
    "ref_src",
];

/// Prefixes of tracking parameter names (`utm_source`, `utm_medium`, …).
const TRACKING_PREFIXES: &[&str] = &[
    "utm_",
    "pk_",
    "mtm_",
    "matomo_",
    "piwik_",
    "__twitter_impression",
];

fn is_tracking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    TRACKING_EXACT.contains(&lower.as_str())
        || TRACKING_PREFIXES.iter().any(|p| lower.starts_with(p))
}

/// Resolves `href` (absolute or relative) against the first base that is absolute, and
/// returns it canonicalized if it ends up as an http(s) URL.
pub fn resolve(href: &str, bases: &[Option<&Url>]) -> Option<Url> {
    absolute(href, bases).map(canonicalize)
}

/// [`resolve`] for a link in a story's text: the fragment stays (`#footnote-2`,
/// `report.pdf#page=12`), as the reader is meant to land there; tracking parameters go.
pub fn resolve_in_text(href: &str, bases: &[Option<&Url>]) -> Option<Url> {
    let url = absolute(href, bases)?;
    let fragment = url.fragment().map(str::to_owned);
    let mut url = canonicalize(url);
    url.set_fragment(fragment.as_deref());
    Some(url)
}

/// Longest URL read or made: a story's link, a picture's, an attachment's. Longer ones are
/// taken for none. Every relative URL of a story is joined to its link, so a link of 100 KB
/// over a few thousand pictures made gigabytes; real ones are far shorter (2,048 characters
/// is the limit sitemaps set).
pub const MAX_URL: usize = 2048;

/// `href` made absolute against the first absolute base, if it is an http(s) URL then, and
/// no longer than [`MAX_URL`].
fn absolute(href: &str, bases: &[Option<&Url>]) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.len() > MAX_URL {
        return None;
    }
    let url = match Url::parse(href) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            let base = bases.iter().flatten().next()?;
            base.join(href).ok()?
        }
        Err(_) => return None,
    };
    if url.scheme() != "http" && url.scheme() != "https" || url.as_str().len() > MAX_URL {
        return None;
    }
    Some(url)
}

/// The canonical form of an http(s) URL.
pub fn canonicalize(mut url: Url) -> Url {
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !is_tracking(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            // Keep the original spelling of the parameters we keep where possible.
            let original: Vec<&str> = url
                .query()
                .unwrap_or("")
                .split('&')
                .filter(|pair| {
                    let name = pair.split('=').next().unwrap_or("");
                    !name.is_empty() && !is_tracking(&percent_decode(name))
                })
                .collect();
            let query = original.join("&");
            url.set_query(Some(&query));
        }
    }
    url
}

/// Whether two addresses name one file, whatever their fragments and the parts of their
/// queries that only sign or version it: the same scheme, host, port and path, and the same
/// value of each query parameter that picks the file (`picks_the_file`). A CDN that signs or
/// versions its addresses gives a picture a new `?sig=…&exp=…`, `?v=…` or `?itok=…` at every
/// fetch; it is still that picture. An image service that takes the file from its query
/// (Next.js's `/_next/image?url=…`, `image.php?id=…`, timthumb's `?src=…`) shows another picture
/// under another one. Addresses that do not parse are one only when written alike.
pub fn same_but_query(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (Ok(a), Ok(b)) = (Url::parse(a), Url::parse(b)) else {
        return false;
    };
    if a[..url::Position::AfterPath] != b[..url::Position::AfterPath] {
        return false;
    }
    // Each parameter's first value (a URL is at most `MAX_URL` long: a few hundred of them).
    let params = |u: &Url| -> std::collections::HashMap<String, String> {
        let mut m = std::collections::HashMap::new();
        for (k, v) in u.query_pairs() {
            m.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
        m
    };
    let (pa, pb) = (params(&a), params(&b));
    pa.keys().chain(pb.keys()).all(|name| {
        let (va, vb) = (pa.get(name), pb.get(name));
        va == vb
            || !(picks_the_file(name)
                || va.is_some_and(|v| names_a_file(v))
                || vb.is_some_and(|v| names_a_file(v)))
    })
}

/// Whether a query parameter of this name picks the file an address serves, in image services
/// and scripts that serve pictures, sounds and videos: `?url=`, `?src=`, `?file=`, `?image=`,
/// `?path=`, `?photo=`, `?episode=`, `?track=`,
/// and any name ending in one of them or in `id` (`?id=`, `?ImageID=`, `?mediaId=`, `?fid=`,
/// `?attachment_id=`).
fn picks_the_file(name: &str) -> bool {
    const ENDINGS: [&str; 13] = [
        "url", "src", "file", "filename", "image", "img", "path", "photo", "pic", "picture",
        "episode", "track", "video",
    ];
    // An id by its spelling (`id`, `image_id`, `ImageID`, `mediaId`) or a known one run
    // together; not any name ending in the letters (`cid`, `ixid`, `sid`: rotating tokens).
    const IDS: [&str; 8] = [
        "fid",
        "imageid",
        "imgid",
        "photoid",
        "mediaid",
        "fileid",
        "picid",
        "attachmentid",
    ];
    let lower = name.to_ascii_lowercase();
    let id = lower == "id"
        || lower.ends_with("_id")
        || lower.ends_with("-id")
        || (name.len() > 2 && (name.ends_with("Id") || name.ends_with("ID")))
        || IDS.contains(&lower.as_str());
    id || ENDINGS.iter().any(|e| lower.ends_with(e))
}

/// Whether a query value names a file or address, whatever the parameter's name: a path (`/…`),
/// an address (`http…`) or a picture's, sound's or video's file name (`….jpg`, `….mp3`). A
/// signature holding a `/` (base64, an S3 credential's scope, an Akamai token's `acl=/*`) is
/// none.
fn names_a_file(value: &str) -> bool {
    const MEDIA: [&str; 24] = [
        ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".bmp", ".tif", ".tiff",
        ".heic", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac", ".mp4", ".m4v",
        ".webm", ".mov", ".m3u8",
    ];
    let lower = value.trim().to_ascii_lowercase();
    lower.starts_with('/')
        || lower.starts_with("http:")
        || lower.starts_with("https:")
        || MEDIA.iter().any(|ext| lower.ends_with(ext))
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(s.as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

/// The key under which links are matched across sources, or `None` for a site's front page
/// (which many feeds give as every item's link, and which therefore identifies nothing).
///
/// Two spellings of one page give one key: the scheme is ignored, and so are a leading
/// `www.`, `m.` or `amp.` of the host, a trailing slash, an AMP version (`/amp` at the end
/// of the path, `?amp=1`, `?outputType=amp`), a referral marker naming a site
/// (`?ref=portal.example`), how the characters are escaped (`%d0%b2`, `%D0%B2` and `в`;
/// `%7E` and `~`), and the order of the query's parameters. Escapes that carry meaning (`%2F`,
/// `%3F`, `%26`…) stay escapes, and so do those of a legacy code page (`%E8` alone is no
/// UTF-8): they are only written in one case.
pub fn dedupe_key(url: &Url) -> Option<String> {
    if let Some(original) = amp_cache_original(url) {
        return dedupe_key(&original);
    }
    let host = url.host_str().unwrap_or("");
    let host = ["www.", "m.", "amp."]
        .iter()
        .find_map(|p| host.strip_prefix(p).filter(|h| h.contains('.')))
        .unwrap_or(host);
    let mut key = String::with_capacity(url.as_str().len());
    key.push_str(host);
    if let Some(port) = url.port() {
        key.push(':');
        key.push_str(&port.to_string());
    }
    let path = unescape(url.path());
    // `/a/b/` and `/a/b` are one page on every CMS we follow; `/a/b/amp/` is its AMP page,
    // and so are `/a/b.amp` and `/a/b.amp.html` of `/a/b.html`; `/a/index.html` is `/a/`.
    let mut path = path.trim_end_matches('/');
    if let Some(page) = path.strip_suffix("/amp") {
        path = page.trim_end_matches('/');
    }
    let html_page;
    if let Some(page) = path.strip_suffix(".amp.html") {
        html_page = format!("{page}.html");
        path = &html_page;
    } else if let Some(page) = path.strip_suffix(".amp") {
        path = page;
    }
    for index in ["/index.html", "/index.htm", "/index.php"] {
        let at = path.len().saturating_sub(index.len());
        if path
            .get(at..)
            .is_some_and(|end| end.eq_ignore_ascii_case(index))
        {
            path = path[..at].trim_end_matches('/');
            break;
        }
    }
    let mut pairs: Vec<(String, String)> = url
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            // `+` is a space in a query: written as its escape, which stays one.
            let part = |s: &str| unescape(&s.replace('+', "%20"));
            (part(name), part(value))
        })
        .filter(|(k, v)| !is_tracking(&percent_decode(k)) && !is_alternate_view(k, v))
        .collect();
    if path.is_empty() && pairs.is_empty() {
        return None;
    }
    key.push_str(path);
    pairs.sort();
    for (n, (name, value)) in pairs.iter().enumerate() {
        key.push(if n == 0 { '?' } else { '&' });
        key.push_str(name);
        key.push('=');
        key.push_str(value);
    }
    Some(key)
}

/// The page a copy in Google's AMP cache is of: `https://kdi-org.cdn.ampproject.org/c/s/kdi.org/a`
/// is `https://kdi.org/a` (`/c/` without `s/` an http page).
fn amp_cache_original(url: &Url) -> Option<Url> {
    if !url.host_str()?.ends_with(".cdn.ampproject.org") {
        return None;
    }
    let rest = url.path().strip_prefix("/c/")?;
    let (scheme, rest) = match rest.strip_prefix("s/") {
        Some(rest) => ("https", rest),
        None => ("http", rest),
    };
    let mut original = Url::parse(&format!("{scheme}://{rest}")).ok()?;
    original.set_query(url.query());
    original.host_str().is_some().then_some(original)
}

/// `s` (a path, or a query parameter's name or value) with the escapes of unreserved
/// characters and of UTF-8 decoded, and every other escape in upper case; when the decoded
/// bytes are not UTF-8 (a legacy code page), every escape stays, in upper case.
fn unescape(s: &str) -> String {
    let hex = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    let bytes = s.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut escaped = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = (bytes[i] == b'%')
            .then(|| Some((hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?)))
            .flatten();
        match escape {
            Some((hi, lo)) => {
                let b = hi << 4 | lo;
                const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
                let upper = [b'%', DIGITS[usize::from(hi)], DIGITS[usize::from(lo)]];
                escaped.extend_from_slice(&upper);
                if b >= 0x80 || unreserved(b) {
                    decoded.push(b);
                } else {
                    decoded.extend_from_slice(&upper);
                }
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                escaped.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded)
        .or_else(|_| String::from_utf8(escaped))
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A query parameter (as [`unescape`] leaves it) that asks for another view of the same page,
/// or says which site the reader came from, without selecting content: `amp`,
/// `outputType=amp`, and a `ref` that names a host (`ref=portal.example`; another `ref` may
/// well select content).
fn is_alternate_view(name: &str, value: &str) -> bool {
    match name.to_ascii_lowercase().as_str() {
        "amp" => matches!(value, "" | "1" | "true"),
        "outputtype" | "output" => value.eq_ignore_ascii_case("amp"),
        "ref" => value.contains('.') && !value.contains('%'),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
