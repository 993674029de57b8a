//! Unit tests of `config::error`: serde's messages in words and with URLs masked, and
//! problems located by line, column and table.

use super::*;

#[test]
fn type_names_are_said_in_words() {
    assert_eq!(
        plain_types(r#"invalid type: string "many", expected i64"#),
        r#"invalid type: string "many", expected an integer"#
    );
    assert_eq!(
        plain_types("invalid type: boolean `true`, expected f64"),
        "invalid type: boolean `true`, expected a number"
    );
    assert_eq!(plain_types("expected i640"), "expected i640");
}

#[test]
fn quoted_values_are_masked_as_urls() {
    assert_eq!(
        quoted_urls_masked(
            r#"invalid type: string "smtp://u:PW@h?api_key=K", expected an integer"#
        ),
        r#"invalid type: string "smtp://u:hidden@h?api_key=hidden", expected an integer"#
    );
    assert_eq!(
        quoted_urls_masked(r#"a "say \"hi\" to https://u:PW@h" b "c" d "unclosed"#),
        r#"a "say \"hi\" to https://u:hidden@h" b "c" d "unclosed"#
    );
    assert_eq!(quoted_urls_masked("no quotes"), "no quotes");
}

#[test]
fn locates_line_and_column() {
    let text = "a = 1\n[fetch]\ntimeout = \"x\"\n";
    let loc = Locator::new(Path::new("c.toml"), text);
    let offset = text.find("\"x\"").unwrap();
    let p = loc.problem(offset, "fetch.timeout", "bad");
    assert_eq!((p.line, p.column), (3, 11));
    assert_eq!(p.to_string(), "c.toml:3:11: fetch.timeout: bad");
}

#[test]
fn names_array_tables_by_index() {
    let text = "[[sources]]\nid = \"a\"\n[[sources]]\nid = \"b\"\n[store]\npath = \"x\"\n";
    let loc = Locator::new(Path::new("c.toml"), text);
    assert_eq!(loc.table_at(text.find("\"a\"").unwrap()), "sources[0]");
    assert_eq!(loc.table_at(text.find("\"b\"").unwrap()), "sources[1]");
    assert_eq!(loc.table_at(text.find("\"x\"").unwrap()), "store");
}

#[test]
fn names_a_sub_table_of_an_array_table_by_its_element() {
    let text = "[[sources]]\nid = \"a\"\n[[sources]]\nid = \"b\"\n[sources.filter]\nblock = [\"x\"]\n[sourcesx]\ny = 1\n";
    let loc = Locator::new(Path::new("c.toml"), text);
    assert_eq!(
        loc.table_at(text.find("\"x\"").unwrap()),
        "sources[1].filter"
    );
    assert_eq!(loc.table_at(text.find("y = 1").unwrap()), "sourcesx");
}
