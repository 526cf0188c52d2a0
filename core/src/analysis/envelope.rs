//! Envelope onset detector: fast/slow envelope difference of the high-passed signal.
//!
//! Both envelopes are mean-square (power) envelopes: the fast one smooths the squared
//! high-passed signal with a 0.5 ms one-pole, the slow one smooths the fast one with 10 ms. A
//! power envelope fluctuates far less on noise and snare-wire rattle than a peak follower, so a
//! modest threshold catches ghost notes in the tail of an accent without false onsets. An onset
//! fires on the first sample where fast exceeds slow by the threshold (dB), the gate (a peak
//! follower of the high-passed magnitude with a 2 ms release) is above the floor,
//! the detector is armed (fast fell below the threshold since the last onset) and the minimum
//! interval since the last detection has passed. Because the attack is instant, it fires within
//! a fraction of a millisecond of a transient.
//!
//! At start-up the slow envelope is set to the floor level, as if the floor had been sounding
//! before sample 0: low noise at the start cannot fire, a hit at sample 0 still does.

use super::DetectorSettings;

/// Time constant of the fast envelope, in seconds.
pub const FAST_TIME_S: f32 = 0.0005;
/// Release time constant of the gate's peak follower, in seconds.
pub const GATE_RELEASE_S: f32 = 0.002;
/// Time constant of the slow envelope, in seconds.
pub const SLOW_TIME_S: f32 = 0.010;

#[derive(Debug, Clone, Copy)]
pub(crate) struct EnvelopeDetector {
    /// Fast mean-square envelope (power, full scale = 1).
    fast: f32,
    /// Slow mean-square envelope (power).
    slow: f32,
    fast_coef: f32,
    slow_coef: f32,
    /// Threshold as a power ratio.
    ratio: f32,
    threshold_db: f32,
    /// Gate: peak follower of |y| (full scale = 1).
    gate: f32,
    gate_decay: f32,
    /// Floor as an amplitude.
    floor: f32,
    armed: bool,
    /// Last position at which the fast envelope was at or below the slow one: where the rise
    /// that led to the latest detection began (refinement searches from there).
    last_below: u64,
    holdoff_until: u64,
    min_interval: u64,
    /// Largest fast/slow power ratio seen at the flush points since the meter was last read.
    peak_ratio: f32,
}

impl EnvelopeDetector {
    pub(crate) fn new(sample_rate: f32, s: &DetectorSettings) -> Self {
        let mut d = Self {
            fast: 0.0,
            slow: 0.0,
            fast_coef: 1.0 - (-1.0 / (FAST_TIME_S * sample_rate)).exp(),
            slow_coef: 1.0 - (-1.0 / (SLOW_TIME_S * sample_rate)).exp(),
            ratio: 1.0,
            threshold_db: 0.0,
            gate: 0.0,
            gate_decay: (-1.0 / (GATE_RELEASE_S * sample_rate)).exp(),
            floor: 0.0,
            armed: true,
            last_below: 0,
            holdoff_until: 0,
            min_interval: 1,
            peak_ratio: 0.0,
        };
        d.configure(sample_rate, s);
        d.reset();
        d
    }

    /// Applies new (clamped) settings, keeping the envelopes.
    pub(crate) fn configure(&mut self, sample_rate: f32, s: &DetectorSettings) {
        self.threshold_db = s.threshold_db;
        self.ratio = 10f32.powf(s.threshold_db / 10.0);
        self.floor = 10f32.powf(s.floor_dbfs / 20.0);
        self.min_interval = ((s.min_interval_ms * 0.001 * sample_rate).round() as u64).max(1);
    }

    pub(crate) fn reset(&mut self) {
        self.fast = 0.0;
        self.gate = 0.0;
        self.slow = (self.floor * self.floor).max(1e-18);
        self.armed = true;
        self.last_below = 0;
        self.holdoff_until = 0;
    }

    /// Where the rise behind the latest detection began, in absolute samples.
    pub(crate) fn rise_start(&self) -> u64 {
        self.last_below
    }

    /// Feeds the high-passed sample at absolute position `pos`; true when an onset fires there.
    #[inline(always)]
    pub(crate) fn process(&mut self, y: f32, pos: u64) -> bool {
        let f = self.fast + (y * y - self.fast) * self.fast_coef;
        let above = f > self.slow * self.ratio;
        if f <= self.slow {
            self.last_below = pos;
        }
        self.slow += (f - self.slow) * self.slow_coef;
        self.fast = f;
        let g = (self.gate * self.gate_decay).max(y.abs());
        self.gate = g;
        if above {
            if self.armed && g > self.floor && pos >= self.holdoff_until {
                self.armed = false;
                self.holdoff_until = pos + self.min_interval;
                return true;
            }
        } else {
            self.armed = true;
        }
        false
    }

    /// Flushes tiny envelope values (call every few dozen samples, at fixed absolute positions
    /// so results do not depend on the block size): no subnormal numbers in silence.
    #[inline]
    pub(crate) fn flush(&mut self) {
        self.peak_ratio = self.peak_ratio.max(self.fast / self.slow);
        if self.fast < 1e-30 {
            self.fast = 0.0;
        }
        if self.gate < 1e-20 {
            self.gate = 0.0;
        }
        if self.slow < 1e-18 {
            self.slow = 1e-18;
        }
    }

    /// The largest fast-minus-slow difference since the last call, in dB (sampled at the flush
    /// points, every few dozen samples), and resets it.
    pub(crate) fn take_peak(&mut self) -> f32 {
        let peak = 10.0 * self.peak_ratio.max(1e-18).log10();
        self.peak_ratio = 0.0;
        peak
    }

    /// (fast minus slow in dB, threshold in dB).
    pub(crate) fn meter(&self) -> (f32, f32) {
        (
            10.0 * (self.fast.max(1e-18) / self.slow).log10(),
            self.threshold_db,
        )
    }
}
