//! Command output: writes to stdout that end quietly once its reader has gone (behind
//! `outln!` and `out!`), the failure to write that makes a command exit 1, and a path as
//! `check` shows it.

use std::io::Write;
use std::path::PathBuf;

/// Writes command output (see `outln!`): stops writing, without an error, once the reader of
/// stdout has gone; any other failure to write is reported once on stderr, and the command
/// exits 1.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static GONE: AtomicBool = AtomicBool::new(false);
    if GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        GONE.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            OUTPUT_FAILED.store(true, Ordering::Relaxed);
            eprintln!("error: cannot write the output: {e}");
        }
    }
}

/// Set when command output could not be written for another reason than its reader having
/// gone: the command then exits 1.
pub(super) static OUTPUT_FAILED: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// A path as `check` shows it: its nearest folder that exists, resolved, then the rest as
/// configured (`config/../var/demo` before the first run is `/srv/tributary/var/demo`).
pub(super) fn shown_path(path: &std::path::Path) -> PathBuf {
    for folder in path.ancestors() {
        let Ok(real) = folder.canonicalize() else {
            continue;
        };
        return match path.strip_prefix(folder) {
            Ok(rest) if !rest.as_os_str().is_empty() => real.join(rest),
            _ => real,
        };
    }
    path.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::shown_path;

    #[test]
    fn a_path_is_shown_through_its_nearest_real_folder() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        let configured = dir.path().join("config/../var/demo");
        assert_eq!(shown_path(&configured), real.join("var/demo"));
        std::fs::create_dir_all(dir.path().join("var/demo")).unwrap();
        assert_eq!(shown_path(&configured), real.join("var/demo"));
        let nowhere = std::path::Path::new("/nonexistent-tributary-root/store");
        assert_eq!(shown_path(nowhere), nowhere);
    }
}
