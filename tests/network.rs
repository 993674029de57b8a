//! Networks: hostile ones (decompression bombs, redirect loops, servers that never finish,
//! and local files that never finish either), and one that is left only through a proxy.

mod common;

use std::io::Write;

use common::{output_within_a_minute, setup, src, FeedServer, Route};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn a_gzip_bomb_is_stopped_at_the_body_limit() {
    let server = FeedServer::start();
    // 64 MiB of zeros after decompression, about 64 KiB on the wire.
    let bomb = gzip(&vec![0u8; 64 * 1024 * 1024]);
    assert!(bomb.len() < 1024 * 1024);
    server.route(
        "bomb.xml",
        Route::Status {
            code: 200,
            headers: vec![
                ("content-encoding".into(), "gzip".into()),
                ("content-type".into(), "application/rss+xml".into()),
            ],
            body: bomb,
        },
    );
    let s = setup(
        &[src("bomb", server.url("bomb.xml"))],
        "[fetch]\nmax_body_size = \"1MiB\"\n",
    );
    let (code, r) = s.fetch(&[]);
    assert_eq!(code, 3);
    assert!(
        r["bomb"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than fetch.max_body_size (1 MiB)"),
        "{}",
        r["bomb"]
    );
}

#[test]
fn compressed_feeds_are_read() {
    let server = FeedServer::start();
    let feed = std::fs::read(common::fixtures("ingest/partner-atom.xml")).unwrap();
    server.route(
        "gz.xml",
        Route::Status {
            code: 200,
            headers: vec![("content-encoding".into(), "gzip".into())],
            body: gzip(&feed),
        },
    );
    let s = setup(&[src("gz", server.url("gz.xml"))], "");
    let (code, r) = s.fetch(&[]);
    assert_eq!(code, 0, "{r:?}");
    assert_eq!(r["gz"]["new"], 4);
}

#[test]
fn redirect_loops_end() {
    let server = FeedServer::start();
    server.route(
        "loop.xml",
        Route::Status {
            code: 302,
            headers: vec![("location".into(), "/loop.xml".into())],
            body: vec![],
        },
    );
    let s = setup(&[src("loop", server.url("loop.xml"))], "");
    let (code, r) = s.fetch(&[]);
    assert_eq!(code, 3);
    assert!(
        r["loop"]["message"]
            .as_str()
            .unwrap()
            .contains("too many redirects"),
        "{}",
        r["loop"]
    );
    // The first request and at most 5 redirects.
    assert_eq!(server.hits("loop.xml").requests, 6);
}

#[test]
fn redirects_within_the_limit_are_followed() {
    let server = FeedServer::start();
    server.serve_dir(&common::fixtures("ingest"));
    server.route(
        "moved.xml",
        Route::Status {
            code: 301,
            headers: vec![("location".into(), "/rss1.rdf".into())],
            body: vec![],
        },
    );
    server.route(
        "gone-astray.xml",
        Route::Status {
            code: 301,
            headers: vec![("location".into(), "ftp://files.example/feed.xml".into())],
            body: vec![],
        },
    );
    server.route(
        "elsewhere-for-now.xml",
        Route::Status {
            code: 302,
            headers: vec![("location".into(), "/serbian-1250.xml".into())],
            body: vec![],
        },
    );
    let s = setup(
        &[
            // A fragment in the configured URL is never sent; the move is recorded all the same.
            src("moved", format!("{}#feed", server.url("moved.xml"))),
            src("visiting", server.url("elsewhere-for-now.xml")),
            src("astray", server.url("gone-astray.xml")),
        ],
        "",
    );
    let (code, r) = s.fetch(&[]);
    assert_eq!(code, 3, "the move to ftp fails");
    assert_eq!(r["astray"]["status"], "error", "{}", r["astray"]);
    assert_eq!(r["moved"]["new"], 4);
    assert_eq!(r["visiting"]["status"], "ok", "{}", r["visiting"]);
    // A permanent move is recorded for ops to update the url; a temporary one is not.
    let states = sources(&s);
    assert_eq!(states["moved"]["state"]["moved_to"], server.url("rss1.rdf"));
    assert!(states["visiting"]["state"]["moved_to"].is_null());
    // A move the client refuses to follow is no address to set.
    assert!(
        states["astray"]["state"]["moved_to"].is_null(),
        "{}",
        states["astray"]
    );
    let listed = s.cmd().arg("sources").output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains(&format!(
            "moved for good to {}: set url to it",
            server.url("rss1.rdf")
        )),
        "{listed}"
    );
    // Once the url says where the feed is (here a copy on disk), nothing is left to say.
    let text = std::fs::read_to_string(&s.config).unwrap();
    let on_disk = common::fixtures("ingest").join("rss1.rdf");
    let moved_url = format!("{}#feed", server.url("moved.xml"));
    assert!(text.contains(&moved_url));
    std::fs::write(
        &s.config,
        text.replace(&moved_url, on_disk.to_str().unwrap()),
    )
    .unwrap();
    // (The one astray is backing off: deferred, not a failure.)
    let (code, _) = s.fetch(&[]);
    assert_eq!(code, 0);
    assert!(sources(&s)["moved"]["state"]["moved_to"].is_null());
}

