//! Deterministic test signals. Own code on purpose: the host tests check the built plugin against
//! signals whose ground truth is known here, independently of the core's synthesizer.

/// A small seeded xorshift generator (no dependency, identical on every platform).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in `[-1, 1)`.
    pub fn bipolar(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// Peak level of every synthetic hit, in dBFS.
pub const HIT_PEAK_DBFS: f32 = -6.0;

/// One synthetic drum hit at `sample_rate` (Hz): a decaying noise burst (the stick) plus two
/// decaying sines (the shell modes), starting at full level on its first sample, peak normalised to
/// [`HIT_PEAK_DBFS`], 0.25 s long with a short fade-out so that silence follows.
pub fn drum_hit(sample_rate: f32, seed: u64) -> Vec<f32> {
    let len = (0.25 * sample_rate) as usize;
    let fade = (0.02 * sample_rate) as usize;
    let mut rng = Rng::new(seed);
    let tau = std::f32::consts::TAU;
    let mut out: Vec<f32> = (0..len)
        .map(|i| {
            let t = i as f32 / sample_rate;
            let noise = rng.bipolar() * (-t / 0.015).exp();
            let body = 0.8 * (tau * 185.0 * t + 0.7).sin() * (-t / 0.06).exp()
                + 0.5 * (tau * 331.0 * t + 0.3).sin() * (-t / 0.04).exp();
            noise + body
        })
        .collect();
    for (k, x) in out[len - fade..].iter_mut().enumerate() {
        *x *= 1.0 - (k + 1) as f32 / fade as f32;
    }
    let peak = out.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let gain = 10f32.powf(HIT_PEAK_DBFS / 20.0) / peak;
    out.iter_mut().for_each(|x| *x *= gain);
    out
}

/// A drum track: silence, then `hits` synthetic hits `spacing_s` apart starting at `first_s`,
/// then silence up to `length_s`. Returns the mono signal and the onset samples (the first
/// non-zero sample of every hit).
pub fn drum_track(
    sample_rate: f32,
    hits: usize,
    first_s: f32,
    spacing_s: f32,
    length_s: f32,
) -> (Vec<f32>, Vec<u64>) {
    let mut out = vec![0.0f32; (length_s * sample_rate) as usize];
    let mut onsets = Vec::with_capacity(hits);
    for h in 0..hits {
        let onset = ((first_s + h as f32 * spacing_s) * sample_rate).round() as usize;
        let hit = drum_hit(sample_rate, 1000 + h as u64);
        assert!(
            onset + hit.len() <= out.len(),
            "the track is too short for {hits} hits"
        );
        out[onset..onset + hit.len()].copy_from_slice(&hit);
        onsets.push(onset as u64);
    }
    (out, onsets)
}

/// Stereo version of a mono track: the right channel is the left one at a slightly different,
/// exactly representable gain (so that swapped or mixed channels are noticed).
pub fn to_stereo(mono: &[f32]) -> Vec<Vec<f32>> {
    vec![mono.to_vec(), mono.iter().map(|x| x * 0.75).collect()]
}

/// Arbitrary finite, normal (or zero) samples over a wide range of magnitudes, for bit-exact
/// pass-through checks: full-scale noise, tiny normal values, values above full scale.
pub fn wide_range_noise(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len)
        .map(|i| match i % 7 {
            0 => rng.bipolar(),
            1 => rng.bipolar() * 1e-30,
            2 => rng.bipolar() * 4.0,
            3 => f32::MIN_POSITIVE * (1.0 + rng.bipolar().abs()),
            4 => 0.0,
            5 => rng.bipolar() * 1e-3,
            _ => -rng.bipolar().abs() - 1.0,
        })
        .collect()
}

/// Samples a conforming host may feed and that must come out as 0: NaN, infinities, subnormals.
pub const BAD_SAMPLES: [f32; 6] = [
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    1e-40,
    -1e-42,
    f32::from_bits(1),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_peak_at_the_stated_level_and_leave_silence_between() {
        let (track, onsets) = drum_track(44_100.0, 3, 0.1, 0.3, 1.2);
        assert_eq!(onsets, vec![4410, 17640, 30870]);
        let peak = track.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((20.0 * peak.log10() - HIT_PEAK_DBFS).abs() < 0.01);
        assert!(track[..4410].iter().all(|&x| x == 0.0));
        assert_ne!(track[4410], 0.0);
        // 0.25 s of hit, then silence until the next onset.
        assert!(track[4410 + 11_025..17_640].iter().all(|&x| x == 0.0));
    }

    #[test]
    fn signals_are_deterministic() {
        assert_eq!(drum_hit(48_000.0, 7), drum_hit(48_000.0, 7));
        assert_ne!(drum_hit(48_000.0, 7), drum_hit(48_000.0, 8));
        assert_eq!(wide_range_noise(100, 1), wide_range_noise(100, 1));
        assert!(wide_range_noise(1000, 3)
            .iter()
            .all(|x| x.is_finite() && (*x == 0.0 || x.is_normal())));
        assert!(BAD_SAMPLES.iter().all(|x| !x.is_normal()));
    }
}
