//! The per-hit descriptor: layout, names and computation.
//!
//! A descriptor is computed from the analysis window that starts at the refined onset
//! (`window_ref_samples`, scaled to the sample rate). The window is cut into Hann-windowed
//! frames of 128 reference samples with a hop of 32 (see [`FrameLayout`]; positions are fixed in
//! reference samples, the frame is clamped to the window for tiny windows), each zero-padded to an FFT of the power of two at or above twice
//! its length. Frequencies are in Hz (or octaves re 1 kHz), never bins, so values follow the
//! sample rate. The power spectrum is normalised so its bins sum to the frame's mean square.
//!
//! # Layout (version [`LAYOUT_VERSION`] = 1, [`DESCRIPTOR_LEN`] = 276)
//!
//! | indices | block | contents |
//! |---|---|---|
//! | 0..168 | `frame.*` | 21 per-frame features × 8 statistics, feature-major: index `8 f + s` |
//! | 168..171 | `level.*` | window peak (dBFS), window RMS (dBFS), total mel-band energy (dB) |
//! | 171..211 | `timbre.mel_rel.*` | whole window: 40 log-mel band energies minus total log energy (dB) |
//! | 211..251 | `timbre.mel_early_minus_late.*` | the same, first half minus second half (dB) |
//! | 251..259 | `timbre.whole.*` | log-frequency shape of the whole window (8 values, below) |
//! | 259..267 | `timbre.early.*` | the same for the first half of the frames |
//! | 267..275 | `timbre.late.*` | the same for the second half of the frames |
//! | 275 | `timbre.decay_db` | energy of the first half minus the second half (dB) |
//!
//! Per-frame features `f` (in this order): `mfcc0`..`mfcc12` (DCT-II, orthonormal, of the dB
//! energies of 40 mel bands from 100 Hz to min(12 kHz, 0.95 Nyquist); `mfcc0` carries level),
//! `centroid_hz`, `spread_hz`, `flatness_db` (<= 0), `rolloff85_hz`, `crest_db` (all on the
//! magnitude spectrum from 50 Hz to min(16 kHz, 0.95 Nyquist)), `peak_dbfs`, `rms_dbfs` (of the
//! unwindowed frame), `zcr_hz` (zero crossings per second / 2, a frequency).
//!
//! Statistics `s`: `mean`, `std` (population), `min`, `max` of the value over the frames, then
//! `dmean`, `dstd`, `dmin`, `dmax` of its first difference (frame to next frame; all 0 when the
//! window holds a single frame).
//!
//! Log-frequency shape (per segment): `log_centroid_oct`, `log_spread_oct`, `log_skewness`,
//! `log_kurtosis`, `log_median_oct`, `log_rolloff85_oct` (power-weighted moments and quantiles of
//! log2(f / 1 kHz) over 50 Hz..16 kHz), `band_flatness_db` and `band_slope_db_per_oct` (flatness
//! and least-squares slope of the 40 mel band energies). The first half is the frames with index
//! `i < n/2`, the second half `i >= n - n/2` (the middle frame of an odd count is in neither);
//! with a single frame both halves are the whole window.
//!
//! # Level and timbre
//! [`level_indices`] lists the dimensions that carry hit strength (window peak/RMS/energy, and
//! mean/min/max of `mfcc0`, `peak_dbfs` and `rms_dbfs`). [`timbre_indices`] is the
//! level-normalised timbre block (`timbre.*`): every value there is unchanged when the hit is
//! scaled in level (band energies are taken relative to the window's total, bands floored
//! 100 dB below it), so soft and hard hits at the same spot look alike. This is the block that
//! carried strike position best on synthetic membranes (see the domain notes).

mod names;

use super::fastmath;
use super::frame::{amp_db, power_db, FrameAnalyzer};
pub use super::frame::{feat, FrameLayout, FRAME_FEATURES};
use super::lanes;
use super::mel::MEL_BANDS;
use super::settings::{scale_ref, WINDOW_REF_RANGE};
use super::shape;
pub use names::NAMES;
use std::ops::Range;

/// Number of dimensions in a descriptor.
pub const DESCRIPTOR_LEN: usize = TIMBRE_BLOCK.end;
/// Version of the descriptor layout; bump whenever [`NAMES`] changes.
pub const LAYOUT_VERSION: u32 = 1;

/// Number of statistics per frame feature.
pub const FRAME_STATS: usize = 8;
/// Per-frame feature statistics.
pub const FRAME_BLOCK: Range<usize> = 0..FRAME_FEATURES * FRAME_STATS;
/// Hit strength: window peak (dBFS), RMS (dBFS), total band energy (dB).
pub const LEVEL_BLOCK: Range<usize> = FRAME_BLOCK.end..FRAME_BLOCK.end + 3;
/// Level-normalised timbre.
pub const TIMBRE_BLOCK: Range<usize> = LEVEL_BLOCK.end..LEVEL_BLOCK.end + 2 * MEL_BANDS + 3 * 8 + 1;

