//! The files `--out` writes: put in place whole, never left half written.

use super::record;
use crate::digest::run::{export, RunError};

#[test]
fn out_files_replace_the_previous_ones_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = record("daily", 20, 1, false, false);
    r.eml = "Subject: first\r\n\r\nfirst".into();
    let written = export(&r, dir.path()).unwrap();
    let eml = written
        .iter()
        .find(|p| p.extension() == Some("eml".as_ref()))
        .unwrap();
    // A reader of the first file (here a second name for it) keeps it whole.
    let kept = dir.path().join("kept.eml");
    std::fs::hard_link(eml, &kept).unwrap();
    r.eml = "Subject: second\r\n\r\nsecond".into();
    assert_eq!(export(&r, dir.path()).unwrap(), written);
    assert_eq!(std::fs::read_to_string(eml).unwrap(), r.eml);
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        "Subject: first\r\n\r\nfirst"
    );
    // Nothing but the four files (and the reader's name) is left.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn an_out_file_that_cannot_be_put_in_place_leaves_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let r = record("daily", 20, 1, false, false);
    let written = export(&r, dir.path()).unwrap();
    // The .html's name taken by a folder: its rename fails.
    let html = written
        .iter()
        .find(|p| p.extension() == Some("html".as_ref()))
        .unwrap();
    std::fs::remove_file(html).unwrap();
    std::fs::create_dir(html).unwrap();
    assert!(matches!(export(&r, dir.path()), Err(RunError::Out { .. })));
    let hidden: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}
