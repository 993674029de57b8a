//! Configuration: the TOML file (`raw`) validated into a [`Config`] whose fields are already
//! URLs, durations and sizes. Every error names the file, line and key.

mod error;
mod mail;
mod raw;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use toml::Spanned;
use url::Url;

use error::Locator;
pub use error::{ConfigError, Problem};
pub use mail::{DigestConfig, MailConfig, SmtpConfig, SmtpSecurity};
use raw::{RawConfig, RawFilter, RawSource};

use crate::classify::{Classifier, Rules, RulesFile};
use crate::filter::{self, Filters};
use crate::model::{redact_url_text, Location, Schedule, Source, SourceKind};

/// Default poll interval (Miniflux polls hourly; partner news moves faster).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30 * 60);

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from (relative paths inside it are resolved against its folder).
    pub file: PathBuf,
    /// Where and how the store is kept.
    pub store: StoreConfig,
    /// How feeds are fetched.
    pub fetch: FetchConfig,
    /// How stories are matched across sources.
    pub dedupe: DedupeConfig,
    /// The HTTP server of the daemon.
    pub server: ServerConfig,
    /// The sources, in file order.
    pub sources: Vec<Source>,
    /// The topic rules, compiled once.
    pub classifier: Arc<Classifier>,
    /// Which fetched entries are never stored: `[filter]` and each source's own.
    pub filters: Arc<Filters>,
    /// Outbox and SMTP for digests.
    pub mail: MailConfig,
    /// The digests, in file order.
    pub digests: Vec<DigestConfig>,
}

/// `[store]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// The sled directory.
    pub path: PathBuf,
    /// sled's page cache in bytes (its own default of 1 GiB is far more than a feed store needs).
    pub cache_capacity: u64,
    /// Stories published longer ago than this are pruned (None: kept for ever).
    pub max_age: Option<Duration>,
    /// Each source keeps at most this many stories it alone carries (None: no limit).
    pub max_items_per_source: Option<usize>,
}

/// `[fetch]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// User-Agent sent with every request.
    pub user_agent: String,
    /// Limit on a whole request, from connect to the last body byte.
    pub timeout: Duration,
    /// Limit on establishing the connection.
    pub connect_timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body_size: u64,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    /// Fetches running at once over all sources.
    pub concurrency: usize,
    /// Fetches running at once against one host.
    pub per_host_concurrency: usize,
    /// Poll interval for sources that set neither `interval` nor `cron`.
    pub default_interval: Duration,
    /// Wait after the first failure; doubled after each further one.
    pub backoff_base: Duration,
    /// Longest wait between attempts on a failing source.
    pub backoff_max: Duration,
    /// Time zone of dates that feeds write without one, for sources that set none
    /// (`None`: UTC).
    pub time_zone: Option<chrono_tz::Tz>,
    /// The HTTP proxy that requests to public sources go through (`None`: straight out; the
    /// environment's `HTTP_PROXY` and `HTTPS_PROXY` are never used).
    pub proxy: Option<ProxyConfig>,
}

/// `[fetch] proxy`, with its login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// `http://host:port` or `https://host:port`.
    pub url: Url,
    /// `proxy_username` and `proxy_password_env`.
    pub auth: Option<crate::model::BasicAuth>,
}

impl FetchConfig {
    /// Whether `[fetch] proxy` is an `https` one, whose own certificate a client that checks
    /// none would not check either.
    pub fn https_proxy(&self) -> bool {
        self.proxy
            .as_ref()
            .is_some_and(|p| p.url.scheme() == "https")
    }

    /// Whether a request to `url` goes through an `https` proxy ([`FetchConfig::https_proxy`]).
    pub fn through_https_proxy(&self, url: &Url) -> bool {
        self.https_proxy() && !crate::fetch::guard::is_local(url)
    }
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: default_user_agent(),
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
            max_body_size: 15 * 1024 * 1024,
            max_redirects: 5,
            concurrency: 16,
            per_host_concurrency: 2,
            default_interval: DEFAULT_INTERVAL,
            backoff_base: Duration::from_secs(5 * 60),
            backoff_max: Duration::from_secs(24 * 3600),
            time_zone: None,
            proxy: None,
        }
    }
}

