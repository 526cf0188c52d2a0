//! A seeded drum performance with ground truth: main-drum hits (with flams), bleed from other
//! drums, and background noise, rendered at any sample rate.

use super::noise::derive_seed;
use super::sources::{mix_into, noise_burst};
use super::Membrane;
use crate::biquad::{Biquad, BUTTERWORTH_Q};

/// Bleed from other drums is low-passed at this frequency (distance and off-axis pickup), in Hz.
pub const BLEED_LOWPASS_HZ: f32 = 2000.0;

/// Which instrument produced a ground-truth event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The main (close-miked) drum: these are the hits a detector should find.
    Main,
    /// Bleed from a kick drum: not a hit of the main drum.
    BleedKick,
    /// Bleed from a tom: not a hit of the main drum.
    BleedTom,
}

/// One ground-truth event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroundTruthHit {
    /// Onset time, in seconds from the start of the rendering. At sample rate `sr` the event
    /// starts at sample `(time_s * sr).round()`.
    pub time_s: f64,
    /// Strike radius, 0 = centre .. 1 = rim.
    pub radius: f32,
    /// Velocity, 0..1.
    pub velocity: f32,
    /// What produced it.
    pub source: Source,
    /// Whether this hit is one of the two hits of a flam (main drum only).
    pub in_flam: bool,
    /// Seed of this hit's own noise and variations.
    pub seed: u64,
}

impl GroundTruthHit {
    /// Onset position at `sample_rate`, in samples.
    pub fn onset_sample(&self, sample_rate: f32) -> u64 {
        (self.time_s * sample_rate as f64).round() as u64
    }
}

/// How a [`Performance`] is generated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerformanceSpec {
    /// Length of the performance, in seconds.
    pub duration_s: f32,
    /// Shortest gap between two main-drum strokes (a flam counts as one stroke), in seconds.
    pub min_gap_s: f32,
    /// Longest gap between two main-drum strokes, in seconds.
    pub max_gap_s: f32,
    /// Probability (0..1) that a stroke is a flam: a grace note 20–30 ms before the main note,
    /// at 30–55 % of its velocity (at least `min_velocity`).
    pub flam_probability: f32,
    /// Lowest velocity of a main-drum hit (0..1); the highest is 1.
    pub min_velocity: f32,
    /// Mean number of bleed events (kick or tom) per second.
    pub bleed_per_s: f32,
    /// Gain applied to bleed events (linear; 0.1 = -20 dB); bleed is also low-passed at
    /// `BLEED_LOWPASS_HZ` (2 kHz).
    pub bleed_gain: f32,
    /// RMS level of the continuous background noise, in dBFS (band-limited to 16 kHz).
    pub noise_dbfs: f32,
    /// The main drum.
    pub main: Membrane,
}

impl Default for PerformanceSpec {
    /// 20 s of snare with 15 % flams, velocities 0.15..1, kick/tom bleed at -20 dB, noise at
    /// -66 dBFS.
    fn default() -> Self {
        Self {
            duration_s: 20.0,
            min_gap_s: 0.11,
            max_gap_s: 0.45,
            flam_probability: 0.15,
            min_velocity: 0.15,
            bleed_per_s: 2.0,
            bleed_gain: 0.1,
            noise_dbfs: -66.0,
            main: Membrane::snare(),
        }
    }
}

/// A generated performance: the spec, the seed, and the ground truth, sorted by time.
#[derive(Debug, Clone, PartialEq)]
pub struct Performance {
    /// How it was generated.
    pub spec: PerformanceSpec,
    /// The seed it was generated from.
    pub seed: u64,
    /// Every event (main hits and bleed), sorted by time.
    pub events: Vec<GroundTruthHit>,
}

