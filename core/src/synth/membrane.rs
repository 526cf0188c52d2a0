//! A struck circular membrane: modal synthesis with strike-position physics, plus the stick
//! transient and (for a snare) the wires.

use super::bessel::{self, MAX_ORDER, ZEROS, ZEROS_PER_ORDER};
use super::noise::{derive_seed, RateNoise};
use crate::biquad::{Biquad, BUTTERWORTH_Q};
use std::f32::consts::PI;

/// A drum head and its voice parameters. Use a preset ([`Membrane::snare`], [`Membrane::tom`],
/// [`Membrane::kick`]) and adjust fields as needed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Membrane {
    /// Frequency of the fundamental mode (0,1), in Hz. Mode (m,n) sits at
    /// `tuning_hz * j_mn / j_01`.
    pub tuning_hz: f32,
    /// Amplitude decay time constant of the fundamental, in seconds.
    pub decay_s: f32,
    /// Higher modes decay faster: mode (m,n) has time constant
    /// `decay_s * (f_01 / f_mn)^decay_exponent` (dimensionless exponent).
    pub decay_exponent: f32,
    /// Level of the stick/beater contact click relative to the modes (linear, 0..1).
    pub stick_level: f32,
    /// Level of the snare-wire noise relative to the modes (linear, 0 for no wires).
    pub wire_level: f32,
    /// Decay time constant of the snare-wire noise at full velocity, in seconds.
    pub wire_decay_s: f32,
    /// Overall output gain (linear).
    pub gain: f32,
    /// Length of a rendered hit, in seconds (the last 20 % fade out).
    pub length_s: f32,
}

impl Default for Membrane {
    /// The snare preset.
    fn default() -> Self {
        Self::snare()
    }
}

impl Membrane {
    /// A 14" snare: fundamental 190 Hz, short decay, strong wires.
    pub fn snare() -> Self {
        Self {
            tuning_hz: 190.0,
            decay_s: 0.12,
            decay_exponent: 1.0,
            stick_level: 0.6,
            wire_level: 0.3,
            wire_decay_s: 0.07,
            gain: 0.6,
            length_s: 0.5,
        }
    }

    /// A floor tom: low, long, no wires.
    pub fn tom() -> Self {
        Self {
            tuning_hz: 95.0,
            decay_s: 0.35,
            decay_exponent: 0.8,
            stick_level: 0.2,
            wire_level: 0.0,
            wire_decay_s: 0.05,
            gain: 0.3,
            length_s: 0.8,
        }
    }

    /// A kick drum: very low, beater click, no wires.
    pub fn kick() -> Self {
        Self {
            tuning_hz: 52.0,
            decay_s: 0.25,
            decay_exponent: 1.2,
            stick_level: 0.12,
            wire_level: 0.0,
            wire_decay_s: 0.05,
            gain: 0.45,
            length_s: 0.6,
        }
    }

    /// Frequency of mode (m, n) (n from 1), in Hz.
    pub fn mode_hz(&self, m: usize, n: usize) -> f32 {
        (self.tuning_hz as f64 * ZEROS[m][n - 1] / ZEROS[0][0]) as f32
    }

