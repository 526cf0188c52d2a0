//! Seeded test material from the core's membrane synthesizer: snare hits with known strike
//! radius and velocity (tuning spread, background noise, bleed from other drums), sounds that
//! are not the snare, their descriptors through the streaming analyzer, and the statistics used
//! to judge the results. Used by the goal tests, the benchmarks and the CLI.

use crate::dataset::{Dataset, Example};
use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent, HitRecord};
use timbrel_core::biquad::Biquad;
use timbrel_core::synth::{sources, Membrane};

/// Bleed from other drums is low-passed here, in Hz (as in the core's performances).
pub const BLEED_LOWPASS_HZ: f32 = 2000.0;
/// Silence-plus-noise before each sound, in seconds.
pub const PRE_ROLL_S: f32 = 0.05;
/// Padding after each sound so the analysis window completes, in seconds.
pub const POST_ROLL_S: f32 = 0.1;

/// How test hits vary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthSpec {
    /// Sample rate, in Hz.
    pub sample_rate: f32,
    /// Velocity range (0..=1).
    pub velocity: (f32, f32),
    /// Relative tuning spread of the snare: tuning × (1 ± this), uniform.
    pub tuning_spread: f32,
    /// Background noise RMS range, in dBFS (uniform in dB).
    pub noise_dbfs: (f32, f32),
    /// Probability (0..1) that a hit has bleed from a tom or kick mixed in.
    pub bleed_probability: f32,
    /// Bleed gain range, in dB relative to the bleeding drum's own level.
    pub bleed_db: (f32, f32),
}

impl Default for SynthSpec {
    /// 44.1 kHz, velocities 0.15..1, tuning ±5 %, noise −70..−55 dBFS, bleed in 30 % of hits
    /// at −26..−14 dB.
    fn default() -> Self {
        Self {
            sample_rate: 44_100.0,
            velocity: (0.15, 1.0),
            tuning_spread: 0.05,
            noise_dbfs: (-70.0, -55.0),
            bleed_probability: 0.3,
            bleed_db: (-26.0, -14.0),
        }
    }
}

/// What made a test sound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sound {
    /// The snare struck at `radius` (0 centre..1 rim) with `velocity` (0..1).
    Snare {
        /// Strike radius.
        radius: f32,
        /// Velocity.
        velocity: f32,
    },
    /// A floor tom (not the trained drum).
    Tom,
    /// A kick drum.
    Kick,
    /// A band-limited noise burst.
    Noise,
    /// A cymbal.
    Cymbal,
}

/// One analysed test sound.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthHit {
    /// What it was.
    pub sound: Sound,
    /// Whether bleed was mixed in.
    pub bleed: bool,
    /// Descriptor per analysis window asked for (same order).
    pub descriptors: Vec<Vec<f32>>,
    /// RMS over the (first) analysis window, in dBFS.
    pub level_dbfs: f32,
}

impl SynthHit {
    /// Strike radius of a snare hit.
    pub fn radius(&self) -> Option<f32> {
        match self.sound {
            Sound::Snare { radius, .. } => Some(radius),
            _ => None,
        }
    }

    /// Velocity of a snare hit.
    pub fn velocity(&self) -> Option<f32> {
        match self.sound {
            Sound::Snare { velocity, .. } => Some(velocity),
            _ => None,
        }
    }
}

fn db(x: f32) -> f32 {
    10f32.powf(x / 20.0)
}

