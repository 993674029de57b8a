//! Local feed files (`file://` sources): read with the body limit and within the timeout a
//! request has, and never read again while an earlier read of the same file is blocked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use url::Url;

use super::{Document, FetchError, Fetched, Fetcher};

impl Fetcher {
    /// Reads a local feed file within `[fetch] timeout`, as a request is bounded: a read that
    /// blocks (a FIFO nobody writes, a hung network mount) fails the source like a server that
    /// never answers, and the pass (or the daemon's first cycle) goes on. The blocking thread
    /// doing the read may stay blocked; nothing waits for it, but the file is not read again
    /// until that read ends ([`FetchError::FileBlocked`]): each attempt would block one more.
    pub(super) async fn read_file(&self, path: &Path) -> Result<Fetched, FetchError> {
        let limit = self.config.timeout;
        let (reading, timed_out) = {
            let mut reading = READING
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // Two sources of one file read it side by side; only a read that has outlived its
            // limit keeps others from starting.
            let entry = reading
                .entry(path.to_path_buf())
                .or_insert_with(|| (0, Arc::new(OnceLock::new())));
            if let Some(&after) = entry.1.get() {
                return Err(FetchError::FileBlocked {
                    path: path.display().to_string(),
                    after,
                });
            }
            entry.0 += 1;
            let timed_out = entry.1.clone();
            (Reading(path.to_path_buf()), timed_out)
        };
        let max_body_size = self.config.max_body_size;
        // A task of its own, which keeps `reading` until the read ends, however long after the
        // timeout (or a stop) that is.
        let read = tokio::spawn(async move {
            let reading = reading;
            read_whole_file(&reading.0, max_body_size).await
        });
        match tokio::time::timeout(limit, read).await {
            Ok(Ok(read)) => read,
            Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Ok(Err(e)) => Err(FetchError::File {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
            Err(_) => {
                let _ = timed_out.set(limit);
                Err(FetchError::FileTimeout {
                    path: path.display().to_string(),
                    after: limit,
                })
            }
        }
    }
}

/// A local feed file's bytes, `limit` at most.
async fn read_whole_file(path: &Path, limit: u64) -> Result<Fetched, FetchError> {
    let file_error = |e: std::io::Error| FetchError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let file = tokio::fs::File::open(path).await.map_err(file_error)?;
    let mut body = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut body)
        .await
        .map_err(file_error)?;
    if body.len() as u64 > limit {
        return Err(FetchError::TooLarge { limit });
    }
    Ok(Fetched::Document(Document {
        body,
        final_url: Url::from_file_path(path).ok(),
        content_type: None,
        etag: None,
        last_modified: None,
        status: 200,
    }))
}

/// The local feed files being read: how many reads of each, and the limit one was cut at once
/// it was. For the whole process, not a fetcher's: a reload replaces the fetcher, and a read
/// blocked under the old one still holds its thread.
#[allow(clippy::type_complexity)]
static READING: Mutex<BTreeMap<PathBuf, (usize, Arc<OnceLock<Duration>>)>> =
    Mutex::new(BTreeMap::new());

/// A read of a path in [`READING`], counted out when dropped: it is moved into the task doing
/// the read, so it is dropped when the read ends, not when the timeout gives up on it. The
/// path leaves with its last read.
struct Reading(PathBuf);

impl Drop for Reading {
    fn drop(&mut self) {
        let mut reading = READING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = reading.get_mut(&self.0) {
            entry.0 = entry.0.saturating_sub(1);
            if entry.0 == 0 {
                reading.remove(&self.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FetchConfig;
    use crate::fetch::tests::source;
    use crate::model::{Location, SourceState};

    /// A local file whose read blocks is not read again (each attempt would leave one more
    /// thread blocked) until that read ends; then it is.
    #[test]
    fn a_local_file_is_not_read_again_while_its_read_is_blocked() {
        // Not waited for at the end: when the test fails, reads may still be blocked.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(a_local_file_is_not_read_again_while_its_read_is_blocked_in())
        }));
        rt.shutdown_background();
        if let Err(panic) = run {
            std::panic::resume_unwind(panic);
        }
    }

    async fn a_local_file_is_not_read_again_while_its_read_is_blocked_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stuck.xml");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        let config = FetchConfig {
            timeout: Duration::from_millis(100),
            ..FetchConfig::default()
        };
        let fetcher = Fetcher::new(&config).unwrap();
        let mut s = source("http://unused.example/");
        s.location = Location::File(path.clone());
        let state = SourceState::default();
        let fetch = || fetcher.fetch(&s, &state);
        // Nobody has the FIFO open for writing: the read blocks in its open.
        assert_eq!(
            fetch().await.unwrap_err(),
            FetchError::FileTimeout {
                path: path.display().to_string(),
                after: Duration::from_millis(100),
            }
        );
        for _ in 0..5 {
            let e = fetch().await.unwrap_err();
            assert_eq!(
                e,
                FetchError::FileBlocked {
                    path: path.display().to_string(),
                    after: Duration::from_millis(100),
                }
            );
            assert_eq!(
                e.to_string(),
                format!(
                    "cannot read {}: an earlier read is still blocked (timed out after 100ms); not read again until it ends",
                    path.display()
                )
            );
        }
        // A writer that opens, writes and closes the FIFO: the blocked read, which has it
        // open, ends.
        let feed = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";
        let write = |path: PathBuf| {
            tokio::task::spawn_blocking(move || std::fs::write(path, feed).unwrap())
        };
        write(path.clone()).await.unwrap();
        // Its task ends once it runs again, after this one yields.
        while READING.lock().unwrap().contains_key(&path) {
            tokio::task::yield_now().await;
        }
        // The FIFO is read again: the next writer opens it once that read has.
        let later = write(path.clone());
        let read = fetch().await;
        let Ok(Fetched::Document(document)) = read else {
            panic!("{read:?}");
        };
        assert_eq!(document.body, feed.as_bytes());
        later.await.unwrap();
    }

    /// Two sources of one local file read it side by side: only a read that outlived its limit
    /// keeps others from starting. (The read under way is stood for by its entry: two real
    /// reads of one FIFO cannot be made to overlap without racing its writer.)
    #[tokio::test]
    async fn a_read_under_way_lets_another_read_of_its_file_start_a_blocked_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.xml");
        std::fs::write(&path, "<rss version=\"2.0\"><channel/></rss>").unwrap();
        let fetcher = Fetcher::new(&FetchConfig::default()).unwrap();
        let mut s = source("http://unused.example/");
        s.location = Location::File(path.clone());
        let state = SourceState::default();
        let under_way = Arc::new(OnceLock::new());
        READING
            .lock()
            .unwrap()
            .insert(path.clone(), (1, under_way.clone()));
        let read = fetcher.fetch(&s, &state).await;
        assert!(matches!(read, Ok(Fetched::Document(_))), "{read:?}");
        // The other read's entry is still counted; its time runs out.
        assert_eq!(READING.lock().unwrap().get(&path).map(|e| e.0), Some(1));
        under_way.set(Duration::from_secs(20)).unwrap();
        assert_eq!(
            fetcher.fetch(&s, &state).await.unwrap_err(),
            FetchError::FileBlocked {
                path: path.display().to_string(),
                after: Duration::from_secs(20),
            }
        );
        // Once it ends, the file is read again.
        drop(Reading(path.clone()));
        assert!(!READING.lock().unwrap().contains_key(&path));
        assert!(fetcher.fetch(&s, &state).await.is_ok());
    }
}
