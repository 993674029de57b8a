//! The HTML status page: sources with their health, the feeds to subscribe to (also as
//! `<link rel="alternate">` for feed autodiscovery), and the digests with their last issue.
//! Rendered with minijinja, autoescaped.

use std::sync::LazyLock;

use minijinja::{context, Environment};
use serde::Serialize;

use crate::app::SourceHealth;
use crate::config::Config;
use crate::publish::Format;

use super::feeds::Scope;

const TEMPLATE: &str = include_str!("status.html");

/// The template, parsed once.
static ENV: LazyLock<Environment<'static>> =
    LazyLock::new(|| crate::publish::html_template("status.html", TEMPLATE));

#[derive(Serialize)]
struct FeedLink {
    title: String,
    url: String,
    media_type: &'static str,
    label: &'static str,
    /// A feed readers subscribe to (not the web page).
    #[serde(skip)]
    feed: bool,
}

#[derive(Serialize)]
struct Group {
    title: String,
    formats: Vec<FeedLink>,
}

/// A topic's feeds in each language: a row of the "by topic and language" table.
#[derive(Serialize)]
struct TopicRow {
    title: String,
    languages: Vec<Vec<FeedLink>>,
}

/// A configured digest and its newest issue, as the status page shows it.
#[derive(Debug, Serialize)]
pub struct DigestRow {
    title: String,
    name: String,
    schedule: String,
    last: String,
    state: String,
    class: &'static str,
    latest: Option<String>,
    archive: String,
}

/// Each configured digest: its newest issue (the one `latest.html` shows) and how sending
/// stands, read as the daemon reads it (the issues built to be sent and not sent yet).
pub fn digest_rows(config: &Config, store: &crate::store::Store) -> Vec<DigestRow> {
    use crate::digest::run;
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    config
        .digests
        .iter()
        .map(|d| {
            let shown = store.digest_to_show(&d.name, None, None, !d.send_empty);
            // Only a digest the daemon sends has issues waiting (one built by hand with
            // `--send` aside, which that command reports).
            let waiting = if d.send {
                run::automatic_sends(store, d, None).map_err(|e| e.to_string())
            } else {
                Ok((Vec::new(), Vec::new()))
            };
            let (last, mut state, mut class) = match &shown {
                Err(e) => ("unreadable".to_string(), e.to_string(), "failing"),
                Ok(None) => ("none yet".to_string(), String::new(), "never"),
                Ok(Some(r)) => {
                    let last = format!(
                        "period ending {}: {}",
                        when(r.end),
                        crate::locale::Locale::En.count(r.count)
                    );
                    let (state, class) = if let Some(at) = r.sent_at {
                        (format!("sent {}", when(at)), "ok")
                    } else if !run::is_issue(r) {
                        ("nothing to write or send".into(), "ok")
                    } else if r.outbox_due {
                        ("not yet written to the outbox (see the log)".into(), "failing")
                    } else if let Some(at) = r.outboxed_at {
                        (format!("written to the outbox {}", when(at)), "ok")
                    } else {
                        ("written to the outbox".into(), "ok")
                    };
                    (last, state, class)
                }
            };
            match waiting {
                Err(e) => (state, class) = (e, "failing"),
                Ok((_, unsettled)) if !unsettled.is_empty() => {
                    let r = &unsettled[unsettled.len() - 1];
                    state = if r.send_refused {
                        format!(
                            "the relay refused the issue ending {} for good; not sent again by itself: once mended, send it with {}",
                            when(r.end),
                            run::resend_hint(r)
                        )
                    } else {
                        format!(
                            "the relay may have taken the issue ending {}; not sent again: send it with {}",
                            when(r.end),
                            run::resend_hint(r)
                        )
                    };
                    class = "failing";
                }
                Ok((sure, _)) if !sure.is_empty() => {
                    let failed = sure.iter().rev().find_map(|r| r.send_error.as_deref());
                    (state, class) = match failed {
                        Some(e) => (
                            format!("{} not sent yet; the last attempt failed: {e}", sure.len()),
                            "failing",
                        ),
                        None => (format!("{} to be sent", sure.len()), "never"),
                    };
                }
                Ok(_) => {}
            }
            let found = matches!(shown, Ok(Some(_)));
            DigestRow {
                title: d.title.clone(),
                name: d.name.clone(),
                // As written: the daemon's own seconds field left out.
                schedule: format!(
                    "{} ({})",
                    d.cron.strip_prefix("0 ").unwrap_or(&d.cron),
                    d.time_zone
                ),
                last,
                state,
                class,
                latest: found
                    .then(|| config.server.url(&format!("digests/{}/latest.html", d.name))),
                archive: config.server.url(&format!("digests/{}/index.html", d.name)),
            }
        })
        .collect()
}