    /// Renders one hit at radius `r` (0 = centre, 1 = rim; clamped to 0..0.99) with `velocity`
    /// (0..1, clamped), at `sample_rate` Hz. The hit starts exactly at sample 0 (the stick click
    /// is non-zero there). `seed` drives the noise and small per-hit variations.
    pub fn hit(&self, r: f32, velocity: f32, sample_rate: f32, seed: u64) -> Vec<f32> {
        let r = r.clamp(0.0, 0.99) as f64;
        let v = velocity.clamp(0.0, 1.0);
        let len = (self.length_s * sample_rate).round().max(1.0) as usize;
        let mut out = vec![0.0f32; len];
        let mut rng = fastrand::Rng::with_seed(derive_seed(seed, 1));

        // Mallet contact: harder hits are shorter, so the excitation reaches higher modes.
        let excite_hz = 600.0 + 5400.0 * v.powf(1.5);
        let contact_s = 1.0 / (PI * excite_hz);
        let f01 = self.tuning_hz;
        #[allow(clippy::needless_range_loop)]
        for m in 0..=MAX_ORDER {
            for n in 1..=ZEROS_PER_ORDER {
                let f = self.mode_hz(m, n);
                if f >= 0.45 * sample_rate {
                    continue;
                }
                let shape = bessel::j(m as u32, ZEROS[m][n - 1] * r) as f32;
                let lowpass = 1.0 / (1.0 + (f / excite_hz).powi(4)).sqrt();
                let jitter = 1.0 + 0.1 * (rng.f32() * 2.0 - 1.0);
                let amp = 0.25 * v * shape * lowpass * jitter;
                if amp.abs() < 1e-7 {
                    continue;
                }
                let tau = self.decay_s * (f01 / f).powf(self.decay_exponent);
                add_decaying_sine(&mut out, amp, f, tau, sample_rate);
            }
        }
        // Contact smoothing of the modal attack (raised cosine over the contact time).
        let attack_len = ((contact_s * sample_rate) as usize).min(len);
        for (i, s) in out.iter_mut().take(attack_len).enumerate() {
            *s *= 0.5 - 0.5 * (PI * i as f32 / attack_len as f32).cos();
        }

        // Stick click: decaying noise from sample 0, brighter for harder hits.
        let mut noise = RateNoise::new(derive_seed(seed, 2), sample_rate);
        let click_tau = 0.0004 + 0.0008 * (1.0 - v);
        let click_amp = self.stick_level * v.powf(1.3);
        let mut lp = Biquad::lowpass(2500.0 + 9000.0 * v, BUTTERWORTH_Q, sample_rate);
        let mut hp = Biquad::highpass(300.0, BUTTERWORTH_Q, sample_rate);
        let click_len = ((click_tau * 10.0 * sample_rate) as usize).min(len);
        let decay = (-1.0 / (click_tau * sample_rate)).exp();
        let mut env = click_amp;
        for s in out.iter_mut().take(click_len) {
            // The first sample is a deterministic positive step so the hit starts at sample 0.
            *s += hp.process(lp.process(noise.next())) * env;
            env *= decay;
        }
        if click_len > 0 {
            out[0] += click_amp * 0.5;
        }

        // Snare wires: band-limited noise, excited a little after the strike, rattling longer
        // for harder and more central hits.
        if self.wire_level > 0.0 {
            let mut noise = RateNoise::new(derive_seed(seed, 3), sample_rate);
            let mut hp = Biquad::highpass(2500.0, BUTTERWORTH_Q, sample_rate);
            let mut lp = Biquad::lowpass(9000.0, BUTTERWORTH_Q, sample_rate);
            let amp = self.wire_level * v * (1.0 - 0.4 * r as f32);
            let tau = self.wire_decay_s * (0.6 + 0.4 * v);
            let delay = 0.0015 * sample_rate;
            let rise = 0.002 * sample_rate;
            for (i, s) in out.iter_mut().enumerate() {
                let t = i as f32 - delay;
                let w = hp.process(lp.process(noise.next()));
                if t > 0.0 {
                    let env = (t / rise).min(1.0) * (-t / (tau * sample_rate)).exp();
                    *s += amp * env * w;
                }
            }
        }

        // Fade out the last 20 % so truncation adds no click.
        let fade = len / 5;
        for i in 0..fade {
            out[len - 1 - i] *= i as f32 / fade as f32;
        }
        for s in &mut out {
            *s *= self.gain;
        }
        out
    }
}

/// Adds `amp * sin(2π f t) * exp(-t / tau)` to `out` with a recursive oscillator.
fn add_decaying_sine(out: &mut [f32], amp: f32, freq_hz: f32, tau_s: f32, sample_rate: f32) {
    let w = 2.0 * std::f64::consts::PI * freq_hz as f64 / sample_rate as f64;
    let d = (-1.0 / (tau_s as f64 * sample_rate as f64)).exp();
    let (rc, rs) = (w.cos() * d, w.sin() * d);
    let (mut c, mut s) = (amp as f64, 0.0f64);
    let stop = amp.abs() as f64 * 1e-5;
    for o in out.iter_mut() {
        *o += s as f32;
        let nc = c * rc - s * rs;
        s = c * rs + s * rc;
        c = nc;
        if c.abs() + s.abs() < stop {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_and_deterministic() {
        let m = Membrane::snare();
        assert_eq!(m.hit(0.3, 0.7, 44_100.0, 5), m.hit(0.3, 0.7, 44_100.0, 5));
        assert_ne!(m.hit(0.3, 0.7, 44_100.0, 5), m.hit(0.3, 0.7, 44_100.0, 6));
    }

    #[test]
    fn starts_at_sample_zero_and_scales_with_velocity() {
        let m = Membrane::snare();
        let loud = m.hit(0.1, 1.0, 48_000.0, 1);
        let soft = m.hit(0.1, 0.15, 48_000.0, 1);
        assert!(loud[0].abs() > 1e-3);
        let peak = |x: &[f32]| x.iter().fold(0.0f32, |a, b| a.max(b.abs()));
        assert!(peak(&loud) < 1.0 && peak(&loud) > 0.3, "{}", peak(&loud));
        assert!(peak(&soft) < 0.3 * peak(&loud));
    }

    #[test]
    fn centre_hits_excite_only_symmetric_modes() {
        // At r = 0 only m = 0 modes sound: J_m(0) = 0 for m > 0.
        for m in 1..=MAX_ORDER {
            assert_eq!(bessel::j(m as u32, 0.0), 0.0);
        }
    }
}
