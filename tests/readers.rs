//! Our republished feeds read by real readers: Python feedparser (`bozo` false, every item
//! present) and newsboat. Both are installed by `.ci/run`; elsewhere a missing reader is
//! skipped with a notice unless TRIBUTARY_REQUIRE_READERS=1 makes it an error.

mod common;

use std::path::Path;
use std::process::Command;

use common::{fixtures, setup, src, FeedServer};

/// Stores the partner fixtures and renders every merged and per-topic feed to files.
fn rendered_feeds(dir: &Path) -> Vec<(std::path::PathBuf, usize)> {
    let server = FeedServer::start();
    server.serve_dir(&fixtures("ingest"));
    let names = [
        "partner-rss2.xml",
        "partner-atom.xml",
        "serbian-1250.xml",
        "rss1.rdf",
        "republisher.xml",
        "odd-dates.xml",
    ];
    let sources: Vec<common::Src> = names
        .iter()
        .map(|f| src(f.split('.').next().unwrap(), server.url(f)))
        .collect();
    let s = setup(&sources, "[classify]\nrules = \"topics.toml\"\n");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/topics.toml"),
        s.dir.path().join("topics.toml"),
    )
    .unwrap();
    s.fetch(&[]);
    let items = s.items();
    let mut out = Vec::new();
    let scopes: Vec<(Vec<&str>, usize)> = vec![
        (vec![], items.len()),
        (
            vec!["--topic", "dialogue"],
            items
                .iter()
                .filter(|i| {
                    i["topics"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|t| t == "dialogue")
                })
                .count(),
        ),
        (
            vec!["--source", "republisher"],
            items
                .iter()
                .filter(|i| {
                    i["sources"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|t| t == "republisher")
                })
                .count(),
        ),
    ];
    for (args, count) in scopes {
        for format in ["rss", "atom"] {
            let output = s
                .cmd()
                .args(["render", "--format", format])
                .args(&args)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let file = dir.join(format!("feed-{}-{format}.xml", args.join("-")));
            std::fs::write(&file, output.stdout).unwrap();
            out.push((file, count));
        }
    }
    out
}

#[test]
fn python_feedparser_reads_every_feed_cleanly() {
    if !common::tool_available("python3", &["-c", "import feedparser"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readers/check_feed.py");
    for (file, count) in rendered_feeds(dir.path()) {
        assert!(count > 0);
        let out = Command::new("python3")
            .arg(&script)
            .arg(&file)
            .arg(count.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.starts_with("rss20") || said.starts_with("atom10"),
            "{said}"
        );
    }
}

#[test]
fn newsboat_reads_every_feed() {
    if !common::tool_available("newsboat", &["-v"])
        || !common::tool_available("sqlite3", &["-version"])
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let feeds = rendered_feeds(dir.path());
    std::fs::write(dir.path().join("config"), "auto-reload no\n").unwrap();
    // One cache per feed: newsboat keeps an item once per GUID across all its feeds.
    for (i, (file, count)) in feeds.iter().enumerate() {
        let urls = dir.path().join(format!("urls-{i}"));
        std::fs::write(&urls, format!("\"exec:cat {}\"\n", file.display())).unwrap();
        let cache = dir.path().join(format!("cache-{i}.db"));
        let out = Command::new("newsboat")
            .env("HOME", dir.path())
            .arg("-q")
            .arg("-C")
            .arg(dir.path().join("config"))
            .arg("-u")
            .arg(&urls)
            .arg("-c")
            .arg(&cache)
            .args(["-x", "reload", "print-unread"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            said.trim(),
            format!("{count} unread articles"),
            "{}",
            file.display()
        );
        let got = Command::new("sqlite3")
            .arg(&cache)
            .arg("select count(*) from rss_item where title <> '' and url <> ''")
            .output()
            .unwrap();
        let n: usize = String::from_utf8_lossy(&got.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        assert_eq!(
            n,
            *count,
            "newsboat read {n} titled, linked items of {}",
            file.display()
        );
    }
}
