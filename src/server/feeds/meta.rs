//! What a feed says of itself ([`FeedMeta`]): its title, description, language and ids, and
//! for a feed in one language, the words it says them with and the language's name.

use crate::config::Config;
use crate::locale::Locale;
use crate::publish::{FeedMeta, Format};

use super::Scope;

/// A language as a feed in it names it: by its speakers when Tributary speaks it ("shqip",
/// "српски (ћирилица)"), else in English.
pub fn own_name(tag: &str) -> String {
    FeedWords::of(tag).language
}

/// The English name of a language tag for feed titles: "Serbian (Cyrillic)" for `sr-Cyrl`;
/// a language outside the table is named by its tag.
pub fn language_name(tag: &str) -> String {
    const LANGUAGES: &[(&str, &str)] = &[
        ("bs", "Bosnian"),
        ("cnr", "Montenegrin"),
        ("de", "German"),
        ("el", "Greek"),
        ("en", "English"),
        ("fr", "French"),
        ("hr", "Croatian"),
        ("it", "Italian"),
        ("mk", "Macedonian"),
        ("ro", "Romanian"),
        ("sl", "Slovenian"),
        ("sq", "Albanian"),
        ("sr", "Serbian"),
        ("tr", "Turkish"),
    ];
    const SCRIPTS: &[(&str, &str)] = &[("latn", "Latin"), ("cyrl", "Cyrillic")];
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or(tag).to_ascii_lowercase();
    let Some((_, language)) = LANGUAGES.iter().find(|(code, _)| *code == primary) else {
        return tag.to_string();
    };
    let rest: Vec<&str> = parts.collect();
    match rest.as_slice() {
        [] => language.to_string(),
        [script] => match SCRIPTS
            .iter()
            .find(|(code, _)| code.eq_ignore_ascii_case(script))
        {
            Some((_, script)) => format!("{language} ({script})"),
            None => format!("{language} ({tag})"),
        },
        _ => format!("{language} ({tag})"),
    }
}

pub(super) fn meta(config: &Config, scope: &Scope, format: Format) -> FeedMeta {
    let name = &config.server.title;
    // The title's language, when the feed names itself in one Tributary speaks but English.
    let mut title_lang = None;
    let (title, description, language) = match scope {
        Scope::All => (
            format!("{name}: all news"),
            "News from every source, de-duplicated, newest first".to_string(),
            None,
        ),
        Scope::Topic(t) => {
            let topic = config.classifier.title(t).unwrap_or(t);
            (
                format!("{name}: {topic}"),
                format!("News about {topic}, from every source"),
                None,
            )
        }
        Scope::Source(id) => {
            let source = config.source(id);
            let title = source.map(|s| s.title.as_str()).unwrap_or(id);
            (
                format!("{name}: {title}"),
                format!("News carried by {title}"),
                source.and_then(|s| s.lang.clone()),
            )
        }
        Scope::Language(tag) => {
            let words = FeedWords::of(tag);
            title_lang = words.localized().then(|| tag.clone());
            (
                format!("{name}: {}", words.news_in()),
                words.description(None),
                Some(tag.clone()),
            )
        }
        Scope::TopicLanguage(t, tag) => {
            // The topic as the rules name it in that language, when they do.
            let topic = config.classifier.title_in(t, tag).unwrap_or(t);
            let words = FeedWords::of(tag);
            title_lang = words.localized().then(|| tag.clone());
            (
                format!("{name}: {topic} · {}", words.language),
                words.description(Some(topic)),
                Some(tag.clone()),
            )
        }
    };
    let scope_id = scope.path(format);
    let scope_id = scope_id
        .rsplit_once('.')
        .map(|(p, _)| p)
        .unwrap_or(&scope_id);
    // An Atom feed's id is permanent: a reader that sees it change takes the feed for a new
    // one. A configured public URL is stable; an address derived from `listen` is not (a
    // port or `--listen` change), so without one the id is a URN of the scope alone, its
    // parts joined by `:` (feed validators read a `/` there as invalid).
    let id = if config.server.base_url_configured {
        format!("{}{}", config.server.base_url, scope_id)
    } else {
        format!(
            "urn:tributary:feed:{}",
            scope_id.trim_start_matches('/').replace('/', ":")
        )
    };
    FeedMeta {
        id,
        title,
        description,
        icon: config.server.icon.as_ref().map(url::Url::to_string),
        logo: config.server.logo.as_ref().map(url::Url::to_string),
        time_zone: config.server.time_zone,
        self_url: config.server.url(&scope.path(format)),
        site_url: config.server.url("/"),
        page_url: config.server.url(&scope.path(Format::Html)),
        language,
        generator: format!("Tributary {}", env!("CARGO_PKG_VERSION")),
        // In a feed that speaks another language than English, topics by their names in it.
        topic_labels: config
            .classifier
            .topics()
            .map(|t| {
                let label = match &title_lang {
                    Some(tag) => config.classifier.title_in(t, tag),
                    None => config.classifier.title(t),
                };
                (t.to_string(), label.unwrap_or(t).to_string())
            })
            .collect(),
        topic_aliases: config
            .classifier
            .topics()
            .flat_map(|t| {
                config
                    .classifier
                    .titles(t)
                    .into_iter()
                    .map(move |title| (t.to_string(), title.to_string()))
            })
            .collect(),
        updated_when_empty: None,
        title_lang,
        topic_pages_in: match scope {
            Scope::Language(tag) | Scope::TopicLanguage(_, tag) => Some(tag.clone()),
            _ => None,
        },
    }
}

