//! Building a [`Fetcher`]: its HTTP clients, one for each kind of request (public or local,
//! with a login or headers or not, checking certificates or not), and the proxy they go
//! through.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::error::error_chain;
use super::redirect::{redirect_policy, Hops, Turns};
use super::{guard, Extras, FetchError, Fetcher, Limits};
use crate::config::FetchConfig;

impl Fetcher {
    /// Builds the clients from the `[fetch]` config.
    pub fn new(config: &FetchConfig) -> Result<Fetcher, FetchError> {
        Fetcher::sharing(config, Limits::new(config))
    }

    /// [`Fetcher::new`] under `limits`, which other fetchers may share (those of the config
    /// before a reload): their sizes are left as they are.
    pub fn sharing(config: &FetchConfig, limits: Arc<Limits>) -> Result<Fetcher, FetchError> {
        Fetcher::with_resolver(config, guard::GuardedResolver::system(), limits)
    }

    /// Builds the clients with a given resolver for public sources (tests use a fixed table).
    pub fn with_resolver(
        config: &FetchConfig,
        resolver: guard::GuardedResolver,
        limits: Arc<Limits>,
    ) -> Result<Fetcher, FetchError> {
        // Through `[fetch] proxy` when there is one. The proxy resolves the sources' names
        // itself, so the guard's DNS check cannot apply there; redirects to a private address
        // literal are still refused (see `redirect_policy`). Never a proxy from the
        // environment: it would resolve names past the guard, unannounced.
        // Its password is read once, here (at start and at each reload); without it every
        // request to a public source fails, naming the variable.
        let mut no_proxy_password = None;
        let proxy = match &config.proxy {
            Some(p) => {
                let mut proxy = reqwest::Proxy::all(p.url.as_str())
                    .map_err(|e| FetchError::Other(error_chain(&e)))?;
                if let Some(auth) = &p.auth {
                    match std::env::var(&auth.password_env) {
                        Ok(password) => proxy = proxy.basic_auth(&auth.username, &password),
                        Err(_) => no_proxy_password = Some(auth.password_env.clone()),
                    }
                }
                Some(proxy)
            }
            None => None,
        };
        let resolver = Arc::new(resolver);
        let hops = Hops::default();
        Ok(Fetcher {
            checked: Fetcher::clients(config, &resolver, proxy.as_ref(), &hops, false)?,
            unchecked: OnceLock::new(),
            resolver,
            proxy,
            config: config.clone(),
            limits,
            hops,
            turns: Turns::default(),
            no_proxy_password,
        })
    }

    /// The four clients (public or local, with or without a login or headers), checking the
    /// servers' certificates or not (`unchecked`, for `accept_invalid_certificates`).
    fn clients(
        config: &FetchConfig,
        resolver: &Arc<guard::GuardedResolver>,
        proxy: Option<&reqwest::Proxy>,
        hops: &Hops,
        unchecked: bool,
    ) -> Result<Clients, FetchError> {
        let build = |guarded: bool, same_site: Option<&'static str>| {
            let proxied = guarded && proxy.is_some();
            reqwest::Client::builder()
                .user_agent(config.user_agent.clone())
                .connect_timeout(config.connect_timeout)
                .timeout(config.timeout)
                .gzip(true)
                .brotli(true)
                .deflate(true)
                .pool_idle_timeout(Duration::from_secs(30))
                .redirect(redirect_policy(
                    config.max_redirects,
                    hops.clone(),
                    guarded,
                    proxied,
                    same_site,
                ))
                // Every check but the certificate's (its authority, dates and names) stays:
                // the guard, the proxy, the limits, the redirect policy.
                .danger_accept_invalid_certs(unchecked)
        };
        let public = |same_site| {
            let builder = build(true, same_site).no_proxy();
            match proxy {
                Some(proxy) => builder.proxy(proxy.clone()),
                None => builder.dns_resolver(resolver.clone()),
            }
            .build()
            .map_err(|e| FetchError::Other(error_chain(&e)))
        };
        // A source on this host or network on purpose is fetched directly.
        let local = |same_site| {
            build(false, same_site)
                .no_proxy()
                .build()
                .map_err(|e| FetchError::Other(error_chain(&e)))
        };
        // A source with a login or headers, or whose certificate is not checked, keeps to its
        // site: the trust it was given is that site's.
        const PRIVATE: &str = "which would get this source's login or headers";
        const UNCHECKED: &str = "whose certificate would not be checked either";
        const BOTH: &str = "which would get this source's login or headers, and whose certificate would not be checked either";
        let (plain, private) = if unchecked {
            (Some(UNCHECKED), Some(BOTH))
        } else {
            (None, Some(PRIVATE))
        };
        Ok(Clients {
            public: public(plain)?,
            local: local(plain)?,
            private_public: public(private)?,
            private_local: local(private)?,
        })
    }

    /// The clients for a request as `extras` asks: those that do not check certificates are
    /// built at the first fetch of a source that sets `accept_invalid_certificates`.
    pub(super) fn clients_for(&self, extras: Extras<'_>) -> Result<&Clients, FetchError> {
        if !extras.accept_invalid_certificates {
            return Ok(&self.checked);
        }
        if let Some(clients) = self.unchecked.get() {
            return Ok(clients);
        }
        let built = Fetcher::clients(
            &self.config,
            &self.resolver,
            self.proxy.as_ref(),
            &self.hops,
            true,
        )?;
        // Two first fetches at once: either's clients serve both.
        Ok(self.unchecked.get_or_init(|| built))
    }
}

/// A fetcher's HTTP clients, one for each kind of request.
pub(super) struct Clients {
    /// For sources on the public internet: guarded DNS and redirects.
    public: reqwest::Client,
    /// For sources whose configured URL is local on purpose.
    local: reqwest::Client,
    /// The two above for sources with a login or headers: no redirect to another site.
    private_public: reqwest::Client,
    /// Likewise, for a local source.
    private_local: reqwest::Client,
}

impl Clients {
    /// The client for a source on this host or network (`local`) or not, with a login or
    /// headers (`private`) or not.
    pub(super) fn pick(&self, local: bool, private: bool) -> &reqwest::Client {
        match (local, private) {
            (true, false) => &self.local,
            (false, false) => &self.public,
            (true, true) => &self.private_local,
            (false, true) => &self.private_public,
        }
    }
}