/// The User-Agent used unless the config sets one.
pub fn default_user_agent() -> String {
    format!(
        "Tributary/{} (feed aggregator; +https://github.com/tributary-feeds/tributary)",
        env!("CARGO_PKG_VERSION")
    )
}

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

/// `[dedupe]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupeConfig {
    /// Two sources' items with the same normalized title are one story when published this close.
    pub title_window: Duration,
    /// Titles shorter than this (after normalizing) never merge stories: "News" is not a story.
    pub min_title_chars: usize,
    /// The sources of `kind = "organization"`: a story one of them carries is theirs, and
    /// their copy leads it (its link and text) over any partner's republished copy.
    pub organizations: Arc<std::collections::BTreeSet<String>>,
    /// The name of each source's site, as its feed's address tells it
    /// ([`crate::model::site_name`]): a link on it is that source's own page.
    pub sites: Arc<std::collections::BTreeMap<String, String>>,
}

impl DedupeConfig {
    /// Whether `source`'s copy of a story outranks copies of sources of another kind.
    pub fn is_organization(&self, source: &str) -> bool {
        self.organizations.contains(source)
    }

    /// The name of `source`'s site, if its address tells one.
    pub fn site_of(&self, source: &str) -> Option<&str> {
        self.sites.get(source).map(String::as_str)
    }

    /// Whether `site` ([`crate::model::site_name`]) is the site of an organisation.
    pub fn is_organization_site(&self, site: &str) -> bool {
        self.sites
            .iter()
            .any(|(source, s)| s == site && self.is_organization(source))
    }
}

impl Default for DedupeConfig {
    fn default() -> Self {
        DedupeConfig {
            title_window: Duration::from_secs(72 * 3600),
            min_title_chars: 20,
            organizations: Default::default(),
            sites: Default::default(),
        }
    }
}

