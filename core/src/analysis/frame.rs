//! Short-frame analysis inside a descriptor window: framing, Hann window, FFT, and the
//! per-frame features (MFCCs, linear spectral shape, levels, zero crossings).

use super::fastmath;
use super::lanes::{self, F8};
use super::mel::{Dct, MelBank, MEL_BANDS, MEL_PAD, N_MFCC};
use super::settings::scale_ref;
use super::shape::{self, LOG_REF_HZ, SHAPE_HI_HZ, SHAPE_LO_HZ};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Analysis frame length, in reference samples (44.1 kHz): 2.9 ms.
pub const FRAME_REF_SAMPLES: f32 = 128.0;
/// Hop between frames, in reference samples (44.1 kHz): 0.73 ms.
pub const HOP_REF_SAMPLES: f32 = 32.0;

/// Number of per-frame features.
pub const FRAME_FEATURES: usize = 21;
/// Indices of the per-frame features, in the order the frame analysis writes them (`f` in the
/// descriptor's `8 f + s`).
pub mod feat {
    /// First MFCC (c0); c_k is at `MFCC + k`.
    pub const MFCC: usize = 0;
    /// Spectral centroid, Hz.
    pub const CENTROID: usize = 13;
    /// Spectral spread, Hz.
    pub const SPREAD: usize = 14;
    /// Spectral flatness, dB.
    pub const FLATNESS: usize = 15;
    /// 85 % rolloff, Hz.
    pub const ROLLOFF: usize = 16;
    /// Spectral crest, dB.
    pub const CREST: usize = 17;
    /// Frame peak, dBFS.
    pub const PEAK: usize = 18;
    /// Frame RMS, dBFS.
    pub const RMS: usize = 19;
    /// Zero-crossing frequency, Hz.
    pub const ZCR: usize = 20;
}

/// How a window is cut into frames at one sample rate.
///
/// The frame count and frame positions are fixed in reference samples (44.1 kHz) and only then
/// scaled, so every sample rate analyses the same stretches of the hit with the same number of
/// frames (a per-rate rounding of the hop would change the count and the halves).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameLayout {
    /// Window length, in reference samples (44.1 kHz).
    pub window_ref: u32,
    /// Window length, in samples.
    pub window_len: usize,
    /// Frame length, in samples (128 reference samples, at most the window).
    pub frame_len: usize,
    /// Nominal hop between frame starts, in samples (32 reference samples); the exact start of
    /// frame `i` is [`FrameLayout::frame_start`].
    pub hop: usize,
    /// FFT length: the power of two at or above twice the frame (zero-padded).
    pub fft_len: usize,
    /// Number of frames: `(window_ref - frame_ref) / 32 + 1` in reference samples.
    pub n_frames: usize,
    /// Samples per reference sample.
    scale: f64,
}

impl FrameLayout {
    /// The layout for a window of `window_ref` reference samples (clamped to 64..=4096) at
    /// `sample_rate` Hz.
    pub fn new(sample_rate: f32, window_ref: u32) -> Self {
        let window_ref = window_ref.clamp(64, 4096);
        let window_len = scale_ref(window_ref as f32, sample_rate);
        let frame_ref = (FRAME_REF_SAMPLES as u32).min(window_ref);
        let frame_len = scale_ref(frame_ref as f32, sample_rate)
            .min(window_len)
            .max(2);
        let hop = scale_ref(HOP_REF_SAMPLES, sample_rate);
        let fft_len = (2 * frame_len).next_power_of_two().max(16);
        let n_frames = ((window_ref - frame_ref) / HOP_REF_SAMPLES as u32) as usize + 1;
        let scale = sample_rate as f64 / crate::REFERENCE_SAMPLE_RATE as f64;
        Self {
            window_ref,
            window_len,
            frame_len,
            hop,
            fft_len,
            n_frames,
            scale,
        }
    }