/// Indices of the statistics (`s` in `8 f + s`).
pub mod stat {
    /// Mean over frames.
    pub const MEAN: usize = 0;
    /// Population standard deviation over frames.
    pub const STD: usize = 1;
    /// Minimum over frames.
    pub const MIN: usize = 2;
    /// Maximum over frames.
    pub const MAX: usize = 3;
    /// Mean of the first difference.
    pub const DMEAN: usize = 4;
    /// Standard deviation of the first difference.
    pub const DSTD: usize = 5;
    /// Minimum of the first difference.
    pub const DMIN: usize = 6;
    /// Maximum of the first difference.
    pub const DMAX: usize = 7;
}

/// Index of statistic `stat` of per-frame feature `feature`.
pub const fn frame_index(feature: usize, stat: usize) -> usize {
    feature * FRAME_STATS + stat
}

const LEVEL_INDICES: [usize; 12] = [
    frame_index(feat::MFCC, stat::MEAN),
    frame_index(feat::MFCC, stat::MIN),
    frame_index(feat::MFCC, stat::MAX),
    frame_index(feat::PEAK, stat::MEAN),
    frame_index(feat::PEAK, stat::MIN),
    frame_index(feat::PEAK, stat::MAX),
    frame_index(feat::RMS, stat::MEAN),
    frame_index(feat::RMS, stat::MIN),
    frame_index(feat::RMS, stat::MAX),
    LEVEL_BLOCK.start,
    LEVEL_BLOCK.start + 1,
    LEVEL_BLOCK.start + 2,
];

/// The dimensions that carry hit strength (they shift with level, in dB).
pub fn level_indices() -> &'static [usize] {
    &LEVEL_INDICES
}

/// The level-normalised timbre block (see the module docs).
pub fn timbre_indices() -> Range<usize> {
    TIMBRE_BLOCK
}

/// Offsets inside the timbre block.
mod timbre {
    use super::{MEL_BANDS, TIMBRE_BLOCK};
    pub(super) const MEL_REL: usize = TIMBRE_BLOCK.start;
    pub(super) const MEL_EML: usize = MEL_REL + MEL_BANDS;
    pub(super) const SHAPE: usize = MEL_EML + MEL_BANDS;
    pub(super) const DECAY: usize = SHAPE + 24;
}

/// Errors of the offline [`Extractor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DescriptorError {
    /// The slice is shorter than the analysis window.
    #[error("window needs {needed} samples, got {got}")]
    WindowTooShort {
        /// Window length, in samples.
        needed: usize,
        /// Samples given.
        got: usize,
    },
    /// Window length outside 64..=4096 reference samples.
    #[error("window length {0} reference samples is outside 64..=4096")]
    WindowOutOfRange(u32),
}

/// The running state of one hit's descriptor: per-frame values, summed power spectra and summed
/// mel band energies of the whole window and of its halves.
pub(crate) struct HitAccumulator {
    values: Vec<[f32; FRAME_FEATURES]>,
    frames_done: usize,
    whole: Vec<f32>,
    early: Vec<f32>,
    late: Vec<f32>,
    mel_whole: [f32; MEL_BANDS],
    mel_early: [f32; MEL_BANDS],
    mel_late: [f32; MEL_BANDS],
}

impl HitAccumulator {
    pub(crate) fn new(max_frames: usize, max_bins: usize) -> Self {
        Self {
            values: vec![[0.0; FRAME_FEATURES]; max_frames],
            frames_done: 0,
            whole: vec![0.0; max_bins],
            early: vec![0.0; max_bins],
            late: vec![0.0; max_bins],
            mel_whole: [0.0; MEL_BANDS],
            mel_early: [0.0; MEL_BANDS],
            mel_late: [0.0; MEL_BANDS],
        }
    }

    /// Starts a new hit (no allocation).
    pub(crate) fn clear(&mut self) {
        self.frames_done = 0;
        self.whole.fill(0.0);
        self.early.fill(0.0);
        self.late.fill(0.0);
        self.mel_whole = [0.0; MEL_BANDS];
        self.mel_early = [0.0; MEL_BANDS];
        self.mel_late = [0.0; MEL_BANDS];
    }

    /// Number of frames analysed so far.
    pub(crate) fn frames_done(&self) -> usize {
        self.frames_done
    }

