//! Politeness: how many fetches run at once, in all and to one host ([`Limits`], over the
//! resizable [`Limit`]s), and the hosts that asked to be left alone for a while (a 429's
//! `Retry-After`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::limit::{Limit, Permit};
use super::redirect::Turn;
use super::{Fetcher, MAX_RETRY_AFTER};
use crate::config::FetchConfig;
use crate::model::{Location, Source};

/// How many fetches run at once, in all and to one host: shared by the fetchers a reload
/// replaces one with another (see [`limit`](super::limit)).
#[derive(Debug)]
pub struct Limits {
    /// The fetches that may run at once in all.
    global: Arc<Limit>,
    /// Each host's limit.
    hosts: Mutex<Hosts>,
    /// Hosts that asked to be left alone until a time (a 429 with `Retry-After`), with the
    /// source whose request was answered so: a rate limit is the host's, not one feed's, so
    /// its other sources wait too. (A 503 is about the page asked for, often one feed of a
    /// site in maintenance: only its source waits.)
    paused: Mutex<HashMap<String, HostPause>>,
}

/// A host's request to be left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPause {
    /// Until when.
    pub until: DateTime<Utc>,
    /// The source whose request it answered with 429.
    pub by: String,
}

impl Limits {
    /// Limits as `config` sets them.
    pub fn new(config: &FetchConfig) -> Arc<Limits> {
        Arc::new(Limits {
            global: Limit::new(config.concurrency),
            hosts: Mutex::new(Hosts {
                each: config.per_host_concurrency,
                by_name: HashMap::new(),
            }),
            paused: Mutex::default(),
        })
    }

    /// Leaves `host` alone until `until` (or later, if it asked for longer before), as it
    /// answered a request for source `by`.
    pub fn pause(&self, host: &str, until: DateTime<Utc>, by: &str) {
        let mut paused = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        if paused.get(host).is_none_or(|p| p.until < until) {
            paused.insert(
                host.to_string(),
                HostPause {
                    until,
                    by: by.to_string(),
                },
            );
        }
    }

    /// Until when `host` asked to be left alone, if that is after `now`, and why.
    pub fn paused_until(&self, host: &str, now: DateTime<Utc>) -> Option<HostPause> {
        let mut paused = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        paused.retain(|_, p| p.until > now);
        paused.get(host).cloned()
    }

    /// Makes the limits what `config` sets, fetches running or not.
    pub fn resize(&self, config: &FetchConfig) {
        self.global.resize(config.concurrency);
        let mut hosts = self.hosts();
        hosts.each = config.per_host_concurrency;
        // Hosts no fetch is at or waiting for are forgotten (a source gone with the reload
        // leaves none behind); the others keep their holders' places.
        hosts
            .by_name
            .retain(|_, limit| Arc::strong_count(limit) > 1);
        for limit in hosts.by_name.values() {
            limit.resize(config.per_host_concurrency);
        }
    }

    /// The fetches that may run at once in all (the configured number).
    pub fn global(&self) -> &Arc<Limit> {
        &self.global
    }

    /// `host`'s limit.
    pub fn host(&self, host: &str) -> Arc<Limit> {
        let mut hosts = self.hosts();
        let each = hosts.each;
        hosts
            .by_name
            .entry(host.to_string())
            .or_insert_with(|| Limit::new(each))
            .clone()
    }

    fn hosts(&self) -> std::sync::MutexGuard<'_, Hosts> {
        self.hosts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Fetcher {
    /// A slot of the source's host (`None` for a file), for a caller that takes it before
    /// anything else it waits for: a source queued behind its host's others then holds no
    /// other place meanwhile. Passed on to [`Fetcher::fetch_holding`].
    pub async fn host_slot(&self, source: &Source) -> Option<Permit> {
        match host_of(source) {
            Some(host) => Some(self.host_permit(host).await),
            None => None,
        }
    }

    /// Until when the host of `source` (on its port, `service_of`) asked to be left alone,
    /// and by answering which source (see [`Limits::pause`]).
    pub fn host_paused(&self, source: &Source) -> Option<HostPause> {
        service_of(source).and_then(|host| self.limits.paused_until(&host, Utc::now()))
    }

    /// Leaves the host of `source` alone for `wait`, as its answer to `source` asked (a week at
    /// most, as for the source itself).
    pub fn pause_host(&self, source: &Source, wait: Duration) {
        let wait = chrono::TimeDelta::from_std(wait.min(MAX_RETRY_AFTER)).unwrap_or_default();
        if let (Some(host), Some(until)) = (service_of(source), Utc::now().checked_add_signed(wait))
        {
            self.limits.pause(&host, until, &source.id);
        }
    }

    /// A slot of `host`.
    async fn host_permit(&self, host: &str) -> Permit {
        self.limits.host(host).acquire().await
    }

    /// A slot of `url`'s host (unless `host` is one already taken), then the URL's turn, then
    /// a slot of the pass: in that order, so that a busy host, or a URL another source is
    /// fetching, never holds global slots idle.
    pub(super) async fn slots(&self, url: &Url, host: Option<Permit>) -> Slots<'_> {
        let host = match host {
            Some(host) => host,
            None => self.host_permit(url.host_str().unwrap_or("")).await,
        };
        let turn = self.turn(url).await;
        let global = self.limits.global.acquire().await;
        Slots {
            _host: host,
            turn,
            _global: global,
        }
    }