    /// Start of frame `i` within the window, in samples: `round(32 i · rate / 44.1 kHz)`, kept
    /// inside the window.
    pub fn frame_start(&self, i: usize) -> usize {
        let s = (i as f64 * HOP_REF_SAMPLES as f64 * self.scale).round() as usize;
        s.min(self.window_len - self.frame_len)
    }

    /// Number of spectrum bins (`fft_len / 2 + 1`).
    pub fn bins(&self) -> usize {
        self.fft_len / 2 + 1
    }
}

/// Frame analyzer: planned for every FFT length a window setting can need, configured for one.
pub(crate) struct FrameAnalyzer {
    sample_rate: f32,
    layout: FrameLayout,
    /// Complex FFT plans of half the (real) FFT length, indexed by log2 of that length.
    plans: Vec<Option<Arc<dyn Fft<f32>>>>,
    /// The windowed, zero-padded frame, read as `fft_len / 2` complex values
    /// (`x[2n] + i x[2n + 1]`).
    input: Vec<Complex<f32>>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// cos(2πk / fft_len) and -sin(2πk / fft_len) for k = 0..=fft_len / 2.
    twiddle_cos: Vec<f32>,
    twiddle_sin: Vec<f32>,
    hann: Vec<f32>,
    /// The raw samples of the current frame, contiguous.
    frame: Vec<f32>,
    /// Per-bin scale from |X|² to power (bins sum to the frame's windowed mean square).
    norm_inner: f32,
    norm_edge: f32,
    /// Power spectrum of the last frame (`layout.bins()` values, then zeros).
    pub(crate) power: Vec<f32>,
    mags: Vec<f32>,
    /// Frequency of each bin, in Hz.
    pub(crate) bin_hz: Vec<f32>,
    /// log2(bin frequency / 1 kHz) of each bin (0 for DC).
    pub(crate) bin_log2: Vec<f32>,
    /// Bins read by the shape features (inclusive).
    pub(crate) shape_lo: usize,
    pub(crate) shape_hi: usize,
    pub(crate) mel: MelBank,
    dct: Dct,
    /// log2(centre / 1 kHz) of every mel band.
    pub(crate) mel_log2: [f32; MEL_BANDS],
    /// Mel band energies of the last frame.
    pub(crate) mel_vals: [f32; MEL_BANDS],
    /// Mel band energies of the last frame in dB.
    mel_db: [f32; MEL_BANDS],
}

impl FrameAnalyzer {
    /// Plans FFTs and sizes buffers for every window (64..=4096 reference samples) at
    /// `sample_rate`, and configures for `window_ref` reference samples.
    pub(crate) fn new(sample_rate: f32, window_ref: u32) -> Self {
        let min_layout = FrameLayout::new(sample_rate, 64);
        let max_layout = FrameLayout::new(sample_rate, 4096);
        let mut planner = FftPlanner::<f32>::new();
        let max_half = max_layout.fft_len / 2;
        let mut plans = vec![None; max_half.trailing_zeros() as usize + 1];
        let mut scratch_len = 0;
        let mut n = min_layout.fft_len.min(max_layout.fft_len) / 2;
        while n <= max_half {
            let plan = planner.plan_fft_forward(n);
            scratch_len = scratch_len.max(plan.get_outofplace_scratch_len());
            plans[n.trailing_zeros() as usize] = Some(plan);
            n *= 2;
        }
        let max_bins = max_layout.bins();
        let mut s = Self {
            sample_rate,
            layout: max_layout,
            plans,
            input: vec![Complex::default(); max_half],
            output: vec![Complex::default(); max_half],
            scratch: vec![Complex::default(); scratch_len],
            twiddle_cos: vec![0.0; max_bins],
            twiddle_sin: vec![0.0; max_bins],
            hann: vec![0.0; max_layout.frame_len],
            frame: vec![0.0; max_layout.frame_len],
            norm_inner: 0.0,
            norm_edge: 0.0,
            power: vec![0.0; max_bins + MEL_PAD],
            mags: vec![0.0; max_bins],
            bin_hz: vec![0.0; max_bins],
            bin_log2: vec![0.0; max_bins],
            shape_lo: 1,
            shape_hi: 1,
            mel: MelBank::with_capacity(max_layout.fft_len),
            dct: Dct::new(),
            mel_log2: [0.0; MEL_BANDS],
            mel_vals: [0.0; MEL_BANDS],
            mel_db: [0.0; MEL_BANDS],
        };
        s.norm_inner = 0.0;
        s.configure(window_ref);
        s
    }

