//! Counted work: the steps of the computations that read across incidents (candidate pairs
//! looked at, words compared, entries scanned), so a test can check that work grows no faster
//! than the knowledge base without timing anything.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Work(AtomicU64);

impl Work {
    /// Adds `n` steps; callers add once per outer iteration, not per step, to stay cheap.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}
