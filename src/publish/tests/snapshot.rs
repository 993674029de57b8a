//! The full documents, reviewed once and pinned: any change to what readers receive shows
//! up as a snapshot diff.

use super::rendered;
use crate::publish::Format;

fn text(format: Format) -> String {
    String::from_utf8(rendered(format)).expect("feeds are UTF-8")
}

#[test]
fn rss_snapshot() {
    insta::assert_snapshot!("rss", text(Format::Rss));
}

#[test]
fn atom_snapshot() {
    insta::assert_snapshot!("atom", text(Format::Atom));
}

#[test]
fn json_feed_snapshot() {
    insta::assert_snapshot!("json_feed", text(Format::Json));
}
