//! A value one thread (the worker) writes and others read as immutable snapshots.
//!
//! The writer builds a new value and swaps it in; a reader clones the `Arc` of the latest one
//! and keeps it as long as it likes. The mutex is held only for the swap or the clone of the
//! `Arc`, never while a value is built, read or dropped, and the audio thread never takes it.

use std::sync::{Arc, Mutex};

/// The latest snapshot of a `T`.
#[derive(Debug, Default)]
pub struct Published<T>(Mutex<Arc<T>>);

impl<T> Published<T> {
    /// Starts with `value`.
    pub fn new(value: T) -> Self {
        Self(Mutex::new(Arc::new(value)))
    }

    /// The latest snapshot.
    pub fn load(&self) -> Arc<T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the snapshot; the old one is dropped after the lock is released (or later, by
    /// the last reader holding it).
    pub fn store(&self, value: Arc<T>) {
        let old = std::mem::replace(
            &mut *self.0.lock().unwrap_or_else(|e| e.into_inner()),
            value,
        );
        drop(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_keep_their_snapshot_while_a_new_one_is_stored() {
        let published = Published::new(vec![1, 2]);
        let before = published.load();
        published.store(Arc::new(vec![3]));
        assert_eq!(*before, vec![1, 2]);
        assert_eq!(*published.load(), vec![3]);
    }
}
