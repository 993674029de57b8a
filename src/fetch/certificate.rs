//! A server certificate refused: finding rustls's verdict among an error's causes, and saying
//! it in words with what can be done about it.

use chrono::DateTime;

/// rustls's verdict on the server's certificate, if that is why `e` happened: rustls's error
/// is among its causes, as the TLS stream reports it (in an IO error, which the HTTPS
/// connector wraps in another).
pub(super) fn certificate_error<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::CertificateError> {
    let mut cur = Some(e);
    while let Some(e) = cur {
        if let Some(rustls::Error::InvalidCertificate(problem)) = e.downcast_ref() {
            return Some(problem);
        }
        // An IO error's `source` is that of the error it carries, which it skips.
        cur = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// The message of a fetch refused for the server's certificate: what is wrong with it and
/// what can be done. `elsewhere`: the address (as published) a redirect led to, when its
/// site is not the source's. `proxied`: the fetch went through an https proxy, whose own
/// certificate may be the one refused (and which `accept_invalid_certificates` cannot go
/// through).
pub(super) fn certificate_message(
    problem: &rustls::CertificateError,
    elsewhere: Option<&str>,
    proxied: bool,
) -> String {
    let what = describe_certificate(problem);
    if proxied {
        let what = what.replacen("the server's", "the server's (or the https proxy's)", 1);
        return format!(
            "{what}; when every source through the proxy fails alike, it is the proxy's: fix its certificate or trust its authority (update-ca-certificates, SSL_CERT_FILE)"
        );
    }
    match elsewhere {
        None => format!(
            "{what}; if you trust this source anyway, set accept_invalid_certificates = true on it"
        ),
        Some(to) => format!(
            "{to}, where the url redirects: {what}; if you trust that site anyway, set url to it and accept_invalid_certificates = true"
        ),
    }
}

/// What is wrong with a server's certificate, in words (rustls's names only for what has no
/// plainer ones).
fn describe_certificate(problem: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    const UNTRUSTED: &str = "the server's certificate is not signed by an authority this host trusts (self-signed, or the server does not send its intermediate certificate";
    let day = |t: &rustls::pki_types::UnixTime| {
        i64::try_from(t.as_secs())
            .ok()
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .map(|d| d.format("%Y-%m-%d").to_string())
    };
    match problem {
        C::Expired => "the server's certificate has expired".into(),
        C::ExpiredContext { not_after, .. } => match day(not_after) {
            Some(day) => format!("the server's certificate expired on {day}"),
            None => describe_certificate(&C::Expired),
        },
        C::NotValidYet => {
            "the server's certificate is not valid yet (if it should be, this host's clock is wrong)".into()
        }
        C::NotValidYetContext { not_before, .. } => match day(not_before) {
            Some(day) => format!(
                "the server's certificate is not valid until {day} (if that day has come, this host's clock is wrong)"
            ),
            None => describe_certificate(&C::NotValidYet),
        },
        C::NotValidForNameContext { presented, .. } if !presented.is_empty() => {
            // The names as webpki writes them: `DnsName("example.org")`, `IpAddress(192.0.2.1)`.
            let name = |n: &String| {
                let bare = n
                    .strip_prefix("DnsName(\"")
                    .and_then(|n| n.strip_suffix("\")"))
                    .or_else(|| {
                        n.strip_prefix("IpAddress(")
                            .and_then(|n| n.strip_suffix(')'))
                    })
                    .unwrap_or(n);
                bare.chars().take(100).collect::<String>()
            };
            let mut names: Vec<String> = presented.iter().take(3).map(name).collect();
            if presented.len() > 3 {
                names.push(format!("{} more", presented.len() - 3));
            }
            format!(
                "the server's certificate is issued for another name ({})",
                names.join(", ")
            )
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "the server's certificate is issued for another name".into()
        }
        // Where the trust comes from: an internal authority is added there.
        C::UnknownIssuer => format!(
            "{UNTRUSTED}; an internal authority is added with update-ca-certificates or named in SSL_CERT_FILE, then a restart)"
        ),
        // An authority's certificate presented as the server's own: a self-signed one made
        // with the settings of an authority's (webpki's error, under rustls's `Other`).
        C::Other(other) if other.to_string() == "CaUsedAsEndEntity" => format!("{UNTRUSTED})"),
        C::Revoked => "the server's certificate has been revoked by its authority".into(),
        C::Other(other) => format!("the server's certificate is not valid ({other})"),
        other => format!("the server's certificate is not valid ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// Each certificate problem rustls reports is said in words, with what can be done; the
    /// date of an expired certificate is given when rustls has it.
    #[test]
    fn a_refused_certificate_is_said_in_words_with_the_way_out() {
        use rustls::pki_types::{ServerName, UnixTime};
        use rustls::CertificateError as C;
        /// As webpki's `Error::CaUsedAsEndEntity` writes itself.
        #[derive(Debug)]
        struct CaUsedAsEndEntity;
        impl std::fmt::Display for CaUsedAsEndEntity {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("CaUsedAsEndEntity")
            }
        }
        impl std::error::Error for CaUsedAsEndEntity {}
        let at = |secs: u64| UnixTime::since_unix_epoch(Duration::from_secs(secs));
        let hint =
            "; if you trust this source anyway, set accept_invalid_certificates = true on it";
        let untrusted = "the server's certificate is not signed by an authority this host trusts (self-signed, or the server does not send its intermediate certificate";
        let cases = [
            (C::Expired, "the server's certificate has expired".to_string()),
            (
                C::ExpiredContext {
                    time: at(1_700_000_000),
                    not_after: at(1_609_459_199),
                },
                "the server's certificate expired on 2020-12-31".into(),
            ),
            (
                C::NotValidYet,
                "the server's certificate is not valid yet (if it should be, this host's clock is wrong)".into(),
            ),
            (
                C::NotValidYetContext {
                    time: at(1_700_000_000),
                    not_before: at(1_893_456_000),
                },
                "the server's certificate is not valid until 2030-01-01 (if that day has come, this host's clock is wrong)".into(),
            ),
            (
                C::NotValidForName,
                "the server's certificate is issued for another name".into(),
            ),
            (
                C::NotValidForNameContext {
                    expected: ServerName::try_from("feeds.example").unwrap().to_owned(),
                    presented: vec![
                        "DnsName(\"www.partner.example\")".into(),
                        "IpAddress(192.0.2.1)".into(),
                        "DnsName(\"a.example\")".into(),
                        "DnsName(\"b.example\")".into(),
                        "DnsName(\"c.example\")".into(),
                    ],
                },
                "the server's certificate is issued for another name (www.partner.example, 192.0.2.1, a.example, 2 more)".into(),
            ),
            (
                C::UnknownIssuer,
                format!("{untrusted}; an internal authority is added with update-ca-certificates or named in SSL_CERT_FILE, then a restart)"),
            ),
            (
                C::Other(rustls::OtherError(Arc::new(CaUsedAsEndEntity))),
                format!("{untrusted})"),
            ),
            (
                C::Revoked,
                "the server's certificate has been revoked by its authority".into(),
            ),
            (
                C::BadSignature,
                "the server's certificate is not valid (BadSignature)".into(),
            ),
        ];
        for (problem, said) in cases {
            assert_eq!(describe_certificate(&problem), said, "{problem:?}");
            assert_eq!(
                certificate_message(&problem, None, false),
                format!("{said}{hint}")
            );
        }
        assert_eq!(
            certificate_message(
                &C::Revoked,
                Some("https://www.partner.example/feed.xml"),
                false
            ),
            "https://www.partner.example/feed.xml, where the url redirects: the server's certificate has been revoked by its authority; if you trust that site anyway, set url to it and accept_invalid_certificates = true"
        );
        // Through an https proxy: maybe the proxy's, and no way round it that would leave the
        // proxy's certificate unchecked.
        let through = certificate_message(&C::UnknownIssuer, None, true);
        assert!(
            through.starts_with("the server's (or the https proxy's) certificate is not signed")
                && through.ends_with("when every source through the proxy fails alike, it is the proxy's: fix its certificate or trust its authority (update-ca-certificates, SSL_CERT_FILE)")
                && !through.contains("accept_invalid_certificates"),
            "{through}"
        );
    }

    /// rustls's error is found among an error's causes, also inside the IO errors the TLS
    /// stream and the HTTPS connector wrap it in (whose own `source` skips it).
    #[test]
    fn a_certificate_problem_is_found_under_the_errors_that_carry_it() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("client error (Connect)")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let e = Outer(std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            tls,
        )));
        assert!(matches!(
            certificate_error(&e),
            Some(rustls::CertificateError::UnknownIssuer)
        ));
        let e = Outer(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::DecryptError,
        ));
        assert!(certificate_error(&e).is_none());
        assert!(certificate_error(&std::io::Error::other("refused")).is_none());
    }
}