/// Renders `sound` with background noise and maybe bleed: [`PRE_ROLL_S`] of noise, the sound,
/// then [`POST_ROLL_S`]. Returns the audio, the onset sample and whether bleed was added.
pub fn render(sound: Sound, spec: &SynthSpec, seed: u64) -> (Vec<f32>, usize, bool) {
    let sr = spec.sample_rate;
    let mut rng = fastrand::Rng::with_seed(seed);
    let seed_of = |rng: &mut fastrand::Rng| rng.u64(..);
    let body = match sound {
        Sound::Snare { radius, velocity } => {
            let mut m = Membrane::snare();
            m.tuning_hz *= 1.0 + spec.tuning_spread * (2.0 * rng.f32() - 1.0);
            m.length_s = 0.15;
            m.hit(radius, velocity, sr, seed_of(&mut rng))
        }
        Sound::Tom => {
            let mut m = Membrane::tom();
            m.length_s = 0.2;
            m.hit(
                rng.f32() * 0.8,
                0.3 + 0.7 * rng.f32(),
                sr,
                seed_of(&mut rng),
            )
        }
        Sound::Kick => {
            let mut m = Membrane::kick();
            m.length_s = 0.2;
            m.hit(0.2, 0.3 + 0.7 * rng.f32(), sr, seed_of(&mut rng))
        }
        Sound::Noise => {
            sources::noise_burst(0.15, db(-30.0 + 15.0 * rng.f32()), sr, seed_of(&mut rng))
        }
        Sound::Cymbal => {
            let mut c = sources::cymbal(0.3 + 0.7 * rng.f32(), sr, seed_of(&mut rng));
            c.truncate((0.2 * sr) as usize);
            c
        }
    };
    let pre = (PRE_ROLL_S * sr) as usize;
    let len = pre + body.len() + (POST_ROLL_S * sr) as usize;
    let noise_db = spec.noise_dbfs.0 + (spec.noise_dbfs.1 - spec.noise_dbfs.0) * rng.f32();
    let mut out = sources::noise_burst(len as f32 / sr + 0.01, db(noise_db), sr, seed_of(&mut rng));
    out.truncate(len);
    out.resize(len, 0.0);
    sources::mix_into(&mut out, &body, pre, 1.0);
    let bleed = matches!(sound, Sound::Snare { .. }) && rng.f32() < spec.bleed_probability;
    if bleed {
        let mut other = if rng.bool() {
            let mut m = Membrane::tom();
            m.length_s = 0.3;
            m.hit(
                0.2 + 0.5 * rng.f32(),
                0.4 + 0.6 * rng.f32(),
                sr,
                seed_of(&mut rng),
            )
        } else {
            let mut m = Membrane::kick();
            m.length_s = 0.3;
            m.hit(0.2, 0.4 + 0.6 * rng.f32(), sr, seed_of(&mut rng))
        };
        Biquad::lowpass(BLEED_LOWPASS_HZ, std::f32::consts::FRAC_1_SQRT_2, sr)
            .process_slice(&mut other);
        // The other drum started up to 40 ms before the snare (its ring overlaps the window).
        let lead = (rng.f32() * 0.04 * sr) as usize;
        let gain = db(spec.bleed_db.0 + (spec.bleed_db.1 - spec.bleed_db.0) * rng.f32());
        sources::mix_into(&mut out, &other, pre - lead, gain);
    }
    (out, pre, bleed)
}

/// Runs the streaming analyzer over `audio` once per window length (reference samples at
/// 44.1 kHz) and returns, per window, the descriptor and RMS (dBFS) of the hit whose onset is
/// nearest to `onset` (within 10 ms), or `None` when no hit was found there.
pub fn analyze(
    audio: &[f32],
    sample_rate: f32,
    onset: usize,
    windows: &[u32],
) -> Vec<Option<(Vec<f32>, f32)>> {
    windows
        .iter()
        .map(|&w| {
            nearest_hit(audio, sample_rate, onset, w, None)
                .map(|h| (h.descriptor.to_vec(), h.rms_dbfs))
        })
        .collect()
}

/// The hit whose onset is nearest to `onset` (within 10 ms) when the streaming analyzer runs
/// over `audio` at `window` reference samples, with the synthetic hi-hat `hat_db` under each
/// hit when given.
fn nearest_hit(
    audio: &[f32],
    sample_rate: f32,
    onset: usize,
    window: u32,
    hat_db: Option<f32>,
) -> Option<HitRecord> {
    let settings = AnalysisSettings {
        window_ref_samples: window,
        ..AnalysisSettings::default()
    };
    let mut a = Analyzer::new(sample_rate, settings);
    a.set_hat_mix(hat_db);
    let tol = (0.01 * sample_rate) as i64;
    let mut best: Option<(i64, HitRecord)> = None;
    a.process(audio, |e| {
        if let AnalyzerEvent::Hit(h) = e {
            let err = (h.onset_sample as i64 - onset as i64).abs();
            if err <= tol && best.as_ref().is_none_or(|b| err < b.0) {
                best = Some((err, *h));
            }
        }
    });
    best.map(|(_, h)| h)
}

/// The hat descriptor (`Example::hat_descriptor`: the window under the analyzer's synthetic
/// hi-hat, [`crate::dataset::HAT_LEVEL_DB`] down) of the hit nearest to `onset` (within 10 ms),
/// at `window` reference samples; `None` when no hit was found there.
pub fn hat_descriptor(
    audio: &[f32],
    sample_rate: f32,
    onset: usize,
    window: u32,
) -> Option<Vec<f32>> {
    nearest_hit(
        audio,
        sample_rate,
        onset,
        window,
        Some(crate::dataset::HAT_LEVEL_DB),
    )?
    .hat_descriptor
    .map(|d| d.to_vec())
}

