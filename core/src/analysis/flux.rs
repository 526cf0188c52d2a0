//! Spectral-flux onset detector: short hops, adaptive whitening, log compression, adaptive
//! threshold and peak picking.
//!
//! Every hop (64 reference samples, 1.45 ms) a Hann-windowed frame of 128 reference samples of
//! the high-passed signal is transformed. Each bin's magnitude (from the high-pass cutoff to
//! min(16 kHz, 0.95 Nyquist)) is divided by its own peak, which decays by 60 dB per
//! [`WHITENING_RELAX_S`] and never drops below a floor tied to `floor_dbfs` (adaptive whitening),
//! then log-compressed as `ln(1 + γ x)`. The flux is the mean over bins of the rectified increase
//! over the frame two hops earlier (the last frame that does not overlap), taken from the
//! maximum of that frame's bin and its two neighbours (the SuperFlux maximum filter, which keeps
//! random fluctuations of noise and snare-wire rattle from adding up). The threshold is `δ + λ ·` (mean flux of the previous
//! [`THRESHOLD_HOPS`] hops), with `λ = 10^(threshold_db / 20)`. A hop whose flux exceeds its
//! threshold, is a local maximum and carries at least [`MIN_POWER_RISE`] times the power of the
//! last frame that does not overlap it fires one hop later (the detection delay is one frame plus
//! one to two hops), if the high-passed frame's RMS is above the floor and the minimum interval
//! has passed.

use super::ring::History;
use super::settings::scale_ref;
use super::DetectorSettings;
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Hop, in reference samples (44.1 kHz).
pub const HOP_REF_SAMPLES: f32 = 32.0;
/// Frame, in reference samples (44.1 kHz).
pub const FRAME_REF_SAMPLES: f32 = 64.0;
/// Time for a bin's whitening peak to decay by 60 dB, in seconds.
pub const WHITENING_RELAX_S: f32 = 1.0;
/// Number of past hops averaged for the adaptive threshold.
pub const THRESHOLD_HOPS: usize = 16;
/// Log compression factor γ.
pub const COMPRESSION: f32 = 10.0;
/// Fixed part δ of the threshold (flux units: mean log increase per bin).
pub const DELTA: f32 = 0.15;
/// A candidate must also carry at least this much more power (in the flux band) than the frame
/// just before it (power ratio; 2 = 3 dB): random flux peaks in a decaying tail do not.
pub const MIN_POWER_RISE: f32 = 2.0;
/// Highest frequency read, in Hz.
pub const FLUX_HI_HZ: f32 = 16_000.0;

pub(crate) struct FluxDetector {
    sample_rate: f32,
    hop: usize,
    frame_len: usize,
    fft_len: usize,
    plan: Arc<dyn RealToComplex<f32>>,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    hann: Vec<f32>,
    norm: f32,
    lo: usize,
    hi: usize,
    peaks: Vec<f32>,
    /// Log-compressed whitened magnitudes of the previous two frames (`logs[hop parity]`).
    logs: [Vec<f32>; 2],
    parity: usize,
    relax: f32,
    floor: f32,
    floor_bin: f32,
    lambda: f32,
    history: [f32; THRESHOLD_HOPS],
    history_pos: usize,
    /// Flux, threshold and gate of the previous hop, and flux of the one before.
    prev_flux: f32,
    prev_thr: f32,
    prev_gate: bool,
    prev2_flux: f32,
    /// Band power of the last four frames, newest first.
    powers: [f32; 4],
    min_interval: u64,
    holdoff_until: u64,
    meter: (f32, f32),
    /// Largest flux since the meter was last read.
    peak: f32,
}

impl FluxDetector {
    pub(crate) fn new(sample_rate: f32, s: &DetectorSettings) -> Self {
        let hop = scale_ref(HOP_REF_SAMPLES, sample_rate);
        let frame_len = scale_ref(FRAME_REF_SAMPLES, sample_rate).max(8);
        let fft_len = frame_len.next_power_of_two();
        let plan = RealFftPlanner::<f32>::new().plan_fft_forward(fft_len);
        let scratch = plan.make_scratch_vec();
        let bins = fft_len / 2 + 1;
        let mut sumsq = 0.0f64;
        let hann: Vec<f32> = (0..frame_len)
            .map(|i| {
                let v =
                    0.5 - 0.5 * (std::f64::consts::TAU * (i as f64 + 0.5) / frame_len as f64).cos();
                sumsq += v * v;
                v as f32
            })
            .collect();
        let mut d = Self {
            sample_rate,
            hop,
            frame_len,
            fft_len,
            input: plan.make_input_vec(),
            output: plan.make_output_vec(),
            plan,
            scratch,
            hann,
            norm: (2.0 / (fft_len as f64 * sumsq)).sqrt() as f32,
            lo: 1,
            hi: bins - 1,
            peaks: vec![0.0; bins],
            logs: [vec![0.0; bins], vec![0.0; bins]],
            parity: 0,
            relax: 0.001f32.powf(hop as f32 / (WHITENING_RELAX_S * sample_rate)),
            floor: 0.0,
            floor_bin: 0.0,
            lambda: 1.0,
            history: [0.0; THRESHOLD_HOPS],
            history_pos: 0,
            prev_flux: 0.0,
            prev_thr: f32::INFINITY,
            prev_gate: false,
            prev2_flux: 0.0,
            powers: [0.0; 4],
            min_interval: 1,
            holdoff_until: 0,
            meter: (0.0, 0.0),
            peak: 0.0,
        };
        d.configure(s);
        d.reset();
        d
    }

