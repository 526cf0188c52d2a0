//! Control signals that follow the hits: a value per channel that jumps (sample-and-hold) or
//! glides to a new target at each hit, and optionally decays to a rest value between hits.
//!
//! [`ControlBank`] runs per sample, so what it produces does not depend on how the audio is cut
//! into blocks; all times are in milliseconds and follow the sample rate. [`RangeCurve`] maps the
//! interpolation onto the range and curve the user wants the outputs to span.
//!
//! ```
//! use timbrel_core::control::{ControlBank, Shaping};
//! let mut bank = ControlBank::<2>::new(48_000.0, Shaping { glide_ms: 10.0, ..Shaping::default() });
//! bank.set_targets([1.0, 0.5]);
//! for _ in 0..480 {
//!     bank.tick();
//! }
//! assert_eq!(bank.values(), [1.0, 0.5]);
//! ```

/// How control values move between hits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shaping {
    /// Time a value takes to reach a new hit's value, in ms; 0 jumps at once (sample-and-hold).
    pub glide_ms: f32,
    /// Time constant of the decay towards the rest value after a hit, in ms; 0 holds the value
    /// until the next hit.
    pub decay_ms: f32,
}

impl Default for Shaping {
    /// Sample-and-hold: jump at each hit, hold until the next.
    fn default() -> Self {
        Self {
            glide_ms: 0.0,
            decay_ms: 0.0,
        }
    }
}

/// `N` control channels that follow the hits, advanced one sample at a time. Never allocates.
#[derive(Debug, Clone)]
pub struct ControlBank<const N: usize> {
    values: [f32; N],
    targets: [f32; N],
    rest: [f32; N],
    /// Samples left in the current glide.
    remaining: u32,
    glide_samples: u32,
    /// Per-sample factor that pulls the targets towards the rest values (1 = no decay).
    decay: f32,
    sample_rate: f32,
    shaping: Shaping,
}

impl<const N: usize> ControlBank<N> {
    /// A bank at `sample_rate` (Hz) with every value, target and rest value at 0.
    pub fn new(sample_rate: f32, shaping: Shaping) -> Self {
        let mut bank = Self {
            values: [0.0; N],
            targets: [0.0; N],
            rest: [0.0; N],
            remaining: 0,
            glide_samples: 0,
            decay: 1.0,
            sample_rate: sample_rate.max(1.0),
            shaping: Shaping::default(),
        };
        bank.set_shaping(shaping);
        bank
    }

    /// Changes glide and decay; a glide under way keeps its remaining length.
    pub fn set_shaping(&mut self, shaping: Shaping) {
        if shaping == self.shaping && self.glide_samples > 0 {
            return;
        }
        self.shaping = shaping;
        let samples = |ms: f32| {
            if ms.is_finite() {
                (ms.max(0.0) * 0.001 * self.sample_rate).round()
            } else {
                0.0
            }
        };
        self.glide_samples = samples(shaping.glide_ms) as u32;
        let decay_samples = samples(shaping.decay_ms);
        self.decay = if decay_samples >= 1.0 {
            (-1.0 / decay_samples).exp()
        } else {
            1.0
        };
    }

    /// Sets the values the channels decay towards.
    pub fn set_rest(&mut self, rest: [f32; N]) {
        self.rest = rest;
    }

    /// A hit: every channel heads for its new value, at once or over the glide time.
    pub fn set_targets(&mut self, targets: [f32; N]) {
        self.targets = targets;
        if self.glide_samples == 0 {
            self.values = targets;
            self.remaining = 0;
        } else {
            self.remaining = self.glide_samples;
        }
    }

    /// Jumps every channel to `values` at once, with no glide (e.g. after a reset).
    pub fn jump_to(&mut self, values: [f32; N]) {
        self.values = values;
        self.targets = values;
        self.remaining = 0;
    }

    /// Advances one sample and returns the values after it.
    #[inline]
    pub fn tick(&mut self) -> [f32; N] {
        if self.decay < 1.0 {
            for (t, r) in self.targets.iter_mut().zip(&self.rest) {
                *t = r + (*t - r) * self.decay;
            }
        }
        if self.remaining > 0 {
            let left = self.remaining as f32;
            for (v, t) in self.values.iter_mut().zip(&self.targets) {
                *v += (t - *v) / left;
            }
            self.remaining -= 1;
        } else {
            self.values = self.targets;
        }
        self.values
    }

    /// The current values.
    pub fn values(&self) -> [f32; N] {
        self.values
    }
}

