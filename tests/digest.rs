//! Digests end to end: built from the store, written to the Maildir outbox and --out, sent once
//! through a real SMTP server on 127.0.0.1, parsed with Python's email package; consecutive
//! periods never repeat a story.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{fixtures, setup, src, FeedServer};
use serde_json::Value;

fn python_with(module: &str) -> bool {
    common::tool_available("python3", &["-c", &format!("import {module}")])
}

struct Sink {
    child: Child,
    port: u16,
}

impl Sink {
    fn start(dir: &Path) -> Sink {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().strip_prefix("ready ").unwrap().parse().unwrap();
        Sink { child, port }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn parse_eml(path: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail/parse_eml.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn files(dir: &Path, ext: &str) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn digests_cover_each_story_once_and_are_sent_once() {
    if !python_with("aiosmtpd") {
        return;
    }
    let mail_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(mail_dir.path());
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let extra = format!(
        r#"[classify]
rules = "topics.toml"

[mail]
outbox = "outbox"
domain = "digests.example.org"

[mail.smtp]
host = "127.0.0.1"
port = {port}
security = "none"

[[digests]]
name = "daily"
title = "Partneri: dnevni pregled"
cron = "0 7 * * *"
time_zone = "Europe/Belgrade"
from = "Tributary Pregled <digest@digests.example.org>"
to = ["partners@lists.example.org"]
list_id = "daily.digests.example.org"
unsubscribe_url = "https://lists.example.org/unsubscribe/daily"
"#,
        port = sink.port
    );
    let s = setup(
        &[
            src("bfpe", server.url("serbian-1250.xml")),
            src("atom", server.url("partner-atom.xml")),
        ],
        &extra,
    );
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/topics.toml"),
        s.dir.path().join("topics.toml"),
    )
    .unwrap();
    s.fetch(&[]);
    let stored = s.items();
    assert_eq!(stored.len(), 8);

    let at1 = chrono::Utc::now().to_rfc3339();
    let out = s.dir.path().join("out");
    let run = s
        .cmd()
        .args(["digest", "daily", "--at", &at1, "--send", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(said.contains("digest daily: 8 stories"), "{said}");
    assert!(
        said.contains("sent to partners@lists.example.org"),
        "{said}"
    );

    // Received once, identical to the outbox copy.
    let received = files(mail_dir.path(), "eml");
    assert_eq!(received.len(), 1);
    let outbox: Vec<_> = std::fs::read_dir(s.dir.path().join("outbox/daily/new"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    assert_eq!(outbox.len(), 1);
    let sent = std::fs::read(&received[0]).unwrap();
    let kept = std::fs::read(&outbox[0]).unwrap();
    let normalize = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace("\r\n", "\n")
            .trim_end()
            .to_string()
    };
    assert_eq!(normalize(&sent), normalize(&kept));
    assert_eq!(
        std::fs::read_to_string(received[0].with_extension("rcpt")).unwrap(),
        "partners@lists.example.org"
    );

    // What a mail client sees.
    let msg = parse_eml(&received[0]);
    assert_eq!(msg["type"], "multipart/alternative", "{msg}");
    assert_eq!(msg["defects"], serde_json::json!([]));
    let parts = msg["parts"].as_array().unwrap();
    assert_eq!(parts[0]["type"], "text/plain");
    assert_eq!(parts[1]["type"], "text/html");
    for p in parts {
        assert_eq!(p["charset"], "utf-8");
    }
    let headers = &msg["headers"];
    assert!(
        headers["Subject"]
            .as_str()
            .unwrap()
            .contains("Partneri: dnevni pregled"),
        "{headers}"
    );
    assert!(
        headers["Subject"].as_str().unwrap().contains('8'),
        "{headers}"
    );
    assert_eq!(headers["List-Id"], "<daily.digests.example.org>");
    assert!(headers["List-Unsubscribe"]
        .as_str()
        .unwrap()
        .contains("https://lists.example.org/unsubscribe/daily"));
    assert_eq!(
        headers["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
    assert!(headers["Message-ID"]
        .as_str()
        .unwrap()
        .ends_with("@digests.example.org>"));
    assert!(
        headers.get("Date").is_some()
            && headers.get("From").is_some()
            && headers.get("To").is_some()
    );
    // The text part wraps lines: compare with whitespace collapsed.
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = squeeze(parts[0]["content"].as_str().unwrap());
    let html = parts[1]["content"].as_str().unwrap();
    for item in &stored {
        let title = squeeze(item["title"].as_str().unwrap());
        assert_eq!(
            text.matches(&title).count(),
            1,
            "{title} not exactly once in the text part"
        );
    }
    assert!(!html.to_lowercase().contains("<script"));
    assert!(
        !html.contains(" src="),
        "the HTML makes no external requests by default"
    );
    assert_eq!(
        files(&out, "eml").len()
            + files(&out, "html").len()
            + files(&out, "txt").len()
            + files(&out, "json").len(),
        4
    );

    // The newsletter tool takes the message out of the Maildir. The same period again:
    // reproduced, neither re-sent nor written to the outbox again.
    std::fs::remove_file(&outbox[0]).unwrap();
    let again = s
        .cmd()
        .args(["digest", "daily", "--at", &at1, "--send"])
        .output()
        .unwrap();
    assert!(again.status.success());
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(said.contains("already sent"), "{said}");
    assert!(said.contains("not written again"), "{said}");
    assert_eq!(files(mail_dir.path(), "eml").len(), 1);
    assert_eq!(
        std::fs::read_dir(s.dir.path().join("outbox/daily/new"))
            .unwrap()
            .count(),
        0
    );

    // The next period starts where this one ended: only the new story.
    server.feed("later.xml", r#"<rss version="2.0"><channel><title>Later</title><link>https://later.example/</link>
        <item><title>Licence plates: the new stickers arrive at the crossings</title><link>https://later.example/1</link><guid>l1</guid></item>
        </channel></rss>"#, "application/rss+xml");
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(&s.config, format!("{text}\n[[sources]]\nid = \"later\"\ntitle = \"Later\"\nurl = \"{}\"\nkind = \"partner\"\n", server.url("later.xml"))).unwrap();
    s.fetch(&[]);
    let at2 = chrono::Utc::now().to_rfc3339();
    let second = s
        .cmd()
        .args(["digest", "daily", "--at", &at2, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("digest daily: 1 story "),
        "{}",
        String::from_utf8_lossy(&second.stdout)
    );
    let _ = std::io::stdout().flush();
}

#[test]
fn a_digest_whose_sending_failed_goes_out_with_the_next_send() {
    if !python_with("aiosmtpd") {
        return;
    }
    let mail_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(mail_dir.path());
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let digest = r#"
[[digests]]
name = "daily"
title = "Daily"
cron = "0 7 * * *"
from = "digest@digests.example.org"
to = ["partners@lists.example.org"]
"#;
    // The relay is a port nothing listens on, held for the test: the first send fails.
    let (_held, closed_port) = common::refusing_port();
    let relay = |port: u16| {
        format!("[mail.smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n")
    };
    let s = setup(
        &[src("bfpe", server.url("serbian-1250.xml"))],
        &format!(
            "[mail]\noutbox = \"outbox\"\n{}{digest}",
            relay(closed_port)
        ),
    );
    s.fetch(&[]);
    let stored = s.items().len();
    assert!(stored > 0);

    // The relay down: the digest is built and kept, its sending fails.
    let failed = send(&s, &[]);
    assert_eq!(failed.status.code(), Some(3));
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(
        err.contains("the next `tributary digest daily --send` sends it first"),
        "{err}"
    );

    // With the relay up, the next plain send delivers it, though no story is new; to the
    // recipients the config names by then, in its envelope and its To header alike (the list
    // put behind bcc meanwhile: its address is not shown).
    let text = std::fs::read_to_string(&s.config).unwrap();
    let mended = text
        .replace(&relay(closed_port), &relay(sink.port))
        .replace(
            "to = [\"partners@lists.example.org\"]",
            "to = [\"list@lists.example.org\"]\nbcc = true",
        );
    assert!(mended.contains("bcc = true"));
    std::fs::write(&s.config, mended).unwrap();
    let retried = send(&s, &[]);
    let said = String::from_utf8_lossy(&retried.stdout);
    assert!(
        retried.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&retried.stderr)
    );
    assert!(said.contains("(it had not gone out)"), "{said}");
    assert!(said.contains("nothing to send"), "{said}");
    let received = files(mail_dir.path(), "eml");
    assert_eq!(received.len(), 1);
    let msg = parse_eml(&received[0]);
    assert!(
        msg["headers"]["Subject"]
            .as_str()
            .unwrap()
            .contains(&stored.to_string()),
        "{msg}"
    );
    assert_eq!(msg["headers"]["To"], "undisclosed-recipients:;", "{msg}");
    let raw = std::fs::read_to_string(&received[0]).unwrap();
    assert!(!raw.contains("partners@lists.example.org"), "{raw}");
    let envelope = std::fs::read_to_string(received[0].with_extension("rcpt")).unwrap();
    assert_eq!(envelope, "list@lists.example.org");

    // Sent once: a third run sends nothing again.
    let third = send(&s, &[]);
    assert!(third.status.success());
    assert_eq!(files(mail_dir.path(), "eml").len(), 1);
}

#[test]
fn the_daemon_sends_at_start_a_digest_whose_sending_failed() {
    if !python_with("aiosmtpd") {
        return;
    }
    let mail_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(mail_dir.path());
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    // The relay is a port nothing listens on, held for the test: the first send fails.
    let (_held, closed_port) = common::refusing_port();
    let config = |port: u16| {
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[mail]\noutbox = \"outbox\"\n\
             [mail.smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\
             [[digests]]\nname = \"daily\"\ntitle = \"Daily\"\ncron = \"0 7 * * *\"\nsend = true\n\
             from = \"digest@digests.example.org\"\nto = [\"partners@lists.example.org\"]\n"
        )
    };
    let s = setup(
        &[src("bfpe", server.url("serbian-1250.xml"))],
        &config(closed_port),
    );
    s.fetch(&[]);
    // The outbox cannot be written either (a file stands where its folder would be): the
    // two ways out fail apart, and one failing does not hold back the other.
    let outbox = s.dir.path().join("outbox");
    std::fs::write(&outbox, "not a folder").unwrap();
    let failed = send(&s, &[]);
    let said = String::from_utf8_lossy(&failed.stderr);
    // The disk error is the command's (exit 1), and the send was tried all the same.
    assert_eq!(failed.status.code(), Some(1), "{said}");
    assert!(said.contains("sending digest daily failed"), "{said}");
    assert!(files(mail_dir.path(), "eml").is_empty());

    // The relay is back; the daemon, whose schedule has nothing due, delivers the kept digest
    // when it starts.
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        text.replace(&config(closed_port), &config(sink.port)),
    )
    .unwrap();
    let log = s.dir.path().join("daemon.log");
    let mut daemon = s
        .std_cmd()
        .arg("run")
        .env("RUST_LOG", "tributary=info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let received = loop {
        let received = files(mail_dir.path(), "eml");
        if !received.is_empty() || std::time::Instant::now() > deadline {
            break received;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let _ = daemon.kill();
    let _ = daemon.wait();
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(received.len(), 1, "{logged}");
    assert!(
        logged.contains("writing the digest to the outbox failed"),
        "{logged}"
    );
    std::fs::remove_file(&outbox).unwrap();
    let msg = parse_eml(&received[0]);
    assert!(
        msg["headers"]["Subject"]
            .as_str()
            .unwrap()
            .contains("Daily"),
        "{msg}"
    );
    // Sent once: the CLI finds nothing left to send.
    let again = send(&s, &[]);
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success(), "{said}");
    assert!(!said.contains("had not gone out"), "{said}");
    assert_eq!(files(mail_dir.path(), "eml").len(), 1);
}

#[test]
fn a_new_sources_back_catalogue_is_not_news_to_a_digest_with_max_age() {
    let server = FeedServer::start();
    let recent = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc2822();
    server.feed(
        "partner.xml",
        format!(
            r#"<rss version="2.0"><channel><title>Partner</title><link>https://partner.example/</link>
        <item><title>Caucus members meet the new mayors this week</title><link>https://partner.example/news/1</link><pubDate>{recent}</pubDate></item>
        <item><title>Annual report on the dialogue, from the archive</title><link>https://partner.example/news/2</link><pubDate>Mon, 14 Mar 2016 10:00:00 +0100</pubDate></item>
        <item><title>A story the feed gives no date at all</title><link>https://partner.example/news/3</link></item>
        </channel></rss>"#
        ),
        "application/rss+xml",
    );
    let s = setup(
        &[src("partner", server.url("partner.xml"))],
        "[mail]\noutbox = \"outbox\"\n\n[[digests]]\nname = \"daily\"\ntitle = \"Daily\"\ncron = \"0 7 * * *\"\nfrom = \"d@example.org\"\nto = [\"list@example.org\"]\nmax_age = \"14d\"\n",
    );
    s.fetch(&[]);
    assert_eq!(s.items().len(), 3, "all three are stored and served");
    let out = s.dir.path().join("out");
    let run = s
        .cmd()
        .args(["digest", "daily", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{said}");
    assert!(said.contains("digest daily: 2 stories"), "{said}");
    // What was left out, and why, is said.
    assert!(
        said.contains("; 1 more published over max_age (14days) before its end left out"),
        "{said}"
    );
    let text = std::fs::read_to_string(&files(&out, "txt")[0]).unwrap();
    assert!(
        text.contains("Caucus members meet the new mayors"),
        "{text}"
    );
    // Undated: first seen now is all there is to go by.
    assert!(
        text.contains("A story the feed gives no date at all"),
        "{text}"
    );
    assert!(!text.contains("from the archive"), "{text}");

    // A period of old stories alone says so, not that nothing arrived.
    server.feed(
        "partner.xml",
        r#"<rss version="2.0"><channel><title>Partner</title><link>https://partner.example/</link>
        <item><title>Another report from the archive</title><link>https://partner.example/news/4</link><pubDate>Tue, 15 Mar 2016 10:00:00 +0100</pubDate></item>
        </channel></rss>"#,
        "application/rss+xml",
    );
    s.fetch(&[]);
    let run = s.cmd().args(["digest", "daily"]).output().unwrap();
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{said}");
    assert!(said.contains("digest daily: 0 stories"), "{said}");
    assert!(
        said.contains(
            "nothing to send: the stories first seen in the period were all published over max_age"
        ),
        "{said}"
    );

    // A period cannot end in the future.
    let ahead = s
        .cmd()
        .args(["digest", "daily", "--at", "2999-01-01 07:00"])
        .output()
        .unwrap();
    assert_eq!(ahead.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&ahead.stderr).contains("is in the future"));
}

#[test]
fn a_preview_uses_up_no_period_and_a_digest_by_hand_is_named_to_the_millisecond() {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let extra = r#"[mail]
outbox = "outbox"

[[digests]]
name = "daily"
title = "Daily"
cron = "0 7 * * *"
time_zone = "Europe/Belgrade"
from = "digest@example.org"
to = ["list@example.org"]
"#;
    let s = setup(
        &[
            src("bfpe", server.url("serbian-1250.xml")),
            src("atom", server.url("partner-atom.xml")),
        ],
        extra,
    );
    s.fetch(&[]);
    let digest = |args: &[&str]| {
        let run = s
            .cmd()
            .args(["digest", "daily"])
            .args(args)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&run.stdout).into_owned();
        assert!(
            run.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&run.stderr)
        );
        said
    };
    let outbox = s.dir.path().join("outbox/daily/new");
    let written = || std::fs::read_dir(&outbox).map_or(0, |d| d.count());

    // A preview shows the digest and its text, and stores nothing: shown twice, it is the same.
    let preview = digest(&["--preview"]);
    assert!(
        preview.contains("preview of digest daily (not stored): 8 stories"),
        "{preview}"
    );
    assert!(preview.contains("\nSubject: Daily"), "{preview}");
    assert!(preview.lines().count() > 10, "the text part: {preview}");
    assert_eq!(
        digest(&["--preview"]).lines().next(),
        preview.lines().next()
    );
    assert_eq!(written(), 0);
    // Its files are told from a digest that goes out: a pipeline watching the folder must not
    // mail them (the real digest would repeat the stories under another Message-ID).
    let out = s.dir.path().join("previews");
    digest(&["--preview", "--out", out.to_str().unwrap()]);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(
        names.iter().all(|n| n.starts_with("preview-daily-")),
        "{names:?}"
    );
    let eml_name = names.iter().find(|n| n.ends_with(".eml")).unwrap();
    let eml = std::fs::read_to_string(out.join(eml_name)).unwrap();
    assert!(eml.starts_with("X-Tributary-Preview: "), "{eml}");
    let json_name = names.iter().find(|n| n.ends_with(".json")).unwrap();
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(json_name)).unwrap()).unwrap();
    assert_eq!(data["preview"], true, "{data}");
    // The data names its message and version, and each story's sources and topics by id.
    assert_eq!(data["version"], 1, "{data}");
    assert!(
        data["subject"].as_str().unwrap().starts_with("Daily"),
        "{data}"
    );
    let message_id = data["message_id"].as_str().unwrap();
    assert!(
        eml.contains(&format!("Message-ID: {message_id}")),
        "{message_id}"
    );
    let entries: Vec<&serde_json::Value> = data["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["entries"].as_array().unwrap())
        .collect();
    assert_eq!(entries.len(), 8);
    for e in &entries {
        let id = e["source_ids"][0].as_str().unwrap();
        assert!(["atom", "bfpe"].contains(&id), "{e}");
        assert_eq!(e["sources"][0], format!("Source {id}"), "{e}");
    }
    assert!(entries.iter().all(|e| e["topics"].is_array()), "{data}");
    assert_eq!(written(), 0);

    // A digest ending at a time given by hand is named to the millisecond (two built within
    // one second do not share a file); asked for again, it is the same digest.
    let at = chrono::Utc::now() - chrono::Duration::milliseconds(1);
    let at_text = at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let millis = at.timestamp_subsec_millis();
    let name = match millis {
        0 => at.format("%Y%m%dT%H%M%SZ.daily.tributary").to_string(),
        ms => format!("{}.{ms:03}Z.daily.tributary", at.format("%Y%m%dT%H%M%S")),
    };
    let first = digest(&["--at", &at_text]);
    assert!(first.contains("digest daily: 8 stories"), "{first}");
    assert!(first.contains(&name), "{first} {name}");
    let again = digest(&["--at", &at_text]);
    assert!(again.contains("written before"), "{again}");
    assert_eq!(written(), 1);

    // The preview's stories went into that digest: the next has none.
    let next = digest(&["--preview"]);
    assert!(next.contains("(not stored): 0 stories"), "{next}");
    // An empty period built by hand (neither written nor sent) previewed again: its files
    // are a preview's too, never a digest's that goes out.
    let quiet = chrono::Utc::now() - chrono::Duration::milliseconds(1);
    let quiet_text = quiet.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let built = digest(&["--at", &quiet_text]);
    assert!(built.contains("nothing to send"), "{built}");
    let again_out = s.dir.path().join("previews-again");
    let again = digest(&[
        "--preview",
        "--at",
        &quiet_text,
        "--out",
        again_out.to_str().unwrap(),
    ]);
    assert!(again.contains("neither written nor sent"), "{again}");
    let names: Vec<String> = std::fs::read_dir(&again_out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(
        names.iter().all(|n| n.starts_with("preview-daily-")),
        "{names:?}"
    );
    assert_eq!(written(), 1);
}

/// A store with the fixture feed fetched, and a daily digest to send through the relay on
/// `port` (with `[mail.smtp] timeout` when given). The feed server must outlive the test.
fn fetched_with_relay(port: u16, timeout: Option<&str>) -> (FeedServer, common::Setup) {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let timeout = timeout.map_or(String::new(), |t| format!("timeout = \"{t}\"\n"));
    let s = setup(
        &[src("bfpe", server.url("serbian-1250.xml"))],
        &format!(
            "[mail]\noutbox = \"outbox\"\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n{timeout}\
             [[digests]]\nname = \"daily\"\ntitle = \"Daily\"\ncron = \"0 7 * * *\"\nsend = true\n\
             from = \"digest@digests.example.org\"\nto = [\"partners@lists.example.org\"]\n"
        ),
    );
    s.fetch(&[]);
    (server, s)
}

/// `tributary digest daily --send` with `extra` arguments.
fn send(s: &common::Setup, extra: &[&str]) -> std::process::Output {
    s.cmd()
        .args(["digest", "daily", "--send"])
        .args(extra)
        .output()
        .unwrap()
}

/// The end a failed send's message names for sending it again (`--send --at END`).
fn resend_end(err: &str) -> String {
    err.split("--send --at ")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("{err}"))
        .to_string()
}

/// What a test relay does once it has taken a whole message.
#[derive(Clone, Copy)]
enum AfterMessage {
    /// Drops the connection instead of answering: whether the message went out is unknown.
    Drops,
    /// Says nothing more, and keeps the connection open.
    Stalls,
    /// Answers with this reply (and then takes the next command as usual).
    Answers(&'static str),
}

/// A relay that takes connections and never greets them; counts the connections, and says on
/// the channel each time it takes one.
fn relay_that_never_greets() -> (
    u16,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    std::sync::mpsc::Receiver<()>,
) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = connections.clone();
    let (told, told_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(stream);
            let _ = told.send(());
        }
    });
    (port, connections, told_rx)
}

/// A relay that goes quiet before the message (no greeting) certainly has not taken it: the
/// send is tried again, each attempt ending at `[mail.smtp] timeout`, and the digest stays one
/// to send by itself.
#[test]
fn a_relay_that_never_greets_is_tried_again() {
    let (port, connections, _) = relay_that_never_greets();
    let (_server, s) = fetched_with_relay(port, Some("1s"));
    let run = send(&s, &[]);
    assert_eq!(run.status.code(), Some(3));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("did not let the message be sent within 2s"),
        "{err}"
    );
    assert!(!err.contains("may have taken"), "{err}");
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "three attempts"
    );
}

/// A relay that takes a whole message and then does `after`. Counts the messages it was
/// given, and says on the channel each time it has one.
fn relay_that(
    after: AfterMessage,
) -> (
    u16,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    std::sync::mpsc::Receiver<()>,
) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = taken.clone();
    let (told, told_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut stalled = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut out) = stream else { return };
            let mut lines = BufReader::new(out.try_clone().unwrap());
            let _ = out.write_all(b"220 relay.test ESMTP\r\n");
            let mut line = String::new();
            let mut in_data = false;
            while lines.read_line(&mut line).unwrap_or(0) > 0 {
                if in_data {
                    if line == ".\r\n" {
                        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let _ = told.send(());
                        let AfterMessage::Answers(reply) = after else {
                            break; // no reply
                        };
                        let _ = out.write_all(format!("{reply}\r\n").as_bytes());
                        in_data = false;
                    }
                } else {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 relay.test\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => b"221 bye\r\n",
                        // A mailbox that no longer exists, named so in the tests.
                        "RCPT" if line.contains("closed@") => b"550 5.1.1 no such mailbox\r\n",
                        "RCPT" if line.contains("later@") => {
                            b"451 4.7.1 greylisted, try again later\r\n"
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = out.write_all(reply);
                }
                line.clear();
            }
            if let AfterMessage::Stalls = after {
                stalled.push(out);
            }
        }
    });
    (port, taken, told_rx)
}

