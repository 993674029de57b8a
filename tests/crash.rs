//! `kill -9` during a large fetch loses nothing that was reported stored and never leaves a
//! half-applied feed; a restart completes the work.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{setup, src, FeedServer};

const FEEDS: usize = 120;
const ITEMS: usize = 60;

fn feed(n: usize) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Feed {n}</title><link>https://f{n}.example/</link>"
    );
    for i in 0..ITEMS {
        s.push_str(&format!(
            "<item><title>Feed {n} story {i}: municipal assembly and the dialogue</title>\
             <link>https://f{n}.example/news/{i}/</link><guid>f{n}-{i}</guid>\
             <pubDate>Tue, 25 Feb 2020 {:02}:{:02}:00 GMT</pubDate>\
             <description>&lt;p&gt;Paragraph one of story {i} with &lt;a href=\"/x/{i}\"&gt;a link&lt;/a&gt;.&lt;/p&gt;&lt;p&gt;{}&lt;/p&gt;</description></item>",
            i % 24,
            i % 60,
            "Lorem ipsum dolor sit amet. ".repeat(20)
        ));
    }
    s.push_str("</channel></rss>");
    s
}

fn counts(s: &common::Setup) -> HashMap<String, usize> {
    let mut by_source = HashMap::new();
    for item in s.items() {
        *by_source
            .entry(item["source"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    by_source
}

#[test]
fn kill_9_during_fetch_loses_nothing_and_leaves_no_partial_feed() {
    let server = FeedServer::start();
    let ids: Vec<String> = (0..FEEDS).map(|n| format!("f{n}")).collect();
    for n in 0..FEEDS {
        server.feed(&format!("f{n}.xml"), feed(n), "application/rss+xml");
    }
    let sources: Vec<common::Src> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| src(id, server.url(&format!("f{n}.xml"))))
        .collect();
    let s = setup(&sources, "[fetch]\nconcurrency = 4\n");

    let mut reported: Vec<String> = Vec::new();
    for kill_after in [3usize, 25, 60] {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("tributary"))
            .arg("--config")
            .arg(&s.config)
            .args(["fetch", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut stored_now = 0;
        for line in lines.by_ref() {
            let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            if v["status"] == "ok" && v["new"].as_u64().unwrap() > 0 {
                reported.push(v["source"].as_str().unwrap().to_string());
                stored_now += 1;
                if stored_now == kill_after {
                    break;
                }
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let stored = counts(&s);
        for id in &reported {
            assert_eq!(
                stored.get(id),
                Some(&ITEMS),
                "{id} was reported stored but is not complete"
            );
        }
        for (id, n) in &stored {
            assert_eq!(*n, ITEMS, "{id} is half-applied: {n} of {ITEMS} items");
        }
    }

    // A restart finishes the job.
    let (code, _) = s.fetch(&[]);
    assert_eq!(code, 0);
    let stored = counts(&s);
    assert_eq!(stored.len(), FEEDS);
    assert!(stored.values().all(|n| *n == ITEMS));
}
