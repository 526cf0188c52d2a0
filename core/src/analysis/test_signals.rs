//! Seeded test signals for the analyzer's unit tests: a drum (a click and two body modes), a
//! hi-hat (noise above 5 kHz), and the hits the analyzer finds in them fed in blocks.

use super::{AnalysisSettings, Analyzer, AnalyzerEvent, HitRecord};
use crate::biquad::{Biquad, BUTTERWORTH_Q};

/// Sample rate of the test signals, in Hz.
pub(crate) const RATE: f32 = 44_100.0;

/// Seeded uniform noise in -1..1.
pub(crate) fn noise(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// A drum at `at`: a click and a body of two low modes decaying with `decay_s` (seconds).
pub(crate) fn add_drum(out: &mut [f32], at: usize, gain: f32, decay_s: f32) {
    add_body(out, at, gain, decay_s);
    for (y, c) in out[at..].iter_mut().zip(noise(30, 7)) {
        *y += gain * 0.5 * c;
    }
}

/// A drum's body alone (two low modes, no click) from `at`, decaying with `decay_s` (seconds).
pub(crate) fn add_body(out: &mut [f32], at: usize, gain: f32, decay_s: f32) {
    for (i, y) in out[at..].iter_mut().enumerate() {
        let t = i as f32 / RATE;
        let body = (2.0 * std::f32::consts::PI * 190.0 * t).sin()
            + 0.7 * (2.0 * std::f32::consts::PI * 430.0 * t).sin();
        *y += gain * 0.6 * body * (-t / decay_s).exp();
    }
}

/// A hi-hat: noise above 5 kHz with a 20 ms decay, starting at `at`.
pub(crate) fn add_hat(out: &mut [f32], at: usize, gain: f32) {
    let mut hp = Biquad::highpass(5_000.0, BUTTERWORTH_Q, RATE);
    let n = noise(out.len() - at, 3);
    for (i, (y, x)) in out[at..].iter_mut().zip(n).enumerate() {
        let t = i as f32 / RATE;
        *y += gain * hp.process(x) * (-t / 0.02).exp();
    }
}

/// Every hit the default analyzer finds in `audio` fed in blocks of `block` samples (and
/// 4096 samples of silence after it).
pub(crate) fn hits_in_blocks(audio: &[f32], block: usize) -> Vec<HitRecord> {
    let mut a = Analyzer::new(RATE, AnalysisSettings::default());
    let mut out = Vec::new();
    for block in audio
        .chunks(block)
        .chain(std::iter::once(&[0.0f32; 4096][..]))
    {
        a.process(block, |e| {
            if let AnalyzerEvent::Hit(h) = e {
                out.push(*h);
            }
        });
    }
    out
}
