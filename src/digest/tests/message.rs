//! The message: stable bytes, the headers list managers and mail clients look for, and what
//! Python's `email` package (a strict, independent reader) makes of it.

use std::io::Write as _;
use std::process::{Command, Stdio};

use super::{digest, digest_of, spec};
use crate::digest::{
    message, message_id, subject, with_recipients, Digest, DigestError, DigestSpec, Templates,
};

const DOMAIN: &str = "news.example.org";

/// Parses a message from stdin with the modern policy and prints what a client would see.
const READ_WITH_PYTHON: &str = r#"
import email, email.policy, json, sys
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
def defects(p):
    return [type(d).__name__ for d in p.defects]
print(json.dumps({
    "content_type": m.get_content_type(),
    "headers": {k: str(v) for k, v in m.items()},
    "from_name": m["From"].addresses[0].display_name,
    "from_address": m["From"].addresses[0].addr_spec,
    "to": [a.addr_spec for a in m["To"].addresses],
    "defects": defects(m),
    "parts": [
        {
            "type": p.get_content_type(),
            "charset": p.get_content_charset(),
            "encoding": p.get("Content-Transfer-Encoding"),
            "body": p.get_content(),
            "defects": defects(p),
        }
        for p in m.iter_parts()
    ],
}, ensure_ascii=False))
"#;

/// What Python's `email` package reads from `bytes`; `None` (with a notice) without python3.
fn read_with_python(bytes: &[u8]) -> Option<serde_json::Value> {
    let spawned = Command::new("python3")
        .args(["-c", READ_WITH_PYTHON])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            eprintln!("notice: python3 is not available ({e}); skipping the check with Python's email package");
            return None;
        }
    };
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(bytes)
        .expect("python3 reads the message");
    let out = child.wait_with_output().expect("python3 runs");
    assert!(
        out.status.success(),
        "python3 could not read the message: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("the script prints JSON"))
}

/// A spec whose title and sender are not ASCII: Albanian and Serbian Cyrillic.
fn spec_in_local_languages() -> DigestSpec {
    DigestSpec {
        title: "Partnerët e Ballkanit — дневни преглед вести".into(),
        to: vec![
            "Партнери <partners@lists.example.org>".into(),
            "\"Ops, Tributary\" <ops@example.org>".into(),
        ],
        ..spec()
    }
}

fn parts(d: &Digest) -> (String, String) {
    let t = Templates::new(None).unwrap();
    (t.html(d).unwrap(), t.text(d).unwrap())
}

fn eml(spec: &DigestSpec, d: &Digest) -> Vec<u8> {
    let (html, text) = parts(d);
    message(spec, d, &html, &text, DOMAIN)
}

fn header<'a>(bytes: &'a str, name: &str) -> Option<&'a str> {
    let head = bytes.split("\r\n\r\n").next().unwrap_or("");
    head.split("\r\n")
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
}

#[test]
fn the_subject_names_title_period_and_count() {
    assert_eq!(
        subject(&spec(), &digest()),
        "Balkan partners: daily digest — 27 Nov 2026 — 5 stories"
    );
}

#[test]
fn the_message_id_comes_from_name_period_and_domain() {
    let d = digest();
    assert_eq!(
        message_id(&d, DOMAIN),
        "digest.daily.20261126T060000Z-20261127T060000Z@news.example.org"
    );
    let odd = Digest {
        name: "weekly digest/è".into(),
        ..d
    };
    assert_eq!(
        message_id(&odd, "bad domain"),
        "digest.weekly-digest--.20261126T060000Z-20261127T060000Z@bad-domain"
    );
}

#[test]
fn the_same_digest_gives_the_same_bytes() {
    assert_eq!(eml(&spec(), &digest()), eml(&spec(), &digest()));
}

