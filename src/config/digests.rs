//! `[[digests]]`: what each digest covers, when it is built and how it is sent, validated.

use std::path::PathBuf;

use super::raw::RawDigest;
use super::rules::unknown_topic;
use super::schedule::normalize_cron;
use super::sources::{valid_id, valid_lang};
use super::validate::Validator;
use super::MailConfig;
use crate::model::Source;

/// One `[[digests]]` table, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestConfig {
    /// Name used in the store, URLs and the CLI.
    pub name: String,
    /// Title in the subject and the header.
    pub title: String,
    /// When it is built: a six-field cron expression in `time_zone`.
    pub cron: String,
    /// Time zone of the schedule and of dates shown.
    pub time_zone: chrono_tz::Tz,
    /// Topics covered, in section order; empty covers everything.
    pub topics: Vec<String>,
    /// Sources covered; empty covers all.
    pub sources: Vec<String>,
    /// Languages covered (BCP 47 ranges); empty covers all.
    pub languages: Vec<String>,
    /// From mailbox.
    pub from: String,
    /// Recipients or the list address.
    pub to: Vec<String>,
    /// `List-Id` value.
    pub list_id: Option<String>,
    /// One-click unsubscribe URL.
    pub unsubscribe_url: Option<String>,
    /// Unsubscribe address.
    pub unsubscribe_mailto: Option<String>,
    /// Folder with `digest.html` / `digest.txt` overriding the built-in templates.
    pub template_dir: Option<PathBuf>,
    /// Send over SMTP when built on schedule.
    pub send: bool,
    /// Build (and send) even when no story arrived.
    pub send_empty: bool,
    /// Include each story's first image.
    pub images: bool,
    /// The language the digest speaks around the stories (`locale`, else its one language).
    pub locale: crate::digest::Locale,
    /// At most this many stories in one digest, the newest (mail clients clip long
    /// messages: Gmail past ~100 KB of HTML); `None`: all.
    pub max_stories: Option<usize>,
    /// Recipients only in the SMTP envelope, not in the message's `To`.
    pub bcc: bool,
    /// `Auto-Submitted: auto-generated` (RFC 3834) on the message: no vacation replies from
    /// individual recipients. Defaults to `bcc`: list servers such as Sympa drop a post that
    /// carries it.
    pub auto_submitted: bool,
    /// Leave out stories published longer than this before the period's end (a new source's
    /// back catalogue is first seen now, but it is not news); `None` keeps every story first
    /// seen in the period.
    pub max_age: Option<std::time::Duration>,
}

