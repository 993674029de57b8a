//! The command line as ops meet it: help with examples and exit codes for every command, and
//! the exit codes themselves (0 ok, 1 partial failure or runtime error, 2 usage or config).

mod common;

use common::{setup, src};

const COMMANDS: &[&str] = &[
    "check",
    "fetch",
    "items",
    "sources",
    "classify",
    "run",
    "render",
    "digest",
    "export",
    "import",
    "prune",
    "reclassify",
];

fn bin() -> assert_cmd::Command {
    assert_cmd::Command::from_std(common::binary())
}

#[test]
fn every_command_has_help_with_examples_and_exit_codes() {
    let top = bin().arg("--help").output().unwrap();
    assert!(top.status.success());
    let top = String::from_utf8(top.stdout).unwrap();
    assert!(top.contains("Exit codes:"), "{top}");
    for command in COMMANDS {
        assert!(top.contains(command), "{command} not listed in {top}");
        let out = bin().args([command, "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{command} --help");
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(
            help.contains("Example"),
            "{command} --help has no example:\n{help}"
        );
        assert!(
            help.contains(&format!("tributary {command}"))
                || help.contains(&format!("{command}\n"))
                || help.contains(&format!(" {command}")),
            "{command} --help shows no use of it:\n{help}"
        );
        for code in [
            "0  ok",
            "1  runtime error",
            "2  usage or configuration error",
            "3  partial failure",
        ] {
            assert!(
                help.contains(code),
                "{command} --help lacks {code:?}:\n{help}"
            );
        }
    }
}

#[test]
fn usage_and_config_errors_exit_2() {
    bin().arg("frobnicate").assert().code(2);
    bin().args(["fetch", "--no-such-flag"]).assert().code(2);
    let missing = bin()
        .args(["--config", "/nonexistent/tributary.toml", "check"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/tributary.toml"));
    let s = setup(&[src("a", "https://a.example/feed".into())], "");
    s.cmd().args(["fetch", "--source", "nope"]).assert().code(2);
    s.cmd().args(["digest", "nope"]).assert().code(2);
}

/// A `TRIBUTARY_LISTEN` that `run` refuses, `check` refuses too; both name the variable, not
/// a `--listen` flag nobody gave.
#[test]
fn a_bad_listen_variable_is_refused_by_check_and_named_by_run() {
    let s = setup(&[], "");
    for args in [
        &["check", "--offline"][..],
        &["run"],
        &["render", "--format", "rss"],
        &["sources"],
    ] {
        let out = s
            .cmd()
            .args(args)
            .env("TRIBUTARY_LISTEN", "garbage")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("TRIBUTARY_LISTEN") && err.contains("garbage"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("--listen <ADDR>"), "{args:?}: {err}");
    }
    // The flag is named by the flag.
    let out = s
        .cmd()
        .args(["run", "--listen", "garbage"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("for '--listen <ADDR>'"), "{err}");
    // A good one passes.
    let out = s
        .cmd()
        .args(["check", "--offline"])
        .env("TRIBUTARY_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn check_refuses_what_fetch_and_run_would_refuse_naming_file_line_and_key() {
    // A newline in the User-Agent: the HTTP client could not be built.
    let s = setup(
        &[src("a", "https://a.example/feed".into())],
        "[fetch]\nuser_agent = \"Tributary\\nX-Injected: 1\"\n",
    );
    let want = format!("{}:2:", s.config.display());
    for args in [
        &["check", "--offline"][..],
        &["fetch"][..],
        &["run", "--listen", "127.0.0.1:0"][..],
    ] {
        let out = s.cmd().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains(&want) && err.contains("fetch.user_agent"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_store_in_use_is_a_runtime_error_exit_1() {
    let s = setup(&[], "");
    // Hold the store the way the daemon does.
    let config = tributary::config::Config::load(&s.config).unwrap();
    let store = tributary::store::Store::open(&config.store).unwrap();
    let out = s.cmd().args(["items"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("in use"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(store);
}

/// A story stored without a title (its entry had no title, text or link) is listed as
/// untitled on the terminal, and with an empty title in `--json`.
#[test]
fn items_lists_an_untitled_story_as_untitled() {
    let feed = r#"<rss version="2.0"><channel><title>P</title><item><guid isPermaLink="false">ep-7</guid><enclosure url="https://p.example/7.mp3" type="audio/mpeg" length="1"/></item></channel></rss>"#;
    let s = setup(&[src("local", "feed.xml".into())], "");
    std::fs::write(s.dir.path().join("feed.xml"), feed).unwrap();
    let (code, _) = s.fetch(&[]);
    assert_eq!(code, 0);
    let out = s.cmd().args(["items"]).output().unwrap();
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(
        listed.contains("local                 (untitled)"),
        "{listed}"
    );
    assert_eq!(s.items()[0]["title"], "");
}

#[test]
fn long_commands_draw_no_progress_bar_when_output_is_not_a_terminal() {
    let feed = r#"<rss version="2.0"><channel><title>P</title><item><title>One story here</title><guid>1</guid></item></channel></rss>"#;
    let s = setup(&[src("local", "feed.xml".into())], "");
    std::fs::write(s.dir.path().join("feed.xml"), feed).unwrap();
    let backup = s.dir.path().join("backup.jsonl");
    let fresh = s.dir.path().join("fresh");
    let runs: Vec<(&str, assert_cmd::Command)> = vec![
        ("fetch", {
            let mut c = s.cmd();
            c.arg("fetch");
            c
        }),
        ("reclassify", {
            let mut c = s.cmd();
            c.arg("reclassify");
            c
        }),
        ("export", {
            let mut c = s.cmd();
            c.arg("export").arg("--out").arg(&backup);
            c
        }),
        ("import", {
            let mut c = s.cmd();
            c.arg("--data-dir").arg(&fresh).arg("import").arg(&backup);
            c
        }),
    ];
    for (name, mut cmd) in runs {
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}");
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.contains('\r') && !text.contains('\u{1b}'),
                "{name} drew on a pipe: {text:?}"
            );
        }
    }
}

#[test]
fn reading_commands_need_a_store_and_items_says_what_its_filters_match() {
    let feed = r#"<rss version="2.0"><channel><title>P</title><language>sq</language><item><title>One story here</title><guid>1</guid></item></channel></rss>"#;
    let s = setup(&[src("local", "feed.xml".into())], "");
    std::fs::write(s.dir.path().join("feed.xml"), feed).unwrap();
    // Before the first fetch there is no store to read (a mistyped --data-dir would be the
    // same): said, not created.
    for command in [
        &["items"][..],
        &["sources"],
        &["render", "--format", "rss"],
        &["export"],
    ] {
        let out = s.cmd().args(command).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{command:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no store at"), "{command:?}: {err}");
    }
    assert!(s.cmd().arg("fetch").output().unwrap().status.success());
    let out = s
        .cmd()
        .args(["items", "--source", "local"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("One story here"));

    let out = s.cmd().args(["items", "--topic", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown topic \"nope\"; configured topics:"),
        "{err}"
    );

    let out = s.cmd().args(["items", "--lang", "de"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    // Said on stderr: stdout lists items alone (`| wc -l`).
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("no stored item matches language \"de\" (1 stored in all)"),
        "{said}"
    );
    // `--language`, as `render` spells it, is the same filter.
    let out = s
        .cmd()
        .args(["items", "--language", "sq"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("One story here"));
    let out = s.cmd().args(["items", "--lang", "sq"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("One story here"));
}

#[test]
fn render_takes_a_topic_in_one_language() {
    let feed = r#"<rss version="2.0"><channel><title>P</title>
<item><title>Dialogu vazhdon në Bruksel</title><guid>1</guid></item>
<item><title>Festivali i filmit në Prizren</title><guid>2</guid></item>
<item><title>Dialogue talks resume</title><guid>3</guid><dc:language xmlns:dc="http://purl.org/dc/elements/1.1/">en</dc:language></item>
</channel></rss>"#;
    let rules =
        "[topics.dialogue]\ntitle = \"Dialogue\"\nthreshold = 2\nterms = { \"dialog*\" = 2 }\n";
    let s = setup(&[src("local", "feed.xml".into())], rules);
    std::fs::write(s.dir.path().join("feed.xml"), feed).unwrap();
    // The source's language (its table is the last in the file).
    let text = std::fs::read_to_string(&s.config).unwrap() + "lang = \"sq\"\n";
    std::fs::write(&s.config, text).unwrap();
    assert!(s.cmd().arg("fetch").output().unwrap().status.success());
    let render = |args: &[&str]| {
        let out = s
            .cmd()
            .args(["render", "--format", "rss"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, rss, _) = render(&["--topic", "dialogue", "--language", "sq"]);
    assert_eq!(code, Some(0));
    assert!(rss.contains("Dialogu vazhdon"), "{rss}");
    assert!(
        !rss.contains("Festivali") && !rss.contains("talks resume"),
        "{rss}"
    );
    assert!(rss.contains("/feeds/topics/dialogue/sq.rss"), "{rss}");
    // Told where the daemon listens (as `run` is, or by TRIBUTARY_LISTEN), its links are the
    // daemon's.
    let (_, rss, _) = render(&["--topic", "dialogue", "--listen", "127.0.0.1:9181"]);
    assert!(
        rss.contains("http://127.0.0.1:9181/feeds/topics/dialogue.rss"),
        "{rss}"
    );
    // The whole topic still has both languages.
    let (_, rss, _) = render(&["--topic", "dialogue"]);
    assert!(
        rss.contains("Dialogu vazhdon") && rss.contains("talks resume"),
        "{rss}"
    );
    let (code, _, err) = render(&["--topic", "dialogue", "--language", "de"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("unknown language \"de\"; configured: sq"),
        "{err}"
    );
    let (code, _, err) = render(&["--topic", "sport", "--language", "sq"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("unknown topic \"sport\"; configured: dialogue"),
        "{err}"
    );
}

#[test]
fn a_failed_fetch_on_the_command_line_logs_its_source() {
    let server = common::FeedServer::start();
    let s = setup(&[src("gone", server.url("missing.xml"))], "");
    for format in ["pretty", "json"] {
        let out = s
            .cmd()
            .args(["--log-format", format, "fetch", "--force"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "a source failed: partial failure"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .find(|l| l.contains("fetch failed"))
            .unwrap_or_else(|| panic!("{err}"));
        assert!(
            line.contains("source=gone") || line.contains(r#""source":"gone""#),
            "{format}: {line}"
        );
    }
}

#[test]
fn check_warns_about_settings_that_defeat_themselves() {
    let s = setup(
        &[src("a", "https://a.example/feed".into())],
        "[fetch]\nbackoff_base = \"2h\"\nbackoff_max = \"1h\"\ntimeout = \"5s\"\nconnect_timeout = \"10s\"\n\
         proxy = \"http://proxy.internal:3128\"\nproxy_username = \"t\"\nproxy_password_env = \"TRIBUTARY_TEST_UNSET_PROXY\"\n\
         [mail]\noutbox = \"outbox\"\n[mail.smtp]\nhost = \"127.0.0.1\"\nusername = \"digests\"\npassword_env = \"TRIBUTARY_TEST_UNSET_SMTP\"\n\
         [[digests]]\nname = \"daily\"\ntitle = \"Daily\"\ncron = \"0 7 * * *\"\nsend = true\nfrom = \"d@example.org\"\nto = [\"l@example.org\"]\n\
         [[digests]]\nname = \"people\"\ntitle = \"People\"\ncron = \"0 7 * * *\"\nfrom = \"d@example.org\"\nto = [\"ana@example.org\", \"besa@example.org\"]\n",
    );
    let out = s
        .cmd()
        .args(["check", "--offline"])
        .env_remove("TRIBUTARY_TEST_UNSET_SMTP")
        .env_remove("TRIBUTARY_TEST_UNSET_PROXY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "warnings only");
    let said = String::from_utf8_lossy(&out.stderr);
    for warning in [
        "$TRIBUTARY_TEST_UNSET_SMTP (the relay's password) is not set here",
        "backoff_base (2h) is longer than backoff_max (1h)",
        "connect_timeout (10s) is longer than timeout (5s)",
        "$TRIBUTARY_TEST_UNSET_PROXY (the proxy's password) is not set here",
        "digest people: its 2 recipients are named in the To header",
    ] {
        assert!(said.contains(warning), "{warning} not in {said}");
    }
    // One address is a list's.
    assert!(!said.contains("digest daily: its"), "{said}");
}

/// A key in a source's URL, however its parameter is spelt (camelCase, run together, a
/// cloud's signed-URL names), is warned about by `check` and hidden wherever the URL is shown:
/// a fetch's error, `sources --json`.
#[test]
fn credentials_in_a_source_url_are_hidden_in_every_spelling() {
    let (_refusing, port) = common::refusing_port();
    let s = setup(
        &[src(
            "keyed",
            format!("http://127.0.0.1:{port}/feed?accessToken=SECRET1&apitoken=SECRET2&X-Amz-Signature=SECRET3&authkey=SECRET4&private_token=SECRET5&feedtoken=SECRET6&page=2&keyword=monkey"),
        )],
        "",
    );
    let out = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("source keyed: its URL carries a credential (accessToken, apitoken, X-Amz-Signature, authkey, private_token, feedtoken)"),
        "{said}"
    );
    let (code, reports) = s.fetch(&[]);
    assert_eq!(code, 3, "{reports:?}");
    let message = reports["keyed"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("accessToken=hidden"), "{message}");
    let out = s.cmd().args(["sources", "--json"]).output().unwrap();
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        listed.contains("?accessToken=hidden&apitoken=hidden&X-Amz-Signature=hidden&authkey=hidden&private_token=hidden&feedtoken=hidden&page=2&keyword=monkey"),
        "{listed}"
    );
    for shown in [&said.to_string(), &message, &listed] {
        assert!(!shown.contains("SECRET"), "{shown}");
    }
}

/// A config error that quotes a URL masks the password written in it, though the URL does
/// not parse.
#[test]
fn check_quotes_urls_without_their_passwords() {
    let s = setup(
        &[src(
            "a",
            "https://user:PASSW0RD@example.org:99999/feed".into(),
        )],
        "[fetch]\nproxy = \"http://user:PROXYSECRET@127.0.0.1:99999\"\n",
    );
    let out = s.cmd().args(["check", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    for quoted in [
        "sources[0].url: invalid URL \"https://user:hidden@example.org:99999/feed\": invalid port number",
        "fetch.proxy: invalid proxy URL \"http://user:hidden@127.0.0.1:99999\"",
    ] {
        assert!(said.contains(quoted), "{quoted} not in {said}");
    }
    assert!(
        !said.contains("PASSW0RD") && !said.contains("PROXYSECRET"),
        "{said}"
    );
}

/// `check` (not offline) looks the sources' hosts up for names that would resolve only to this
/// host or a private network, which fetches refuse; a URL that names this host itself
/// (`localhost`, an address) is local on purpose and fetched directly: no warning.
#[test]
fn check_does_not_warn_of_sources_local_on_purpose() {
    let s = setup(
        &[
            src("here", "http://localhost:9/feed.xml".into()),
            src("there", "http://127.0.0.1:9/feed.xml".into()),
        ],
        "",
    );
    let out = s.cmd().arg("check").output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(!said.contains("source here"), "{said}");
    assert!(!said.contains("source there"), "{said}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(": ok (2 sources, "), "{stdout}");
    // One of each is said so.
    let one = setup(&[src("here", "http://localhost:9/feed.xml".into())], "");
    let out = one.cmd().arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(": ok (1 source, "), "{stdout}");
    assert!(stdout.contains(" 0 digests, "), "{stdout}");
}

#[test]
fn output_to_a_reader_that_has_gone_is_dropped_and_the_command_finishes() {
    let feed = r#"<rss version="2.0"><channel><title>P</title><item><title>One story here</title><guid>1</guid></item><item><title>Another story there</title><guid>2</guid></item></channel></rss>"#;
    let s = setup(&[src("local", "feed.xml".into())], "");
    std::fs::write(s.dir.path().join("feed.xml"), feed).unwrap();
    // stdout is a pipe whose reading end is closed before the command writes (`| head -0`).
    let closed_pipe = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        std::process::Stdio::from(writer)
    };
    let run = |args: &[&str]| {
        let out = s
            .std_cmd()
            .args(args)
            .stdout(closed_pipe())
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    };
    run(&["fetch"]);
    // The fetch stored its stories although nothing it printed was read.
    let listed = s.cmd().arg("items").output().unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains("Another story there"));
    run(&["items"]);
    run(&["sources"]);
    // Output that cannot be written for another reason (a full disk) fails the command.
    for args in [&["items"][..], &["sources"], &["fetch", "--force"]] {
        let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
            break;
        };
        let out = s
            .std_cmd()
            .args(args)
            .stdout(full)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("No space left on device"), "{args:?}: {err}");
    }
}

#[test]
fn a_source_removed_from_the_config_is_named_by_its_feed_s_title_until_its_stories_go() {
    let feed = |title: &str, story: &str| {
        format!(
            r#"<rss version="2.0"><channel><title>{title}</title><link>https://{story}.example/</link>
<item><title>{story} story of the week</title><guid>{story}-1</guid><link>https://{story}.example/1</link></item>
</channel></rss>"#
        )
    };
    let digests = "[[digests]]\nname = \"daily\"\ntitle = \"Daily\"\ncron = \"0 7 * * *\"\n\
                   from = \"digest@digests.example.org\"\nto = [\"list@example.org\"]\n";
    let s = setup(
        &[
            src("retired", "retired.xml".into()),
            src("kept", "kept.xml".into()),
        ],
        digests,
    );
    std::fs::write(
        s.dir.path().join("retired.xml"),
        feed("Retired Institute", "retired"),
    )
    .unwrap();
    std::fs::write(s.dir.path().join("kept.xml"), feed("Kept Centre", "kept")).unwrap();
    assert!(s.cmd().arg("fetch").output().unwrap().status.success());
    // Ops remove the source; its stories stay stored until retention takes them.
    let config = std::fs::read_to_string(&s.config).unwrap();
    let cut = config.find("\n[[sources]]\nid = \"retired\"").unwrap();
    let rest = &config[cut + 1..];
    let next = rest[1..].find("[[sources]]").unwrap() + 1;
    std::fs::write(&s.config, format!("{}\n{}", &config[..cut], &rest[next..])).unwrap();

    let out = s
        .cmd()
        .args(["render", "--format", "rss"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let rss = String::from_utf8_lossy(&out.stdout);
    let story = &rss[rss.find("retired story of the week").unwrap()..];
    let story = &story[..story.find("</item>").unwrap()];
    // Its author is the title its feed last had, not its id; no `<source>` points to a feed
    // that is no longer served.
    assert!(
        story.contains("<dc:creator>Retired Institute</dc:creator>"),
        "{story}"
    );
    assert!(!story.contains("<source"), "{story}");
    // The configured source is still named by its configured title.
    assert!(
        rss.contains("<dc:creator>Source kept</dc:creator>"),
        "{rss}"
    );

    // A digest names it the same way.
    let out = s
        .cmd()
        .args(["digest", "daily", "--preview"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Retired Institute"), "{text}");
    assert!(
        !text.contains("retired,") && !text.contains("(retired)"),
        "{text}"
    );
}
