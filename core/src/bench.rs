//! Built-in throughput measurement (used by `timbrel bench` and the criterion benches).
//!
//! Measured on the calling thread with audio in memory: descriptor extraction throughput and the
//! real-time factor of the whole streaming pipeline (sanitise, high-pass, detector, refinement,
//! descriptors) on a synthetic snare performance.

use crate::analysis::descriptor::{Extractor, DESCRIPTOR_LEN};
use crate::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent, DetectorKind};
use crate::synth::{Membrane, Performance, PerformanceSpec};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Results of [`run`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchReport {
    /// Descriptors per second for a 256-sample window at 44.1 kHz (5 frames).
    pub descriptor_hits_per_s: f64,
    /// Descriptors per second for the default window at 48 kHz (279 samples).
    pub descriptor_hits_per_s_48k: f64,
    /// Seconds of 48 kHz audio the whole pipeline (envelope detector) processes per second.
    pub realtime_factor: f64,
    /// The same with the flux detector.
    pub realtime_factor_flux: f64,
    /// Hits found per pass over the benchmark performance (envelope detector).
    pub hits_per_pass: usize,
    /// Length of the benchmark performance, in seconds.
    pub audio_seconds: f64,
}

/// Runs the benchmarks within about `seconds_budget` seconds of wall time (at least 0.2 s;
/// rendering the test audio comes on top).
pub fn run(seconds_budget: f64) -> BenchReport {
    let budget = seconds_budget.max(0.2);
    let hit = Membrane::snare().hit(0.4, 0.8, 48_000.0, 1);
    let descriptor_hits_per_s = descriptor_rate(44_100.0, &hit, budget * 0.2);
    let descriptor_hits_per_s_48k = descriptor_rate(48_000.0, &hit, budget * 0.2);
    let spec = PerformanceSpec {
        duration_s: 10.0,
        ..Default::default()
    };
    let audio = Performance::generate(spec, 7).render(48_000.0);
    let audio_seconds = audio.len() as f64 / 48_000.0;
    let (realtime_factor, hits_per_pass) =
        pipeline_rate(&audio, DetectorKind::Envelope, budget * 0.35);
    let (realtime_factor_flux, _) = pipeline_rate(&audio, DetectorKind::Flux, budget * 0.25);
    BenchReport {
        descriptor_hits_per_s,
        descriptor_hits_per_s_48k,
        realtime_factor,
        realtime_factor_flux,
        hits_per_pass,
        audio_seconds,
    }
}

/// Descriptors per second for the default window at `sample_rate`, over `seconds`.
pub fn descriptor_rate(sample_rate: f32, window: &[f32], seconds: f64) -> f64 {
    let mut ex = Extractor::new(sample_rate, 256).expect("default window is valid");
    let mut out = [0.0f32; DESCRIPTOR_LEN];
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..256 {
            ex.extract(black_box(window), &mut out)
                .expect("window is long enough");
            black_box(&out);
        }
        n += 256;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Real-time factor of the streaming pipeline on 48 kHz `audio` in 512-sample blocks, over
/// `seconds`; also returns the hits per pass.
pub fn pipeline_rate(audio: &[f32], kind: DetectorKind, seconds: f64) -> (f64, usize) {
    let mut settings = AnalysisSettings::default();
    settings.detector.kind = kind;
    let mut an = Analyzer::new(48_000.0, settings);
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut passes = 0u64;
    let mut hits = 0usize;
    while passes == 0 || start.elapsed() < budget {
        an.reset();
        hits = 0;
        for block in audio.chunks(512) {
            an.process(black_box(block), |e| {
                if let AnalyzerEvent::Hit(h) = e {
                    black_box(h);
                    hits += 1;
                }
            });
        }
        passes += 1;
    }
    let audio_s = passes as f64 * audio.len() as f64 / 48_000.0;
    (audio_s / start.elapsed().as_secs_f64(), hits)
}

#[cfg(test)]
mod tests {
    #[test]
    fn run_reports_positive_rates() {
        let r = super::run(0.2);
        assert!(r.descriptor_hits_per_s > 0.0 && r.descriptor_hits_per_s.is_finite());
        assert!(r.realtime_factor > 0.0 && r.realtime_factor_flux > 0.0);
        assert!(r.hits_per_pass > 10, "{}", r.hits_per_pass);
        assert_eq!(r.audio_seconds, 10.0);
    }
}