impl Performance {
    /// Generates the ground truth for `spec` from `seed` (no audio yet: see [`Self::render`]).
    pub fn generate(spec: PerformanceSpec, seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(derive_seed(seed, 100));
        let mut events = Vec::new();
        let end = spec.duration_s as f64 - 0.6;
        let mut t = 0.05 + 0.1 * rng.f64();
        let mut k = 0u64;
        let next_seed = |k: &mut u64| {
            *k += 1;
            derive_seed(seed, 1000 + *k)
        };
        while t < end {
            let velocity = spec.min_velocity + (1.0 - spec.min_velocity) * rng.f32();
            let radius = 0.95 * rng.f32();
            if rng.f32() < spec.flam_probability {
                let gap = 0.020 + 0.010 * rng.f64();
                let grace_v = (velocity * (0.3 + 0.25 * rng.f32())).max(spec.min_velocity);
                let grace_r = (radius + 0.1 * (rng.f32() - 0.5)).clamp(0.0, 0.95);
                events.push(GroundTruthHit {
                    time_s: t,
                    radius: grace_r,
                    velocity: grace_v,
                    source: Source::Main,
                    in_flam: true,
                    seed: next_seed(&mut k),
                });
                events.push(GroundTruthHit {
                    time_s: t + gap,
                    radius,
                    velocity,
                    source: Source::Main,
                    in_flam: true,
                    seed: next_seed(&mut k),
                });
                t += gap;
            } else {
                events.push(GroundTruthHit {
                    time_s: t,
                    radius,
                    velocity,
                    source: Source::Main,
                    in_flam: false,
                    seed: next_seed(&mut k),
                });
            }
            t += spec.min_gap_s as f64 + (spec.max_gap_s - spec.min_gap_s) as f64 * rng.f64();
        }
        if spec.bleed_per_s > 0.0 {
            let mut t = 0.1 + rng.f64() / spec.bleed_per_s as f64;
            while t < end {
                let source = if rng.bool() {
                    Source::BleedKick
                } else {
                    Source::BleedTom
                };
                events.push(GroundTruthHit {
                    time_s: t,
                    radius: 0.2 + 0.5 * rng.f32(),
                    velocity: 0.4 + 0.6 * rng.f32(),
                    source,
                    in_flam: false,
                    seed: next_seed(&mut k),
                });
                t += (0.3 + 1.4 * rng.f64()) / spec.bleed_per_s as f64;
            }
        }
        events.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
        Self { spec, seed, events }
    }

    /// The main-drum hits (the ones a detector should report), in time order.
    pub fn main_hits(&self) -> impl Iterator<Item = &GroundTruthHit> {
        self.events.iter().filter(|e| e.source == Source::Main)
    }

    /// Renders the performance at `sample_rate` Hz: `spec.duration_s` seconds, mono.
    pub fn render(&self, sample_rate: f32) -> Vec<f32> {
        let len = (self.spec.duration_s * sample_rate).round() as usize;
        let noise_rms = 10f32.powf(self.spec.noise_dbfs / 20.0);
        let mut out = if noise_rms > 1e-9 {
            noise_burst(
                self.spec.duration_s,
                noise_rms,
                sample_rate,
                derive_seed(self.seed, 7),
            )
        } else {
            vec![0.0; len]
        };
        out.resize(len, 0.0);
        for e in &self.events {
            let (drum, gain) = match e.source {
                Source::Main => (self.spec.main, 1.0),
                Source::BleedKick => (Membrane::kick(), self.spec.bleed_gain),
                Source::BleedTom => (Membrane::tom(), self.spec.bleed_gain),
            };
            let mut hit = drum.hit(e.radius, e.velocity, sample_rate, e.seed);
            if e.source != Source::Main {
                // Bleed reaches the close mic from a distance and off-axis: darker.
                let mut lp = Biquad::lowpass(BLEED_LOWPASS_HZ, BUTTERWORTH_Q, sample_rate);
                lp.process_slice(&mut hit);
            }
            mix_into(&mut out, &hit, e.onset_sample(sample_rate) as usize, gain);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flams_are_20_to_30_ms_apart_and_seeded() {
        let p = Performance::generate(PerformanceSpec::default(), 42);
        assert_eq!(p, Performance::generate(PerformanceSpec::default(), 42));
        let main: Vec<_> = p.main_hits().collect();
        let mut flams = 0;
        for w in main.windows(2) {
            let gap = w[1].time_s - w[0].time_s;
            if w[0].in_flam && w[1].in_flam && gap < 0.05 {
                assert!((0.020..=0.030).contains(&gap), "{gap}");
                flams += 1;
            } else {
                assert!(gap >= 0.1, "{gap}");
            }
        }
        assert!(flams >= 3, "{flams}");
        assert!(p.events.iter().any(|e| e.source != Source::Main));
        assert!(main.iter().all(|e| (0.15..=1.0).contains(&e.velocity)));
    }
}
