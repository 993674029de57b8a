//! Each ingest and output stage on the generated corpus (benches/corpus): parse + normalize,
//! sanitize, classify, store, render, digest build.
//! Run: cargo bench --bench pipeline

// The allocator the binary uses, so the stages cost here what they cost in the daemon.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod corpus;

use corpus::stage::{classifier, ctx, source};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tributary::classify::Classifier;
use tributary::config::{DedupeConfig, StoreConfig};
use tributary::model::{Item, Source, SourceState};
use tributary::parse;
use tributary::publish::{self, FeedMeta, Format};
use tributary::store::{Query, Staged, Store};

/// Feeds of the corpus used here: enough for ~2,000 items of every format and size.
const FEEDS: usize = 60;

/// Every feed parsed and normalized, with its source: what the store stage takes.
fn staged(feeds: &[corpus::GenFeed], classifier: &Classifier) -> Vec<(Source, Vec<Staged>)> {
    feeds
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let src = source(i);
            let staged = corpus::stage::staged(&f.bytes, &src, classifier);
            (src, staged)
        })
        .collect()
}

fn open(dir: &std::path::Path) -> Store {
    Store::open(&StoreConfig {
        path: dir.join("store"),
        cache_capacity: 64 * 1024 * 1024,
        max_age: None,
        max_items_per_source: None,
    })
    .unwrap()
}

fn store_all(store: &Store, all: Vec<(Source, Vec<Staged>)>) -> usize {
    let dedupe = DedupeConfig::default();
    let topics_of = |_: &Item| Vec::new();
    let mut new = 0;
    for (src, staged) in all {
        let report = store
            .apply(
                &src.id,
                staged,
                &SourceState::default(),
                ctx().now,
                &dedupe,
                &topics_of,
            )
            .unwrap();
        new += report.new;
    }
    new
}

