//! The default (envelope) detector on many seeded 20-second performances of the kind
//! `core/tests/onsets.rs` scores three of (snare with flams, kick and tom bleed at -20 dB,
//! noise at -66 dBFS), at 44.1, 48 and 96 kHz: totals of hits found, missed and false onsets
//! (within 10 ms), and how many found hits are more than 1 ms off.
//!
//! `cargo run --release -p timbrel-host-tests --example core_onsets_sweep -- [n]` plays the
//! performances of seeds 1000 + `START` .. 1000 + `START` + n (default n = 30, `START` = 1).
//! `VERBOSE=1` lists every false onset and missed hit with the events around it; `OUT=<file>`
//! appends one line per true hit (seed, rate, index, onset, error in samples or 999999 when
//! missed) to compare two versions of the detector.
use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent};
use timbrel_core::eval::score_onsets;
use timbrel_core::synth::{Performance, PerformanceSpec, Source};
use timbrel_host_tests::env_parsed;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let verbose = std::env::var_os("VERBOSE").is_some();
    let (mut tp, mut fp, mut fneg, mut late) = (0, 0, 0, 0);
    let mut worst_err = 0.0f64;
    let start: u64 = env_parsed("START").unwrap_or(1);
    for seed in start..start + n {
        for sr in [44_100.0f32, 48_000.0, 96_000.0] {
            let perf = Performance::generate(PerformanceSpec::default(), 1000 + seed);
            let audio = perf.render(sr);
            let mut an = Analyzer::new(sr, AnalysisSettings::default());
            let mut det = Vec::new();
            an.process(&audio, |e| {
                if let AnalyzerEvent::Onset { onset_sample } = e {
                    det.push(onset_sample)
                }
            });
            let truth: Vec<u64> = perf.main_hits().map(|h| h.onset_sample(sr)).collect();
            if let Some(path) = std::env::var_os("OUT") {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .unwrap();
                for (i, t) in truth.iter().enumerate() {
                    let best = det
                        .iter()
                        .min_by_key(|d| d.abs_diff(*t))
                        .copied()
                        .unwrap_or(u64::MAX);
                    writeln!(
                        f,
                        "{seed} {sr} {i} {t} {}",
                        if best.abs_diff(*t) as f64 <= 0.01 * sr as f64 {
                            best as i64 - *t as i64
                        } else {
                            999999
                        }
                    )
                    .unwrap();
                }
            }
            let s = score_onsets(&det, &truth, sr, 10.0);
            tp += s.true_positives;
            fp += s.false_positives;
            fneg += s.false_negatives;
            worst_err = worst_err.max(s.max_abs_error_ms);
            for (i, m) in s.matches.iter().enumerate() {
                if let Some(d) = m {
                    if det[*d].abs_diff(truth[i]) as f64 > 0.001 * sr as f64 {
                        late += 1;
                    }
                }
            }
            if verbose && (s.false_positives > 0 || s.false_negatives > 0) {
                let matched: std::collections::HashSet<usize> =
                    s.matches.iter().flatten().copied().collect();
                for (d, &o) in det.iter().enumerate() {
                    if !matched.contains(&d) {
                        let t = o as f64 / sr as f64;
                        let near = events_near(&perf, t, None);
                        println!(
                            "  seed {} @{sr}: false at {t:.4} s near {near:?}",
                            1000 + seed
                        );
                    }
                }
                let main: Vec<_> = perf.main_hits().collect();
                for (i, m) in s.matches.iter().enumerate() {
                    if m.is_none() {
                        let h = main[i];
                        let near = events_near(&perf, h.time_s, Some(h.time_s));
                        println!(
                            "  seed {} @{sr}: missed {:.4} s v {:.2} near {near:?}",
                            1000 + seed,
                            h.time_s,
                            h.velocity
                        );
                    }
                }
            }
        }
    }
    let p = tp as f64 / (tp + fp) as f64;
    let r = tp as f64 / (tp + fneg) as f64;
    println!(
        "{n} seeds x 3 rates: {} true hits, TP {tp}, FP {fp}, FN {fneg}, P {p:.4} R {r:.4} F {:.4}; matched > 1 ms off: {late}; max |err| {worst_err:.2} ms",
        tp + fneg,
        2.0 * p * r / (p + r)
    );
}

/// The performance's events within 0.3 s of `t` (except one at `skip`), as
/// "source@offset velocity" (S snare, K kick bleed, T tom bleed).
fn events_near(perf: &Performance, t: f64, skip: Option<f64>) -> Vec<String> {
    perf.events
        .iter()
        .filter(|e| (e.time_s - t).abs() < 0.3 && Some(e.time_s) != skip)
        .map(|e| {
            let source = match e.source {
                Source::Main => "S",
                Source::BleedKick => "K",
                Source::BleedTom => "T",
            };
            format!(
                "{source}@{:+.1}ms v{:.2}",
                (e.time_s - t) * 1000.0,
                e.velocity
            )
        })
        .collect()
}
