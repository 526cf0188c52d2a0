//! Envelope onset detector: fast/slow envelope difference of the high-passed signal, with a
//! threshold that relaxes once the previous hit's ringing has settled.
//!
//! Both envelopes are mean-square (power) envelopes: the fast one smooths the squared
//! high-passed signal with a 0.5 ms one-pole, the slow one smooths the fast one with 10 ms. A
//! power envelope fluctuates far less on noise and snare-wire rattle than a peak follower, so a
//! modest threshold catches ghost notes in the tail of an accent without false onsets. An onset
//! fires on the first sample where fast exceeds slow by the threshold (dB), the gate (a peak
//! follower of the high-passed magnitude with a 2 ms release) is above the floor, the detector
//! is armed and the minimum interval since the last detection has passed. Because the attack is
//! instant, it fires within a fraction of a millisecond of a transient.
//!
//! The threshold follows the previous hit. For [`SETTLE_S`] after a detection the configured
//! threshold applies: the hit's own ringing is still building up and beating (snare wires,
//! close modes), and its fast/slow ratio alone reaches 5.9 dB there. After that the tail is a
//! smooth decay whose ratio stays below 3.4 dB, and the threshold drops to [`SETTLED_FRACTION`]
//! of the configured one (in dB: 4.55 dB for the default 7 dB) for a rise that adds at least the
//! floor's power (`floor_dbfs`, as a mean square) to the slow envelope. That finds a soft hit
//! whose click lifts a harder hit's tail by only 4.5 to 7 dB, which the configured threshold
//! alone misses, while a faint transient in a tail barely above the floor (bleed from another
//! drum, say) still needs the configured threshold. The switch is a comparison of absolute
//! sample positions, so it does not depend on the block size.
//!
//! At start-up the slow envelope is set to the floor level, as if the floor had been sounding
//! before sample 0: low noise at the start cannot fire, a hit at sample 0 still does.
//!
//! Measured on the seeded synthetic snare (the figures above; 12 random 10-minute performances
//! of `tests/tests/clap_trained.rs`, 9136 hits, and 80 of the 20-second performances of
//! `tests/onsets.rs` with kick and tom bleed at 44.1, 48 and 96 kHz, 18 939 hits): the settled
//! threshold finds 70 % of the hits the configured threshold alone misses (10-minute: 31 of 38;
//! 20-second: 260 of 375) and adds no false onset (the same 9 on tom bleed, none on the 10-minute
//! performances). Some soft hits whose click is masked are found on their later rise instead
//! (their own wires and ringing, 1.5 to 9 ms in). The 10-minute performances' 7 remaining misses
//! are soft hits whose click is buried in the ringing: in the first millisecond they raise its
//! 1 kHz+ power by only 0.7 to 4.7 dB (`tests/examples/performance_misses.rs` measures this).

use super::DetectorSettings;

/// Time constant of the fast envelope, in seconds.
pub const FAST_TIME_S: f32 = 0.0005;
/// Release time constant of the gate's peak follower, in seconds.
pub const GATE_RELEASE_S: f32 = 0.002;
/// Time constant of the slow envelope, in seconds.
pub const SLOW_TIME_S: f32 = 0.010;
/// How long the configured threshold holds after a detection, in seconds (the hit's ringing is
/// still building up and beating).
pub const SETTLE_S: f32 = 0.030;
/// Once the last detection is [`SETTLE_S`] old, the threshold in dB is this fraction of the
/// configured one, for rises that add at least the floor's power.
pub const SETTLED_FRACTION: f32 = 0.65;

