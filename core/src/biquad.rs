//! Second-order IIR sections (RBJ cookbook designs), transposed direct form II.
//!
//! Used by the onset detectors (high-pass) and by the test synthesizer (noise shaping). Cutoffs
//! are given in Hz, so a filter behaves the same at every sample rate (up to bilinear warping
//! near Nyquist).

use std::f32::consts::PI;

/// Quality factor of a Butterworth (maximally flat) second-order section: 1/√2.
pub const BUTTERWORTH_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Values below this magnitude in the filter state are flushed to zero, so silence never drives
/// the state into subnormal numbers.
const FLUSH: f32 = 1e-20;

/// A biquad filter section.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Biquad {
    b0: f32,
    b1: f32,
    b2: f32,
    a1: f32,
    a2: f32,
    z1: f32,
    z2: f32,
}

impl Biquad {
    /// A filter that passes its input unchanged.
    pub fn identity() -> Self {
        Self {
            b0: 1.0,
            b1: 0.0,
            b2: 0.0,
            a1: 0.0,
            a2: 0.0,
            z1: 0.0,
            z2: 0.0,
        }
    }

    /// Second-order high-pass at `cutoff_hz` (clamped below 0.49 × `sample_rate`) with quality
    /// factor `q` (0.7071 is Butterworth).
    pub fn highpass(cutoff_hz: f32, q: f32, sample_rate: f32) -> Self {
        let (cos, alpha) = Self::prewarp(cutoff_hz, q, sample_rate);
        Self::normalised(
            (1.0 + cos) * 0.5,
            -(1.0 + cos),
            (1.0 + cos) * 0.5,
            1.0 + alpha,
            -2.0 * cos,
            1.0 - alpha,
        )
    }

    /// Second-order low-pass at `cutoff_hz` (clamped below 0.49 × `sample_rate`) with quality
    /// factor `q`.
    pub fn lowpass(cutoff_hz: f32, q: f32, sample_rate: f32) -> Self {
        let (cos, alpha) = Self::prewarp(cutoff_hz, q, sample_rate);
        Self::normalised(
            (1.0 - cos) * 0.5,
            1.0 - cos,
            (1.0 - cos) * 0.5,
            1.0 + alpha,
            -2.0 * cos,
            1.0 - alpha,
        )
    }

    /// Band-pass centred on `centre_hz` with 0 dB peak gain and quality factor `q`.
    pub fn bandpass(centre_hz: f32, q: f32, sample_rate: f32) -> Self {
        let (cos, alpha) = Self::prewarp(centre_hz, q, sample_rate);
        Self::normalised(alpha, 0.0, -alpha, 1.0 + alpha, -2.0 * cos, 1.0 - alpha)
    }

    /// Replaces the coefficients with those of `other`, keeping the state (no allocation).
    pub fn set_coefficients(&mut self, other: &Biquad) {
        self.b0 = other.b0;
        self.b1 = other.b1;
        self.b2 = other.b2;
        self.a1 = other.a1;
        self.a2 = other.a2;
    }

    /// Clears the filter state.
    pub fn reset(&mut self) {
        self.z1 = 0.0;
        self.z2 = 0.0;
    }

    /// Filters one sample.
    #[inline(always)]
    pub fn process(&mut self, x: f32) -> f32 {
        let y = self.b0 * x + self.z1;
        let z1 = self.b1 * x - self.a1 * y + self.z2;
        let z2 = self.b2 * x - self.a2 * y;
        self.z1 = if z1.abs() < FLUSH { 0.0 } else { z1 };
        self.z2 = if z2.abs() < FLUSH { 0.0 } else { z2 };
        y
    }

    /// Filters one sample without flushing tiny state values (for hot loops that call
    /// [`Biquad::flush`] periodically instead).
    #[inline(always)]
    pub fn process_unflushed(&mut self, x: f32) -> f32 {
        let y = self.b0 * x + self.z1;
        self.z1 = self.b1 * x - self.a1 * y + self.z2;
        self.z2 = self.b2 * x - self.a2 * y;
        y
    }

    /// Flushes state values below 1e-20 to zero (call at least every few hundred samples when
    /// using [`Biquad::process_unflushed`], so silence never leaves subnormal numbers).
    #[inline]
    pub fn flush(&mut self) {
        if self.z1.abs() < FLUSH {
            self.z1 = 0.0;
        }
        if self.z2.abs() < FLUSH {
            self.z2 = 0.0;
        }
    }

    /// Filters `samples` in place.
    pub fn process_slice(&mut self, samples: &mut [f32]) {
        for s in samples {
            *s = self.process(*s);
        }
    }

    fn prewarp(freq_hz: f32, q: f32, sample_rate: f32) -> (f32, f32) {
        let f = freq_hz.clamp(1.0, 0.49 * sample_rate);
        let w0 = 2.0 * PI * f / sample_rate;
        (w0.cos(), w0.sin() / (2.0 * q.max(0.05)))
    }

    fn normalised(b0: f32, b1: f32, b2: f32, a0: f32, a1: f32, a2: f32) -> Self {
        Self {
            b0: b0 / a0,
            b1: b1 / a0,
            b2: b2 / a0,
            a1: a1 / a0,
            a2: a2 / a0,
            z1: 0.0,
            z2: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gain_at(mut f: Biquad, freq: f32, sr: f32) -> f32 {
        let n = (sr * 0.5) as usize;
        let mut peak = 0.0f32;
        for i in 0..n {
            let y = f.process((2.0 * PI * freq * i as f32 / sr).sin());
            if i > n / 2 {
                peak = peak.max(y.abs());
            }
        }
        peak
    }

    #[test]
    fn highpass_passes_high_and_blocks_low() {
        let sr = 44_100.0;
        let hp = Biquad::highpass(1000.0, BUTTERWORTH_Q, sr);
        assert!(gain_at(hp, 8000.0, sr) > 0.95);
        assert!(gain_at(hp, 100.0, sr) < 0.02);
        assert!((gain_at(hp, 1000.0, sr) - BUTTERWORTH_Q).abs() < 0.02);
    }

    #[test]
    fn silence_never_leaves_subnormal_state() {
        let mut hp = Biquad::highpass(500.0, BUTTERWORTH_Q, 48_000.0);
        hp.process(1.0);
        for _ in 0..200_000 {
            let y = hp.process(0.0);
            assert!(y == 0.0 || y.is_normal());
        }
    }
}
