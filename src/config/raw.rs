//! The config file as written: serde structs that reject unknown keys and keep spans.

use serde::Deserialize;
use toml::Spanned;

use crate::model::SourceKind;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub store: RawStore,
    #[serde(default)]
    pub fetch: RawFetch,
    #[serde(default)]
    pub dedupe: RawDedupe,
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub classify: RawClassify,
    /// Topic rules written inline (added to those of `[classify] rules`).
    #[serde(default)]
    pub topics: crate::classify::Rules,
    #[serde(default)]
    pub sources: Vec<RawSource>,
    #[serde(default)]
    pub mail: RawMail,
    #[serde(default)]
    pub digests: Vec<RawDigest>,
    /// Filter rules for every source.
    #[serde(default)]
    pub filter: RawFilter,
}

/// `[mail]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMail {
    pub outbox: Option<Spanned<String>>,
    pub domain: Option<Spanned<String>>,
    pub smtp: Option<RawSmtp>,
}

/// `[mail.smtp]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSmtp {
    pub host: Spanned<String>,
    pub port: Option<Spanned<i64>>,
    pub security: Option<Spanned<String>>,
    pub username: Option<String>,
    pub password_env: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
}

/// One `[[digests]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDigest {
    pub name: Spanned<String>,
    pub title: Spanned<String>,
    pub cron: Spanned<String>,
    pub time_zone: Option<Spanned<String>>,
    #[serde(default)]
    pub topics: Vec<Spanned<String>>,
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    #[serde(default)]
    pub languages: Vec<Spanned<String>>,
    pub from: Spanned<String>,
    pub to: Spanned<Vec<Spanned<String>>>,
    pub list_id: Option<Spanned<String>>,
    pub unsubscribe_url: Option<Spanned<String>>,
    pub unsubscribe_mailto: Option<Spanned<String>>,
    pub template_dir: Option<Spanned<String>>,
    pub send: Option<Spanned<bool>>,
    #[serde(default)]
    pub send_empty: bool,
    #[serde(default)]
    pub images: bool,
    pub max_age: Option<Spanned<String>>,
    pub locale: Option<Spanned<String>>,
    pub max_stories: Option<Spanned<i64>>,
    #[serde(default)]
    pub bcc: bool,
    pub auto_submitted: Option<bool>,
}

/// `[server]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub listen: Option<Spanned<String>>,
    pub base_url: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub feed_items: Option<Spanned<i64>>,
    pub header_timeout: Option<Spanned<String>>,
    pub request_timeout: Option<Spanned<String>>,
    pub send_timeout: Option<Spanned<String>>,
    pub max_connections: Option<Spanned<i64>>,
    pub icon: Option<Spanned<String>>,
    pub logo: Option<Spanned<String>>,
    pub time_zone: Option<Spanned<String>>,
}

/// `[classify]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClassify {
    /// A file of `[topics.*]` tables, relative to the config file.
    pub rules: Option<Spanned<String>>,
}

/// `[store]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStore {
    pub path: Option<Spanned<String>>,
    pub cache_capacity: Option<Spanned<String>>,
    pub max_age: Option<Spanned<String>>,
    pub max_items_per_source: Option<Spanned<i64>>,
}

/// `[fetch]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFetch {
    pub user_agent: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub connect_timeout: Option<Spanned<String>>,
    pub max_body_size: Option<Spanned<String>>,
    pub max_redirects: Option<Spanned<i64>>,
    pub concurrency: Option<Spanned<i64>>,
    pub per_host_concurrency: Option<Spanned<i64>>,
    pub interval: Option<Spanned<String>>,
    pub backoff_base: Option<Spanned<String>>,
    pub backoff_max: Option<Spanned<String>>,
    pub time_zone: Option<Spanned<String>>,
    pub proxy: Option<Spanned<String>>,
    pub proxy_username: Option<Spanned<String>>,
    pub proxy_password_env: Option<Spanned<String>>,
}

/// `[dedupe]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDedupe {
    pub title_window: Option<Spanned<String>>,
    pub min_title_chars: Option<Spanned<i64>>,
}

/// One `[[sources]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSource {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub url: Spanned<String>,
    pub kind: SourceKind,
    pub lang: Option<Spanned<String>>,
    pub interval: Option<Spanned<String>>,
    pub cron: Option<Spanned<String>>,
    #[serde(default)]
    pub topics: Vec<Spanned<String>>,
    pub filter: Option<RawFilter>,
    pub enabled: Option<bool>,
    pub user_agent: Option<Spanned<String>>,
    pub username: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub headers: Option<Spanned<toml::Table>>,
    pub accept_invalid_certificates: Option<Spanned<bool>>,
    pub time_zone: Option<Spanned<String>>,
}

/// `[filter]`, and a source's `[sources.filter]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFilter {
    #[serde(default)]
    pub block: Vec<Spanned<String>>,
    #[serde(default)]
    pub keep: Vec<Spanned<String>>,
}
