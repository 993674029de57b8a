//! Warnings `tributary check` gives about a valid config: things that are allowed but are
//! probably mistakes.

use std::time::Duration;

use crate::config::{Config, FetchConfig};
use crate::model::{Location, Source};

/// Every warning, in a stable order. `resolve` looks the sources' hosts up in DNS.
pub fn warnings(config: &Config, resolve: bool) -> Vec<String> {
    let mut out = Vec::new();
    same_feed(config, &mut out);
    for s in &config.sources {
        local_file(s, &mut out);
        unset_password(s, &mut out);
        insecure_url(s, &mut out);
    }
    unnamed_languages(config, &mut out);
    visible_recipients(config, &mut out);
    unset_smtp_password(config, &mut out);
    unset_proxy_password(&config.fetch, &mut out);
    fetch_timings(&config.fetch, &mut out);
    orphan_topics(config, &mut out);
    // Through a proxy the names are the proxy's to resolve: a local lookup says nothing.
    if resolve && config.fetch.proxy.is_none() {
        out.extend(unresolved(config));
    }
    out
}

/// Pairs of sources that fetch the same feed.
fn same_feed(config: &Config, out: &mut Vec<String>) {
    for (i, a) in config.sources.iter().enumerate() {
        for b in &config.sources[i + 1..] {
            if a.location == b.location {
                out.push(format!(
                    "sources {} and {} fetch the same feed {}",
                    a.id, b.id, a.location
                ));
            }
        }
    }
}

/// A local file source's file missing or a directory, and the keys that do nothing for a
/// file (user_agent, a login or headers, accept_invalid_certificates).
fn local_file(s: &Source, out: &mut Vec<String>) {
    if let Location::File(path) = &s.location {
        if !path.exists() {
            out.push(format!(
                "source {}: {} does not exist (yet)",
                s.id,
                path.display()
            ));
        } else if path.is_dir() {
            out.push(format!(
                "source {}: {} is a directory, not a feed file",
                s.id,
                path.display()
            ));
        }
        if s.user_agent.is_some() {
            out.push(format!(
                "source {}: user_agent has no effect on a local file",
                s.id
            ));
        }
        if s.auth.is_some() || !s.headers.is_empty() {
            out.push(format!(
                "source {}: username and headers have no effect on a local file",
                s.id
            ));
        }
        if s.accept_invalid_certificates {
            out.push(format!(
                "source {}: accept_invalid_certificates has no effect on a local file",
                s.id
            ));
        }
    }
}

/// A source's login whose password variable this shell does not set.
fn unset_password(s: &Source, out: &mut Vec<String>) {
    // Read at each fetch: the daemon's environment may differ from this shell's.
    if let Some(auth) = &s.auth {
        if std::env::var_os(&auth.password_env).is_none() {
            out.push(format!(
                "source {}: ${} (its password) is not set here; the daemon's environment must set it",
                s.id, auth.password_env
            ));
        }
    }
}

/// What a source's URL puts at risk: a login or headers sent over plain http, a certificate
/// not checked (or the key to skip it doing nothing), a credential in the URL.
fn insecure_url(s: &Source, out: &mut Vec<String>) {
    if let Location::Http(url) = &s.location {
        if url.scheme() == "http" && s.auth.is_some() {
            out.push(format!(
                "source {}: the login is sent over plain http",
                s.id
            ));
        }
        if url.scheme() == "http" && !s.headers.is_empty() {
            out.push(format!(
                "source {}: its headers are sent over plain http",
                s.id
            ));
        }
        if s.accept_invalid_certificates {
            out.push(if url.scheme() == "http" {
                format!(
                    "source {}: accept_invalid_certificates has no effect on a plain http URL, and keeps its fetch from following a redirect to another site, https included: set url to the https address",
                    s.id
                )
            } else {
                format!(
                    "source {}: its server's certificate is not checked (accept_invalid_certificates = true): anyone on the way to the site can pose as it; remove the key once the site's certificate is mended",
                    s.id
                )
            });
        }
        let secrets = crate::model::secret_parameters(url);
        if !secrets.is_empty() {
            out.push(format!(
                "source {}: its URL carries a credential ({}); the status page, /sources.json and /sources.opml show the URL with its value hidden. A `headers` entry keeps it out of URLs altogether, if the site takes one",
                s.id,
                secrets.join(", ")
            ));
        }
    }
}

/// Digest languages no source's lang names.
fn unnamed_languages(config: &Config, out: &mut Vec<String>) {
    // A digest language no source names gets only stories whose feeds say it themselves.
    for d in &config.digests {
        for range in &d.languages {
            let named = config.sources.iter().any(|s| {
                s.lang.as_deref().is_some_and(|tag| {
                    crate::model::language_matches(tag, range)
                        || crate::model::language_matches(range, tag)
                })
            });
            if !named {
                out.push(format!(
                    "digest {}: no source's lang is {range:?} (only stories whose feeds say so themselves will be in it)",
                    d.name
                ));
            }
        }
    }
}

