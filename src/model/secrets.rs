//! Credentials in URLs: which query parameters carry one, and a URL's text with its login
//! and those parameters' values hidden, for whatever is shown, published or logged.

use url::Url;

/// The names of `url`'s query parameters that carry a credential ([`is_secret_parameter`]),
/// whose values must not be published.
pub fn secret_parameters(url: &Url) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (name, _) in url.query_pairs() {
        if is_secret_parameter(&name) && !found.iter().any(|f| *f == name) {
            found.push(name.into_owned());
        }
    }
    found
}

/// Whether a query parameter named `name` carries a credential, whose value must not be
/// published (on the status page, in `/sources.json`, the OPML, logs and errors).
///
/// The name is read as words, in any letter case: split at anything but a letter (`_`, `-`,
/// `.`, a digit) and where a lowercase letter meets an uppercase one (`accessToken`,
/// `X-Amz-Signature`, `APIKey`). It carries one when
/// - its last word is `token`, `key`, `secret`, `password`, `passwd`, `pwd`, `pass`,
///   `signature`, `sig`, `auth`, `credential(s)`, `session`, `apikey` or `jwt` (`api_key`,
///   `private_token`, `X-Amz-Credential`, `X-Goog-Signature`, `sig`, `key`), or its last two
///   are `session id` (`session_id`; `PHPSESSID`, `jsessionid` run together);
/// - or its last word ends, run together, in one of them that no common word ends in:
///   `token`, `secret`, `password`, `passwd`, `pwd`, `signature`, `sig`, `auth`,
///   `credential(s)`, `apikey`, `jwt` (`apitoken`, `feedtoken`, `clientsecret`, `oauth`);
/// - or it ends in `key` run together after a word that says what the key opens: `api`,
///   `auth`, `access`, `secret`, `private`, `client`, `app`, `user`, `pass`… (`authkey`,
///   `accesskey`, `licensekey`).
///
/// So a name that only contains one of them (`keyword`, `tokens_count`, `signup`, `author`),
/// ends in `key` as common words do (`monkey`, `turkey`, `hockey`) or in `session` (`possession`)
/// is published as it is. So is `hash`, more often a content hash or a cache buster than a
/// login. Hiding a harmless value costs a reader little; publishing a key gives it away.
pub fn is_secret_parameter(name: &str) -> bool {
    /// A last word that is a credential.
    const WORDS: &[&str] = &[
        "token",
        "key",
        "secret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "signature",
        "sig",
        "auth",
        "credential",
        "credentials",
        "session",
        "apikey",
        "jwt",
    ];
    /// Endings of a last word that no common word has: one run together with what precedes
    /// it is still a credential.
    const ENDINGS: &[&str] = &[
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "signature",
        "sig",
        "auth",
        "credential",
        "credentials",
        "apikey",
        "jwt",
        "sessid",
        "sessionid",
    ];
    /// What a key run together after one of these opens (`authkey`; `monkey` is none).
    const KEY_KINDS: &[&str] = &[
        "api",
        "app",
        "access",
        "account",
        "auth",
        "client",
        "consumer",
        "dev",
        "developer",
        "feed",
        "licence",
        "license",
        "master",
        "pass",
        "private",
        "secret",
        "service",
        "session",
        "sign",
        "signing",
        "subscription",
        "user",
    ];
    let words = parameter_words(name);
    let Some(last) = words.last() else {
        return false;
    };
    let before = words.len().checked_sub(2).map(|i| words[i].as_str());
    WORDS.contains(&last.as_str())
        || (last == "id" && matches!(before, Some("session" | "sess")))
        || ENDINGS.iter().any(|e| last.ends_with(e))
        || last
            .strip_suffix("key")
            .is_some_and(|kind| KEY_KINDS.iter().any(|k| kind.ends_with(k)))
}