impl Validator<'_> {
    /// A value `check` finds a problem in, reported where it is written.
    fn digest_field(
        &mut self,
        v: &Option<toml::Spanned<String>>,
        key: String,
        check: fn(&str) -> Result<(), &'static str>,
    ) {
        if let Some(v) = v {
            if let Err(problem) = check(v.get_ref()) {
                self.push(v.span().start, key, format!("{:?}: {problem}", v.get_ref()));
            }
        }
    }

    pub(super) fn digests(
        &mut self,
        raw: &[RawDigest],
        topics: Option<&[String]>,
        sources: &[Source],
        mail: &MailConfig,
    ) -> Vec<DigestConfig> {
        let mut out: Vec<DigestConfig> = Vec::new();
        for (i, d) in raw.iter().enumerate() {
            let config = self.digest(&format!("digests[{i}]"), d, topics, sources, mail, &out);
            out.push(config);
        }
        out
    }

    /// One `[[digests]]` table, validated (its problems reported under `key`); `before` are
    /// the ones before it.
    fn digest(
        &mut self,
        key: &str,
        d: &RawDigest,
        topics: Option<&[String]>,
        sources: &[Source],
        mail: &MailConfig,
        before: &[DigestConfig],
    ) -> DigestConfig {
        let problems_before = self.problems.len();
        let name = self.digest_name(d, key, before);
        let cron = self.digest_cron(d, key);
        let time_zone = d
            .time_zone
            .as_ref()
            .and_then(|tz| self.time_zone(tz, &format!("{key}.time_zone")))
            .unwrap_or(chrono_tz::UTC);
        self.digest_topics(d, key, topics);
        self.digest_send(d, key, mail);
        self.digest_sources(d, key, sources);
        self.digest_languages(d, key);
        self.digest_addresses(d, key);
        self.digest_list_headers(d, key);
        let languages: Vec<String> = d
            .languages
            .iter()
            .map(|l| crate::parse::lang::canonical(l.get_ref()))
            .collect();
        let locale = self.digest_locale(d, key, &languages);
        let config = DigestConfig {
            name,
            title: d.title.get_ref().trim().to_string(),
            cron,
            time_zone,
            topics: d.topics.iter().map(|t| t.get_ref().clone()).collect(),
            sources: d.sources.iter().map(|s| s.get_ref().clone()).collect(),
            languages,
            from: d.from.get_ref().clone(),
            to: d.to.get_ref().iter().map(|t| t.get_ref().clone()).collect(),
            list_id: d.list_id.as_ref().map(|v| v.get_ref().clone()),
            unsubscribe_url: d.unsubscribe_url.as_ref().map(|v| v.get_ref().clone()),
            unsubscribe_mailto: d.unsubscribe_mailto.as_ref().map(|v| v.get_ref().clone()),
            template_dir: d.template_dir.as_ref().map(|v| self.base.join(v.get_ref())),
            send: d.send.as_ref().is_some_and(|s| *s.get_ref()),
            send_empty: d.send_empty,
            images: d.images,
            max_age: self.duration(&d.max_age, &format!("{key}.max_age")),
            locale,
            max_stories: self.count(&d.max_stories, &format!("{key}.max_stories"), 1, 10_000),
            bcc: d.bcc,
            auto_submitted: d.auto_submitted.unwrap_or(d.bcc),
        };
        self.digest_stage_checks(d, key, &config, problems_before);
        config
    }

    /// The digest's name, trimmed; reported when invalid or a name of one `before` it.
    fn digest_name(&mut self, d: &RawDigest, key: &str, before: &[DigestConfig]) -> String {
        let name = d.name.get_ref().trim().to_string();
        if !valid_id(&name) {
            self.push(
                d.name.span().start,
                format!("{key}.name"),
                format!("invalid name {name:?}: use lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters"),
            );
        } else if before.iter().any(|o| o.name == name) {
            self.push(
                d.name.span().start,
                format!("{key}.name"),
                format!("duplicate digest name {name:?}"),
            );
        }
        name
    }

    /// The digest's schedule, normalized; empty (reported) when invalid or not on whole
    /// minutes.
    fn digest_cron(&mut self, d: &RawDigest, key: &str) -> String {
        match normalize_cron(d.cron.get_ref()) {
            // Digest schedules are checked at the start of each minute.
            Ok(c)
                if c.split_whitespace()
                    .next()
                    .is_some_and(|s| s != "0" && !s.starts_with('@')) =>
            {
                self.push(
                    d.cron.span().start,
                    format!("{key}.cron"),
                    format!("{:?} fires at a second other than 0: digests are built on whole minutes; write 5 fields (minute hour day-of-month month day-of-week)", d.cron.get_ref()),
                );
                String::new()
            }
            Ok(c) => c,
            Err(e) => {
                self.push(
                    d.cron.span().start,
                    format!("{key}.cron"),
                    format!("invalid cron expression {:?}: {e}", d.cron.get_ref()),
                );
                String::new()
            }
        }
    }

    /// Reports the digest's topics the rules do not name.
    fn digest_topics(&mut self, d: &RawDigest, key: &str, topics: Option<&[String]>) {
        // Not checked when the rules did not load: every topic would look unknown.
        for (j, t) in d.topics.iter().enumerate() {
            if let Some(topics) = topics.filter(|topics| !topics.contains(t.get_ref())) {
                self.push(
                    t.span().start,
                    format!("{key}.topics[{j}]"),
                    unknown_topic(t.get_ref(), topics),
                );
            }
        }
    }

    /// Reports `send = true` with no relay configured.
    fn digest_send(&mut self, d: &RawDigest, key: &str, mail: &MailConfig) {
        // A digest the daemon is to send with no relay to send through fails at every run.
        if let Some(send) = d.send.as_ref().filter(|s| *s.get_ref()) {
            if mail.smtp.is_none() {
                self.push(
                    send.span().start,
                    format!("{key}.send"),
                    "true, but there is no [mail.smtp] relay to send through: add one, or set send = false and take the digests from the outbox".to_string(),
                );
            }
        }
    }

    /// Reports the digest's sources that are not configured.
    fn digest_sources(&mut self, d: &RawDigest, key: &str, sources: &[Source]) {
        for (j, s) in d.sources.iter().enumerate() {
            if !sources.iter().any(|src| &src.id == s.get_ref()) {
                self.push(
                    s.span().start,
                    format!("{key}.sources[{j}]"),
                    format!("unknown source {:?}", s.get_ref()),
                );
            }
        }
    }

    /// Reports the digest's language tags that are not BCP 47.
    fn digest_languages(&mut self, d: &RawDigest, key: &str) {
        for (j, l) in d.languages.iter().enumerate() {
            if !valid_lang(l.get_ref()) {
                self.push(
                    l.span().start,
                    format!("{key}.languages[{j}]"),
                    format!("invalid language tag {:?}: expected a BCP 47 tag such as \"sq\", \"sr\" or \"sr-Cyrl\"", l.get_ref()),
                );
            }
        }
    }

    /// Checks the digest's `from` and its recipients (at least one).
    fn digest_addresses(&mut self, d: &RawDigest, key: &str) {
        self.mailbox(&d.from, format!("{key}.from"));
        if d.to.get_ref().is_empty() {
            self.push(
                d.to.span().start,
                format!("{key}.to"),
                "no recipients: give the list address or recipients",
            );
        }
        for (j, t) in d.to.get_ref().iter().enumerate() {
            self.mailbox(t, format!("{key}.to[{j}]"));
        }
    }

    /// Checks the digest's `list_id`, `unsubscribe_mailto` and `unsubscribe_url`.
    fn digest_list_headers(&mut self, d: &RawDigest, key: &str) {
        self.digest_field(
            &d.list_id,
            format!("{key}.list_id"),
            crate::digest::check_list_id,
        );
        self.digest_field(
            &d.unsubscribe_mailto,
            format!("{key}.unsubscribe_mailto"),
            crate::digest::check_unsubscribe_mailto,
        );
        if let Some(u) = &d.unsubscribe_url {
            let ok = url::Url::parse(u.get_ref())
                .is_ok_and(|u| u.scheme() == "https" || u.scheme() == "http");
            if !ok {
                self.push(
                    u.span().start,
                    format!("{key}.unsubscribe_url"),
                    "expected an absolute http(s) URL",
                );
            }
        }
    }

    /// The digest's locale: `locale`, else the one of its `languages`; English (reported)
    /// for one digests do not speak.
    fn digest_locale(
        &mut self,
        d: &RawDigest,
        key: &str,
        languages: &[String],
    ) -> crate::digest::Locale {
        match &d.locale {
            None => crate::digest::Locale::for_languages(languages),
            Some(tag) => crate::digest::Locale::parse(tag.get_ref()).unwrap_or_else(|| {
                self.push(
                    tag.span().start,
                    format!("{key}.locale"),
                    format!(
                        "unknown locale {:?}: digests speak {}",
                        tag.get_ref(),
                        crate::digest::LOCALES.join(", ")
                    ),
                );
                crate::digest::Locale::En
            }),
        }
    }

    /// Reports what the digest stage finds wrong with `config` (when nothing above did) and a
    /// template folder it cannot read.
    fn digest_stage_checks(
        &mut self,
        d: &RawDigest,
        key: &str,
        config: &DigestConfig,
        problems_before: usize,
    ) {
        // The digest stage's own checks, for what the ones above do not cover.
        if self.problems.len() == problems_before {
            if let Err(e) = crate::digest::run::spec(config).validate() {
                self.push(d.name.span().start, key, e.to_string());
            }
        }
        if let Some(dir) = &config.template_dir {
            if let Err(e) = crate::digest::Templates::new(Some(dir)) {
                let at = d.template_dir.as_ref().map(|t| t.span().start).unwrap_or(0);
                self.push(at, format!("{key}.template_dir"), e.to_string());
            }
        }
    }
}
