//! JSON Feeds whose values are of another type than the spec's, mended so feed-rs reads them
//! rather than refusing the whole feed: `"id": 123`, numbers or `null` among the `tags`, a
//! feed `title` that is `null`, an author given as a bare name, an attachment without a media
//! type, an item that is no object. Only documents feed-rs refused are mended, so a valid
//! feed's bytes (and its entries' hashes) never change.

use serde_json::{Map, Value};

/// An item's fields the spec makes strings.
const ITEM_TEXT: [&str; 12] = [
    "id",
    "url",
    "external_url",
    "title",
    "content_html",
    "content_text",
    "summary",
    "image",
    "banner_image",
    "date_published",
    "date_modified",
    "language",
];

/// The feed's own fields the spec makes strings.
const FEED_TEXT: [&str; 7] = [
    "title",
    "home_page_url",
    "feed_url",
    "description",
    "icon",
    "favicon",
    "language",
];

/// `text` with its fields of the wrong type mended, and how many were; `None` when it is not a
/// JSON object or nothing needed mending.
pub(super) fn mended(text: &str) -> Option<(String, usize)> {
    let mut doc: Value = serde_json::from_str(text).ok()?;
    let feed = doc.as_object_mut()?;
    let mut mended = 0;
    as_text(feed, &FEED_TEXT, &mut mended);
    // feed-rs requires a title.
    if !feed.get("title").is_some_and(Value::is_string) {
        feed.insert("title".into(), Value::String(String::new()));
        mended += 1;
    }
    people(feed, &mut mended);
    if let Some(Value::Array(items)) = feed.get_mut("items") {
        // An entry that is no object is no item.
        let before = items.len();
        items.retain(Value::is_object);
        mended += before - items.len();
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            as_text(item, &ITEM_TEXT, &mut mended);
            people(item, &mut mended);
            attachments(item, &mut mended);
            tags(item, &mut mended);
        }
    }
    (mended > 0).then(|| (doc.to_string(), mended))
}

/// Makes `fields` of `object` text: a number or a boolean as its text, an object or an array
/// left out (a `null` stays: it reads as absent).
fn as_text(object: &mut Map<String, Value>, fields: &[&str], mended: &mut usize) {
    for field in fields {
        let text = match object.get(*field) {
            None | Some(Value::String(_) | Value::Null) => continue,
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            Some(_) => None,
        };
        match text {
            Some(text) => object.insert(field.to_string(), Value::String(text)),
            None => object.remove(*field),
        };
        *mended += 1;
    }
}

/// `author` and `authors` as objects with text fields: a name alone (`"Jane"`) is an author of
/// that name, anything else that is no object is left out; the first
/// [`super::caps::MAX_AUTHORS`] are kept (names alone are no objects: the count of objects
/// that bounds authors before feed-rs reads a document does not see them).
fn people(object: &mut Map<String, Value>, mended: &mut usize) {
    if let Some(author) = object.get_mut("author") {
        if !author.is_null() && !person(author, mended) {
            object.remove("author");
        }
    }
    match object.get_mut("authors") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            if list.len() > super::caps::MAX_AUTHORS {
                *mended += list.len() - super::caps::MAX_AUTHORS;
                list.truncate(super::caps::MAX_AUTHORS);
            }
            list.retain_mut(|p| person(p, mended))
        }
        Some(one) => {
            let mut list = vec![one.take()];
            list.retain_mut(|p| person(p, mended));
            object.insert("authors".into(), Value::Array(list));
        }
    }
}

/// Makes `v` a person: a name alone becomes one of that name; whether it is one now.
fn person(v: &mut Value, mended: &mut usize) -> bool {
    if let Value::String(name) = v {
        *v = serde_json::json!({ "name": name.clone() });
        *mended += 1;
    }
    match v.as_object_mut() {
        Some(p) => {
            as_text(p, &["name", "url", "avatar"], mended);
            true
        }
        None => {
            *mended += 1;
            false
        }
    }
}

/// An item's attachments: objects with a text `url`, their other text fields text, a missing
/// media type the unknown one, sizes and durations numbers or left out.
fn attachments(item: &mut Map<String, Value>, mended: &mut usize) {
    match item.get_mut("attachments") {
        None | Some(Value::Null) => {}
        Some(Value::Array(files)) => {
            let before = files.len();
            files.retain_mut(|f| match f.as_object_mut() {
                Some(f) if f.get("url").is_some_and(Value::is_string) => {
                    as_text(f, &["mime_type", "title"], mended);
                    if !f.get("mime_type").is_some_and(Value::is_string) {
                        f.insert(
                            "mime_type".into(),
                            Value::String("application/octet-stream".into()),
                        );
                        *mended += 1;
                    }
                    for number in ["size_in_bytes", "duration_in_seconds"] {
                        if f.get(number).is_some_and(|v| !v.is_number()) {
                            f.remove(number);
                            *mended += 1;
                        }
                    }
                    true
                }
                _ => false,
            });
            *mended += before - files.len();
        }
        Some(_) => {
            item.remove("attachments");
            *mended += 1;
        }
    }
}

/// An item's tags: the strings, and numbers as text.
fn tags(item: &mut Map<String, Value>, mended: &mut usize) {
    match item.get_mut("tags") {
        None => {}
        Some(Value::Array(tags)) => {
            let before = tags.len();
            for tag in tags.iter_mut() {
                if let Value::Number(n) = tag {
                    *tag = Value::String(n.to_string());
                    *mended += 1;
                }
            }
            tags.retain(Value::is_string);
            *mended += before - tags.len();
        }
        Some(_) => {
            item.remove("tags");
            *mended += 1;
        }
    }
}

/// Gives each JSON Feed item of `feed` its `image` (else its `banner_image`) as a Media RSS
/// thumbnail, first of its media: feed-rs leaves both out. Read only when the document names
/// one, and only when its items are the entries feed-rs read, one for one.
pub(super) fn fill_images(feed: &mut feed_rs::model::Feed, text: &str) {
    #[derive(serde::Deserialize)]
    struct Doc {
        #[serde(default)]
        items: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        #[serde(default)]
        image: Option<Value>,
        #[serde(default)]
        banner_image: Option<Value>,
    }
    if !names_key(text, "image") && !names_key(text, "banner_image") {
        return;
    }
    let Ok(doc) = serde_json::from_str::<Doc>(text) else {
        return;
    };
    if doc.items.len() != feed.entries.len() {
        return;
    }
    for (item, entry) in doc.items.into_iter().zip(&mut feed.entries) {
        let uri = [item.image, item.banner_image]
            .into_iter()
            .flatten()
            .find_map(|v| {
                v.as_str()
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .map(str::to_string)
            });
        if let Some(uri) = uri {
            entry.media.insert(0, super::normalize::thumbnail(uri));
        }
    }
}

/// Whether the JSON `text` has a member named `key` somewhere: `"key"` followed by a colon,
/// not inside a string (where its quotes would be escaped).
pub(super) fn names_key(text: &str, key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    memchr::memmem::find_iter(text.as_bytes(), quoted.as_bytes()).any(|at| {
        at.checked_sub(1).map(|i| text.as_bytes()[i]) != Some(b'\\')
            && text[at + quoted.len()..].trim_start().starts_with(':')
    })
}