    /// Analyses the next frame (`a` then `b`, `frame_len` samples).
    pub(crate) fn push_frame(&mut self, fa: &mut FrameAnalyzer, a: &[f32], b: &[f32]) {
        let l = *fa.layout();
        let i = self.frames_done;
        fa.analyze(a, b, &mut self.values[i]);
        let bins = l.bins();
        let p = &fa.power[..bins];
        let m = &fa.mel_vals;
        // Band energies are linear in the power spectrum: summing them per frame equals
        // (up to rounding) applying the filterbank to the summed spectra.
        add(&mut self.whole[..bins], p);
        add(&mut self.mel_whole, m);
        let half = l.n_frames / 2;
        if i < half {
            add(&mut self.early[..bins], p);
            add(&mut self.mel_early, m);
        }
        if half > 0 && i >= l.n_frames - half {
            add(&mut self.late[..bins], p);
            add(&mut self.mel_late, m);
        }
        self.frames_done += 1;
    }

    /// Describes a whole window held in one slice (every frame of `fa`'s layout, from a
    /// cleared accumulator) into `out`; returns the window's (peak, RMS) in dBFS. Never
    /// allocates.
    pub(crate) fn describe(
        &mut self,
        fa: &mut FrameAnalyzer,
        window: &[f32],
        out: &mut [f32; DESCRIPTOR_LEN],
    ) -> (f32, f32) {
        let l = *fa.layout();
        self.clear();
        for i in 0..l.n_frames {
            let s = l.frame_start(i);
            self.push_frame(fa, &window[s..s + l.frame_len], &[]);
        }
        self.finalize(fa, (window, &[]), out)
    }

    /// Writes the descriptor once every frame is in; `window` is the whole window (`a` then
    /// `b`). Returns the window's (peak, RMS) in dBFS.
    pub(crate) fn finalize(
        &self,
        fa: &FrameAnalyzer,
        window: (&[f32], &[f32]),
        out: &mut [f32; DESCRIPTOR_LEN],
    ) -> (f32, f32) {
        let l = fa.layout();
        let n = self.frames_done.max(1);
        debug_assert_eq!(self.frames_done, l.n_frames);
        frame_stats(&self.values[..n], &mut out[FRAME_BLOCK]);

        // Window level.
        let peak = lanes::max_abs(window.0).max(lanes::max_abs(window.1));
        let sumsq = lanes::sum_sq_pair(window.0, window.1);
        let len = (window.0.len() + window.1.len()).max(1);
        let (peak_db, rms_db) = (amp_db(peak), power_db(sumsq / len as f32));

        // Segment spectra: with a single frame both halves are the whole window.
        let half = l.n_frames / 2;
        let (early, mel_e, n_early, late, mel_l, n_late) = if half == 0 {
            (
                &self.whole,
                &self.mel_whole,
                n,
                &self.whole,
                &self.mel_whole,
                n,
            )
        } else {
            (
                &self.early,
                &self.mel_early,
                half,
                &self.late,
                &self.mel_late,
                half,
            )
        };
        let mel_w = &self.mel_whole;
        let total_w = lanes::sum(mel_w);
        let total_e = lanes::sum(mel_e);
        let total_l = lanes::sum(mel_l);

        out[LEVEL_BLOCK.start] = peak_db;
        out[LEVEL_BLOCK.start + 1] = rms_db;
        out[LEVEL_BLOCK.start + 2] = power_db(total_w / n as f32);

        let mut rel_w = [0.0f32; MEL_BANDS];
        let mut rel_e = [0.0f32; MEL_BANDS];
        let mut rel_l = [0.0f32; MEL_BANDS];
        relative_db(mel_w, total_w, &mut rel_w);
        relative_db(mel_e, total_e, &mut rel_e);
        relative_db(mel_l, total_l, &mut rel_l);
        out[timbre::MEL_REL..timbre::MEL_REL + MEL_BANDS].copy_from_slice(&rel_w);
        for ((o, e), l) in out[timbre::MEL_EML..timbre::MEL_EML + MEL_BANDS]
            .iter_mut()
            .zip(&rel_e)
            .zip(&rel_l)
        {
            *o = e - l;
        }
        let log_centres = &fa.mel_log2;
        for (seg, (spec, mel, rel)) in [
            (&self.whole, mel_w, &rel_w),
            (early, mel_e, &rel_e),
            (late, mel_l, &rel_l),
        ]
        .into_iter()
        .enumerate()
        {
            let o = timbre::SHAPE + 8 * seg;
            let s = shape::log_shape(spec, &fa.bin_log2, fa.shape_lo, fa.shape_hi);
            out[o..o + 6].copy_from_slice(&s);
            out[o + 6] = shape::band_flatness_db(mel);
            out[o + 7] = shape::slope(log_centres, rel);
        }
        out[timbre::DECAY] = power_db(total_e / n_early as f32) - power_db(total_l / n_late as f32);
        (peak_db, rms_db)
    }
}

