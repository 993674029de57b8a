//! A realistic, reproducible feed corpus for the benchmarks and the load script.
//!
//! Feeds are RSS 2.0, Atom 1.0 and JSON Feed in turn, 10–500 KB each (log-uniform, so most
//! are small and a few are large), with HTML descriptions in English, Albanian and Serbian
//! (Latin and Cyrillic): paragraphs, links with tracking parameters, images, tracking pixels,
//! now and then a script or an event handler for the sanitizer to remove. A few items in
//! every hundred are another feed's story republished word for word under its link with `utm_*`
//! parameters, so cross-source de-duplication has work to do. The same seed always gives the same bytes.

#![allow(dead_code)]

use std::fmt::Write as _;

use quick_xml::escape::escape;

pub mod stage;

/// One generated feed document.
pub struct GenFeed {
    /// File name, e.g. `f00042.xml`.
    pub name: String,
    /// The document.
    pub bytes: Vec<u8>,
    /// Items in it.
    pub items: usize,
}

#[derive(Clone, Copy)]
enum Lang {
    En,
    Sq,
    SrLatn,
    SrCyrl,
}

const EN: &[&str] = &[
    "dialogue",
    "normalisation",
    "Kosovo",
    "Serbia",
    "agreement",
    "implementation",
    "workshop",
    "Brussels",
    "negotiation",
    "women",
    "caucus",
    "parliament",
    "members",
    "gender",
    "equality",
    "culture",
    "festival",
    "heritage",
    "theatre",
    "film",
    "exhibition",
    "music",
    "regional",
    "policy",
    "research",
    "report",
    "youth",
    "cooperation",
    "civil",
    "society",
    "mission",
    "municipality",
    "election",
    "reform",
    "justice",
    "institution",
    "minority",
    "language",
    "community",
    "public",
    "debate",
    "network",
    "partners",
    "Western",
    "Balkans",
    "Union",
    "the",
    "of",
    "and",
    "in",
    "on",
    "for",
    "with",
    "a",
    "to",
    "was",
    "were",
    "said",
    "new",
];
const SQ: &[&str] = &[
    "dialogu",
    "normalizimi",
    "Kosova",
    "Serbia",
    "marrëveshja",
    "zbatimi",
    "punëtoria",
    "Brukseli",
    "negociatat",
    "gratë",
    "grupi",
    "deputetet",
    "kuvendi",
    "barazia",
    "gjinore",
    "kultura",
    "festivali",
    "trashëgimia",
    "teatri",
    "filmi",
    "ekspozita",
    "muzika",
    "rajonale",
    "politika",
    "hulumtimi",
    "raporti",
    "të",
    "rinjtë",
    "bashkëpunimi",
    "shoqëria",
    "civile",
    "komuna",
    "zgjedhjet",
    "reforma",
    "drejtësia",
    "institucionet",
    "pakicat",
    "gjuha",
    "dhe",
    "në",
    "për",
    "me",
    "nga",
    "është",
    "ishin",
    "tha",
    "publike",
    "debati",
    "partnerët",
];
const SR_LATN: &[&str] = &[
    "dijalog",
    "normalizacija",
    "Kosovo",
    "Srbija",
    "sporazum",
    "sprovođenje",
    "radionica",
    "Brisel",
    "pregovori",
    "žene",
    "poslanice",
    "ženski",
    "klub",
    "skupština",
    "ravnopravnost",
    "rodna",
    "kultura",
    "festival",
    "nasleđe",
    "pozorište",
    "film",
    "izložba",
    "muzika",
    "regionalna",
    "politika",
    "istraživanje",
    "izveštaj",
    "mladi",
    "saradnja",
    "civilno",
    "društvo",
    "opština",
    "izbori",
    "reforma",
    "pravda",
    "institucije",
    "manjine",
    "jezik",
    "i",
    "u",
    "na",
    "za",
    "sa",
    "je",
    "su",
    "rekao",
    "javna",
    "debata",
    "partneri",
    "čuvanje",
];
const SR_CYRL: &[&str] = &[
    "дијалог",
    "нормализација",
    "Косово",
    "Србија",
    "споразум",
    "спровођење",
    "радионица",
    "Брисел",
    "преговори",
    "жене",
    "посланице",
    "женски",
    "клуб",
    "скупштина",
    "равноправност",
    "родна",
    "култура",
    "фестивал",
    "наслеђе",
    "позориште",
    "филм",
    "изложба",
    "музика",
    "регионална",
    "политика",
    "истраживање",
    "извештај",
    "млади",
    "сарадња",
    "цивилно",
    "друштво",
    "општина",
    "избори",
    "реформа",
    "правда",
    "институције",
    "мањине",
    "језик",
    "и",
    "у",
    "на",
    "за",
    "са",
    "је",
    "су",
    "рекао",
    "јавна",
    "дебата",
    "партнери",
    "чување",
];