/// Digests that name several recipients in the To header (no bcc).
fn visible_recipients(config: &Config, out: &mut Vec<String>) {
    // Several addresses are likely people, not one list: each reader would see the others,
    // and so would anyone reading the `.eml` the server publishes.
    for d in config.digests.iter().filter(|d| !d.bcc && d.to.len() > 1) {
        out.push(format!(
            "digest {}: its {} recipients are named in the To header of each message, and of the .eml served at /digests/{}/; set bcc = true unless they are all lists",
            d.name,
            d.to.len(),
            d.name
        ));
    }
}

/// The SMTP relay's password variable unset here while digests are to be sent.
fn unset_smtp_password(config: &Config, out: &mut Vec<String>) {
    let sending = config.digests.iter().filter(|d| d.send).count();
    if let Some(smtp) = &config.mail.smtp {
        if smtp.username.is_some() && sending > 0 && std::env::var_os(&smtp.password_env).is_none()
        {
            out.push(format!(
                "mail.smtp: ${} (the relay's password) is not set here; the daemon's environment must set it, or {sending} digest(s) with send = true cannot be sent",
                smtp.password_env
            ));
        }
    }
}

/// The proxy's password variable unset here.
fn unset_proxy_password(f: &FetchConfig, out: &mut Vec<String>) {
    if let Some(auth) = f.proxy.as_ref().and_then(|p| p.auth.as_ref()) {
        if std::env::var_os(&auth.password_env).is_none() {
            out.push(format!(
                "fetch.proxy: ${} (the proxy's password) is not set here; the daemon's environment must set it, or every fetch through the proxy fails",
                auth.password_env
            ));
        }
    }
}

/// Fetch durations that undo one another: backoff_base past backoff_max, connect_timeout
/// past timeout.
fn fetch_timings(f: &FetchConfig, out: &mut Vec<String>) {
    if f.backoff_base > f.backoff_max {
        out.push(format!(
            "fetch: backoff_base ({}) is longer than backoff_max ({}): every retry of a failing source waits backoff_max",
            humantime::format_duration(f.backoff_base),
            humantime::format_duration(f.backoff_max)
        ));
    }
    if f.connect_timeout > f.timeout {
        out.push(format!(
            "fetch: connect_timeout ({}) is longer than timeout ({}), which bounds the whole request",
            humantime::format_duration(f.connect_timeout),
            humantime::format_duration(f.timeout)
        ));
    }
}

/// Topics in no digest and no source's defaults.
fn orphan_topics(config: &Config, out: &mut Vec<String>) {
    // Only said when there are digests: without any, every topic would be named, every time.
    for topic in config
        .classifier
        .topics()
        .filter(|_| !config.digests.is_empty())
    {
        let defaulted = config
            .sources
            .iter()
            .any(|s| s.topics.iter().any(|t| t == topic));
        let digested = config
            .digests
            .iter()
            .any(|d| d.topics.is_empty() || d.topics.iter().any(|t| t == topic));
        if !defaulted && !digested {
            out.push(format!("topic {topic} is in no digest and no source's defaults (it still has its own feeds)"));
        }
    }
}

/// Sources whose host does not resolve, or resolves only to addresses the fetch guard refuses
/// (loopback, private, link-local: every fetch of it would fail), looked up concurrently, a
/// few seconds at most. A source whose URL names this host or a private network itself (an
/// address, `localhost`) is local on purpose and fetched directly: not looked up.
fn unresolved(config: &Config) -> Vec<String> {
    let hosts: Vec<(String, String, u16)> = config
        .sources
        .iter()
        .filter_map(|s| match &s.location {
            Location::Http(u) if crate::fetch::guard::is_local(u) => None,
            Location::Http(u) => Some((
                s.id.clone(),
                u.host_str()?.to_string(),
                u.port_or_known_default()?,
            )),
            Location::File(_) => None,
        })
        .collect();
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    runtime.block_on(async {
        let lookups = hosts.into_iter().map(|(id, host, port)| async move {
            let found = tokio::time::timeout(
                Duration::from_secs(5),
                tokio::net::lookup_host((host.as_str(), port)),
            )
            .await;
            match found {
                Ok(Ok(addrs)) => {
                    let addrs: Vec<std::net::SocketAddr> = addrs.collect();
                    if addrs.is_empty() {
                        Some(format!("source {id}: {host} has no addresses"))
                    } else if addrs
                        .iter()
                        .all(|a| crate::fetch::guard::forbidden(a.ip()))
                    {
                        Some(format!("source {id}: {host} resolves only to addresses on this host or a private network ({}), which fetches refuse", addrs[0].ip()))
                    } else {
                        None
                    }
                }
                Ok(Err(e)) => Some(format!("source {id}: {host} does not resolve ({e})")),
                Err(_) => Some(format!("source {id}: looking up {host} timed out")),
            }
        });
        futures_util::future::join_all(lookups)
            .await
            .into_iter()
            .flatten()
            .collect()
    })
}
