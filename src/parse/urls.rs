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

/// `href` made absolute against the first absolute base, if it is an http(s) URL then.
fn absolute(href: &str, bases: &[Option<&Url>]) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() {
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
    if url.scheme() != "http" && url.scheme() != "https" {
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

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(s.as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

/// The key under which links are matched across sources: host without `www.`, path and query;
/// scheme ignored.
pub fn dedupe_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    let host = host.strip_prefix("www.").unwrap_or(host);
    let mut key = String::with_capacity(url.as_str().len());
    key.push_str(host);
    if let Some(port) = url.port() {
        key.push(':');
        key.push_str(&port.to_string());
    }
    let path = url.path();
    // `/a/b/` and `/a/b` are one page on every CMS we follow.
    key.push_str(if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        ""
    });
    if let Some(q) = url.query() {
        key.push('?');
        key.push_str(q);
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        canonicalize(Url::parse(s).unwrap()).to_string()
    }

    #[test]
    fn strips_tracking_keeps_content_parameters() {
        assert_eq!(
            canon("HTTPS://BalkansGroup.Example:443/en/news/x/?utm_source=portal&utm_medium=rss&fbclid=abc#top"),
            "https://balkansgroup.example/en/news/x/"
        );
        assert_eq!(
            canon("https://portal.example/article.php?id=42&utm_source=x&page=2&gclid=1&mc_cid=9"),
            "https://portal.example/article.php?id=42&page=2"
        );
        assert_eq!(
            canon("http://a.example:80/p?q=%C3%AB"),
            "http://a.example/p?q=%C3%AB"
        );
    }

    #[test]
    fn resolves_relative_links_against_the_first_base() {
        let site = Url::parse("https://kspag.example/sq/").unwrap();
        let fetch = Url::parse("http://127.0.0.1:9/feed.xml").unwrap();
        assert_eq!(
            resolve("lajme/takimi/", &[Some(&site), Some(&fetch)])
                .unwrap()
                .as_str(),
            "https://kspag.example/sq/lajme/takimi/"
        );
        assert_eq!(
            resolve("/x", &[None, Some(&fetch)]).unwrap().as_str(),
            "http://127.0.0.1:9/x"
        );
        assert_eq!(resolve("/x", &[None]), None);
    }

    #[test]
    fn rejects_non_http_schemes() {
        assert_eq!(resolve("javascript:alert(1)", &[]), None);
        assert_eq!(resolve("data:text/html,hi", &[]), None);
        assert_eq!(resolve("  ", &[]), None);
    }

    #[test]
    fn dedupe_key_ignores_scheme_www_and_trailing_slash() {
        let a = dedupe_key(&Url::parse("https://www.bfpe.example/vesti/1/").unwrap());
        let b = dedupe_key(&Url::parse("http://bfpe.example/vesti/1").unwrap());
        assert_eq!(a, b);
        let c = dedupe_key(&Url::parse("http://bfpe.example/vesti/1?id=2").unwrap());
        assert_ne!(a, c);
    }
}
