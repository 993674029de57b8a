//! Server-side request forgery guard: a source on the public internet must not lead the
//! fetcher to loopback, private, link-local or cloud-metadata addresses — not through DNS
//! answers (checked by the resolver, so on every connection of every redirect hop) and not
//! through a redirect to an address literal (checked by the redirect policy). A source whose
//! configured URL is itself local (an address literal in those ranges, or `localhost`) is
//! trusted: ops configured it on purpose.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Addresses a public source may not reach.
pub fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let seg = v6.segments();
            // IPv4-compatible (`::a.b.c.d`, deprecated), `::1` and `::` among them (0.0.0.x):
            // as the IPv4 address.
            if seg[..6].iter().all(|s| *s == 0) {
                let [.., a, b, c, d] = v6.octets();
                return forbidden_v4(Ipv4Addr::new(a, b, c, d));
            }
            // NAT64's well-known prefix (`64:ff9b::a.b.c.d`, RFC 6052): what DNS64 answers for
            // an IPv4-only site on an IPv6-only host. As the IPv4 address it reaches.
            if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [.., a, b, c, d] = v6.octets();
                return forbidden_v4(Ipv4Addr::new(a, b, c, d));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local (incl. fd00:ec2::254, cloud metadata)
                || (seg[0] & 0xffc0) == 0xfe80 // link-local
                || (seg[0] == 0x64 && seg[1] == 0xff9b) // other NAT64 prefixes (local use, RFC 8215): could hide any of the above
                || (seg[0] & 0xffc0) == 0xfec0 // deprecated site-local
                || (seg[0] == 0x2001 && seg[1] == 0) // Teredo
                || (seg[0] == 0x2002 && forbidden_v4(Ipv4Addr::new((seg[1] >> 8) as u8, seg[1] as u8, (seg[2] >> 8) as u8, seg[2] as u8)))
            // 6to4 embedding a forbidden IPv4
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, incl. 169.254.169.254 (cloud metadata)
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || a == 0
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking networks
        || a >= 240 // reserved
}

/// Whether a configured URL points at this host or a private network on purpose.
pub fn is_local(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => forbidden(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => forbidden(IpAddr::V6(ip)),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => true,
    }
}

/// The host of `url` if it is an address literal a public source may not reach.
pub fn forbidden_literal(url: &Url) -> Option<IpAddr> {
    let ip = match url.host()? {
        Host::Ipv4(ip) => IpAddr::V4(ip),
        Host::Ipv6(ip) => IpAddr::V6(ip),
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                return Some(IpAddr::V6(Ipv6Addr::LOCALHOST));
            }
            return None;
        }
    };
    forbidden(ip).then_some(ip)
}

/// The host of `url` if it is a name only a network's own resolver knows: one label alone
/// (`intranet`, `wiki`), or under a suffix kept for private networks (`.internal`, `.local`,
/// `.home.arpa`, `.localdomain`, `.lan`, `.corp`, `.intranet`). Through a proxy, which resolves
/// names itself, it is what stands in for the resolver's check of the address: a public feed
/// redirecting to `http://metadata.internal/` would otherwise have the proxy fetch it.
pub fn internal_name(url: &Url) -> Option<String> {
    let Host::Domain(d) = url.host()? else {
        return None;
    };
    let d = d.trim_end_matches('.').to_ascii_lowercase();
    const PRIVATE_SUFFIXES: [&str; 7] = [
        ".internal",
        ".local",
        ".home.arpa",
        ".localdomain",
        ".lan",
        ".corp",
        ".intranet",
    ];
    let internal = !d.contains('.')
        || PRIVATE_SUFFIXES
            .iter()
            .any(|s| d.ends_with(s) || d == s[1..]);
    internal.then_some(d)
}

type Lookup = dyn Fn(String) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>
    + Send
    + Sync;

/// A resolver that drops forbidden addresses from every answer and fails when none is left.
pub struct GuardedResolver {
    lookup: Arc<Lookup>,
}

impl GuardedResolver {
    /// Resolves with the system resolver.
    pub fn system() -> GuardedResolver {
        GuardedResolver::with(|host| {
            Box::pin(async move {
                tokio::net::lookup_host((host.as_str(), 0))
                    .await
                    .map(|a| a.collect())
            })
        })
    }

    /// Resolves with `lookup` (tests use a fixed table).
    pub fn with(
        lookup: impl Fn(String) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>
            + Send
            + Sync
            + 'static,
    ) -> GuardedResolver {
        GuardedResolver {
            lookup: Arc::new(lookup),
        }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let lookup = self.lookup.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = lookup(host.clone()).await?;
            let allowed: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| !forbidden(a.ip()))
                .collect();
            if allowed.is_empty() && !addrs.is_empty() {
                // The address only in the log: the error is shown on the public status page,
                // and a feed redirecting to internal names one poll at a time would read the
                // network's addresses there.
                tracing::warn!(%host, address = %addrs[0].ip(), "refused: the host resolves to a loopback, private or link-local address");
                let err: Box<dyn std::error::Error + Send + Sync> = format!(
                    "refused: {host} resolves to a loopback, private or link-local address"
                )
                .into();
                return Err(err);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_private_networks() {
        let name = |u: &str| internal_name(&Url::parse(u).unwrap());
        for (url, host) in [
            ("http://wiki/a", "wiki"),
            ("http://WIKI./a", "wiki"),
            (
                "http://metadata.google.internal/",
                "metadata.google.internal",
            ),
            ("http://printer.local:631/", "printer.local"),
            ("http://nas.home.arpa/", "nas.home.arpa"),
            ("http://intranet.corp/", "intranet.corp"),
            ("http://router.lan/", "router.lan"),
        ] {
            assert_eq!(name(url).as_deref(), Some(host), "{url}");
        }
        for url in [
            "https://balkansgroup.example/feed/",
            "https://www.internal-affairs.gov.rs/",
            "https://locale.example/",
            "https://corp.example.com/",
            "http://10.0.0.1/",
            "http://[::1]/",
        ] {
            assert_eq!(name(url), None, "{url}");
        }
    }

    #[test]
    fn classifies_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::7f00:1",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::5db8:d822",
            "::",
            "::127.0.0.1",
            "::a9fe:a9fe",
            "::10.0.0.1",
        ] {
            assert!(forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700::1111",
            "172.32.0.1",
            "2002:5db8:d822::",
            "::5db8:d822",
            // DNS64 on an IPv6-only host, for a public IPv4-only site.
            "64:ff9b::5db8:d822",
            "64:ff9b::93.184.216.34",
        ] {
            assert!(!forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn local_sources_are_recognised_by_their_configured_url() {
        assert!(is_local(&Url::parse("http://127.0.0.1:8080/feed").unwrap()));
        assert!(is_local(&Url::parse("http://localhost/feed").unwrap()));
        assert!(is_local(&Url::parse("http://[::1]/feed").unwrap()));
        assert!(!is_local(
            &Url::parse("https://balkansgroup.org/feed").unwrap()
        ));
        assert_eq!(
            forbidden_literal(&Url::parse("http://169.254.169.254/latest/meta-data").unwrap()),
            Some("169.254.169.254".parse().unwrap())
        );
        assert_eq!(
            forbidden_literal(&Url::parse("https://kspag.org/").unwrap()),
            None
        );
    }
}