/// A relay that goes quiet after the message: the attempt ends at `[mail.smtp] timeout`
/// (lettre's own bounds only the connection), and the digest is one the relay may have taken.
#[test]
fn a_relay_that_goes_quiet_is_given_up_on_after_the_timeout() {
    let (port, taken, _) = relay_that(AfterMessage::Stalls);
    let (_server, s) = fetched_with_relay(port, Some("1s"));
    let run = send(&s, &[]);
    assert_eq!(run.status.code(), Some(3));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("did not finish the delivery within 1s"),
        "{err}"
    );
    assert!(err.contains("may have taken the message"), "{err}");
    assert_eq!(
        taken.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "tried once"
    );
}

/// A relay that refuses the message for good (a 5xx reply to it) certainly did not take it
/// and would refuse it again: one attempt, and the failure says why, without "may have taken";
/// a routine send after it does not repeat the refusal to the relay, a send naming it does.
#[test]
fn a_message_the_relay_refuses_is_not_tried_again() {
    let (port, taken, _) = relay_that(AfterMessage::Answers("554 5.7.1 message refused"));
    let (_server, s) = fetched_with_relay(port, None);
    let run = send(&s, &[]);
    assert_eq!(run.status.code(), Some(3));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("message refused"), "{err}");
    assert!(err.contains("refused it for good"), "{err}");
    assert!(!err.contains("may have taken"), "{err}");
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
    let routine = send(&s, &[]);
    let said = String::from_utf8_lossy(&routine.stderr);
    assert_eq!(routine.status.code(), Some(3), "{said}");
    assert!(said.contains("not sent again: the relay refused"), "{said}");
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
    let end = resend_end(&err);
    let named = s
        .cmd()
        .args(["digest", "daily", "--send", "--at", &end])
        .output()
        .unwrap();
    assert_eq!(named.status.code(), Some(3));
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 2);
}