impl Lang {
    fn words(self) -> &'static [&'static str] {
        match self {
            Lang::En => EN,
            Lang::Sq => SQ,
            Lang::SrLatn => SR_LATN,
            Lang::SrCyrl => SR_CYRL,
        }
    }
    fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Sq => "sq",
            Lang::SrLatn => "sr-Latn",
            Lang::SrCyrl => "sr-Cyrl",
        }
    }
}

/// One story as generated, before it is written in a feed format.
struct Story {
    title: String,
    link: String,
    guid: String,
    html: String,
    published: i64,
    author: String,
    categories: Vec<String>,
}

struct Gen {
    rng: fastrand::Rng,
}

impl Gen {
    fn words(&mut self, lang: Lang, n: usize) -> String {
        let words = lang.words();
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(words[self.rng.usize(..words.len())]);
        }
        s
    }

    fn sentence(&mut self, lang: Lang) -> String {
        let n = self.rng.usize(6..18);
        let mut s = self.words(lang, n);
        if let Some(first) = s.chars().next() {
            let upper: String = first.to_uppercase().collect();
            s.replace_range(..first.len_utf8(), &upper);
        }
        s.push('.');
        s
    }

    /// An HTML description of about `bytes` bytes.
    fn html(&mut self, lang: Lang, host: &str, bytes: usize) -> String {
        let mut out = String::with_capacity(bytes + 256);
        while out.len() < bytes {
            out.push_str("<p>");
            for _ in 0..self.rng.usize(2..5) {
                let s = self.sentence(lang);
                match self.rng.u8(..10) {
                    0 => {
                        let _ = write!(
                            out,
                            "<a href=\"https://{host}/news/{}?utm_source=newsletter&amp;utm_medium=email\">{s}</a> ",
                            self.rng.u32(..100_000)
                        );
                    }
                    1 => {
                        let _ = write!(out, "<strong>{s}</strong> ");
                    }
                    2 => {
                        let _ = write!(out, "<em>{s}</em> &ndash; ");
                    }
                    _ => {
                        out.push_str(&s);
                        out.push(' ');
                    }
                }
            }
            out.push_str("</p>\n");
            match self.rng.u8(..12) {
                0 => {
                    let _ = writeln!(
                        out,
                        "<figure><img src=\"/uploads/{}.jpg\" alt=\"{}\" width=\"640\"><figcaption>{}</figcaption></figure>",
                        self.rng.u32(..100_000),
                        self.words(lang, 3),
                        self.words(lang, 5)
                    );
                }
                1 => out.push_str(
                    "<img src=\"https://pixel.example.net/t.gif?id=1\" width=\"1\" height=\"1\">\n",
                ),
                2 => out.push_str("<script>document.write('tracking')</script>\n"),
                3 => {
                    let _ = writeln!(
                        out,
                        "<ul><li>{}</li><li onclick=\"steal()\">{}</li></ul>",
                        self.words(lang, 6),
                        self.words(lang, 6)
                    );
                }
                _ => {}
            }
        }
        out
    }
}

fn lang_of(feed: usize) -> Lang {
    match feed % 4 {
        0 => Lang::En,
        1 => Lang::Sq,
        2 => Lang::SrLatn,
        _ => Lang::SrCyrl,
    }
}

/// 10–500 KB, log-uniform.
fn target_size(rng: &mut fastrand::Rng) -> usize {
    let (lo, hi) = (10_000f64.ln(), 500_000f64.ln());
    (lo + rng.f64() * (hi - lo)).exp() as usize
}

/// Generates `n` feeds from `seed`.
pub fn generate(seed: u64, n: usize) -> Vec<GenFeed> {
    (0..n).map(|i| feed(seed, i, n)).collect()
}

