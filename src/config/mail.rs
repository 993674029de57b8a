//! `[mail]`: where digests go (the outbox, SMTP), validated; `[[digests]]` in `digests.rs`.

use std::path::PathBuf;
use std::time::Duration;

use super::raw::RawMail;
use super::validate::Validator;
use crate::model::redact_url_text;

/// How a digest reaches readers besides the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// Maildir outbox root; each digest writes to `{outbox}/{name}/`.
    pub outbox: PathBuf,
    /// Domain of Message-IDs.
    pub domain: String,
    /// SMTP relay, when digests are sent.
    pub smtp: Option<SmtpConfig>,
}

/// Transport security of the SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host.
    None,
}

/// `[mail.smtp]`, validated. The password is never in the file: it is read from the
/// environment variable named by `password_env` when a digest is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Relay host.
    pub host: String,
    /// Relay port.
    pub port: u16,
    /// Transport security.
    pub security: SmtpSecurity,
    /// Login name, when the relay wants one.
    pub username: Option<String>,
    /// Environment variable holding the password.
    pub password_env: String,
    /// Limit on one delivery attempt.
    pub timeout: Duration,
}

impl Validator<'_> {
    pub(super) fn mail(&mut self, raw: &RawMail) -> MailConfig {
        let outbox = raw
            .outbox
            .as_ref()
            .map(|o| self.base.join(o.get_ref()))
            .unwrap_or_else(|| self.base.join("outbox"));
        let domain = raw
            .domain
            .as_ref()
            .map(|d| d.get_ref().trim().to_string())
            .unwrap_or_else(|| "tributary.invalid".into());
        if let Some(d) = &raw.domain {
            let ok = !domain.is_empty()
                && domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !ok {
                self.push(
                    d.span().start,
                    "mail.domain",
                    format!("invalid domain {domain:?}"),
                );
            }
        }
        let smtp = raw.smtp.as_ref().map(|s| {
            let security = match s.security.as_ref().map(|v| v.get_ref().as_str()) {
                None | Some("starttls") => SmtpSecurity::StartTls,
                Some("tls") => SmtpSecurity::Tls,
                Some("none") => SmtpSecurity::None,
                Some(other) => {
                    let at = s.security.as_ref().map(|v| v.span().start).unwrap_or(0);
                    self.push(
                        at,
                        "mail.smtp.security",
                        format!(
                            "unknown security {other:?}: use \"starttls\", \"tls\" or \"none\""
                        ),
                    );
                    SmtpSecurity::StartTls
                }
            };
            let default_port = match security {
                SmtpSecurity::Tls => 465,
                SmtpSecurity::StartTls => 587,
                SmtpSecurity::None => 25,
            };
            let host = s.host.get_ref().trim();
            // The relay's name alone: a URL or a login written here is never reached, and
            // errors quote the host (masked, as a source's URL: see `redact_url_text`).
            if host.is_empty() || host.contains(['/', '@']) || host.contains(char::is_whitespace)
            {
                self.push(
                    s.host.span().start,
                    "mail.smtp.host",
                    format!(
                        "invalid host {:?}: write the relay's host name alone, e.g. \"smtp.example.org\" (the login goes in username and password_env, the port in port)",
                        redact_url_text(host)
                    ),
                );
            }
            let on_this_host = host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if security == SmtpSecurity::None && s.username.is_some() && !on_this_host {
                let at = s.security.as_ref().map(|v| v.span().start).unwrap_or(0);
                self.push(
                    at,
                    "mail.smtp.security",
                    format!(
                        "security = \"none\" would send the relay's password in clear to {}: use \"starttls\" or \"tls\" (\"none\" is for a relay on this host)",
                        redact_url_text(host)
                    ),
                );
            }
            let port = self
                .count(&s.port, "mail.smtp.port", 1, 65535)
                .map(|p| p as u16)
                .unwrap_or(default_port);
            SmtpConfig {
                host: s.host.get_ref().trim().to_string(),
                port,
                security,
                username: s.username.clone(),
                password_env: s
                    .password_env
                    .as_ref()
                    .map(|v| v.get_ref().clone())
                    .unwrap_or_else(|| "TRIBUTARY_SMTP_PASSWORD".into()),
                timeout: self
                    .duration(&s.timeout, "mail.smtp.timeout")
                    .unwrap_or(Duration::from_secs(30)),
            }
        });
        MailConfig {
            outbox,
            domain,
            smtp,
        }
    }

    /// A mailbox both the SMTP envelope (lettre) and the message's headers can carry.
    pub(super) fn mailbox(&mut self, v: &toml::Spanned<String>, key: String) {
        let problem = match v.get_ref().parse::<lettre::message::Mailbox>() {
            Err(_) => Some("write \"Name <address@example.org>\" or \"address@example.org\""),
            Ok(_) => crate::digest::check_mailbox(v.get_ref()).err(),
        };
        if let Some(problem) = problem {
            self.push(
                v.span().start,
                key,
                format!(
                    "invalid mailbox {:?}: {problem}",
                    redact_url_text(v.get_ref())
                ),
            );
        }
    }
}
