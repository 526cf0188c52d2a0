//! `timbrel bench`: throughput of the streaming analysis on one core, with audio in memory.

use std::fmt;
use std::hint::black_box;
use std::time::{Duration, Instant};

use timbrel_core::analysis::{Analyzer, AnalyzerEvent};
use timbrel_core::synth::{Performance, PerformanceSpec};

use super::AnalysisOptions;

/// Sample rate the benchmark runs at, in Hz.
pub const BENCH_SAMPLE_RATE: u32 = 48_000;

/// What `timbrel bench` measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchReport {
    /// Hits per second of CPU time when the audio is nothing but hits (one every 50..80 ms):
    /// detection, descriptor and bookkeeping together.
    pub descriptor_hits_per_s: f64,
    /// Seconds of typical drum audio (the synthesizer's default snare performance) analysed per
    /// second of CPU time.
    pub realtime_factor: f64,
    /// Sample rate of the benchmark audio, in Hz.
    pub sample_rate: u32,
    /// Block size fed to the analyzer, in samples.
    pub block: usize,
    /// Hits the dense pass found per pass (a sanity check that the detector fired).
    pub hits_per_pass: usize,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "timbrel bench: one thread, audio in memory, blocks of {}",
            self.block
        )?;
        writeln!(f, "descriptor hits/s: {:.0}", self.descriptor_hits_per_s)?;
        writeln!(
            f,
            "realtime: {:.0}x at {} Hz",
            self.realtime_factor, self.sample_rate
        )?;
        write!(f, "hits per dense pass: {}", self.hits_per_pass)
    }
}

/// Measures the analyzer for about `seconds` of wall time in total, on the calling thread.
pub fn run(options: &AnalysisOptions, seconds: f64) -> BenchReport {
    let rate = BENCH_SAMPLE_RATE;
    let budget = Duration::from_secs_f64((seconds / 2.0).max(0.05));
    let dense = dense_hits(rate);
    let typical = typical_performance(rate);
    let mut analyzer = Analyzer::new(rate as f32, options.settings());

    let (hits, passes, elapsed) = time_passes(&mut analyzer, &dense, options.block(), budget);
    let (_, typical_passes, typical_elapsed) =
        time_passes(&mut analyzer, &typical, options.block(), budget);
    let audio_s = typical_passes as f64 * typical.len() as f64 / f64::from(rate);
    BenchReport {
        descriptor_hits_per_s: hits as f64 / elapsed.as_secs_f64(),
        realtime_factor: audio_s / typical_elapsed.as_secs_f64(),
        sample_rate: rate,
        block: options.block(),
        hits_per_pass: hits / passes.max(1),
    }
}

/// Runs whole passes over `audio` until `budget` has elapsed (at least one pass); returns the
/// hits found, the passes made and the time taken.
fn time_passes(
    analyzer: &mut Analyzer,
    audio: &[f32],
    block: usize,
    budget: Duration,
) -> (usize, usize, Duration) {
    let start = Instant::now();
    let (mut hits, mut passes) = (0usize, 0usize);
    loop {
        analyzer.reset();
        for chunk in audio.chunks(block.max(1)) {
            analyzer.process(black_box(chunk), |event| {
                if let AnalyzerEvent::Hit(hit) = event {
                    black_box(hit);
                    hits += 1;
                }
            });
        }
        passes += 1;
        let elapsed = start.elapsed();
        if elapsed >= budget {
            return (hits, passes, elapsed);
        }
    }
}

/// The dense benchmark audio: 20 s of snare hits 50..80 ms apart, no flams, no bleed.
fn dense_hits(rate: u32) -> Vec<f32> {
    let spec = PerformanceSpec {
        min_gap_s: 0.050,
        max_gap_s: 0.080,
        flam_probability: 0.0,
        bleed_per_s: 0.0,
        ..PerformanceSpec::default()
    };
    Performance::generate(spec, 1).render(rate as f32)
}

/// The typical benchmark audio: the synthesizer's default 20 s snare performance (hits 110 to
/// 450 ms apart, flams, kick and tom bleed, background noise).
fn typical_performance(rate: u32) -> Vec<f32> {
    Performance::generate(PerformanceSpec::default(), 2).render(rate as f32)
}