    /// Hop between detection frames, in samples.
    pub(crate) fn hop(&self) -> usize {
        self.hop
    }

    /// Worst-case distance from the onset to the detection, in samples.
    pub(crate) fn max_delay(&self) -> usize {
        self.frame_len + 3 * self.hop
    }

    pub(crate) fn configure(&mut self, s: &DetectorSettings) {
        let df = self.sample_rate / self.fft_len as f32;
        let bins = self.fft_len / 2 + 1;
        let hi_hz = FLUX_HI_HZ.min(0.95 * 0.5 * self.sample_rate);
        self.lo = ((s.highpass_hz / df).round() as usize).clamp(1, bins - 2);
        self.hi = ((hi_hz / df) as usize).clamp(self.lo, bins - 2);
        self.lambda = 10f32.powf(s.threshold_db / 20.0);
        self.floor = 10f32.powf(s.floor_dbfs / 20.0);
        // A broadband signal at the floor level spreads over all bins.
        self.floor_bin = self.floor / (bins as f32).sqrt();
        self.min_interval = ((s.min_interval_ms * 0.001 * self.sample_rate).round() as u64).max(1);
    }

    pub(crate) fn reset(&mut self) {
        self.peaks.fill(self.floor_bin);
        self.logs[0].fill(0.0);
        self.logs[1].fill(0.0);
        self.parity = 0;
        self.history = [0.0; THRESHOLD_HOPS];
        self.history_pos = 0;
        self.prev_flux = 0.0;
        self.prev2_flux = 0.0;
        self.powers = [0.0; 4];
        self.prev_thr = f32::INFINITY;
        self.prev_gate = false;
        self.holdoff_until = 0;
        self.meter = (0.0, 0.0);
    }

    /// Runs one hop whose frame ends just before absolute position `end` (the frame is
    /// `end - frame_len .. end`); true when an onset fires (at sample `end - 1`).
    pub(crate) fn process_hop(&mut self, hp: &History, end: u64) -> bool {
        let start = end as i64 - self.frame_len as i64;
        let mut sumsq = 0.0f32;
        for (i, (inp, w)) in self.input.iter_mut().zip(&self.hann).enumerate() {
            let x = hp.at(start + i as i64);
            sumsq += x * x;
            *inp = x * w;
        }
        let gate = (sumsq / self.frame_len as f32).sqrt();
        self.input[self.frame_len..].fill(0.0);
        self.plan
            .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch)
            .expect("buffer sizes match the plan");
        let mut flux = 0.0f32;
        let mut power = 0.0f32;
        // `old` holds the frame two hops back; it is overwritten with this frame as we go, so
        // keep the previous bin's old value for the maximum filter.
        let old = &mut self.logs[self.parity];
        let mut old_prev = old[self.lo - 1];
        for k in self.lo..=self.hi {
            let c = self.output[k];
            let pw = c.re * c.re + c.im * c.im;
            power += pw;
            let m = pw.sqrt() * self.norm;
            let p = (self.peaks[k] * self.relax).max(m).max(self.floor_bin);
            self.peaks[k] = p;
            let l = super::fastmath::ln(1.0 + COMPRESSION * m / p);
            let o = old[k];
            let reference = old_prev.max(o).max(old[k + 1]);
            flux += (l - reference).max(0.0);
            old_prev = o;
            old[k] = l;
        }
        self.parity ^= 1;
        flux /= (self.hi + 1 - self.lo) as f32;
        let mean = self.history.iter().sum::<f32>() / THRESHOLD_HOPS as f32;
        let thr = DELTA + self.lambda * mean;
        self.history[self.history_pos] = flux;
        self.history_pos = (self.history_pos + 1) % THRESHOLD_HOPS;

        self.powers = [power, self.powers[0], self.powers[1], self.powers[2]];
        let det = end - 1;
        // The candidate is the previous hop: compare its power, or that of the current frame if
        // the onset came late in the candidate frame, with the last frame that does not overlap
        // the candidate (two hops before it).
        let rise = self.powers[0].max(self.powers[1]) > MIN_POWER_RISE * self.powers[3].max(1e-30);
        let fire = self.prev_gate
            && rise
            && self.prev_flux > self.prev_thr
            && self.prev_flux >= self.prev2_flux
            && self.prev_flux > flux
            && det >= self.holdoff_until;
        if fire {
            self.holdoff_until = det + self.min_interval;
        }
        self.prev2_flux = self.prev_flux;
        self.prev_flux = flux;
        self.prev_thr = thr;
        self.prev_gate = gate > self.floor;
        self.meter = (flux, thr);
        self.peak = self.peak.max(flux);
        fire
    }

    /// The largest flux since the last call, and resets it.
    pub(crate) fn take_peak(&mut self) -> f32 {
        std::mem::take(&mut self.peak)
    }

    /// (last flux, its threshold).
    pub(crate) fn meter(&self) -> (f32, f32) {
        self.meter
    }
}
