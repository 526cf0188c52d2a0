//! One descriptor per file: the first hit the core's [`Analyzer`] finds (with a permissive
//! floor), or, if it finds none, the window starting at the first non-silent sample. Also the
//! short log-mel spectrogram that the learned features are trained on.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};
use timbrel_core::analysis::descriptor::{Extractor, DESCRIPTOR_LEN};
use timbrel_core::analysis::mel::{band_edges_hz, triangle, MEL_BANDS};
use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent, DetectorSettings};

use crate::decode::MonoAudio;

/// Mel frames per file for the learned features.
pub const MEL_FRAMES: usize = 5;
/// Length of one mel frame, in seconds (Hann window).
pub const MEL_FRAME_S: f32 = 0.02;
/// Hop between mel frames, in seconds (5 frames cover the first 60 ms).
pub const MEL_HOP_S: f32 = 0.01;
/// Dynamic range kept in the mel frames, in dB below the loudest band of the file's frames.
pub const MEL_RANGE_DB: f32 = 80.0;
/// Length of the mel input vector: [`MEL_FRAMES`] × 40 bands, frame-major.
pub const MEL_LEN: usize = MEL_FRAMES * MEL_BANDS;

/// How a file is described.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DescribeSettings {
    /// Analyzer settings; the detector floor should be permissive (one-shots can be quiet).
    pub analysis: AnalysisSettings,
    /// Samples per level at or below which the fallback start search treats the signal as
    /// silence, in dBFS.
    pub silence_dbfs: f32,
}

impl Default for DescribeSettings {
    /// The core's detector with a −70 dBFS floor and a 2048-reference-sample (46 ms) window.
    fn default() -> Self {
        Self {
            analysis: AnalysisSettings {
                detector: DetectorSettings {
                    floor_dbfs: -70.0,
                    ..AnalysisSettings::default().detector
                },
                window_ref_samples: 2048,
            },
            silence_dbfs: -70.0,
        }
    }
}

/// What was found in one file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDescription {
    /// The descriptor (layout of `timbrel_core::analysis::descriptor::NAMES`).
    pub descriptor: Vec<f32>,
    /// Sample where the described window starts.
    pub onset_sample: u64,
    /// Whether the analyzer detected the hit (false: the fallback window was used).
    pub detected: bool,
    /// Level-normalised log-mel frames from the onset, [`MEL_LEN`] values in 0..1 (0 is
    /// [`MEL_RANGE_DB`] below the file's loudest band, 1 is that band).
    pub mel: Vec<f32>,
}

/// Per-thread describing state: analyzers, extractors and FFT plans are reused from one file
/// to the next while the sample rate stays the same.
pub struct Describer {
    settings: DescribeSettings,
    rate: u32,
    analyzer: Option<Analyzer>,
    extractor: Option<Extractor>,
    mel: Option<MelState>,
    zeros: Vec<f32>,
}

impl Describer {
    /// A describer for `settings` (validated by the caller with `AnalysisSettings::validate`).
    pub fn new(settings: DescribeSettings) -> Self {
        Self {
            settings,
            rate: 0,
            analyzer: None,
            extractor: None,
            mel: None,
            zeros: vec![0.0; 4096],
        }
    }

    /// Describes one file's audio.
    pub fn describe(&mut self, audio: &MonoAudio) -> FileDescription {
        let sr = audio.sample_rate;
        if sr != self.rate || self.analyzer.is_none() {
            self.rate = sr;
            self.analyzer = Some(Analyzer::new(sr as f32, self.settings.analysis));
            self.extractor =
                Extractor::new(sr as f32, self.settings.analysis.window_ref_samples).ok();
            self.mel = Some(MelState::new(sr as f32));
        }
        let analyzer = self.analyzer.as_mut().expect("built above");
        analyzer.reset();
        let mut found: Option<(u64, [f32; DESCRIPTOR_LEN])> = None;
        for block in audio.samples.chunks(4096) {
            analyzer.process(block, |e| keep_first(&mut found, e));
            if found.is_some() {
                break;
            }
        }
        if found.is_none() {
            let mut pad = 2 * analyzer.latency_samples() as usize + sr as usize / 50;
            while pad > 0 && found.is_none() {
                let n = pad.min(self.zeros.len());
                analyzer.process(&self.zeros[..n], |e| keep_first(&mut found, e));
                pad -= n;
            }
        }
        let (onset, descriptor, detected) = match found {
            Some((onset, d)) => (onset, d.to_vec(), true),
            None => {
                let gate = 10f32.powf(self.settings.silence_dbfs / 20.0);
                let start = audio
                    .samples
                    .iter()
                    .position(|x| x.abs() > gate)
                    .unwrap_or(0);
                let mut out = [0.0; DESCRIPTOR_LEN];
                if let Some(ex) = self.extractor.as_mut() {
                    let w = ex.window_len();
                    let mut window: Vec<f32> =
                        audio.samples[start..].iter().copied().take(w).collect();
                    window.resize(w, 0.0);
                    // NOTE: the window has exactly the required length, so this cannot fail.
                    let _ = ex.extract(&window, &mut out);
                }
                (start as u64, out.to_vec(), false)
            }
        };
        let mel = self
            .mel
            .as_mut()
            .expect("built above")
            .frames(&audio.samples, onset as usize);
        FileDescription {
            descriptor,
            onset_sample: onset,
            detected,
            mel,
        }
    }
}