    pub(crate) fn layout(&self) -> &FrameLayout {
        &self.layout
    }

    /// Reconfigures for a window of `window_ref` reference samples. Never allocates.
    pub(crate) fn configure(&mut self, window_ref: u32) {
        let layout = FrameLayout::new(self.sample_rate, window_ref);
        if layout == self.layout && self.norm_inner > 0.0 {
            return;
        }
        assert!(
            layout.fft_len / 2 <= self.input.len(),
            "window longer than planned"
        );
        self.layout = layout;
        let f = layout.frame_len;
        let mut sumsq = 0.0f64;
        for (i, w) in self.hann[..f].iter_mut().enumerate() {
            let v = 0.5 - 0.5 * (std::f64::consts::TAU * (i as f64 + 0.5) / f as f64).cos();
            *w = v as f32;
            sumsq += v * v;
        }
        let base = 1.0 / (layout.fft_len as f64 * sumsq);
        self.norm_inner = (2.0 * base) as f32;
        self.norm_edge = base as f32;
        let n = layout.fft_len;
        let bins = layout.bins();
        let df = self.sample_rate / n as f32;
        for k in 0..bins {
            let a = std::f64::consts::TAU * k as f64 / n as f64;
            self.twiddle_cos[k] = a.cos() as f32;
            self.twiddle_sin[k] = -a.sin() as f32;
        }
        for k in 0..bins {
            self.bin_hz[k] = k as f32 * df;
            self.bin_log2[k] = if k == 0 {
                0.0
            } else {
                (k as f32 * df / LOG_REF_HZ).log2()
            };
        }
        let hi_hz = SHAPE_HI_HZ.min(0.95 * 0.5 * self.sample_rate);
        self.shape_lo = ((SHAPE_LO_HZ / df).ceil() as usize).clamp(1, bins - 1);
        self.shape_hi = ((hi_hz / df).floor() as usize).clamp(self.shape_lo, bins - 1);
        self.mel.configure(n, self.sample_rate);
        for (x, c) in self.mel_log2.iter_mut().zip(&self.mel.centres_hz) {
            *x = (c / LOG_REF_HZ).log2();
        }
        self.power[bins..].fill(0.0);
    }

