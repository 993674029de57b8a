//! One attempt to hand a digest to the SMTP relay: connecting (TLS, login), the envelope a
//! command at a time, then the message; and how each failure ends the attempt (worth another,
//! refused for good, or perhaps taken).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::STOP_GRACE;
use crate::config::{DigestConfig, MailConfig, SmtpSecurity};

/// How one attempt to hand a digest to the relay ended.
pub(super) enum Attempt {
    /// The relay accepted the message, for every recipient but those it refused (each
    /// with its reply).
    Sent { refused: Vec<(String, String)> },
    /// Certainly not taken, and another attempt may go through (no connection, a relay that
    /// did not answer before the message, a 4xx reply, a failed TLS handshake).
    Retry(String),
    /// Refused for good by the relay (a 5xx reply, a relay without what the message needs):
    /// not tried again until asked.
    Refused(String),
    /// The setup cannot send it (no relay configured, a password not set, a login or STARTTLS
    /// the relay refuses): not tried again in this send; the next may follow a mended config.
    Unsendable(String),
    /// The relay may have taken it (the connection broke or went quiet once the message was
    /// under way, a reply that does not parse, a stop it did not answer in time).
    Uncertain(String),
    /// Stopped before the relay had the message (the daemon was stopping): certainly not
    /// taken, and tried again by the next send.
    Stopped(String),
}

/// Why a send the daemon's stop ended did not go out.
pub(super) const STOPPED_BEFORE: &str = "tributary stopped before the relay had the message: it did not go out, and the next send of the digest sends it";

/// `[mail.smtp]` and one digest's envelope, ready for attempts.
pub(super) struct Relay<'a> {
    /// `[mail.smtp]`: the relay, its security and its timeout.
    smtp: &'a crate::config::SmtpConfig,
    /// The digest's sender and recipients, as the config writes them now.
    envelope: lettre::address::Envelope,
    /// The login, when `[mail.smtp] username` is set (its password from the environment).
    credentials: Option<lettre::transport::smtp::authentication::Credentials>,
}

