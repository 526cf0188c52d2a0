//! Seeded noise helpers shared by the synthesizer's voices.

/// White noise defined at 44.1 kHz (unit variance there) and read at any sample rate by cubic
/// (Catmull-Rom) interpolation, so the same seed gives the same continuous-time noise at every
/// rate: rendering at two rates is then equivalent to resampling (below about 16 kHz, where the
/// synthesizer's noise filters keep it). Meant for rates of 44.1 kHz and above.
pub(crate) struct RateNoise {
    rng: fastrand::Rng,
    /// Base-rate samples x[-1], x[0], x[1], x[2] around the read position.
    taps: [f32; 4],
    /// Fractional read position between `taps[1]` and `taps[2]`.
    phase: f64,
    /// Base samples per output sample.
    step: f64,
}

const SCALE: f32 = 1.732_050_8; // sqrt(3): unit variance from uniform(-1, 1)

impl RateNoise {
    pub(crate) fn new(seed: u64, sample_rate: f32) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut taps = [0.0; 4];
        for t in &mut taps {
            *t = (rng.f32() * 2.0 - 1.0) * SCALE;
        }
        Self {
            rng,
            taps,
            phase: 0.0,
            step: crate::REFERENCE_SAMPLE_RATE as f64 / sample_rate as f64,
        }
    }

    #[inline]
    pub(crate) fn next(&mut self) -> f32 {
        let [p0, p1, p2, p3] = self.taps;
        let t = self.phase as f32;
        let y = p1
            + 0.5
                * t
                * (p2 - p0
                    + t * (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3 + t * (3.0 * (p1 - p2) + p3 - p0)));
        self.phase += self.step;
        while self.phase >= 1.0 {
            self.phase -= 1.0;
            let [_, a, b, c] = self.taps;
            self.taps = [a, b, c, (self.rng.f32() * 2.0 - 1.0) * SCALE];
        }
        y
    }
}

/// Derives an independent seed from `seed` and a stream number (SplitMix64 finaliser).
pub(crate) fn derive_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_noise_at_every_rate() {
        // Reading at 88.2 kHz gives the 44.1 kHz samples at every other position.
        let mut a = RateNoise::new(5, 44_100.0);
        let mut b = RateNoise::new(5, 88_200.0);
        let x: Vec<f32> = (0..100).map(|_| a.next()).collect();
        let y: Vec<f32> = (0..200).map(|_| b.next()).collect();
        for i in 0..100 {
            assert!((x[i] - y[2 * i]).abs() < 1e-6, "{i}");
        }
    }
}