/// Files asked for with `--out` that cannot be written do not keep the digest from being
/// sent; the command ends as the disk error it is.
#[test]
fn files_that_cannot_be_written_do_not_hold_back_the_send() {
    let (port, taken, _) = relay_that(AfterMessage::Answers("250 2.0.0 queued"));
    let (_server, s) = fetched_with_relay(port, None);
    let blocked = s.dir.path().join("not-a-folder");
    std::fs::write(&blocked, "a file").unwrap();
    let run = s
        .cmd()
        .args(["digest", "daily", "--send", "--out"])
        .arg(&blocked)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot write"), "{err}");
    assert!(!err.contains("outbox"), "{err}");
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// A digest the daemon sends, built by hand without `--send`, is not sent by the daemon: the
/// command says so, and how to send it; that command sends it.
#[test]
fn a_digest_to_send_built_by_hand_says_how_to_send_it() {
    let (port, taken, _) = relay_that(AfterMessage::Answers("250 2.0.0 queued"));
    let (_server, s) = fetched_with_relay(port, None);
    let run = s.cmd().args(["digest", "daily"]).output().unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(
        err.contains("note: digest daily has send = true, but this run does not send it"),
        "{err}"
    );
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 0);
    let end = resend_end(&err);
    let sent = send(&s, &["--at", &end]);
    let out = String::from_utf8_lossy(&sent.stdout);
    assert!(sent.status.success(), "{out}");
    assert!(out.contains("sent to partners@lists.example.org"), "{out}");
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
    // With --send, no note.
    let again = send(&s, &[]);
    assert!(!String::from_utf8_lossy(&again.stderr).contains("note:"));
}

