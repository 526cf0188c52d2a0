//! The `timbrel` subcommands, and the streaming analysis driver they share.
//!
//! Every command runs the same [`Analyzer`] as the plugin, fed in fixed-size blocks exactly as a
//! host would, so what the CLI reports is what the plugin sees.

pub mod bench;
pub mod classes;
pub mod classify;
pub mod csv;
pub mod eval;
pub mod features;
pub mod map;
pub mod onsets;
pub mod train;
pub mod truth;

use timbrel_core::analysis::levels::{LearnedLevels, LevelLearner, LevelsError, LEARN_SECONDS};
use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent, HitRecord, SettingsError};

/// Default block size fed to the analyzer, in samples (a typical host buffer).
pub const DEFAULT_BLOCK: usize = 512;

/// Validated analysis options shared by every command that reads audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalysisOptions {
    /// The core's settings, checked with [`AnalysisSettings::validate`].
    settings: AnalysisSettings,
    /// Samples per `Analyzer::process` call (>= 1).
    block: usize,
    /// Learn gate, threshold and retrigger decay from each file's first
    /// [`LEARN_SECONDS`] before analysing it.
    learn_levels: bool,
}

/// Options that the core would reject; each variant carries the offending value.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum OptionsError {
    /// A core setting is out of range.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The block size is zero.
    #[error("block size {0} must be at least 1 sample")]
    Block(usize),
}

impl Default for AnalysisOptions {
    /// The core's default settings (envelope detector, 256-sample window) in blocks of 512.
    fn default() -> Self {
        Self {
            settings: AnalysisSettings::default(),
            block: DEFAULT_BLOCK,
            learn_levels: false,
        }
    }
}

impl AnalysisOptions {
    /// Checks `settings` and `block` (samples per analyzer call).
    pub fn new(settings: AnalysisSettings, block: usize) -> Result<Self, OptionsError> {
        settings.validate()?;
        if block == 0 {
            return Err(OptionsError::Block(block));
        }
        Ok(Self {
            settings,
            block,
            learn_levels: false,
        })
    }

    /// The same options, learning each file's levels first (or not).
    pub fn with_learn_levels(self, learn_levels: bool) -> Self {
        Self {
            learn_levels,
            ..self
        }
    }

    /// Whether each file's levels are learned before it is analysed.
    pub fn learn_levels(&self) -> bool {
        self.learn_levels
    }

    /// The core settings.
    pub fn settings(&self) -> AnalysisSettings {
        self.settings
    }

    /// Samples per `Analyzer::process` call.
    pub fn block(&self) -> usize {
        self.block
    }
}

/// Runs whole files through an [`Analyzer`], reusing it (and its allocations) from one file to
/// the next while the sample rate stays the same.
pub struct Runner {
    /// The analyzer and the sample rate (Hz) it was built for.
    analyzer: Option<(u32, Analyzer)>,
    settings: AnalysisSettings,
    block: usize,
    learn_levels: bool,
    /// What the latest file taught, when levels are learned.
    learned: Option<Result<LearnedLevels, LevelsError>>,
    /// Silence fed after the end of a file so that late hits complete.
    zeros: Vec<f32>,
    /// Level of the synthetic hi-hat each hit is also described under (dB under its peak),
    /// for training examples; `None`: hits have no hat descriptor.
    hat_db: Option<f32>,
}

impl Runner {
    /// A runner for `options`; the analyzer is built on the first file.
    pub fn new(options: &AnalysisOptions) -> Self {
        let block = options.block();
        Self {
            analyzer: None,
            settings: options.settings(),
            block,
            learn_levels: options.learn_levels(),
            learned: None,
            zeros: vec![0.0; block.min(1 << 16)],
            hat_db: None,
        }
    }

    /// The same runner describing every hit under the analyzer's synthetic hi-hat too, `db`
    /// under its peak ([`HitRecord::hat_descriptor`]), as the plugin does for training hits.
    pub fn with_hats(mut self, db: f32) -> Self {
        self.hat_db = Some(db);
        self
    }

    /// What the latest file taught (`None` unless levels are learned).
    pub fn learned(&self) -> Option<&Result<LearnedLevels, LevelsError>> {
        self.learned.as_ref()
    }

    /// Analyzes `samples` (mono, at `sample_rate` Hz) from a reset state, in blocks, and calls
    /// `on_hit` for every completed hit, in order.
    ///
    /// After the last sample the analyzer is fed silence (a length fixed by the settings and the
    /// sample rate, never by the block size) so that a hit near the end of the file still gets
    /// its descriptor; such a hit's `ready_sample` may lie past the end of the file.
    pub fn run(&mut self, samples: &[f32], sample_rate: u32, mut on_hit: impl FnMut(&HitRecord)) {
        let mut settings = self.settings;
        if self.learn_levels {
            let mut learner = LevelLearner::new(sample_rate as f32, &settings.detector);
            let n = ((LEARN_SECONDS * sample_rate as f32) as usize).min(samples.len());
            for block in samples[..n].chunks(self.block) {
                learner.process(block);
            }
            let learned = learner.result();
            if let Ok(levels) = &learned {
                settings.detector = levels.apply(settings.detector);
            }
            self.learned = Some(learned);
        }
        let analyzer = match &mut self.analyzer {
            Some((rate, analyzer)) if *rate == sample_rate => {
                analyzer.set_settings(settings);
                analyzer.reset();
                analyzer
            }
            slot => {
                let (_, analyzer) =
                    slot.insert((sample_rate, Analyzer::new(sample_rate as f32, settings)));
                analyzer
            }
        };
        analyzer.set_hat_mix(self.hat_db);
        let mut on_event = |event: AnalyzerEvent<'_>| {
            if let AnalyzerEvent::Hit(hit) = event {
                on_hit(hit);
            }
        };
        for block in samples.chunks(self.block) {
            analyzer.process(block, &mut on_event);
        }
        // NOTE: twice the reported latency (the window) plus 20 ms covers the detectors'
        // decision delay (flux hops, refinement look-back); extra silence never creates hits.
        let mut pad = 2 * analyzer.latency_samples() as usize + sample_rate as usize / 50;
        while pad > 0 {
            let n = pad.min(self.zeros.len());
            analyzer.process(&self.zeros[..n], &mut on_event);
            pad -= n;
        }
    }
}

/// Writes each file's rows in order; a file that failed goes to `on_error` instead. Returns how
/// many failed.
pub(crate) fn write_rows(
    results: Vec<Result<Vec<u8>, crate::wav::WavError>>,
    out: &mut impl std::io::Write,
    on_error: &mut impl FnMut(&crate::wav::WavError),
) -> std::io::Result<usize> {
    let mut failed = 0;
    for result in results {
        match result {
            Ok(rows) => out.write_all(&rows)?,
            Err(err) => {
                failed += 1;
                on_error(&err);
            }
        }
    }
    Ok(failed)
}
