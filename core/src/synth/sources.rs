//! Sounds that are not the main drum, for robustness tests: noise bursts, cymbals, other drums.

use super::noise::{derive_seed, RateNoise};
use super::Membrane;
use crate::biquad::{Biquad, BUTTERWORTH_Q};

/// A burst of band-limited white noise (30 Hz to 16 kHz) lasting `duration_s` seconds with RMS
/// `level` (linear, full scale = 1), with 1 ms fades at both ends.
pub fn noise_burst(duration_s: f32, level: f32, sample_rate: f32, seed: u64) -> Vec<f32> {
    let len = (duration_s * sample_rate).round().max(1.0) as usize;
    let mut noise = RateNoise::new(seed, sample_rate);
    let mut lp = Biquad::lowpass(16_000.0, BUTTERWORTH_Q, sample_rate);
    let mut hp = Biquad::highpass(30.0, BUTTERWORTH_Q, sample_rate);
    let fade = ((0.001 * sample_rate) as usize).max(1);
    // Noise of unit PSD at 44.1 kHz reaches an RMS of about sqrt(16 kHz / 22.05 kHz) after the
    // low-pass; normalise so `level` is the RMS.
    let norm = level / (16_000.0f32 / 22_050.0).sqrt();
    (0..len)
        .map(|i| {
            let edge = (i.min(len - 1 - i) as f32 / fade as f32).min(1.0);
            hp.process(lp.process(noise.next())) * norm * edge
        })
        .collect()
}

/// A cymbal-like sound: 48 inharmonic metallic partials (log-uniform 320 Hz..12 kHz) and a
/// sizzle of high-passed noise, decaying over about a second. `velocity` 0..1 scales level and
/// brightness.
pub fn cymbal(velocity: f32, sample_rate: f32, seed: u64) -> Vec<f32> {
    let v = velocity.clamp(0.0, 1.0);
    let len = (1.5 * sample_rate) as usize;
    let mut out = vec![0.0f32; len];
    let mut rng = fastrand::Rng::with_seed(derive_seed(seed, 10));
    for _ in 0..48 {
        let f = 320.0 * (12_000.0f32 / 320.0).powf(rng.f32());
        if f >= 0.45 * sample_rate {
            continue;
        }
        let amp = 0.02 * v * (0.5 + rng.f32()) * (f / 3000.0).powf(0.3 * v - 0.15);
        let tau = 0.3 + 0.9 * rng.f32();
        let phase = rng.f32() * std::f32::consts::TAU;
        let w = std::f32::consts::TAU * f / sample_rate;
        let d = (-1.0 / (tau * sample_rate)).exp();
        let mut env = amp;
        for (i, o) in out.iter_mut().enumerate() {
            *o += env * (w * i as f32 + phase).sin();
            env *= d;
        }
    }
    let mut noise = RateNoise::new(derive_seed(seed, 11), sample_rate);
    let mut hp = Biquad::highpass(5000.0, BUTTERWORTH_Q, sample_rate);
    let mut lp = Biquad::lowpass(14_000.0, BUTTERWORTH_Q, sample_rate);
    let d = (-1.0 / (0.6 * sample_rate)).exp();
    let mut env = 0.15 * v;
    for o in out.iter_mut() {
        *o += env * hp.process(lp.process(noise.next()));
        env *= d;
    }
    out
}

/// Another drum than the snare: a floor tom hit at radius `r` with `velocity`.
pub fn tom(r: f32, velocity: f32, sample_rate: f32, seed: u64) -> Vec<f32> {
    Membrane::tom().hit(r, velocity, sample_rate, seed)
}

/// A kick drum hit with `velocity`.
pub fn kick(velocity: f32, sample_rate: f32, seed: u64) -> Vec<f32> {
    Membrane::kick().hit(0.2, velocity, sample_rate, seed)
}

/// Adds `src` into `dst` starting at sample `offset`, scaled by `gain` (truncated at the end).
pub fn mix_into(dst: &mut [f32], src: &[f32], offset: usize, gain: f32) {
    if offset >= dst.len() {
        return;
    }
    for (d, s) in dst[offset..].iter_mut().zip(src) {
        *d += s * gain;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_level_is_its_rms() {
        for sr in [44_100.0, 96_000.0] {
            let b = noise_burst(0.5, 0.1, sr, 3);
            let rms = (b.iter().map(|x| x * x).sum::<f32>() / b.len() as f32).sqrt();
            assert!((rms / 0.1 - 1.0).abs() < 0.15, "rms {rms} at {sr}");
        }
    }

    #[test]
    fn cymbal_is_finite_and_bounded() {
        let c = cymbal(1.0, 48_000.0, 1);
        assert!(c.iter().all(|x| x.is_finite() && x.abs() < 1.0));
    }
}
