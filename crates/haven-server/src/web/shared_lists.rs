//! Small lists that every case page shows and that change rarely: the
//! organizations (the release form's recipients) and the hotlines. Each is
//! kept for a few seconds instead of being read on every page (two of a
//! case page's database round trips). This instance forgets a list as soon
//! as it changes it; a change made through another instance shows here
//! within [`SharedLists::TTL`]. Nothing here is personal data.

use haven_domain::Organization;
use haven_store::{HotlineRow, StoreResult};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The lists, one slot each.
#[derive(Default)]
pub struct SharedLists {
    pub organizations: Kept<Vec<Organization>>,
    pub hotlines: Kept<Vec<HotlineRow>>,
}

impl SharedLists {
    /// How long another instance's change may take to show.
    pub const TTL: Duration = Duration::from_secs(5);
}

/// One list and when it was read.
pub struct Kept<T> {
    slot: Mutex<Slot<T>>,
}

struct Slot<T> {
    value: Option<(Instant, Arc<T>)>,
    /// Raised by [`Kept::forget`], so that a read that started before a
    /// change cannot store what it read after the change forgot it.
    generation: u64,
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Self {
            slot: Mutex::new(Slot {
                value: None,
                generation: 0,
            }),
        }
    }
}

impl<T> Kept<T> {
    /// The list, read with `load` when it is missing or older than
    /// [`SharedLists::TTL`].
    ///
    /// # Errors
    /// What `load` returns.
    pub async fn get<F, Fut>(&self, load: F) -> StoreResult<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = StoreResult<T>>,
    {
        self.get_at(Instant::now(), load).await
    }

    async fn get_at<F, Fut>(&self, now: Instant, load: F) -> StoreResult<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = StoreResult<T>>,
    {
        let generation = {
            let slot = self.lock();
            if let Some((at, value)) = &slot.value
                && now.saturating_duration_since(*at) < SharedLists::TTL
            {
                return Ok(Arc::clone(value));
            }
            slot.generation
        };
        let value = Arc::new(load().await?);
        let mut slot = self.lock();
        if slot.generation == generation {
            slot.value = Some((now, Arc::clone(&value)));
        }
        Ok(value)
    }

    /// Drops the list: the next page reads it again. Called after every
    /// change this instance makes.
    pub fn forget(&self) {
        let mut slot = self.lock();
        slot.value = None;
        slot.generation += 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot<T>> {
        // A panic while holding the lock cannot leave the slot half-written.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn a_list_is_read_once_until_it_is_old_or_forgotten() {
        let kept: Kept<u32> = Kept::default();
        let reads = AtomicU32::new(0);
        let load = || async { Ok(reads.fetch_add(1, Ordering::SeqCst) + 1) };
        let t0 = Instant::now();
        assert_eq!(*kept.get_at(t0, load).await.unwrap(), 1);
        assert_eq!(
            *kept
                .get_at(t0 + Duration::from_secs(4), load)
                .await
                .unwrap(),
            1
        );
        assert_eq!(*kept.get_at(t0 + SharedLists::TTL, load).await.unwrap(), 2);
        kept.forget();
        let t1 = t0 + SharedLists::TTL;
        assert_eq!(*kept.get_at(t1, load).await.unwrap(), 3);
        assert_eq!(reads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_read_that_a_change_overtook_is_not_kept() {
        let kept: Kept<&str> = Kept::default();
        let t0 = Instant::now();
        // The read starts, the change forgets the list, the read ends.
        let stale = kept
            .get_at(t0, || async {
                kept.forget();
                Ok("before the change")
            })
            .await
            .unwrap();
        assert_eq!(*stale, "before the change");
        let fresh = kept
            .get_at(t0, || async { Ok("after the change") })
            .await
            .unwrap();
        assert_eq!(*fresh, "after the change");
    }

    #[tokio::test]
    async fn a_failed_read_keeps_nothing() {
        let kept: Kept<u32> = Kept::default();
        let t0 = Instant::now();
        assert!(
            kept.get_at(t0, || async { Err(haven_store::StoreError::Corrupt("x")) })
                .await
                .is_err()
        );
        assert_eq!(*kept.get_at(t0, || async { Ok(7) }).await.unwrap(), 7);
    }
}
