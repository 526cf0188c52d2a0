//! How fast a drum is being played: the recent hit rate, the third modulation source drummers
//! use beside velocity and timbre (Sensory Percussion's "Speed", SP-Tools' `sp.speed`).
//!
//! [`SpeedMeter`] takes the onset time of each hit (in samples, at a fixed sample rate) and keeps
//! an exponentially smoothed rate of the inter-onset intervals: after each hit the rate moves
//! towards `1 / interval` by `1 - exp(-interval / time_constant)`, so a steady pulse reads
//! exactly its tempo in hits per second whatever the time constant, a single fast flam moves it
//! only a little when the time constant is long, and a pause brings it down at the next hit.
//! [`SpeedRange`] maps that rate onto 0–1 for the outputs.
//!
//! Time is counted in samples, so the values never depend on how the audio is cut into blocks.
//!
//! ```
//! use timbrel_core::speed::{SpeedMeter, SpeedRange};
//! let mut meter = SpeedMeter::new(48_000.0, 200.0);
//! let mut rate = 0.0;
//! for i in 0..32u64 {
//!     rate = meter.hit(i * 6_000); // eighth notes at 120 BPM: 8 hits per second
//! }
//! assert!((rate - 8.0).abs() < 1e-3);
//! assert!((SpeedRange::new(0.0, 16.0).map(rate) - 0.5).abs() < 1e-4);
//! ```

/// Smoothed hit rate, in hits per second, updated at each hit. Never allocates.
#[derive(Debug, Clone)]
pub struct SpeedMeter {
    sample_rate: f32,
    time_constant_ms: f32,
    /// Onset of the previous hit, in samples; `None` before the first hit.
    last_onset: Option<u64>,
    /// The smoothed rate after the previous hit, in hits per second.
    rate: f32,
}

impl SpeedMeter {
    /// A meter for onsets counted at `sample_rate` (Hz), smoothing over `time_constant_ms` (ms;
    /// 0 follows each interval at once).
    pub fn new(sample_rate: f32, time_constant_ms: f32) -> Self {
        Self {
            sample_rate: sample_rate.max(1.0),
            time_constant_ms: time_constant_ms.max(0.0),
            last_onset: None,
            rate: 0.0,
        }
    }

    /// Changes the smoothing time constant (ms); the current rate is kept.
    pub fn set_time_constant_ms(&mut self, time_constant_ms: f32) {
        self.time_constant_ms = time_constant_ms.max(0.0);
    }

    /// Registers a hit with its onset at `onset` samples and returns the new rate in hits per
    /// second. The first hit after [`SpeedMeter::reset`] (or creation) returns 0: one hit has no
    /// rate. An onset earlier than or equal to the previous one is ignored (the rate is returned
    /// unchanged).
    pub fn hit(&mut self, onset: u64) -> f32 {
        let Some(last) = self.last_onset else {
            self.last_onset = Some(onset);
            return self.rate;
        };
        if onset <= last {
            return self.rate;
        }
        self.last_onset = Some(onset);
        let interval_s = (onset - last) as f32 / self.sample_rate;
        let instant = 1.0 / interval_s;
        let follow = if self.time_constant_ms <= 0.0 {
            1.0
        } else {
            1.0 - (-interval_s * 1000.0 / self.time_constant_ms).exp()
        };
        self.rate += follow * (instant - self.rate);
        self.rate
    }

    /// The rate after the last hit, in hits per second.
    pub fn rate(&self) -> f32 {
        self.rate
    }

    /// Forgets every hit (the next hit starts from a rate of 0).
    pub fn reset(&mut self) {
        self.last_onset = None;
        self.rate = 0.0;
    }
}

/// Maps a rate in hits per second linearly onto 0–1 between `slowest` and `fastest`, clamped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpeedRange {
    /// Rate that maps to 0, in hits per second.
    pub slowest: f32,
    /// Rate that maps to 1, in hits per second.
    pub fastest: f32,
}

impl SpeedRange {
    /// The range from `slowest` to `fastest` hits per second (swapped if given the other way).
    pub fn new(slowest: f32, fastest: f32) -> Self {
        if fastest < slowest {
            Self {
                slowest: fastest,
                fastest: slowest,
            }
        } else {
            Self { slowest, fastest }
        }
    }

    /// `rate` (hits per second) as 0–1; a range of zero width maps to 0 below it and 1 above.
    pub fn map(&self, rate: f32) -> f32 {
        let width = self.fastest - self.slowest;
        if width.is_nan() || width <= 0.0 {
            return if rate > self.slowest { 1.0 } else { 0.0 };
        }
        let x = (rate - self.slowest) / width;
        if x.is_nan() {
            0.0
        } else {
            x.clamp(0.0, 1.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_pulse_reads_its_tempo_whatever_the_time_constant() {
        for tc in [0.0, 50.0, 300.0, 2000.0] {
            let mut meter = SpeedMeter::new(44_100.0, tc);
            let mut rate = 0.0;
            for i in 0..400u64 {
                rate = meter.hit(i * 11_025); // 4 hits per second
            }
            assert!((rate - 4.0).abs() < 1e-3, "tc {tc}: {rate}");
        }
    }

    #[test]
    fn the_first_hit_has_no_rate_and_a_pause_brings_it_down() {
        let mut meter = SpeedMeter::new(48_000.0, 100.0);
        assert_eq!(meter.hit(1_000), 0.0);
        let mut t = 1_000;
        for _ in 0..50 {
            t += 4_800; // 10 per second
            meter.hit(t);
        }
        assert!((meter.rate() - 10.0).abs() < 1e-2);
        t += 48_000 * 2; // two seconds of silence
        let after = meter.hit(t);
        assert!(after < 1.0, "{after}");
        meter.reset();
        assert_eq!(meter.hit(t + 10), 0.0);
    }

    #[test]
    fn a_longer_time_constant_moves_less_on_one_flam() {
        let flam = |tc: f32| {
            let mut meter = SpeedMeter::new(48_000.0, tc);
            let mut t = 0;
            for _ in 0..20 {
                meter.hit(t);
                t += 24_000; // 2 per second
            }
            meter.hit(t - 24_000 + 1_200) // a grace 25 ms after the last hit
        };
        let (fast, slow) = (flam(10.0), flam(1000.0));
        assert!(fast > 30.0, "{fast}");
        assert!(slow < 3.5, "{slow}");
    }

    #[test]
    fn rates_do_not_depend_on_the_order_of_equal_or_earlier_onsets() {
        let mut meter = SpeedMeter::new(48_000.0, 100.0);
        meter.hit(10_000);
        let r = meter.hit(14_800);
        assert_eq!(meter.hit(14_800), r);
        assert_eq!(meter.hit(100), r);
    }

    #[test]
    fn the_range_maps_and_clamps() {
        let range = SpeedRange::new(16.0, 2.0);
        assert_eq!(range.slowest, 2.0);
        assert_eq!(range.map(1.0), 0.0);
        assert_eq!(range.map(9.0), 0.5);
        assert_eq!(range.map(40.0), 1.0);
        assert_eq!(range.map(f32::NAN), 0.0);
        let point = SpeedRange::new(4.0, 4.0);
        assert_eq!(point.map(3.0), 0.0);
        assert_eq!(point.map(5.0), 1.0);
    }
}
