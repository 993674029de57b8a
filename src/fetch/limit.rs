//! Concurrency limits that a config reload can change while they are in use.
//!
//! A reload builds a new pipeline while the old one's fetches are still running. Had each
//! pipeline semaphores of its own, the two together would run up to twice the configured
//! number of fetches, and twice as many at once to one host, for as long as the old fetches
//! last. The new pipeline takes over the old one's limits instead, and [`Limit::resize`]
//! changes how many permits there are: at once when there are more, and when there are fewer,
//! those no fetch holds are taken away at once and held ones as they are given back.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// At most `size` holders at once; the size can change while permits are held.
#[derive(Debug)]
pub struct Limit {
    permits: Arc<Semaphore>,
    size: Mutex<Size>,
}

#[derive(Debug)]
struct Size {
    /// The configured size: permits held plus free, less those owed.
    current: usize,
    /// Permits held when the limit shrank, to be forgotten when they are given back instead
    /// of returning to the semaphore.
    owed: usize,
}

/// One holder's place under a [`Limit`]; given back when dropped.
#[derive(Debug)]
pub struct Permit {
    permit: Option<OwnedSemaphorePermit>,
    limit: Arc<Limit>,
}

impl Limit {
    /// A limit of `size` holders at once.
    pub fn new(size: usize) -> Arc<Limit> {
        Arc::new(Limit {
            permits: Arc::new(Semaphore::new(size)),
            size: Mutex::new(Size {
                current: size,
                owed: 0,
            }),
        })
    }

    /// Waits for a place (in the order asked).
    pub async fn acquire(self: &Arc<Self>) -> Permit {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        Permit {
            permit: Some(permit),
            limit: self.clone(),
        }
    }

    /// The configured size.
    pub fn size(&self) -> usize {
        self.lock().current
    }

    /// Places free now (none while more are held than the size allows).
    pub fn available(&self) -> usize {
        let size = self.lock();
        self.permits.available_permits().saturating_sub(size.owed)
    }

    /// Makes the limit `size`: holders beyond it keep their places, and no one else gets one
    /// until there are fewer of them than `size`.
    ///
    /// Free permits exist only while nothing is owed: a shrink takes the free ones first and
    /// owes only what is held, a release pays what is owed before it frees anything, and a
    /// grow pays what is owed before it adds any (all under the lock).
    pub fn resize(&self, size: usize) {
        let mut s = self.lock();
        if size > s.current {
            let more = size - s.current;
            let paid = more.min(s.owed);
            s.owed -= paid;
            self.permits.add_permits(more - paid);
        } else {
            let fewer = s.current - size;
            let taken = self.permits.forget_permits(fewer);
            s.owed += fewer - taken;
        }
        s.current = size;
    }

    /// Whether free permits and owed ones exist at once (they never should: a free one would
    /// let a holder in beyond the size).
    #[cfg(test)]
    fn free_while_owing(&self) -> bool {
        let size = self.lock();
        size.owed > 0 && self.permits.available_permits() > 0
    }

    fn lock(&self) -> MutexGuard<'_, Size> {
        self.size.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        // Given back (or forgotten) under the lock: a resize between the look at `owed` and
        // the permit's return would count it as held while it is free for anyone to take.
        let mut size = self.limit.lock();
        let permit = self.permit.take();
        if size.owed > 0 {
            size.owed -= 1;
            if let Some(permit) = permit {
                permit.forget();
            }
        } else {
            drop(permit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn hold(limit: &Arc<Limit>, n: usize) -> Vec<Permit> {
        let mut held = Vec::new();
        for _ in 0..n {
            held.push(limit.acquire().await);
        }
        held
    }

    #[tokio::test]
    async fn growing_frees_places_at_once() {
        let limit = Limit::new(2);
        let _held = hold(&limit, 2).await;
        assert_eq!(limit.available(), 0);
        limit.resize(5);
        assert_eq!(limit.available(), 3);
        assert_eq!(limit.size(), 5);
    }

    #[tokio::test]
    async fn shrinking_takes_free_places_at_once_and_held_ones_as_they_come_back() {
        let limit = Limit::new(4);
        let mut held = hold(&limit, 3).await;
        assert_eq!(limit.available(), 1);
        limit.resize(1);
        // The free place went; two of the three held are owed.
        assert_eq!(limit.available(), 0);
        held.pop();
        assert_eq!(limit.available(), 0);
        held.pop();
        assert_eq!(
            limit.available(),
            0,
            "one is still held, and the size is one"
        );
        held.pop();
        assert_eq!(limit.available(), 1);
        let again = hold(&limit, 1).await;
        assert_eq!(limit.available(), 0);
        drop(again);
        assert_eq!(limit.available(), 1);
    }

    #[tokio::test]
    async fn growing_again_before_the_held_places_come_back_pays_what_is_owed_first() {
        let limit = Limit::new(4);
        let mut held = hold(&limit, 4).await;
        limit.resize(1);
        limit.resize(3);
        // 4 held against a size of 3: one is still owed, none is free.
        assert_eq!(limit.available(), 0);
        held.pop();
        assert_eq!(limit.available(), 0);
        held.clear();
        assert_eq!(limit.available(), 3);
        assert_eq!(hold(&limit, 3).await.len(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn holders_and_resizes_racing_never_leave_a_place_free_while_one_is_owed() {
        let limit = Limit::new(3);
        let holders: Vec<_> = (0..6)
            .map(|_| {
                let limit = limit.clone();
                tokio::spawn(async move {
                    for _ in 0..2_000 {
                        let permit = limit.acquire().await;
                        tokio::task::yield_now().await;
                        drop(permit);
                    }
                })
            })
            .collect();
        let resizer = {
            let limit = limit.clone();
            tokio::spawn(async move {
                let mut broken = 0;
                for i in 0..4_000 {
                    limit.resize([1, 4, 2, 6, 3][i % 5]);
                    broken += usize::from(limit.free_while_owing());
                    tokio::task::yield_now().await;
                }
                limit.resize(3);
                broken
            })
        };
        for h in holders {
            h.await.unwrap();
        }
        assert_eq!(resizer.await.unwrap(), 0);
        // Once every permit is back, the free places are the last size.
        assert_eq!(limit.available(), 3);
        assert!(!limit.free_while_owing());
    }

    #[tokio::test]
    async fn the_size_holds_under_many_resizes_and_releases() {
        // Whatever the order of resizes and releases, once every permit is back the free
        // places are the last size, and never more are given out than it.
        let limit = Limit::new(8);
        let mut held = hold(&limit, 8).await;
        for (i, size) in [3, 9, 1, 6, 2, 2, 7, 4].into_iter().enumerate() {
            limit.resize(size);
            if i % 2 == 0 {
                held.pop();
            }
            let free = limit.available();
            assert!(held.len() + free <= size.max(held.len()), "size {size}");
        }
        held.clear();
        assert_eq!(limit.available(), 4);
        let all = hold(&limit, 4).await;
        assert_eq!(limit.available(), 0);
        drop(all);
        assert_eq!(limit.available(), 4);
    }
}
