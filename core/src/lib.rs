//! Timbrel's host-independent core: streaming onset detection and per-hit descriptors
//! (`analysis`), the control signals and hit rate that follow the hits (`control`, `speed`), and
//! a seeded drum synthesizer for tests, demos and benchmarks (`synth`).
//!
//! Nothing here depends on a plugin framework: the plugin, the `timbrel` CLI, the tests and
//! the benchmarks all drive the same [`analysis::Analyzer`].

pub mod analysis;
pub mod bench;
pub mod biquad;
pub mod control;
pub mod eval;
pub mod speed;
pub mod synth;

/// Sample rate that window lengths and other sample counts are specified at, in Hz. Lengths
/// given "in reference samples" are scaled by `sample_rate / REFERENCE_SAMPLE_RATE`.
pub const REFERENCE_SAMPLE_RATE: f32 = 44_100.0;