use lanes::add_assign as add;

/// The 8 statistics of every per-frame feature (see [`stat`]) into `out` (feature-major).
/// Mean, population std (two passes), min and max of the values over the frames, then the same
/// of their first differences (all 0 for a single frame). Each feature's sums run in frame order.
fn frame_stats(vals: &[[f32; FRAME_FEATURES]], out: &mut [f32]) {
    const F: usize = FRAME_FEATURES;
    fn four(vals: impl Iterator<Item = [f32; F]> + Clone, n: usize) -> [[f32; F]; 4] {
        let nf = n as f32;
        let (mut sum, mut lo, mut hi) = ([0.0f32; F], [f32::INFINITY; F], [f32::NEG_INFINITY; F]);
        for v in vals.clone() {
            for f in 0..F {
                sum[f] += v[f];
                lo[f] = lo[f].min(v[f]);
                hi[f] = hi[f].max(v[f]);
            }
        }
        let mut mean = [0.0f32; F];
        for f in 0..F {
            mean[f] = sum[f] / nf;
        }
        let mut ss = [0.0f32; F];
        for v in vals {
            for f in 0..F {
                let d = v[f] - mean[f];
                ss[f] += d * d;
            }
        }
        let mut std = [0.0f32; F];
        for f in 0..F {
            std[f] = (ss[f] / nf).sqrt();
        }
        [mean, std, lo, hi]
    }
    let n = vals.len();
    let plain = four(vals.iter().copied(), n);
    let diff = if n > 1 {
        let d = vals.windows(2).map(|w| {
            let mut d = [0.0f32; F];
            for f in 0..F {
                d[f] = w[1][f] - w[0][f];
            }
            d
        });
        four(d, n - 1)
    } else {
        [[0.0; F]; 4]
    };
    for f in 0..F {
        let o = &mut out[frame_index(f, 0)..frame_index(f + 1, 0)];
        for s in 0..4 {
            o[s] = plain[s][f];
            o[4 + s] = diff[s][f];
        }
    }
}

/// Band energies in dB relative to their total (`total`, their sum), each floored 100 dB below the total; -100 for
/// every band when the total is negligible.
fn relative_db(bands: &[f32; MEL_BANDS], total: f32, out: &mut [f32; MEL_BANDS]) {
    if total <= 1e-24 {
        out.fill(-100.0);
        return;
    }
    let inv = 1.0 / total;
    let mut rel = [0.0f32; MEL_BANDS];
    for (r, b) in rel.iter_mut().zip(bands) {
        *r = b * inv;
    }
    fastmath::db10_floored(&rel, 1e-10, out);
}

/// Offline descriptor extraction from a window held in memory (the CLI, tests, benchmarks).
/// Gives bit-identical results to the streaming [`super::Analyzer`] for the same window samples.
pub struct Extractor {
    fa: FrameAnalyzer,
    acc: HitAccumulator,
    buf: Vec<f32>,
}

impl Extractor {
    /// Plans and allocates for `window_ref_samples` (64..=4096 reference samples) at
    /// `sample_rate` Hz.
    pub fn new(sample_rate: f32, window_ref_samples: u32) -> Result<Self, DescriptorError> {
        if !WINDOW_REF_RANGE.contains(&window_ref_samples) {
            return Err(DescriptorError::WindowOutOfRange(window_ref_samples));
        }
        let w = scale_ref(window_ref_samples as f32, sample_rate);
        let fa = FrameAnalyzer::new(sample_rate, window_ref_samples);
        let l = *fa.layout();
        Ok(Self {
            acc: HitAccumulator::new(l.n_frames, l.bins()),
            fa,
            buf: vec![0.0; w],
        })
    }

    /// Window length, in samples.
    pub fn window_len(&self) -> usize {
        self.fa.layout().window_len
    }

    /// How the window is cut into frames.
    pub fn layout(&self) -> FrameLayout {
        *self.fa.layout()
    }

    /// Computes the descriptor of the first `window_len()` samples of `samples` into `out` and
    /// returns the window's (peak, RMS) in dBFS. Non-finite and subnormal samples count as
    /// silence. Never allocates.
    pub fn extract(
        &mut self,
        samples: &[f32],
        out: &mut [f32; DESCRIPTOR_LEN],
    ) -> Result<(f32, f32), DescriptorError> {
        let l = *self.fa.layout();
        if samples.len() < l.window_len {
            return Err(DescriptorError::WindowTooShort {
                needed: l.window_len,
                got: samples.len(),
            });
        }
        for (b, &x) in self.buf.iter_mut().zip(samples) {
            *b = super::sanitize(x);
        }
        Ok(self.acc.describe(&mut self.fa, &self.buf, out))
    }
}

#[cfg(test)]
mod tests;