/// Keeps the first completed hit's onset and descriptor.
fn keep_first(found: &mut Option<(u64, [f32; DESCRIPTOR_LEN])>, e: AnalyzerEvent<'_>) {
    if let (None, AnalyzerEvent::Hit(h)) = (&found, e) {
        *found = Some((h.onset_sample, h.descriptor));
    }
}

/// A small log-mel analyser for the learned features.
struct MelState {
    frame_len: usize,
    hop: usize,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    input: Vec<f32>,
    spectrum: Vec<realfft::num_complex::Complex<f32>>,
    /// Per band: (first bin, weights).
    bank: Vec<(usize, Vec<f32>)>,
}

impl MelState {
    fn new(sample_rate: f32) -> Self {
        let frame_len = ((MEL_FRAME_S * sample_rate).round() as usize).max(16);
        let hop = ((MEL_HOP_S * sample_rate).round() as usize).max(1);
        let fft_len = frame_len.next_power_of_two();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(fft_len);
        let window = (0..frame_len)
            .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / frame_len as f32).cos())
            .collect();
        let edges = band_edges_hz(sample_rate);
        let bin_hz = sample_rate / fft_len as f32;
        let bins = fft_len / 2 + 1;
        let bank = (0..MEL_BANDS)
            .map(|b| {
                let w: Vec<f32> = (0..bins)
                    .map(|k| triangle(&edges, b, k as f32 * bin_hz))
                    .collect();
                match w.iter().position(|&x| x > 0.0) {
                    Some(first) => {
                        let last = w.iter().rposition(|&x| x > 0.0).map_or(first, |l| l + 1);
                        (first, w[first..last].to_vec())
                    }
                    // NOTE: a band narrower than a bin takes the bin nearest its centre.
                    None => (
                        ((edges[b + 1] / bin_hz).round() as usize).min(bins - 1),
                        vec![1.0],
                    ),
                }
            })
            .collect();
        Self {
            frame_len,
            hop,
            window,
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            fft,
            bank,
        }
    }

    /// [`MEL_LEN`] level-normalised log-mel values from `start`.
    fn frames(&mut self, samples: &[f32], start: usize) -> Vec<f32> {
        let mut db = vec![0.0f32; MEL_LEN];
        for f in 0..MEL_FRAMES {
            let s = start + f * self.hop;
            self.input.fill(0.0);
            for i in 0..self.frame_len {
                let x = samples.get(s + i).copied().unwrap_or(0.0);
                self.input[i] = if x.is_finite() {
                    x * self.window[i]
                } else {
                    0.0
                };
            }
            // NOTE: buffers come from the plan, so the lengths always match.
            let _ = self.fft.process(&mut self.input, &mut self.spectrum);
            for (b, (first, w)) in self.bank.iter().enumerate() {
                let e: f32 = w
                    .iter()
                    .zip(&self.spectrum[*first..])
                    .map(|(w, c)| w * c.norm_sqr())
                    .sum();
                db[f * MEL_BANDS + b] = 10.0 * (e + 1e-20).log10();
            }
        }
        let max = db.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for v in &mut db {
            *v = ((*v - max + MEL_RANGE_DB) / MEL_RANGE_DB).clamp(0.0, 1.0);
        }
        db
    }
}