    /// The limits this fetcher's fetches are under.
    pub fn limits(&self) -> &Arc<Limits> {
        &self.limits
    }
}

/// What a request holds while it runs ([`Fetcher::slots`]).
pub(super) struct Slots<'a> {
    /// Its host's slot.
    _host: Permit,
    /// Its URL's turn.
    pub(super) turn: Turn<'a>,
    /// Its slot of the pass.
    _global: Permit,
}

/// The limits of the hosts fetched from.
#[derive(Debug)]
struct Hosts {
    /// The size of each host's limit.
    each: usize,
    /// Each host's, by its name.
    by_name: HashMap<String, Arc<Limit>>,
}

/// The host whose limits an http(s) source is under (one machine, whatever its ports);
/// `None` for a file.
fn host_of(source: &Source) -> Option<&str> {
    match &source.location {
        Location::Http(url) => Some(url.host_str().unwrap_or("")),
        Location::File(_) => None,
    }
}

/// The service whose pause (a 429's `Retry-After`) an http(s) source is under: its host, with
/// its port when that is not its scheme's own (`http://x/` and `https://x/` are one site's,
/// `x:8080` another program's, which asked nothing); `None` for a file.
fn service_of(source: &Source) -> Option<String> {
    match &source.location {
        Location::Http(url) => {
            let host = url.host_str().unwrap_or("");
            Some(match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            })
        }
        Location::File(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::tests::source;

    /// A host's pause is held to a week, as a source's own wait is, and a wait past what a
    /// date can hold neither panics nor pauses for ever.
    #[test]
    fn a_hosts_pause_is_capped() {
        let fetcher = Fetcher::new(&FetchConfig::default()).unwrap();
        let s = source("http://partner.example/feed.xml");
        fetcher.pause_host(&s, Duration::from_secs(365 * 24 * 3600));
        let until = fetcher.host_paused(&s).unwrap().until;
        let week = chrono::TimeDelta::from_std(MAX_RETRY_AFTER).unwrap();
        assert!(until <= Utc::now() + week, "{until}");
        assert!(
            until > Utc::now() + week - chrono::TimeDelta::minutes(1),
            "{until}"
        );
        fetcher.pause_host(&s, Duration::from_secs(u64::MAX / 4));
        assert!(fetcher.host_paused(&s).unwrap().until <= Utc::now() + week);
        // Another host is not paused; a file source has none.
        assert!(fetcher
            .host_paused(&source("http://other.example/feed.xml"))
            .is_none());
    }

    /// A pause is the service's that asked for it: the same host over https or on its
    /// scheme's own port written out is paused with it; another port of it is not.
    #[test]
    fn a_hosts_pause_is_its_services() {
        let fetcher = Fetcher::new(&FetchConfig::default()).unwrap();
        fetcher.pause_host(
            &source("http://partner.example/feed.xml"),
            Duration::from_secs(60),
        );
        for same in [
            "https://partner.example/other.xml",
            "http://partner.example:80/x.xml",
            "https://PARTNER.example:443/x.xml",
        ] {
            assert!(fetcher.host_paused(&source(same)).is_some(), "{same}");
        }
        let other_port = source("http://partner.example:8080/feed.xml");
        assert!(fetcher.host_paused(&other_port).is_none());
        fetcher.pause_host(&other_port, Duration::from_secs(60));
        assert!(fetcher.host_paused(&other_port).is_some());
        assert!(fetcher
            .host_paused(&source("http://partner.example:8081/feed.xml"))
            .is_none());
    }
}