/// Every structural problem (an unknown key, a value of the wrong type, a missing one) of a
/// file that does not deserialize as a whole: each top-level table, each `[[sources]]` and
/// `[[digests]]` entry and each `[topics.NAME]` is deserialized on its own, so `check` names
/// every wrong key at once rather than the first alone. A file that is not TOML at all (or
/// none of whose parts fails alone) gets its one error.
fn structural_problems<T: serde::de::DeserializeOwned>(
    text: &str,
    loc: &Locator,
    whole: &toml::de::Error,
) -> Vec<error::Problem> {
    use toml::de::{DeArray, DeString, DeTable, DeValue, Deserializer};
    let Ok(doc) = DeTable::parse(text) else {
        return vec![loc.toml_problem(whole)];
    };
    let file = doc.span();
    let mut problems: Vec<error::Problem> = Vec::new();
    let mut part = |key: &Spanned<DeString<'_>>, value: Spanned<DeValue<'_>>| {
        let mut table = DeTable::new();
        table.insert(key.clone(), value);
        let alone = Deserializer::from(Spanned::new(file.clone(), table));
        if let Err(e) = T::deserialize(alone) {
            let problem = loc.toml_problem(&e);
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    };
    for (key, value) in doc.get_ref() {
        let span = value.span();
        match value.get_ref() {
            // `[[sources]]`, `[[digests]]`: entry by entry.
            DeValue::Array(entries)
                if !entries.is_empty()
                    && entries
                        .iter()
                        .all(|e| matches!(e.get_ref(), DeValue::Table(_))) =>
            {
                for entry in entries.iter() {
                    let mut one = DeArray::new();
                    one.push(entry.clone());
                    part(key, Spanned::new(span.clone(), DeValue::Array(one)));
                }
            }
            // `[topics.NAME]`: topic by topic.
            DeValue::Table(topics) if key.get_ref().as_ref() == "topics" => {
                for (name, topic) in topics {
                    let mut one = DeTable::new();
                    one.insert(name.clone(), topic.clone());
                    part(key, Spanned::new(span.clone(), DeValue::Table(one)));
                }
            }
            _ => part(key, value.clone()),
        }
    }
    if problems.is_empty() {
        vec![loc.toml_problem(whole)]
    } else {
        problems.sort_by_key(|p| (p.line, p.column));
        problems
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_str(&text, path)
    }

    /// Validates config text as if read from `path` (relative paths resolve against its folder).
    pub fn from_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let loc = Locator::new(path, text);
        // Nothing but blanks and comments: most likely a file cut short while an editor or a
        // deploy wrote it (a daemon reloading it would drop every source, and one starting on
        // it would open a new store beside it), not a config.
        let said = text
            .lines()
            .map(str::trim)
            .any(|l| !l.is_empty() && !l.starts_with('#'));
        if !said {
            return Err(ConfigError::Invalid {
                problems: vec![loc.problem(
                    0,
                    "(file)",
                    "the config is empty: no settings and no [[sources]] (was it cut short while it was written?)",
                )],
            });
        }
        let mut raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            problems: structural_problems::<RawConfig>(text, &loc, &e),
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut v = Validator {
            loc: &loc,
            base: &base,
            problems: Vec::new(),
            cron_gaps: HashMap::new(),
        };
        let rules_path = raw
            .classify
            .rules
            .as_ref()
            .map(|r| (base.join(r.get_ref()), r.span().start));
        let inline = std::mem::take(&mut raw.topics);
        let classifier = v.classifier(rules_path, inline);
        // With broken rules every source default would look unknown: report the rules only.
        let rules_ok = v.problems.is_empty();
        let config = v.config(raw, path, classifier.filter(|_| rules_ok));
        if v.problems.is_empty() {
            Ok(config)
        } else {
            v.problems.sort_by_key(|p| (p.line, p.column));
            Err(ConfigError::Invalid {
                problems: v.problems,
            })
        }
    }

    /// Replaces the store directory (the `--data-dir` flag and `TRIBUTARY_DATA_DIR`).
    pub fn with_data_dir(mut self, dir: Option<PathBuf>) -> Config {
        if let Some(dir) = dir {
            self.store.path = dir;
        }
        self
    }

    /// Looks a digest up by name.
    pub fn digest(&self, name: &str) -> Option<&DigestConfig> {
        self.digests.iter().find(|d| d.name == name)
    }

    /// Looks a source up by id.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The languages that get feeds of their own: each language the sources' `lang` names
    /// (`sr` for `sr-Latn`), and each full tag that names more than a language (`sr-Latn`,
    /// `sr-Cyrl`), sorted; tags as the config writes them, a language in lowercase.
    pub fn languages(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for tag in self.sources.iter().filter_map(|s| s.lang.as_deref()) {
            let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
            for t in [primary, tag.to_string()] {
                if !out.iter().any(|o| o.eq_ignore_ascii_case(&t)) {
                    out.push(t);
                }
            }
        }
        out.sort_by_key(|t| t.to_ascii_lowercase());
        out
    }

    /// The language feed tag `tag` names, as [`Config::languages`] spells it.
    pub fn language(&self, tag: &str) -> Option<String> {
        self.languages()
            .into_iter()
            .find(|t| t.eq_ignore_ascii_case(tag))
    }
}

struct Validator<'a> {
    loc: &'a Locator<'a>,
    base: &'a Path,
    problems: Vec<Problem>,
    /// [`cron_min_gap`] of each cron expression met so far.
    cron_gaps: HashMap<String, Option<Duration>>,
}