    /// Analyses one frame, given as the concatenation of `a` and `b` (`frame_len` samples in
    /// all): writes the per-frame features to `out` and leaves the power spectrum in
    /// `self.power`.
    pub(crate) fn analyze(&mut self, a: &[f32], b: &[f32], out: &mut [f32; FRAME_FEATURES]) {
        let l = self.layout;
        debug_assert_eq!(a.len() + b.len(), l.frame_len);
        // One contiguous copy, so every reduction below is independent of where the history
        // ring split the frame.
        let frame = &mut self.frame[..l.frame_len];
        frame[..a.len()].copy_from_slice(a);
        frame[a.len()..].copy_from_slice(b);
        let frame = &*frame;
        let half = l.fft_len / 2;
        let input = as_floats_mut(&mut self.input[..half]);
        lanes::mul_into(&mut input[..l.frame_len], frame, &self.hann[..l.frame_len]);
        input[l.frame_len..].fill(0.0);
        let peak = lanes::max_abs(frame);
        let sumsq = lanes::dot(frame, frame);
        // Sign changes, from the sign bits: samples are sanitised (no NaN, no -0.0), so the
        // sign bit is set exactly when x < 0.
        let crossings: u32 = frame
            .iter()
            .zip(&frame[1..])
            .map(|(x, y)| (x.to_bits() ^ y.to_bits()) >> 31)
            .sum();
        let plan = self.plans[half.trailing_zeros() as usize]
            .as_ref()
            .expect("planned");
        let scratch_len = plan.get_outofplace_scratch_len();
        plan.process_outofplace_with_scratch(
            &mut self.input[..half],
            &mut self.output[..half],
            &mut self.scratch[..scratch_len],
        );
        real_power(
            &self.output[..half],
            &self.twiddle_cos,
            &self.twiddle_sin,
            0.25 * self.norm_inner,
            0.25 * self.norm_edge,
            &mut self.power[..half + 1],
        );

        self.mel.apply(&self.power, &mut self.mel_vals);
        // power_db of every band.
        fastmath::db10_floored(&self.mel_vals, 1e-12, &mut self.mel_db);
        self.dct
            .apply(&self.mel_db, &mut out[feat::MFCC..feat::MFCC + N_MFCC]);
        let s = shape::linear_shape(
            &self.power,
            &self.bin_hz,
            self.shape_lo,
            self.shape_hi,
            &mut self.mags,
        );
        out[feat::CENTROID..feat::CENTROID + 5].copy_from_slice(&s);
        out[feat::PEAK] = amp_db(peak);
        out[feat::RMS] = power_db(sumsq / l.frame_len as f32);
        out[feat::ZCR] =
            crossings as f32 * self.sample_rate / (2.0 * (l.frame_len - 1).max(1) as f32);
    }
}

/// Reads complex values as their interleaved `[re, im, ...]` floats.
fn as_floats_mut(c: &mut [Complex<f32>]) -> &mut [f32] {
    // SAFETY: `Complex<f32>` is `#[repr(C)]` with fields `re`, `im`: two f32 without padding.
    unsafe { std::slice::from_raw_parts_mut(c.as_mut_ptr().cast::<f32>(), 2 * c.len()) }
}

/// Reads complex values as their interleaved `[re, im, ...]` floats.
fn as_floats(c: &[Complex<f32>]) -> &[f32] {
    // SAFETY: as in `as_floats_mut`.
    unsafe { std::slice::from_raw_parts(c.as_ptr().cast::<f32>(), 2 * c.len()) }
}

