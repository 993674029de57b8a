//! `[mail]`, `[mail.smtp]` and `[[digests]]`.

use std::path::PathBuf;

use super::{load, problems, GOOD};

#[test]
fn digests_are_validated() {
    let good = format!(
        "{GOOD}\n[mail]\noutbox = \"out\"\n\n[[digests]]\nname = \"daily\"\ntitle = \"Daily\"\ncron = \"0 7 * * *\"\ntime_zone = \"Europe/Belgrade\"\ntopics = [\"dialogue\"]\nfrom = \"Tributary <d@example.org>\"\nto = [\"list@example.org\"]\n"
    );
    let c = load(&good).unwrap();
    assert_eq!(c.mail.outbox, PathBuf::from("/etc/tributary/out"));
    let d = c.digest("daily").unwrap();
    assert_eq!(d.cron, "0 0 7 * * *");
    assert_eq!(d.time_zone, chrono_tz::Europe::Belgrade);
    assert!(d.languages.is_empty());
    assert_eq!(d.locale, crate::digest::Locale::En);
    let albanian = good.replace("from = ", "languages = [\"sq\"]\nfrom = ");
    let c = load(&albanian).unwrap();
    let d = c.digest("daily").unwrap();
    assert_eq!(d.languages, ["sq"]);
    // A digest of one language speaks it, unless it says otherwise.
    assert_eq!(d.locale, crate::digest::Locale::Sq);
    let in_english = albanian.replace("from = ", "locale = \"en\"\nfrom = ");
    let c = load(&in_english).unwrap();
    assert_eq!(c.digest("daily").unwrap().locale, crate::digest::Locale::En);
    let cyrillic = good.replace("from = ", "locale = \"sr-Cyrl\"\nfrom = ");
    let c = load(&cyrillic).unwrap();
    assert_eq!(
        c.digest("daily").unwrap().locale,
        crate::digest::Locale::SrCyrl
    );
    assert!(!d.bcc);
    let bcc = good.replace("from = ", "bcc = true\nfrom = ");
    assert!(load(&bcc).unwrap().digest("daily").unwrap().bcc);
    // Auto-Submitted follows `bcc` (people, not a list server) unless set.
    assert!(!d.auto_submitted);
    assert!(load(&bcc).unwrap().digest("daily").unwrap().auto_submitted);
    let quiet = good.replace("from = ", "bcc = true\nauto_submitted = false\nfrom = ");
    assert!(
        !load(&quiet)
            .unwrap()
            .digest("daily")
            .unwrap()
            .auto_submitted
    );
    let asked = good.replace("from = ", "auto_submitted = true\nfrom = ");
    assert!(
        load(&asked)
            .unwrap()
            .digest("daily")
            .unwrap()
            .auto_submitted
    );
    let limited = good.replace("from = ", "max_stories = 40\nfrom = ");
    assert_eq!(
        load(&limited).unwrap().digest("daily").unwrap().max_stories,
        Some(40)
    );
    let none = good.replace("from = ", "max_stories = 0\nfrom = ");
    assert_eq!(problems(&none)[0].key, "digests[0].max_stories");
    // Sent by the daemon: only through a relay.
    let sent = good.replace("from = ", "send = true\nfrom = ");
    let found = problems(&sent);
    assert_eq!(
        (found[0].key.as_str(), found[0].line),
        ("digests[0].send", 40),
        "{found:?}"
    );
    assert!(
        found[0].message.contains("no [mail.smtp] relay"),
        "{found:?}"
    );
    let relay = format!("{sent}\n[mail.smtp]\nhost = \"smtp.example.org\"\n");
    assert!(load(&relay).unwrap().digest("daily").unwrap().send);
    let kept = good.replace("from = ", "send = false\nfrom = ");
    assert!(!load(&kept).unwrap().digest("daily").unwrap().send);
    let german = good.replace("from = ", "locale = \"de\"\nfrom = ");
    let found = problems(&german);
    assert_eq!(found[0].key, "digests[0].locale", "{found:?}");
    assert!(
        found[0]
            .message
            .contains("digests speak en, sq, sr-Latn, sr-Cyrl"),
        "{found:?}"
    );
    let bad = good
        .replace("Europe/Belgrade", "Europe/Novi_Sad")
        .replace(
            "topics = [\"dialogue\"]\nfrom",
            "topics = [\"sport\"]\nfrom",
        )
        .replace("list@example.org", "not a mailbox")
        .replace("from = ", "languages = [\"albanian\"]\nfrom = ");
    let keys: Vec<String> = problems(&bad).into_iter().map(|p| p.key).collect();
    assert_eq!(
        keys,
        [
            "digests[0].time_zone",
            "digests[0].topics[0]",
            "digests[0].languages[0]",
            "digests[0].to[0]"
        ]
    );
    // The message's own checks are reported at their keys, with the others.
    let headers = good
        .replace(
            "from = ",
            "list_id = \"daily\"\nunsubscribe_mailto = \"nobody\"\nfrom = ",
        )
        .replace("Europe/Belgrade", "Europe/Novi_Sad");
    let found = problems(&headers);
    let keys: Vec<(&str, usize)> = found.iter().map(|p| (p.key.as_str(), p.line)).collect();
    assert_eq!(
        keys,
        [
            ("digests[0].time_zone", 38),
            ("digests[0].list_id", 40),
            ("digests[0].unsubscribe_mailto", 41)
        ],
        "{found:?}"
    );
    assert!(found[1].message.contains("dotted name"), "{found:?}");
    // A mailbox lettre reads but a header could not carry as written.
    let unclosed = good.replace("Tributary <d@example.org>", "Tributary <d@example.org> x");
    let found = problems(&unclosed);
    assert_eq!(found[0].key, "digests[0].from", "{found:?}");
    // Six fields with seconds other than 0: the daemon checks digests on whole minutes.
    let seconds = good.replace("cron = \"0 7 * * *\"", "cron = \"30 0 7 * * *\"");
    let found = problems(&seconds);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "digests[0].cron");
    assert!(
        found[0].message.contains("second other than 0"),
        "{found:?}"
    );
    let on_the_minute = good.replace("cron = \"0 7 * * *\"", "cron = \"0 0 7 * * *\"");
    assert!(load(&on_the_minute).is_ok());
    let nickname = good.replace("cron = \"0 7 * * *\"", "cron = \"@daily\"");
    assert!(load(&nickname).is_ok());
}

