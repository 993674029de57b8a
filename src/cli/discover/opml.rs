//! `tributary discover --opml FILE`: a `[[sources]]` table for every feed of another reader's
//! subscription list, its folders as topics, local addresses commented out.

use std::process::ExitCode;

use url::Url;

use super::outlines::opml_feeds;
use super::{as_feed, get, id_from_host, unique_id, Found, Outline};
use crate::config::Config;
use crate::fetch::{guard, Fetcher};
use crate::model::{Location, SourceKind};
use crate::parse;

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
        return Ok(ExitCode::from(crate::cli::PARTIAL_FAILURE));
    }
    Ok(ExitCode::SUCCESS)
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
