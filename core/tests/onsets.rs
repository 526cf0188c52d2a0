//! Onset detection evaluated on seeded synthetic performances with ground truth.
//!
//! Goals (asserted): envelope detector F >= 0.99 at ±10 ms with both hits of every flam found,
//! median |error| <= 0.5 ms, Onset events emitted within 2 ms of the true onset. The flux
//! detector has its own targets, stated below.
//!
//! Detections within ±10 ms of a bleed stroke's onset (kick or tom) that match no main-drum hit
//! are scored apart as bleed, as the real-kit report does (issue 13: detections of other kit
//! pieces' own strokes may reach the classifier, which tells them apart); they are neither true
//! nor false positives here. Every other unmatched detection (a retrigger, at no stroke at all)
//! counts as false. The envelope detector's low band hears the body of kick and tom bleed.

mod common;

use timbrel_core::analysis::{AnalysisSettings, DetectorKind};
use timbrel_core::eval::score_onsets;
use timbrel_core::synth::{Performance, PerformanceSpec, Source};

struct Eval {
    /// F-measure at ±10 ms, bleed detections left out.
    f: f64,
    median_ms: f64,
    max_ms: f64,
    flams: usize,
    flams_found: usize,
    max_latency_ms: f64,
}

fn evaluate(kind: DetectorKind, sample_rate: f32, seed: u64, duration_s: f32) -> Eval {
    let spec = PerformanceSpec {
        duration_s,
        ..Default::default()
    };
    let perf = Performance::generate(spec, seed);
    let audio = perf.render(sample_rate);
    let mut settings = AnalysisSettings::default();
    settings.detector.kind = kind;
    if let Some(t) = std::env::var("TIMBREL_THR")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        settings.detector.threshold_db = t;
    }
    if let Some(f) = std::env::var("TIMBREL_FLOOR")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        settings.detector.floor_dbfs = f;
    }
    let run = common::run(sample_rate, settings, &audio, 1);
    let truth: Vec<u64> = perf
        .main_hits()
        .map(|h| h.onset_sample(sample_rate))
        .collect();
    let detected: Vec<u64> = run.onsets.iter().map(|o| o.0).collect();
    let s = score_onsets(&detected, &truth, sample_rate, 10.0);
    // Unmatched detections at a bleed stroke's onset are bleed, not false onsets.
    let tol = (0.010 * sample_rate as f64).round() as i64;
    let bleed_onsets: Vec<i64> = perf
        .events
        .iter()
        .filter(|e| e.source != Source::Main)
        .map(|e| e.onset_sample(sample_rate) as i64)
        .collect();
    let matched: std::collections::HashSet<usize> = s.matches.iter().flatten().copied().collect();
    let bleed = (0..detected.len())
        .filter(|d| !matched.contains(d))
        .filter(|&d| {
            bleed_onsets
                .iter()
                .any(|&b| (detected[d] as i64 - b).abs() <= tol)
        })
        .count();
    let false_positives = s.false_positives - bleed;
    let precision = s.true_positives as f64 / (s.true_positives + false_positives).max(1) as f64;
    let f = if precision + s.recall > 0.0 {
        2.0 * precision * s.recall / (precision + s.recall)
    } else {
        0.0
    };
    let main: Vec<_> = perf.main_hits().collect();
    let (mut flams, mut flams_found) = (0, 0);
    for i in 0..main.len().saturating_sub(1) {
        if main[i].in_flam && main[i + 1].in_flam && main[i + 1].time_s - main[i].time_s < 0.05 {
            flams += 1;
            if s.matches[i].is_some() && s.matches[i + 1].is_some() {
                flams_found += 1;
            }
        }
    }
    if std::env::var_os("TIMBREL_DEBUG").is_some() {
        for (i, (t, m)) in truth.iter().zip(&s.matches).enumerate() {
            if m.is_none() {
                let h = main[i];
                let near: Vec<String> = perf
                    .events
                    .iter()
                    .filter(|e| (e.time_s - h.time_s).abs() < 0.2 && e.time_s != h.time_s)
                    .map(|e| {
                        format!(
                            "{:?}@{:+.1}ms v{:.2}",
                            e.source,
                            (e.time_s - h.time_s) * 1000.0,
                            e.velocity
                        )
                    })
                    .collect();
                eprintln!(
                    "  miss t={:.4}s v={:.2} r={:.2} flam={} near {near:?}",
                    h.time_s, h.velocity, h.radius, h.in_flam
                );
                let _ = t;
            }
        }
        let matched: std::collections::HashSet<usize> =
            s.matches.iter().flatten().copied().collect();
        for (d, o) in run.onsets.iter().enumerate() {
            if !matched.contains(&d) {
                let ts = o.0 as f64 / sample_rate as f64;
                let near: Vec<String> = perf
                    .events
                    .iter()
                    .filter(|e| (e.time_s - ts).abs() < 0.1)
                    .map(|e| {
                        format!(
                            "{:?}@{:+.1}ms v{:.2}",
                            e.source,
                            (e.time_s - ts) * 1000.0,
                            e.velocity
                        )
                    })
                    .collect();
                eprintln!("  false onset at {ts:.4}s near {near:?}");
            }
        }
    }
    let mut max_latency_ms = 0.0f64;
    for (t, m) in truth.iter().zip(&s.matches) {
        if let Some(d) = m {
            let emitted = run.onsets[*d].1;
            if std::env::var_os("TIMBREL_DEBUG").is_some()
                && (emitted as i64 - *t as i64) as f64 > 0.001 * sample_rate as f64
            {
                let h = perf
                    .main_hits()
                    .find(|h| h.onset_sample(sample_rate) == *t)
                    .unwrap();
                let near: Vec<String> = perf
                    .events
                    .iter()
                    .filter(|e| (e.time_s - h.time_s).abs() < 0.15 && e.time_s != h.time_s)
                    .map(|e| {
                        format!(
                            "{:?}@{:+.1}ms v{:.2}",
                            e.source,
                            (e.time_s - h.time_s) * 1000.0,
                            e.velocity
                        )
                    })
                    .collect();
                eprintln!(
                    "  late: {:.2} ms at {:.4}s v={:.2} r={:.2}; near {near:?}",
                    (emitted as i64 - *t as i64) as f64 * 1000.0 / sample_rate as f64,
                    h.time_s,
                    h.velocity,
                    h.radius
                );
            }
            max_latency_ms = max_latency_ms
                .max((emitted as i64 - *t as i64) as f64 * 1000.0 / sample_rate as f64);
        }
    }
    eprintln!(
        "{kind:?} @ {sample_rate} Hz seed {seed}: {} true hits, {} detected ({bleed} on bleed); \
         P {precision:.4} R {:.4} F {f:.4}; median |err| {:.3} ms, max {:.3} ms; \
         flams {flams_found}/{flams}; max emission latency {max_latency_ms:.3} ms",
        truth.len(),
        detected.len(),
        s.recall,
        s.median_abs_error_ms,
        s.max_abs_error_ms,
    );
    Eval {
        f,
        median_ms: s.median_abs_error_ms,
        max_ms: s.max_abs_error_ms,
        flams,
        flams_found,
        max_latency_ms,
    }
}

