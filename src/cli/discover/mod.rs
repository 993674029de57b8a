//! `tributary discover URL`: the feeds a web page offers, as `[[sources]]` tables to paste
//! into the config (Miniflux's subscription discovery).
//!
//! The URL itself may be a feed. Otherwise the page's `<link rel="alternate">` feeds are
//! read, and when it names none the usual places (`/feed/`, `/rss.xml`…) are tried. Every
//! candidate is fetched with the config's `[fetch]` settings and kept only if it parses.
//!
//! `tributary discover --opml FILE` does the same for the subscriptions another reader
//! exported (Miniflux, FreshRSS, TT-RSS): every `<outline xmlUrl>` becomes a source with the
//! reader's title for it (the feed's when the list gives none) and the feed's language when it
//! can be fetched.
//!
//! Addresses on this host or a private network are fetched only when the operator typed one
//! or passed `--allow-local`: a public page naming `http://169.254.169.254/…` or
//! `http://127.0.0.1:8080/` gets no request, and such a feed in a list is printed commented out,
//! to be added only on purpose (a configured local address is trusted: see
//! [`crate::fetch::guard`]).

use std::process::ExitCode;

use serde::Serialize;
use url::Url;

use crate::config::{valid_id, valid_lang, Config};
use crate::fetch::{guard, Document, Fetched, Fetcher};
use crate::model::{Location, SourceKind, SourceState};
use crate::parse::{self, Context};

/// Paths feeds usually live at, tried when a page links to none (WordPress first: most
/// partner sites run it).
const USUAL_PATHS: &[&str] = &[
    "/feed/",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/rss/",
    "/feed.json",
];

/// At most this many candidates are fetched.
const MAX_CANDIDATES: usize = 10;

/// A feed found, as it goes in the config.
#[derive(Debug, Serialize)]
struct Found {
    id: String,
    title: String,
    url: String,
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    lang: Option<String>,
    /// From the reader's folders, when they name a defined topic.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    topics: Vec<String>,
    /// Found with `--accept-invalid-certificates` (over https).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    accept_invalid_certificates: bool,
}