/// What a feed narrowed to one language says of itself, in that language when Tributary
/// speaks it (English, Albanian, Serbian in either script) and in English otherwise: a
/// reader subscribed to the Albanian feed reads "lajme në shqip", not "news in Albanian".
struct FeedWords {
    /// English for a language Tributary does not speak.
    speaks: Locale,
    /// The language as its speakers name it ("shqip", "српски (ћирилица)"), or its English
    /// name for a language Tributary does not speak.
    language: String,
    /// "in" it: "në shqip", "na srpskom (latinica)".
    in_language: String,
}

impl FeedWords {
    fn of(tag: &str) -> FeedWords {
        // A script written in the tag (`sr-Latn`): the language is named with it.
        let script = tag.split(['-', '_']).nth(1).is_some_and(|s| s.len() == 4);
        let (speaks, language, in_language) = match Locale::parse(tag) {
            Some(Locale::Sq) => (Locale::Sq, "shqip", "në shqip"),
            Some(Locale::SrCyrl) => (Locale::SrCyrl, "српски (ћирилица)", "на српском (ћирилица)"),
            Some(Locale::SrLatn) if script => {
                (Locale::SrLatn, "srpski (latinica)", "na srpskom (latinica)")
            }
            // Both scripts; in the Latin one, as the topic's title in `sr` is.
            Some(Locale::SrLatn) => (Locale::SrLatn, "srpski", "na srpskom"),
            Some(Locale::En) | None => {
                let name = language_name(tag);
                let in_language = format!("in {name}");
                return FeedWords {
                    speaks: Locale::En,
                    language: name,
                    in_language,
                };
            }
        };
        FeedWords {
            speaks,
            language: language.to_string(),
            in_language: in_language.to_string(),
        }
    }

    /// Whether it speaks other than English.
    fn localized(&self) -> bool {
        self.speaks != Locale::En
    }

    /// "news in Albanian", in the language.
    fn news_in(&self) -> String {
        let news = match self.speaks {
            Locale::En => "news",
            Locale::Sq => "lajme",
            Locale::SrLatn => "vesti",
            Locale::SrCyrl => "вести",
        };
        format!("{news} {}", self.in_language)
    }

    /// "News in Albanian, from every source", or "News about the dialogue in Albanian, …".
    fn description(&self, topic: Option<&str>) -> String {
        let within = &self.in_language;
        match (self.speaks, topic) {
            (Locale::En, None) => format!("News {within}, from every source"),
            (Locale::En, Some(t)) => format!("News about {t} {within}, from every source"),
            (Locale::Sq, None) => format!("Lajme {within}, nga të gjitha burimet"),
            (Locale::Sq, Some(t)) => {
                format!("Lajme për temën „{t}“ {within}, nga të gjitha burimet")
            }
            (Locale::SrLatn, None) => format!("Vesti {within}, iz svih izvora"),
            (Locale::SrLatn, Some(t)) => {
                format!("Vesti o temi „{t}“ {within}, iz svih izvora")
            }
            (Locale::SrCyrl, None) => format!("Вести {within}, из свих извора"),
            (Locale::SrCyrl, Some(t)) => {
                format!("Вести о теми „{t}“ {within}, из свих извора")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_named_with_their_script() {
        assert_eq!(language_name("sq"), "Albanian");
        assert_eq!(language_name("sr-Cyrl"), "Serbian (Cyrillic)");
        assert_eq!(language_name("sr-latn"), "Serbian (Latin)");
        assert_eq!(language_name("en-GB"), "English (en-GB)");
        assert_eq!(language_name("xx"), "xx");
    }

    #[test]
    fn a_feed_in_one_language_speaks_it_when_tributary_does() {
        let words = |tag: &str, topic: Option<&str>| {
            let w = FeedWords::of(tag);
            (w.news_in(), w.language.clone(), w.description(topic))
        };
        assert_eq!(
            words("sq", Some("Dialogu Kosovë–Serbi")),
            (
                "lajme në shqip".into(),
                "shqip".into(),
                "Lajme për temën „Dialogu Kosovë–Serbi“ në shqip, nga të gjitha burimet".into()
            )
        );
        assert_eq!(
            words("sr-Cyrl", None),
            (
                "вести на српском (ћирилица)".into(),
                "српски (ћирилица)".into(),
                "Вести на српском (ћирилица), из свих извора".into()
            )
        );
        assert_eq!(
            words("SR-latn-RS", Some("Kultura")).2,
            "Vesti o temi „Kultura“ na srpskom (latinica), iz svih izvora"
        );
        assert_eq!(words("sr", None).0, "vesti na srpskom");
        assert_eq!(words("sq-XK", None).1, "shqip");
        // English, and what Tributary does not speak, in English.
        assert_eq!(
            words("en", Some("Culture")).2,
            "News about Culture in English, from every source"
        );
        assert_eq!(
            words("mk", None),
            (
                "news in Macedonian".into(),
                "Macedonian".into(),
                "News in Macedonian, from every source".into()
            )
        );
    }
}
