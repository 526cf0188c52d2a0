//! Envelope onset detector: fast/slow envelope difference of the high-passed signal.
//!
//! The fast envelope is a peak follower with instant attack and a 2 ms release; the slow
//! envelope follows the fast one with a 10 ms one-pole smoother. An onset fires on the first
//! sample where fast exceeds slow by the threshold (dB), the fast envelope is above the floor,
//! the detector is armed (fast fell below the threshold since the last onset) and the minimum
//! interval since the last detection has passed. Because the attack is instant, it fires within
//! a few samples of a transient.
//!
//! At start-up the slow envelope is set to the floor level, as if the floor had been sounding
//! before sample 0: low noise at the start cannot fire, a hit at sample 0 still does.

use super::DetectorSettings;

/// Release time constant of the fast envelope, in seconds.
pub const FAST_RELEASE_S: f32 = 0.002;
/// Time constant of the slow envelope, in seconds.
pub const SLOW_TIME_S: f32 = 0.010;

#[derive(Debug, Clone)]
pub(crate) struct EnvelopeDetector {
    fast: f32,
    slow: f32,
    fast_decay: f32,
    slow_coef: f32,
    ratio: f32,
    threshold_db: f32,
    floor: f32,
    armed: bool,
    holdoff_until: u64,
    min_interval: u64,
}

impl EnvelopeDetector {
    pub(crate) fn new(sample_rate: f32, s: &DetectorSettings) -> Self {
        let mut d = Self {
            fast: 0.0,
            slow: 0.0,
            fast_decay: (-1.0 / (FAST_RELEASE_S * sample_rate)).exp(),
            slow_coef: 1.0 - (-1.0 / (SLOW_TIME_S * sample_rate)).exp(),
            ratio: 1.0,
            threshold_db: 0.0,
            floor: 0.0,
            armed: true,
            holdoff_until: 0,
            min_interval: 1,
        };
        d.configure(sample_rate, s);
        d.reset();
        d
    }

    /// Applies new (clamped) settings, keeping the envelopes.
    pub(crate) fn configure(&mut self, sample_rate: f32, s: &DetectorSettings) {
        self.threshold_db = s.threshold_db;
        self.ratio = 10f32.powf(s.threshold_db / 20.0);
        self.floor = 10f32.powf(s.floor_dbfs / 20.0);
        self.min_interval = ((s.min_interval_ms * 0.001 * sample_rate).round() as u64).max(1);
    }

    pub(crate) fn reset(&mut self) {
        self.fast = 0.0;
        self.slow = self.floor.max(1e-9);
        self.armed = true;
        self.holdoff_until = 0;
    }

    /// Feeds the high-passed sample at absolute position `pos`; true when an onset fires there.
    #[inline(always)]
    pub(crate) fn process(&mut self, y: f32, pos: u64) -> bool {
        let f = (self.fast * self.fast_decay).max(y.abs());
        let f = if f < 1e-20 { 0.0 } else { f };
        let above = f > self.slow * self.ratio;
        self.slow = (self.slow + (f - self.slow) * self.slow_coef).max(1e-9);
        self.fast = f;
        if above {
            if self.armed && f > self.floor && pos >= self.holdoff_until {
                self.armed = false;
                self.holdoff_until = pos + self.min_interval;
                return true;
            }
        } else {
            self.armed = true;
        }
        false
    }

    /// (fast minus slow in dB, threshold in dB).
    pub(crate) fn meter(&self) -> (f32, f32) {
        (20.0 * (self.fast.max(1e-9) / self.slow).log10(), self.threshold_db)
    }
}
