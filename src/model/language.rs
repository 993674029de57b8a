//! Language tags and the ranges that select them.

/// Whether the language tag `tag` falls under the language range `range` (RFC 4647 basic
/// filtering, case-insensitive): `sr` covers `sr`, `sr-Latn` and `sr-Cyrl`; `sr-Cyrl` covers
/// `sr-Cyrl` and `sr-Cyrl-RS` but not `sr-Latn`.
pub fn language_matches(tag: &str, range: &str) -> bool {
    tag.len() >= range.len()
        && tag.as_bytes()[..range.len()].eq_ignore_ascii_case(range.as_bytes())
        && (tag.len() == range.len() || tag.as_bytes()[range.len()] == b'-')
}

#[cfg(test)]
mod tests {
    use super::language_matches;

    #[test]
    fn a_range_covers_its_tag_and_longer_tags_at_a_subtag_boundary() {
        assert!(language_matches("sr", "sr"));
        assert!(language_matches("sr-Latn", "sr"));
        assert!(language_matches("SR-cyrl", "sr-Cyrl"));
        assert!(language_matches("sr-Cyrl-RS", "sr-Cyrl"));
        assert!(!language_matches("sr-Latn", "sr-Cyrl"));
        assert!(!language_matches("sq", "sr"));
        assert!(!language_matches("srp", "sr"));
        assert!(!language_matches("sr", "sr-Latn"));
    }
}