/// Maps an interpolation value in [0, 1] to `min + (max − min) · x^curve`. `min` above `max`
/// inverts the output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeCurve {
    /// Output for class A (interpolation 0), 0..=1.
    pub min: f32,
    /// Output for class B (interpolation 1), 0..=1.
    pub max: f32,
    /// Exponent: 1 is linear, above 1 spreads the values near A, below 1 those near B.
    pub curve: f32,
}

impl Default for RangeCurve {
    /// The identity.
    fn default() -> Self {
        Self {
            min: 0.0,
            max: 1.0,
            curve: 1.0,
        }
    }
}

impl RangeCurve {
    /// Maps `x` (clamped to [0, 1]; NaN counts as 0) to the output range.
    #[inline]
    pub fn map(&self, x: f32) -> f32 {
        let x = if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) };
        let shaped = if self.curve == 1.0 || !self.curve.is_finite() || self.curve <= 0.0 {
            x
        } else {
            x.powf(self.curve)
        };
        (self.min + (self.max - self.min) * shaped).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<const N: usize>(bank: &mut ControlBank<N>, samples: usize) -> Vec<[f32; N]> {
        (0..samples).map(|_| bank.tick()).collect()
    }

    #[test]
    fn sample_and_hold_jumps_and_holds() {
        let mut bank = ControlBank::<1>::new(48_000.0, Shaping::default());
        bank.set_targets([0.7]);
        assert!(run(&mut bank, 10_000).iter().all(|v| v[0] == 0.7));
        bank.set_targets([0.2]);
        assert_eq!(bank.tick(), [0.2]);
    }

    #[test]
    fn glide_reaches_the_target_after_the_glide_time_at_any_rate() {
        for rate in [44_100.0, 48_000.0, 96_000.0] {
            let mut bank = ControlBank::<2>::new(
                rate,
                Shaping {
                    glide_ms: 20.0,
                    decay_ms: 0.0,
                },
            );
            bank.set_targets([1.0, -1.0]);
            let n = (0.020 * rate).round() as usize;
            let out = run(&mut bank, n + 5);
            // Linear ramp: half way at half the time, there exactly at the end.
            assert!(
                (out[n / 2 - 1][0] - 0.5).abs() < 0.01,
                "{rate}: {:?}",
                out[n / 2 - 1]
            );
            assert!(out[..n - 1].iter().all(|v| v[0] < 1.0));
            assert_eq!(out[n - 1], [1.0, -1.0]);
            assert!(out[n..].iter().all(|v| *v == [1.0, -1.0]));
            assert!(out.windows(2).all(|w| w[1][0] >= w[0][0]), "monotone");
        }
    }

    #[test]
    fn decay_falls_to_the_rest_value_with_its_time_constant() {
        let mut bank = ControlBank::<1>::new(
            48_000.0,
            Shaping {
                glide_ms: 0.0,
                decay_ms: 100.0,
            },
        );
        bank.set_rest([0.25]);
        bank.set_targets([1.0]);
        let out = run(&mut bank, 48_000);
        // After one time constant, 1/e of the distance is left.
        let at_tau = out[4_799][0];
        assert!(
            (at_tau - (0.25 + 0.75 / std::f32::consts::E)).abs() < 0.01,
            "{at_tau}"
        );
        assert!((out[47_999][0] - 0.25).abs() < 1e-3);
    }

    #[test]
    fn values_do_not_depend_on_when_they_are_read() {
        // The bank is per-sample; a host reading at block ends sees the same values as one that
        // reads every sample.
        let shaping = Shaping {
            glide_ms: 5.0,
            decay_ms: 50.0,
        };
        let mut a = ControlBank::<1>::new(44_100.0, shaping);
        let mut b = a.clone();
        a.set_targets([1.0]);
        b.set_targets([1.0]);
        let every = run(&mut a, 3_000);
        let mut last = [0.0];
        for _ in 0..3_000 {
            last = b.tick();
        }
        assert_eq!(every[2_999], last);
    }

    #[test]
    fn range_and_curve_map_the_interpolation() {
        let id = RangeCurve::default();
        assert_eq!(id.map(0.3), 0.3);
        assert_eq!(id.map(f32::NAN), 0.0);
        assert_eq!(id.map(2.0), 1.0);
        let narrow = RangeCurve {
            min: 0.2,
            max: 0.6,
            curve: 1.0,
        };
        assert!((narrow.map(0.5) - 0.4).abs() < 1e-6);
        let inverted = RangeCurve {
            min: 1.0,
            max: 0.0,
            curve: 1.0,
        };
        assert_eq!(inverted.map(0.0), 1.0);
        assert_eq!(inverted.map(1.0), 0.0);
        let curved = RangeCurve {
            min: 0.0,
            max: 1.0,
            curve: 2.0,
        };
        assert!((curved.map(0.5) - 0.25).abs() < 1e-6);
    }
}