/// A digest built by hand for a time of its schedule is the daemon's to send: no note says
/// otherwise.
#[test]
fn a_digest_built_by_hand_for_a_scheduled_time_is_left_to_the_daemon() {
    let (port, _, _) = relay_that(AfterMessage::Answers("250 2.0.0 queued"));
    let (_server, s) = fetched_with_relay(port, None);
    // Empty digests are sent too (the stories were fetched after the time asked for).
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        text.replace("send = true\n", "send = true\nsend_empty = true\n"),
    )
    .unwrap();
    // The schedule is 07:00 UTC every day: its latest time.
    let now = chrono::Utc::now();
    let today = now.date_naive().and_hms_opt(7, 0, 0).unwrap().and_utc();
    let tick = if now >= today {
        today
    } else {
        today - chrono::Duration::days(1)
    };
    let at = tick.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let run = s
        .cmd()
        .args(["digest", "daily", "--at", &at])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(!err.contains("note:"), "{err}");
}

/// Without `--send`, files that cannot be written are the command's failure: said once, with
/// the system's reason.
#[test]
fn files_that_cannot_be_written_are_said_once() {
    let (port, _, _) = relay_that(AfterMessage::Answers("250 2.0.0 queued"));
    let (_server, s) = fetched_with_relay(port, None);
    let blocked = s.dir.path().join("not-a-folder");
    std::fs::write(&blocked, "a file").unwrap();
    let run = s
        .cmd()
        .args(["digest", "daily", "--out"])
        .arg(&blocked)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    let out = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{out}{err}");
    assert!(err.contains("cannot write"), "{err}");
    assert_eq!(err.matches("(os error").count(), 1, "{err}");
}

