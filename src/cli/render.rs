//! `tributary render`: one republished feed (or its web page) on stdout, as the daemon serves
//! it, or which topic, language or source is unknown.

use std::io::Write;
use std::process::ExitCode;

use super::RenderArgs;
use crate::app::App;
use crate::config::Config;

pub(super) fn render(mut config: Config, args: &RenderArgs) -> anyhow::Result<ExitCode> {
    use crate::server::feeds::{FeedSet, Scope};
    if let Some(listen) = args.listen {
        config.server = config.server.with_listen(listen);
    }
    let format: crate::publish::Format = args
        .format
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown format {}", args.format))?;
    let language = |l: &String| config.language(l).unwrap_or_else(|| l.clone());
    let scope = match (&args.topic, &args.source, &args.language) {
        (Some(t), _, Some(l)) => Scope::TopicLanguage(t.clone(), language(l)),
        (Some(t), _, None) => Scope::Topic(t.clone()),
        (None, Some(s), _) => Scope::Source(s.clone()),
        (None, None, Some(l)) => Scope::Language(language(l)),
        (None, None, None) => Scope::All,
    };
    let app = App::open_existing(config)?;
    match FeedSet::render_one(&app.store, &app.config, &scope, format)? {
        Some(doc) => {
            std::io::stdout().lock().write_all(&doc.body)?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let config = &app.config;
            let topics = || config.classifier.topics().map(str::to_string).collect();
            let (what, known): (String, Vec<String>) = match &scope {
                Scope::Topic(t) => (format!("topic {t:?}"), topics()),
                Scope::TopicLanguage(t, _) if config.classifier.title(t).is_none() => {
                    (format!("topic {t:?}"), topics())
                }
                Scope::Language(l) | Scope::TopicLanguage(_, l) => {
                    (format!("language {l:?}"), config.languages())
                }
                Scope::Source(s) => (
                    format!("source {s:?}"),
                    config.sources.iter().map(|s| s.id.clone()).collect(),
                ),
                Scope::All => ("feed".to_string(), vec![]),
            };
            eprintln!("unknown {what}; configured: {}", known.join(", "));
            Ok(ExitCode::from(2))
        }
    }
}
