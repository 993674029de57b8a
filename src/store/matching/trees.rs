//! The `idents`, `links` and `titles` trees older schemas kept these indexes in: moved into
//! the log on upgrade, then dropped.

use super::map_key;
use super::rewrite::Chunks;
use crate::store::journal::{self, Index};
use crate::store::{Main, StoreError};

/// The trees that older schemas kept these indexes in.
const TREES: [(Index, &str); 3] = [
    (Index::Idents, "idents"),
    (Index::Links, "links"),
    (Index::Titles, "titles"),
];

/// Moves the `idents`, `links` and `titles` trees of a store of an older schema (with link
/// and title keys hashed, as here) into the log; [`drop_trees`] drops them once the schema is
/// marked. Run again after a crash, it logs the same entries again, which replays to the same
/// maps.
pub(in crate::store) fn move_trees(main: &Main) -> Result<(), StoreError> {
    let mut chunks = Chunks::new(main, journal::piece_size(main));
    for (index, name) in TREES {
        if !has_tree(main, name) {
            continue;
        }
        let tree = main.db.open_tree(name)?;
        for kv in tree.iter() {
            let (key, value) = kv?;
            let Some(key) = map_key(index, &key) else {
                continue;
            };
            chunks.push(index, key, value)?;
        }
    }
    chunks.finish()?;
    main.flush()?;
    Ok(())
}

/// The tree an older schema kept `index` in, if the store still has it.
pub(in crate::store) fn old_tree(
    main: &Main,
    index: Index,
) -> Result<Option<sled::Tree>, StoreError> {
    let Some((_, name)) = TREES.iter().find(|(i, _)| *i == index) else {
        return Ok(None);
    };
    Ok(if has_tree(main, name) {
        Some(main.db.open_tree(name)?)
    } else {
        None
    })
}

fn has_tree(main: &Main, name: &str) -> bool {
    main.db.tree_names().iter().any(|n| n == name.as_bytes())
}

/// Drops the trees older schemas kept these indexes in, once their entries are logged (or,
/// for links and titles from schema 3 and earlier, rebuilt from the stories).
pub(in crate::store) fn drop_trees(main: &Main) -> Result<(), StoreError> {
    for (_, name) in TREES {
        if has_tree(main, name) {
            main.db.drop_tree(name)?;
        }
    }
    Ok(())
}