/// A recipient the relay refuses does not keep the digest from the others (RFC 5321, 3.3):
/// it goes to those accepted, and the refused ones are said.
#[test]
fn a_refused_recipient_does_not_stop_the_others() {
    let (port, taken, _) = relay_that(AfterMessage::Answers("250 2.0.0 queued"));
    let (_server, s) = fetched_with_relay(port, None);
    let text = std::fs::read_to_string(&s.config).unwrap();
    let two = text.replace(
        "to = [\"partners@lists.example.org\"]",
        "to = [\"closed@lists.example.org\", \"partners@lists.example.org\"]",
    );
    assert_ne!(two, text);
    std::fs::write(&s.config, two).unwrap();
    let run = send(&s, &[]);
    let err = String::from_utf8_lossy(&run.stderr);
    let out = String::from_utf8_lossy(&run.stdout);
    // Sent, to some: a partial failure, and the output names who has it and who does not.
    assert_eq!(run.status.code(), Some(3), "{out}{err}");
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(
        out.contains("sent to partners@lists.example.org\n"),
        "{out}"
    );
    assert!(!out.contains("closed@"), "{out}");
    assert!(
        err.contains("the relay refused the recipient closed@lists.example.org: "),
        "{err}"
    );
    assert!(err.contains("no such mailbox"), "{err}");
    // It is sent: the next send does not send it again.
    let again = send(&s, &[]);
    assert!(again.status.success());
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// A relay that defers the message (a 4xx reply to it) certainly did not take it: the same
/// send tries again, three attempts in all, and the digest stays one to send by itself.
#[test]
fn a_message_the_relay_defers_is_tried_again() {
    let (port, taken, _) = relay_that(AfterMessage::Answers("451 4.3.0 try again later"));
    let (_server, s) = fetched_with_relay(port, None);
    let run = send(&s, &[]);
    assert_eq!(run.status.code(), Some(3));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("try again later"), "{err}");
    assert!(!err.contains("may have taken"), "{err}");
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 3);
}