#[test]
fn envelope_detector_meets_its_goals() {
    for (sr, seed) in [(44_100.0, 1), (48_000.0, 2), (96_000.0, 3)] {
        let e = evaluate(DetectorKind::Envelope, sr, seed, 20.0);
        assert!(e.f >= 0.99, "F {}", e.f);
        assert!(e.flams > 0 && e.flams_found == e.flams);
        assert!(e.median_ms <= 0.5, "median {}", e.median_ms);
        assert!(e.max_latency_ms <= 2.0, "latency {}", e.max_latency_ms);
        assert!(e.max_ms <= 1.0, "max error {}", e.max_ms);
    }
}

/// The flux detector's own targets (it trades latency and some sensitivity to quiet grace
/// notes for robustness to sustained backgrounds): F >= FLUX_MIN_F over all rates, at least
/// FLUX_MIN_FLAM_SHARE of flams with both hits found, median |error| <= 0.5 ms.
const FLUX_MIN_F: f64 = 0.95;
const FLUX_MIN_FLAM_SHARE: f64 = 0.8;

#[test]
fn flux_detector_meets_its_goals() {
    let mut all = Vec::new();
    for (sr, seed) in [(44_100.0, 1), (48_000.0, 2), (96_000.0, 3)] {
        let e = evaluate(DetectorKind::Flux, sr, seed, 20.0);
        all.push(e);
    }
    for e in &all {
        assert!(e.f >= FLUX_MIN_F, "F {}", e.f);
        assert!(e.flams > 0 && e.flams_found as f64 >= FLUX_MIN_FLAM_SHARE * e.flams as f64);
        assert!(e.median_ms <= 0.5, "median {}", e.median_ms);
    }
}
