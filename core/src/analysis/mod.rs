//! Streaming analysis: onset detection and hit descriptors, run on the audio thread.
//!
//! API CONTRACT (the plugin and the CLI depend on these names; keep them):
//! - [`DetectorKind`], [`DetectorSettings`], [`AnalysisSettings`]: plain `Copy` settings.
//! - [`Analyzer::new`] allocates everything for a sample rate; [`Analyzer::set_settings`],
//!   [`Analyzer::process`], [`Analyzer::reset`] never allocate.
//! - [`HitRecord`]: a fixed-size `Copy` record, sent through lock-free queues.
//! - [`descriptor::DESCRIPTOR_LEN`], [`descriptor::LAYOUT_VERSION`], [`descriptor::NAMES`].

pub mod descriptor;

/// Which onset detector runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum DetectorKind {
    /// Fast/slow envelope difference after a high-pass: lowest latency, for close mics.
    #[default]
    Envelope,
    /// Spectral flux on short hops with adaptive whitening: robust to bleed.
    Flux,
}

/// Onset detector settings. Every field has a default suited to a close-miked snare.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DetectorSettings {
    /// Which detector runs.
    pub kind: DetectorKind,
    /// Envelope detector: high-pass cutoff applied before the envelopes, in Hz.
    pub highpass_hz: f32,
    /// Relative threshold: envelope detector fires when fast minus slow envelope exceeds this,
    /// in dB; the flux detector scales its adaptive threshold from it.
    pub threshold_db: f32,
    /// Absolute floor (gate): no onset while the (high-passed) signal is below this, in dBFS.
    pub floor_dbfs: f32,
    /// Minimum time between two onsets, in milliseconds.
    pub min_interval_ms: f32,
}

/// All analysis settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnalysisSettings {
    /// Onset detector settings.
    pub detector: DetectorSettings,
    /// Descriptor analysis window length, in samples at 44.1 kHz (64..=4096; scaled with the
    /// sample rate). Default 256 (5.8 ms).
    pub window_ref_samples: u32,
}

/// One detected hit, with its descriptor. Plain data of fixed size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HitRecord {
    /// Absolute sample position of the (refined) onset since the last reset.
    pub onset_sample: u64,
    /// Absolute sample position at which the descriptor became ready (onset + window).
    pub ready_sample: u64,
    /// Peak level in the analysis window, in dBFS.
    pub peak_dbfs: f32,
    /// RMS level in the analysis window, in dBFS.
    pub rms_dbfs: f32,
    /// The descriptor, laid out as in [`descriptor::NAMES`].
    pub descriptor: [f32; descriptor::DESCRIPTOR_LEN],
}

/// What the analyzer reports while processing.
#[derive(Debug, Clone, Copy)]
pub enum AnalyzerEvent<'a> {
    /// An onset was detected (descriptor not ready yet). Positions are absolute samples.
    Onset {
        /// Refined onset position.
        onset_sample: u64,
    },
    /// A hit's descriptor is complete.
    Hit(&'a HitRecord),
}

/// The streaming analyzer: feed mono samples in any block size, get identical hits.
pub struct Analyzer {
    // implementation-defined
}

impl Analyzer {
    /// Allocates everything for `sample_rate` (Hz) and the largest window (4096 reference samples).
    pub fn new(sample_rate: f32, settings: AnalysisSettings) -> Self {
        let _ = (sample_rate, settings);
        Self {}
    }
    /// Changes settings without allocating (window length is clamped to 64..=4096).
    pub fn set_settings(&mut self, settings: AnalysisSettings) {
        let _ = settings;
    }
    /// Clears all state and sets the sample counter to 0. Never allocates.
    pub fn reset(&mut self) {}
    /// Processes mono `samples`; calls `on_event` for every onset and completed hit, in order.
    /// Never allocates. Non-finite and subnormal input is treated as silence.
    pub fn process(&mut self, samples: &[f32], mut on_event: impl FnMut(AnalyzerEvent<'_>)) {
        let _ = (samples, &mut on_event);
    }
    /// Samples processed since the last reset.
    pub fn position(&self) -> u64 {
        0
    }
    /// Hit-to-descriptor latency at the current settings and sample rate, in samples.
    pub fn latency_samples(&self) -> u32 {
        0
    }
    /// The most recent value of the detection function and the current threshold, for a meter
    /// (envelope: fast-minus-slow in dB; flux: the flux value and its adaptive threshold).
    pub fn detection_meter(&self) -> (f32, f32) {
        (0.0, 0.0)
    }
}
