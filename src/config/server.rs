//! `[server]`, validated: the listen address, the public base URL, the feeds' title and
//! images, and the limits that keep slow clients from holding connections.

use std::time::Duration;

use toml::Spanned;
use url::Url;

use super::raw;
use super::validate::Validator;
use crate::model::redact_url_text;

/// `[server]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Address the daemon listens on.
    pub listen: std::net::SocketAddr,
    /// Public URL of the server, for self links in feeds (default `http://{listen}/`).
    pub base_url: Url,
    /// Whether `base_url` was configured, not derived from the listen address: only then is
    /// it stable enough to make the feeds' permanent ids from.
    pub base_url_configured: bool,
    /// Name of the merged feeds ("Tributary" unless set).
    pub title: String,
    /// Items in each republished feed, newest first.
    pub feed_items: usize,
    /// How long a client may take to send a request's headers (also how long an idle
    /// keep-alive connection stays open), so slow clients cannot hold connections.
    pub header_timeout: Duration,
    /// How long a request may take from headers to response.
    pub request_timeout: Duration,
    /// How long a response may wait for the client to take any of its bytes, so a client
    /// that never reads cannot hold a connection.
    pub send_timeout: Duration,
    /// Open connections at most; the server stops accepting while this many are open.
    pub max_connections: usize,
    /// A small square image for the feeds (Atom `icon`, JSON Feed `favicon`).
    pub icon: Option<Url>,
    /// A larger image for the feeds (Atom `logo`, RSS `image`).
    pub logo: Option<Url>,
    /// The zone the feeds' web pages tell days and times in (UTC unless set).
    pub time_zone: chrono_tz::Tz,
}

impl ServerConfig {
    /// An absolute URL on this server.
    pub fn url(&self, path: &str) -> String {
        self.base_url
            .join(path.trim_start_matches('/'))
            .map(|u| u.to_string())
            .unwrap_or_else(|_| format!("{}{}", self.base_url, path.trim_start_matches('/')))
    }

    /// Sets the listen address (the `--listen` flag and `TRIBUTARY_LISTEN`); a base URL
    /// that was derived from the old address follows it, a configured one stays.
    pub fn with_listen(mut self, listen: std::net::SocketAddr) -> ServerConfig {
        if !self.base_url_configured {
            if let Ok(u) = Url::parse(&format!("http://{listen}/")) {
                self.base_url = u;
            }
        }
        self.listen = listen;
        self
    }
}

impl Validator<'_> {
    pub(super) fn server(&mut self, raw: &raw::RawServer) -> ServerConfig {
        let default_listen: std::net::SocketAddr = ([127, 0, 0, 1], 8080).into();
        let listen = match &raw.listen {
            Some(l) => match l.get_ref().trim().parse() {
                Ok(a) => a,
                Err(e) => {
                    self.push(
                        l.span().start,
                        "server.listen",
                        format!("invalid address {:?}: {e} (write e.g. \"127.0.0.1:8080\" or \"[::]:8080\")", redact_url_text(l.get_ref())),
                    );
                    default_listen
                }
            },
            None => default_listen,
        };
        let derived =
            Url::parse(&format!("http://{listen}/")).expect("a socket address makes a URL");
        let (base_url, base_url_configured) = match &raw.base_url {
            Some(b) => match Url::parse(b.get_ref().trim()) {
                // Every feed links to itself and its stories' pages by it: a login in it would
                // be published in each.
                Ok(u) if !u.username().is_empty() || u.password().is_some() => {
                    self.push(
                        b.span().start,
                        "server.base_url",
                        format!("base URL {:?} carries a login: every feed would publish it in its links (write the public address alone)", redact_url_text(b.get_ref())),
                    );
                    (derived, false)
                }
                Ok(mut u) if u.scheme() == "http" || u.scheme() == "https" => {
                    if !u.path().ends_with('/') {
                        let path = format!("{}/", u.path());
                        u.set_path(&path);
                    }
                    (u, true)
                }
                Ok(_) | Err(_) => {
                    self.push(
                        b.span().start,
                        "server.base_url",
                        format!("invalid base URL {:?}: expected an absolute http(s) URL such as \"https://feeds.example.org/\"", redact_url_text(b.get_ref())),
                    );
                    (derived, false)
                }
            },
            None => (derived, false),
        };
        ServerConfig {
            listen,
            base_url_configured,
            base_url,
            title: raw
                .title
                .as_ref()
                .map(|t| t.get_ref().trim().to_string())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "Tributary".to_string()),
            feed_items: self
                .count(&raw.feed_items, "server.feed_items", 1, 1000)
                .unwrap_or(50),
            header_timeout: self
                .duration(&raw.header_timeout, "server.header_timeout")
                .unwrap_or(Duration::from_secs(10)),
            request_timeout: self
                .duration(&raw.request_timeout, "server.request_timeout")
                .unwrap_or(Duration::from_secs(30)),
            send_timeout: self
                .duration(&raw.send_timeout, "server.send_timeout")
                .unwrap_or(Duration::from_secs(60)),
            max_connections: self
                .count(&raw.max_connections, "server.max_connections", 1, 65_536)
                .unwrap_or(1024),
            icon: self.image_url(&raw.icon, "server.icon"),
            logo: self.image_url(&raw.logo, "server.logo"),
            time_zone: raw
                .time_zone
                .as_ref()
                .and_then(|tz| self.time_zone(tz, "server.time_zone"))
                .unwrap_or(chrono_tz::UTC),
        }
    }

    /// An absolute http(s) URL of an image the feeds name (`[server] icon`, `logo`).
    fn image_url(&mut self, raw: &Option<Spanned<String>>, key: &str) -> Option<Url> {
        let raw = raw.as_ref()?;
        match Url::parse(raw.get_ref().trim()) {
            Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => {
                Some(u)
            }
            _ => {
                self.push(
                    raw.span().start,
                    key,
                    format!(
                        "invalid image URL {:?}: expected an absolute http(s) URL such as \"https://feeds.example.org/icon.png\"",
                        redact_url_text(raw.get_ref())
                    ),
                );
                None
            }
        }
    }
}