/// The larger of two finite values (a single `maxss`; `f32::max` also handles NaN).
#[inline(always)]
fn max(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// The smaller of two finite values.
#[inline(always)]
fn min(a: f32, b: f32) -> f32 {
    if a < b {
        a
    } else {
        b
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct EnvelopeDetector {
    /// Fast mean-square envelope (power, full scale = 1).
    fast: f32,
    /// Slow mean-square envelope (power).
    slow: f32,
    fast_coef: f32,
    slow_coef: f32,
    /// Threshold as a power ratio, for [`SETTLE_S`] after a detection.
    ratio: f32,
    /// Threshold as a power ratio once the last detection is older ([`SETTLED_FRACTION`]).
    settled_ratio: f32,
    /// Smallest rise (fast minus slow, power) the settled threshold accepts: the floor squared.
    min_rise: f32,
    threshold_db: f32,
    /// Gate: peak follower of |y| (full scale = 1).
    gate: f32,
    gate_decay: f32,
    /// Floor as an amplitude.
    floor: f32,
    /// Fast fell below the threshold since the last detection.
    armed: bool,
    /// Last position at which the fast envelope was at or below the slow one: where the rise
    /// that led to the latest detection began (refinement searches from there).
    last_below: u64,
    holdoff_until: u64,
    min_interval: u64,
    /// From this absolute position on, the settled threshold applies.
    settled_from: u64,
    /// [`SETTLE_S`] in samples.
    settle: u64,
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
            settled_ratio: 1.0,
            min_rise: 0.0,
            threshold_db: 0.0,
            gate: 0.0,
            gate_decay: (-1.0 / (GATE_RELEASE_S * sample_rate)).exp(),
            floor: 0.0,
            armed: true,
            last_below: 0,
            holdoff_until: 0,
            min_interval: 1,
            settled_from: 0,
            settle: 1,
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
        self.settled_ratio = 10f32.powf(SETTLED_FRACTION * s.threshold_db / 10.0);
        self.floor = 10f32.powf(s.floor_dbfs / 20.0);
        self.min_rise = self.floor * self.floor;
        self.min_interval = ((s.min_interval_ms * 0.001 * sample_rate).round() as u64).max(1);
        self.settle = ((SETTLE_S * sample_rate).round() as u64).max(1);
    }

    pub(crate) fn reset(&mut self) {
        self.fast = 0.0;
        self.gate = 0.0;
        self.slow = (self.floor * self.floor).max(1e-18);
        self.armed = true;
        self.last_below = 0;
        self.holdoff_until = 0;
        self.settled_from = 0;
    }

    /// Where the rise behind the latest detection began, in absolute samples.
    pub(crate) fn rise_start(&self) -> u64 {
        self.last_below
    }

    /// The fast envelope must exceed this (power) to fire: the configured threshold over the slow
    /// envelope, or when `settled` the lower of that and the settled threshold, which also needs
    /// a rise of at least the floor's power. Plain compares and selects (the values are finite):
    /// no branches in the per-sample loop.
    #[inline(always)]
    fn threshold(&self, settled: bool) -> f32 {
        let (ratio, rise) = if settled {
            (self.settled_ratio, self.min_rise)
        } else {
            (self.ratio, 0.0)
        };
        min(
            self.slow * self.ratio,
            max(self.slow * ratio, self.slow + rise),
        )
    }

    /// Feeds the high-passed sample at absolute position `pos`; true when an onset fires there.
    #[inline(always)]
    pub(crate) fn process(&mut self, y: f32, pos: u64) -> bool {
        let f = self.fast + (y * y - self.fast) * self.fast_coef;
        let above = f > self.threshold(pos >= self.settled_from);
        if f <= self.slow {
            self.last_below = pos;
        }
        self.slow += (f - self.slow) * self.slow_coef;
        self.fast = f;
        let g = max(self.gate * self.gate_decay, y.abs());
        self.gate = g;
        if above {
            if self.armed && g > self.floor && pos >= self.holdoff_until {
                self.armed = false;
                self.holdoff_until = pos + self.min_interval;
                self.settled_from = pos + self.settle;
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

    /// (fast minus slow in dB, the threshold in force at absolute position `pos` in dB: the
    /// configured one while a hit rings, the settled one after).
    pub(crate) fn meter(&self, pos: u64) -> (f32, f32) {
        let threshold = self.threshold(pos >= self.settled_from);
        (
            10.0 * (self.fast.max(1e-18) / self.slow).log10(),
            10.0 * (threshold / self.slow).log10(),
        )
    }
}
