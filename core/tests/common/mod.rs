//! Helpers shared by the integration tests.
#![allow(dead_code)]

use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent, HitRecord};

/// Everything an analyzer reported over one run.
pub struct Run {
    /// (refined onset sample, position at which the Onset event was emitted). The emission
    /// position is exact only when `block == 1`; otherwise it is the end of the block.
    pub onsets: Vec<(u64, u64)>,
    /// Completed hits, in order.
    pub hits: Vec<HitRecord>,
}

/// Feeds `audio` to a new analyzer in blocks of `block` samples.
pub fn run(sample_rate: f32, settings: AnalysisSettings, audio: &[f32], block: usize) -> Run {
    run_with_hat(sample_rate, settings, audio, block, None)
}

/// [`run`] with the analyzer's synthetic hi-hat `hat_db` under each hit
/// (`Analyzer::set_hat_mix`).
pub fn run_with_hat(
    sample_rate: f32,
    settings: AnalysisSettings,
    audio: &[f32],
    block: usize,
    hat_db: Option<f32>,
) -> Run {
    let mut an = Analyzer::new(sample_rate, settings);
    an.set_hat_mix(hat_db);
    let mut onsets = Vec::new();
    let mut hits = Vec::new();
    for chunk in audio.chunks(block) {
        let end = an.position() + chunk.len() as u64;
        an.process(chunk, |e| match e {
            AnalyzerEvent::Onset { onset_sample } => onsets.push((onset_sample, end)),
            AnalyzerEvent::Hit(h) => hits.push(*h),
        });
    }
    Run { onsets, hits }
}
