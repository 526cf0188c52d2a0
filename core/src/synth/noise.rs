//! Seeded noise helpers shared by the synthesizer's voices.

/// White noise whose power spectral density does not depend on the sample rate: unit variance
/// at 44.1 kHz, variance scaled by `sample_rate / 44100` otherwise. Filtered by fixed-Hz
/// filters, it gives the same band levels at every rate.
pub(crate) struct RateNoise {
    rng: fastrand::Rng,
    scale: f32,
}

impl RateNoise {
    pub(crate) fn new(seed: u64, sample_rate: f32) -> Self {
        let scale = 3.0f32.sqrt() * (sample_rate / crate::REFERENCE_SAMPLE_RATE).sqrt();
        Self { rng: fastrand::Rng::with_seed(seed), scale }
    }

    #[inline]
    pub(crate) fn next(&mut self) -> f32 {
        (self.rng.f32() * 2.0 - 1.0) * self.scale
    }
}

/// Derives an independent seed from `seed` and a stream number (SplitMix64 finaliser).
pub(crate) fn derive_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