/// Runs discovery and prints what it found.
pub fn discover(
    config: &Config,
    url: &str,
    kind: SourceKind,
    allow_local: bool,
    unchecked: bool,
) -> anyhow::Result<ExitCode> {
    let Some(start) = Url::parse(url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
    else {
        eprintln!("{url:?} is not an http(s) URL");
        return Ok(ExitCode::from(2));
    };
    // A link copied from a newsletter or a share button: without its tracking parameters
    // (`utm_*`, `fbclid`…) and fragment, as a source's URL should be.
    let start = crate::parse::urls::canonicalize(start);
    // As for a source: no certificate left unchecked on the way through an https proxy.
    // (Whatever the page's address: the feeds it names may be public.)
    if unchecked && config.fetch.https_proxy() {
        eprintln!("--accept-invalid-certificates cannot be used through an https [fetch] proxy: the proxy's certificate would go unchecked too (and its password with it)");
        return Ok(ExitCode::from(2));
    }
    let fetcher = Fetcher::new(&config.fetch)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut found: Vec<(Found, usize)> = Vec::new();
    let mut tried: Vec<String> = Vec::new();
    let page = match runtime.block_on(get(&fetcher, &start, unchecked)) {
        Ok(doc) => doc,
        Err(e) => {
            eprintln!("cannot fetch {start}: {}", for_discover(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    let page_url = page.final_url.clone().unwrap_or_else(|| start.clone());
    if let Some(feed) = as_feed(&page, &page_url) {
        found.push((feed, 0));
    } else {
        let mut candidates = parse::html::feed_links(&page.body, Some(&page_url));
        if candidates.is_empty() {
            candidates = USUAL_PATHS
                .iter()
                .filter_map(|p| page_url.join(p).ok())
                .collect();
        }
        candidates.dedup();
        let (local, candidates): (Vec<Url>, Vec<Url>) = candidates
            .into_iter()
            .partition(|c| !may_fetch(c, &start, allow_local));
        for url in local {
            eprintln!("passed over {url}: the page points at this host or a private network (see --allow-local)");
        }
        for (order, candidate) in candidates.into_iter().take(MAX_CANDIDATES).enumerate() {
            let doc = match runtime.block_on(get(&fetcher, &candidate, unchecked)) {
                Ok(doc) => doc,
                // Why each one failed: a site that turns away non-browsers (403) wants a
                // `user_agent` of its own, one with a broken certificate another fix.
                Err(e) => {
                    tried.push(format!("{candidate} ({})", for_discover(&e.to_string())));
                    continue;
                }
            };
            tried.push(candidate.to_string());
            let at = doc.final_url.clone().unwrap_or(candidate);
            if let Some(feed) = as_feed(&doc, &at) {
                if !found.iter().any(|(f, _)| f.url == feed.url) {
                    found.push((feed, order));
                }
            }
        }
    }
    if found.is_empty() {
        eprintln!("no feed found at {start}");
        for t in &tried {
            eprintln!("tried: {t}");
        }
        return Ok(ExitCode::from(1));
    }
    found.sort_by_key(|(_, order)| *order);
    // A blank line first: appended to a config (`>> tributary.toml`) that does not end in one,
    // the first table still starts a line of its own.
    outln!();
    let mut taken: Vec<String> = config.sources.iter().map(|s| s.id.clone()).collect();
    for (mut feed, _) in found {
        feed.kind = kind.to_string();
        // The site asked about: its feeds elsewhere (a feed service) are not assumed broken.
        feed.accept_invalid_certificates = unchecked
            && Url::parse(&feed.url)
                .is_ok_and(|u| u.scheme() == "https" && u.host_str() == start.host_str());
        if let Some(same) = config.sources.iter().find(|s| {
            matches!(&s.location, Location::Http(u)
                    if crate::parse::urls::canonicalize(u.clone()).as_str() == feed.url)
        }) {
            outln!(
                "# {} is already configured as source {:?}\n",
                feed.url,
                same.id
            );
            continue;
        }
        feed.id = unique_id(&feed.id, &taken);
        taken.push(feed.id.clone());
        outln!("[[sources]]\n{}", toml::to_string(&feed)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a `[[sources]]` table for every feed of an OPML subscription list.
pub fn from_opml(
    config: &Config,
    path: &std::path::Path,
    kind: SourceKind,
    allow_local: bool,
) -> anyhow::Result<ExitCode> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("cannot read {}: {e}", path.display());
            return Ok(ExitCode::from(2));
        }
    };
    // In the encoding its XML declaration (or BOM) names, as feeds are read.
    let text = parse::encoding::decode(&bytes, None).text;
    let outlines = match opml_feeds(&text) {
        Ok(outlines) => outlines,
        Err(e) => {
            eprintln!("{} is not an OPML file: {e}", path.display());
            return Ok(ExitCode::from(2));
        }
    };
    if outlines.is_empty() {
        eprintln!("{} lists no feed (no <outline xmlUrl=…>)", path.display());
        return Ok(ExitCode::from(1));
    }
    let fetcher = Fetcher::new(&config.fetch)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let configured = |url: &Url| {
        config
            .sources
            .iter()
            .find(|s| matches!(&s.location, Location::Http(u) if u == url))
    };
    // Fetched together (the fetcher bounds how many at once, overall and per host); neither
    // those already configured nor local addresses.
    let checked: Vec<Result<Option<Found>, String>> = runtime.block_on(async {
        let fetches = outlines.iter().map(|Outline { url, .. }| async {
            if configured(url).is_some() || (guard::is_local(url) && !allow_local) {
                return Ok(None);
            }
            let doc = get(&fetcher, url, false).await.map_err(|e| e.to_string())?;
            let at = doc.final_url.clone().unwrap_or_else(|| url.clone());
            Ok(as_feed(&doc, &at))
        });
        futures_util::future::join_all(fetches).await
    });
    outln!();
    let mut taken: Vec<String> = config.sources.iter().map(|s| s.id.clone()).collect();
    let (mut failed, mut tried) = (0, 0);
    for (outline, checked) in outlines.iter().zip(checked) {
        let (url, title) = (&outline.url, &outline.title);
        if let Some(same) = configured(url) {
            outln!("# {url} is already configured as source {:?}\n", same.id);
            continue;
        }
        let host = url.host_str().unwrap_or("feed");
        let mut feed = Found {
            id: id_from_host(host),
            title: title.clone().unwrap_or_else(|| host.to_string()),
            url: url.to_string(),
            kind: kind.to_string(),
            lang: None,
            topics: Vec::new(),
            accept_invalid_certificates: false,
        };
        // The reader's folders: a topic of the same name (or title) is the source's default
        // topic; the others are said, for ops to decide.
        let mut unmatched = Vec::new();
        for category in &outline.categories {
            match topic_for(config, category) {
                Some(t) if !feed.topics.contains(&t) => feed.topics.push(t),
                Some(_) => {}
                None => unmatched.push(format!("{category:?}")),
            }
        }
        if !unmatched.is_empty() {
            outln!(
                "# {url} is filed under {} in the reader: no topic of that name",
                unmatched.join(", ")
            );
        }
        if guard::is_local(url) && !allow_local {
            feed.id = unique_id(&feed.id, &taken);
            taken.push(feed.id.clone());
            let table = format!("[[sources]]\n{}", toml::to_string(&feed)?);
            outln!("# {url} is on this host or a private network: not fetched (see --allow-local); uncomment it to add it on purpose");
            for line in table.lines() {
                outln!("# {line}");
            }
            outln!();
            continue;
        }
        tried += 1;
        match checked {
            Ok(Some(found)) => {
                // The list's title is the reader's name for it; the feed gives the language.
                if title.is_none() {
                    feed.title = found.title;
                }
                feed.lang = found.lang;
            }
            Ok(None) => {
                failed += 1;
                outln!("# {url} answered, but not with a feed");
            }
            Err(e) => {
                failed += 1;
                // One line: the message must not spill out of the comment.
                let e = e.replace(['\r', '\n'], " ");
                outln!("# {url} could not be fetched: {e}");
            }
        }
        feed.id = unique_id(&feed.id, &taken);
        taken.push(feed.id.clone());
        outln!("[[sources]]\n{}", toml::to_string(&feed)?);
    }
    if failed > 0 {
        // Printed all the same; the exit code says some need a look (partial failure).
        eprintln!(
            "{failed} of {tried} feeds could not be read now (marked with a comment above them)"
        );
        return Ok(ExitCode::from(super::PARTIAL_FAILURE));
    }
    Ok(ExitCode::SUCCESS)
}

/// One feed of an OPML subscription list.
#[derive(Debug, PartialEq)]
struct Outline {
    url: Url,
    /// The outline's `title` or `text`.
    title: Option<String>,
    /// The folders it is in (outlines holding outlines) and its `category` attribute's
    /// names, outermost first.
    categories: Vec<String>,
}

/// The feeds of an OPML document, in document order (categories are outlines holding
/// outlines): each `xmlUrl` that is an http(s) URL.
fn opml_feeds(text: &str) -> Result<Vec<Outline>, String> {
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

/// The defined topic a reader's folder stands for: same name once lowercased with spaces as
/// `-` ("Women Caucus" → `women-caucus`), or the same title.
fn topic_for(config: &Config, category: &str) -> Option<String> {
    let slug = crate::model::topic_slug(category);
    config
        .classifier
        .topics()
        .find(|t| {
            *t == slug
                || config
                    .classifier
                    .title(t)
                    .is_some_and(|title| title.trim().eq_ignore_ascii_case(category.trim()))
        })
        .map(str::to_string)
}

/// A fetch error as `discover` says it: the way past a certificate refused is its flag, as
/// there is no source yet to set the key on.
fn for_discover(said: &str) -> String {
    said.replace(
        "set accept_invalid_certificates = true on it",
        "run discover again with --accept-invalid-certificates",
    )
    .replace(
        "set url to it and accept_invalid_certificates = true",
        "run discover on it with --accept-invalid-certificates",
    )
}

async fn get(
    fetcher: &Fetcher,
    url: &Url,
    unchecked: bool,
) -> Result<Document, crate::fetch::FetchError> {
    let extras = crate::fetch::Extras {
        accept_invalid_certificates: unchecked,
        ..Default::default()
    };
    match fetcher
        .fetch_url(url, &SourceState::default(), extras)
        .await?
    {
        Fetched::Document(doc) => Ok(doc),
        // No validators were sent: a 304 is the server's mistake, and holds no feed.
        Fetched::NotModified => Err(crate::fetch::FetchError::Status {
            status: 304,
            retry_after: None,
        }),
    }
}

/// An outline's `xmlUrl` as an http(s) URL; the `feed:` pseudo-scheme some readers write
/// (`feed://host/rss`, `feed:https://host/rss`) is read as the address it stands for.
fn feed_url(written: &str) -> Option<Url> {
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

/// Whether a feed URL a page named may be fetched: a local address only when the page's own
/// address is local too (the operator typed it) or with `--allow-local`.
fn may_fetch(candidate: &Url, page: &Url, allow_local: bool) -> bool {
    allow_local || !guard::is_local(candidate) || guard::is_local(page)
}

/// The document as a source, if it is a feed.
fn as_feed(doc: &Document, url: &Url) -> Option<Found> {
    let ctx = Context {
        fetch_url: Some(url),
        content_type: doc.content_type.as_deref(),
        default_lang: None,
        now: chrono::Utc::now(),
        time_zone: None,
    };
    let feed = parse::parse(&doc.body, &ctx).ok()?;
    let host = url.host_str().unwrap_or("feed");
    Some(Found {
        id: id_from_host(host),
        title: feed.title.clone().unwrap_or_else(|| host.to_string()),
        url: url.to_string(),
        kind: SourceKind::Partner.to_string(),
        lang: feed.language.filter(|l| valid_lang(l)),
        topics: Vec::new(),
        accept_invalid_certificates: false,
    })
}

/// A source id from a host name: `www.kossev.info` → `kossev`, `news.kwn.example.org` →
/// `news-kwn`.
fn id_from_host(host: &str) -> String {
    let host = host.strip_prefix("www.").unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    // An address keeps all of itself (`127-0-0-1`); a name loses its top-level domain.
    let is_address = host
        .trim_matches(['[', ']'])
        .parse::<std::net::IpAddr>()
        .is_ok();
    let name = if labels.len() > 1 && !is_address {
        labels[..labels.len() - 1].join("-")
    } else {
        host.to_string()
    };
    let id: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let id = id.trim_matches('-').chars().take(48).collect::<String>();
    if valid_id(&id) {
        id
    } else {
        "feed".into()
    }
}

/// `id`, or `id-2`, `id-3`… when the config (or an earlier find) has it.
fn unique_id(id: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == id) {
        return id.to_string();
    }
    (2..)
        .map(|n| format!("{id}-{n}"))
        .find(|c| !taken.contains(c))
        .expect("some suffix is free")
}

#[cfg(test)]
mod tests;