impl Validator<'_> {
    fn config(&mut self, raw: RawConfig, path: &Path, classifier: Option<Classifier>) -> Config {
        let store = StoreConfig {
            path: raw
                .store
                .path
                .as_ref()
                .map(|p| self.base.join(p.get_ref()))
                .unwrap_or_else(|| self.base.join("tributary-data")),
            cache_capacity: self
                .size(&raw.store.cache_capacity, "store.cache_capacity")
                .unwrap_or(64 * 1024 * 1024),
            max_age: self.duration(&raw.store.max_age, "store.max_age"),
            max_items_per_source: self.count(
                &raw.store.max_items_per_source,
                "store.max_items_per_source",
                1,
                10_000_000,
            ),
        };
        let d = FetchConfig::default();
        let f = &raw.fetch;
        let fetch = FetchConfig {
            user_agent: self
                .user_agent(&f.user_agent, "fetch.user_agent")
                .unwrap_or(d.user_agent),
            timeout: self
                .duration(&f.timeout, "fetch.timeout")
                .unwrap_or(d.timeout),
            connect_timeout: self
                .duration(&f.connect_timeout, "fetch.connect_timeout")
                .unwrap_or(d.connect_timeout),
            max_body_size: self
                .size(&f.max_body_size, "fetch.max_body_size")
                .unwrap_or(d.max_body_size),
            max_redirects: self
                .count(&f.max_redirects, "fetch.max_redirects", 0, 20)
                .unwrap_or(d.max_redirects),
            concurrency: self
                .count(&f.concurrency, "fetch.concurrency", 1, 1024)
                .unwrap_or(d.concurrency),
            per_host_concurrency: self
                .count(&f.per_host_concurrency, "fetch.per_host_concurrency", 1, 64)
                .unwrap_or(d.per_host_concurrency),
            default_interval: self
                .interval(&f.interval, "fetch.interval")
                .unwrap_or(d.default_interval),
            backoff_base: self
                .duration(&f.backoff_base, "fetch.backoff_base")
                .unwrap_or(d.backoff_base),
            backoff_max: self
                .duration(&f.backoff_max, "fetch.backoff_max")
                .unwrap_or(d.backoff_max),
            time_zone: f
                .time_zone
                .as_ref()
                .and_then(|tz| self.time_zone(tz, "fetch.time_zone")),
            proxy: self.proxy(f),
        };
        let server = self.server(&raw.server);
        let dd = DedupeConfig::default();
        let mut dedupe = DedupeConfig {
            title_window: self
                .duration(&raw.dedupe.title_window, "dedupe.title_window")
                .unwrap_or(dd.title_window),
            min_title_chars: self
                .count(
                    &raw.dedupe.min_title_chars,
                    "dedupe.min_title_chars",
                    1,
                    1000,
                )
                .unwrap_or(dd.min_title_chars),
            organizations: Default::default(),
            sites: Default::default(),
        };
        let global_filter = self.filter_rules(&raw.filter, "filter");
        let mut source_filters = HashMap::new();
        let mut sources: Vec<Source> = Vec::new();
        // For each source in `sources`: its index among the `[[sources]]` tables, and its
        // topics as written, to name where an unknown one is.
        let mut placed: Vec<(usize, Vec<toml::Spanned<String>>)> = Vec::new();
        // Id → offset of its first definition; the line is worked out only for a duplicate
        // (a config of thousands of sources must not cost a scan of the file per source).
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(raw.sources.len());
        for (i, rs) in raw.sources.into_iter().enumerate() {
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
            if let Some(source) = self.source(rs, &key, &fetch) {
                sources.push(source);
                placed.push((i, topics));
            }
        }
        dedupe.organizations = Arc::new(
            sources
                .iter()
                .filter(|s| s.kind == SourceKind::Organization)
                .map(|s| s.id.clone())
                .collect(),
        );
        dedupe.sites = Arc::new(
            sources
                .iter()
                .filter_map(|s| match &s.location {
                    crate::model::Location::Http(url) => {
                        Some((s.id.clone(), crate::model::site_name(url.as_str())?))
                    }
                    crate::model::Location::File(_) => None,
                })
                .collect(),
        );
        let checked = classifier.is_some();
        let classifier = classifier.unwrap_or_else(empty_classifier);
        for (i, topics) in placed.iter().filter(|_| checked) {
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
        let mail = self.mail(&raw.mail);
        let topic_names: Vec<String> = classifier.topics().map(str::to_string).collect();
        // With broken rules, as for the sources above: the rules' problems alone.
        let digests = self.digests(
            &raw.digests,
            checked.then_some(topic_names.as_slice()),
            &sources,
            &mail,
        );
        Config {
            file: path.to_path_buf(),
            store,
            fetch,
            dedupe,
            server,
            sources,
            classifier: Arc::new(classifier),
            filters: Arc::new(Filters::new(global_filter, source_filters)),
            mail,
            digests,
        }
    }

    /// Compiles one level of filter rules; each bad rule is a problem at its place.
    fn filter_rules(&mut self, raw: &RawFilter, key: &str) -> filter::Rules {
        let mut compile = |list: &[Spanned<String>], name: &str| {
            let mut rules = Vec::with_capacity(list.len());
            for (j, written) in list.iter().enumerate() {
                match filter::Rule::parse(written.get_ref()) {
                    Ok(rule) => rules.push(rule),
                    Err(e) => self.push(
                        written.span().start,
                        format!("{key}.{name}[{j}]"),
                        format!("{:?}: {e}", written.get_ref()),
                    ),
                }
            }
            rules
        };
        let block = compile(&raw.block, "block");
        let keep = compile(&raw.keep, "keep");
        filter::Rules { block, keep }
    }

    /// Loads the rules file (if any) and the inline `[topics.*]`, and compiles them.
    fn classifier(&mut self, file: Option<(PathBuf, usize)>, inline: Rules) -> Option<Classifier> {
        let mut rules = Rules::default();
        if let Some((path, offset)) = file {
            match std::fs::read_to_string(&path) {
                Ok(text) => match RulesFile::from_toml(&text) {
                    Ok(f) => rules = f.topics,
                    Err(e) => {
                        let loc = Locator::new(&path, &text);
                        self.problems
                            .extend(structural_problems::<RulesFile>(&text, &loc, &e));
                    }
                },
                Err(e) => self.push(
                    offset,
                    "classify.rules",
                    format!("cannot read topic rules {}: {e}", path.display()),
                ),
            }
            rules.0.extend(inline.0);
            match Classifier::build(&rules) {
                Ok(c) => return Some(c),
                Err(problems) => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let loc = Locator::new(&path, &text);
                    for e in problems {
                        // The topic may be written inline in the main file rather than in the
                        // rules file; defined in both, the main file's is the second.
                        let in_rules = loc.rule_spot(&e);
                        let in_main = self.loc.rule_spot(&e);
                        let main_first =
                            matches!(e, crate::classify::RuleError::DuplicateTopic { .. });
                        match (in_rules, in_main) {
                            (_, Some((at, key))) if main_first => self.push(at, key, e.to_string()),
                            (Some((at, key)), _) => {
                                self.problems.push(loc.problem(at, key, e.to_string()))
                            }
                            (None, Some((at, key))) => self.push(at, key, e.to_string()),
                            (None, None) => {
                                self.problems.push(loc.problem(0, "topics", e.to_string()))
                            }
                        }
                    }
                }
            }
        } else {
            match Classifier::build(&inline) {
                Ok(c) => return Some(c),
                Err(problems) => {
                    for e in problems {
                        let (at, key) = self.loc.rule_spot(&e).unwrap_or((0, "topics".into()));
                        self.push(at, key, e.to_string());
                    }
                }
            }
        }
        None
    }

    fn server(&mut self, raw: &raw::RawServer) -> ServerConfig {
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

    /// An IANA time zone name (`Europe/Belgrade`).
    pub(super) fn time_zone(
        &mut self,
        tz: &toml::Spanned<String>,
        key: &str,
    ) -> Option<chrono_tz::Tz> {
        let parsed = tz.get_ref().trim().parse::<chrono_tz::Tz>().ok();
        if parsed.is_none() {
            self.push(
                tz.span().start,
                key.to_string(),
                format!(
                    "unknown time zone {:?}: use an IANA name such as \"Europe/Belgrade\"",
                    tz.get_ref()
                ),
            );
        }
        parsed
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

    /// A login: a user name (`user_key`) and the environment variable that holds its
    /// password (`env_key`), both or neither.
    fn login(
        &mut self,
        user: &Option<Spanned<String>>,
        env: &Option<Spanned<String>>,
        user_key: &str,
        env_key: &str,
    ) -> Option<crate::model::BasicAuth> {
        let name = |key: &str| key.rsplit('.').next().unwrap_or(key).to_string();
        let (user_name, env_name) = (name(user_key), name(env_key));
        match (user, env) {
            (None, None) => None,
            (Some(user), None) => {
                self.push(
                    user.span().start,
                    env_key,
                    format!("{user_name} needs {env_name}: the name of the environment variable that holds the password"),
                );
                None
            }
            (None, Some(env)) => {
                self.push(
                    env.span().start,
                    user_key,
                    format!("{env_name} is set but {user_name} is not"),
                );
                None
            }
            (Some(user), Some(env)) => {
                let username = user.get_ref().trim();
                let name = env.get_ref().trim();
                let mut ok = true;
                if username.is_empty() || username.contains(':') {
                    self.push(
                        user.span().start,
                        user_key,
                        format!("{user_name} is empty or holds a ':'"),
                    );
                    ok = false;
                }
                let valid_name = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid_name {
                    self.push(
                        env.span().start,
                        env_key,
                        format!("{name:?} is not an environment variable name (letters, digits and _, e.g. \"PARTNER_FEED_PASSWORD\")"),
                    );
                    ok = false;
                }
                ok.then(|| crate::model::BasicAuth {
                    username: username.to_string(),
                    password_env: name.to_string(),
                })
            }
        }
    }

    /// `[fetch] proxy`: an `http(s)://host:port` URL without a login or a path, and its
    /// login from `proxy_username` and `proxy_password_env`.
    fn proxy(&mut self, f: &raw::RawFetch) -> Option<ProxyConfig> {
        let auth = self.login(
            &f.proxy_username,
            &f.proxy_password_env,
            "fetch.proxy_username",
            "fetch.proxy_password_env",
        );
        let Some(text) = &f.proxy else {
            if let Some(user) = &f.proxy_username {
                self.push(
                    user.span().start,
                    "fetch.proxy",
                    "proxy_username is set but proxy is not",
                );
            }
            return None;
        };
        let start = text.span().start;
        let raw = text.get_ref().trim();
        // Quoted masked, as a source's URL (see `location`).
        let quoted = redact_url_text(raw);
        let url = match Url::parse(raw) {
            Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.has_host() => u,
            Ok(u) if u.scheme() != "http" && u.scheme() != "https" => {
                self.push(
                    start,
                    "fetch.proxy",
                    format!(
                        "unsupported proxy scheme {:?}: use http://host:port or https://host:port",
                        u.scheme()
                    ),
                );
                return None;
            }
            _ => {
                self.push(
                    start,
                    "fetch.proxy",
                    format!(
                        "invalid proxy URL {quoted:?}: use http://host:port or https://host:port"
                    ),
                );
                return None;
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            self.push(
                start,
                "fetch.proxy",
                "the proxy URL holds a login: put the user in proxy_username and the password in the environment variable named by proxy_password_env",
            );
            return None;
        }
        if url.path() != "/" || url.query().is_some() {
            self.push(
                start,
                "fetch.proxy",
                format!("a proxy is a host and port, not a path: {quoted:?}"),
            );
            return None;
        }
        Some(ProxyConfig { url, auth })
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

    fn duration(&mut self, v: &Option<Spanned<String>>, key: &str) -> Option<Duration> {
        let v = v.as_ref()?;
        match humantime::parse_duration(v.get_ref().trim()) {
            // "Forever" written as a thousand years is as good as a century, which no date
            // it is added to or taken from overflows.
            Ok(d) if d > MAX_DURATION => Some(MAX_DURATION),
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                self.push(v.span().start, key, "duration must be greater than zero");
                None
            }
            Err(e) => {
                self.push(
                    v.span().start,
                    key,
                    format!(
                        "invalid duration {:?}: {e} (write e.g. \"90s\", \"15m\", \"2h 30m\")",
                        v.get_ref()
                    ),
                );
                None
            }
        }
    }

    fn interval(&mut self, v: &Option<Spanned<String>>, key: &str) -> Option<Duration> {
        let d = self.duration(v, key)?;
        if d < MIN_POLL {
            let start = v.as_ref().map(|s| s.span().start).unwrap_or(0);
            self.push(start, key, "poll interval must be at least 10s");
            return None;
        }
        Some(d)
    }

    fn cron(&mut self, v: &Spanned<String>, key: &str) -> Option<String> {
        match normalize_cron(v.get_ref()) {
            Ok(expr) => Some(expr),
            Err(e) => {
                self.push(
                    v.span().start,
                    key,
                    format!("invalid cron expression {:?}: {e} (write e.g. \"0 */2 * * *\" or with seconds \"0 0 7 * * Mon\")", v.get_ref().trim()),
                );
                None
            }
        }
    }

    fn size(&mut self, v: &Option<Spanned<String>>, key: &str) -> Option<u64> {
        let v = v.as_ref()?;
        match v.get_ref().trim().parse::<bytesize::ByteSize>() {
            Ok(b) if b.as_u64() > 0 => Some(b.as_u64()),
            Ok(_) => {
                self.push(v.span().start, key, "size must be greater than zero");
                None
            }
            Err(e) => {
                self.push(
                    v.span().start,
                    key,
                    format!(
                        "invalid size {:?}: {e} (write e.g. \"15MiB\", \"512KiB\")",
                        v.get_ref()
                    ),
                );
                None
            }
        }
    }

    fn count(&mut self, v: &Option<Spanned<i64>>, key: &str, min: i64, max: i64) -> Option<usize> {
        let v = v.as_ref()?;
        let n = *v.get_ref();
        if n < min || n > max {
            self.push(
                v.span().start,
                key,
                format!("{n} is out of range: expected {min} to {max}"),
            );
            return None;
        }
        usize::try_from(n).ok()
    }

    /// A `user_agent` (`[fetch]`'s or a source's, named by `key`) must be a valid header
    /// value, or no request can carry it.
    fn user_agent(&mut self, v: &Option<Spanned<String>>, key: &str) -> Option<String> {
        let v = v.as_ref()?;
        let text = v.get_ref();
        if text.trim().is_empty() {
            self.push(v.span().start, key, "must not be empty");
            return None;
        }
        let text = text.trim();
        if reqwest::header::HeaderValue::from_str(text).is_err() {
            self.push(
                v.span().start,
                key,
                format!("{text:?} is not a valid HTTP header value (no control characters such as newlines)"),
            );
            return None;
        }
        Some(text.to_string())
    }

    fn push(&mut self, offset: usize, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push(self.loc.problem(offset, key, message));
    }
}

fn empty_classifier() -> Classifier {
    Classifier::new(&Rules::default()).expect("an empty rule set compiles")
}

/// The topic a rule error is about.
/// "unknown topic", and which are defined (or that none is).
pub(crate) fn unknown_topic(topic: &str, defined: &[impl AsRef<str>]) -> String {
    if defined.is_empty() {
        return format!("unknown topic {topic:?}: no topics are defined ([topics] in this file, or [classify] rules = FILE)");
    }
    let defined: Vec<&str> = defined.iter().map(AsRef::as_ref).collect();
    format!(
        "unknown topic {topic:?}; defined topics: {}",
        defined.join(", ")
    )
}

/// The shortest time between two polls of a source.
const MIN_POLL: Duration = Duration::from_secs(10);

/// The longest duration a setting takes (a longer one is taken as this): retention, windows
/// and intervals are added to and taken from dates, which end in the year 262143.
const MAX_DURATION: Duration = Duration::from_secs(100 * 366 * 86_400);

/// A cron expression in the six-field form the scheduler reads (seconds first): the common
/// five-field form gets a leading `0`. Checked with the scheduler's own parser settings, and
/// it must fire at some time to come (`0 0 30 2 *` never does).
pub fn normalize_cron(expr: &str) -> Result<String, String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let six = match fields.len() {
        // `@daily`, `@hourly`…, which the scheduler reads as they are.
        1 if fields[0].starts_with('@') => fields[0].to_string(),
        5 => format!("0 {}", fields.join(" ")),
        6 => fields.join(" "),
        n => {
            return Err(format!(
                "it has {n} fields; write 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)"
            ))
        }
    };
    let cron = parse_cron(&six)?;
    if cron
        .find_next_occurrence(&chrono::Utc::now(), false)
        .is_err()
    {
        return Err("it never fires (no such date)".into());
    }
    Ok(six)
}

/// A six-field cron expression (or nickname) read with the scheduler's settings: seconds
/// first, and both day fields must match.
pub(crate) fn parse_cron(six: &str) -> Result<croner::Cron, String> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(six)
        .map_err(|e| e.to_string())
}

/// The shortest time between two of the next 200 firings of a six-field cron expression.
fn cron_min_gap(six: &str) -> Option<Duration> {
    let cron = parse_cron(six).ok()?;
    let mut at = cron.find_next_occurrence(&chrono::Utc::now(), false).ok()?;
    let mut min: Option<Duration> = None;
    for _ in 0..200 {
        let Ok(next) = cron.find_next_occurrence(&at, false) else {
            break;
        };
        let gap = (next - at).to_std().ok()?;
        min = Some(min.map_or(gap, |m| m.min(gap)));
        at = next;
    }
    min
}

pub(crate) fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && id.len() <= 64
}

pub(crate) fn valid_lang(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
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

#[cfg(test)]
mod tests;
