//! Seeded drum synthesizer for tests, demos and benchmarks.
//!
//! - [`bessel`]: Bessel functions J_m and the zeros j_mn of a circular membrane.
//! - [`Membrane`]: one drum (snare, tom, kick presets) struck at a radius with a velocity.
//! - [`sources`]: sounds that are *not* the main drum: noise bursts, cymbals, other drums.
//! - [`Performance`]: a seeded sequence of hits with ground truth (times, radii, velocities,
//!   flams, bleed from other drums, background noise), rendered at any sample rate.
//!
//! Everything is deterministic for a given seed. Signals are specified in seconds and Hz, and
//! noise is shaped by fixed-Hz filters with a variance scaled by the sample rate, so rendering
//! the same seed at two sample rates is equivalent (up to the noise realisation) to resampling.

pub mod bessel;
mod membrane;
mod noise;
mod performance;
pub mod sources;

pub use membrane::Membrane;
pub use performance::{GroundTruthHit, Performance, PerformanceSpec, Source};
