//! Unit tests of `parse::html`, one file per part of it. This file holds the base URL the
//! others resolve against.

mod cost;
mod detect;
mod embeds;
mod pixels;
mod sanitizer;
mod serialized;
mod text;
mod whitespace;

use url::Url;

fn base() -> Url {
    Url::parse("https://balkansgroup.example/en/news/").unwrap()
}
