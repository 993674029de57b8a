//! `[fetch]`: its limits, the user agent and the proxy.

use super::{load, problems, GOOD};

#[test]
fn out_of_range_numbers_and_sizes() {
    let text = GOOD.replace(
        "timeout = \"15s\"",
        "timeout = \"15s\"\nconcurrency = 0\nmax_body_size = \"lots\"",
    );
    let ps = problems(&text);
    assert_eq!(ps[0].key, "fetch.concurrency");
    assert_eq!(ps[1].key, "fetch.max_body_size");
}

#[test]
fn a_user_agent_the_http_client_would_refuse_is_a_config_error() {
    // A TOML escape puts a newline in the value: `fetch` and `run` could not build a client.
    let text = GOOD.replace(
        "timeout = \"15s\"",
        "timeout = \"15s\"\nuser_agent = \"Tributary\\nX-Injected: 1\"",
    );
    let p = &problems(&text)[0];
    assert_eq!((p.line, p.key.as_str()), (8, "fetch.user_agent"));
    assert!(p.message.contains("not a valid HTTP header value"), "{p}");
    let empty = GOOD.replace("timeout = \"15s\"", "timeout = \"15s\"\nuser_agent = \" \"");
    assert_eq!(problems(&empty)[0].key, "fetch.user_agent");
    let fine = GOOD.replace(
        "timeout = \"15s\"",
        "timeout = \"15s\"\nuser_agent = \"Partners-Bot/1.0 (+https://example.org/bot)\"",
    );
    assert_eq!(
        load(&fine).unwrap().fetch.user_agent,
        "Partners-Bot/1.0 (+https://example.org/bot)"
    );
}

#[test]
fn a_proxy_is_a_host_and_port_with_its_login_kept_out_of_the_url() {
    let with =
        |fetch: &str| GOOD.replace("timeout = \"15s\"", &format!("timeout = \"15s\"\n{fetch}"));
    let config = load(&with(
        "proxy = \"http://proxy.internal:3128\"\nproxy_username = \"tributary\"\nproxy_password_env = \"PROXY_PASSWORD\"",
    ))
    .unwrap();
    let proxy = config.fetch.proxy.unwrap();
    assert_eq!(proxy.url.as_str(), "http://proxy.internal:3128/");
    let auth = proxy.auth.unwrap();
    assert_eq!(
        (auth.username.as_str(), auth.password_env.as_str()),
        ("tributary", "PROXY_PASSWORD")
    );
    assert_eq!(load(GOOD).unwrap().fetch.proxy, None);
    // Each problem at the line of the key it names (the proxy's is line 8).
    for (fetch, key, line, said) in [
        (
            "proxy = \"http://user:secret@proxy.internal:3128\"",
            "fetch.proxy",
            8,
            "holds a login",
        ),
        (
            "proxy = \"socks5://proxy.internal:1080\"",
            "fetch.proxy",
            8,
            "unsupported proxy scheme \"socks5\"",
        ),
        (
            "proxy = \"proxy.internal:3128\"",
            "fetch.proxy",
            8,
            "unsupported proxy scheme \"proxy.internal\"",
        ),
        (
            "proxy = \"http://proxy.internal:3128/feeds\"",
            "fetch.proxy",
            8,
            "not a path",
        ),
        (
            "proxy = \"http://proxy.internal:3128\"\nproxy_username = \"tributary\"",
            "fetch.proxy_password_env",
            9,
            "proxy_username needs proxy_password_env",
        ),
        (
            "proxy_username = \"tributary\"\nproxy_password_env = \"PROXY_PASSWORD\"",
            "fetch.proxy",
            8,
            "proxy_username is set but proxy is not",
        ),
    ] {
        let p = &problems(&with(fetch))[0];
        assert_eq!(p.key, key, "{fetch}");
        assert!(p.message.contains(said), "{fetch}: {}", p.message);
        assert_eq!(p.line, line, "{fetch}");
    }
}