/// `tributary sources --json`, by source id.
fn sources(s: &common::Setup) -> serde_json::Map<String, serde_json::Value> {
    let out = s.cmd().args(["sources", "--json"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

#[test]
fn a_feed_that_is_gone_says_so_and_waits_the_longest_backoff() {
    let server = FeedServer::start();
    server.route(
        "gone.xml",
        Route::Status {
            code: 410,
            headers: vec![],
            body: vec![],
        },
    );
    let s = setup(
        &[src("gone", server.url("gone.xml"))],
        "[fetch]
backoff_base = \"1m\"\nbackoff_max = \"12h\"\n",
    );
    let before = chrono::Utc::now();
    let (code, r) = s.fetch(&[]);
    assert_eq!(code, 3);
    let message = r["gone"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("HTTP 410 Gone: the feed was removed"),
        "{message}"
    );
    let retry: chrono::DateTime<chrono::Utc> = sources(&s)["gone"]["state"]["retry_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= before + chrono::Duration::hours(12), "{retry}");
    let (_, r) = s.fetch(&[]);
    assert_eq!(r["gone"]["status"], "deferred");
    assert_eq!(server.hits("gone.xml").requests, 1);
}

#[test]
fn a_server_that_never_finishes_is_cut_by_the_total_timeout() {
    let server = FeedServer::start();
    server.route("slow.xml", Route::Trickle);
    let s = setup(
        &[src("slow", server.url("slow.xml"))],
        "[fetch]\ntimeout = \"1s\"\n",
    );
    let (code, r) = s.fetch(&[]);
    assert_eq!(code, 3);
    assert!(
        r["slow"]["message"].as_str().unwrap().contains("timed out"),
        "{}",
        r["slow"]
    );
}

/// A FIFO in `s`'s folder, named `name`: a local feed "file" whose read blocks until
/// something writes to it (as a hung network mount's would).
fn fifo(s: &common::Setup, name: &str) -> std::path::PathBuf {
    let path = s.dir.path().join(name);
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    path
}

/// A local feed file and a config with it beside `stuck.xml`, a FIFO nobody writes.
fn local_and_stuck(fetch: &str) -> (common::Setup, std::path::PathBuf) {
    let s = setup(
        &[
            src("local", "local.xml".into()),
            src("stuck", "stuck.xml".into()),
        ],
        fetch,
    );
    std::fs::write(
        s.dir.path().join("local.xml"),
        "<rss version=\"2.0\"><channel><title>Local</title><item><title>Written by a script</title>\
         <link>https://local.example/1</link><guid>1</guid></item></channel></rss>",
    )
    .unwrap();
    let stuck = fifo(&s, "stuck.xml");
    (s, stuck)
}

/// A local file whose read blocks is cut by `[fetch] timeout` as a request is: the source
/// fails (and backs off) saying so, and the others are stored.
#[test]
fn a_local_file_that_never_finishes_is_cut_by_the_timeout() {
    let (s, _stuck) = local_and_stuck("[fetch]\ntimeout = \"1s\"\n");
    // Killed if it hangs, as it did: that fails the test rather than hold it up.
    let out = s
        .cmd()
        .args(["fetch", "--json"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: std::collections::HashMap<String, serde_json::Value> = stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["source"].as_str().unwrap().to_string(), v)
        })
        .collect();
    assert_eq!(reports["local"]["status"], "ok", "{}", reports["local"]);
    assert_eq!(reports["local"]["new"], 1, "{}", reports["local"]);
    assert_eq!(reports["stuck"]["status"], "error", "{}", reports["stuck"]);
    let message = reports["stuck"]["message"].as_str().unwrap();
    assert!(message.starts_with("timed out reading "), "{message}");
    assert!(message.ends_with("stuck.xml after 1s"), "{message}");
    let state = &sources(&s)["stuck"]["state"];
    assert_eq!(state["consecutive_errors"], 1, "{state}");
    assert!(state["retry_at"].is_string(), "{state}");
}

/// One SIGTERM ends a `fetch` whose local file read blocks: what was downloaded is stored,
/// and nothing waits for the blocked read.
#[test]
fn one_sigterm_ends_a_fetch_whose_local_file_read_blocks() {
    use std::io::BufRead as _;
    let (s, stuck) = local_and_stuck("[fetch]\ntimeout = \"10m\"\n");
    let mut child = s
        .std_cmd()
        .args(["fetch", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Opened for writing once the fetch has it open for reading, and never written: the
    // fetch's read then blocks for as long as this end is open.
    let (opened, writer) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = opened.send(std::fs::OpenOptions::new().write(true).open(stuck));
    });
    let _writer = writer
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the fetch never opened the FIFO")
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["source"], "local", "{first}");
    let pid = child.id().to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(signalled.success());
    // A fetch that hangs (as it did, until a second signal) fails the test.
    let status = output_within_a_minute(child, "one SIGTERM did not end the fetch").status;
    assert_eq!(status.code(), Some(143));
    let rest: Vec<serde_json::Value> = lines
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!(rest[0]["source"], "stuck");
    assert_eq!(rest[0]["status"], "stopped", "{}", rest[0]);
    let health = sources(&s);
    assert_eq!(health["local"]["health"], "ok", "{}", health["local"]);
    assert_eq!(s.items().len(), 1);
}

/// With `[fetch] proxy`, a public source is fetched through the proxy (its name is the
/// proxy's to resolve: `partner.example` resolves nowhere here), with the proxy's login; a
/// source on this host is fetched directly. Without the proxy's password, the public source
/// fails, saying why, and nothing is sent to the proxy.
#[test]
fn public_sources_go_through_the_proxy_and_local_ones_do_not() {
    let rss = |title: &str| {
        format!(
            "<rss version=\"2.0\"><channel><title>{title}</title><item><title>{title}: the first story</title><guid>1</guid></item></channel></rss>"
        )
    };
    let proxy = FeedServer::start();
    // The proxy serves the partner's feed only to a client that gives the proxy's login.
    proxy.route(
        "partner.xml",
        Route::Guarded {
            header: "proxy-authorization".into(),
            // tributary:s3cret
            value: "Basic dHJpYnV0YXJ5OnMzY3JldA==".into(),
            body: rss("Partner").into_bytes(),
        },
    );
    let direct = FeedServer::start();
    direct.feed("local.xml", rss("Local"), "application/rss+xml");
    let s = setup(
        &[
            src("partner", "http://partner.example/partner.xml".into()),
            src("local", direct.url("local.xml")),
        ],
        &format!(
            "[fetch]\nproxy = \"http://{}\"\nproxy_username = \"tributary\"\nproxy_password_env = \"TRIBUTARY_TEST_PROXY_PASSWORD\"\n",
            proxy.addr
        ),
    );
    let out = s
        .cmd()
        .env("TRIBUTARY_TEST_PROXY_PASSWORD", "s3cret")
        .args(["fetch", "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["status"], "ok", "{line}");
        assert_eq!(v["new"], 1, "{line}");
    }
    assert_eq!(proxy.hits("partner.xml").full, 1);
    assert_eq!(proxy.hits("local.xml").requests, 0);
    assert_eq!(direct.hits("local.xml").requests, 1);
    let titles: Vec<String> = s
        .items()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    assert!(
        titles.contains(&"Partner: the first story".to_string()),
        "{titles:?}"
    );

    // Without the proxy's password the public source fails, naming the variable, and
    // nothing goes to the proxy; the local source is fetched as before.
    let (code, reports) = s.fetch(&["--force"]);
    assert_eq!(code, 3, "partial failure: {reports:?}");
    assert_eq!(reports["partner"]["status"], "error");
    let message = reports["partner"]["message"].as_str().unwrap();
    assert!(
        message.contains("$TRIBUTARY_TEST_PROXY_PASSWORD, which is not set"),
        "{message}"
    );
    assert_eq!(reports["local"]["status"], "not-modified");
    assert_eq!(proxy.total_hits().requests, 1);
    assert_eq!(direct.hits("local.xml").not_modified, 1);
}

/// Through `[fetch] proxy`, which resolves names itself, a public source's redirect to a name
/// only a private network knows (one label, `.internal`, `.local`…) is refused, as one to a
/// private address is without a proxy; a redirect to a public name is followed.
#[test]
fn through_the_proxy_a_redirect_to_a_private_networks_name_is_refused() {
    let rss = "<rss version=\"2.0\"><channel><title>T</title><item><title>A story</title><guid>1</guid></item></channel></rss>";
    let proxy = FeedServer::start();
    let moved = |to: &str| Route::Status {
        code: 302,
        headers: vec![("location".into(), to.to_string())],
        body: vec![],
    };
    proxy.route("to-wiki.xml", moved("http://wiki/secret.xml"));
    proxy.route(
        "to-metadata.xml",
        moved("http://metadata.google.internal/m.xml"),
    );
    proxy.route("to-mirror.xml", moved("http://mirror.example/feed.xml"));
    // A source the config names by an intranet name, moved within it.
    proxy.route("moved.xml", moved("http://wiki/feed2.xml"));
    proxy.feed("feed2.xml", rss, "application/rss+xml");
    proxy.feed("secret.xml", rss, "application/rss+xml");
    proxy.feed("m.xml", rss, "application/rss+xml");
    proxy.feed("feed.xml", rss, "application/rss+xml");
    let s = setup(
        &[
            src("wiki", "http://partner.example/to-wiki.xml".into()),
            src("metadata", "http://partner.example/to-metadata.xml".into()),
            src("mirror", "http://partner.example/to-mirror.xml".into()),
            src("intranet", "http://wiki/moved.xml".into()),
        ],
        &format!("[fetch]\nproxy = \"http://{}\"\n", proxy.addr),
    );
    let (code, reports) = s.fetch(&[]);
    assert_eq!(code, 3, "{reports:?}");
    for (id, name) in [("wiki", "wiki"), ("metadata", "metadata.google.internal")] {
        assert_eq!(reports[id]["status"], "error", "{}", reports[id]);
        let message = reports[id]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!(
                "refused: redirect to {name}, a name of a private network, through the proxy"
            )),
            "{message}"
        );
    }
    assert_eq!(proxy.hits("secret.xml").requests, 0);
    assert_eq!(proxy.hits("m.xml").requests, 0);
    assert_eq!(reports["mirror"]["status"], "ok", "{}", reports["mirror"]);
    assert_eq!(
        reports["intranet"]["status"], "ok",
        "{}",
        reports["intranet"]
    );
    assert_eq!(proxy.hits("feed2.xml").full, 1);
    assert_eq!(proxy.hits("feed.xml").full, 1);
}

/// A fetch error names the URL as it is published: a secret query parameter is hidden in the
/// message that `fetch`, `/sources.json` and the status page show, however the request failed
/// (a server that hangs up without answering; a redirect to another site refused).
#[test]
fn fetch_errors_never_show_a_secret_in_the_url() {
    // Takes each connection and closes it at once: the request fails, naming its URL.
    let hangs_up = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hangs_up.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in hangs_up.incoming() {
            drop(stream);
        }
    });
    let server = FeedServer::start();
    let elsewhere = FeedServer::start();
    server.route(
        "moved.xml",
        Route::Status {
            code: 302,
            headers: vec![(
                "location".into(),
                elsewhere.url("feed.xml?api_key=S3CRET-2"),
            )],
            body: vec![],
        },
    );
    let s = setup(
        &[
            src(
                "down",
                format!("http://127.0.0.1:{port}/feed.xml?api_key=S3CRET-1&lang=sq"),
            ),
            src("moved", server.url("moved.xml")),
        ],
        "",
    );
    // Custom headers on the last source (`moved`): it follows no redirect to another site.
    let text = std::fs::read_to_string(&s.config).unwrap();
    let kind = "kind = \"partner\"\n";
    let at = text.rfind(kind).unwrap() + kind.len();
    let keyed = format!(
        "{}headers = {{ X-Api-Key = \"k-123\" }}\n{}",
        &text[..at],
        &text[at..]
    );
    std::fs::write(&s.config, keyed).unwrap();
    let (code, reports) = s.fetch(&[]);
    assert_eq!(code, 3, "{reports:?}");
    let down = reports["down"]["message"].as_str().unwrap();
    assert!(down.contains("api_key=hidden&lang=sq"), "{down}");
    let moved = reports["moved"]["message"].as_str().unwrap();
    assert!(moved.contains("another site"), "{moved}");
    assert!(moved.contains("api_key=hidden"), "{moved}");
    let out = s.cmd().args(["sources", "--json"]).output().unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("api_key=hidden"), "{listed}");
    for said in [down, moved, &listed] {
        assert!(!said.contains("S3CRET"), "{said}");
    }
}