/// Generates feed number `index` of a corpus of `n` feeds (independent of the others, so a
/// caller can write them one at a time).
pub fn feed(seed: u64, index: usize, n: usize) -> GenFeed {
    let mut g = Gen {
        rng: fastrand::Rng::with_seed(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
    };
    let lang = lang_of(index);
    let host = format!("partner{index}.example.org");
    let size = target_size(&mut g.rng);
    let base_time = 1_780_000_000i64; // a fixed instant in 2026: reproducible bytes
    let mut stories = Vec::new();
    let mut written = 0;
    let mut k = 0usize;
    while written < size {
        let republish = n > 1 && g.rng.u8(..100) < 3;
        let story = if republish {
            // Another feed's story as a partner republishes it: its title and text word for
            // word, under its link with tracking parameters, half an hour after it.
            let other = (index + 1 + g.rng.usize(..n - 1)) % n;
            let other_k = g.rng.usize(..4);
            let (title, html) = story_text(seed, other, other_k);
            Story {
                title,
                link: format!(
                    "https://partner{other}.example.org/news/{seed}/{other_k}?utm_source=partner{index}&utm_medium=rss"
                ),
                guid: format!("https://{host}/repost/{seed}/{k}"),
                html,
                published: base_time - (other_k as i64) * 3_600 + 1_800,
                author: g.words(lang, 2),
                categories: vec![g.words(lang, 1)],
            }
        } else {
            let (title, html) = story_text(seed, index, k);
            Story {
                title,
                link: format!("https://{host}/news/{seed}/{k}"),
                guid: format!("https://{host}/news/{seed}/{k}"),
                html,
                published: base_time - (k as i64) * 3_600,
                author: g.words(lang, 2),
                categories: vec![g.words(lang, 1), g.words(lang, 1)],
            }
        };
        written += story.html.len() + story.title.len() + 200;
        stories.push(story);
        k += 1;
    }
    let items = stories.len();
    let (name, bytes) = match index % 3 {
        0 => (format!("f{index:05}.rss"), rss(&host, lang, &stories)),
        1 => (format!("f{index:05}.atom"), atom(&host, lang, &stories)),
        _ => (
            format!("f{index:05}.json"),
            json_feed(&host, lang, &stories),
        ),
    };
    GenFeed { name, bytes, items }
}

/// The title and HTML of story `k` of feed `index`, from a generator of its own: a partner's
/// copy of it (see [`feed`]) carries the same words.
fn story_text(seed: u64, index: usize, k: usize) -> (String, String) {
    let mut g = Gen {
        rng: fastrand::Rng::with_seed(
            seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ (k as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03),
        ),
    };
    let lang = lang_of(index);
    let body = g.rng.usize(600..3_000);
    let title = format!("{} {index}-{k}", g.words(lang, 8));
    let html = g.html(lang, &format!("partner{index}.example.org"), body);
    (title, html)
}

fn rfc2822(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .expect("in range")
        .to_rfc2822()
}

fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .expect("in range")
        .to_rfc3339()
}

fn rss(host: &str, lang: Lang, stories: &[Story]) -> Vec<u8> {
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>News from {host}</title>\n<link>https://{host}/</link>\n<description>Partner news</description>\n<language>{}</language>\n",
        lang.tag()
    );
    for s in stories {
        let _ = write!(
            out,
            "<item>\n<title>{}</title>\n<link>{}</link>\n<guid>{}</guid>\n<pubDate>{}</pubDate>\n<dc:creator>{}</dc:creator>\n",
            escape(&s.title),
            escape(&s.link),
            escape(&s.guid),
            rfc2822(s.published),
            escape(&s.author)
        );
        for c in &s.categories {
            let _ = writeln!(out, "<category>{}</category>", escape(c));
        }
        let _ = write!(
            out,
            "<description><![CDATA[{}]]></description>\n</item>\n",
            s.html
        );
    }
    out.push_str("</channel>\n</rss>\n");
    out.into_bytes()
}

fn atom(host: &str, lang: Lang, stories: &[Story]) -> Vec<u8> {
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n<title>News from {host}</title>\n<id>https://{host}/</id>\n<link href=\"https://{host}/\"/>\n<updated>{}</updated>\n",
        lang.tag(),
        rfc3339(stories.first().map_or(0, |s| s.published))
    );
    for s in stories {
        let _ = write!(
            out,
            "<entry>\n<title>{}</title>\n<link href=\"{}\"/>\n<id>{}</id>\n<published>{}</published>\n<updated>{}</updated>\n<author><name>{}</name></author>\n",
            escape(&s.title),
            escape(&s.link),
            escape(&s.guid),
            rfc3339(s.published),
            rfc3339(s.published),
            escape(&s.author)
        );
        for c in &s.categories {
            let _ = writeln!(out, "<category term=\"{}\"/>", escape(c));
        }
        let _ = write!(
            out,
            "<content type=\"html\">{}</content>\n</entry>\n",
            escape(&s.html)
        );
    }
    out.push_str("</feed>\n");
    out.into_bytes()
}

fn json_feed(host: &str, lang: Lang, stories: &[Story]) -> Vec<u8> {
    let items: Vec<serde_json::Value> = stories
        .iter()
        .map(|s| {
            serde_json::json!({
                "id": s.guid,
                "url": s.link,
                "title": s.title,
                "content_html": s.html,
                "date_published": rfc3339(s.published),
                "authors": [{"name": s.author}],
                "tags": s.categories,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": format!("News from {host}"),
        "home_page_url": format!("https://{host}/"),
        "language": lang.tag(),
        "items": items,
    });
    serde_json::to_vec_pretty(&doc).expect("json serializes")
}