impl<'a> Relay<'a> {
    /// Everything an attempt needs that does not depend on the relay; an error here is the
    /// config's (checked when it loads) or the environment's, and no attempt would change it.
    pub(super) fn for_digest(mail: &'a MailConfig, d: &DigestConfig) -> Result<Relay<'a>, String> {
        let Some(smtp) = &mail.smtp else {
            return Err("no [mail.smtp] relay is configured".into());
        };
        let from: lettre::message::Mailbox =
            d.from.parse().map_err(|e| format!("bad from: {e}"))?;
        let to: Vec<lettre::Address> =
            d.to.iter()
                .filter_map(|t| t.parse::<lettre::message::Mailbox>().ok().map(|m| m.email))
                .collect();
        if to.is_empty() {
            return Err("the digest has no recipients".into());
        }
        let envelope =
            lettre::address::Envelope::new(Some(from.email), to).map_err(|e| e.to_string())?;
        let credentials = match &smtp.username {
            None => None,
            Some(user) => {
                let password = std::env::var(&smtp.password_env).map_err(|_| {
                    format!(
                        "the SMTP password is read from ${}, which is not set",
                        smtp.password_env
                    )
                })?;
                Some(lettre::transport::smtp::authentication::Credentials::new(
                    user.clone(),
                    password,
                ))
            }
        };
        Ok(Relay {
            smtp,
            envelope,
            credentials,
        })
    }

    /// One attempt: [`Relay::connect`], [`Relay::envelope`], then `under_way` (the record's
    /// mark) and the message itself within `[mail.smtp] timeout`. Until the message goes,
    /// the relay cannot have taken it, whatever goes wrong, and `stop` ends the attempt at
    /// once; once it goes, the relay's answer is waited for up to [`STOP_GRACE`] after `stop`.
    pub(super) async fn attempt(
        &self,
        eml: &[u8],
        under_way: impl FnOnce() -> Result<(), crate::store::StoreError>,
        stop: &CancellationToken,
    ) -> Result<Attempt, crate::store::StoreError> {
        let connected = tokio::select! {
            connected = self.connect() => connected,
            () = stop.cancelled() => return Ok(Attempt::Stopped(STOPPED_BEFORE.into())),
        };
        let mut conn = match connected {
            Ok(conn) => conn,
            Err(failure) => return Ok(failure),
        };
        let envelope = tokio::select! {
            envelope = self.envelope(&mut conn, eml) => Some(envelope),
            () = stop.cancelled() => None,
        };
        let outcome = match envelope {
            None => Attempt::Stopped(STOPPED_BEFORE.into()),
            Some(Err(failure)) => failure,
            Some(Ok(refused)) => {
                under_way()?;
                let stopped = async {
                    stop.cancelled().await;
                    tokio::time::sleep(STOP_GRACE).await;
                };
                tokio::select! {
                    message = tokio::time::timeout(self.smtp.timeout, conn.message(eml)) => match message {
                        Err(_) => Attempt::Uncertain(format!(
                            "the relay did not finish the delivery within {}",
                            humantime::format_duration(self.smtp.timeout)
                        )),
                        Ok(Err(e)) => failed(&e, Stage::Message),
                        Ok(Ok(_)) => Attempt::Sent { refused },
                    },
                    () = stopped => Attempt::Uncertain(format!(
                        "tributary stopped while the relay was taking the message, which it had not answered {} later",
                        humantime::format_duration(STOP_GRACE)
                    )),
                }
            }
        };
        // QUIT, as lettre does; its answer changes nothing, and a stop does not wait for it.
        if !stop.is_cancelled() {
            let _ = tokio::time::timeout(Duration::from_secs(5), conn.abort()).await;
        }
        Ok(outcome)
    }

    /// Connecting, greeting, TLS and logging in, within twice `[mail.smtp] timeout` (lettre
    /// bounds the TCP connection to each of the relay's addresses by it, so a second one is
    /// tried).
    async fn connect(
        &self,
    ) -> Result<lettre::transport::smtp::client::AsyncSmtpConnection, Attempt> {
        use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
        let smtp = self.smtp;
        let hello = lettre::transport::smtp::extension::ClientId::default();
        let tls = || TlsParameters::new(smtp.host.clone());
        let connect = async {
            let wrapped = match smtp.security {
                SmtpSecurity::Tls => Some(tls()?),
                SmtpSecurity::StartTls | SmtpSecurity::None => None,
            };
            let mut conn = AsyncSmtpConnection::connect_tokio1(
                (smtp.host.as_str(), smtp.port),
                Some(smtp.timeout),
                &hello,
                wrapped,
                None,
            )
            .await?;
            if smtp.security == SmtpSecurity::StartTls {
                conn.starttls(tls()?, &hello).await?;
            }
            if let Some(credentials) = &self.credentials {
                conn.auth(
                    lettre::transport::smtp::authentication::DEFAULT_MECHANISMS,
                    credentials,
                )
                .await?;
            }
            Ok::<_, lettre::transport::smtp::Error>(conn)
        };
        let within = smtp.timeout.saturating_mul(2);
        match tokio::time::timeout(within, connect).await {
            Err(_) => Err(Attempt::Retry(format!(
                "the relay did not let the message be sent within {}",
                humantime::format_duration(within)
            ))),
            Ok(Err(e)) => Err(failed(&e, Stage::Connect)),
            Ok(Ok(conn)) => Ok(conn),
        }
    }

    /// The envelope (`MAIL`, `RCPT`, `DATA`) within `[mail.smtp] timeout`, as lettre's `send`
    /// writes it (SMTPUTF8 for addresses that need it, 8BITMIME for a body that does), a
    /// command at a time. lettre's `send` gives no point between the envelope and the
    /// message, which is where the "may have been taken" mark must be stored. A recipient
    /// the relay refuses does not stop the others (RFC 5321, 3.3): the message goes to those
    /// it accepts, and the refused ones are returned with the relay's replies; with none
    /// accepted the attempt ends as the first refusal says.
    async fn envelope(
        &self,
        conn: &mut lettre::transport::smtp::client::AsyncSmtpConnection,
        eml: &[u8],
    ) -> Result<Vec<(String, String)>, Attempt> {
        use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
        use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};
        let mut options = Vec::new();
        let mut addresses = self.envelope.from().into_iter().chain(self.envelope.to());
        if addresses.any(|a: &lettre::Address| !AsRef::<str>::as_ref(a).is_ascii()) {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(Attempt::Refused(
                    "the recipients or sender need SMTPUTF8, which the relay does not offer".into(),
                ));
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !eml.is_ascii() {
            if !conn.server_info().supports_feature(Extension::EightBitMime) {
                return Err(Attempt::Refused(
                    "the message needs 8BITMIME, which the relay does not offer".into(),
                ));
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let commands = async {
            conn.command(Mail::new(self.envelope.from().cloned(), options))
                .await?;
            let mut refused = Vec::new();
            let mut first_refusal = None;
            for to in self.envelope.to() {
                match conn.command(Rcpt::new(to.clone(), vec![])).await {
                    Ok(_) => {}
                    // Refused for good: the others still get it.
                    Err(e) if e.is_permanent() => {
                        refused.push((to.to_string(), e.to_string()));
                        first_refusal.get_or_insert(e);
                    }
                    // Not now (greylisting, too many recipients at once): nobody has the
                    // message yet, so the whole attempt waits for the next.
                    Err(e) => return Err(e),
                }
            }
            if let Some(e) = first_refusal.filter(|_| refused.len() == self.envelope.to().len()) {
                return Err(e);
            }
            conn.command(Data).await?;
            Ok(refused)
        };
        match tokio::time::timeout(self.smtp.timeout, commands).await {
            Err(_) => Err(Attempt::Retry(format!(
                "the relay did not take the envelope within {}",
                humantime::format_duration(self.smtp.timeout)
            ))),
            Ok(Err(e)) => Err(failed(&e, Stage::Envelope)),
            Ok(Ok(refused)) => Ok(refused),
        }
    }
}

/// Where an attempt was when an SMTP error ended it.
#[derive(Clone, Copy)]
enum Stage {
    /// Connecting, greeting, TLS, logging in: a refusal here is the relay's or the config's
    /// (a wrong password, no STARTTLS), which a mended config and a reload put right.
    Connect,
    /// The envelope (`MAIL`, `RCPT`, `DATA`): the relay cannot have taken a message it was
    /// not given, and a refusal here is of this message.
    Envelope,
    /// The message was under way.
    Message,
}

/// How an SMTP error at `stage` ends the attempt. Before the message, anything but a refusal
/// is worth another attempt; once it was under way, only what says the relay certainly did
/// not take it (a 4xx reply, a failed TLS handshake), and a broken connection or a reply that
/// does not parse leaves it uncertain. A refusal (a 5xx reply, or the client refusing before
/// it sends anything) of the envelope or the message is this message's, for good; one while
/// connecting or logging in is the setup's, tried again at the next send.
fn failed(e: &lettre::transport::smtp::Error, stage: Stage) -> Attempt {
    let message = e.to_string();
    let refusal = e.is_permanent() || e.is_client();
    match stage {
        Stage::Connect if refusal => Attempt::Unsendable(message),
        Stage::Envelope | Stage::Message if refusal => Attempt::Refused(message),
        Stage::Connect | Stage::Envelope => Attempt::Retry(message),
        Stage::Message if e.is_transient() || e.is_tls() => Attempt::Retry(message),
        Stage::Message => Attempt::Uncertain(message),
    }
}