/// What sled alone costs per story with the shape the store had up to schema 7 (since schema
/// 8 the identity, link and title indexes live in memory, logged a feed at a time), no
/// encoding or matching: one transaction of 50 stories per feed over 8 trees, and per story 3
/// reads (identity, link, title) and 7 writes (the 3 KB story, 3 time indexes, identity, link,
/// title), then a flush. Once with the story keyed by a hash (as stored), once with sequential
/// keys. Kept as the measurement that showed the per-story index writes to be the cost.
fn sled_floor(c: &mut Criterion, stories: usize) {
    use sled::Transactional;
    let hashed = |i: usize, what: &str| {
        blake3::hash(format!("{what}{i}").as_bytes()).as_bytes()[..16].to_vec()
    };
    let value = vec![b'x'; 3000];
    let run = |dir: &std::path::Path, sequential: bool| {
        let db = sled::Config::new()
            .path(dir.join("floor"))
            .cache_capacity(64 << 20)
            .segment_size(2 << 20)
            .mode(sled::Mode::LowSpace)
            .open()
            .unwrap();
        let t: Vec<sled::Tree> = (0..8).map(|i| db.open_tree([i]).unwrap()).collect();
        for feed in 0..stories.div_ceil(50) {
            let range = feed * 50..((feed + 1) * 50).min(stories);
            (&t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6], &t[7])
                .transaction(
                    |(items, published, seen, by_source, idents, links, titles, states)| {
                        for i in range.clone() {
                            idents.get(hashed(i, "ident"))?;
                            links.get(hashed(i, "link"))?;
                            titles.get(hashed(i, "title"))?;
                            let key = if sequential {
                                (i as u64).to_be_bytes().to_vec()
                            } else {
                                hashed(i, "id")
                            };
                            items.insert(key, value.as_slice())?;
                            published.insert(hashed(i, "published"), &[])?;
                            seen.insert(hashed(i, "seen"), &[])?;
                            by_source.insert(hashed(i, "source"), &[])?;
                            idents.insert(hashed(i, "ident"), &[1u8; 40][..])?;
                            links.insert(hashed(i, "link"), &[2u8; 16][..])?;
                            titles.insert(hashed(i, "title"), &[3u8; 24][..])?;
                        }
                        states.insert(&feed.to_be_bytes(), &[0u8; 300][..])?;
                        Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
                    },
                )
                .unwrap();
            db.flush().unwrap();
        }
    };
    let mut g = c.benchmark_group("sled floor");
    g.sample_size(10);
    g.throughput(Throughput::Elements(stories as u64));
    for (name, sequential) in [
        ("story keyed by hash", false),
        ("story keyed in sequence", true),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().unwrap(),
                |dir| run(dir.path(), sequential),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    let feeds = corpus::generate(7, FEEDS);
    let bytes: usize = feeds.iter().map(|f| f.bytes.len()).sum();
    let items: usize = feeds.iter().map(|f| f.items).sum();
    let classifier = classifier();
    let all = staged(&feeds, &classifier);
    let normalized: Vec<&tributary::model::NewItem> = all
        .iter()
        .flat_map(|(_, s)| s.iter().map(|s| &s.item))
        .collect();

    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    g.throughput(Throughput::Elements(items as u64));
    g.bench_function(format!("parse {FEEDS} feeds ({bytes} bytes)"), |b| {
        b.iter(|| {
            feeds
                .iter()
                .map(|f| parse::parse(&f.bytes, &ctx()).unwrap().entries.len())
                .sum::<usize>()
        })
    });
    let parsed: Vec<_> = feeds
        .iter()
        .map(|f| parse::parse(&f.bytes, &ctx()).unwrap())
        .collect();
    g.bench_function("normalize (sanitize + text + links + dates)", |b| {
        b.iter(|| {
            parsed
                .iter()
                .flat_map(|p| {
                    p.entries
                        .iter()
                        .map(move |e| parse::normalize(e, p, &ctx()))
                })
                .count()
        })
    });
    let html: Vec<&str> = normalized
        .iter()
        .filter_map(|i| i.content.as_deref())
        .collect();
    g.bench_function("sanitize alone (already clean bodies)", |b| {
        b.iter(|| {
            html.iter()
                .map(|h| parse::html::sanitize(h, None, None).len())
                .sum::<usize>()
        })
    });
    g.bench_function("classify", |b| {
        let src = source(0);
        b.iter(|| {
            normalized
                .iter()
                .map(|i| classifier.new_story_topics(i, &src).len())
                .sum::<usize>()
        })
    });
    g.bench_function("store (sled, empty store, every item new)", |b| {
        b.iter_batched(
            || (tempfile::tempdir().unwrap(), all.clone()),
            |(dir, all)| {
                let store = open(dir.path());
                store_all(&store, all)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    sled_floor(c, items);

    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store_all(&store, all.clone());
    let newest = store
        .list(&Query {
            limit: 50,
            ..Query::default()
        })
        .unwrap();
    let everything = store
        .list(&Query {
            limit: 0,
            ..Query::default()
        })
        .unwrap();
    let meta = FeedMeta {
        id: "tag:tributary,2026:feeds/all".into(),
        title: "All partner news".into(),
        description: "Every story".into(),
        self_url: "https://feeds.example.org/feeds/all.rss".into(),
        site_url: "https://feeds.example.org/".into(),
        page_url: "https://feeds.example.org/feeds/all.html".into(),
        language: None,
        generator: "Tributary".into(),
        topic_labels: vec![],
        topic_aliases: vec![],
        updated_when_empty: None,
        title_lang: None,
        topic_pages_in: None,
        icon: None,
        logo: None,
        time_zone: chrono_tz::UTC,
    };
    let sources = |id: &str| {
        Some(publish::SourceInfo {
            id: id.to_string(),
            title: id.to_string(),
            url: format!("https://{id}.example.org/feed"),
            site_url: None,
            configured: true,
        })
    };
    let mut g = c.benchmark_group("output");
    g.throughput(Throughput::Elements(newest.len() as u64));
    for format in Format::ALL {
        g.bench_function(
            format!("render {} items as {format:?}", newest.len()),
            |b| b.iter(|| publish::render(format, &meta, &newest, &sources).len()),
        );
    }
    g.throughput(Throughput::Elements(everything.len() as u64));
    let spec = tributary::digest::DigestSpec::new(
        "daily",
        "Daily digest",
        "news@example.org",
        &["list@example.org"],
    );
    let period = tributary::digest::Period {
        start: ctx().now - chrono::Duration::days(1),
        end: ctx().now + chrono::Duration::days(1),
    };
    let order: Vec<String> = classifier.topics().map(str::to_string).collect();
    g.bench_function(
        format!("digest build over {} stories", everything.len()),
        |b| {
            b.iter(|| {
                tributary::digest::build(
                    &spec,
                    period,
                    &everything,
                    &|t| Some(t.to_string()),
                    &order,
                    &|s| Some(s.to_string()),
                )
                .sections
                .len()
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
