//! `[server]`: its limits, the base URL, the listen override and the feeds' images.

use std::time::Duration;

use super::{load, problems, GOOD};

#[test]
fn server_limits_have_defaults_and_are_checked() {
    let c = load("[server]\n").unwrap();
    assert_eq!(c.server.header_timeout, Duration::from_secs(10));
    assert_eq!(c.server.request_timeout, Duration::from_secs(30));
    assert_eq!(c.server.send_timeout, Duration::from_secs(60));
    assert_eq!(c.server.max_connections, 1024);
    let c = load(
        "[server]\nheader_timeout = \"1s\"\nrequest_timeout = \"2m\"\nsend_timeout = \"15s\"\nmax_connections = 8\n",
    )
    .unwrap();
    assert_eq!(c.server.header_timeout, Duration::from_secs(1));
    assert_eq!(c.server.request_timeout, Duration::from_secs(120));
    assert_eq!(c.server.send_timeout, Duration::from_secs(15));
    assert_eq!(c.server.max_connections, 8);
    let ps =
        problems("[server]\nheader_timeout = \"0s\"\nsend_timeout = \"0s\"\nmax_connections = 0\n");
    let keys: Vec<&str> = ps.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "server.header_timeout",
            "server.send_timeout",
            "server.max_connections"
        ]
    );
}

#[test]
fn a_base_url_with_a_login_is_refused_without_showing_it() {
    let text = format!("[server]\nbase_url = \"https://feeds:S3CRET@news.example.org/\"\n{GOOD}");
    let ps = problems(&text);
    let p = ps.iter().find(|p| p.key == "server.base_url").unwrap();
    assert!(p.message.contains("carries a login"), "{p}");
    assert!(!p.to_string().contains("S3CRET"), "{p}");
    assert_eq!(p.line, 2, "{p}");
}

#[test]
fn a_listen_override_moves_a_derived_base_url_only() {
    let derived = load(GOOD).unwrap().server;
    assert!(!derived.base_url_configured);
    let moved = derived.with_listen("127.0.0.1:9090".parse().unwrap());
    assert_eq!(moved.base_url.as_str(), "http://127.0.0.1:9090/");
    // Configured, even to what would have been derived: it stays, and so do the feeds' ids.
    let text = format!("[server]\nbase_url = \"http://127.0.0.1:8080/\"\n{GOOD}");
    let configured = load(&text).unwrap().server;
    assert!(configured.base_url_configured);
    let kept = configured.with_listen("127.0.0.1:9090".parse().unwrap());
    assert_eq!(kept.base_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(kept.listen.to_string(), "127.0.0.1:9090");
}

#[test]
fn feed_images_are_absolute_http_urls_placed_at_their_key() {
    let text = format!(
        "[server]\nicon = \"https://feeds.example.org/icon.png\"\nlogo = \"https://feeds.example.org/logo.png\"\n{GOOD}"
    );
    let server = load(&text).unwrap().server;
    assert_eq!(
        server.icon.as_ref().map(url::Url::as_str),
        Some("https://feeds.example.org/icon.png")
    );
    assert_eq!(
        server.logo.as_ref().map(url::Url::as_str),
        Some("https://feeds.example.org/logo.png")
    );
    assert_eq!(load(GOOD).unwrap().server.icon, None);
    for bad in ["icon.png", "file:///srv/icon.png", "ftp://x.example/i.png"] {
        let text = format!("[server]\n\nlogo = \"{bad}\"\n{GOOD}");
        let ps = problems(&text);
        let p = ps.iter().find(|p| p.key == "server.logo").unwrap();
        assert_eq!(p.line, 3, "{p}");
        assert!(p.to_string().contains("absolute http(s) URL"), "{p}");
    }
}