/// Renders and analyses one sound; `None` when the analyzer found no hit at its onset.
pub fn synth_hit(sound: Sound, spec: &SynthSpec, windows: &[u32], seed: u64) -> Option<SynthHit> {
    let (audio, onset, bleed) = render(sound, spec, seed);
    let res = analyze(&audio, spec.sample_rate, onset, windows);
    if res.iter().any(|r| r.is_none()) {
        return None;
    }
    let level_dbfs = res[0].as_ref().map_or(0.0, |r| r.1);
    Some(SynthHit {
        sound,
        bleed,
        descriptors: res.into_iter().map(|r| r.unwrap().0).collect(),
        level_dbfs,
    })
}

/// `count` snare hits with radius uniform in `radius` and velocity uniform in
/// `spec.velocity`, all seeded from `seed`. Hits the analyzer misses are replaced (the number
/// of misses is returned too).
pub fn snare_hits(
    count: usize,
    radius: (f32, f32),
    spec: &SynthSpec,
    windows: &[u32],
    seed: u64,
) -> (Vec<SynthHit>, usize) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = Vec::with_capacity(count);
    let mut misses = 0;
    while out.len() < count {
        let r = radius.0 + (radius.1 - radius.0) * rng.f32();
        let v = spec.velocity.0 + (spec.velocity.1 - spec.velocity.0) * rng.f32();
        match synth_hit(
            Sound::Snare {
                radius: r,
                velocity: v,
            },
            spec,
            windows,
            rng.u64(..),
        ) {
            Some(h) => out.push(h),
            None => misses += 1,
        }
        assert!(
            misses < 10 * count + 10,
            "the analyzer misses almost every hit"
        );
    }
    (out, misses)
}

/// `per_kind` sounds of each non-snare kind (tom, kick, noise burst, cymbal).
pub fn other_sounds(
    per_kind: usize,
    spec: &SynthSpec,
    windows: &[u32],
    seed: u64,
) -> Vec<SynthHit> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = Vec::new();
    for sound in [Sound::Tom, Sound::Kick, Sound::Noise, Sound::Cymbal] {
        let mut got = 0;
        let mut tries = 0;
        while got < per_kind && tries < 10 * per_kind {
            tries += 1;
            if let Some(h) = synth_hit(sound, spec, windows, rng.u64(..)) {
                out.push(h);
                got += 1;
            }
        }
    }
    out
}

/// The default dataset (`center`, `edge`) filled with `center` and `edge` hits, using the
/// descriptors of window number `window`.
pub fn center_edge_dataset(center: &[SynthHit], edge: &[SynthHit], window: usize) -> Dataset {
    let mut d = Dataset::default();
    for (class, hits) in [(0, center), (1, edge)] {
        for (i, h) in hits.iter().enumerate() {
            d.add_example(Example::new(
                &h.descriptors[window],
                class,
                h.level_dbfs,
                i as f64,
            ))
            .expect("valid example");
        }
    }
    d
}

/// Ranks (1-based, ties averaged).
pub fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Pearson correlation (0 when either side is constant).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

/// Spearman rank correlation, −1..1.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

/// The naive interpolation baseline: `d_A / (d_A + d_B)` with Euclidean distances to the two
/// class means in the raw descriptor space.
pub fn naive_ratio(x: &[f32], mean_a: &[f64], mean_b: &[f64]) -> f64 {
    let d = |m: &[f64]| {
        x.iter()
            .zip(m)
            .map(|(&v, m)| (v as f64 - m).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let (da, db) = (d(mean_a), d(mean_b));
    da / (da + db).max(1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_of_monotone_and_reversed() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert!((spearman(&x, &[10.0, 20.0, 25.0, 100.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&x, &[4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(ranks(&[3.0, 1.0, 3.0]), vec![2.5, 1.0, 2.5]);
    }

    #[test]
    fn a_snare_hit_is_found_and_seeded() {
        let spec = SynthSpec::default();
        let s = Sound::Snare {
            radius: 0.5,
            velocity: 0.5,
        };
        let a = synth_hit(s, &spec, &[256], 3).expect("hit found");
        assert_eq!(Some(a.clone()), synth_hit(s, &spec, &[256], 3));
        assert_eq!(a.descriptors[0].len(), crate::DESCRIPTOR_LEN);
    }
}
