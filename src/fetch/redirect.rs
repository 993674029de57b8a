//! Redirects: the policy the clients follow them by (a limit, no private addresses, no other
//! site for a source that keeps to its own), and where they led, for a source's moved `url`
//! and for saying where a request failed; one request per URL at a time, so that what is
//! recorded under a URL is one request's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use url::Url;

use super::{guard, Fetcher};
use crate::model::Location;

impl Fetcher {
    /// Where the request whose turn `turn` is was sent for good: the address its redirects
    /// led to when every one of them was permanent (301 or 308), so the source's `url` should
    /// say it. Forgets the request's redirects either way.
    pub(super) fn moved(&self, turn: &Turn<'_>) -> Option<Url> {
        let asked = &turn.url;
        let hop = self
            .hops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(asked);
        hop.filter(|(permanent, to)| *permanent && to != asked)
            .map(|(_, to)| to)
    }

    /// Where the redirects of the request for `asked` led, as the policy recorded them (the
    /// last one followed); `None` when it followed none.
    pub(super) fn redirected(&self, asked: &Url) -> Option<Url> {
        let asked = without_fragment(asked);
        self.hops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&asked)
            .map(|(_, to)| to.clone())
            .filter(|to| *to != asked)
    }

    /// The turn of a request for `url`: requests for one URL (two sources sharing it, a
    /// discovery beside a fetch) run one at a time, as the policy records their redirects by
    /// the URL asked for, and each request's are its own. What an earlier request left
    /// (cut short by a timeout or a stop) is forgotten.
    pub(super) async fn turn(&self, url: &Url) -> Turn<'_> {
        let turn = self.turns.take(url).await;
        self.hops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&turn.url);
        turn
    }
}

/// The URLs being requested, each with the lock its requests take in turn
/// ([`Fetcher::turn`]).
#[derive(Debug, Default)]
pub(super) struct Turns(Mutex<HashMap<Url, Arc<tokio::sync::Mutex<()>>>>);

impl Turns {
    /// Waits for `url`'s turn.
    async fn take(&self, url: &Url) -> Turn<'_> {
        let url = without_fragment(url);
        let lock = {
            let mut turns = self.0.lock().unwrap_or_else(|e| e.into_inner());
            // What a waiter given up (a fetch stopped or timed out in its queue) left: a lock
            // no request holds or waits for.
            turns.retain(|_, lock| Arc::strong_count(lock) > 1);
            turns.entry(url.clone()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        Turn {
            turns: self,
            url,
            guard: Some(guard),
        }
    }
}

/// A request's turn at its URL, given up when dropped (and the URL forgotten when no other
/// request waits for it).
#[derive(Debug)]
pub(super) struct Turn<'a> {
    /// Where the URL's lock is kept.
    turns: &'a Turns,
    /// The URL, without its fragment.
    url: Url,
    /// The URL's lock, held.
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut turns = self.turns.0.lock().unwrap_or_else(|e| e.into_inner());
        drop(self.guard.take());
        // Waiters clone the lock under the map's mutex: none does now, and none holds it.
        if turns
            .get(&self.url)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            turns.remove(&self.url);
        }
    }
}

/// See [`Fetcher::moved`].
pub(super) type Hops = Arc<Mutex<HashMap<Url, (bool, Url)>>>;

/// Follows at most `max` redirects, recording them in `hops` (see [`Fetcher::moved`]).
/// `guarded`: no redirect to a private address literal; `proxied` (through `[fetch] proxy`,
/// which resolves names itself, past the guard): nor to a name of a private network
/// ([`guard::internal_name`]). `same_site`: no redirect to another
/// scheme, host or port, for a source whose trust is its site's (a login or headers of its
/// own, which the HTTP client would drop only some of there, and never custom ones; a
/// certificate not checked), saying what following it would do.
pub(super) fn redirect_policy(
    max: usize,
    hops: Hops,
    guarded: bool,
    proxied: bool,
    same_site: Option<&'static str>,
) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        // Recorded only once followed (below), by the URL asked for without its
        // fragment (the client never sends one, and gives none back here).
        let hop = |attempt: &reqwest::redirect::Attempt<'_>| {
            let Some(asked) = attempt.previous().first() else {
                return;
            };
            let permanent = matches!(attempt.status().as_u16(), 301 | 308);
            let mut hops = hops.lock().unwrap_or_else(|e| e.into_inner());
            let hop = hops
                .entry(without_fragment(asked))
                .or_insert_with(|| (true, attempt.url().clone()));
            *hop = (hop.0 && permanent, attempt.url().clone());
        };
        if attempt.previous().len() > max {
            return attempt.error(format!("too many redirects (limit {max})"));
        }
        if guarded {
            if let Some(ip) = guard::forbidden_literal(attempt.url()) {
                return attempt.error(format!(
                    "refused: redirect to {ip} (a loopback, private or link-local address)"
                ));
            }
            // (A source the config names by such a name is fetched as configured, redirects
            // and all; so is a redirect within the host asked.)
            let chosen = |first: &Url| {
                guard::internal_name(first).is_some()
                    || first.host_str() == attempt.url().host_str()
            };
            let internal = proxied && !attempt.previous().first().is_some_and(chosen);
            if let Some(name) = internal
                .then(|| guard::internal_name(attempt.url()))
                .flatten()
            {
                return attempt.error(format!(
                    "refused: redirect to {name}, a name of a private network, through the proxy (set url to it if it is to be fetched)"
                ));
            }
        }
        if let Some(why) = same_site {
            let first = attempt.previous().first().map(Url::origin);
            if first.is_some_and(|o| o != attempt.url().origin()) {
                let to = Location::Http(attempt.url().clone()).to_string();
                return attempt.error(format!(
                    "refused: redirect to {to}, another site, {why} (set url to it if it is to be trusted)"
                ));
            }
        }
        // The client follows http(s) alone, and refuses the rest after this.
        if matches!(attempt.url().scheme(), "http" | "https") {
            hop(&attempt);
        }
        attempt.follow()
    })
}

fn without_fragment(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    url
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    #[test]
    fn one_request_per_url_at_a_time_and_none_kept_after() {
        let turns = Turns::default();
        let feed = Url::parse("https://a.example/feed").unwrap();
        let first = turns.take(&feed).now_or_never().expect("a free URL");
        // The same URL (its fragment aside) waits; another does not.
        let marked = Url::parse("https://a.example/feed#top").unwrap();
        assert!(turns.take(&marked).now_or_never().is_none());
        let other = Url::parse("https://a.example/other").unwrap();
        assert!(turns.take(&other).now_or_never().is_some());
        drop(first);
        let again = turns.take(&feed).now_or_never().expect("given up");
        drop(again);
        assert!(turns.0.lock().unwrap().is_empty());
        // A waiter given up after the turn it waited for was given up leaves its URL behind,
        // until the next request comes.
        let first = turns.take(&feed).now_or_never().expect("free");
        let mut waiting = Box::pin(turns.take(&feed));
        assert!((&mut waiting).now_or_never().is_none());
        drop(first);
        drop(waiting);
        assert_eq!(turns.0.lock().unwrap().len(), 1);
        let next = turns.take(&other).now_or_never().expect("free");
        assert_eq!(turns.0.lock().unwrap().len(), 1);
        drop(next);
        assert!(turns.0.lock().unwrap().is_empty());
    }
}