/// The power spectrum `|X[k]|² · scale` (k = 0..=m) of a real sequence of length `2m` from
/// `z`, the m-point FFT of its samples paired as `x[2n] + i x[2n + 1]`: with `A = Z[k]`,
/// `B = conj(Z[m - k])` (indices mod m), `2 X[k] = (A + B) - i W^k (A - B)`, `W = e^(-iπ/m)`.
/// `cos`/`sin` hold `cos(πk/m)` and `-sin(πk/m)`; `scale_inner` applies to bins 1..m,
/// `scale_edge` to bins 0 and m (both already divided by 4 for the factor 2 above).
/// Eight bins at a time; every bin gets the same arithmetic, so lanes and the scalar rest agree.
fn real_power(
    z: &[Complex<f32>],
    cos: &[f32],
    sin: &[f32],
    scale_inner: f32,
    scale_edge: f32,
    power: &mut [f32],
) {
    let m = z.len();
    debug_assert!(power.len() == m + 1 && cos.len() > m && sin.len() > m);
    let bin = |k: usize| -> f32 {
        let (a, b) = (z[k % m], z[(m - k) % m]);
        let (sr, si) = (a.re + b.re, a.im - b.im);
        let (dr, di) = (a.re - b.re, a.im + b.im);
        let (c, s) = (cos[k], sin[k]);
        let xr = sr + (c * di + s * dr);
        let xi = si - (c * dr - s * di);
        xr * xr + xi * xi
    };
    power[0] = bin(0) * scale_edge;
    power[m] = bin(m) * scale_edge;
    let zf = as_floats(z);
    let scale = F8::splat(scale_inner);
    let mut k = 1;
    while k + 8 <= m {
        // A = Z[k..k + 8]; B = conj(Z[m - k - j]) for lane j: Z[m - k - 7..=m - k] reversed.
        let (ar, ai) = F8::deinterleave(zf[2 * k..2 * k + 16].try_into().expect("16"));
        let r = 2 * (m - k - 7);
        let (br, bi) = F8::deinterleave(zf[r..r + 16].try_into().expect("16"));
        let (br, bi) = (br.reverse(), bi.reverse());
        let (sr, si) = (ar.add(br), ai.sub(bi));
        let (dr, di) = (ar.sub(br), ai.add(bi));
        let c = F8::load(cos[k..k + 8].try_into().expect("8"));
        let s = F8::load(sin[k..k + 8].try_into().expect("8"));
        let xr = sr.add(c.mul(di).add(s.mul(dr)));
        let xi = si.sub(c.mul(dr).sub(s.mul(di)));
        let p = xr.mul(xr).add(xi.mul(xi)).mul(scale);
        p.store((&mut power[k..k + 8]).try_into().expect("8"));
        k += 8;
    }
    for (k, p) in power.iter_mut().enumerate().take(m).skip(k) {
        *p = bin(k) * scale_inner;
    }
}

/// `10 log10(p)` floored at -120 dB.
#[inline(always)]
pub(crate) fn power_db(p: f32) -> f32 {
    fastmath::db10(p.max(1e-12))
}

/// `20 log10(a)` floored at -120 dB.
#[inline(always)]
pub(crate) fn amp_db(a: f32) -> f32 {
    2.0 * fastmath::db10(a.max(1e-6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_power_matches_a_naive_dft() {
        for m in [8usize, 16, 64, 128, 1024] {
            let n = 2 * m;
            let x: Vec<f32> = (0..n)
                .map(|i| ((i * 7919 % 113) as f32 / 56.0 - 1.0) * (1.0 + (i as f32 * 0.05).sin()))
                .collect();
            let z: Vec<Complex<f32>> = (0..m)
                .map(|i| Complex::new(x[2 * i], x[2 * i + 1]))
                .collect();
            let mut out = z.clone();
            FftPlanner::<f32>::new()
                .plan_fft_forward(m)
                .process_outofplace_with_scratch(
                    &mut z.clone(),
                    &mut out,
                    &mut vec![Complex::default(); 4 * m],
                );
            let (mut cos, mut sin) = (vec![0.0; m + 1], vec![0.0; m + 1]);
            for k in 0..=m {
                let a = std::f64::consts::TAU * k as f64 / n as f64;
                cos[k] = a.cos() as f32;
                sin[k] = -a.sin() as f32;
            }
            let mut power = vec![0.0; m + 1];
            real_power(&out, &cos, &sin, 0.25, 0.125, &mut power);
            let want: Vec<f64> = (0..=m)
                .map(|k| {
                    let (mut re, mut im) = (0.0f64, 0.0f64);
                    for (i, v) in x.iter().enumerate() {
                        let a = -std::f64::consts::TAU * (k * i) as f64 / n as f64;
                        re += *v as f64 * a.cos();
                        im += *v as f64 * a.sin();
                    }
                    let edge = if k == 0 || k == m { 0.5 } else { 1.0 };
                    edge * (re * re + im * im)
                })
                .collect();
            let top = want.iter().cloned().fold(0.0, f64::max);
            for k in 0..=m {
                assert!(
                    (power[k] as f64 - want[k]).abs() < 1e-5 * top,
                    "m {m} k {k}: {} vs {}",
                    power[k],
                    want[k]
                );
            }
        }
    }
}
