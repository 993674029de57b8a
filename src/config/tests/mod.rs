//! Unit tests of config validation, one file per subject. The sample config they all edit
//! ([`GOOD`]) and the helpers that load text as if from `/etc/tributary/t.toml` are here.

use std::path::Path;

use super::{Config, ConfigError, Problem};

mod fetch;
mod loading;
mod mail;
mod rules;
mod server;
mod sources;

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_str(text, Path::new("/etc/tributary/t.toml"))
}

fn problems(text: &str) -> Vec<Problem> {
    match load(text) {
        Err(ConfigError::Invalid { problems }) => problems,
        other => panic!("expected invalid config, got {other:?}"),
    }
}

const GOOD: &str = r#"
[store]
path = "/var/lib/tributary"
cache_capacity = "32MiB"

[fetch]
timeout = "15s"
interval = "45m"

[[sources]]
id = "bprg"
title = "Balkans Policy Research Group"
url = "https://balkansgroup.org/en/feed/"
kind = "organization"
lang = "en"
interval = "15m"
topics = ["dialogue"]

[[sources]]
id = "local-script"
title = "Feed written by a script"
url = "feeds/out.xml"
kind = "partner"
cron = "0 */2 * * *"

[topics.dialogue]
title = "Kosovo–Serbia dialogue"
threshold = 2
terms = { "dijalog*" = 2, "brussels agreement" = 3 }
"#;
