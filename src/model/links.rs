//! Links as stories and pages carry them: a web address in its normal form, the name of the
//! site it belongs to, and the page it names.

use url::Url;

/// `s` as an absolute http(s) URL in its normalized form, or `None` (a `javascript:` or
/// `data:` link, a relative one): what a page or a message may link to.
pub fn http_url(s: &str) -> Option<String> {
    let url = Url::parse(s.trim()).ok()?;
    let web = matches!(url.scheme(), "http" | "https") && url.host_str().is_some();
    web.then(|| url.to_string())
}

/// The name a link's site goes by: its host's registrable label (`bfpe` of `bfpe.example`,
/// of `www.bfpe.org.rs` and of `news.bfpe.example`), unless that is a generic word (`news`,
/// `portal`…) that names no one site. `None` for an address, or a link that is not a URL.
pub fn site_name(link: &str) -> Option<String> {
    /// Second-level labels under a country code that are not a site's name.
    const UNDER_CC: &[&str] = &[
        "ac", "co", "com", "edu", "gov", "net", "org", "in", "or", "inf",
    ];
    /// Registrable names under which each subdomain is a site of its own.
    const SHARED_HOSTS: &[&str] = &[
        "wordpress",
        "blogspot",
        "substack",
        "medium",
        "tumblr",
        "wixsite",
        "weebly",
        "github",
        "gitlab",
        "rks-gov",
        "europa",
        "feedburner",
    ];
    /// Labels too common to tell a site.
    const GENERIC: &[&str] = &[
        "news", "blog", "blogs", "feed", "feeds", "media", "portal", "info", "online", "press",
        "web", "site", "home", "mail", "www",
    ];
    let host = url::Url::parse(link).ok()?.host_str()?.to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    let (&tld, rest) = labels.split_last()?;
    let (name, below) = match rest.split_last() {
        Some((&second, more)) if tld.len() == 2 && UNDER_CC.contains(&second) => {
            more.split_last()?
        }
        Some((second, more)) => (second, more),
        None => return None,
    };
    // A host of many sites (blogs, a government's ministries, the EU's bodies): each is the
    // label below it (`bfpe` of `bfpe.wordpress.com`, `mpb` of `mpb.rks-gov.net`).
    let name = if SHARED_HOSTS.contains(name) {
        below.last()?
    } else {
        name
    };
    (name.chars().count() >= 3 && !GENERIC.contains(name)).then(|| name.to_string())
}

/// The page a link names: the link without its `#fragment` (a story's published link keeps
/// one, `/changelog#v2-3`; what identifies and matches it is the page).
pub fn page_of(link: &str) -> &str {
    link.split_once('#').map_or(link, |(page, _)| page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_is_named_by_its_registrable_label_or_below_a_host_of_many() {
        let name = |link: &str| site_name(link);
        assert_eq!(name("https://www.bfpe.org.rs/x").as_deref(), Some("bfpe"));
        assert_eq!(
            name("https://kdi-kosova.org/en/").as_deref(),
            Some("kdi-kosova")
        );
        assert_eq!(
            name("https://news.orgb.example:8443/a").as_deref(),
            Some("orgb")
        );
        assert_eq!(
            name("https://bfpe.wordpress.com/2026/x").as_deref(),
            Some("bfpe")
        );
        assert_eq!(name("https://mpb.rks-gov.net/page").as_deref(), Some("mpb"));
        assert_eq!(name("https://kanal.inf.mk/a").as_deref(), Some("kanal"));
        for none in [
            "https://feeds.feedburner.com/orga",
            "https://news.example/",
            "http://127.0.0.1:8080/feed",
            "https://wordpress.com/",
            "not a link",
        ] {
            assert_eq!(name(none), None, "{none}");
        }
    }
}
