//! `tributary discover`: the feeds a page offers, printed as config the binary accepts.

mod common;

use common::{fixtures, setup, src, FeedServer};

/// Runs `tributary discover ARGS…`: (exit code, stdout, stderr).
fn discover(s: &common::Setup, args: &[&str]) -> (i32, String, String) {
    let out = s.cmd().arg("discover").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The `[[sources]]` tables in an output, commented-out ones left aside.
fn tables(stdout: &str) -> usize {
    stdout
        .lines()
        .filter(|l| l.starts_with("[[sources]]"))
        .count()
}

#[test]
fn a_pages_alternate_feeds_become_sources_the_config_accepts() {
    let server = FeedServer::start();
    let rss = std::fs::read(fixtures("ingest/serbian-1250.xml")).unwrap();
    let atom = std::fs::read(fixtures("ingest/partner-atom.xml")).unwrap();
    server.feed("sr/feed/", rss, "application/rss+xml");
    server.feed("sr/atom.xml", atom, "application/atom+xml");
    server.feed(
        "sr/",
        "<!DOCTYPE html><html><head><title>Vesti</title>\
         <link rel=\"alternate\" type=\"application/rss+xml\" href=\"/sr/feed/\">\
         <link rel=\"alternate\" type=\"application/atom+xml\" href=\"atom.xml\">\
         <link rel=\"alternate\" type=\"application/rss+xml\" href=\"/sr/missing.xml\">\
         </head><body>Vesti</body></html>",
        "text/html; charset=utf-8",
    );
    let s = setup(&[src("127-0-0-1", "https://other.example/feed".into())], "");
    let (code, stdout, stderr) = discover(&s, &[&server.url("sr/"), "--kind", "organization"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.matches("[[sources]]").count(), 2, "{stdout}");
    assert!(
        stdout.contains(&format!("url = \"{}\"", server.url("sr/feed/"))),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("url = \"{}\"", server.url("sr/atom.xml"))),
        "{stdout}"
    );
    assert!(stdout.contains("kind = \"organization\""), "{stdout}");
    // The host gives the id; the config's own ids are not reused.
    assert!(stdout.contains("id = \"127-0-0-1-2\""), "{stdout}");
    assert!(stdout.contains("id = \"127-0-0-1-3\""), "{stdout}");

    // Appended to the config (even one whose last line has no newline), they validate and
    // fetch.
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(&s.config, format!("{}{stdout}", text.trim_end())).unwrap();
    s.cmd().args(["check", "--offline"]).assert().success();
    let (code, reports) = s.fetch(&["--source", "127-0-0-1-2"]);
    assert_eq!(code, 0);
    assert_eq!(reports["127-0-0-1-2"]["status"], "ok");

    // Asked again, the configured feeds are named as such.
    let (code, again, _) = discover(&s, &[&server.url("sr/")]);
    assert_eq!(code, 0);
    assert_eq!(again.matches("[[sources]]").count(), 0, "{again}");
    assert_eq!(again.matches("is already configured").count(), 2, "{again}");
}

#[test]
fn a_feed_url_is_its_own_source_and_a_page_without_links_tries_the_usual_paths() {
    let server = FeedServer::start();
    let rss = std::fs::read(fixtures("ingest/partner-rss2.xml")).unwrap();
    server.feed("news/rss.xml", rss.clone(), "application/rss+xml");
    let s = setup(&[], "");
    // A link as shared, with tracking parameters: the source is the feed's own URL.
    let shared = format!(
        "{}?utm_source=newsletter&utm_medium=email#top",
        server.url("news/rss.xml")
    );
    let (code, stdout, stderr) = discover(&s, &[&shared]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.matches("[[sources]]").count(), 1, "{stdout}");
    assert!(stdout.contains("kind = \"partner\""), "{stdout}");
    assert!(
        stdout.contains(&format!("url = \"{}\"\n", server.url("news/rss.xml"))),
        "{stdout}"
    );

    server.feed("feed/", rss, "application/rss+xml");
    server.feed("", "<html><body>Home</body></html>", "text/html");
    let (code, stdout, _) = discover(&s, &[&server.url("")]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains(&format!("url = \"{}\"", server.url("feed/"))),
        "{stdout}"
    );

    let (code, stdout, stderr) = discover(&s, &[&server.url("nothing-here")]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stderr.contains("cannot fetch"), "{stderr}");
    server.feed("empty", "<html><body>No feeds</body></html>", "text/html");
    server.route(
        "feed/",
        common::Route::Status {
            code: 404,
            headers: vec![],
            body: b"gone".to_vec(),
        },
    );
    let (code, _, stderr) = discover(&s, &[&server.url("empty")]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no feed found"), "{stderr}");
    assert!(stderr.contains("/rss.xml"), "{stderr}");
    // Each with why it failed: here the 404.
    assert!(stderr.contains("/feed/ (HTTP 404"), "{stderr}");

    let (code, _, stderr) = discover(&s, &["ftp://example.org/"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not an http(s) URL"), "{stderr}");
}

#[test]
fn another_readers_opml_export_becomes_sources() {
    let server = FeedServer::start();
    let rss = std::fs::read(fixtures("ingest/serbian-1250.xml")).unwrap();
    server.feed("a/feed/", rss, "application/rss+xml");
    server.feed("b/page", "<html>not a feed</html>", "text/html");
    let s = setup(
        &[src("known", server.url("known.xml"))],
        "[topics.culture]\ntitle = \"Culture\"\nthreshold = 1\nterms = { \"festival\" = 1 }\n",
    );
    let opml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Miniflux</title></head><body>
<outline text="Partners" title="Partners">
  <outline text="Culture"><outline title="BFPE" text="BFPE" xmlUrl="{a}" htmlUrl="https://bfpe.example/" type="rss"/></outline>
  <outline title="Broken" text="Broken" xmlUrl="{b}" type="rss"/>
  <outline title="Known" text="Known" xmlUrl="{known}" type="rss"/>
</outline></body></opml>"#,
        a = server.url("a/feed/"),
        b = server.url("b/page"),
        known = server.url("known.xml"),
    );
    let file = s.dir.path().join("export.opml");
    std::fs::write(&file, opml).unwrap();
    let file_arg = file.to_str().unwrap();
    let run = |extra: &[&str]| discover(&s, &[&["--opml", file_arg], extra].concat());
    // Addresses on this host are not fetched unless asked: printed commented out.
    let (code, stdout, _) = run(&[]);
    assert_eq!(code, 0);
    assert_eq!(server.hits("a/feed/").requests, 0);
    assert_eq!(stdout.matches("\n# [[sources]]").count(), 2, "{stdout}");
    assert!(
        stdout.contains("not fetched (see --allow-local)"),
        "{stdout}"
    );
    assert_eq!(tables(&stdout), 0, "{stdout}");

    // With --allow-local they are read; one is not a feed: printed, marked, exit 3.
    let (code, stdout, stderr) = run(&["--allow-local"]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(server.hits("a/feed/").requests, 1);
    assert_eq!(tables(&stdout), 2, "{stdout}");
    // The reader's title is kept; the feed gives the language.
    assert!(stdout.contains("title = \"BFPE\""), "{stdout}");
    assert!(stdout.contains("lang = \"sr-latn\""), "{stdout}");
    assert!(stdout.contains("answered, but not with a feed"), "{stdout}");
    // A folder named like a topic gives the source that topic; another is said.
    assert_eq!(
        stdout.matches("topics = [\"culture\"]").count(),
        1,
        "{stdout}"
    );
    assert!(
        stdout.contains("is filed under \"Partners\" in the reader: no topic of that name"),
        "{stdout}"
    );
    assert!(
        stdout.contains("is already configured as source \"known\""),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 of 2 feeds could not be read now"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(&s.config, format!("{text}\n{stdout}")).unwrap();
    s.cmd().args(["check", "--offline"]).assert().success();

    std::fs::write(&file, "<rss/>").unwrap();
    let (code, _, stderr) = run(&[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is not an OPML file"), "{stderr}");
}
