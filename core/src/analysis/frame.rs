//! Short-frame analysis inside a descriptor window: framing, Hann window, FFT, and the
//! per-frame features (MFCCs, linear spectral shape, levels, zero crossings).

use super::descriptor::{feat, FRAME_FEATURES};
use super::lanes;
use super::mel::{Dct, MelBank, MEL_BANDS, MEL_PAD, N_MFCC};
use super::settings::scale_ref;
use super::shape::{self, LOG_REF_HZ, SHAPE_HI_HZ, SHAPE_LO_HZ};
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Analysis frame length, in reference samples (44.1 kHz): 2.9 ms.
pub const FRAME_REF_SAMPLES: f32 = 128.0;
/// Hop between frames, in reference samples (44.1 kHz): 0.73 ms.
pub const HOP_REF_SAMPLES: f32 = 32.0;

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
    /// FFT plans indexed by log2 of the length.
    plans: Vec<Option<Arc<dyn RealToComplex<f32>>>>,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
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
        let mut planner = RealFftPlanner::<f32>::new();
        let max_log2 = max_layout.fft_len.trailing_zeros() as usize;
        let mut plans = vec![None; max_log2 + 1];
        let mut scratch_len = 0;
        let mut n = min_layout.fft_len.min(max_layout.fft_len);
        while n <= max_layout.fft_len {
            let plan = planner.plan_fft_forward(n);
            scratch_len = scratch_len.max(plan.get_scratch_len());
            plans[n.trailing_zeros() as usize] = Some(plan);
            n *= 2;
        }
        let max_bins = max_layout.bins();
        let mut s = Self {
            sample_rate,
            layout: max_layout,
            plans,
            input: vec![0.0; max_layout.fft_len],
            output: vec![Complex::default(); max_bins],
            scratch: vec![Complex::default(); scratch_len],
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
            layout.fft_len <= self.input.len(),
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
        lanes::mul_into(
            &mut self.input[..l.frame_len],
            frame,
            &self.hann[..l.frame_len],
        );
        self.input[l.frame_len..l.fft_len].fill(0.0);
        let peak = lanes::max_abs(frame);
        let sumsq = lanes::dot(frame, frame);
        // Sign changes, from the sign bits: samples are sanitised (no NaN, no -0.0), so the
        // sign bit is set exactly when x < 0.
        let crossings: u32 = frame
            .iter()
            .zip(&frame[1..])
            .map(|(x, y)| (x.to_bits() ^ y.to_bits()) >> 31)
            .sum();
        let plan = self.plans[l.fft_len.trailing_zeros() as usize]
            .as_ref()
            .expect("planned");
        let bins = l.bins();
        plan.process_with_scratch(
            &mut self.input[..l.fft_len],
            &mut self.output[..bins],
            &mut self.scratch,
        )
        .expect("buffer sizes match the plan");
        let norm = self.norm_inner;
        for (p, c) in self.power[..bins].iter_mut().zip(&self.output[..bins]) {
            *p = (c.re * c.re + c.im * c.im) * norm;
        }
        self.power[0] *= self.norm_edge / self.norm_inner;
        self.power[bins - 1] *= self.norm_edge / self.norm_inner;

        self.mel.apply(&self.power, &mut self.mel_vals);
        // power_db of every band.
        lanes::db10_floored(&self.mel_vals, 1e-12, &mut self.mel_db);
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

/// `10 log10(p)` floored at -120 dB.
#[inline(always)]
pub(crate) fn power_db(p: f32) -> f32 {
    super::fastmath::db10(p.max(1e-12))
}

/// `20 log10(a)` floored at -120 dB.
#[inline(always)]
pub(crate) fn amp_db(a: f32) -> f32 {
    2.0 * super::fastmath::db10(a.max(1e-6))
}
