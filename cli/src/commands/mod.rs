//! The `timbrel` subcommands, and the streaming analysis driver they share.
//!
//! Every command runs the same [`Analyzer`] as the plugin, fed in fixed-size blocks exactly as a
//! host would, so what the CLI reports is what the plugin sees.

pub mod bench;
pub mod csv;
pub mod features;
pub mod onsets;

use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent, DetectorKind, HitRecord};

/// Default block size fed to the analyzer, in samples (a typical host buffer).
pub const DEFAULT_BLOCK: usize = 512;

/// Analysis options shared by every command that reads audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalysisOptions {
    /// Which onset detector runs.
    pub detector: DetectorKind,
    /// Samples per `Analyzer::process` call (>= 1).
    pub block: usize,
    /// Descriptor window in samples at 44.1 kHz (64..=4096); `None` keeps the core's default.
    pub window_ref_samples: Option<u32>,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        Self {
            detector: DetectorKind::Envelope,
            block: DEFAULT_BLOCK,
            window_ref_samples: None,
        }
    }
}

impl AnalysisOptions {
    /// The core settings these options select: the core's defaults with the detector and the
    /// window overridden.
    pub fn settings(&self) -> AnalysisSettings {
        let mut settings = AnalysisSettings::default();
        settings.detector.kind = self.detector;
        if let Some(window) = self.window_ref_samples {
            settings.window_ref_samples = window;
        }
        settings
    }
}

/// Runs whole files through an [`Analyzer`], reusing it (and its allocations) from one file to
/// the next while the sample rate stays the same.
pub struct Runner {
    /// The analyzer and the sample rate (Hz) it was built for.
    analyzer: Option<(u32, Analyzer)>,
    settings: AnalysisSettings,
    block: usize,
    /// Silence fed after the end of a file so that late hits complete.
    zeros: Vec<f32>,
}

impl Runner {
    /// A runner for `options`; the analyzer is built on the first file.
    pub fn new(options: &AnalysisOptions) -> Self {
        let block = options.block.max(1);
        Self {
            analyzer: None,
            settings: options.settings(),
            block,
            zeros: vec![0.0; block.min(1 << 16)],
        }
    }

    /// Analyzes `samples` (mono, at `sample_rate` Hz) from a reset state, in blocks, and calls
    /// `on_hit` for every completed hit, in order.
    ///
    /// After the last sample the analyzer is fed silence (a length fixed by the settings and the
    /// sample rate, never by the block size) so that a hit near the end of the file still gets
    /// its descriptor; such a hit's `ready_sample` may lie past the end of the file.
    pub fn run(&mut self, samples: &[f32], sample_rate: u32, mut on_hit: impl FnMut(&HitRecord)) {
        let analyzer = match &mut self.analyzer {
            Some((rate, analyzer)) if *rate == sample_rate => {
                analyzer.reset();
                analyzer
            }
            slot => {
                let (_, analyzer) = slot.insert((
                    sample_rate,
                    Analyzer::new(sample_rate as f32, self.settings),
                ));
                analyzer
            }
        };
        let mut on_event = |event: AnalyzerEvent<'_>| {
            if let AnalyzerEvent::Hit(hit) = event {
                on_hit(hit);
            }
        };
        for block in samples.chunks(self.block) {
            analyzer.process(block, &mut on_event);
        }
        // NOTE: twice the reported latency plus 100 ms covers detection delay, the longest
        // window and any hold-off; extra silence never creates hits.
        let mut pad = 2 * analyzer.latency_samples() as usize + sample_rate as usize / 10;
        while pad > 0 {
            let n = pad.min(self.zeros.len());
            analyzer.process(&self.zeros[..n], &mut on_event);
            pad -= n;
        }
    }
}
