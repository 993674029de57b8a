//! Redirects: the policy the clients follow them by (a limit, no private addresses, no other
//! site for a source that keeps to its own), and where they led, for a source's moved `url`
//! and for saying where a request failed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use url::Url;

use super::{guard, Fetcher};
use crate::model::Location;

impl Fetcher {
    /// Where the last fetch of `url` was sent for good: the address its redirects led to when
    /// every one of them was permanent (301 or 308), so the source's `url` should say it.
    /// Forgets the redirects of that fetch either way.
    pub fn moved(&self, url: &Url) -> Option<Url> {
        let asked = without_fragment(url);
        let hop = self
            .hops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&asked);
        hop.filter(|(permanent, to)| *permanent && *to != asked)
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
