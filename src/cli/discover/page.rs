//! `tributary discover URL`: the URL itself as a feed, or the feeds its page links to (the
//! usual places when it names none), each fetched and kept if it parses.

use std::process::ExitCode;

use url::Url;

use super::{as_feed, get, unique_id, Found};
use crate::config::Config;
use crate::fetch::{guard, Fetcher};
use crate::model::{Location, SourceKind};
use crate::parse;

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

/// Whether a feed URL a page named may be fetched: a local address only when the page's own
/// address is local too (the operator typed it) or with `--allow-local`.
pub(super) fn may_fetch(candidate: &Url, page: &Url, allow_local: bool) -> bool {
    allow_local || !guard::is_local(candidate) || guard::is_local(page)
}
