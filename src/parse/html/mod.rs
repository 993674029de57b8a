//! HTML from feeds: made safe with ammonia, absolute, free of tracking pixels, and turned
//! into plain text for summaries and titles.
//!
//! ammonia keeps only safe tags, attributes and http(s), mailto and tel URLs; its URL callbacks make
//! links and media absolute against the item's base and canonical (tracking parameters
//! dropped), and drop the ones that cannot be resolved. A body with an image that may be a
//! tracking pixel (from a tracker host, or 0 or 1 pixel wide or high) is read once more, for
//! its `<img>` tags alone, to drop the pixels; a body of plain text skips the parser. Plain
//! text comes from lol_html's tokenizer, or, for a summary of a body, from a scan of the
//! sanitized body (its markup is html5ever's serialization); entities are decoded by
//! html-escape, and only as much of a long body is read as a summary needs.
//!
//! The parts:
//! - `sanitizer`: [`sanitize`], the way through for plain text, costly markup and the rest;
//!   `policy`: the ammonia builders and the context their callbacks read; `embeds` and
//!   `lazy_images`: the pass before ammonia (players, lazily loaded pictures); `pixels`:
//!   tracking pixels dropped.
//! - `cost`: whether markup would cost the parser too much, and its limits; `raw_tags`: raw
//!   markup read as the tokenizer reads it, and the text of markup too costly to parse.
//! - `serialized`: the sanitizer's output read without a tokenizer: [`first_picture`],
//!   [`links`], [`same_but_media_queries`].
//! - `text`: [`to_text`], [`to_text_prefix`], [`truncate_words`]; `sink`: the text gathered
//!   from the tokenizer; `whitespace`: [`collapse_whitespace`].
//! - `detect`: [`looks_like_html`]; `discovery`: [`feed_links`] of a web page.

mod cost;
mod detect;
mod discovery;
mod embeds;
mod lazy_images;
mod pixels;
mod policy;
mod raw_tags;
mod sanitizer;
mod serialized;
mod sink;
mod text;
mod whitespace;

#[cfg(test)]
mod tests;

pub use detect::looks_like_html;
pub use discovery::{feed_links, typed_feed_links, FeedLink};
pub use sanitizer::sanitize;
pub use serialized::{first_image, first_picture, links, same_but_media_queries};
pub(crate) use text::decode_entities;
pub use text::{fix_c1_controls, sanitized_text_prefix, to_text, to_text_prefix, truncate_words};
pub use whitespace::collapse_whitespace;