#[test]
fn headers_are_written_from_the_period_and_spec() {
    let bytes = eml(&spec(), &digest());
    assert!(bytes.is_ascii(), "every non-ASCII byte is encoded");
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.split("\r\n").all(|line| line.len() <= 998),
        "no line beyond RFC 5322's limit"
    );
    assert!(!text.replace("\r\n", "").contains('\n'), "CRLF only");
    assert_eq!(
        header(&text, "Message-ID"),
        Some("<digest.daily.20261126T060000Z-20261127T060000Z@news.example.org>")
    );
    assert_eq!(
        header(&text, "Date"),
        Some("Fri, 27 Nov 2026 06:00:00 +0000")
    );
    assert_eq!(
        header(&text, "List-Id"),
        Some("<daily.tributary.example.org>")
    );
    assert_eq!(
        header(&text, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(header(&text, "MIME-Version"), Some("1.0"));
    // Posted to a list address: a list server such as Sympa drops an auto-submitted post.
    assert_eq!(header(&text, "Auto-Submitted"), None);
    assert!(header(&text, "Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));
}

#[test]
fn auto_submitted_only_when_asked() {
    let spec = DigestSpec {
        auto_submitted: true,
        ..spec()
    };
    let text = String::from_utf8(eml(&spec, &digest())).unwrap();
    assert_eq!(header(&text, "Auto-Submitted"), Some("auto-generated"));
}

#[test]
fn no_unsubscribe_post_without_a_url() {
    let spec = DigestSpec {
        unsubscribe_url: None,
        list_id: None,
        ..spec()
    };
    let text = String::from_utf8(eml(&spec, &digest())).unwrap();
    assert_eq!(header(&text, "List-Unsubscribe-Post"), None);
    assert_eq!(header(&text, "List-Id"), None);
    assert_eq!(
        header(&text, "List-Unsubscribe"),
        Some("<mailto:unsubscribe-daily@example.org>")
    );
}

/// One-click unsubscribing needs an HTTPS URL (RFC 8058, 3.1): a plain http one is listed
/// as a link, without the one-click header.
#[test]
fn one_click_only_with_an_https_url() {
    let spec = DigestSpec {
        unsubscribe_url: Some("http://news.example.org/unsubscribe".into()),
        unsubscribe_mailto: None,
        ..spec()
    };
    let text = String::from_utf8(eml(&spec, &digest())).unwrap();
    assert_eq!(header(&text, "List-Unsubscribe-Post"), None);
    assert_eq!(
        header(&text, "List-Unsubscribe"),
        Some("<http://news.example.org/unsubscribe>")
    );
}

#[test]
fn python_reads_a_multipart_alternative_utf8_message() {
    let spec = spec_in_local_languages();
    let d = digest_of(&spec, &super::items());
    let (html, text) = parts(&d);
    let Some(m) = read_with_python(&message(&spec, &d, &html, &text, DOMAIN)) else {
        return;
    };
    assert_eq!(m["defects"], serde_json::json!([]), "{m:#}");
    assert_eq!(m["content_type"], "multipart/alternative");
    let parts = m["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["type"], "text/plain");
    assert_eq!(parts[1]["type"], "text/html");
    for p in parts {
        assert_eq!(p["charset"], "utf-8");
        assert_eq!(p["defects"], serde_json::json!([]));
        // Canonical text (RFC 2046, 4.1.1) whatever the transfer encoding: no bare LF.
        let body = p["body"].as_str().unwrap();
        assert_eq!(
            body.matches('\n').count(),
            body.matches("\r\n").count(),
            "{} in {}",
            p["type"],
            p["encoding"]
        );
    }
    let body = |i: usize| parts[i]["body"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(body(0), text);
    assert_eq!(body(1), html);

    let headers = &m["headers"];
    assert_eq!(headers["Subject"], subject(&spec, &d));
    assert_eq!(
        headers["Subject"],
        "Partnerët e Ballkanit — дневни преглед вести — 27 Nov 2026 — 5 stories"
    );
    assert_eq!(m["from_name"], "Трибутари Београд");
    assert_eq!(m["from_address"], "digest@example.org");
    assert_eq!(
        m["to"],
        serde_json::json!(["partners@lists.example.org", "ops@example.org"])
    );
    assert_eq!(headers["List-Id"], "<daily.tributary.example.org>");
    assert_eq!(
        headers["List-Unsubscribe"],
        "<https://news.example.org/digest/daily/unsubscribe?u=1&x=2>, <mailto:unsubscribe-daily@example.org>"
    );
    assert_eq!(
        headers["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
    assert_eq!(
        headers["Message-ID"],
        "<digest.daily.20261126T060000Z-20261127T060000Z@news.example.org>"
    );
    assert_eq!(headers["MIME-Version"], "1.0");
}

#[test]
fn an_empty_digest_still_makes_a_message() {
    let d = digest_of(&spec(), &[]);
    assert_eq!(
        subject(&spec(), &d),
        "Balkan partners: daily digest — 27 Nov 2026 — no stories"
    );
    let bytes = eml(&spec(), &d);
    let Some(m) = read_with_python(&bytes) else {
        return;
    };
    assert_eq!(m["content_type"], "multipart/alternative");
    assert_eq!(
        m["headers"]["Subject"],
        "Balkan partners: daily digest — 27 Nov 2026 — no stories"
    );
}

#[test]
fn a_good_spec_validates() {
    spec().validate().unwrap();
    spec_in_local_languages().validate().unwrap();
    DigestSpec {
        from: "digest@example.org".into(),
        unsubscribe_mailto: Some("mailto:leave@example.org?subject=unsubscribe".into()),
        ..spec()
    }
    .validate()
    .unwrap();
}

#[test]
fn a_bad_spec_names_the_field() {
    let cases: Vec<(DigestSpec, &str)> = vec![
        (
            DigestSpec {
                name: "daily digest".into(),
                ..spec()
            },
            "name",
        ),
        (
            DigestSpec {
                from: "Tributary digest@example.org".into(),
                ..spec()
            },
            "from",
        ),
        (
            DigestSpec {
                from: "Tributary <digest@example.org".into(),
                ..spec()
            },
            "from",
        ),
        (
            DigestSpec {
                to: Vec::new(),
                ..spec()
            },
            "to",
        ),
        (
            DigestSpec {
                to: vec!["ops@example.org".into(), "nobody".into()],
                ..spec()
            },
            "to",
        ),
        (
            DigestSpec {
                list_id: Some("<daily list>".into()),
                ..spec()
            },
            "list_id",
        ),
        (
            DigestSpec {
                unsubscribe_url: Some("javascript:void(0)".into()),
                ..spec()
            },
            "unsubscribe_url",
        ),
        (
            DigestSpec {
                unsubscribe_mailto: Some("not an address".into()),
                ..spec()
            },
            "unsubscribe_mailto",
        ),
    ];
    for (spec, field) in cases {
        match spec.validate() {
            Err(DigestError::Spec { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected a {field} error, got {other:?}"),
        }
    }
}

// A digest sent after the config's recipients changed (it waited for the relay) carries
// the To header the config writes now: the message is the one built for them.
#[test]
fn a_digest_built_before_takes_the_recipients_the_config_names_now() {
    let d = digest();
    let before = spec_in_local_languages();
    let built = String::from_utf8(eml(&before, &d)).unwrap();
    assert_eq!(with_recipients(&built, &before), None);
    let many: Vec<String> = (0..12)
        .map(|i| format!("Примач {i} <reader{i}@example.org>"))
        .collect();
    for now in [
        DigestSpec {
            bcc: true,
            ..before.clone()
        },
        DigestSpec {
            to: vec!["fixed@lists.example.org".into()],
            ..before.clone()
        },
        DigestSpec {
            to: many,
            ..before.clone()
        },
    ] {
        let expected = String::from_utf8(eml(&now, &d)).unwrap();
        let mended = with_recipients(&built, &now).unwrap();
        assert_eq!(mended, expected);
        assert_eq!(with_recipients(&mended, &now), None);
        // And back.
        assert_eq!(with_recipients(&mended, &before).unwrap(), built);
    }
    // A message built without recipients gains the header.
    let none = DigestSpec {
        to: Vec::new(),
        ..before.clone()
    };
    let bare = String::from_utf8(eml(&none, &d)).unwrap();
    assert_eq!(header(&bare, "To"), None);
    let mended = with_recipients(&bare, &before).unwrap();
    assert_eq!(header(&mended, "To"), header(&built, "To"));
    assert!(mended.ends_with(&built[built.find("\r\n\r\n").unwrap()..]));
}

#[test]
fn a_bcc_digest_names_no_recipient_in_the_message() {
    let mut spec = spec_in_local_languages();
    spec.bcc = true;
    let d = digest();
    let bytes = eml(&spec, &d);
    let text = String::from_utf8_lossy(&bytes);
    // An empty group (RFC 5322 3.4), its name quoted as mail-builder writes it.
    assert_eq!(header(&text, "To"), Some("\"undisclosed-recipients\":;"));
    assert!(!text.contains("partners@lists.example.org"), "{text}");
    assert!(!text.contains("ops@example.org"), "{text}");
    if let Some(read) = read_with_python(&bytes) {
        assert_eq!(read["to"], serde_json::json!([]), "{read}");
        assert_eq!(read["defects"], serde_json::json!([]), "{read}");
    }
}
