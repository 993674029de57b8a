//! Helper for `benches/load.sh`: writes the generated corpus and a config that points at it,
//! and times a daemon's start-up. Not a criterion benchmark; run through the script.
//!
//!   cargo bench --bench load -- gen DIR FEEDS URL_PREFIX [SEED]
//!   cargo bench --bench load -- startup ADDR -- BIN ARGS...
//!   cargo bench --bench load -- ceiling DIR

mod corpus;

/// The binary's allocator, so the ceiling measures the crates as the binary runs them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    // `cargo bench` appends `--bench`; it means nothing here.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("gen") if args.len() >= 4 => {
            let seed = args
                .get(4)
                .map_or(1, |s| s.parse().expect("seed is a number"));
            gen(
                Path::new(&args[1]),
                args[2].parse().expect("FEEDS is a number"),
                &args[3],
                seed,
            )
        }
        Some("startup") if args.len() >= 4 && args[2] == "--" => startup(&args[1], &args[3..]),
        Some("ceiling") if args.len() == 2 => ceiling(Path::new(&args[1])),
        _ => {
            eprintln!(
                "usage: load gen DIR FEEDS URL_PREFIX [SEED] | load startup ADDR -- BIN ARGS... | load ceiling DIR"
            );
            std::process::exit(2);
        }
    }
}

/// Writes DIR/*.{rss,atom,json} and DIR.toml (one `[[sources]]` per feed, at URL_PREFIX/NAME),
/// and prints the totals as one JSON line.
fn gen(dir: &Path, feeds: usize, prefix: &str, seed: u64) {
    std::fs::create_dir_all(dir).expect("create the corpus directory");
    let mut sources = String::new();
    let (mut items, mut bytes) = (0usize, 0usize);
    for i in 0..feeds {
        let f = corpus::feed(seed, i, feeds);
        std::fs::write(dir.join(&f.name), &f.bytes).expect("write a feed");
        items += f.items;
        bytes += f.bytes.len();
        sources.push_str(&format!(
            "[[sources]]\nid = \"p{i:05}\"\ntitle = \"Partner {i}\"\nkind = \"partner\"\nurl = \"{prefix}/{}\"\n\n",
            f.name
        ));
    }
    std::fs::write(dir.with_extension("toml"), sources).expect("write the sources");
    println!("{{\"feeds\":{feeds},\"items\":{items},\"bytes\":{bytes}}}");
}

/// Starts `BIN ARGS...` and prints, as one JSON line, how long it took until `GET /healthz`
/// on ADDR answered 200. The daemon keeps running; its pid is printed for the caller.
#[allow(clippy::zombie_processes)] // left running on purpose: the caller stops it
fn startup(addr: &str, cmd: &[String]) {
    let started = Instant::now();
    let child = Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the daemon");
    let deadline = started + Duration::from_secs(60);
    loop {
        if healthy(addr) {
            break;
        }
        if Instant::now() > deadline {
            eprintln!("no answer from {addr} within 60 s");
            std::process::exit(1);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    println!("{{\"pid\":{},\"startup_ms\":{ms:.1}}}", child.id());
}

fn healthy(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    buf.starts_with(b"HTTP/1.1 200")
}

/// What the two crates every item must go through cost on their own, on every core: feed-rs
/// parses each feed file of DIR (read into memory first, so no HTTP, decoding or repairs), and
/// then ammonia, with its defaults, cleans each entry's body (or its summary when it has no
/// body). Nothing is de-duplicated, classified or stored. Prints one JSON line: the items, and
/// the items per second of feed-rs alone and of feed-rs with ammonia, each the best of three
/// passes.
fn ceiling(dir: &Path) {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("read the corpus directory")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("rss" | "atom" | "json")
            )
        })
        .collect();
    names.sort();
    let files: Vec<Vec<u8>> = names
        .iter()
        .map(|p| std::fs::read(p).expect("read a feed"))
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let best = |sanitize: bool| {
        (0..3)
            .map(|_| pass(&files, threads, sanitize))
            .fold((0, f64::INFINITY), |(_, best), (items, secs)| {
                (items, best.min(secs))
            })
    };
    let (items, parse_secs) = best(false);
    let (_, clean_secs) = best(true);
    let bytes: usize = files.iter().map(Vec::len).sum();
    println!(
        "{{\"files\":{},\"items\":{items},\"bytes\":{bytes},\"threads\":{threads},\"feed_rs_items_per_s\":{:.0},\"feed_rs_ammonia_items_per_s\":{:.0}}}",
        files.len(),
        items as f64 / parse_secs,
        items as f64 / clean_secs
    );
}

/// One pass over `files` on `threads` threads, each taking the next file: (items, seconds).
fn pass(files: &[Vec<u8>], threads: usize, sanitize: bool) -> (usize, f64) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let items = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(bytes) = files.get(i) else { break };
                let feed =
                    feed_rs::parser::parse(bytes.as_slice()).expect("a generated feed parses");
                if sanitize {
                    for e in &feed.entries {
                        let html = e
                            .content
                            .as_ref()
                            .and_then(|c| c.body.as_deref())
                            .or_else(|| e.summary.as_ref().map(|t| t.content.as_str()));
                        if let Some(html) = html {
                            std::hint::black_box(ammonia::clean(html));
                        }
                    }
                }
                items.fetch_add(feed.entries.len(), Ordering::Relaxed);
            });
        }
    });
    (items.into_inner(), started.elapsed().as_secs_f64())
}