#[derive(Serialize)]
struct Row {
    id: String,
    title: String,
    url: String,
    kind: String,
    health: String,
    class: &'static str,
    items: usize,
    last_attempt: String,
    last_success: String,
    notes: String,
}

/// Renders the page.
/// Renders the page; `alert`, when the daemon has one (the store takes no writes), heads it.
pub fn render(
    config: &Config,
    health: &[SourceHealth],
    items: usize,
    rendered: &str,
    alert: Option<&str>,
    digests: &[DigestRow],
) -> String {
    let mut groups = vec![group(config, &Scope::All, "All news".into())];
    for t in config.classifier.topics() {
        let title = format!("Topic: {}", config.classifier.title(t).unwrap_or(t));
        groups.push(group(config, &Scope::Topic(t.to_string()), title));
    }
    let languages = config.languages();
    for tag in &languages {
        let title = format!("Language: {}", crate::server::feeds::language_name(tag));
        groups.push(group(config, &Scope::Language(tag.clone()), title));
    }
    let topic_rows: Vec<TopicRow> = config
        .classifier
        .topics()
        .map(|t| {
            let title = config.classifier.title(t).unwrap_or(t).to_string();
            let languages = languages
                .iter()
                .map(|tag| {
                    let scope = Scope::TopicLanguage(t.to_string(), tag.clone());
                    // As the feed itself is titled: the topic and the language in it.
                    let titled = config.classifier.title_in(t, tag).unwrap_or(&title);
                    let name = crate::server::feeds::own_name(tag);
                    group(config, &scope, format!("{titled} · {name}")).formats
                })
                .collect();
            TopicRow { title, languages }
        })
        .collect();
    let language_names: Vec<String> = languages
        .iter()
        .map(|t| crate::server::feeds::language_name(t))
        .collect();
    for s in &config.sources {
        groups.push(group(
            config,
            &Scope::Source(s.id.clone()),
            format!("Source: {}", s.title),
        ));
    }
    // Autodiscovery: the merged feeds and one per topic (not their web pages).
    let feeds: Vec<&FeedLink> = groups
        .iter()
        .take(1 + config.classifier.topics().count())
        .flat_map(|g| g.formats.iter())
        .filter(|f| f.feed)
        .collect();
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "never".into())
    };
    let sources: Vec<Row> = health
        .iter()
        .map(|h| Row {
            id: h.id.clone(),
            title: h.title.clone(),
            url: h.url.clone(),
            kind: h.kind.to_string(),
            class: if !h.enabled {
                "disabled"
            } else if h.state.last_attempt.is_none() {
                "never"
            } else if h.state.healthy() {
                "ok"
            } else {
                "failing"
            },
            health: h.health.clone(),
            items: h.items,
            last_attempt: when(h.state.last_attempt),
            last_success: when(h.state.last_success),
            notes: h.notes(),
        })
        .collect();
    ENV.get_template("status.html")
        .and_then(|t| {
            t.render(context! {
                title => config.server.title.clone(),
                alert => alert,
                items => items,
                rendered => rendered,
                feeds => feeds,
                groups => groups,
                languages => language_names,
                topic_rows => topic_rows,
                sources => sources,
                opml => config.server.url("sources.opml"),
                digests => digests,
            })
        })
        .unwrap_or_else(|e| {
            format!("<!DOCTYPE html><title>status</title><p>status page error: {e}")
        })
}

fn group(config: &Config, scope: &Scope, title: String) -> Group {
    let formats = Format::ALL
        .iter()
        .map(|f| FeedLink {
            title: format!("{title} ({})", f.label()),
            url: config.server.url(&scope.path(*f)),
            media_type: f.media_type(),
            label: f.label(),
            feed: f.is_feed(),
        })
        .collect();
    Group { title, formats }
}