/// `text`, a URL as written, with the password of a login in it and the values of its
/// credential parameters ([`is_secret_parameter`]) replaced by `hidden`: what an error may
/// quote of a URL, which may not even parse (`https://user:pass@host:99999/`).
///
/// Read on the text, so that a URL the parser refuses is masked as well as one it takes: the
/// login is what stands before the last `@` of the part that follows the first `//` (or
/// `scheme:/`; the start, without either) up to the next `/`, `?` or `#` (past them to the
/// next `@` where a password holds one); its password is what
/// follows its first `:`. After a `//`, a login without a password is hidden whole (a token
/// written as the user name, `https://TOKEN@host/`); without one it is left
/// (`name@example.org` is an address).
pub fn redact_url_text(text: &str) -> String {
    // After `//`, or after `scheme:/` missing a slash (the parser takes `https:/host` too),
    // and any more slashes.
    let after_scheme = text.find(':').filter(|&colon| {
        let mut scheme = text[..colon].chars();
        scheme.next().is_some_and(|c| c.is_ascii_alphabetic())
            && scheme.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            && text[colon + 1..].starts_with(['/', '\\'])
    });
    let after_slashes = after_scheme
        .map(|colon| colon + 1)
        .or_else(|| text.find("//"));
    let (scheme, rest) = match after_slashes {
        Some(i) => {
            let slashes = text[i..].len() - text[i..].trim_start_matches(['/', '\\']).len();
            text.split_at(i + slashes)
        }
        None => ("", text),
    };
    let mut authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    // A password may hold `/`, `?` or `#` (base64 does), and the parser then refuses the URL:
    // `user:Xy9/Zk+Qw==@host`. Where what stands before the first of them is a name and
    // something not a port after a `:`, with no `@`, the login runs to the next `@` of the
    // word (a path of `host:8080/@team` keeps its host).
    let head = &rest[..authority_end];
    let not_a_port = head
        .split_once(':')
        .is_some_and(|(_, after)| !after.bytes().all(|b| b.is_ascii_digit()));
    if !head.contains('@') && not_a_port {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        if let Some(at) = rest[authority_end..word_end].find('@') {
            let at = authority_end + at;
            authority_end = rest[at..]
                .find(['/', '?', '#'])
                .map_or(rest.len(), |end| at + end);
        }
    }
    let (authority, tail) = rest.split_at(authority_end);
    let mut out = String::with_capacity(text.len());
    out.push_str(scheme);
    match authority.rfind('@') {
        Some(at) => {
            let (login, host) = authority.split_at(at);
            match login.split_once(':') {
                Some((user, _)) => {
                    out.push_str(user);
                    out.push_str(":hidden");
                }
                None if !scheme.is_empty() => out.push_str("hidden"),
                None => out.push_str(login),
            }
            out.push_str(host);
        }
        None => out.push_str(authority),
    }
    // The query, up to a fragment: each parameter as written, a credential's value hidden.
    let Some(q) = tail.find('?') else {
        out.push_str(tail);
        return out;
    };
    out.push_str(&tail[..=q]);
    let query = &tail[q + 1..];
    let (query, fragment) = query.split_at(query.find('#').unwrap_or(query.len()));
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let secret = url::form_urlencoded::parse(pair.as_bytes())
            .next()
            .is_some_and(|(name, _)| is_secret_parameter(&name));
        match pair.split_once('=') {
            Some((name, _)) if secret => {
                out.push_str(name);
                out.push_str("=hidden");
            }
            _ => out.push_str(pair),
        }
    }
    out.push_str(fragment);
    out
}

