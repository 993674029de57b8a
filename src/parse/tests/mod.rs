//! Unit tests of `parse`, by subject; the helpers they share are here.

mod errors;
mod formats;
mod identity;
mod limits;
mod media;
mod metadata;
mod repairs;
mod text;

use super::*;
use chrono::TimeZone;

use crate::model::NewItem;

fn ctx(url: &Url) -> Context<'_> {
    Context {
        fetch_url: Some(url),
        content_type: None,
        default_lang: Some("en"),
        now: Utc.with_ymd_and_hms(2020, 3, 1, 0, 0, 0).unwrap(),
        time_zone: None,
    }
}

fn items(doc: &str) -> Vec<NewItem> {
    let url = Url::parse("http://127.0.0.1:8000/feed.xml").unwrap();
    let c = ctx(&url);
    let feed = parse(doc.as_bytes(), &c).unwrap();
    feed.entries
        .iter()
        .map(|e| normalize(e, &feed, &c))
        .collect()
}

const RSS: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>BPRG</title><link>https://balkansgroup.example/en/</link>
<item><title>  Workshop on the
  Brussels&#160;dialogue </title><link>news/workshop/?utm_source=rss</link><guid isPermaLink="false">bprg-1</guid>
<description>&lt;p onclick="x()"&gt;Students &lt;a href="/en/report.pdf"&gt;discussed&lt;/a&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description>
<pubDate>Tue, 25 Feb 2020 10:00:00 CET</pubDate><category>Dialogue</category></item>
<item><description>Only a description here. And more text after it.</description><link>https://balkansgroup.example/en/untitled/</link></item>
</channel></rss>"#;

fn rss_item(item: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>T</title><link>https://r.example/</link>\n\
         <item>{item}</item>\n</channel></rss>"
    )
}