/// A recipient the relay defers (greylisting, too many at once) keeps the message from all:
/// nobody has it yet, so the attempt is made again whole, and the digest is not marked sent
/// with that recipient left out.
#[test]
fn a_deferred_recipient_defers_the_whole_message() {
    let (port, taken, _) = relay_that(AfterMessage::Answers("250 2.0.0 queued"));
    let (_server, s) = fetched_with_relay(port, Some("1s"));
    let text = std::fs::read_to_string(&s.config).unwrap();
    let two = text.replace(
        "to = [\"partners@lists.example.org\"]",
        "to = [\"partners@lists.example.org\", \"later@lists.example.org\"]",
    );
    assert_ne!(two, text);
    std::fs::write(&s.config, two).unwrap();
    let run = send(&s, &[]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{err}");
    assert!(err.contains("greylisted"), "{err}");
    assert!(
        err.contains("the next `tributary digest daily --send` sends it first"),
        "{err}"
    );
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// A relay that refuses the session itself (a 5xx greeting; a login it refuses is the same)
/// has not refused this message: the digest stays one to send, and the next send tries again
/// once the setup is mended.
#[test]
fn a_relay_refusing_the_session_is_tried_again_at_the_next_send() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut out) = stream else { return };
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = out.write_all(b"554 5.3.2 not accepting mail from this host\r\n");
        }
    });
    let (_server, s) = fetched_with_relay(port, Some("1s"));
    let run = send(&s, &[]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{err}");
    assert!(err.contains("not accepting mail"), "{err}");
    assert!(!err.contains("for good"), "{err}");
    let tried = connections.load(std::sync::atomic::Ordering::SeqCst);
    let again = send(&s, &[]);
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(!said.contains("not sent again"), "{said}");
    assert!(
        connections.load(std::sync::atomic::Ordering::SeqCst) > tried,
        "{said}"
    );
}

