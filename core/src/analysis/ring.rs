//! A power-of-two ring buffer of the most recent samples, addressed by absolute position.

/// History of the last `capacity()` samples. Position `p` is the `p`-th sample pushed since
/// the last reset; positions before 0 read as silence.
#[derive(Debug, Clone)]
pub(crate) struct History {
    pub(super) buf: Vec<f32>,
    pub(super) mask: usize,
    pub(super) pos: u64,
}

impl History {
    /// Allocates room for at least `min_capacity` samples.
    pub(crate) fn new(min_capacity: usize) -> Self {
        let cap = min_capacity.next_power_of_two().max(16);
        Self {
            buf: vec![0.0; cap],
            mask: cap - 1,
            pos: 0,
        }
    }

    /// Clears to silence and sets the position to 0 (no allocation).
    pub(crate) fn reset(&mut self) {
        self.buf.fill(0.0);
        self.pos = 0;
    }

    #[cfg(test)]
    pub(crate) fn push(&mut self, x: f32) {
        // SAFETY-free: the mask keeps the index in bounds.
        let i = self.pos as usize & self.mask;
        self.buf[i] = x;
        self.pos += 1;
    }

    /// The sample at absolute position `p` (must be within the last `capacity()` samples or
    /// before 0, which reads as silence because the buffer starts zeroed).
    #[inline]
    pub(crate) fn at(&self, p: i64) -> f32 {
        if p < 0 {
            0.0
        } else {
            debug_assert!((p as u64) < self.pos && self.pos - (p as u64) <= self.buf.len() as u64);
            self.buf[p as usize & self.mask]
        }
    }

    /// The `len` samples starting at absolute position `start` (>= 0), as two slices (the
    /// ring may wrap). They must lie within the last `capacity()` samples pushed.
    pub(crate) fn slices(&self, start: u64, len: usize) -> (&[f32], &[f32]) {
        debug_assert!(start + len as u64 <= self.pos);
        debug_assert!(self.pos - start <= self.buf.len() as u64);
        let i = start as usize & self.mask;
        let first = len.min(self.buf.len() - i);
        (&self.buf[i..i + first], &self.buf[..len - first])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_reads_back() {
        let mut h = History::new(10);
        assert_eq!(h.buf.len(), 16);
        for i in 0..40 {
            h.push(i as f32);
        }
        let (a, b) = h.slices(28, 8);
        let v: Vec<f32> = a.iter().chain(b).copied().collect();
        assert_eq!(v, (28..36).map(|i| i as f32).collect::<Vec<_>>());
        assert_eq!(h.at(39), 39.0);
        assert_eq!(h.at(-3), 0.0);
    }
}
