//! A store that cannot be opened — damaged files, a file where the folder should be, a folder
//! that cannot be written — is a clear error naming the folder and a non-zero exit, for the
//! CLI and the daemon; never a silently empty store.

mod common;

use std::path::Path;

use common::{fixtures, setup, src};

/// A store with items in it, made by `fetch` from a local feed file.
fn stored() -> common::Setup {
    let feed = fixtures("ingest/odd-dates.xml");
    let s = setup(
        &[src("odd", feed.display().to_string())],
        "[server]\nlisten = \"127.0.0.1:0\"\n",
    );
    let (code, _) = s.fetch(&[]);
    assert_eq!(code, 0);
    assert!(!s.items().is_empty());
    s
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn overwrite(path: &Path, at: u64, bytes: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(bytes).unwrap();
}

/// Runs `args` against `data_dir` and expects a failure whose message names the folder.
fn fails_naming(s: &common::Setup, data_dir: &Path, args: &[&str], expect: &str) {
    let out = s
        .cmd()
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success(),
        "{args:?} on {} succeeded:\n{stdout}{stderr}",
        data_dir.display()
    );
    assert!(
        stderr.contains(&data_dir.display().to_string()) && stderr.contains(expect),
        "{args:?}: the message should name {} and say {expect:?}:\n{stderr}",
        data_dir.display()
    );
    assert!(!stdout.contains("no items stored yet"), "{stdout}");
}

#[test]
fn a_damaged_store_is_an_error_not_an_empty_store() {
    let s = stored();
    let data = s.dir.path().join("data");
    type Damage = fn(&Path);
    let damages: [(&str, Damage); 4] = [
        ("log truncated", |d| {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(d.join("db"))
                .unwrap();
            f.set_len(1000).unwrap();
        }),
        ("log overwritten", |d| {
            let len = std::fs::metadata(d.join("db")).unwrap().len();
            overwrite(&d.join("db"), 0, &vec![0x5a; len as usize]);
        }),
        ("settings garbled", |d| {
            std::fs::write(d.join("conf"), "nonsense\n").unwrap();
        }),
        // Without a snapshot, sled replays its log up to the first bad record: damage near
        // the start would otherwise open as an empty database.
        ("snapshot gone and log head garbled", |d| {
            for entry in std::fs::read_dir(d).unwrap() {
                let p = entry.unwrap().path();
                if p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("snap.")
                {
                    std::fs::remove_file(p).unwrap();
                }
            }
            overwrite(&d.join("db"), 100, &[0xff; 300]);
        }),
    ];
    // The same source id with another feed: its next fetch has stories to store.
    let changed = setup(
        &[src(
            "odd",
            fixtures("ingest/partner-rss2.xml").display().to_string(),
        )],
        "[server]\nlisten = \"127.0.0.1:0\"\n",
    );
    for (what, damage) in damages {
        let copy = s.dir.path().join(what.replace(' ', "-"));
        copy_dir(&data, &copy);
        damage(&copy);
        fails_naming(&s, &copy, &["items"], "damaged");
        // `fetch` opens the stories' database only to store something (the sources' states
        // have a database of their own): a fetch with stories to store fails on it…
        fails_naming(&changed, &copy, &["fetch"], "damaged");
        // The command's failure (exit 1), not a source's (3), which a timer counts a success.
        let code = changed
            .cmd()
            .arg("--data-dir")
            .arg(&copy)
            .arg("fetch")
            .output()
            .unwrap()
            .status
            .code();
        assert_eq!(code, Some(1), "{what}");
        // …and one with nothing new leaves it as it is, for the commands that read it to
        // report.
        let db = std::fs::read(copy.join("db")).unwrap();
        let out = s
            .cmd()
            .arg("--data-dir")
            .arg(&copy)
            .arg("fetch")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            std::fs::read(copy.join("db")).unwrap(),
            db,
            "{what}: stories' log touched"
        );
        fails_naming(&s, &copy, &["items"], "damaged");
    }
    // The daemon too (one case is enough: it opens the store the same way).
    let copy = s.dir.path().join("for-the-daemon");
    copy_dir(&data, &copy);
    std::fs::write(copy.join("conf"), "nonsense\n").unwrap();
    fails_naming(&s, &copy, &["run"], "damaged");
    // The original is untouched and still reads.
    assert!(!s.items().is_empty());
}

/// A snapshot sled was writing when its process was killed (`snap.….generating`, empty or
/// cut short) is passed over: the store opens with every story, as stored before it.
#[test]
fn a_snapshot_left_unfinished_by_a_kill_is_passed_over() {
    let s = stored();
    let data = s.dir.path().join("data");
    let before = s.items();
    for (dir, contents) in [
        (data.clone(), &b""[..]),
        (data.join("states"), &[7u8; 40][..]),
    ] {
        let snapshot = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("snap."))
            .max()
            .expect("a snapshot");
        std::fs::write(dir.join(format!("{snapshot}.generating")), contents).unwrap();
    }
    assert_eq!(s.items(), before);
    let (code, out) = s.fetch(&[]);
    assert_eq!(code, 0, "{out:?}");
    for dir in [&data, &data.join("states")] {
        let left: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".generating"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

#[test]
fn a_store_path_that_is_a_file_or_not_writable_is_an_error() {
    let s = setup(&[], "[server]\nlisten = \"127.0.0.1:0\"\n");
    let file = s.dir.path().join("a-file");
    std::fs::write(&file, "not a store").unwrap();
    for args in [&["items"][..], &["fetch"], &["run"]] {
        fails_naming(&s, &file, args, "cannot open the store");
        fails_naming(&s, &file.join("below"), args, "cannot open the store");
    }

    let locked = s.dir.path().join("read-only");
    std::fs::create_dir(&locked).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(locked.join("probe"), "").is_ok() {
        println!("notice: running as a user who can write anywhere (root); read-only case skipped");
    } else {
        for args in [&["items"][..], &["run"]] {
            fails_naming(&s, &locked, args, "cannot open the store");
        }
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
}