#[test]
fn the_smtp_password_has_no_key_in_the_file_only_an_environment_variable() {
    let smtp = "\n[mail.smtp]\nhost = \"smtp.example.org\"\nusername = \"tributary\"\n";
    let c = load(&format!("{GOOD}{smtp}")).unwrap();
    let relay = c.mail.smtp.as_ref().unwrap();
    assert_eq!(relay.password_env, "TRIBUTARY_SMTP_PASSWORD");
    let p = &problems(&format!("{GOOD}{smtp}password = \"s3cret\"\n"))[0];
    assert_eq!(p.key, "mail.smtp.password");
    assert!(p.message.contains("unknown field"), "{p}");
}

#[test]
fn a_relay_login_is_never_sent_in_clear_off_this_host() {
    let smtp = |host: &str, security: &str| {
        format!(
            "[mail.smtp]\nhost = \"{host}\"\nsecurity = \"{security}\"\nusername = \"digests\"\n"
        )
    };
    let p = &problems(&smtp("smtp.example.org", "none"))[0];
    assert_eq!(p.key, "mail.smtp.security");
    assert_eq!(p.line, 3);
    assert!(
        p.message.contains("in clear to smtp.example.org"),
        "{}",
        p.message
    );
    for (host, security) in [
        ("smtp.example.org", "starttls"),
        ("smtp.example.org", "tls"),
        ("127.0.0.1", "none"),
        ("localhost", "none"),
        ("[::1]", "none"),
    ] {
        assert!(load(&smtp(host, security)).is_ok(), "{host} {security}");
    }
    // Without a login there is nothing to give away.
    assert!(load("[mail.smtp]\nhost = \"smtp.example.org\"\nsecurity = \"none\"\n").is_ok());
}
