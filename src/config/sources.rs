//! Each `[[sources]]` table, validated into a [`Source`]: its id, URL or file, language,
//! schedule, default topics, login, extra headers and certificate checks.

use std::collections::HashMap;

use toml::Spanned;
use url::Url;

use super::raw::{self, RawSource};
use super::rules::unknown_topic;
use super::schedule::{cron_min_gap, MIN_POLL};
use super::validate::Validator;
use super::FetchConfig;
use crate::classify::Classifier;
use crate::filter;
use crate::model::{redact_url_text, Location, Schedule, Source};

/// A source id as it goes into a feed's path (`/feeds/sources/{id}.rss`) and metric labels:
/// lowercase ASCII letters, digits, `-` and `_`, starting with a letter or digit, at most 64.
pub(crate) fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && id.len() <= 64
}

/// A language tag of BCP 47's shape: a primary language of 2 or 3 letters, then subtags of
/// 1 to 8 letters or digits (`sr-Latn`, `sq-XK`).
pub(crate) fn valid_lang(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// For each source kept, its index among the `[[sources]]` tables and its topics as written.
type Placed = Vec<(usize, Vec<Spanned<String>>)>;

impl Validator<'_> {
    /// The `[[sources]]` tables: the sources valid enough to keep, in file order; each
    /// source's own `filter`, by id; and, for each source kept, its index among the tables
    /// and its topics as written (for [`Validator::source_topics`]).
    pub(super) fn sources(
        &mut self,
        raw: Vec<RawSource>,
        fetch: &FetchConfig,
    ) -> (Vec<Source>, HashMap<String, filter::Rules>, Placed) {
        let mut source_filters = HashMap::new();
        let mut sources: Vec<Source> = Vec::new();
        // For each source in `sources`: its index among the `[[sources]]` tables, and its
        // topics as written, to name where an unknown one is.
        let mut placed: Placed = Vec::new();
        // Id → offset of its first definition; the line is worked out only for a duplicate
        // (a config of thousands of sources must not cost a scan of the file per source).
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(raw.len());
        for (i, rs) in raw.into_iter().enumerate() {
            let key = format!("sources[{i}]");
            let id = rs.id.get_ref().clone();
            if let Some(&first) = seen.get(&id) {
                let line = self.loc.problem(first, "", "").line;
                let msg = format!("duplicate source id {id:?} (first defined on line {line})");
                self.push(rs.id.span().start, format!("{key}.id"), msg);
            } else {
                seen.insert(id.clone(), rs.id.span().start);
            }
            if let Some(raw_filter) = &rs.filter {
                let rules = self.filter_rules(raw_filter, &format!("{key}.filter"));
                source_filters.insert(id.clone(), rules);
            }
            let topics = rs.topics.clone();
            if let Some(source) = self.source(rs, &key, fetch) {
                sources.push(source);
                placed.push((i, topics));
            }
        }
        (sources, source_filters, placed)
    }

    /// Each topic the sources name by default that `classifier` does not define: `placed`
    /// is, for each source, its index among the `[[sources]]` tables and its topics as
    /// written.
    pub(super) fn source_topics(
        &mut self,
        placed: &[(usize, Vec<Spanned<String>>)],
        classifier: &Classifier,
    ) {
        for (i, topics) in placed {
            for (j, t) in topics.iter().enumerate() {
                if valid_id(t.get_ref()) && classifier.title(t.get_ref()).is_none() {
                    let known: Vec<&str> = classifier.topics().collect();
                    self.push(
                        t.span().start,
                        format!("sources[{i}].topics[{j}]"),
                        unknown_topic(t.get_ref(), &known),
                    );
                }
            }
        }
    }

    /// One `[[sources]]` table, `key` its place (`sources[i]`); `None` when it is too
    /// broken to keep.
    fn source(&mut self, rs: RawSource, key: &str, fetch: &FetchConfig) -> Option<Source> {
        let id = rs.id.get_ref();
        if !valid_id(id) {
            self.push(
                rs.id.span().start,
                format!("{key}.id"),
                format!("invalid id {id:?}: use lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters"),
            );
        }
        if rs.title.get_ref().trim().is_empty() {
            self.push(
                rs.title.span().start,
                format!("{key}.title"),
                "title is empty",
            );
        }
        let location = self.location(&rs.url, &format!("{key}.url"));
        if let Some(lang) = &rs.lang {
            if !valid_lang(lang.get_ref()) {
                self.push(
                    lang.span().start,
                    format!("{key}.lang"),
                    format!("invalid language tag {:?}: expected a BCP 47 tag such as \"en\", \"sq\", \"sr-Latn\" or \"sr-Cyrl\"", lang.get_ref()),
                );
            }
        }
        let schedule = match (&rs.interval, &rs.cron) {
            (Some(_), Some(cron)) => {
                self.push(
                    cron.span().start,
                    format!("{key}.cron"),
                    "set either interval or cron, not both",
                );
                None
            }
            (Some(_), None) => self
                .interval(&rs.interval, &format!("{key}.interval"))
                .map(Schedule::Interval),
            (None, Some(cron)) => {
                let expr = self.cron(cron, &format!("{key}.cron"));
                // Thousands of sources share a few expressions: each is walked once.
                let gap = expr.as_ref().and_then(|e| {
                    *self
                        .cron_gaps
                        .entry(e.clone())
                        .or_insert_with(|| cron_min_gap(e))
                });
                match gap {
                    Some(gap) if gap < MIN_POLL => {
                        self.push(
                            cron.span().start,
                            format!("{key}.cron"),
                            format!(
                                "{:?} fires {}s apart; a source is polled at most every 10s",
                                cron.get_ref().trim(),
                                gap.as_secs()
                            ),
                        );
                        None
                    }
                    _ => expr.map(Schedule::Cron),
                }
            }
            (None, None) => Some(Schedule::Interval(fetch.default_interval)),
        };
        let mut topics = Vec::new();
        for (j, t) in rs.topics.iter().enumerate() {
            if !valid_id(t.get_ref()) {
                self.push(
                    t.span().start,
                    format!("{key}.topics[{j}]"),
                    format!("invalid topic name {:?}", t.get_ref()),
                );
            } else if !topics.contains(t.get_ref()) {
                topics.push(t.get_ref().clone());
            }
        }
        let auth = self.basic_auth(&rs, key);
        let headers = self.headers(&rs, key);
        let unchecked = rs.accept_invalid_certificates.as_ref();
        if let (Some(flag), Some(Location::Http(url))) = (unchecked, &location) {
            // A client that checks no certificate checks none on its way through an https
            // proxy either: the proxy's own, which its password would then go to unchecked.
            if *flag.get_ref() && fetch.through_https_proxy(url) {
                self.push(
                    flag.span().start,
                    format!("{key}.accept_invalid_certificates"),
                    "cannot be used through an https [fetch] proxy: the proxy's certificate would go unchecked too (and its password with it); remove it (and have the site's certificate mended, or use an http proxy)",
                );
            }
        }
        let time_zone = match &rs.time_zone {
            Some(tz) => self.time_zone(tz, &format!("{key}.time_zone")),
            None => fetch.time_zone,
        };
        Some(Source {
            id: id.clone(),
            title: rs.title.get_ref().trim().to_string(),
            location: location?,
            kind: rs.kind,
            // In BCP 47's case (`SR-CYRL`: `sr-Cyrl`): the language feeds' addresses and
            // the feeds' `language` say it so.
            lang: rs.lang.map(|l| crate::parse::lang::canonical(l.get_ref())),
            schedule: schedule?,
            topics,
            enabled: rs.enabled.unwrap_or(true),
            user_agent: self.user_agent(&rs.user_agent, &format!("{key}.user_agent")),
            auth,
            headers,
            accept_invalid_certificates: unchecked.is_some_and(|f| *f.get_ref()),
            time_zone,
        })
    }

    /// `username` and `password_env`: both or neither.
    fn basic_auth(&mut self, rs: &raw::RawSource, key: &str) -> Option<crate::model::BasicAuth> {
        self.login(
            &rs.username,
            &rs.password_env,
            &format!("{key}.username"),
            &format!("{key}.password_env"),
        )
    }

    /// `headers`: valid names and values, and none that the fetch sets itself.
    fn headers(&mut self, rs: &raw::RawSource, key: &str) -> Vec<(String, String)> {
        /// Set by the fetch (validators, framing, compression) or by other keys.
        const OWN: &[(&str, &str)] = &[
            ("host", "it is the URL's"),
            ("content-length", "the request has no body"),
            ("transfer-encoding", "the request has no body"),
            ("connection", "the HTTP client manages connections"),
            ("accept-encoding", "the HTTP client negotiates compression"),
            (
                "if-none-match",
                "the fetch sends the feed's validators itself",
            ),
            (
                "if-modified-since",
                "the fetch sends the feed's validators itself",
            ),
            ("user-agent", "use user_agent"),
        ];
        let Some(table) = &rs.headers else {
            return Vec::new();
        };
        let at = table.span().start;
        let mut out = Vec::new();
        for (name, value) in table.get_ref() {
            let field = format!("{key}.headers.{name}");
            let at = self.loc.offset_of_key(at, name);
            let Some(value) = value.as_str() else {
                self.push(at, field, "a header value must be a string");
                continue;
            };
            let lower = name.to_ascii_lowercase();
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                self.push(at, field, format!("{name:?} is not a valid header name"));
            } else if let Some((_, why)) = OWN.iter().find(|(n, _)| *n == lower) {
                self.push(at, field, format!("{name} cannot be set here: {why}"));
            } else if lower == "authorization" && rs.username.is_some() {
                self.push(
                    at,
                    field,
                    "Authorization and username both set the login: keep one",
                );
            } else if reqwest::header::HeaderValue::from_str(value).is_err() {
                self.push(
                    at,
                    field,
                    "the value holds a character a header cannot carry (a line break, a control character)",
                );
            } else {
                out.push((name.clone(), value.to_string()));
            }
        }
        out
    }

    fn location(&mut self, url: &Spanned<String>, key: &str) -> Option<Location> {
        let text = url.get_ref().trim();
        let start = url.span().start;
        if text.is_empty() {
            self.push(start, key, "url is empty");
            return None;
        }
        // What an error quotes of the URL: `check`, the log of a refused reload and the admin
        // route's answer show it, so a password or a key in it is masked, parsed or not.
        let quoted = redact_url_text(text);
        match Url::parse(text) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {
                if u.host_str().is_none_or(str::is_empty) {
                    self.push(start, key, format!("invalid URL {quoted:?}: no host"));
                    return None;
                }
                // The URL is shown on the status page, in /sources.json, the OPML and logs.
                if !u.username().is_empty() || u.password().is_some() {
                    self.push(
                        start,
                        key,
                        "the URL holds a login: put the user in username and the password in the environment variable named by password_env",
                    );
                    return None;
                }
                Some(Location::Http(u))
            }
            Ok(u) if u.scheme() == "file" => match u.to_file_path() {
                Ok(p) => Some(Location::File(p)),
                Err(()) => {
                    self.push(start, key, format!("invalid file URL {quoted:?}"));
                    None
                }
            },
            // A single letter "scheme" would be a Windows drive; anything else is a URL we don't fetch.
            Ok(u) if u.scheme().len() > 1 => {
                self.push(
                    start,
                    key,
                    format!(
                        "unsupported URL scheme {:?} in {quoted:?}: use http, https, or a local file path",
                        u.scheme()
                    ),
                );
                None
            }
            Ok(_) | Err(url::ParseError::RelativeUrlWithoutBase) => {
                let path = self.base.join(text);
                if let Some(meant) = missing_scheme(text).filter(|_| !path.exists()) {
                    self.push(
                        start,
                        key,
                        format!(
                            "{quoted:?} looks like a URL without its scheme: write {:?} (or \"./{quoted}\" for a local file)",
                            redact_url_text(&meant)
                        ),
                    );
                    return None;
                }
                Some(Location::File(path))
            }
            Err(e) => {
                self.push(start, key, format!("invalid URL {quoted:?}: {e}"));
                None
            }
        }
    }
}

/// The URL a source `url` without a scheme was probably meant to be: `https//a.org/feed` or
/// `http:/a.org/feed` missing a colon or slash, or `example.org/feed/` (a host name first).
/// `None` for what reads as a local path (`feeds/partner.xml`, `partner.xml`, `./a.org/x`).
fn missing_scheme(text: &str) -> Option<String> {
    for scheme in ["https", "http"] {
        if let Some(rest) = text.strip_prefix(scheme) {
            let rest = rest.trim_start_matches([':', '/']);
            if rest.len() + scheme.len() < text.len() && !rest.is_empty() {
                return Some(format!("{scheme}://{rest}"));
            }
        }
    }
    let (first, rest) = text.split_once('/')?;
    let labels: Vec<&str> = first.split('.').collect();
    let host_like = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    host_like.then(|| format!("https://{first}/{rest}"))
}