/// A certificate authority made for a test.
fn test_authority() -> (rcgen::Issuer<'static, rcgen::KeyPair>, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Tributary test authority");
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key).unwrap();
    (rcgen::Issuer::new(ca_params, ca_key), ca.pem())
}

/// An HTTPS server on 127.0.0.1 with a certificate for that address from a CA made for the
/// test, serving `body` to every request. Returns its port and the CA's PEM.
fn https_server(body: &'static [u8]) -> (u16, String) {
    let (issuer, ca_pem) = test_authority();
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    (tls_server(cert.der().clone(), &key, body.to_vec()), ca_pem)
}

/// An HTTPS server on 127.0.0.1 presenting `cert` (whose key is `key`), serving `body` to
/// every request, one answer per connection. Returns its port.
fn tls_server(
    cert: rustls::pki_types::CertificateDer<'static>,
    key: &rcgen::KeyPair,
    body: Vec<u8>,
) -> u16 {
    use std::io::Read;
    use std::sync::Arc;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let config = Arc::new(config);
    let body = Arc::new(body);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut tcp) = stream else { return };
            let config = config.clone();
            let body = body.clone();
            std::thread::spawn(move || {
                let Ok(mut conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
                // The request's head, then one answer and the end of the connection.
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes());
                let _ = tls.write_all(&body);
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    port
}

/// HTTPS sources are checked against the system's authorities, where an internal CA is
/// added: a feed whose certificate such a CA signed is refused until the trust names it
/// (here through `SSL_CERT_FILE`, as a bundle mounted into a container would).
#[test]
fn https_sources_are_checked_against_the_systems_authorities() {
    const FEED: &[u8] = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Internal</title><link>https://intranet.example/</link><description>d</description><item><title>Behind the internal CA</title><link>https://intranet.example/a</link><guid>https://intranet.example/a</guid></item></channel></rss>";
    let (port, ca_pem) = https_server(FEED);
    let s = setup(
        &[src(
            "internal",
            format!("https://127.0.0.1:{port}/feed.xml"),
        )],
        "",
    );
    let (code, reports) = s.fetch(&[]);
    assert_eq!(code, 3, "{reports:?}");
    let refused = reports["internal"]["message"].as_str().unwrap().to_string();
    assert!(
        refused.contains("not signed by an authority this host trusts")
            && refused.contains("SSL_CERT_FILE"),
        "{refused}"
    );

    let bundle = s.dir.path().join("internal-ca.pem");
    std::fs::write(&bundle, ca_pem).unwrap();
    let out = s
        .cmd()
        .env("SSL_CERT_FILE", &bundle)
        .args(["fetch", "--json", "--force"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(report["status"], "ok", "{report}");
    assert_eq!(report["new"], 1, "{report}");
}

/// A source whose server's certificate is refused (self-signed, an authority's own presented
/// as the server's, expired, for another name) says so in words, with what can be done; with
/// `accept_invalid_certificates = true` it is fetched anyway, and `check` warns of it. A
/// redirect to a site whose certificate is refused names that site, and such a source follows
/// no redirect to another site.
#[test]
fn a_refused_certificate_is_said_in_words_and_a_source_may_accept_it() {
    let feed = |n: &str| {
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Partner {n}</title><link>https://{n}.example/</link><description>d</description><item><title>News from partner {n}</title><link>https://{n}.example/a</link><guid>https://{n}.example/a</guid></item></channel></rss>").into_bytes()
    };
    let for_loopback = || rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    // rcgen's own: a self-signed certificate for the address.
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = for_loopback().self_signed(&key).unwrap();
    let self_signed = tls_server(cert.der().clone(), &key, feed("selfsigned"));
    // A self-signed certificate made with an authority's settings, as some appliances do.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = for_loopback();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let authority_own = tls_server(cert.der().clone(), &key, feed("authorityown"));
    // From an authority this host trusts (through SSL_CERT_FILE): expired, and for another name.
    let (issuer, ca_pem) = test_authority();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = for_loopback();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let cert = params.signed_by(&key, &issuer).unwrap();
    let expired = tls_server(cert.der().clone(), &key, feed("expired"));
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["feeds.partner.example".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let other_name = tls_server(cert.der().clone(), &key, feed("othername"));
    // An http address that moved to the self-signed server.
    let server = FeedServer::start();
    let moved_to = format!("https://127.0.0.1:{self_signed}/feed.xml");
    server.route(
        "moved.xml",
        Route::Status {
            code: 301,
            headers: vec![("location".into(), moved_to.clone())],
            body: vec![],
        },
    );
    let https = |port: u16| format!("https://127.0.0.1:{port}/feed.xml");
    let s = setup(
        &[
            src("selfsigned", https(self_signed)),
            src("authorityown", https(authority_own)),
            src("expired", https(expired)),
            src("othername", https(other_name)),
            src("moved", server.url("moved.xml")),
            // The self-signed server again, for a source that never sets the key: fetched in the
            // same runs as one that does, to the same host and port.
            src(
                "unflagged",
                format!("https://127.0.0.1:{self_signed}/other.xml"),
            ),
        ],
        "",
    );
    let bundle = s.dir.path().join("test-authority.pem");
    std::fs::write(&bundle, ca_pem).unwrap();
    let fetch = || {
        let out = s
            .cmd()
            .env("SSL_CERT_FILE", &bundle)
            .args(["fetch", "--json", "--force"])
            .output()
            .unwrap();
        let reports: std::collections::HashMap<String, serde_json::Value> =
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(|l| {
                    let v: serde_json::Value = serde_json::from_str(l).unwrap();
                    (v["source"].as_str().unwrap().to_string(), v)
                })
                .collect();
        (out.status.code(), reports)
    };
    let message = |reports: &std::collections::HashMap<String, serde_json::Value>, id: &str| {
        reports[id]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };

    let (code, reports) = fetch();
    assert_eq!(code, Some(3), "{reports:?}");
    for id in ["selfsigned", "authorityown", "expired", "othername"] {
        assert_eq!(reports[id]["kind"], "tls", "{id}: {}", reports[id]);
    }
    let hint = "; if you trust this source anyway, set accept_invalid_certificates = true on it";
    let untrusted = "cannot connect: the server's certificate is not signed by an authority this host trusts (self-signed, or the server does not send its intermediate certificate";
    let self_signed_said = message(&reports, "selfsigned");
    assert!(
        self_signed_said.starts_with(untrusted) && self_signed_said.ends_with(hint),
        "{self_signed_said}"
    );
    assert_eq!(
        message(&reports, "authorityown"),
        format!("{untrusted}){hint}")
    );
    assert_eq!(
        message(&reports, "expired"),
        format!("cannot connect: the server's certificate expired on 2021-01-01{hint}")
    );
    assert_eq!(
        message(&reports, "othername"),
        format!(
            "cannot connect: the server's certificate is issued for another name (feeds.partner.example){hint}"
        )
    );
    let moved = message(&reports, "moved");
    assert!(
        moved.starts_with(&format!("cannot connect: {moved_to}, where the url redirects: the server's certificate is not signed by an authority this host trusts"))
            && moved.ends_with("; if you trust that site anyway, set url to it and accept_invalid_certificates = true"),
        "{moved}"
    );
    // rustls's own words are left out.
    for id in [
        "selfsigned",
        "authorityown",
        "expired",
        "othername",
        "moved",
    ] {
        let said = message(&reports, id);
        assert!(
            !said.contains("invalid peer certificate") && !said.contains("error sending request"),
            "{said}"
        );
    }

    // The key on every source.
    let mut text = std::fs::read_to_string(&s.config).unwrap();
    for id in [
        "selfsigned",
        "authorityown",
        "expired",
        "othername",
        "moved",
    ] {
        let line = format!("id = \"{id}\"\n");
        text = text.replace(
            &line,
            &format!("{line}accept_invalid_certificates = true\n"),
        );
    }
    std::fs::write(&s.config, text).unwrap();
    let out = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "warnings only");
    let warned = String::from_utf8_lossy(&out.stderr);
    for id in ["selfsigned", "authorityown", "expired", "othername"] {
        assert!(
            warned.contains(&format!("warning: source {id}: its server's certificate is not checked (accept_invalid_certificates = true)")),
            "{warned}"
        );
    }
    assert!(
        warned.contains(
            "warning: source moved: accept_invalid_certificates has no effect on a plain http URL"
        ),
        "{warned}"
    );

    let (code, reports) = fetch();
    assert_eq!(code, Some(3), "{reports:?}");
    for id in ["selfsigned", "authorityown", "expired", "othername"] {
        assert_eq!(reports[id]["status"], "ok", "{}", reports[id]);
        assert_eq!(reports[id]["new"], 1, "{}", reports[id]);
    }
    // The unchecked clients are that source's alone: one without the key, on the same server
    // in the same run, is still refused.
    assert_eq!(reports["unflagged"]["status"], "error");
    let unflagged = message(&reports, "unflagged");
    assert!(
        unflagged.starts_with(untrusted) && unflagged.ends_with(hint),
        "{unflagged}"
    );
    // Ops see which sources go unchecked: `sources` (and the status page) say so.
    let listed = s.json_lines(&["sources", "--json"]);
    let unchecked: Vec<&str> = listed
        .iter()
        .filter(|v| v["certificate_unchecked"] == true)
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        unchecked,
        ["selfsigned", "authorityown", "expired", "othername"]
    );
    let out = s.cmd().arg("sources").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("its certificate is not checked (accept_invalid_certificates)"),
        "{text}"
    );
    // Its site's certificate is not checked; another site's would not be either: not followed.
    let moved = message(&reports, "moved");
    assert!(
        moved.contains(&format!("refused: redirect to {moved_to}, another site, whose certificate would not be checked either (set url to it if it is to be trusted)")),
        "{moved}"
    );
    let stored: Vec<String> = s
        .items()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    for n in ["selfsigned", "authorityown", "expired", "othername"] {
        assert!(
            stored.contains(&format!("News from partner {n}")),
            "{stored:?}"
        );
    }
    assert_eq!(stored.len(), 4, "{stored:?}");
}

/// `discover` on a site whose certificate is refused says how to go on; with
/// `--accept-invalid-certificates` it finds the feed and prints a source that sets the key.
#[test]
fn discover_may_accept_an_invalid_certificate_for_the_source_it_prints() {
    let feed = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Partner with a broken certificate</title><link>https://p.example/</link><description>d</description><item><title>News</title><link>https://p.example/a</link></item></channel></rss>";
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let port = tls_server(cert.der().clone(), &key, feed.to_vec());
    let s = setup(&[], "");
    let url = format!("https://127.0.0.1:{port}/feed.xml");
    let out = s.cmd().args(["discover", &url]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("not signed by an authority this host trusts")
            && said.contains("run discover again with --accept-invalid-certificates")
            && !said.contains("set accept_invalid_certificates = true on it"),
        "{said}"
    );
    let out = s
        .cmd()
        .args(["discover", "--accept-invalid-certificates", &url])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains(&format!("url = \"{url}\""))
            && printed.contains("title = \"Partner with a broken certificate\"")
            && printed.contains("accept_invalid_certificates = true"),
        "{printed}"
    );
    // The printed table is a config that reads.
    let config = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(&s.config, format!("{config}\n{printed}")).unwrap();
    let check = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}