/// A send cut short by the process ending (a restart during it, a crash) leaves the digest
/// marked as one the relay may have taken: the next send does not repeat it by itself.
#[test]
fn a_send_the_process_did_not_live_to_finish_is_not_repeated_by_itself() {
    let (port, taken, told) = relay_that(AfterMessage::Stalls);
    let (_server, s) = fetched_with_relay(port, Some("20s"));
    let mut sending = s
        .std_cmd()
        .args(["digest", "daily", "--send"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The relay has the whole message and waits; the sender is killed before any answer.
    told.recv().unwrap();
    sending.kill().unwrap();
    sending.wait().unwrap();
    let routine = send(&s, &[]);
    let said = String::from_utf8_lossy(&routine.stderr);
    assert_eq!(routine.status.code(), Some(3), "{said}");
    assert!(said.contains("not sent again"), "{said}");
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// A send that fails once the relay may have taken the message is not tried again, by the
/// same run or by the daemon: the list would get it twice. Asked for by hand, it is.
#[test]
fn a_digest_the_relay_may_have_taken_is_not_sent_again_by_itself() {
    let (port, taken, _) = relay_that(AfterMessage::Drops);
    let (_server, s) = fetched_with_relay(port, None);
    let first = send(&s, &[]);
    assert_eq!(first.status.code(), Some(3));
    let err = String::from_utf8_lossy(&first.stderr);
    assert!(
        err.contains("the relay may have taken the message"),
        "{err}"
    );
    assert!(
        err.contains("tributary digest daily --send --at 20"),
        "{err}"
    );
    assert_eq!(
        taken.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "tried again"
    );
    let listed = s
        .cmd()
        .args(["digest", "daily", "--preview"])
        .output()
        .unwrap();
    assert!(listed.status.success());
    // A routine send (a timer's `digest --send`) does not send it again either, and says so.
    let routine = send(&s, &[]);
    assert_eq!(routine.status.code(), Some(3));
    let said = String::from_utf8_lossy(&routine.stderr);
    assert!(said.contains("not sent again"), "{said}");
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Named by its end, it goes again (and fails again here).
    let end = resend_end(&err);
    let again = s
        .cmd()
        .args(["digest", "daily", "--send", "--at", &end])
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 2);
}

/// `digest NAME --send` without a relay is refused before anything is built: the period's
/// stories are still there for the next digest.
#[test]
fn a_send_without_a_relay_is_refused_before_the_period_is_used_up() {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let s = setup(
        &[src("atom", server.url("partner-atom.xml"))],
        "[mail]\noutbox = \"outbox\"\n\n[[digests]]\nname = \"daily\"\ntitle = \"Daily\"\ncron = \"0 7 * * *\"\nfrom = \"d@example.org\"\nto = [\"list@example.org\"]\n",
    );
    s.fetch(&[]);
    let run = s
        .cmd()
        .args(["digest", "daily", "--send"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("no [mail.smtp] relay"), "{err}");
    assert!(!s.dir.path().join("outbox/daily/new").exists());
    let preview = s
        .cmd()
        .args(["digest", "daily", "--preview"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&preview.stdout);
    assert!(said.contains("(not stored): 4 stories"), "{said}");
}

/// A store holding a digest for the daemon to send as it starts, through the relay at `port`
/// (whose limits are far longer than the test), and that daemon, logging JSON to a file. The
/// digest is built by hand for the latest time of its yearly schedule, which leaves it to the
/// daemon; it is empty (there are no sources) and sent anyway (`send_empty`).
fn daemon_sending_through(port: u16) -> (common::Setup, Child, std::path::PathBuf) {
    use chrono::Datelike;
    let s = setup(
        &[],
        &format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[mail]\noutbox = \"outbox\"\n\
             [mail.smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\ntimeout = \"10m\"\n\
             [[digests]]\nname = \"annual\"\ntitle = \"Annual\"\ncron = \"0 7 1 1 *\"\n\
             send = true\nsend_empty = true\n\
             from = \"digest@digests.example.org\"\nto = [\"partners@lists.example.org\"]\n"
        ),
    );
    // The store, made by a pass over no sources.
    assert_eq!(s.fetch(&[]).0, 0);
    let now = chrono::Utc::now();
    let at = |year: i32| {
        chrono::NaiveDate::from_ymd_opt(year, 1, 1)
            .unwrap()
            .and_hms_opt(7, 0, 0)
            .unwrap()
            .and_utc()
    };
    let tick = if now >= at(now.year()) {
        at(now.year())
    } else {
        at(now.year() - 1)
    };
    let built = s
        .cmd()
        .args(["digest", "annual", "--at", &tick.to_rfc3339()])
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let log = s.dir.path().join("daemon.log");
    let daemon = s
        .std_cmd()
        .args(["--log-format", "json", "run"])
        .env("RUST_LOG", "tributary=info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    (s, daemon, log)
}

/// SIGTERM to `child`, and its exit status once it is gone.
fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    child.wait().unwrap()
}

/// The stored digest named `name`, as `tributary export` writes it.
fn exported_digest(s: &common::Setup, name: &str) -> Value {
    s.json_lines(&["export"])
        .into_iter()
        .find(|v| v["kind"] == "digest" && v["name"] == name)
        .unwrap_or_else(|| panic!("no digest {name} exported"))
}

/// A stop while the daemon waits for a relay that never greets ends the send at once: the
/// relay cannot have the message, so the digest is a plain failure that the next send tries
/// again, and the error says what happened. No panic, no wait for fetches that do not run.
#[test]
fn a_stop_during_a_send_before_the_message_went_ends_it_and_keeps_the_digest_to_send() {
    let (port, connections, connected) = relay_that_never_greets();
    let (s, mut daemon, log) = daemon_sending_through(port);
    let reached = connected.recv_timeout(std::time::Duration::from_secs(60));
    let status = terminate(&mut daemon);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        reached.is_ok(),
        "the daemon never tried the relay: {logged}"
    );
    assert_eq!(status.code(), Some(0), "{logged}");
    assert!(!logged.contains("panicked"), "{logged}");
    assert!(!logged.contains("still running after"), "{logged}");
    assert!(
        logged.contains("waiting for the send of digest annual"),
        "{logged}"
    );
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
    let digest = exported_digest(&s, "annual");
    assert!(digest["sent_at"].is_null(), "{digest}");
    assert!(digest["send_uncertain"].is_null(), "{digest}");
    assert!(digest["send_refused"].is_null(), "{digest}");
    assert_eq!(digest["deliver"], true, "{digest}");
    let error = digest["send_error"].as_str().unwrap_or_default();
    assert!(error.contains("tributary stopped"), "{digest}");
    assert!(
        error.contains("before the relay had the message"),
        "{digest}"
    );
    assert!(!error.to_lowercase().contains("tokio"), "{digest}");
}

/// A stop once the relay has the whole message waits a moment for its answer, then gives up
/// on it: the relay may have taken the message, and the digest says so, as config/README
/// documents for a send stopped during it.
#[test]
fn a_stop_once_the_message_went_leaves_a_digest_the_relay_may_have_taken() {
    let (port, taken, told) = relay_that(AfterMessage::Stalls);
    let (s, mut daemon, log) = daemon_sending_through(port);
    let reached = told.recv_timeout(std::time::Duration::from_secs(60));
    let status = terminate(&mut daemon);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(reached.is_ok(), "the relay never got the message: {logged}");
    assert_eq!(status.code(), Some(0), "{logged}");
    assert!(!logged.contains("panicked"), "{logged}");
    assert!(!logged.contains("still running after"), "{logged}");
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
    let digest = exported_digest(&s, "annual");
    assert!(digest["sent_at"].is_null(), "{digest}");
    assert_eq!(digest["send_uncertain"], true, "{digest}");
    let error = digest["send_error"].as_str().unwrap_or_default();
    assert!(error.contains("tributary stopped"), "{digest}");
    assert!(error.contains("may have taken the message"), "{digest}");
    assert!(!error.to_lowercase().contains("tokio"), "{digest}");
    // Not tried again by itself, and the log does not announce that it is.
    assert!(
        logged.contains("it is not sent again by itself"),
        "{logged}"
    );
    assert!(!logged.contains("retrying in a minute"), "{logged}");
}