/// The words of a parameter name, lowercased: split at anything but an ASCII letter and
/// where case changes as in camelCase (`accessToken`, `APIKey` → `api`, `key`).
fn parameter_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphabetic() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        // `aT` (camelCase), or `PIK` in `APIKey` (an acronym followed by a word).
        let starts_word = c.is_ascii_uppercase()
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || (p.is_ascii_uppercase() && next.is_some_and(char::is_ascii_lowercase))
            });
        if starts_word && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_parameters_are_told_by_their_words_in_any_spelling() {
        for name in [
            "accessToken",
            "access_token",
            "ACCESS-TOKEN",
            "apitoken",
            "feedtoken",
            "private_token",
            "X-Amz-Signature",
            "X-Amz-Credential",
            "X-Amz-Security-Token",
            "X-Goog-Signature",
            "X-Goog-Credential",
            "authkey",
            "AuthKey",
            "api_key",
            "apiKey",
            "APIKey",
            "APIKEY",
            "x-api-key",
            "accesskey",
            "licensekey",
            "passkey",
            "key",
            "Key",
            "sig",
            "Sig",
            "urlSig",
            "signature",
            "secret",
            "client_secret",
            "clientsecret",
            "password",
            "userPassword",
            "passwd",
            "pwd",
            "pass",
            "auth",
            "oauth",
            "credentials",
            "session",
            "session_id",
            "sessionId",
            "PHPSESSID",
            "jsessionid",
            "token2",
        ] {
            assert!(is_secret_parameter(name), "{name} should be hidden");
        }
        for name in [
            "monkey",
            "turkey",
            "hockey",
            "keyword",
            "keywords",
            "tokens_count",
            "page",
            "sort",
            "signup",
            "author",
            "auth_type",
            "possession",
            "hash",
            "lang",
            "id",
            "key_id",
            "Key-Pair-Id",
            "X-Amz-Date",
            "X-Amz-SignedHeaders",
            "",
            "_",
        ] {
            assert!(!is_secret_parameter(name), "{name} should be shown");
        }
    }

    #[test]
    fn a_url_quoted_in_an_error_has_its_password_and_keys_hidden_even_unparsed() {
        for (written, quoted) in [
            (
                "https://user:PASSW0RD@example.org:99999/feed",
                "https://user:hidden@example.org:99999/feed",
            ),
            (
                "http://user:PROXYSECRET@127.0.0.1:99999",
                "http://user:hidden@127.0.0.1:99999",
            ),
            // A password holding `@` or `:`, and a scheme missing a slash or its colon.
            (
                "https://user:p@ss:w@example.org/f",
                "https://user:hidden@example.org/f",
            ),
            (
                "https:/user:PW@example.org:99999/f",
                "https:/user:hidden@example.org:99999/f",
            ),
            (
                "https//user:PW@example.org/f",
                "https//user:hidden@example.org/f",
            ),
            ("user:PW@example.org/f", "user:hidden@example.org/f"),
            // A password holding `/`, `?` or `#`, which the parser refuses.
            (
                "https://feeduser:Xy9/Zk+Qw==@example.org/feed",
                "https://feeduser:hidden@example.org/feed",
            ),
            (
                "http://user:SEC/RET@proxy.example:3128",
                "http://user:hidden@proxy.example:3128",
            ),
            (
                "mailer:Xy9/Zk?Q#w==@smtp.example.org",
                "mailer:hidden@smtp.example.org",
            ),
            (
                "http://127.0.0.1:8080/@team/feed",
                "http://127.0.0.1:8080/@team/feed",
            ),
            // A token as the user name.
            (
                "https://ghp_T0KEN@example.org:0x/f",
                "https://hidden@example.org:0x/f",
            ),
            // The query's credentials, and an `@` past the host that is no login.
            (
                "https://example.org:99999/@team/feed?lang=sq&accessToken=T0K&api%5Fkey=K#top",
                "https://example.org:99999/@team/feed?lang=sq&accessToken=hidden&api%5Fkey=hidden#top",
            ),
            ("example.org/feed?key=K&q", "example.org/feed?key=hidden&q"),
            // Nothing to hide.
            ("https://example.org/feed", "https://example.org/feed"),
            ("Desk <desk@example.org>", "Desk <desk@example.org>"),
            ("feeds/partner.xml", "feeds/partner.xml"),
            ("", ""),
        ] {
            assert_eq!(redact_url_text(written), quoted, "{written}");
        }
    }
}
