//! A synthetic hi-hat stroke laid on a hit's window: what a hat played with the hit would do to
//! its descriptor, rendered from the hit itself instead of guessed.
//!
//! The burst is seeded white noise ([`SEED`]) through two 2nd-order Butterworth high-passes at
//! [`CUTOFF_HZ`], decaying exponentially with the time constant [`DECAY_S`], starting on the
//! window's first sample (the hit's onset) and scaled so that its peak stands
//! [`HatMix::level_db`] below the window's own peak. No real hat is used: a closed hat's energy
//! lies above about 5 kHz, its stroke as sharp as a stick's, and it fades within tens of
//! milliseconds, which is all the burst imitates.
//!
//! The plugin asks for it while a class is armed, `timbrel train` for its training files: the
//! learn crate keeps the result with each training example and its novelty scorer reaches from
//! each class to its hits under the hat (`timbrel_learn::novelty`, "hat segments"). Measured
//! with `cargo run --release -p timbrel-cli --example kit_model` (Hydrogen kits, other kits'
//! real hats): snare hits with a hat stroke on them called snare 54.2 -> 70.8 % at 5.8 ms, for
//! 5.3 points of tom rejection.
//!
//! Everything is allocated in [`HatMix::new`]; [`HatMix::mix`] only writes into its buffer.

use super::settings::scale_ref;
use crate::biquad::{Biquad, BUTTERWORTH_Q};

/// High-pass cutoff of the burst, in Hz (capped at 0.45 × the sample rate).
pub const CUTOFF_HZ: f32 = 5_000.0;
/// Time constant of the burst's exponential decay, in seconds.
pub const DECAY_S: f32 = 0.025;
/// Seed of the burst's noise (one fixed burst: the hits vary, the hat does not need to).
pub const SEED: u64 = 0x7A7_5E1D;
/// Level of the burst's peak under the window's peak, in dB, that training hits are recorded
/// with (`timbrel_learn::dataset::HAT_LEVEL_DB`, where its choice is measured).
pub const DEFAULT_LEVEL_DB: f32 = 15.0;

/// A burst and the buffer a hit's window is mixed with it into.
#[derive(Debug, Clone)]
pub struct HatMix {
    /// The burst, peak 1, as long as the longest window.
    burst: Vec<f32>,
    /// The last mixed window.
    mixed: Vec<f32>,
    /// Level of the burst's peak under the window's peak, in dB (≥ 0).
    pub level_db: f32,
}

impl HatMix {
    /// A burst for `sample_rate` (Hz) of `max_len` samples (the longest window), its peak
    /// `level_db` (clamped to 0..=60) under the window's.
    pub fn new(sample_rate: f32, max_len: usize, level_db: f32) -> Self {
        let mut rng = fastrand::Rng::with_seed(SEED);
        let hz = CUTOFF_HZ.min(0.45 * sample_rate);
        let mut filters = [
            Biquad::highpass(hz, BUTTERWORTH_Q, sample_rate),
            Biquad::highpass(hz, BUTTERWORTH_Q, sample_rate),
        ];
        let decay = (-1.0 / (DECAY_S * sample_rate)).exp();
        let mut gain = 1.0f32;
        let mut burst: Vec<f32> = (0..max_len.max(1))
            .map(|_| {
                let noise = rng.f32() * 2.0 - 1.0;
                let v = filters.iter_mut().fold(noise, |v, f| f.process(v)) * gain;
                gain *= decay;
                v
            })
            .collect();
        let peak = burst.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        if peak > 0.0 {
            burst.iter_mut().for_each(|v| *v /= peak);
        }
        Self {
            mixed: vec![0.0; burst.len()],
            burst,
            level_db: level_db.clamp(0.0, 60.0),
        }
    }

    /// The window `a` followed by `b` (a ring buffer's two halves) with the burst on it, in an
    /// internal buffer (the window is cut to the burst's length).
    pub fn mix(&mut self, a: &[f32], b: &[f32]) -> &[f32] {
        let n = (a.len() + b.len()).min(self.mixed.len());
        let peak =
            a.iter().chain(b).take(n).fold(
                0.0f32,
                |m, v| if v.is_finite() { m.max(v.abs()) } else { m },
            );
        let gain = peak * 10f32.powf(-self.level_db / 20.0);
        for ((out, x), h) in self.mixed[..n]
            .iter_mut()
            .zip(a.iter().chain(b))
            .zip(&self.burst)
        {
            *out = x + gain * h;
        }
        &self.mixed[..n]
    }
}

/// The burst length for the longest window at `sample_rate` (Hz), in samples.
pub fn max_len(sample_rate: f32, max_window_ref: u32) -> usize {
    scale_ref(max_window_ref as f32, sample_rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_is_high_and_sits_level_db_under_the_window() {
        let mut h = HatMix::new(44_100.0, 1024, 15.0);
        let window: Vec<f32> = (0..256).map(|i| 0.5 * (i as f32 * 0.03).sin()).collect();
        let mixed = h.mix(&window[..100], &window[100..]).to_vec();
        assert_eq!(mixed.len(), 256);
        let added: Vec<f32> = mixed.iter().zip(&window).map(|(m, w)| m - w).collect();
        let peak = added.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let want = 0.5 * 10f32.powf(-15.0 / 20.0);
        // The burst's own peak lies in its first few samples.
        assert!(
            (peak - want).abs() < 0.05 * want,
            "peak {peak}, want {want}"
        );
        // High-passed: almost no energy below 1 kHz (a 1-pole average removes the highs).
        let mean = added.iter().sum::<f32>() / added.len() as f32;
        assert!(mean.abs() < 0.01 * want, "mean {mean}");
    }

    #[test]
    fn the_burst_is_seeded_and_silence_stays_silent() {
        let a = HatMix::new(48_000.0, 512, 15.0);
        let b = HatMix::new(48_000.0, 512, 15.0);
        assert_eq!(a.burst, b.burst);
        let mut h = a;
        let silent = [0.0f32; 300];
        assert!(h.mix(&silent, &[]).iter().all(|&v| v == 0.0));
        let nan = [f32::NAN, 0.5, -0.25];
        let m = h.mix(&nan, &[]).to_vec();
        assert!(m[1].is_finite() && m[2].is_finite());
    }
}
